"""The test domain's follow-up kind: a reported hazard must be fixed by its due
time. The person it is assigned to is reminded an hour before; at the due time
the safety officer and the principal are told as well (an escalation)."""

import datetime as dt

from followups.kinds import FollowUpKind, Step, register
from schools.models import Role, School

from .notice_kinds import HAZARD_DUE

HAZARD_FIX = "plugin_app.hazard_fix"


def _context(rows):
    names = dict(School.objects.filter(pk__in={r.school_id for r in rows})
                 .values_list("pk", "name"))
    return {row.pk: {"path": f"/hazards/{row.subject_code}/",
                     "school_name": names[row.school_id],
                     "fix_by": row.due_at.date().isoformat()} for row in rows}


register(FollowUpKind(
    name=HAZARD_FIX,
    label="Fix the hazard",
    roles=(Role.SAFETY_OFFICER,),
    steps=[
        Step("remind", -dt.timedelta(hours=1), HAZARD_DUE.name),
        Step("escalate", dt.timedelta(0), HAZARD_DUE.name,
             roles=(Role.SAFETY_OFFICER, Role.PRINCIPAL)),
    ],
    context=_context,
    subject_type="plugin_app.hazard",
    catch_up=dt.timedelta(hours=6),
    link=lambda row: f"/hazards/{row.subject_code}/",
    title=lambda row: "Fix the hazard",
))
