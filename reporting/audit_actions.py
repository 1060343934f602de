"""The reporting cycle's words on the audit trail (found by core.discovery).

Report transitions are mapped from the workflow's transition names, so the rows
appear by themselves once reporting.services applies core.workflows; the
deadline move and the notice's publication are recorded by their services.
"""

from django.utils.translation import gettext_lazy as _

from audit.actions import register, register_transition

REPORT_SUBMIT = register("report.submit", _("Submit report"))
REPORT_RESUBMIT = register("report.resubmit", _("Resubmit report"))
REPORT_RETURN = register("report.return", _("Return report"))
REPORT_APPROVE = register("report.approve", _("Approve report"))
REPORT_WITHDRAW = register("report.withdraw", _("Withdraw report"))
DEADLINE_MOVE = register("deadline.move", _("Move deadline"))
BULLETIN_PUBLISH = register("bulletin.publish", _("Publish late-school notice"))

for _name, _action in (("submit", REPORT_SUBMIT), ("resubmit", REPORT_RESUBMIT),
                       ("return", REPORT_RETURN), ("approve", REPORT_APPROVE),
                       ("withdraw", REPORT_WITHDRAW)):
    register_transition("reporting.progressreport", _name, _action.code)
