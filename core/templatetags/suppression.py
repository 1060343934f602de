"""{% load suppression %}: ``{{ count|suppress }}`` shows a pupil count as a
bureau may see it ("<5" for 1–4, core.suppression.suppress); ``{{ cell|shown }}``
shows a core.suppression.Cell of a suppressed table."""

from django import template

from core.suppression import Cell
from core.suppression import suppress as _suppress

register = template.Library()


@register.filter
def suppress(count):
    """"<5" for 1..4, the count otherwise; "" for None or a non-number (a
    template must not fail on a blank)."""
    try:
        return _suppress(None if count in (None, "") else int(count))
    except (TypeError, ValueError):
        return ""


@register.filter
def shown(cell):
    """What a Cell may show ("<5", "*" or the count); a bare count is
    suppressed as by `suppress`."""
    if isinstance(cell, Cell):
        return cell.shown
    return suppress(cell)
