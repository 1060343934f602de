"""attendance's access rules: the class register (issue 11 items 1 and 8).
Discovered by schools.access; models are named by label.

- A class's register is kept by its head teacher (the classes they lead this
  school year) and by any member of staff the principal allowed for that
  class (RegisterKeeper); the principal and the safety officer keep every
  class of their school. The perm is held at the school by these roles;
  attendance.keepers narrows it to the classes (one place, used by every
  page and service).
- The counselor reads the school's registers; other staff read none.
- The principal allows a teacher to keep a class's register.
"""

from schools.access import Perm, SchoolScope
from schools.models import Role


class AttendancePerm(Perm):
    TAKE_REGISTER = "attendance.take_register"
    VIEW_REGISTERS = "attendance.view_registers"
    ALLOW_KEEPER = "attendance.allow_keeper"


# Who holds a perm for the whole school; the others hold it for the classes
# they keep (attendance.keepers).
WHOLE_SCHOOL = {
    AttendancePerm.TAKE_REGISTER: frozenset({Role.PRINCIPAL, Role.SAFETY_OFFICER}),
    AttendancePerm.VIEW_REGISTERS: frozenset({Role.PRINCIPAL, Role.SAFETY_OFFICER,
                                              Role.COUNSELOR}),
}

SCHOOL_RULES = {
    AttendancePerm.TAKE_REGISTER: {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER,
                                   Role.STAFF},
    AttendancePerm.VIEW_REGISTERS: {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.COUNSELOR,
                                    Role.HEAD_TEACHER, Role.STAFF},
    AttendancePerm.ALLOW_KEEPER: {Role.PRINCIPAL},
}

RECORD_SCOPES = {
    "attendance.classregister": SchoolScope("school", seen_with=AttendancePerm.VIEW_REGISTERS),
    "attendance.attendancemark": SchoolScope("register__school",
                                             seen_with=AttendancePerm.VIEW_REGISTERS),
    "attendance.markchange": SchoolScope("register__school",
                                         seen_with=AttendancePerm.VIEW_REGISTERS),
    "attendance.registerkeeper": SchoolScope("school_class__school",
                                             seen_with=AttendancePerm.ALLOW_KEEPER),
}
