"""notifications' access rules: the school group robots (principal only) and
the outbox in the admin. Discovered by schools.access; models are named by
label, so this file imports no model."""

from schools.access import Perm, SchoolScope, admin_rule
from schools.models import Role


class NotificationsPerm(Perm):
    # Where the school's group messages go is the first responsible person's
    # decision: the principal alone (not the bureau admin).
    MANAGE_GROUP_ROBOT = "notifications.manage_group_robot"


SCHOOL_RULES = {
    NotificationsPerm.MANAGE_GROUP_ROBOT: {Role.PRINCIPAL},
}

RECORD_SCOPES = {
    "notifications.grouprobot": SchoolScope("school"),
}

ADMIN_MODEL_RULES = {
    # The outbox, for checking that a notice went out; written by services only.
    "notifications.notice": admin_rule(view={Role.BUREAU_ADMIN}),
}
