"""Who and where: the district bureau, its schools, their classes and people.

A person's role is never a flag on the user: it is a Membership that places a
user at a school (school roles) or at the bureau (bureau roles). Access rules
read these rows through schools.access, never directly in views.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.models import TimeStampedModel

if TYPE_CHECKING:
    from collections.abc import Iterable


class User(AbstractUser):
    """A person who signs in. Names are Chinese full names, so one field."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The portal and the e-mails it sends speak this language."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        # Chinese names are short; the admin greets people by this.
        return self.get_full_name()


class Bureau(TimeStampedModel):
    """The district education and sports bureau (区教体局)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # 机关代字 (GB/T 9704-2012 发文字号): the short name before 〔year〕 in the
    # number of each official notice, e.g. 示例区教体局〔2026〕12号.
    doc_code = models.CharField(
        _("document issuer code"), max_length=30, blank=True,
        help_text=_("The short name that opens the number of the bureau's official "
                    "notices (机关代字), e.g. 示例区教体局. Empty: the bureau's name."),
    )

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")

    def __str__(self) -> str:
        return self.name

    @property
    def issuer_code(self) -> str:
        """The 机关代字 of the bureau's document numbers: doc_code, else its name."""
        return self.doc_code.strip() or self.name


class SchoolType(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")
    SENIOR = "senior", _("Senior secondary school")
    NINE_YEAR = "nine_year", _("Nine-year school")
    COMPLETE_SECONDARY = "complete_secondary", _("Complete secondary school")
    TWELVE_YEAR = "twelve_year", _("Twelve-year school")
    SPECIAL = "special", _("Special education school")


# ------------------------------------------------------------------ membership
#
# THE rule of who is expected when (issue 8 item 3: history cannot be rewritten
# silently). A school belongs to the campaign from `joined_on` until
# `closed_on` (the first day it is closed or out of the campaign; None while it
# is open and in it). It is expected to report for a deadline due on `day` when
#
#     joined_on < day  and  (closed_on is None or day < closed_on)
#
# so a school added today owes nothing for any deadline already due, and one
# closed today still counts for every deadline before today: no past rate, no
# past 通报 changes. The three forms below are the same rule for the three
# places it is asked (a Python value, schools filtered for a day, days filtered
# for a school); tests/schools/test_membership_rule.py checks they agree.
# reporting adds the campaign's scope (bureau and school types) on top:
# reporting.models.Deadline.expected_schools / expects.


def in_period(day: dt.date, joined_on: dt.date, closed_on: dt.date | None) -> bool:
    """Is a school that joined on `joined_on` (and closed on `closed_on`, or
    None) expected for a deadline due on `day`?"""
    return joined_on < day and (closed_on is None or day < closed_on)


def expected_on_q(day, prefix: str = "") -> Q:
    """The rule as a filter on schools (`prefix` "school__" from a related
    model). `day` is a date or an expression (OuterRef("due_date"))."""
    return Q(**{f"{prefix}joined_on__lt": day}) & (
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": day}))


def days_expected_q(field: str, joined_on: dt.date, closed_on: dt.date | None) -> Q:
    """The rule as a filter on dates (`field`, e.g. "due_date") for one school."""
    q = Q(**{f"{field}__gt": joined_on})
    return q if closed_on is None else q & Q(**{f"{field}__lt": closed_on})


class SchoolQuerySet(models.QuerySet):
    def expected_on(self, day) -> SchoolQuerySet:
        """Schools that belong to the campaign on `day` (in_period), any bureau."""
        return self.filter(expected_on_q(day))

    def open(self) -> SchoolQuerySet:
        return self.filter(is_open=True)

    def in_campaign(self) -> SchoolQuerySet:
        """Schools the bureau expects reports from: open and in the campaign."""
        return self.filter(is_open=True, in_campaign=True)

    def visible_to(self, user) -> SchoolQuerySet:
        from .access import visible_school_ids_q

        return self.filter(visible_school_ids_q(user))


class School(TimeStampedModel):
    bureau = models.ForeignKey(
        Bureau, on_delete=models.PROTECT, related_name="schools", verbose_name=_("bureau")
    )
    code = models.CharField(_("school code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    school_type = models.CharField(_("school type"), max_length=20, choices=SchoolType.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_open = models.BooleanField(
        _("open"), default=True, help_text=_("A closed school is no longer expected to report.")
    )
    in_campaign = models.BooleanField(
        _("in the campaign"),
        default=True,
        help_text=_("Whether the special campaign covers this school."),
    )
    # Set by schools.receivers when the flags above change (never typed in):
    # the period in which the school is expected to report (in_period).
    joined_on = models.DateField(
        _("joined the campaign on"), default=clock.today,
        help_text=_("The school reports for deadlines after this day."),
    )
    closed_on = models.DateField(
        _("closed or left the campaign on"), null=True, blank=True,
        help_text=_("The school reports for no deadline from this day on."),
    )

    objects = SchoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["code"]
        indexes = [
            # A bureau's schools in code order: the dashboard's keyset pages
            # (WHERE bureau = … AND code > … ORDER BY code LIMIT 51).
            models.Index(fields=["bureau", "code"], name="school_bureau_code_idx"),
        ]
        constraints = [
            # An open school in the campaign has no closing day; any other has one.
            models.CheckConstraint(
                condition=(Q(is_open=True, in_campaign=True, closed_on__isnull=True)
                           | ((Q(is_open=False) | Q(in_campaign=False))
                              & Q(closed_on__isnull=False))),
                name="school_closed_on_matches_flags",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_counted(self) -> bool:
        """Open and in the campaign today (no closing day)."""
        return self.is_open and self.in_campaign

    def expected_on(self, day: dt.date) -> bool:
        """in_period for this school."""
        return in_period(day, self.joined_on, self.closed_on)

    @property
    def principal_memberships(self) -> Iterable[Membership]:
        """The principal is the school's first responsible person (第一责任人).

        Reads prefetched memberships when present, so lists stay at a fixed
        number of queries.
        """
        return [
            m
            for m in self.memberships.all()
            if m.role == Role.PRINCIPAL and m.is_active and m.user.is_active
        ]


def _current_school_year() -> int:
    from .school_year import current_school_year

    return current_school_year()


class SchoolClass(models.Model):
    """A class (班级) of one school year: grade and class number within a school.
    Next year's 四年级2班 is another row, so a pupil's enrolment history and a
    head teacher's classes keep their year (schools.school_year)."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="classes", verbose_name=_("school")
    )
    school_year = models.PositiveSmallIntegerField(
        _("school year"), default=_current_school_year,
        help_text=_("The calendar year the school year starts in: 2026 is 2026–2027."),
    )
    grade = models.PositiveSmallIntegerField(
        _("grade"), help_text=_("1-12; kindergarten years are 1-3 (小班, 中班, 大班).")
    )
    number = models.PositiveSmallIntegerField(_("class number"))

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["school", "-school_year", "grade", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year", "grade", "number"],
                                    name="class_unique_per_year"),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=12), name="class_grade_1_12"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="class_number_positive"),
        ]

    def __str__(self) -> str:
        return _("Grade %(grade)s Class %(number)s") % {"grade": self.grade, "number": self.number}

    @property
    def short_name(self) -> str:
        """"3年级2班" style (translated), the way rosters write a class."""
        return str(self)


class Role(models.TextChoices):
    # School roles
    PRINCIPAL = "principal", _("Principal")
    SAFETY_OFFICER = "safety_officer", _("Safety officer")
    HEAD_TEACHER = "head_teacher", _("Head teacher")
    COUNSELOR = "counselor", _("Counselor")
    STAFF = "staff", _("Staff")
    # 强制报告负责人: a designation the principal gives (typically to the
    # principal and the safety officer), held beside the person's own role;
    # the school's mandatory-reporting referrals are theirs (issue 10).
    REPORTING_LEAD = "reporting_lead", _("Mandatory-reporting lead")
    # Bureau roles
    BUREAU_ADMIN = "bureau_admin", _("Bureau administrator")
    INSPECTOR = "inspector", _("Inspector")
    AUDITOR = "auditor", _("Auditor")
    # The bureau's named child-protection officer: sees its schools' referrals
    # with the child's name, to cooperate with the police (issue 10 item 6).
    PROTECTION_OFFICER = "protection_officer", _("Child-protection officer")


SCHOOL_ROLES = frozenset(
    {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER, Role.COUNSELOR, Role.STAFF,
     Role.REPORTING_LEAD}
)
BUREAU_ROLES = frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR, Role.AUDITOR,
                          Role.PROTECTION_OFFICER})


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(TimeStampedModel):
    """Gives a user one role at one school, or one role at the bureau."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        verbose_name=_("school"),
    )
    bureau = models.ForeignKey(
        Bureau,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        verbose_name=_("bureau"),
    )
    classes = models.ManyToManyField(
        SchoolClass,
        blank=True,
        related_name="head_teacher_memberships",
        verbose_name=_("classes led"),
        help_text=_("For head teachers: the classes they lead."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # A school role names a school and no bureau; a bureau role the reverse.
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(r.value for r in SCHOOL_ROLES), school__isnull=False,
                      bureau__isnull=True)
                    | Q(role__in=sorted(r.value for r in BUREAU_ROLES), school__isnull=True,
                        bureau__isnull=False)
                ),
                name="membership_role_matches_place",
            ),
            models.UniqueConstraint(
                fields=["user", "school", "role"],
                condition=Q(school__isnull=False),
                name="membership_unique_school_role",
            ),
            models.UniqueConstraint(
                fields=["user", "bureau", "role"],
                condition=Q(bureau__isnull=False),
                name="membership_unique_bureau_role",
            ),
        ]

    def __str__(self) -> str:
        place = self.school or self.bureau
        return f"{self.user} · {self.get_role_display()} · {place}"


class TaskForceMember(TimeStampedModel):
    """A member of a school's campaign task force (工作专班); one of them leads it."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="task_force", verbose_name=_("school")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="task_forces", verbose_name=_("member")
    )
    duty = models.CharField(
        _("responsibility"),
        max_length=100,
        blank=True,
        help_text=_("What this member is responsible for, e.g. 心理健康 or 校园安保."),
    )
    is_leader = models.BooleanField(_("leader"), default=False)

    class Meta:
        verbose_name = _("task force member")
        verbose_name_plural = _("task force members")
        ordering = ["school", "-is_leader", "id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "user"], name="task_force_member_once"),
            models.UniqueConstraint(
                fields=["school"], condition=Q(is_leader=True), name="task_force_one_leader"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.duty})" if self.duty else str(self.user)


# Pupils, guardians, enrolments and circumstances live in their own module; they
# are models of this app.
from .calendar_models import CalendarDay, SchoolTerm  # noqa: E402,F401
from .pupil_models import (  # noqa: E402,F401
    Circumstance,
    DifficultyType,
    Enrolment,
    Gender,
    Guardian,
    GuardianRelationship,
    PriorityGroup,
    Pupil,
    PupilStatus,
    PupilStatusChange,
)

# Roster files kept between an import's preview and its confirmation.
from .roster_models import RosterUpload, RosterUploadStatus  # noqa: E402,F401
