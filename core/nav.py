"""The top bar's entries, contributed by each app's ``navigation`` module.

Each app that puts a link in the bar declares ``NAV = [NavItem(...), ...]`` in
``<app>/navigation.py`` (found by core.discovery); the base layout shows, in
`order`, the entries whose `href(user)` gives a URL for the person signed in.
Whether a person sees an entry is the app's access question (asked inside
`href`), so the bar never shows a link that would answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .discovery import app_modules


@dataclass(frozen=True)
class NavItem:
    """One entry. `href(user)` returns the link, or None to hide the entry for
    this user. `badge` names a template context variable whose value, when
    truthy, is shown beside the label (the unread-notices count)."""

    order: int
    label: Any  # a lazy translation
    href: Callable[[Any], str | None]
    badge: str = ""
    testid: str = ""


@dataclass(frozen=True)
class NavLink:
    label: Any
    href: str
    badge: str
    testid: str
    current: bool = False


def _current_index(hrefs: list[str], path: str) -> int | None:
    """The entry the page at `path` belongs to: the longest href that is `path` or a
    folder above it ("/" only for itself), so /reporting/reports/<code>/ marks 报告
    and the workbench "/" is marked only on the workbench."""
    best, best_len = None, -1
    for index, href in enumerate(hrefs):
        base = href.split("?", 1)[0]
        matches = base == path or (base != "/" and base.endswith("/") and path.startswith(base))
        if matches and len(base) > best_len:
            best, best_len = index, len(base)
    return best


def nav_for(user, path: str = "") -> list[NavLink]:
    """The entries `user` may follow, in order, the one for the page at `path` (a URL
    path, no query) marked current — the phone menu shows where one is (issue 8 item 9).
    Raises ValueError when two apps claim the same order (the bar would shuffle
    between runs)."""
    items: list[NavItem] = [item for module in app_modules("navigation") for item in module.NAV]
    orders = [item.order for item in items]
    if len(orders) != len(set(orders)):
        raise ValueError(f"two navigation entries share an order: {sorted(orders)}")
    visible = [(item, href) for item in sorted(items, key=lambda i: i.order)
               if (href := item.href(user))]
    current = _current_index([href for _, href in visible], path) if path else None
    return [NavLink(label=item.label, href=href, badge=item.badge, testid=item.testid,
                    current=index == current)
            for index, (item, href) in enumerate(visible)]
