"""incidents' answers to saves (schools cannot call incidents): the bureau
views' tallies move with every referral, bullying case, dispute return,
dispute and school saved or deleted, whoever saves them (incidents.tallies)."""

from __future__ import annotations

from collections import Counter

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from schools.models import School

from . import tallies
from .models import BullyingCase, BullyingSupport, Dispute, DisputeReturn, Referral

# The tallied models and their proxies (a proxy's saves are sent as the proxy).
TALLIED = (Referral, BullyingCase, BullyingSupport, DisputeReturn, Dispute)


def _school(school_id: int) -> dict:
    return School.objects.filter(pk=school_id).values(*tallies.SCHOOL_FIELDS).get()


def _touches(instance, update_fields) -> bool:
    fields = tallies.SOURCES[instance._meta.concrete_model].fields
    return update_fields is None or bool({f.removesuffix("_id") for f in fields}
                                         & {f.removesuffix("_id") for f in update_fields})


def remember_marks(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Before a save: what the row counts for now (nothing for a new row)."""
    if raw or not _touches(instance, update_fields):
        instance._tally_before = None
        return
    model = instance._meta.concrete_model
    instance._tally_before = (Counter() if instance._state.adding or instance.pk is None
                              else tallies.marks_in_database(model, instance.pk))


def move_marks(sender, instance, raw=False, **kwargs) -> None:
    """After a save, in its transaction: the rows move by the difference."""
    before = instance.__dict__.pop("_tally_before", None)
    if raw or before is None:
        return
    after = tallies.marks_of_instance(instance, _school(instance.school_id))
    tallies.apply(tallies.difference(after, before))


def drop_marks(sender, instance, **kwargs) -> None:
    """A deleted record counts no more."""
    school = School.objects.filter(pk=instance.school_id).values(*tallies.SCHOOL_FIELDS).first()
    if school is not None:
        tallies.apply(tallies.difference(Counter(),
                                         tallies.marks_of_instance(instance, school)))


for model in TALLIED:
    name = model.__name__.lower()
    pre_save.connect(remember_marks, sender=model, dispatch_uid=f"incidents.tally_before_{name}")
    post_save.connect(move_marks, sender=model, dispatch_uid=f"incidents.tally_after_{name}")
    post_delete.connect(drop_marks, sender=model, dispatch_uid=f"incidents.tally_drop_{name}")


@receiver(pre_save, sender=School, dispatch_uid="incidents.school_before_save")
def remember_school(sender, instance: School, raw=False, **kwargs) -> None:
    instance._incidents_before = None
    if raw or instance.pk is None or instance._state.adding:
        return
    instance._incidents_before = School.objects.filter(pk=instance.pk).values(
        *tallies.SCHOOL_FIELDS).first()


@receiver(post_save, sender=School, dispatch_uid="incidents.school_saved")
def move_school(sender, instance: School, raw=False, **kwargs) -> None:
    """A school given another type or bureau takes its referrals' and cases'
    counts along (in the same transaction)."""
    before = instance.__dict__.pop("_incidents_before", None)
    if raw or before is None:
        return
    tallies.school_moved(instance.pk, before,
                         {name: getattr(instance, name) for name in tallies.SCHOOL_FIELDS})
