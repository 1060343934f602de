"""The test-only hazards app's access rules: its own permissions, role rules and
record scope, added as a file — the engine in schools/access/ is not edited."""

from schools.access import Perm, SchoolScope
from schools.models import SCHOOL_ROLES, Role


class HazardPerm(Perm):
    VIEW_HAZARD = "plugin_app.view_hazard"
    FIX_HAZARD = "plugin_app.fix_hazard"


SCHOOL_RULES = {
    HazardPerm.VIEW_HAZARD: SCHOOL_ROLES,
    HazardPerm.FIX_HAZARD: {Role.PRINCIPAL, Role.SAFETY_OFFICER},
}
BUREAU_RULES = {
    HazardPerm.VIEW_HAZARD: {Role.BUREAU_ADMIN, Role.INSPECTOR},
}
RECORD_SCOPES = {
    "plugin_app.hazard": SchoolScope("school"),
}
