"""attendance's follow-up kinds (found by core.discovery; issue 11 item 2).

- ``attendance.guardian_contact``: a pupil is marked truant (旷课, absent
  without leave) on a register; the class's head teacher (the row's
  assignee) must reach the guardians within ATTENDANCE_CONTACT_HOURS of the
  register and is told when that time comes if it is not recorded yet.
- ``attendance.contact_escalation``: the same absence, due at the end of the
  school day (ATTENDANCE_SCHOOL_DAY_ENDS): not recorded by then, the
  principal and the safety officer are told.
Subject: "<register id>:<pupil code>". Both are completed by the first contact
recorded, cancelled when the register is corrected to no truancy.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from followups.kinds import FollowUpKind, Step, register
from schools.models import Role, School

from .notice_kinds import ABSENCE_SUBJECT, CONTACT_DUE

GUARDIAN_CONTACT = "attendance.guardian_contact"
CONTACT_ESCALATION = "attendance.contact_escalation"


def absence_code(register_id: int, pupil_code) -> str:
    """The subject of an absence's follow-ups: the register and the pupil's
    public code (never a name)."""
    return f"{int(register_id)}:{pupil_code}"


def _link(row) -> str:
    register_id, pupil_code = row.subject_code.split(":", 1)
    return reverse("attendance:contact", args=[int(register_id), pupil_code])


def _context(rows) -> dict[int, dict]:
    names = dict(School.objects.filter(pk__in={r.school_id for r in rows})
                 .values_list("pk", "name"))
    return {row.pk: {"path": _link(row), "school_name": names.get(row.school_id, "")}
            for row in rows}


register(FollowUpKind(
    name=GUARDIAN_CONTACT,
    label=_("Contact the guardians of an absent pupil"),
    roles=(Role.HEAD_TEACHER,),  # the assignee: the class's head teacher
    steps=(Step("due", dt.timedelta(0), CONTACT_DUE.name),),
    context=_context, subject_type=ABSENCE_SUBJECT, link=_link,
    title=lambda row: str(_("Contact the guardians of a pupil absent without leave")),
))

register(FollowUpKind(
    name=CONTACT_ESCALATION,
    label=_("A guardian contact not made by the end of the school day"),
    roles=(Role.PRINCIPAL, Role.SAFETY_OFFICER),
    steps=(Step("end_of_day", dt.timedelta(0), CONTACT_DUE.name),),
    context=_context, subject_type=ABSENCE_SUBJECT, link=_link,
    title=lambda row: str(_("A guardian contact is not recorded yet")),
))
