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
REFERRAL_ATTACH = register("referral.attach", _("Keep a photo with a referral"))
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
DISPUTE_REMOVE = register("dispute.remove", _("Take back a dispute recorded by mistake"))
DISPUTE_RETURN_SUBMIT = register("dispute_return.submit", _("File a dispute-screening return"))
DISPUTE_RESOLVE = register("dispute.resolve", _("Dispute resolved"))
DISPUTE_TRANSFER = register("dispute.transfer", _("Dispute transferred"))
DISPUTE_DAY_SET = register("dispute_schedule.set", _("Set the dispute-return due day"))
EXPORT_DISPUTES = register("export.dispute_returns", _("Export dispute-return completeness"))
register_transition("incidents.dispute", "resolve", DISPUTE_RESOLVE.code)
register_transition("incidents.dispute", "transfer", DISPUTE_TRANSFER.code)

# Bullying cases (学生欺凌): child-level records, by code only.
BULLYING_REPORT = register("bullying.report", _("Record a bullying case"))
BULLYING_STOP = register("bullying.stop", _("Bullying stopped and made safe"))
BULLYING_GUARDIANS = register("bullying.guardians", _("Guardians informed of bullying"))
BULLYING_LINK = register("bullying.link_referral", _("Link a bullying case to a report"))
BULLYING_NOTE = register("bullying.note", _("Add to a bullying case's chronology"))
BULLYING_SUPPORT = register("bullying.support", _("Psychological support after bullying"))
BULLYING_SCHEDULE_VISIT = register("bullying.schedule_visit", _("Give a follow-up visit"))
BULLYING_VISIT = register("bullying.visit", _("Record a follow-up visit"))
for _name, _label in (("investigate", _("Bullying investigation started")),
                      ("decide", _("Bullying case decided")),
                      ("appeal", _("Bullying decision appealed")),
                      ("recheck", _("Bullying re-check recorded")),
                      ("follow_up", _("Bullying case: follow-up")),
                      ("close", _("Close a bullying case"))):
    register_transition("incidents.bullyingcase", _name,
                        register(f"bullying.{_name}", _label).code)
