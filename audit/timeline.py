"""audit's part of a pupil's page: "who looked at this record" (谁查看过此记录,
issue 9 item 2), as the timeline subject "schools.pupil:reads".

Every open, export and print of the pupil (record.view/export/print) and
every refused attempt on it (access.denied), newest first, each with who
(the person's name as the portal knows it now, else the username as it
was), when, what and the outcome. The address it came from is the
auditor's business (the audit log), not the principal's: staff's addresses
are personal information too. Only for someone who holds
schools.view_pupil_access_log for that very pupil (the principal; asked of
the access layer, per pupil): anyone else gets nothing. schools does not
import audit; the page asks core.timelines.entries_for for this subject.
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.utils.translation import gettext as _

from core.timelines import Entry, TimelineSource
from schools import access
from schools.models import Pupil

from . import actions
from .models import AuditEvent

SUBJECT = "schools.pupil:reads"


def pupil_reads(subject_code: str, user, limit: int) -> list[Entry]:
    """The newest `limit` reads of pupil `subject_code` (its UUID as text) as
    Entry rows (title: what and the outcome; actor: the person's full name,
    else the username as it was), or [] when the pupil does not exist or
    `user` may not see its access log. Two queries (the pupil, the rows)
    whatever the number of rows."""
    try:
        code = uuid.UUID(str(subject_code))
    except ValueError:
        return []
    pupil = Pupil.objects.filter(code=code).first()
    if pupil is None or not access.can_for_pupil(
            user, access.perm("schools.view_pupil_access_log"), pupil):
        return []
    rows = (AuditEvent.objects
            .filter(target_type="schools.pupil", target_code=str(code))
            .filter(Q(action__startswith="record.") | Q(action=actions.ACCESS_DENIED.code))
            .select_related("user")
            .only("at", "username", "action", "outcome", "status", "user__username",
                  "user__full_name")
            .order_by("-at", "-id")[:limit])
    return [
        Entry(at=row.at,
              title=_("%(action)s: %(outcome)s") % {
                  "action": actions.label(row.action),
                  "outcome": row.get_outcome_display()},
              actor=(row.user.get_full_name() if row.user is not None
                     else row.username or _("(signed out)")),
              source="audit.pupil_reads")
        for row in rows
    ]


TIMELINE = [TimelineSource("audit.pupil_reads", SUBJECT, pupil_reads)]
