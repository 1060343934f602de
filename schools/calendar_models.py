"""A bureau's school calendar (校历): its terms and the days it decides
otherwise than the national calendar (schools.calendar reads them)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class SchoolTerm(TimeStampedModel):
    """One term (学期) of a bureau's schools: school days fall between its
    first and last day (both included), on national working days."""

    bureau = models.ForeignKey("schools.Bureau", on_delete=models.CASCADE,
                               related_name="terms", verbose_name=_("bureau"))
    name = models.CharField(_("name"), max_length=100,
                            help_text=_("E.g. 2026—2027学年第一学期."))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("school term")
        verbose_name_plural = _("school terms")
        ordering = ["bureau", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="term_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"


class CalendarDay(TimeStampedModel):
    """A day the bureau decides itself: a closure within a term (snow, an
    epidemic, a local holiday) or a school day the national calendar does not
    have (a make-up day). It wins over the national calendar, inside terms."""

    bureau = models.ForeignKey("schools.Bureau", on_delete=models.CASCADE,
                               related_name="calendar_days", verbose_name=_("bureau"))
    day = models.DateField(_("day"))
    is_school_day = models.BooleanField(
        _("school day"), default=False,
        help_text=_("Ticked: the schools are open that day; not ticked: they are closed."))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["bureau", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "day"], name="calendar_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}: {self.reason}"
