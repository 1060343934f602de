"""The lifecycles of the reporting cycle, declared as data (core.workflows).

A progress report: draft → submitted → returned (reason required) →
resubmitted → approved; nothing is edited after submission unless it is
returned, or withdrawn by the school (submitted → draft, until an inspector
has reviewed it; what that means for timeliness: services.report_withdraw).
The 通报: draft → published (its figures frozen). An export job (the
system's own: no person applies these): pending → running (a worker claims it)
→ done or failed, or back to pending when its worker died. Every service that
changes a status goes through these; each change is a ReportTransition row and
an audit row (through core.workflows.transition_applied).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.workflows import Transition, Workflow
from schools import access

from .access_rules import ReportingPerm as Perm
from .models import (
    REVIEWABLE_STATUSES,
    Bulletin,
    ExportJob,
    ProgressReport,
    ReportStatus,
    ReportTransition,
)

S = ReportStatus
REPORT = Workflow(
    model=ProgressReport,
    record_model=ReportTransition,
    subject_field="report",
    authorize=access.allows,
    # The row lock takes the school and the deadline along: every guard and
    # side effect needs them.
    select_related=("deadline__campaign", "school"),
    transitions=[
        Transition("submit", sources={S.DRAFT}, target=S.SUBMITTED,
                   permission=Perm.EDIT_REPORT,
                   refused=_("This report has already been submitted.")),
        Transition("resubmit", sources={S.RETURNED}, target=S.RESUBMITTED,
                   permission=Perm.EDIT_REPORT,
                   refused=_("This report has already been submitted.")),
        # 撤回 (issue 8 item 5): only a first submission nobody has reviewed yet.
        # Once returned or approved the report has been reviewed; a resubmission
        # follows a review, so it is not withdrawn either (the inspector returns
        # it again if the school asks).
        Transition("withdraw", sources={S.SUBMITTED}, target=S.DRAFT,
                   permission=Perm.EDIT_REPORT,
                   refused=_("This report has already been reviewed, so it can no longer be "
                             "withdrawn.")),
        Transition("return", sources=REVIEWABLE_STATUSES, target=S.RETURNED,
                   permission=Perm.REVIEW_REPORT, reason_required=True,
                   refused=_("Only a submitted report can be returned."),
                   reason_missing=_("Give the reason for returning the report.")),
        Transition("approve", sources=REVIEWABLE_STATUSES, target=S.APPROVED,
                   permission=Perm.REVIEW_REPORT,
                   refused=_("Only a submitted report can be approved.")),
    ],
)

B = Bulletin.Status
BULLETIN = Workflow(
    model=Bulletin,
    authorize=access.allows,
    select_related=("deadline__campaign",),
    transitions=[
        Transition("publish", sources={B.DRAFT}, target=B.PUBLISHED,
                   permission=Perm.REVIEW_REPORT,
                   refused=_("This notice has already been published.")),
    ],
)

J = ExportJob.Status
EXPORT_JOB = Workflow(
    model=ExportJob,
    transitions=[
        Transition("claim", sources={J.PENDING}, target=J.RUNNING),
        Transition("finish", sources={J.RUNNING}, target=J.DONE),
        Transition("fail", sources={J.RUNNING}, target=J.FAILED),
        Transition("requeue", sources={J.RUNNING}, target=J.PENDING),
    ],
)
