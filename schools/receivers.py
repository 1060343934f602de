"""Derived values schools keeps itself, whoever saves a school (the admin, a
command, the demo, a test's factory): a school's membership period, and the
mark that a school's kept pupil counts must be recounted when one of its
pupils or circumstances is saved or deleted (bulk writes mark it themselves:
schools.pupil_counts.mark_counts_stale).

Only the period's days are derived here; who did it is recorded by the service
that saved the school (schools.services.school_save), when one did.
"""

from __future__ import annotations

import datetime as dt

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from core import clock

from .models import School
from .pupil_counts import mark_counts_stale
from .pupil_models import Circumstance, Pupil


def stamp_period(school: School, before: dict | None, today: dt.date) -> str | None:
    """Set `school`'s joined_on / closed_on from its flags (issue 8 item 3).

    `before` is the saved row's {"is_open", "in_campaign"} (None: a new school).
    A new school joins today (or on the joined_on it was given); created closed
    or out of the campaign, it closes the day it joins (it is expected for no
    deadline). Closing or leaving the campaign sets closed_on to today; reopening
    or coming back starts a new period today (joined_on today, closed_on None):
    the earlier period is not kept (one period per school; see the report).
    Returns "join", "close" or None (nothing changed in the period)."""
    counted = school.is_open and school.in_campaign
    if before is None:
        if school.joined_on is None:
            school.joined_on = today
        if not counted and school.closed_on is None:
            school.closed_on = school.joined_on
        if counted:
            school.closed_on = None
        return None
    was_counted = before["is_open"] and before["in_campaign"]
    if was_counted and not counted:
        school.closed_on = max(today, school.joined_on)
        return "close"
    if counted and not was_counted:
        school.joined_on, school.closed_on = today, None
        return "join"
    return None


@receiver(pre_save, sender=School, dispatch_uid="schools.stamp_period")
def school_period(sender, instance: School, raw=False, **kwargs) -> None:
    if raw:
        return
    before = None
    if instance.pk is not None:
        before = School.objects.filter(pk=instance.pk).values("is_open", "in_campaign").first()
    instance._period_change = stamp_period(instance, before, clock.today())


@receiver(pre_save, sender=Pupil, dispatch_uid="schools.pupil_school_before")
def pupil_school_before(sender, instance: Pupil, raw=False, **kwargs) -> None:
    """Remember the school a saved pupil was at (a transfer changes two
    schools' counts)."""
    instance._school_before = None
    if not raw and not instance._state.adding and instance.pk is not None:
        instance._school_before = (Pupil.objects.filter(pk=instance.pk)
                                   .values_list("school_id", flat=True).first())


@receiver(post_save, sender=Pupil, dispatch_uid="schools.pupil_counts_stale")
@receiver(post_delete, sender=Pupil, dispatch_uid="schools.pupil_counts_stale_delete")
def pupil_counts_stale(sender, instance: Pupil, raw=False, **kwargs) -> None:
    if not raw:
        mark_counts_stale([instance.school_id, getattr(instance, "_school_before", None)])


@receiver(post_save, sender=Circumstance, dispatch_uid="schools.circumstance_counts_stale")
@receiver(post_delete, sender=Circumstance,
          dispatch_uid="schools.circumstance_counts_stale_delete")
def circumstance_counts_stale(sender, instance: Circumstance, raw=False, **kwargs) -> None:
    if not raw:
        mark_counts_stale(Pupil.objects.filter(pk=instance.pupil_id)
                          .values_list("school_id", flat=True))
