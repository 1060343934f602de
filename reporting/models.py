"""The campaign's calendar and its reports.

A Campaign generates its Deadlines (the 13th and 24th of every month from its
start month, and the year-end summary on 24 December). Each school in scope
writes one ProgressReport per deadline. Every status change is a
ReportTransition row: who, when, why. Timeliness is derived from the server's
first submission time and the deadline's date in Asia/Shanghai, never stored.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.models import TimeStampedModel, TransitionRecord
from schools.models import Bureau, School, SchoolType, expected_on_q, in_period


class Measure(models.TextChoices):
    """The work plan's seven main measures (三、主要措施), in its order."""

    MORAL = "moral", _("Moral and ideological education")
    LEGAL = "legal", _("Safety and legal education")
    CAMPUS = "campus", _("Safety of the campus and its surroundings")
    DROPOUT = "dropout", _("Dropout prevention")
    PSYCH = "psych", _("Psychological counselling and intervention")
    MANDATORY = "mandatory", _("Mandatory reporting of harm to minors")
    HOME_SCHOOL = "home_school", _("Home-school contact")


class Campaign(TimeStampedModel):
    bureau = models.ForeignKey(
        Bureau, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("bureau")
    )
    name = models.CharField(_("name"), max_length=200)
    start_month = models.DateField(_("first reporting month"),
                                   help_text=_("Reports are due from this month on."))
    end_date = models.DateField(_("end date"))
    school_types = models.JSONField(
        _("school types in scope"), default=list,
        help_text=_("The types of school the campaign covers."),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_month"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_month")),
                                   name="campaign_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def valid_school_types(self) -> list[str]:
        return [t for t in self.school_types if t in SchoolType.values]

    def expected_schools(self):
        """Schools expected to report for at least one of the campaign's
        deadlines: this bureau's, of a type in scope, and in the campaign on
        some deadline's day (schools.models.in_period; each deadline's own set
        is Deadline.expected_schools). A school closed since stays here for the
        deadlines it owed; one added after the last deadline does not."""
        deadline_in_period = Deadline.objects.filter(
            campaign=self, due_date__gt=OuterRef("joined_on"),
            due_date__lt=Coalesce(OuterRef("closed_on"), models.Value(dt.date.max)))
        return School.objects.filter(bureau_id=self.bureau_id,
                                     school_type__in=self.valid_school_types).filter(
            Exists(deadline_in_period))


class DeadlineKind(models.TextChoices):
    PROGRESS = "progress", _("Progress report")
    YEAR_END = "year_end", _("Year-end summary")


class DeadlineQuerySet(models.QuerySet):
    def due_between(self, start: dt.date, end: dt.date) -> DeadlineQuerySet:
        return self.filter(due_date__gte=start, due_date__lte=end)

    def closed_by(self, at: dt.datetime) -> DeadlineQuerySet:
        """Deadlines whose due date has fully passed at `at` (Asia/Shanghai)."""
        return self.filter(due_date__lt=timezone.localdate(at))


class Deadline(TimeStampedModel):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DeadlineKind.choices)
    due_date = models.DateField(_("due date"), db_index=True)
    # The generated date, kept when a bureau admin moves the deadline (调休);
    # every move is a DeadlineMove row (who, when, why, from and to).
    original_due_date = models.DateField(_("original due date"))

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_date", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind", "original_due_date"],
                                    name="deadline_unique_per_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.due_date:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def closes_at(self) -> dt.datetime:
        """The first instant after the due date, in the bureau's time zone: a
        submission strictly before it is on time."""
        # The bureau's zone (settings.TIME_ZONE), not whichever zone a request
        # activated: a deadline closes at the same instant for every reader.
        return clock.end_of_day(self.due_date)

    def is_closed(self, at: dt.datetime) -> bool:
        """Has the due date fully passed at `at`?"""
        return self.closes_at <= at

    def on_time_q(self, field: str = "first_submitted_at") -> Q:
        """The on-time rule (`timeliness_at`) as a filter on reports of this
        deadline: first submitted strictly before the deadline closes."""
        return Q(**{f"{field}__lt": self.closes_at})

    def late_q(self, field: str = "first_submitted_at") -> Q:
        """Submitted, but not before the deadline closed (the complement of
        on_time_q among submitted reports)."""
        return Q(**{f"{field}__gte": self.closes_at})

    def timeliness(self, first_submitted_at: dt.datetime | None,
                   now: dt.datetime | None = None) -> Timeliness:
        """`timeliness_at` for this deadline."""
        return timeliness_at(first_submitted_at, self.closes_at, now)

    @property
    def is_moved(self) -> bool:
        return self.due_date != self.original_due_date

    # --- who owes this deadline a report (issue 8 item 3): THE rule, used by
    # the tallies, the dashboard, the 通报, exports, follow-ups and selectors.

    def counted_schools_q(self, prefix: str = "") -> Q:
        """Schools of the campaign's bureau in the campaign on the due date
        (schools.models.in_period), whatever their type: the tallies keep a row
        per type and the campaign's scope is applied when they are read."""
        return Q(**{f"{prefix}bureau_id": self.campaign.bureau_id}) & \
            expected_on_q(self.due_date, prefix)

    def expected_schools(self):
        """The schools expected to report for this deadline: counted_schools_q
        and a type in the campaign's scope. Adding or closing a school today
        changes this set only for deadlines due after today."""
        return School.objects.filter(self.counted_schools_q(),
                                     school_type__in=self.campaign.valid_school_types)

    def counts(self, school: School) -> bool:
        """counted_schools_q for one school (in Python)."""
        return (school.bureau_id == self.campaign.bureau_id
                and in_period(self.due_date, school.joined_on, school.closed_on))

    def expects(self, school: School) -> bool:
        """expected_schools for one school (in Python)."""
        return self.counts(school) and school.school_type in self.campaign.valid_school_types


class DeadlineMove(models.Model):
    """One move of a deadline (issue 8 item 3): the history is kept, never
    overwritten. Written only by reporting.services.deadline_move."""

    deadline = models.ForeignKey(
        Deadline, on_delete=models.PROTECT, related_name="moves", verbose_name=_("deadline")
    )
    old_date = models.DateField(_("due date before the move"))
    new_date = models.DateField(_("due date after the move"))
    reason = models.CharField(_("reason for the move"), max_length=200)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("moved by"),
    )
    moved_at = models.DateTimeField(_("moved at"))
    # Moved after its 通报 was published or its date had passed: a revision of
    # history, which only a bureau admin may make.
    revises_history = models.BooleanField(_("after the notice or the date"), default=False)

    class Meta:
        verbose_name = _("deadline move")
        verbose_name_plural = _("deadline moves")
        ordering = ["deadline", "moved_at", "pk"]

    def __str__(self) -> str:
        return f"{self.old_date:%Y-%m-%d} → {self.new_date:%Y-%m-%d}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")


EDITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)
REVIEWABLE_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.RESUBMITTED)


class Timeliness(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")
    MISSING = "missing", _("Not submitted")
    UPCOMING = "upcoming", _("Not yet due")


def timeliness_at(first_submitted_at: dt.datetime | None, closes_at: dt.datetime,
                  now: dt.datetime | None = None) -> Timeliness:
    """THE on-time rule, used by every count, export, notice and the 通报.

    A report is on time when its *first* submission (server time) is strictly
    before `closes_at`, the first instant after the due date in the bureau's
    zone (Deadline.closes_at: 00:00:00 Asia/Shanghai the next day), so
    23:59:59.9 is on time and 00:00:00.0 late (security.md G13). A resubmission
    never changes it; a withdrawn submission (撤回) does not count, so the next
    submission decides (reporting.services.report_withdraw). An unsubmitted
    report is MISSING, or UPCOMING when `now` is given and the deadline has not
    closed yet. In SQL the same rule is
    Deadline.on_time_q() / late_q(). Takes the closing instant, not the
    deadline, because exports call it a million times for a large district.
    """
    if first_submitted_at is not None:
        return Timeliness.ON_TIME if first_submitted_at < closes_at else Timeliness.LATE
    if now is not None and now < closes_at:
        return Timeliness.UPCOMING
    return Timeliness.MISSING


# Sections of each kind of report, in the order a bureau expects them
# (domain.md §7). Keys are stable; labels are translated.
SECTIONS = {
    DeadlineKind.PROGRESS: [
        ("organisation", _("Organisation and responsibility")),
        ("results", _("Results and figures")),
        ("problems", _("Problems")),
        ("next_steps", _("Next steps")),
    ],
    DeadlineKind.YEAR_END: [
        ("overview", _("The year's work in brief")),
        ("organisation", _("Organisation and responsibility")),
        ("results", _("Main results and figures")),
        ("experience", _("Practices worth sharing")),
        ("problems", _("Problems and shortcomings")),
        ("next_year", _("Plans for next year")),
    ],
}


class ProgressReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProgressReportQuerySet:
        return self.filter(school__in=School.objects.visible_to(user))

    def submitted(self) -> ProgressReportQuerySet:
        return self.filter(first_submitted_at__isnull=False)


class ProgressReport(TimeStampedModel):
    """One school's report for one deadline (a progress report or the year-end
    summary, by the deadline's kind)."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="reports", verbose_name=_("school")
    )
    deadline = models.ForeignKey(
        Deadline, on_delete=models.PROTECT, related_name="reports", verbose_name=_("deadline")
    )
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices,
                              default=ReportStatus.DRAFT)
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    # Server times only: a client clock never decides timeliness.
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    last_submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    # Raised by every saved draft (reporting.services.report_save_draft): an
    # autosave names the version it was typed over, so a stale tab never
    # overwrites a newer save (issue 8 item 1).
    draft_version = models.PositiveIntegerField(_("draft version"), default=0, editable=False)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-deadline__due_date", "school__code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "deadline"], name="report_once_per_deadline"),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.DRAFT) | Q(first_submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["deadline", "status"], name="report_deadline_status")]

    def __str__(self) -> str:
        return f"{self.school} · {self.deadline}"

    @property
    def timeliness(self) -> Timeliness:
        return self.deadline.timeliness(self.first_submitted_at)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def was_resubmitted(self) -> bool:
        return self.last_submitted_at is not None and self.last_submitted_at != \
            self.first_submitted_at


class ReportMeasure(models.Model):
    """A measure of the plan the school ticked, with what it did under it."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="measures",
        verbose_name=_("report"),
    )
    measure = models.CharField(_("measure"), max_length=20, choices=Measure.choices)
    narrative = models.TextField(_("work done"))

    class Meta:
        verbose_name = _("measure worked on")
        verbose_name_plural = _("measures worked on")
        constraints = [
            models.UniqueConstraint(fields=["report", "measure"], name="report_measure_once"),
        ]

    def __str__(self) -> str:
        return self.get_measure_display()


class ReportTransition(TransitionRecord):
    """One status change: the report's timeline (提交 → 退回 → 再次提交 → 通过),
    written by reporting.workflows.REPORT's apply()."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="transitions",
        verbose_name=_("report"),
    )
    from_state = models.CharField(_("from"), max_length=20, choices=ReportStatus.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=ReportStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"

    @property
    def label(self) -> str:
        """The word for this step on a timeline: the new status, except that a
        withdrawal (back to draft) says 已撤回."""
        if self.action == "withdraw":
            return str(_("Withdrawn"))
        return self.get_to_state_display()


MAX_PHOTOS_PER_REPORT = 20


class ReportPhoto(models.Model):
    """An activity photo, re-encoded by core.photos before it is stored:
    random names under MEDIA_ROOT (outside the static root), served only
    through a permission-checked view."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="photos",
        verbose_name=_("report"),
    )
    image = models.FileField(_("photo"), max_length=200)
    thumbnail = models.FileField(_("thumbnail"), max_length=200)
    caption = models.CharField(_("caption"), max_length=200)
    taken_on = models.DateField(_("date of the activity"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["taken_on", "id"]

    def __str__(self) -> str:
        return self.caption


class Bulletin(TimeStampedModel):
    """通报: the bureau's notice naming the schools that reported late or not at
    all for one deadline, laid out as an official document (公文, GB/T
    9704-2012). Drafted from the data, worded by an inspector, then published.
    School names only, never a child's data.

    `figures` are the figures the wording was drafted from (issue 8 item 4):
    the tables show them, so the body and the tables always agree; when the
    live data moves away from them the page offers to re-draft, and publishing
    refuses stale figures. The 发文字号 (issuer, year, serial) is assigned at
    publication from the bureau's DocumentSerial and never reused."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, related_name="bulletin", verbose_name=_("deadline")
    )
    title = models.CharField(_("title"), max_length=200)
    # 主送机关, e.g. 各中小学校、幼儿园 (the page adds the full-width colon).
    addressees = models.CharField(_("addressed to"), max_length=200, blank=True)
    body = models.TextField(_("wording"))
    remedy_by = models.DateField(_("submit late reports by"), null=True, blank=True)
    # 抄送机关 (the 版记's copy line); empty: no copy line.
    cc = models.CharField(_("copied to"), max_length=200, blank=True)
    figures = models.JSONField(_("figures"), default=dict)
    drafted_at = models.DateTimeField(_("drafted at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("published by"),
    )
    # Its deadline was moved after publication (issue 8 item 3): the notice
    # stays as published and says so; superseded_by is the latest such move.
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        DeadlineMove, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("superseded by the move"),
    )
    # 发文字号, set at publication: issuer〔doc_year〕doc_serial号.
    issuer = models.ForeignKey(Bureau, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("issuing bureau"))
    doc_year = models.PositiveSmallIntegerField(_("document year"), null=True, blank=True)
    doc_serial = models.PositiveIntegerField(_("document serial number"), null=True, blank=True)
    doc_number = models.CharField(_("document number"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("late-school notice")
        verbose_name_plural = _("late-school notices")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "doc_year", "doc_serial"],
                                    name="bulletin_document_number_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """The 补报截止日期 falls after the deadline's due date and no later than
        the campaign's end (issue 8 item 4). Raises ValidationError on remedy_by."""
        super().clean()
        if self.remedy_by is None or self.deadline_id is None:
            return
        deadline = self.deadline
        if self.remedy_by <= deadline.due_date:
            raise ValidationError({"remedy_by": _(
                "The date for late reports must be after the deadline (%(date)s).")
                % {"date": formats.date_format(deadline.due_date, "DATE_FORMAT")}})
        if self.remedy_by > deadline.campaign.end_date:
            raise ValidationError({"remedy_by": _(
                "The date for late reports must be within the campaign, which ends on "
                "%(date)s.") % {"date": formats.date_format(deadline.campaign.end_date,
                                                            "DATE_FORMAT")}})


class DocumentSerial(models.Model):
    """The last 发文字号 serial a bureau gave in a year (GB/T 9704-2012: numbered
    per issuer per year, from 1, never reused). One row per bureau and year,
    locked (SELECT … FOR UPDATE) by whoever takes the next number, so two
    notices published at once never share one; the row only ever counts up."""

    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("bureau"))
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last serial number"), default=0)

    class Meta:
        verbose_name = _("document number sequence")
        verbose_name_plural = _("document number sequences")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year"], name="document_serial_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}〔{self.year}〕{self.last}"


class ExportJob(models.Model):
    """An Excel export run by a Celery worker, with its progress for the page
    that waits for it. Only the person who asked may download the file.

    The row is the queue (an outbox): a job recorded while Redis is down, or
    whose worker died, is picked up again by the export sweep every minute
    (reporting.export_jobs)."""

    class Kind(models.TextChoices):
        TIMELINESS = "timeliness", _("Timeliness matrix")
        REPORTS = "reports", _("Report list")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        """Why a job failed, shown on the export page in the reader's language."""

        ERROR = "error", _("The export failed.")
        ACCESS = "access", _("You may no longer see this data, so the export was stopped.")
        INTERRUPTED = "interrupted", _("The export was interrupted too many times.")

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("campaign"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="+", verbose_name=_("requested by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    file = models.FileField(_("file"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set when a worker claims the job; each claim counts one attempt.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The heartbeat: every change of state and every progress step writes it,
    # so a RUNNING job that stops updating has lost its worker.
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    failure = models.CharField(_("reason for failure"), max_length=12, blank=True,
                               choices=Failure.choices)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "updated_at"],
                                name="reporting_export_sweep_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    # A queued export that no worker has picked up for this long (seconds) says so: the
    # sweep re-sends it every minute, so waiting longer means no worker is running
    # (issue 8, walk-through m: with runserver alone it sat at 排队中 0% with no hint).
    STALLED_AFTER_SECONDS = 90

    def is_stalled(self, at: dt.datetime | None = None) -> bool:
        """True when the job is still PENDING `STALLED_AFTER_SECONDS` after it was asked
        for (`at` defaults to now)."""
        at = at or clock.now()
        return (self.status == self.Status.PENDING
                and (at - self.created_at).total_seconds() > self.STALLED_AFTER_SECONDS)


class DeadlineTally(models.Model):
    """How many of one deadline's reports, from schools of one type, stand where:
    the dashboard's counts, kept as reports change so that a page view reads a
    few rows instead of every report of the campaign.

    Only schools the deadline counts (Deadline.counted_schools_q: its bureau's,
    in the campaign on its day) count, and `expected` is how many of them there
    are: per deadline, so adding or closing a school today changes only the
    rows of deadlines due after today (issue 8 item 3). Whether the type is in
    the campaign's scope is decided when reading. The report services change a
    row in the transaction that changes the report (`reporting.tallies`);
    moving a deadline or changing a school recounts what they touch, and
    `manage.py rebuild_tallies` recounts everything after a bulk load."""

    deadline = models.ForeignKey(
        Deadline, on_delete=models.CASCADE, related_name="tallies", verbose_name=_("deadline")
    )
    school_type = models.CharField(_("school type"), max_length=20, choices=SchoolType.choices)
    expected = models.PositiveIntegerField(_("expected schools"), default=0)
    submitted = models.PositiveIntegerField(_("submitted"), default=0)
    on_time = models.PositiveIntegerField(_("on time"), default=0)
    returned = models.PositiveIntegerField(_("returned"), default=0)
    approved = models.PositiveIntegerField(_("approved"), default=0)

    class Meta:
        verbose_name = _("deadline tally")
        verbose_name_plural = _("deadline tallies")
        constraints = [
            models.UniqueConstraint(fields=["deadline", "school_type"],
                                    name="tally_once_per_deadline_and_type"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline} · {self.get_school_type_display()}"
