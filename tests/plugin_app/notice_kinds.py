"""The hazards app's notice kind: registered by adding this file (found by
core.discovery), with its own templates under tests/plugin_app/templates/."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from notifications.kinds import NoticeKind, register


def prepare(context: dict) -> dict:
    if "fix_by" in context:
        context["fix_by"] = dt.date.fromisoformat(context["fix_by"])
    return context


HAZARD_DUE = register(NoticeKind(
    name="hazard_due",
    label=_("Hazard to fix"),
    template_prefix="plugin_app/emails/hazard_due",
    context_keys={"school_name": (str,), "fix_by": (str,), "hazard_title": (str,)},
    required=frozenset({"school_name", "fix_by"}),
    subject_type="plugin_app.hazard",
    preparer=prepare,
    group=True,
    group_keys=frozenset({"school_name"}),
    group_wording=_("%(school_name)s: a record needs attention."),
))
