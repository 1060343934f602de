"""schools' access rules: seeing a school and its people, its task force, the
district overview, the admin site, and the admin rows of the ground floor's
models and of the third-party apps the admin shows (axes, Celery beat).

Discovered by schools.access on first use (core.discovery); see
schools/access/rules.py for what a rule file may declare.
"""

from .access import Perm, SchoolScope, admin_rule
from .models import SCHOOL_ROLES, Role


class SchoolsPerm(Perm):
    VIEW_SCHOOL = "schools.view_school"
    VIEW_SCHOOL_PEOPLE = "schools.view_school_people"
    MANAGE_TASK_FORCE = "schools.manage_task_force"
    VIEW_DISTRICT = "schools.view_district"
    USE_ADMIN = "schools.use_admin"
    # Remove a person's TOTP device and recovery codes (a lost phone); never
    # the auditor's (schools.access.may_reset_credentials).
    RESET_SECOND_FACTOR = "schools.reset_second_factor"


# Whoever holds this at a school sees the school and what hangs off it; a school
# they do not see is a 404 to them.
SCHOOL_VISIBILITY = SchoolsPerm.VIEW_SCHOOL

SCHOOL_RULES = {
    SchoolsPerm.VIEW_SCHOOL: SCHOOL_ROLES,
    SchoolsPerm.VIEW_SCHOOL_PEOPLE: {Role.PRINCIPAL, Role.SAFETY_OFFICER},
    SchoolsPerm.MANAGE_TASK_FORCE: {Role.PRINCIPAL},
}
BUREAU_RULES = {
    # The auditor belongs to the bureau but sees no school.
    SchoolsPerm.VIEW_SCHOOL: {Role.BUREAU_ADMIN, Role.INSPECTOR},
    SchoolsPerm.VIEW_SCHOOL_PEOPLE: {Role.BUREAU_ADMIN, Role.INSPECTOR},
    SchoolsPerm.MANAGE_TASK_FORCE: {Role.BUREAU_ADMIN},
    SchoolsPerm.RESET_SECOND_FACTOR: {Role.BUREAU_ADMIN},
}
GLOBAL_RULES = {
    SchoolsPerm.VIEW_DISTRICT: {Role.BUREAU_ADMIN, Role.INSPECTOR},
    SchoolsPerm.USE_ADMIN: {Role.BUREAU_ADMIN, Role.INSPECTOR},
}
SUPERUSER_PERMS = {SchoolsPerm.USE_ADMIN}

RECORD_SCOPES = {
    "schools.school": SchoolScope(""),
}

_BA, _IN = Role.BUREAU_ADMIN, Role.INSPECTOR
ADMIN_MODEL_RULES = {
    "schools.user": admin_rule(view={_BA}, add={_BA}, change={_BA}),
    "schools.bureau": admin_rule(view={_BA, _IN}, change={_BA}),
    "schools.school": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}),
    "schools.schoolclass": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}, delete={_BA}),
    "schools.membership": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}, delete={_BA}),
    "schools.taskforcemember": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA},
                                          delete={_BA}),
    # A locked-out teacher is unlocked by deleting their attempt record.
    "axes.accessattempt": admin_rule(view={_BA}, delete={_BA}),
    "axes.accesslog": admin_rule(view={_BA}),
    "axes.accessfailurelog": admin_rule(view={_BA}),
    # Schedules are operated by deployment (setup_periodic_tasks), not by hand:
    # superusers only.
    "django_celery_beat.periodictask": admin_rule(),
    "django_celery_beat.crontabschedule": admin_rule(),
    "django_celery_beat.intervalschedule": admin_rule(),
    "django_celery_beat.solarschedule": admin_rule(),
    "django_celery_beat.clockedschedule": admin_rule(),
}
