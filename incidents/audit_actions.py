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
