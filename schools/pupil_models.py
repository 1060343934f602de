"""Pupils on the roll, their guardians, their class in each school year and the
circumstances that make them a priority (issue 9 items 1–2).

Child-level records. Who may see them is the access layer's business
(`Pupil.objects.visible_to(user)`, schools/access_rules.py); each open, export
or print is an audit row (get_for_user(..., sensitive=True)). A pupil's name
and 学籍号 never go into a log, an e-mail, a task payload or the audit trail:
those carry the public `code` (a UUID) only.

The 学籍号 is the key within a bureau (a pupil moving between two schools of
the bureau is a transfer, not a second pupil). No ID-card number is stored on
its own; one embedded in a 学籍号 is shown masked (schools.student_numbers).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.models import TimeStampedModel, TransitionRecord


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PupilStatus(models.TextChoices):
    """学籍状态. Only 在读 pupils are on a class list; the others keep their
    record and history."""

    ENROLLED = "enrolled", _("Enrolled")  # 在读
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")  # 转出
    SUSPENDED = "suspended", _("Suspended schooling")  # 休学
    DROPPED_OUT = "dropped_out", _("Dropped out")  # 辍学
    GRADUATED = "graduated", _("Graduated")  # 毕业
    DECEASED = "deceased", _("Deceased")  # 死亡


class PriorityGroup(models.TextChoices):
    """The priority groups of 控辍保学 (MOE General Office notice, April 2024;
    domain.md §4)."""

    ORPHAN = "orphan", _("Orphan")  # 孤儿
    UNSUPPORTED = "unsupported", _("Child without de facto support")  # 事实无人抚养儿童
    DISABLED = "disabled", _("Child with a disability")  # 残疾儿童
    LEFT_BEHIND = "left_behind", _("Left-behind child")  # 留守儿童
    IN_DIFFICULTY = "in_difficulty", _("Child in difficulty")  # 困境儿童
    MIGRANT = "migrant", _("Migrant child")  # 随迁子女
    JUSTICE_INVOLVED = "justice_involved", _("Minor involved in a case")  # 涉案未成年人


class DifficultyType(models.TextChoices):
    """The sub-type of 困境儿童 (国发〔2016〕36号; local enum DifficultyType,
    domain.md §4)."""

    ORPHAN = "orphan", _("Orphan (difficulty)")  # 孤儿
    OWN = "own", _("Own difficulty")  # 自身困境
    FAMILY = "family", _("Family difficulty")  # 家庭困境
    SAFETY = "safety", _("Safety difficulty")  # 安全困境
    TEMPORARY = "temporary", _("Temporary difficulty")  # 临时困境


class GuardianRelationship(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GRANDFATHER = "grandfather", _("Grandfather (paternal)")
    GRANDMOTHER = "grandmother", _("Grandmother (paternal)")
    MATERNAL_GRANDFATHER = "maternal_grandfather", _("Grandfather (maternal)")
    MATERNAL_GRANDMOTHER = "maternal_grandmother", _("Grandmother (maternal)")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    OTHER = "other", _("Other guardian")


class PupilQuerySet(models.QuerySet):
    def visible_to(self, user, perm=None) -> PupilQuerySet:
        """The pupils `user` may see (schools.access.pupils_visible_q): the
        school's pupils for its principal, safety officer and counselor, the
        pupils of the classes they lead this school year for a head teacher,
        none for other staff and for every bureau role. `perm` (default
        schools.view_pupil) narrows to another child-level permission."""
        from .access import pupils_visible_q

        return self.filter(pupils_visible_q(user, perm))

    def enrolled(self) -> PupilQuerySet:
        return self.filter(status=PupilStatus.ENROLLED)


class Pupil(TimeStampedModel):
    """A child on a school's roll (学生)."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    bureau = models.ForeignKey(
        "schools.Bureau", on_delete=models.PROTECT, related_name="pupils",
        verbose_name=_("bureau"))
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="pupils",
        verbose_name=_("school"))
    # 全国中小学生学籍号, normalised (schools.student_numbers.normalise).
    student_number = models.CharField(_("student number"), max_length=32)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    date_of_birth = models.DateField(_("date of birth"))
    current_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="pupils", verbose_name=_("class"))
    status = models.CharField(
        _("status"), max_length=20, choices=PupilStatus.choices, default=PupilStatus.ENROLLED)
    status_changed_on = models.DateField(_("status since"), default=clock.today)
    boarder = models.BooleanField(_("boarder"), default=False)
    home_area = models.CharField(
        _("home village or community"), max_length=100, blank=True,
        help_text=_("The village (村) or community (社区) only: never a street address."))

    objects = PupilQuerySet.as_manager()

    class Meta:
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")
        ordering = ["school", "current_class", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "student_number"],
                                    name="pupil_student_number_per_bureau"),
        ]
        indexes = [
            # The roster page: a school's pupils by class and name, filtered by status.
            models.Index(fields=["school", "status", "current_class", "name", "id"],
                         name="pupil_roster_idx"),
            models.Index(fields=["current_class", "status"], name="pupil_class_idx"),
        ]

    def __str__(self) -> str:
        # Never a name: __str__ ends up in logs, admin messages and task reprs.
        return f"pupil:{self.code}"

    @property
    def masked_student_number(self) -> str:
        from .student_numbers import mask

        return mask(self.student_number)


class Enrolment(models.Model):
    """Which school and class a pupil was in during one school year: the pupil's
    past stays when they move up a grade or change school."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="enrolments",
                              verbose_name=_("pupil"))
    school_year = models.PositiveSmallIntegerField(_("school year"))
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("school"))
    school_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="enrolments", verbose_name=_("class"))

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["pupil", "-school_year"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "school_year", "school"],
                                    name="enrolment_once_per_year_and_school"),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.school_year}"


class Guardian(TimeStampedModel):
    """A pupil's guardian (监护人) and how to reach them. A pupil has one or more;
    at most one is the primary contact."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardians",
                              verbose_name=_("pupil"))
    name = models.CharField(_("name"), max_length=50)
    relationship = models.CharField(_("relationship"), max_length=30,
                                    choices=GuardianRelationship.choices)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    lives_with_child = models.BooleanField(_("lives with the child"), default=True)
    works_away = models.BooleanField(_("works away from home"), default=False)
    works_away_place = models.CharField(_("where they work"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["pupil", "-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pupil"], condition=Q(is_primary=True),
                                    name="guardian_one_primary"),
        ]

    def __str__(self) -> str:
        return f"guardian:{self.pk}"


class Circumstance(TimeStampedModel):
    """A dated priority-group record on a pupil (控辍保学 priority groups,
    domain.md §4): since when, until when (None: still), who recorded it and a
    note. Seen only by the school's named people, behind a recent second
    factor."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="circumstances",
                              verbose_name=_("pupil"))
    group = models.CharField(_("priority group"), max_length=20, choices=PriorityGroup.choices)
    difficulty_type = models.CharField(
        _("kind of difficulty"), max_length=20, choices=DifficultyType.choices, blank=True,
        help_text=_("Only for a child in difficulty (困境儿童)."))
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("circumstance")
        verbose_name_plural = _("circumstances")
        ordering = ["pupil", "-since", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group="in_difficulty") | Q(difficulty_type=""),
                name="circumstance_difficulty_type_only_in_difficulty"),
            models.CheckConstraint(
                condition=~Q(group="in_difficulty") | ~Q(difficulty_type=""),
                name="circumstance_in_difficulty_has_type"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="circumstance_until_after_since"),
        ]
        indexes = [
            models.Index(fields=["group", "until"], name="circumstance_group_idx"),
        ]

    def __str__(self) -> str:
        return f"circumstance:{self.code}"

    def is_current(self, day=None) -> bool:
        day = day or clock.today()
        return self.since <= day and (self.until is None or self.until >= day)


class PupilStatusChange(TransitionRecord):
    """One change of a pupil's 学籍状态 (转出, 休学, 辍学, 毕业, 死亡, back to
    在读), written by schools.pupil_services.pupil_change_status through the
    workflow's apply(): who, when, from, to, the reason (never audited: the
    audit row says only that one was given) and the day it took effect."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="status_changes",
                              verbose_name=_("pupil"))
    from_state = models.CharField(_("from"), max_length=20, choices=PupilStatus.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=PupilStatus.choices)
    # Filled in by the service right after apply() (the workflow writes the
    # common columns only); null only for a row caught between the two.
    effective_on = models.DateField(_("effective on"), null=True, blank=True)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("pupil status change")
        verbose_name_plural = _("pupil status changes")

    def __str__(self) -> str:
        return f"{self.pupil_id}: {self.from_state} -> {self.to_state}"


class SchoolPupilCount(models.Model):
    """A school's counts for the bureau's 重点群体统计 (issue 9 items 8, 10),
    kept so that the page reads one row per school instead of counting a
    million pupils on every view: enrolled pupils and, per PriorityGroup value,
    the enrolled pupils with a circumstance current on `counted_on`.

    A cache with exact answers, not an estimate: a row is used only while
    `stale` is false and `counted_on` is today (Asia/Shanghai). Every change
    to a pupil or a circumstance marks its school's row stale and bumps
    `version` (schools.pupil_counts.mark_counts_stale: receivers for single
    saves, the roster commit and the demo for bulk ones); a reader recounts
    stale rows and writes its result back only if `version` has not moved
    meanwhile, so a change made during a recount is never hidden. The nightly
    task schools.refresh_pupil_counts recounts every school after midnight,
    when circumstances start and end by date."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE,
                                  primary_key=True, related_name="pupil_count",
                                  verbose_name=_("school"))
    counted_on = models.DateField(_("counted on"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    enrolled = models.PositiveIntegerField(_("enrolled"), default=0)
    # {PriorityGroup value: pupils}; a group with none is absent.
    groups = models.JSONField(_("pupils per priority group"), default=dict, blank=True)
    stale = models.BooleanField(_("stale"), default=True)
    version = models.PositiveBigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("school pupil count")
        verbose_name_plural = _("school pupil counts")

    def __str__(self) -> str:
        return f"pupil counts of school {self.school_id}"
