"""Reporting's notice kinds, registered with notifications (found by core.discovery).

The stored names (reminder, overdue, returned, digest, bulletin) are those of the rows
written before kinds were registered: never rename them. Templates live in
templates/emails/<name>{_subject.txt,.txt,.html}.

Subjects (what a notice is about, for cancellation):
- reminder and overdue: the school × deadline pair, DEADLINE_SCHOOL with code
  "<deadline id>:<school id>" (see deadline_school_subject) — the pair is what the
  report's arrival settles, and it exists before any report row does;
- returned and receipt: the report, "reporting.progressreport" with its public
  UUID code;
- digest: nothing in particular (None);
- bulletin: the published 通报, "reporting.bulletin" with its id.

Reminders and overdue notices also go to the school's group robot, once per
school and deadline (and reminder day), showing the school's name and the
deadline only.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from notifications.kinds import NoticeKind, register

DEADLINE_SCHOOL = "reporting.deadline_school"
REPORT = "reporting.progressreport"

# The context keys reporting's wording may use; "path" is always there.
SCHOOL_DEADLINE_KEYS: dict[str, tuple[type, ...]] = {
    "school_id": (int,),
    "school_name": (str,),
    "campaign_id": (int,),
    "campaign_name": (str,),
    "deadline_id": (int,),
    "deadline_date": (str,),  # "YYYY-MM-DD"
    "report_id": (int,),
    # Which reports are due (codes such as "progress", "year_end").
    "deadline_kinds": (list,),
}


def deadline_school_subject(deadline_id: int, school_id: int) -> tuple[str, str]:
    return DEADLINE_SCHOOL, f"{int(deadline_id)}:{int(school_id)}"


def prepare_dates(context: dict) -> dict:
    """The stored ISO "deadline_date" as a date, for the templates' |date.
    Raises ValueError for a value that is not YYYY-MM-DD."""
    if "deadline_date" in context:
        try:
            context["deadline_date"] = dt.date.fromisoformat(context["deadline_date"])
        except ValueError:
            raise ValueError("'deadline_date' must be YYYY-MM-DD") from None
    return context


_SCHOOL_AND_DEADLINE = frozenset({"school_name", "deadline_date"})

REMINDER = register(NoticeKind(
    name="reminder", label=_("Deadline reminder"), template_prefix="emails/reminder",
    context_keys=SCHOOL_DEADLINE_KEYS, required=_SCHOOL_AND_DEADLINE,
    subject_type=DEADLINE_SCHOOL, preparer=prepare_dates,
    group=True, group_keys=_SCHOOL_AND_DEADLINE,
    group_wording=_("%(school_name)s: the progress report is due on %(deadline_date)s. "
                    "Please submit it in the portal."),
))
OVERDUE = register(NoticeKind(
    name="overdue", label=_("Overdue notice"), template_prefix="emails/overdue",
    context_keys=SCHOOL_DEADLINE_KEYS, required=_SCHOOL_AND_DEADLINE,
    subject_type=DEADLINE_SCHOOL, preparer=prepare_dates,
    group=True, group_keys=_SCHOOL_AND_DEADLINE,
    group_wording=_("%(school_name)s: the progress report due on %(deadline_date)s has "
                    "not been submitted. Please submit it as soon as possible."),
))
RETURNED = register(NoticeKind(
    name="returned", label=_("Report returned for revision"), template_prefix="emails/returned",
    context_keys=SCHOOL_DEADLINE_KEYS, required=_SCHOOL_AND_DEADLINE,
    subject_type=REPORT, preparer=prepare_dates,
))
# The receipt for a submission (issue 8 item 5): to the submitter, the school's
# name and the deadline only — nothing of what the report says.
RECEIPT = register(NoticeKind(
    name="receipt", label=_("Report received"), template_prefix="emails/receipt",
    context_keys={"school_name": (str,), "deadline_date": (str,)},
    required=_SCHOOL_AND_DEADLINE, subject_type=REPORT, preparer=prepare_dates,
))
DIGEST = register(NoticeKind(
    name="digest", label=_("Summary of pending items"), template_prefix="emails/digest",
    context_keys={"count": (int,)},  # how many reports wait for review
    required=frozenset({"count"}),
))

# A published 通报 tells each school it names (late or missing): the school's
# name, the deadline and a link to the school's own reports; never another
# school's name or any figure (issue 8 item 4). Subject: the notice.
BULLETIN_SUBJECT = "reporting.bulletin"
BULLETIN = register(NoticeKind(
    name="bulletin", label=_("Named in a late-school notice"),
    template_prefix="emails/bulletin",
    context_keys={"school_id": (int,), "school_name": (str,), "deadline_id": (int,),
                  "deadline_date": (str,)},
    required=_SCHOOL_AND_DEADLINE,
    subject_type=BULLETIN_SUBJECT, preparer=prepare_dates,
))
