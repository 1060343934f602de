"""The outbox's own kind: the principal's "send a test message" to a group robot.

Group only (no e-mail templates); it names the school and nothing else.
"""

from django.utils.translation import gettext_lazy as _

from .kinds import NoticeKind, register

ROBOT_TEST = register(NoticeKind(
    name="robot_test",
    label=_("Group robot test message"),
    template_prefix=None,
    context_keys={"school_name": (str,)},
    required=frozenset({"school_name"}),
    subject_type="notifications.grouprobot",
    group=True,
    group_wording=_("%(school_name)s: this is a test message. The portal's notices will "
                    "appear in this group."),
    group_keys=frozenset({"school_name"}),
))
