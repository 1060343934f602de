"""schools' access rules: seeing a school and its people, its task force, the
district overview, the admin site, and the admin rows of the ground floor's
models and of the third-party apps the admin shows (axes, Celery beat).

Discovered by schools.access on first use (core.discovery); see
schools/access/rules.py for what a rule file may declare.
"""

from .access import Perm, PupilScope, SchoolScope, admin_rule
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
    # Give or take a role, or change an account, of the people of one's own
    # bureau only (schools.access.may_manage_account; issue 9 item 7).
    MANAGE_ACCOUNTS = "schools.manage_accounts"
    # Pupils (issue 9). Child-level: reached through PupilScope, so a head
    # teacher holds these only for the classes they lead this school year.
    VIEW_PUPIL = "schools.view_pupil"
    # A pupil's priority-group circumstances: the school's named people, behind
    # a recent second factor.
    VIEW_CIRCUMSTANCES = "schools.view_circumstances"
    RECORD_CIRCUMSTANCE = "schools.record_circumstance"
    # Import, edit and export the roster; sees the 学籍号 unmasked.
    MANAGE_ROSTER = "schools.manage_roster"
    # Add and edit a pupil's guardians and choose the primary contact: the
    # roster's managers and the pupil's own head teacher (class-bound).
    EDIT_GUARDIANS = "schools.edit_guardians"
    # "Who looked at this record" on a pupil's page.
    VIEW_PUPIL_ACCESS_LOG = "schools.view_pupil_access_log"
    # Counts of pupils by school and priority group, never a name (bureau).
    VIEW_PUPIL_COUNTS = "schools.view_pupil_counts"
    # 我的班级: the page of the classes one leads (a class-bound role), which
    # shows an empty state to a head teacher who leads none this year.
    VIEW_OWN_CLASSES = "schools.view_own_classes"


# Whoever holds this at a school sees the school and what hangs off it; a school
# they do not see is a 404 to them.
SCHOOL_VISIBILITY = SchoolsPerm.VIEW_SCHOOL
# Whoever holds this sees a pupil (and the child-level records about them);
# staff and every bureau role hold it nowhere.
PUPIL_VISIBILITY = SchoolsPerm.VIEW_PUPIL
# The head teacher reaches a pupil only through the classes they lead this
# school year (Membership.classes, SchoolClass.school_year).
CLASS_BOUND_ROLES = {Role.HEAD_TEACHER}

_NAMED_PEOPLE = {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER, Role.COUNSELOR}

SCHOOL_RULES = {
    SchoolsPerm.VIEW_SCHOOL: SCHOOL_ROLES,
    SchoolsPerm.VIEW_SCHOOL_PEOPLE: {Role.PRINCIPAL, Role.SAFETY_OFFICER},
    SchoolsPerm.MANAGE_TASK_FORCE: {Role.PRINCIPAL},
    SchoolsPerm.VIEW_PUPIL: _NAMED_PEOPLE,
    SchoolsPerm.VIEW_CIRCUMSTANCES: _NAMED_PEOPLE,
    SchoolsPerm.RECORD_CIRCUMSTANCE: {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER},
    SchoolsPerm.MANAGE_ROSTER: {Role.PRINCIPAL, Role.SAFETY_OFFICER},
    SchoolsPerm.EDIT_GUARDIANS: {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER},
    SchoolsPerm.VIEW_PUPIL_ACCESS_LOG: {Role.PRINCIPAL},
    SchoolsPerm.VIEW_OWN_CLASSES: {Role.HEAD_TEACHER},
}
BUREAU_RULES = {
    # The auditor belongs to the bureau but sees no school.
    SchoolsPerm.VIEW_SCHOOL: {Role.BUREAU_ADMIN, Role.INSPECTOR},
    SchoolsPerm.VIEW_SCHOOL_PEOPLE: {Role.BUREAU_ADMIN, Role.INSPECTOR},
    SchoolsPerm.MANAGE_TASK_FORCE: {Role.BUREAU_ADMIN},
    SchoolsPerm.RESET_SECOND_FACTOR: {Role.BUREAU_ADMIN},
    SchoolsPerm.MANAGE_ACCOUNTS: {Role.BUREAU_ADMIN},
    SchoolsPerm.VIEW_PUPIL_COUNTS: {Role.BUREAU_ADMIN, Role.INSPECTOR},
}
GLOBAL_RULES = {
    SchoolsPerm.VIEW_DISTRICT: {Role.BUREAU_ADMIN, Role.INSPECTOR},
    SchoolsPerm.USE_ADMIN: {Role.BUREAU_ADMIN, Role.INSPECTOR},
}
SUPERUSER_PERMS = {SchoolsPerm.USE_ADMIN}

RECORD_SCOPES = {
    "schools.school": SchoolScope(""),
    "schools.pupil": PupilScope(""),
    "schools.circumstance": PupilScope("pupil"),
    "schools.guardian": PupilScope("pupil"),
    # A roster file kept between an import's preview and its confirmation.
    "schools.rosterupload": SchoolScope("school"),
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
    # The school calendar (issue 11): terms and the bureau's own closures and
    # make-up days, kept by the bureau admin.
    "schools.schoolterm": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}, delete={_BA}),
    "schools.calendarday": admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}, delete={_BA}),
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
