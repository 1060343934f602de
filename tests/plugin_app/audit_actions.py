"""The test domain's audit words: one transition mapped to a word of the
domain's own, the others registered under "<model label>.<transition>"."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register, register_transition

register("hazard.fix", _("Fix hazard"))
register("plugin_app.hazard.start", _("Start fixing hazard"))
register("plugin_app.hazard.withdraw", _("Withdraw hazard"))
register_transition("plugin_app.hazard", "finish", "hazard.fix")
