"""Mandatory reporting (强制报告): concerns, referrals and their chronology
(issue 10 item 1; the plan's 三.六; domain.md §1).

A **concern** is what any member of staff saw or heard, logged in a minute on
a phone: the child (a pupil of the school, or minimal details of a child not
on the roll), what was seen or said in objective words and the child's own
words, when and where, and what was done at once to keep the child safe.
Logging it alerts the school's mandatory-reporting leads and starts the
police-report clock.

A **referral** is the lead's case about a concern: the situations of the
2020 Opinion (Art. 4, nine items), the reports made to the police and other
departments, and a state DETECTED → REPORTED → ACCEPTED → COOPERATING →
CLOSED (an outcome to close). Its **chronology** is every event in order —
who, when, what — added to, never edited or deleted.

Child-level records of the most sensitive kind: only the named people open
them (incidents/access_rules.py), each open is an audit row, and nothing here
reaches a log, an e-mail, a task payload or a bureau page except by its
public code (a UUID).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import clock
from core.models import TimeStampedModel, TransitionRecord


class Situation(models.TextChoices):
    """The nine reportable situations of the 2020 Opinion on mandatory
    reporting of harm to minors, Art. 4 (domain.md §1, ReportTrigger)."""

    GENITAL_INJURY = "genital_injury", _("Injury to the genitals or private parts")
    U14_SEXUAL = "u14_sexual", _("Girl under 14: sexual assault, pregnancy or abortion")
    O14_SEXUAL_PREGNANCY = "o14_sexual_pregnancy", _(
        "Girl of 14 or older: pregnancy or abortion after sexual assault")
    INJURY_NEGLECT = "injury_neglect", _(
        "Multiple injuries, severe malnutrition or impaired consciousness "
        "(suspected violence, bullying, abuse or drugging)")
    DISABILITY_DEATH = "disability_death", _(
        "Disability or death from suicide, self-harm, work injury, poisoning or beating")
    ABANDONED = "abandoned", _("Abandoned or left without care for a long time")
    MISSING = "missing", _("Of unknown origin, missing, trafficked or bought")
    BEGGING = "begging", _("Organised begging")
    OTHER_SERIOUS = "other_serious", _("Other serious harm or imminent danger of unlawful harm")


class Agency(models.TextChoices):
    """Where a report goes (未成年人保护法 Art. 11: 公安、民政、教育等有关部门)."""

    POLICE = "police", _("Police")  # 公安
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")  # 民政
    EDUCATION = "education", _("Education authority")  # 教育
    OTHER = "other", _("Other")  # 其他


class ReportMethod(models.TextChoices):
    CALL_110 = "call_110", _("Call to 110")
    VISIT = "visit", _("In person")
    WRITTEN = "written", _("In writing")
    PHONE = "phone", _("Telephone (other number)")


class ReferralState(models.TextChoices):
    DETECTED = "detected", _("Detected")  # 发现
    REPORTED = "reported", _("Reported")  # 已报告
    ACCEPTED = "accepted", _("Accepted")  # 已受理
    COOPERATING = "cooperating", _("Cooperating with the investigation")  # 配合调查
    CLOSED = "closed", pgettext_lazy("referrals", "Closed")  # 结案 (not a school's 已停办)


class Concern(TimeStampedModel):
    """What a member of staff saw or heard (see the module docstring).

    Exactly one of `pupil` (a pupil of `school`) and `child_description`
    (minimal details of a child not on the roll: age, class or where they
    were met; no ID number) says who the child is."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("school"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("pupil"))
    child_description = models.CharField(
        _("child not on the roll"), max_length=200, blank=True,
        help_text=_("Only for a child who is not a pupil of the school: age, class or where "
                    "you met them. No ID number."))
    observed = models.TextField(_("what was seen or heard"), max_length=4000,
                                help_text=_("Objective words: what you saw and heard, not "
                                            "what you think it means."))
    child_words = models.TextField(_("the child's own words"), max_length=2000, blank=True)
    observed_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=200, blank=True)
    immediate_actions = models.TextField(_("what was done at once"), max_length=2000,
                                         blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("logged by"))
    logged_at = models.DateTimeField(_("logged at"), default=clock.now)

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-logged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(pupil__isnull=False, child_description="")
                           | Q(pupil__isnull=True) & ~Q(child_description="")),
                name="concern_names_one_child"),
        ]
        indexes = [models.Index(fields=["school", "-logged_at"], name="concern_school_idx")]

    def __str__(self) -> str:
        return f"concern:{self.code}"


class LoggedConcern(Concern):
    """A concern as the member of staff who logged it reads it back (issue 10
    item 6: "the reporter sees what they logged and its state only"). The
    same rows; a model of its own so that the access layer gives it its own
    scope (any staff member of the school, narrowed to `logged_by` by the
    page) while Concern itself stays the named people's."""

    class Meta:
        proxy = True
        verbose_name = _("concern I logged")
        verbose_name_plural = _("concerns I logged")


class Referral(TimeStampedModel):
    """The lead's case about one concern (see the module docstring).
    `detected_at` is when the school learned of it (the concern's logging):
    the police-report clock and the bureau's detection→report time run from
    it."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("school"))
    concern = models.OneToOneField(Concern, on_delete=models.PROTECT, related_name="referral",
                                   verbose_name=_("concern"))
    situations = models.JSONField(_("situations"), default=list,
                                  help_text=_("Values of Situation, at least one."))
    state = models.CharField(_("state"), max_length=20, choices=ReferralState.choices,
                             default=ReferralState.DETECTED)
    detected_at = models.DateTimeField(_("detected at"))
    # The first report to the police (None: not yet): the gap the bureau sees.
    police_reported_at = models.DateTimeField(_("reported to the police at"), null=True,
                                              blank=True)
    outcome = models.TextField(_("outcome"), max_length=4000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("opened by"))

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(state="closed") | ~Q(outcome=""),
                                   name="referral_closed_has_outcome"),
        ]
        indexes = [
            models.Index(fields=["school", "state"], name="referral_school_state_idx"),
            models.Index(fields=["detected_at"], name="referral_detected_idx"),
            # The bureau view's live count of open referrals not yet reported
            # to the police around the limit (incidents.counts).
            models.Index(fields=["detected_at"], name="referral_unreported_idx",
                         condition=Q(police_reported_at__isnull=True) & ~Q(state="closed")),
        ]

    @property
    def situation_labels(self) -> list[str]:
        """The labels of the chosen situations, in the Opinion's order."""
        chosen = set(self.situations or [])
        return [str(label) for value, label in Situation.choices if value in chosen]

    def __str__(self) -> str:
        return f"referral:{self.code}"

    def clean(self) -> None:
        unknown = set(self.situations or []) - set(Situation.values)
        if not self.situations or unknown:
            raise ValidationError({"situations": _("Choose at least one situation.")})


class AgencyReport(models.Model):
    """One report made to a department: when, to which unit, the officer who
    took it, how, and the receipt number (回执号) if one was given."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="reports",
                                 verbose_name=_("referral"))
    agency = models.CharField(_("department"), max_length=20, choices=Agency.choices)
    reported_at = models.DateTimeField(_("reported at"))
    receiving_unit = models.CharField(_("receiving unit"), max_length=100)
    officer = models.CharField(_("officer"), max_length=50, blank=True)
    method = models.CharField(_("how"), max_length=20, choices=ReportMethod.choices)
    receipt_number = models.CharField(_("receipt number"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("report to a department")
        verbose_name_plural = _("reports to departments")
        ordering = ["reported_at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.agency}"


MAX_ATTACHMENTS_PER_REFERRAL = 30


class ReferralAttachment(models.Model):
    """A photo of an injury or of a document kept with a referral (issue 10
    item 1): re-encoded by core.photos before it is stored (only the pixels
    survive, never the uploader's bytes, metadata or file name), under random
    names outside the static root, served only to the people who may open
    the referral, each open an audit row."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="attachments",
                                 verbose_name=_("referral"))
    image = models.FileField(_("photo"), max_length=200)
    thumbnail = models.FileField(_("thumbnail"), max_length=200)
    caption = models.CharField(_("what it shows"), max_length=200)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("referral attachment")
        verbose_name_plural = _("referral attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"attachment:{self.code}"


class ChronologyKind(models.TextChoices):
    CONCERN = "concern", _("Concern logged")
    OPENED = "opened", _("Referral opened")
    REPORT = "report", _("Report to a department")
    STATE = "state", _("State changed")
    NOTE = "note", _("Note")
    ATTACHMENT = "attachment", _("Attachment added")


class AppendOnlyQuerySet(models.QuerySet):
    """A chronology's rows: never changed or deleted in bulk either."""

    def update(self, **kwargs):  # noqa: ARG002 - refused whatever is asked
        raise TypeError("the chronology is added to, never changed")

    def delete(self):
        raise TypeError("the chronology is added to, never deleted")


class AppendOnly:
    """Mixin of a chronology's model (a referral's, a bullying case's): a row
    once saved is never saved again nor deleted. PostgreSQL refuses too (a
    trigger per table: migrations 0002 and 0007)."""

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("the chronology is added to, never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the chronology is added to, never deleted")


class ChronologyEntry(AppendOnly, models.Model):
    """One event of a referral's chronology: who, when, what. Never changed
    or deleted (the model and its queryset refuse; PostgreSQL refuses too:
    migration 0002's trigger)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="chronology",
                                 verbose_name=_("referral"))
    at = models.DateTimeField(_("time"), default=clock.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    kind = models.CharField(_("kind"), max_length=20, choices=ChronologyKind.choices)
    text = models.TextField(_("what"), max_length=4000)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("chronology entry")
        verbose_name_plural = _("chronology entries")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}@{self.at:%Y-%m-%d %H:%M}"


class ReferralTransition(TransitionRecord):
    """One state change of a referral, written by the workflow's apply()."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions",
                                 verbose_name=_("referral"))
    from_state = models.CharField(_("from"), max_length=20, choices=ReferralState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=ReferralState.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("referral state change")
        verbose_name_plural = _("referral state changes")

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_state} -> {self.to_state}"


# ------------------------------------------------------------------ dispute screening
#
# 矛盾纠纷排查 (the plan's 三.三(四): "按月排查、梳理师生之间、学生之间、家校之间矛盾纠纷"):
# each school files one return a month, listing the disputes it found — or
# saying in so many words that it found none — by a day the bureau sets.
# Parties are described by their role, never by name: these rows feed the
# bureau's counts (issue 10 item 4).


class DisputeKind(models.TextChoices):
    TEACHER_STUDENT = "teacher_student", _("Between a teacher and a pupil")  # 师生之间
    STUDENT_STUDENT = "student_student", _("Between pupils")  # 学生之间
    HOME_SCHOOL = "home_school", _("Between a family and the school")  # 家校之间
    OTHER = "other", _("Other dispute")  # 其他


class DisputeRisk(models.TextChoices):
    HIGH = "high", _("High risk")  # 高
    MEDIUM = "medium", _("Medium risk")  # 中
    LOW = "low", _("Low risk")  # 低


class MediationStatus(models.TextChoices):
    MEDIATING = "mediating", _("Being mediated")  # 调处中
    RESOLVED = "resolved", _("Resolved")  # 已化解
    TRANSFERRED = "transferred", _("Transferred")  # 已移交


class DisputeSchedule(models.Model):
    """When a bureau's schools file their dispute-screening return, from the
    month `effective_from` (a first day) on: 0 (the default when a bureau has
    set nothing) the last day of the month screened, 1–28 that day of the
    following month (每月N日前报送上月情况; issue 10 item 4;
    incidents.disputes.due_date). A change applies from the month it is made
    in: a past month keeps the due date it had, and so its late marks."""

    bureau = models.ForeignKey("schools.Bureau", on_delete=models.CASCADE,
                               related_name="+", verbose_name=_("bureau"))
    effective_from = models.DateField(_("from the month"), default=dt.date(2000, 1, 1))
    due_day = models.PositiveSmallIntegerField(
        _("due day"), default=0,
        help_text=_("0: the last day of the month screened; 1–28: that day of the following "
                    "month."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("dispute-screening schedule")
        verbose_name_plural = _("dispute-screening schedules")
        ordering = ["bureau_id", "effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(due_day__lte=28),
                                   name="dispute_schedule_day_in_month"),
            models.UniqueConstraint(fields=["bureau", "effective_from"],
                                    name="dispute_schedule_once_a_month"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}: {self.due_day} from {self.effective_from:%Y-%m}"


class DisputeReturn(TimeStampedModel):
    """A school's dispute-screening return for one calendar month (`month`:
    its first day). A draft until submitted; submitted with the disputes it
    lists, or with `none_found` set and none listed."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("school"))
    month = models.DateField(_("month"), help_text=_("The first day of the month screened."))
    none_found = models.BooleanField(_("no dispute found"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("submitted by"))

    class Meta:
        verbose_name = _("dispute-screening return")
        verbose_name_plural = _("dispute-screening returns")
        ordering = ["-month", "school_id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "month"], name="dispute_return_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="dispute_return_first_day"),
            models.CheckConstraint(condition=Q(submitted_at__isnull=False)
                                   | Q(none_found=False), name="dispute_return_none_submitted"),
        ]
        indexes = [models.Index(fields=["month", "school"], name="dispute_return_month_idx")]

    def __str__(self) -> str:
        return f"dispute-return:{self.school_id}:{self.month:%Y-%m}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Dispute(TimeStampedModel):
    """One dispute a school found in a month: its kind, the parties by role
    (never by name), what it is about, its risk level, the member of staff
    responsible, and its mediation: being mediated (调处中) from `found_on`,
    resolved (已化解) on `resolved_on`, or transferred (已移交) on
    `transferred_on` to `transferred_to`."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("school"))
    screening_return = models.ForeignKey(DisputeReturn, on_delete=models.PROTECT,
                                         related_name="disputes",
                                         verbose_name=_("return"))
    kind = models.CharField(_("kind"), max_length=20, choices=DisputeKind.choices)
    parties = models.CharField(
        _("parties"), max_length=200,
        help_text=_("By their role, never by name: e.g. two pupils of grade 7; a teacher and "
                    "a pupil's father."))
    summary = models.TextField(_("what it is about"), max_length=1000)
    risk = models.CharField(_("risk level"), max_length=10, choices=DisputeRisk.choices)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("responsible person"))
    status = models.CharField(_("mediation"), max_length=20, choices=MediationStatus.choices,
                              default=MediationStatus.MEDIATING)
    found_on = models.DateField(_("found on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    transferred_on = models.DateField(_("transferred on"), null=True, blank=True)
    transferred_to = models.CharField(_("transferred to"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["found_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="mediating", resolved_on__isnull=True,
                             transferred_on__isnull=True)
                           | Q(status="resolved", resolved_on__isnull=False,
                               transferred_on__isnull=True)
                           | Q(status="transferred", resolved_on__isnull=True,
                               transferred_on__isnull=False) & ~Q(transferred_to="")),
                name="dispute_status_has_its_dates"),
        ]
        indexes = [models.Index(fields=["school", "status"], name="dispute_school_status_idx")]

    def __str__(self) -> str:
        return f"dispute:{self.code}"


class DisputeTransition(TransitionRecord):
    """One change of a dispute's mediation status (incidents.workflows.DISPUTE)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="transitions",
                                verbose_name=_("dispute"))
    from_state = models.CharField(_("from"), max_length=20, choices=MediationStatus.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=MediationStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("dispute mediation change")
        verbose_name_plural = _("dispute mediation changes")

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.from_state} -> {self.to_state}"


# ------------------------------------------------------------------ bullying
#
# 学生欺凌 (未成年人保护法 Art. 39 and 130; 《未成年人学校保护规定》 Art. 21; the
# 2017 《加强中小学生欺凌综合治理方案》; domain.md §2d; issue 10 item 3): a
# case from the report to its closure — stopped and made safe, both families
# told, investigated within 10 days, decided by the school's committee,
# measures by severity, psychological support for the pupils involved, a
# guardian's appeal to the county office re-checked within 15 days, follow-up
# visits, closed with an outcome. Child-level records: the same named people
# as referrals open them, behind the second factor, each open an audit row.


class BullyingAct(models.TextChoices):
    """The acts staff must stop (《规定》 Art. 21; domain.md BullyingAct)."""

    PHYSICAL = "physical", _("Physical: hitting, kicking, pushing, threatening")
    DIGNITY = "dignity", _("Dignity: insults, mockery, humiliating nicknames")
    PROPERTY = "property", _("Property: seizing, extorting or damaging belongings")
    EXCLUSION = "exclusion", _("Exclusion: malicious exclusion or isolation")
    ONLINE = "online", _("Online: defamation, rumours, spreading private information")


class BullyingRole(models.TextChoices):
    TARGET = "target", _("Bullied")  # 被欺凌
    PERPETRATOR = "perpetrator", _("Carried it out")  # 实施
    BYSTANDER = "bystander", _("Bystander")  # 旁观


class BullyingReporter(models.TextChoices):
    """Who brought the case to the school."""

    TARGET = "target", _("The bullied pupil")
    PUPIL = "pupil", _("Another pupil")
    GUARDIAN = "guardian", _("A guardian")
    STAFF = "staff", _("A member of staff")
    ANONYMOUS = "anonymous", _("Anonymous (hotline, box)")
    OTHER = "other", _("Someone else")


class BullyingState(models.TextChoices):
    REPORTED = "reported", _("Reported")  # 已报告
    INVESTIGATING = "investigating", _("Being investigated")  # 调查中
    DECIDED = "decided", _("Decided by the committee")  # 已认定
    APPEALED = "appealed", _("Under re-check")  # 复查中
    FOLLOW_UP = "follow_up", _("Follow-up")  # 跟踪回访
    CLOSED = "closed", pgettext_lazy("bullying cases", "Closed")  # 结案


class BullyingSeverity(models.TextChoices):
    """The 2017 plan's tiers (domain.md §2d)."""

    MINOR = "minor", _("Minor")  # 情节轻微
    SERIOUS = "serious", _("Serious")  # 情节较重
    EGREGIOUS = "egregious", _("Repeated or egregious")  # 情节恶劣
    CRIMINAL = "criminal", _("Unlawful or criminal")  # 违法犯罪


class BullyingMeasure(models.TextChoices):
    EDUCATION = "education", _("Criticism and education")  # 批评教育
    DISCIPLINE = "discipline", _("Disciplinary sanction")  # 纪律处分
    POLICE_ADMONITION = "police_admonition", _("Police admonition")  # 公安训诫
    SPECIAL_SCHOOL = "special_school", _("Referral to a special school")  # 专门学校
    POLICE_CASE = "police_case", _("Handed to the police")  # 移送公安机关


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")
    WECHAT = "wechat", _("WeChat")
    LETTER = "letter", _("In writing")


class BullyingCase(TimeStampedModel):
    """One bullying case of a school (see the block comment above). The
    investigation runs from `investigation_started_at` (its 10-day clock);
    the committee's finding, the severity and the measures are the
    decision; an appeal (`appealed_on`) is re-checked by the county office
    (its 15-day clock from `recheck_started_at`)."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("school"))
    state = models.CharField(_("state"), max_length=20, choices=BullyingState.choices,
                             default=BullyingState.REPORTED)
    reported_at = models.DateTimeField(_("reported at"))
    reporter = models.CharField(_("reported by"), max_length=20,
                                choices=BullyingReporter.choices)
    acts = models.JSONField(_("acts"), default=list,
                            help_text=_("Values of BullyingAct, at least one."))
    description = models.TextField(_("what happened"), max_length=4000)
    occurred_on = models.DateField(_("when it happened"), null=True, blank=True)
    place = models.CharField(_("where"), max_length=200, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    safety_measures = models.TextField(_("safety measures"), max_length=2000, blank=True)
    investigation_started_at = models.DateTimeField(_("investigation started"), null=True,
                                                    blank=True)
    # When the investigation is due (10 days) and when the committee decided:
    # the bureau counts clock compliance from these.
    investigation_due_at = models.DateTimeField(_("investigation due"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    investigation_findings = models.TextField(_("investigation findings"), max_length=4000,
                                              blank=True)
    committee_on = models.DateField(_("committee met on"), null=True, blank=True)
    committee_members = models.CharField(_("members present"), max_length=500, blank=True)
    is_bullying = models.BooleanField(_("found to be bullying"), null=True, blank=True)
    finding = models.TextField(_("the committee's finding"), max_length=4000, blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=BullyingSeverity.choices,
                                blank=True)
    measures = models.JSONField(_("measures"), default=list, blank=True)
    appealed_on = models.DateField(_("appealed on"), null=True, blank=True)
    recheck_started_at = models.DateTimeField(_("re-check started"), null=True, blank=True)
    recheck_due_at = models.DateTimeField(_("re-check due"), null=True, blank=True)
    rechecked_at = models.DateTimeField(_("re-check recorded at"), null=True, blank=True)
    recheck_result = models.TextField(_("re-check result"), max_length=4000, blank=True)
    outcome = models.TextField(_("outcome"), max_length=4000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="bullying_cases",
                                 verbose_name=_("mandatory report"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("bullying case")
        verbose_name_plural = _("bullying cases")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(state="closed") | ~Q(outcome=""),
                                   name="bullying_closed_has_outcome"),
            models.CheckConstraint(
                condition=Q(state__in=["reported", "investigating"])
                | Q(is_bullying__isnull=False, committee_on__isnull=False),
                name="bullying_decided_has_finding"),
        ]
        indexes = [models.Index(fields=["school", "state"], name="bullying_school_state_idx"),
                   models.Index(fields=["reported_at"], name="bullying_reported_idx"),
                   # The bureau view's live counts of clocks running out now
                   # (incidents.counts).
                   models.Index(fields=["investigation_due_at"], name="bullying_undecided_idx",
                                condition=Q(decided_at__isnull=True)),
                   models.Index(fields=["recheck_due_at"], name="bullying_unrechecked_idx",
                                condition=Q(rechecked_at__isnull=True))]

    def __str__(self) -> str:
        return f"bullying:{self.code}"

    @property
    def act_labels(self) -> list[str]:
        chosen = set(self.acts or [])
        return [str(label) for value, label in BullyingAct.choices if value in chosen]

    @property
    def measure_labels(self) -> list[str]:
        chosen = set(self.measures or [])
        return [str(label) for value, label in BullyingMeasure.choices if value in chosen]


class BullyingSupport(BullyingCase):
    """A bullying case as the school's counselor reaches it: the pupils
    involved and the psychological support given, not the investigation
    (issue 10 item 3). The same rows; its own access scope."""

    class Meta:
        proxy = True
        verbose_name = _("psychological support after bullying")
        verbose_name_plural = _("psychological support after bullying")


class BullyingParty(models.Model):
    """A pupil involved in a case, with their role in it."""

    case = models.ForeignKey(BullyingCase, on_delete=models.CASCADE, related_name="parties",
                             verbose_name=_("case"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("pupil"))
    role = models.CharField(_("role"), max_length=20, choices=BullyingRole.choices)

    class Meta:
        verbose_name = _("pupil involved")
        verbose_name_plural = _("pupils involved")
        ordering = ["role", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "pupil"],
                                               name="bullying_party_once")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.pupil_id}:{self.role}"


class GuardianContact(models.Model):
    """Guardians of the bullied side or of the side that carried it out,
    told of the case: when and how (未成年人保护法 Art. 39: both sets)."""

    case = models.ForeignKey(BullyingCase, on_delete=models.CASCADE,
                             related_name="guardian_contacts", verbose_name=_("case"))
    side = models.CharField(_("side"), max_length=20, choices=[
        (BullyingRole.TARGET.value, _("The bullied pupil's guardians")),
        (BullyingRole.PERPETRATOR.value, _("The guardians of those who carried it out"))])
    informed_at = models.DateTimeField(_("informed at"))
    method = models.CharField(_("how"), max_length=20, choices=ContactMethod.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("guardians informed")
        verbose_name_plural = _("guardians informed")
        ordering = ["informed_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.side}@{self.informed_at:%Y-%m-%d}"


class BullyingEntryKind(models.TextChoices):
    REPORTED = "reported", _("Case reported")
    STOPPED = "stopped", _("Stopped and made safe")
    GUARDIANS = "guardians", _("Guardians informed")
    STATE = "state", _("State changed")
    SUPPORT = "support", _("Psychological support")
    VISIT = "visit", _("Follow-up visit")
    NOTE = "note", _("Note")
    REFERRAL = "referral", _("Linked to a mandatory report")


class BullyingEntry(AppendOnly, models.Model):
    """One event of a case's chronology: who, when, what. Never changed or
    deleted (the model, its queryset and, on PostgreSQL, a trigger refuse)."""

    case = models.ForeignKey(BullyingCase, on_delete=models.PROTECT, related_name="chronology",
                             verbose_name=_("case"))
    at = models.DateTimeField(_("time"), default=clock.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    kind = models.CharField(_("kind"), max_length=20, choices=BullyingEntryKind.choices)
    text = models.TextField(_("what"), max_length=4000)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("bullying case entry")
        verbose_name_plural = _("bullying case entries")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}@{self.at:%Y-%m-%d %H:%M}"


class BullyingTransition(TransitionRecord):
    """One state change of a bullying case (incidents.workflows.BULLYING)."""

    case = models.ForeignKey(BullyingCase, on_delete=models.CASCADE,
                             related_name="transitions", verbose_name=_("case"))
    from_state = models.CharField(_("from"), max_length=20, choices=BullyingState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=BullyingState.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("bullying case state change")
        verbose_name_plural = _("bullying case state changes")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_state} -> {self.to_state}"


# ------------------------------------------------------------------ the bureau's counts
#
# The bureau view (issue 10 item 7) reads these rows instead of every referral
# and bullying case of a district (incidents/tallies.py keeps them).


class TallyMeasure(models.TextChoices):
    """What an IncidentTally row counts, and what its `key` is."""

    REFERRAL_MONTH = "referral_month", _("referrals detected in a month (key: month 1–12)")
    REFERRAL_SITUATION = "referral_situation", _(
        "referrals of a situation in a month (key: situation:month)")
    REFERRAL_STATE = "referral_state", _("referrals in a state (key: state)")
    POLICE_GAP = "police_gap", _(
        "referrals reported to the police after a gap (key: tenths of an hour, rounded up)")
    CLOSED_UNREPORTED = "closed_unreported", _("referrals closed without a police report")
    UNREPORTED_OPEN = "unreported_open", _(
        "open referrals not yet reported to the police (key: day detected, Asia/Shanghai)")
    BULLYING_STATE = "bullying_state", _("bullying cases in a state (key: state)")
    INVESTIGATION_DONE = "investigation_done", _(
        "investigations decided (key: in_time or late)")
    INVESTIGATION_OPEN = "investigation_open", _(
        "investigations not decided yet (key: day due, Asia/Shanghai)")
    RECHECK_DONE = "recheck_done", _("re-checks recorded (key: in_time or late)")
    RECHECK_OPEN = "recheck_open", _("re-checks not recorded yet (key: day due, Asia/Shanghai)")
    RETURN_FILED = "return_filed", _(
        "dispute returns filed (key: month/day filed, Asia/Shanghai/none found: 1 or 0)")
    DISPUTE = "dispute", _("disputes found (key: kind/month found/risk/mediation)")


class IncidentTally(models.Model):
    """How many of one bureau's referrals, bullying cases, dispute returns or
    disputes of one calendar year (Asia/Shanghai: detection for a referral,
    the report for a case, the month screened for a return, the day found for
    a dispute), at schools of one type, count under one (measure, key): the
    bureau views' numbers, kept as the records change (incidents.tallies) so
    that a view reads a few hundred rows whatever the size of the district.
    Never a child, a school or a code: only counts."""

    bureau = models.ForeignKey("schools.Bureau", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("bureau"))
    year = models.PositiveSmallIntegerField(_("year"))
    school_type = models.CharField(_("school type"), max_length=20)
    measure = models.CharField(_("measure"), max_length=24, choices=TallyMeasure.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("incident tally")
        verbose_name_plural = _("incident tallies")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year", "school_type", "measure", "key"],
                                    name="incident_tally_once"),
        ]
        indexes = [models.Index(fields=["bureau", "year", "measure", "key"],
                                name="incident_tally_read_idx")]

    def __str__(self) -> str:
        return (f"{self.bureau_id}/{self.year}/{self.school_type}/{self.measure}/{self.key}: "
                f"{self.n}")
