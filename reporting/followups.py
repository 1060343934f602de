"""Keeping reporting's follow-ups (reporting.report_due) in step with the
calendar and the reports: one open follow-up per expected school and open
deadline, done when the school first submits. Called by the services in their
own transaction, and nightly by check_followups for anything that went around
them (a school added in the admin, data loaded in bulk)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from followups.models import FollowUp
from followups.services import (
    Opening,
    followup_cancel,
    followup_complete,
    followup_open,
    followup_open_many,
    followup_rearm,
)

from .followup_kinds import REPORT_DUE, REPORT_RESUBMIT, resubmit_due, subject_code
from .models import Deadline, ProgressReport


def _of_deadline(deadline: Deadline):
    return FollowUp.objects.filter(kind=REPORT_DUE,
                                   subject_code__startswith=f"{deadline.pk}:")


def arm_deadlines(deadlines: Iterable[Deadline], *, school_ids: list[int] | None = None) -> int:
    """Open a follow-up for every expected school (of `school_ids`, if given)
    that has not submitted, for each deadline. Idempotent. Returns how many
    were opened. A deadline long past gets its rows too (the report is still
    owed, and shows on 我的待办 as overdue); the scan tells nobody about it
    (the kind's catch_up)."""
    opened = 0
    for deadline in deadlines:
        # An anti-join (NOT EXISTS), not NOT IN (subquery): NOT IN over the
        # ~400,000 submitted schools of a national deadline is a hashed subplan
        # that spills past work_mem, or a per-row rescan.
        submitted = ProgressReport.objects.submitted().filter(deadline=deadline,
                                                              school=OuterRef("pk"))
        schools = (deadline.expected_schools().filter(~Exists(submitted))
                   .order_by().values_list("pk", flat=True))
        if school_ids is not None:
            schools = schools.filter(pk__in=school_ids)
        opened += followup_open_many(kind=REPORT_DUE, openings=(
            Opening(subject_code=subject_code(deadline.pk, school_id), school_id=school_id,
                    due_at=deadline.closes_at,
                    data={"deadline_id": deadline.pk, "school_id": school_id,
                          "deadline_kind": deadline.kind})
            for school_id in schools.iterator(chunk_size=5000)))
    return opened


def report_arrived(report: ProgressReport, *, at: dt.datetime | None = None) -> int:
    """The school submitted: its follow-up is done and reminders not yet sent
    are cancelled."""
    return followup_complete(
        FollowUp.objects.filter(kind=REPORT_DUE,
                                subject_code=subject_code(report.deadline_id, report.school_id)),
        outcome="submitted", at=at)


def report_withdrawn(report: ProgressReport) -> int:
    """The school withdrew its submission (撤回): the report is owed again, so
    its report-due follow-up opens again (if the school is still expected),
    with the deadline's steps — a step already due is told once more by the
    next scan, within the kind's catch-up. Returns how many were opened."""
    return arm_deadlines([report.deadline], school_ids=[report.school_id])


def report_returned(report: ProgressReport, *, at: dt.datetime) -> None:
    """The report came back: the school owes a revision within RESUBMIT_DAYS
    (我的待办 lists it; the morning before it is due the school is reminded)."""
    followup_open(kind=REPORT_RESUBMIT, subject_code=str(report.code),
                  school_id=report.school_id, due_at=resubmit_due(at),
                  data={"school_id": report.school_id, "deadline_id": report.deadline_id,
                        "deadline_kind": report.deadline.kind,
                        "deadline_date": report.deadline.due_date.isoformat()})


def report_resubmitted(report: ProgressReport, *, at: dt.datetime | None = None) -> int:
    """The revision is in: the resubmission follow-up is done."""
    return followup_complete(
        FollowUp.objects.filter(kind=REPORT_RESUBMIT, subject_code=str(report.code)),
        outcome="resubmitted", at=at)


def deadline_moved(deadline: Deadline) -> int:
    """Re-arm the deadline's follow-ups for its new date (a reminder already
    sent for the old date is sent again for the new one; notices for the old
    date not yet sent are cancelled), and open any that a later date brings
    back within reach."""
    rearmed = followup_rearm(_of_deadline(deadline), due_at=deadline.closes_at)
    return rearmed + arm_deadlines([deadline])


def school_changed(school, *, at: dt.datetime | None = None) -> None:
    """Per campaign of the school's bureau: a school closed or out of the
    campaign today has every follow-up cancelled (it will not report again);
    otherwise it gets follow-ups for the deadlines that expect it
    (Deadline.expects: after it joined, of a type in scope) and loses those of
    the others."""
    from .models import Campaign

    for campaign in Campaign.objects.filter(bureau_id=school.bureau_id):
        deadlines = list(campaign.deadlines.select_related("campaign"))
        owed = [d for d in deadlines if school.is_counted and d.expects(school)]
        if owed:
            arm_deadlines(owed, school_ids=[school.pk])
        codes = [subject_code(d.pk, school.pk) for d in deadlines if d not in owed]
        if codes:
            followup_cancel(FollowUp.objects.filter(kind=REPORT_DUE, subject_code__in=codes),
                            outcome="school not expected", at=at)
