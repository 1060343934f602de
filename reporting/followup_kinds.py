"""Reporting's follow-up kind: a school's report for a deadline is due.

Opened for every expected school when a deadline is generated (or a school
joins the campaign), completed when the school first submits, re-armed when the
deadline moves, cancelled when the school leaves the campaign
(reporting/followups.py). Its steps are the reminders REPORT_REMINDER_DAYS days
before the due date and on it, and the overdue notice the morning after, all
at 08:00 Asia/Shanghai, told to the school's principal and safety officer.
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
    DEADLINE_SCHOOL,
    OVERDUE,
    REMINDER,
    REPORT,
    RETURNED,
    deadline_school_subject,
)

REPORT_DUE = "reporting.report_due"
REPORT_RESUBMIT = "reporting.report_resubmit"
SUBJECT_TYPE = DEADLINE_SCHOOL  # as the reminder and overdue notices say
NOTICE_HOUR = dt.timedelta(hours=8)
# A step told more than this late is skipped: a scan that was down for a
# month does not send last month's overdue notices.
CATCH_UP = dt.timedelta(days=7)


def subject_code(deadline_id: int, school_id: int) -> str:
    """The subject of a report-due follow-up: one deadline at one school (the
    same pair its reminder and overdue notices are about)."""
    return deadline_school_subject(deadline_id, school_id)[1]


def due_date_of(due_at: dt.datetime) -> dt.date:
    """The deadline's date from the follow-up's due time (the first instant
    after the date, Deadline.closes_at)."""
    return clock.today(due_at - dt.timedelta(microseconds=1))


def _steps() -> list[Step]:
    # due_at is 00:00 the day after the due date: 08:00 d days before the due
    # date is due_at - (d + 1) days + 8 h; the morning after is due_at + 8 h.
    reminders = [Step(f"remind_{d}", dt.timedelta(days=-(d + 1)) + NOTICE_HOUR, REMINDER.name)
                 for d in sorted(set(settings.REPORT_REMINDER_DAYS), reverse=True) if d >= 0]
    return [*reminders, Step("overdue", NOTICE_HOUR, OVERDUE.name)]


def _context(rows) -> dict[int, dict]:
    names = dict(School.objects.filter(pk__in={r.school_id for r in rows})
                 .values_list("pk", "name"))
    template = reverse("reporting:report_edit", args=[987654321, 123456789])
    result = {}
    for row in rows:
        school_id, deadline_id = row.data["school_id"], row.data["deadline_id"]
        path = (template.replace("987654321", str(int(school_id)))
                .replace("123456789", str(int(deadline_id))))
        result[row.pk] = {
            "path": path, "school_id": school_id, "school_name": names.get(school_id, ""),
            "deadline_id": deadline_id, "deadline_date": due_date_of(row.due_at),
            "deadline_kinds": [row.data.get("deadline_kind", "progress")],
        }
    return result


def _combine(contexts: list[dict]) -> dict:
    """One message for two reports due the same day at one school (24 December:
    the progress report and the year-end summary): it names both and links to
    the school's report list."""
    first = dict(contexts[0])
    kinds: list[str] = []
    for c in contexts:
        kinds += [k for k in c["deadline_kinds"] if k not in kinds]
    first["deadline_kinds"] = kinds
    first["path"] = reverse("reporting:school_reports", args=[first["school_id"]])
    first.pop("deadline_id", None)
    return first


def _link(row) -> str:
    return reverse("reporting:report_edit",
                   args=[row.data["school_id"], row.data["deadline_id"]])


def _title(row) -> str:
    from .models import DeadlineKind

    kind = DeadlineKind(row.data.get("deadline_kind", DeadlineKind.PROGRESS)).label
    return _("%(kind)s due %(date)s") % {"kind": kind, "date": due_date_of(row.due_at)}


register(FollowUpKind(
    name=REPORT_DUE,
    label=_("Report due"),
    roles=(Role.PRINCIPAL, Role.SAFETY_OFFICER),
    steps=_steps,
    context=_context,
    subject_type=SUBJECT_TYPE,
    catch_up=CATCH_UP,
    merge_key=lambda row: (row.school_id, row.due_at),
    combine=_combine,
    link=_link,
    title=_title,
))


# ---------------------------------------------------------------- resubmission

RESUBMIT_DAYS = 3  # days a school has to revise a returned report (end of that day)


def resubmit_due(returned_at: dt.datetime) -> dt.datetime:
    """The end of the RESUBMIT_DAYS-th day after the return, Asia/Shanghai."""
    return clock.end_of_day(clock.today(returned_at) + dt.timedelta(days=RESUBMIT_DAYS))


def _resubmit_context(rows) -> dict[int, dict]:
    from .models import ProgressReport

    reports = {str(r.code): r for r in ProgressReport.objects.filter(
        code__in=[row.subject_code for row in rows]).select_related("school", "deadline")}
    result = {}
    for row in rows:
        report = reports.get(row.subject_code)
        if report is None:
            continue
        result[row.pk] = {
            "path": reverse("reporting:report_edit", args=[report.school_id, report.deadline_id]),
            "school_id": report.school_id, "school_name": report.school.name,
            "deadline_id": report.deadline_id, "deadline_date": report.deadline.due_date}
    return result


def _resubmit_title(row) -> str:
    from .models import DeadlineKind

    kind = DeadlineKind(row.data.get("deadline_kind", DeadlineKind.PROGRESS)).label
    return _("Returned, revise and resubmit: %(kind)s due %(date)s") % {
        "kind": kind, "date": row.data.get("deadline_date", "")}


register(FollowUpKind(
    name=REPORT_RESUBMIT,
    label=_("Returned report to revise"),
    roles=(Role.PRINCIPAL, Role.SAFETY_OFFICER),
    # The return itself is told at once (the "returned" notice); at 08:00 on
    # the last day of the revision, the school hears it again.
    steps=[Step("remind", -dt.timedelta(days=1) + NOTICE_HOUR, RETURNED.name)],
    context=_resubmit_context,
    subject_type=REPORT,
    catch_up=CATCH_UP,
    link=_link,
    title=_resubmit_title,
))
