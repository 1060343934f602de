"""schools' part of a pupil's timeline (subject "schools.pupil"): the pupil's
own events — changes of 学籍状态 for whoever sees the pupil, circumstances
recorded and ended only for whoever may see circumstances (the access layer
decides, per pupil: can_for_pupil)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils.translation import gettext as _

from core.timelines import Entry, TimelineSource

from . import access
from .access_rules import SchoolsPerm
from .pupil_models import Circumstance, Pupil, PupilStatus, PupilStatusChange


def _pupil(subject_code: str) -> Pupil | None:
    try:
        code = uuid.UUID(str(subject_code))
    except ValueError:
        return None
    return Pupil.objects.filter(code=code).first()


def _status_label(value: str) -> str:
    return str(PupilStatus(value).label) if value in PupilStatus.values else value


def _pupil_entries(subject_code: str, user, limit: int) -> list[Entry]:
    """Up to `limit` status changes and `limit` circumstance events, newest
    first; three queries at most (the pupil, its status changes, its
    circumstances), whatever their number."""
    pupil = _pupil(subject_code)
    if pupil is None or not access.can_for_pupil(user, SchoolsPerm.VIEW_PUPIL, pupil):
        return []
    entries = []
    changes = (PupilStatusChange.objects.filter(pupil=pupil).select_related("actor")
               .order_by("-at", "-id")[:limit])
    for change in changes:
        title = _("Status: %(old)s → %(new)s") % {
            "old": _status_label(change.from_state), "new": _status_label(change.to_state)}
        if change.effective_on:
            title += " " + _("(from %(day)s)") % {"day": change.effective_on.isoformat()}
        entries.append(Entry(at=change.at, title=title,
                             actor=str(change.actor) if change.actor else "",
                             source="schools.pupil_status"))
    if access.can_for_pupil(user, SchoolsPerm.VIEW_CIRCUMSTANCES, pupil):
        rows = (Circumstance.objects.filter(pupil=pupil).select_related("recorded_by")
                .order_by("-created_at", "-id")[:limit])
        for c in rows:
            group = c.get_group_display()
            entries.append(Entry(at=c.created_at,
                                 title=_("Circumstance recorded: %(group)s") % {"group": group},
                                 actor=str(c.recorded_by) if c.recorded_by else "",
                                 source="schools.circumstance"))
            if c.until is not None:
                # When the end was written down (the row's last change), not
                # the day it ended, which the title gives.
                entries.append(Entry(
                    at=max(c.updated_at, c.created_at + dt.timedelta(microseconds=1)),
                    title=_("Circumstance ended: %(group)s (on %(day)s)") % {
                        "group": group, "day": c.until.isoformat()},
                    source="schools.circumstance"))
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]


TIMELINE = [TimelineSource("schools.pupil_events", "schools.pupil", _pupil_entries)]
