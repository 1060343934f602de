"""Reporting's answers to changes made elsewhere (schools cannot call reporting)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from schools.models import School

from . import followups, tallies
from .models import Deadline

# What decides for which deadlines, and under which type, a school is counted
# (its campaign period, set by schools.receivers before this runs).
COUNTED_BY = tallies.COUNTED_BY


@receiver(pre_save, sender=School, dispatch_uid="reporting.school_before_save")
def remember_school(sender, instance: School, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    instance._counted_before = School.objects.filter(pk=instance.pk).values(*COUNTED_BY).first()


@receiver(post_save, sender=School, dispatch_uid="reporting.school_saved")
def recount_school(sender, instance: School, created=False, raw=False, **kwargs) -> None:
    """A school closed, reopened, taken out of the campaign or given another
    type: move its count on the deadlines its period covers (only those after
    the change: issue 8 item 3), recount the deadlines it has reports for, and
    open or cancel its report-due follow-ups, in the same transaction. A new
    school gets follow-ups for the deadlines it is expected for."""
    before = getattr(instance, "_counted_before", None)
    instance._counted_before = None
    if raw:
        return
    if created:
        tallies.school_moved(None, _counted(instance))
        followups.school_changed(instance)  # a new school owes the open deadlines
        return
    if before is None or all(before[name] == getattr(instance, name) for name in COUNTED_BY):
        return
    tallies.school_moved(before, _counted(instance))
    tallies.rebuild(Deadline.objects.filter(reports__school=instance).distinct())
    followups.school_changed(instance)


@receiver(post_delete, sender=School, dispatch_uid="reporting.school_deleted")
def uncount_school(sender, instance: School, **kwargs) -> None:
    """A deleted school is expected no more (the dashboard's per-type counts)."""
    tallies.school_moved(_counted(instance), None)


def _counted(school: School) -> dict:
    return {name: getattr(school, name) for name in COUNTED_BY}
