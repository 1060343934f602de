"""One colour per status, the same on every page, always with its word."""

from django import template
from django.utils.translation import gettext_lazy as _

from reporting.models import ReportStatus, Timeliness

register = template.Library()

STATUS_CLASS = {
    "": "text-bg-light border",
    ReportStatus.DRAFT: "text-bg-secondary",
    ReportStatus.SUBMITTED: "text-bg-primary",
    ReportStatus.RETURNED: "text-bg-warning",
    ReportStatus.RESUBMITTED: "text-bg-info",
    ReportStatus.APPROVED: "text-bg-success",
}
TIMELINESS_CLASS = {
    Timeliness.ON_TIME: "text-bg-success",
    Timeliness.LATE: "text-bg-warning",
    Timeliness.MISSING: "text-bg-danger",
}


# The dashboard's cell states: a colour, a word and a mark (never colour alone).
CELL = {
    "on_time": ("cell-on-time", "✓", _("On time")),
    "late": ("cell-late", "!", _("Late")),
    "missing": ("cell-missing", "✗", _("Not submitted")),
    "upcoming": ("cell-upcoming", "·", _("Not yet due")),
    # Outside the school's campaign period (joined later, closed before).
    "not_expected": ("cell-not-expected", "–", _("Not expected")),
}


@register.inclusion_tag("reporting/_cell.html")
def matrix_cell(cell):
    css, mark, label = CELL[cell.state]
    review = {"returned": _("Returned"), "approved": _("Approved")}.get(cell.review, "")
    return {"css": css, "mark": mark, "label": label, "review": review,
            "review_mark": {"returned": "↩", "approved": "★"}.get(cell.review, ""),
            "code": getattr(cell, "code", "")}


@register.filter
def percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"


@register.inclusion_tag("reporting/_badge.html")
def status_badge(status: str, label: str = ""):
    from django.utils.translation import gettext as _

    if not status:
        label = _("Not started")
    elif not label:
        label = ReportStatus(status).label
    return {"css": STATUS_CLASS.get(status, "text-bg-light"), "label": label}


@register.inclusion_tag("reporting/_badge.html")
def timeliness_badge(timeliness: str):
    return {"css": TIMELINESS_CLASS[timeliness], "label": Timeliness(timeliness).label}


@register.filter
def date_with_weekday(day) -> str:
    """2026年5月13日（星期三） in Chinese, "May 13, 2026 (Wednesday)" in English:
    the date as people count deadlines (screens.md), brackets of the language."""
    from django.utils import formats
    from django.utils.translation import gettext

    if not day:
        return ""
    return gettext("%(date)s (%(weekday)s)") % {
        "date": formats.date_format(day, "DATE_FORMAT"), "weekday": formats.date_format(day, "l")}
