"""reporting's access rules: progress reports and their photos, review, the
bureau's campaigns, the 通报 and exports. Discovered by schools.access; models
are named by label, so this file imports no model.
"""

from schools.access import BureauScope, OwnerScope, Perm, SchoolScope, admin_rule
from schools.models import Role


class ReportingPerm(Perm):
    VIEW_REPORT = "reporting.view_report"
    EDIT_REPORT = "reporting.edit_report"
    REVIEW_REPORT = "reporting.review_report"
    VIEW_CAMPAIGN = "reporting.view_campaign"
    MANAGE_CAMPAIGN = "reporting.manage_campaign"
    # Move a deadline whose 通报 is published or whose date has passed: a
    # revision of history (issue 8 item 3), with a reason, kept as a move.
    REVISE_DEADLINE = "reporting.revise_deadline"


_BA, _IN = Role.BUREAU_ADMIN, Role.INSPECTOR

SCHOOL_RULES = {
    # Progress reports are the school's account of its campaign work (no child
    # data); the principal and the safety officer write them.
    ReportingPerm.VIEW_REPORT: {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER,
                                Role.COUNSELOR},
    ReportingPerm.EDIT_REPORT: {Role.PRINCIPAL, Role.SAFETY_OFFICER},
}
BUREAU_RULES = {
    ReportingPerm.VIEW_REPORT: {_BA, _IN},
    ReportingPerm.REVIEW_REPORT: {_BA, _IN},
    # The bureau's own people know its campaigns exist (the auditor included: the
    # 通报 then refuses it with a 403, not a 404); school staff do not.
    ReportingPerm.VIEW_CAMPAIGN: {_BA, _IN, Role.AUDITOR},
    # Create campaigns and move their deadlines.
    ReportingPerm.MANAGE_CAMPAIGN: {_BA},
    ReportingPerm.REVISE_DEADLINE: {_BA},
}

RECORD_SCOPES = {
    "reporting.progressreport": SchoolScope("school"),
    "reporting.reportphoto": SchoolScope("report__school"),
    "reporting.deadline": BureauScope("campaign__bureau", seen_with=ReportingPerm.VIEW_CAMPAIGN),
    "reporting.bulletin": BureauScope("deadline__campaign__bureau",
                                      seen_with=ReportingPerm.VIEW_CAMPAIGN),
    # Someone else's export is as good as none.
    "reporting.exportjob": OwnerScope("requested_by"),
}

ADMIN_MODEL_RULES = {
    # Campaigns and their calendar belong to the bureau admin; reports are
    # reviewed through admin actions (approve/return), never edited in place.
    "reporting.campaign": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}),
    "reporting.deadline": admin_rule(view={_BA, _IN}, change={_BA}),
    # A deadline's moves: history, shown inline with it, never edited.
    "reporting.deadlinemove": admin_rule(view={_BA, _IN}),
    "reporting.progressreport": admin_rule(view={_BA, _IN}),
}
