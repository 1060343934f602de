"""notifications' access rules: the outbox in the admin. Discovered by schools.access."""

from schools.access import admin_rule
from schools.models import Role

ADMIN_MODEL_RULES = {
    # The outbox, for checking that a notice went out; written by services only.
    "notifications.notice": admin_rule(view={Role.BUREAU_ADMIN}),
}
