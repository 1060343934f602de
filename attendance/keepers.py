"""Who keeps which class's register (issue 11 item 1): the one place that
narrows attendance's school-level perms to classes. Head teachers keep the
classes they lead this school year (schools.access.led_class_ids), a teacher
the classes the principal allowed them (RegisterKeeper), the principal and
the safety officer every class of their school (WHOLE_SCHOOL)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from schools import access
from schools.models import Role, School, SchoolClass
from schools.school_year import current_school_year

from .access_rules import WHOLE_SCHOOL, AttendancePerm
from .models import RegisterKeeper


def whole_school(user, perm: AttendancePerm, school_id: int) -> bool:
    """Does `user` hold `perm` for every class of school `school_id`?"""
    roles = access.school_roles_of(user).get(school_id, frozenset())
    return bool(roles & WHOLE_SCHOOL.get(perm, frozenset()))


def keeps(user, school_class: SchoolClass,
          perm: AttendancePerm = AttendancePerm.TAKE_REGISTER) -> bool:
    """May `user` exercise `perm` (take, or read, the register) on
    `school_class`? Only a class of the current school year is kept. At most
    one query beyond the grants and the led classes."""
    if school_class.school_year != current_school_year():
        return False
    if not access.can(user, perm, school_class.school):
        return False
    if whole_school(user, perm, school_class.school_id):
        return True
    if school_class.pk in access.led_class_ids(user).get(school_class.school_id, ()):
        return True
    return RegisterKeeper.objects.filter(school_class=school_class, user=user).exists()


# Roles that are given the register page even when they keep no class yet
# (its empty state says why): the head teacher leads classes, the principal
# and the safety officer keep the whole school.
_LISTED_ROLES = frozenset({Role.HEAD_TEACHER, Role.PRINCIPAL, Role.SAFETY_OFFICER})


def may_list(user) -> bool:
    """May `user` open 今日考勤? A head teacher, a principal or a safety
    officer anywhere, or a member of staff the principal allowed to keep a
    class of this school year; other staff have no register (issue 11 item
    8: staff none). At most one query beyond the grants."""
    schools = access.schools_for(user, AttendancePerm.TAKE_REGISTER)
    if not schools:
        return False
    roles = access.school_roles_of(user)
    if any(roles.get(school_id, frozenset()) & _LISTED_ROLES for school_id in schools):
        return True
    return RegisterKeeper.objects.filter(user=user, school_class__school_id__in=schools,
                                         school_class__school_year=current_school_year()
                                         ).exists()


def kept_classes(user, perm: AttendancePerm = AttendancePerm.TAKE_REGISTER,
                 school: School | None = None) -> QuerySet[SchoolClass]:
    """The classes of the current school year whose register `user` may
    take (or read, with VIEW_REGISTERS), of `school` or of every school,
    by school, grade and number. One query to run."""
    q = Q(pk__in=[])
    for school_id in access.schools_for(user, perm):
        if school is not None and school_id != school.pk:
            continue
        if whole_school(user, perm, school_id):
            q |= Q(school_id=school_id)
        else:
            q |= Q(school_id=school_id, pk__in=sorted(
                access.led_class_ids(user).get(school_id, ()))) \
                | Q(school_id=school_id, register_keepers__user=user)
    return (SchoolClass.objects.filter(q, school_year=current_school_year())
            .select_related("school").distinct().order_by("school__name", "grade", "number"))
