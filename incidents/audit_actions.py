"""incidents' words on the audit trail (found by core.discovery). Referral
transitions are mapped from the workflow's names (incidents/workflows.py); the
other business actions are announced by incidents.services. Rows carry codes
only: never a child's name, what was seen, or a receipt number."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register, register_transition

CONCERN_LOG = register("concern.log", _("Log a concern"))
REFERRAL_OPEN = register("referral.open", _("Open a referral"))
REFERRAL_AGENCY_REPORT = register("referral.agency_report", _("Record a report to a department"))
REFERRAL_NOTE = register("referral.note", _("Add to a referral's chronology"))
REFERRAL_REPORT = register("referral.report", _("Referral reported"))
REFERRAL_ACCEPT = register("referral.accept", _("Referral accepted"))
REFERRAL_COOPERATE = register("referral.cooperate", _("Referral: cooperating"))
REFERRAL_CLOSE = register("referral.close", _("Close a referral"))
EXPORT_COUNTS = register("export.referral_counts", _("Export mandatory-reporting counts"))

for _name, _action in (("report", REFERRAL_REPORT), ("accept", REFERRAL_ACCEPT),
                       ("cooperate", REFERRAL_COOPERATE), ("close", REFERRAL_CLOSE)):
    register_transition("incidents.referral", _name, _action.code)

# The monthly dispute screening (矛盾纠纷排查): a school-level record.
DISPUTE_ADD = register("dispute.add", _("Record a dispute"))
DISPUTE_RETURN_SUBMIT = register("dispute_return.submit", _("File a dispute-screening return"))
DISPUTE_RESOLVE = register("dispute.resolve", _("Dispute resolved"))
DISPUTE_TRANSFER = register("dispute.transfer", _("Dispute transferred"))
DISPUTE_DAY_SET = register("dispute_schedule.set", _("Set the dispute-return due day"))
EXPORT_DISPUTES = register("export.dispute_returns", _("Export dispute-return completeness"))
register_transition("incidents.dispute", "resolve", DISPUTE_RESOLVE.code)
register_transition("incidents.dispute", "transfer", DISPUTE_TRANSFER.code)
