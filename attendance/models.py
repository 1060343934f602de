"""Dropout prevention (控辍保学): the class register by exception (issue 11
item 1; the plan's 三.四; domain.md §4).

A **register** (ClassRegister) is one class's attendance on one school day,
taken by the head teacher (or a teacher the principal allowed: a
RegisterKeeper): everyone is present unless marked. It exists once taken —
"no absences" is a register with no marks — so a register not taken is never
read as "all present". Each **mark** (AttendanceMark) is one pupil's exception
that day: late, early leave, truancy (旷课, unexcused), personal or sick leave,
for the morning, the afternoon or the whole day; sick leave names the symptom
(for the infectious-disease rule), leave says who asked and why. One register
row a class a day plus one row an exception — never a row a pupil a day.

Corrections the same day rewrite the marks and leave a MarkChange each (who,
when, before and after), added to, never edited. Past days are read-only.

Child-level records: only the class's keepers and the school's named people
read them (attendance/access_rules.py); nothing here reaches a log, an
e-mail or a task payload except by id.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import clock


class AttendanceCode(models.TextChoices):
    """The exceptions (domain.md §4: no national code list; present is the
    default and is not stored)."""

    LATE = "late", pgettext_lazy("attendance", "Late")
    EARLY_LEAVE = "early_leave", _("Left early")
    TRUANT = "truant", _("Truant (absent without leave)")
    PERSONAL_LEAVE = "personal_leave", _("Personal leave")
    SICK_LEAVE = "sick_leave", _("Sick leave")


# Absent without leave: the same-day guardian contact and the dropout rules
# count these (issue 11 items 2 and 3).
UNEXCUSED = frozenset({AttendanceCode.TRUANT})
LEAVE = frozenset({AttendanceCode.PERSONAL_LEAVE, AttendanceCode.SICK_LEAVE})


class Session(models.TextChoices):
    DAY = "day", _("Whole day")
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")


class Symptom(models.TextChoices):
    """What a pupil on sick leave has (the infectious-disease rule counts
    pupils of one class with the same symptom: domain.md §4)."""

    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    GASTRO = "gastro", _("Vomiting or diarrhoea")
    RASH = "rash", _("Rash")
    OTHER = "other", pgettext_lazy("symptom", "Other")


class LeaveSource(models.TextChoices):
    """Who asked for the leave, and how."""

    GUARDIAN_CALL = "guardian_call", _("Guardian's call or message")
    NOTE = "note", _("Written note")
    IN_PERSON = "in_person", _("Guardian in person")
    OTHER = "other", pgettext_lazy("leave source", "Other")


class ClassRegister(models.Model):
    """One class's register of one school day (see the module docstring)."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.PROTECT,
                                     related_name="registers", verbose_name=_("class"))
    day = models.DateField(_("day"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("taken by"))
    taken_at = models.DateTimeField(_("taken at"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", null=True, blank=True,
                                   verbose_name=_("last corrected by"))
    changed_at = models.DateTimeField(_("last corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("class register")
        verbose_name_plural = _("class registers")
        ordering = ["-day", "school_class"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "day"], name="register_once_a_day"),
        ]
        indexes = [models.Index(fields=["school", "day"], name="register_school_day_idx")]

    def __str__(self) -> str:
        return f"register:{self.school_class_id}:{self.day:%Y-%m-%d}"


class AttendanceMark(models.Model):
    """One pupil's exception on a register (see the module docstring)."""

    register = models.ForeignKey(ClassRegister, on_delete=models.CASCADE, related_name="marks",
                                 verbose_name=_("register"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT,
                              related_name="attendance_marks", verbose_name=_("pupil"))
    code = models.CharField(_("attendance"), max_length=20, choices=AttendanceCode.choices)
    session = models.CharField(_("when"), max_length=3, choices=Session.choices,
                               default=Session.DAY)
    symptom = models.CharField(_("symptom"), max_length=10, choices=Symptom.choices,
                               blank=True)
    leave_source = models.CharField(_("leave asked by"), max_length=20,
                                    choices=LeaveSource.choices, blank=True)
    leave_reason = models.CharField(_("reason given"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance mark")
        verbose_name_plural = _("attendance marks")
        ordering = ["register", "pupil"]
        constraints = [
            models.UniqueConstraint(fields=["register", "pupil"], name="mark_once_a_register"),
            models.CheckConstraint(condition=Q(code="sick_leave") | Q(symptom=""),
                                   name="mark_symptom_only_when_sick"),
            models.CheckConstraint(condition=~Q(code="sick_leave") | ~Q(symptom=""),
                                   name="mark_sick_has_symptom"),
            models.CheckConstraint(
                condition=Q(code__in=["personal_leave", "sick_leave"])
                | Q(leave_source="", leave_reason=""),
                name="mark_leave_fields_only_for_leave"),
        ]
        indexes = [models.Index(fields=["pupil", "register"], name="mark_pupil_idx")]

    def __str__(self) -> str:
        return f"{self.register_id}:{self.pupil_id}:{self.code}/{self.session}"


class MarkChange(models.Model):
    """A correction of a register the same day: one pupil's mark before and
    after ("" for present), who changed it and when. Added to, never edited."""

    register = models.ForeignKey(ClassRegister, on_delete=models.CASCADE,
                                 related_name="changes", verbose_name=_("register"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("pupil"))
    before = models.CharField(_("before"), max_length=40, blank=True)
    after = models.CharField(_("after"), max_length=40, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                           related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=clock.now)

    class Meta:
        verbose_name = _("register correction")
        verbose_name_plural = _("register corrections")
        ordering = ["register", "at", "id"]

    def __str__(self) -> str:
        return f"{self.register_id}:{self.pupil_id}: {self.before or '-'} -> {self.after or '-'}"


class RegisterKeeper(models.Model):
    """A member of a school's staff the principal allowed to take one class's
    register (besides its head teacher): e.g. the deputy when the head
    teacher is away."""

    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE,
                                     related_name="register_keepers",
                                     verbose_name=_("class"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("teacher"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("allowed by"))
    granted_at = models.DateTimeField(_("allowed at"), default=clock.now)

    class Meta:
        verbose_name = _("register keeper")
        verbose_name_plural = _("register keepers")
        constraints = [
            models.UniqueConstraint(fields=["school_class", "user"], name="keeper_once"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class_id}:{self.user_id}"


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    WECHAT = "wechat", _("WeChat or message")
    HOME_VISIT = "home_visit", _("Home visit")


class GuardianContact(models.Model):
    """The same-day contact with the guardians of a pupil absent without
    leave (issue 11 item 2; 教育部令第23号, the 2006 school safety rules: tell the guardians
    promptly): how, whether they were reached, the reason they gave and when
    the pupil is expected back. Several may be recorded (not reached, then
    reached); the first completes the day's follow-ups."""

    register = models.ForeignKey(ClassRegister, on_delete=models.PROTECT,
                                 related_name="contacts", verbose_name=_("register"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT,
                              related_name="attendance_contacts", verbose_name=_("pupil"))
    method = models.CharField(_("how"), max_length=20, choices=ContactMethod.choices)
    reached = models.BooleanField(_("guardian reached"))
    reason = models.CharField(_("reason the guardian gave"), max_length=500, blank=True)
    expected_back_on = models.DateField(_("expected back on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("guardian contact")
        verbose_name_plural = _("guardian contacts")
        ordering = ["register", "pupil", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(reached=True) | Q(reason="",
                                                                 expected_back_on__isnull=True),
                                   name="contact_reason_only_when_reached"),
        ]

    def __str__(self) -> str:
        return f"contact:{self.register_id}:{self.pupil_id}"
