"""The reporting cycle's words on the audit trail (found by core.discovery).

Report and 通报 transitions are mapped from the workflows' transition names
(reporting/workflows.py), so their rows are written by audit's receiver of
core.workflows.transition_applied; the deadline move (not a transition) is
recorded by its service, with the published 通报 it supersedes.
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
# Its deadline moved after publication (reporting.services.deadline_move).
BULLETIN_SUPERSEDE = register("bulletin.supersede", _("Late-school notice superseded"))

for _name, _action in (("submit", REPORT_SUBMIT), ("resubmit", REPORT_RESUBMIT),
                       ("return", REPORT_RETURN), ("approve", REPORT_APPROVE),
                       ("withdraw", REPORT_WITHDRAW)):
    register_transition("reporting.progressreport", _name, _action.code)
register_transition("reporting.bulletin", "publish", BULLETIN_PUBLISH.code)
