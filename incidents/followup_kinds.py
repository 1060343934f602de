"""incidents' follow-up kinds (found by core.discovery; issue 10 item 2).

- ``incidents.police_report``: a concern was logged; the report to the police
  is due INCIDENTS_POLICE_REPORT_HOURS later (the law says 立即: this is the
  bureau's outer limit). Subject: the concern. Completed when a report to the
  police is recorded on its referral; cancelled when the referral is closed
  without one. Overdue → the school's leads and the principal; two hours
  later, the bureau's child-protection officers.
- ``incidents.dispute_return``: a school's monthly dispute-screening return
  (矛盾纠纷排查) is due at the end of the bureau's due day. Subject: the
  school and month. Completed when the return is filed. A reminder at 08:00
  on the due day and an overdue notice at 08:00 the morning after, both to
  the principal and the safety officer (incidents/disputes.py).
- ``incidents.referral_review``: a referral has sat in COOPERATING for
  INCIDENTS_REVIEW_DAYS; its leads are asked to review it. Subject: the
  referral. Re-armed when it changes state, cancelled when it closes.

Wording: "a record of <school> needs your attention" and a link, nothing else.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import clock
from followups.kinds import FollowUpKind, Step, register
from schools.models import Role, School

from .notice_kinds import (
    BULLYING_DUE,
    BULLYING_SUBJECT,
    CONCERN_SUBJECT,
    DISPUTE_OVERDUE,
    DISPUTE_REMINDER,
    DISPUTE_SUBJECT,
    POLICE_OVERDUE,
    REFERRAL_SUBJECT,
    REVIEW_DUE,
)

POLICE_REPORT = "incidents.police_report"
REFERRAL_REVIEW = "incidents.referral_review"
LEADS = (Role.REPORTING_LEAD, Role.PRINCIPAL)
# After the leads were told, how long before the bureau's officer is.
BUREAU_ESCALATION = dt.timedelta(hours=2)


def _context(rows) -> dict[int, dict]:
    names = dict(School.objects.filter(pk__in={r.school_id for r in rows})
                 .values_list("pk", "name"))
    return {row.pk: {"path": _link(row), "school_name": names.get(row.school_id, "")}
            for row in rows}


def _link(row) -> str:
    if row.subject_type == REFERRAL_SUBJECT:
        return reverse("incidents:referral_detail", args=[row.subject_code])
    return reverse("incidents:concern_detail", args=[row.subject_code])


register(FollowUpKind(
    name=POLICE_REPORT,
    label=_("Report to the police"),
    roles=LEADS,
    steps=(Step("overdue", dt.timedelta(0), POLICE_OVERDUE.name),
           # The escalation tells the officer and, again, the school's leads:
           # the engine fires only the latest step of those a stopped scan
           # let fall due together, and the leads must hear it either way.
           Step("bureau", BUREAU_ESCALATION, POLICE_OVERDUE.name,
                roles=(*LEADS, Role.PROTECTION_OFFICER))),
    context=_context,
    subject_type=CONCERN_SUBJECT,
    link=_link,
    title=lambda row: str(_("Report a concern to the police")),
    catch_up=dt.timedelta(days=30),
))

register(FollowUpKind(
    name=REFERRAL_REVIEW,
    label=_("Review a referral"),
    roles=LEADS,
    steps=(Step("review", dt.timedelta(0), REVIEW_DUE.name),),
    context=_context,
    subject_type=REFERRAL_SUBJECT,
    link=_link,
    title=lambda row: str(_("Review a referral in cooperation")),
))


# ---------------------------------------------------------------- dispute returns

DISPUTE_RETURN = "incidents.dispute_return"
NOTICE_HOUR = dt.timedelta(hours=8)


def dispute_subject_code(school_id: int, month: dt.date) -> str:
    """The subject of a dispute-return follow-up: one school's return for one
    month, "<school id>:<YYYY-MM>"."""
    return f"{int(school_id)}:{month:%Y-%m}"


def _due_date(row) -> str:
    # due_at is the first instant after the due day (clock.end_of_day).
    return clock.today(row.due_at - dt.timedelta(microseconds=1)).isoformat()


def _dispute_context(rows) -> dict[int, dict]:
    names = dict(School.objects.filter(pk__in={r.school_id for r in rows})
                 .values_list("pk", "name"))
    return {row.pk: {"path": _dispute_link(row), "school_name": names.get(row.school_id, ""),
                     "month": row.data["month"], "due_date": _due_date(row)}
            for row in rows}


def _dispute_link(row) -> str:
    year, month = (int(part) for part in row.data["month"].split("-"))
    return reverse("incidents:dispute_return", args=[row.school_id, year, month])


register(FollowUpKind(
    name=DISPUTE_RETURN,
    label=_("Monthly dispute-screening return"),
    roles=(Role.PRINCIPAL, Role.SAFETY_OFFICER),
    # due_at is 00:00 after the due day: 08:00 on it, and 08:00 the morning after.
    steps=(Step("remind", -dt.timedelta(days=1) + NOTICE_HOUR, DISPUTE_REMINDER.name),
           Step("overdue", NOTICE_HOUR, DISPUTE_OVERDUE.name)),
    context=_dispute_context,
    subject_type=DISPUTE_SUBJECT,
    link=_dispute_link,
    title=lambda row: str(_("Dispute-screening return for %(month)s, due %(date)s") % {
        "month": row.data["month"], "date": _due_date(row)}),
))


# ---------------------------------------------------------------- bullying

BULLYING_INVESTIGATION = "incidents.bullying_investigation"
BULLYING_RECHECK = "incidents.bullying_recheck"
BULLYING_SUPPORT = "incidents.bullying_support"
BULLYING_VISIT = "incidents.bullying_visit"
# The 2017 plan: an investigation within 10 days of starting, a re-check
# within 15 (domain.md §2d).
INVESTIGATION_DAYS = 10
RECHECK_DAYS = 15


def case_code_of(row) -> str:
    """The case's code from a bullying follow-up's subject ("<code>" or
    "<code>:<n>" for a visit)."""
    return row.subject_code.split(":", 1)[0]


def _bullying_context(rows) -> dict[int, dict]:
    names = dict(School.objects.filter(pk__in={r.school_id for r in rows})
                 .values_list("pk", "name"))
    return {row.pk: {"path": _bullying_link(row), "school_name": names.get(row.school_id, "")}
            for row in rows}


def _bullying_link(row) -> str:
    code = case_code_of(row)
    if row.kind == BULLYING_SUPPORT:
        return reverse("incidents:bullying_support", args=[code])
    if row.kind == BULLYING_VISIT:
        return reverse("incidents:bullying_status", args=[code])
    return reverse("incidents:bullying_detail", args=[code])


def _support_steps() -> list[Step]:
    # Told at once (the step fires when the case is recorded), then the
    # principal hears of it when the support is overdue.
    days = dt.timedelta(days=settings.INCIDENTS_BULLYING_SUPPORT_DAYS)
    return [Step("new", -days, BULLYING_DUE.name),
            Step("overdue", dt.timedelta(0), BULLYING_DUE.name,
                 roles=(Role.COUNSELOR, Role.PRINCIPAL))]


for _name, _label, _title, _days in (
        (BULLYING_INVESTIGATION, _("Bullying investigation"),
         _("Finish a bullying investigation"), INVESTIGATION_DAYS),
        (BULLYING_RECHECK, _("Bullying re-check"),
         _("Record the county's re-check of a bullying case"), RECHECK_DAYS)):
    register(FollowUpKind(
        name=_name, label=_label, roles=LEADS,
        # Two days before, and on the day it falls due.
        steps=(Step("remind", -dt.timedelta(days=2), BULLYING_DUE.name),
               Step("overdue", dt.timedelta(0), BULLYING_DUE.name)),
        context=_bullying_context, subject_type=BULLYING_SUBJECT, link=_bullying_link,
        title=lambda row, _title=_title: str(_title),
    ))

register(FollowUpKind(
    name=BULLYING_SUPPORT,
    label=_("Psychological support after bullying"),
    roles=(Role.COUNSELOR,),
    steps=_support_steps,
    context=_bullying_context, subject_type=BULLYING_SUBJECT, link=_bullying_link,
    title=lambda row: str(_("Psychological support after a bullying case recorded %(day)s")
                          % {"day": f"{clock.today(row.created_at):%Y-%m-%d}"}),
))

register(FollowUpKind(
    name=BULLYING_VISIT,
    label=_("Follow-up visit after bullying"),
    roles=LEADS,  # the row's assignee (a head teacher) is told, then the leads
    steps=(Step("due", dt.timedelta(hours=-16), BULLYING_DUE.name),
           Step("overdue", dt.timedelta(days=1), BULLYING_DUE.name, roles=LEADS)),
    context=_bullying_context, subject_type=BULLYING_SUBJECT, link=_bullying_link,
    title=lambda row: str(_("Follow-up visit for a bullying case, by %(day)s") % {
        "day": f"{_due_date(row)}"}),
))
