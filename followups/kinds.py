"""Follow-up kinds, registered by the apps that own them.

A domain adds a kind by adding `<app>/followup_kinds.py` (found by
core.discovery) that calls `register(FollowUpKind(...))`. followups never
imports a domain: everything it needs to know about a kind is here.

A kind says:

* who must act: `roles` at the follow-up's school (or the row's assignee);
* its escalation `steps`: when each fires, relative to the due time, which
  notice kind it writes (registered with notifications by the same domain) and
  to which roles (an escalation widens the circle: the head teacher first, then
  the safety officer and the principal);
* `context(followups)`: what the notice may say, for a batch of rows at once
  (ids, school names, dates and a link; never a child's data);
* optionally `combine(contexts)` and `merge_key(followup)`: rows of the same
  recipient, step notice kind and merge key fired in one scan become one
  message naming them all (24 December: the progress report and the year-end
  summary are due the same day: one reminder naming both);
* `link(row)` and `title(row)`: how 我的待办 shows a row (from its data);
* `catch_up`: a step more than this late is not told any more (a scan that was
  down for a month does not wake people about last month).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.discovery import app_modules

if TYPE_CHECKING:
    from .models import FollowUp


@dataclass(frozen=True)
class Step:
    """One escalation step.

    `offset`: when it fires, relative to the follow-up's due time (negative:
    before it, e.g. timedelta(days=-3, hours=8) is 08:00 two days before a
    deadline closing at midnight). `roles`: who hears it at the school (None:
    the kind's roles, or the assignee when the row has one); a bureau role
    among them (schools.models.BUREAU_ROLES) is told in the bureau of the
    follow-up's school — an escalation beyond the school.
    """

    name: str
    offset: dt.timedelta
    notice_kind: str
    roles: tuple[str, ...] | None = None


ContextFn = Callable[[Sequence["FollowUp"]], Mapping[int, Mapping[str, Any]]]


@dataclass(frozen=True)
class FollowUpKind:
    name: str
    label: Any
    roles: tuple[str, ...]
    steps: Callable[[], Sequence[Step]] | Sequence[Step]
    context: ContextFn
    subject_type: str
    link: Callable[[FollowUp], str] = lambda row: "/"
    title: Callable[[FollowUp], str] = lambda row: str(row.kind)
    catch_up: dt.timedelta = dt.timedelta(days=7)
    merge_key: Callable[[FollowUp], Hashable] | None = None
    combine: Callable[[list[Mapping[str, Any]]], Mapping[str, Any]] | None = None

    def step_list(self) -> list[Step]:
        """The steps, in firing order (a callable is read now, so settings
        such as REPORT_REMINDER_DAYS take effect without a restart)."""
        steps = self.steps() if callable(self.steps) else self.steps
        return sorted(steps, key=lambda s: s.offset)


_KINDS: dict[str, FollowUpKind] = {}
_loaded = False


def register(kind: FollowUpKind) -> FollowUpKind:
    """Add a kind. Raises ValueError if the name is taken by another kind."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"follow-up kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind
    return kind


def _load() -> None:
    global _loaded
    if not _loaded:
        app_modules("followup_kinds")
        _loaded = True


def get(name: str) -> FollowUpKind:
    """The kind called `name`. Raises LookupError for an unknown kind."""
    _load()
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no follow-up kind {name!r} is registered") from None


def all_kinds() -> list[FollowUpKind]:
    _load()
    return list(_KINDS.values())
