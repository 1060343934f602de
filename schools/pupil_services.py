"""Business actions on one pupil's record (issue 9 items 2, 5, 8): record and
end a circumstance, add and edit a guardian (one primary contact), change the
pupil's 学籍状态. Views, the admin and commands call these; none of them
writes these models directly.

Circumstances and guardians are announced through core.signals'
``business_action`` ("circumstance.record", "circumstance.end",
"guardian.add", "guardian.edit"; schools may not import audit); a status
change is a transition of PUPIL_STATUS (core.workflows), which audit records
as "pupil.<transition>". Every announcement names the record by its code (or
a guardian by its id) and the school: never a name, a phone number or a note.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.signals import announce as _announce
from core.workflows import Transition, Workflow

from . import access
from .access_rules import SchoolsPerm
from .pupil_models import (
    Circumstance,
    Guardian,
    PriorityGroup,
    Pupil,
    PupilStatus,
    PupilStatusChange,
)

_ALL = set(PupilStatus.values)


def _from_all_but(target: str) -> set[str]:
    return _ALL - {target}


# 学籍状态 changes: any state to any other (a pupil who dropped out comes back,
# a transfer entered by mistake is undone by "enrol"), always with a reason.
PUPIL_STATUS = Workflow(
    model=Pupil, state_field="status", authorize=access.allows,
    record_model=PupilStatusChange, subject_field="pupil",
    transitions=[
        Transition(name, sources=_from_all_but(target), target=target,
                   permission=SchoolsPerm.MANAGE_ROSTER, reason_required=True,
                   refused=gettext_lazy("The pupil already has this status."))
        for name, target in (
            ("enrol", PupilStatus.ENROLLED),
            ("transfer_out", PupilStatus.TRANSFERRED_OUT),
            ("suspend", PupilStatus.SUSPENDED),
            ("drop_out", PupilStatus.DROPPED_OUT),
            ("graduate", PupilStatus.GRADUATED),
            ("decease", PupilStatus.DECEASED),
        )
    ],
)
# The transition that leads to each status.
TRANSITION_TO = {t.target: t.name for t in PUPIL_STATUS.transitions.values()}




# ------------------------------------------------------------------ circumstances


@transaction.atomic
def circumstance_record(
    *, pupil: Pupil, group: str, difficulty_type: str = "", since: dt.date | None = None,
    until: dt.date | None = None, note: str = "", by, request=None,
) -> Circumstance:
    """Record that `pupil` belongs to priority group `group` (PriorityGroup
    value) from `since` (default today, Asia/Shanghai) until `until` (None:
    still). `difficulty_type` (DifficultyType value) is required for
    IN_DIFFICULTY and refused for any other group; `until` must not be before
    `since`; `note` at most 2000 characters. Raises ValidationError keyed by
    field, PermissionDenied when `by` may not record circumstances for this
    pupil (schools.record_circumstance, can_for_pupil). Announced as
    "circumstance.record" (the circumstance's code, extra new = since)."""
    if not access.can_for_pupil(by, SchoolsPerm.RECORD_CIRCUMSTANCE, pupil):
        raise PermissionDenied
    since = since or clock.today()
    errors: dict[str, str] = {}
    if group == PriorityGroup.IN_DIFFICULTY and not difficulty_type:
        errors["difficulty_type"] = _("Choose the kind of difficulty.")
    elif group != PriorityGroup.IN_DIFFICULTY and difficulty_type:
        errors["difficulty_type"] = _("A kind of difficulty is only for a child in difficulty.")
    if until is not None and until < since:
        errors["until"] = _("The end cannot be before the start.")
    if errors:
        raise ValidationError(errors)
    circumstance = Circumstance(pupil=pupil, group=group, difficulty_type=difficulty_type,
                                since=since, until=until, note=(note or "").strip(),
                                recorded_by=by)
    circumstance.full_clean()
    circumstance.save()
    _announce("circumstance.record", by=by, obj=circumstance, school_id=pupil.school_id,
              request=request, new=since.isoformat())
    return circumstance


@transaction.atomic
def circumstance_end(*, circumstance: Circumstance, until: dt.date, by,
                     request=None) -> Circumstance:
    """End `circumstance` on `until` (not before its start). Ending one
    already ended moves its end. Raises ValidationError({"until": …}),
    PermissionDenied as circumstance_record. Announced as "circumstance.end"
    (extra old/new = the previous and the new end, ISO dates or None)."""
    locked = (Circumstance.objects.select_for_update(of=("self",)).select_related("pupil")
              .get(pk=circumstance.pk))
    if not access.can_for_pupil(by, SchoolsPerm.RECORD_CIRCUMSTANCE, locked.pupil):
        raise PermissionDenied
    if until is None:
        raise ValidationError({"until": _("Give the day it ended.")})
    if until < locked.since:
        raise ValidationError({"until": _("The end cannot be before the start (%(since)s).")
                               % {"since": locked.since.isoformat()}})
    old = locked.until
    locked.until = until
    locked.save(update_fields=["until", "updated_at"])
    _announce("circumstance.end", by=by, obj=locked, school_id=locked.pupil.school_id,
              request=request, old=old.isoformat() if old else None, new=until.isoformat())
    return locked


# ------------------------------------------------------------------ guardians

GUARDIAN_FIELDS = ("name", "relationship", "phone", "lives_with_child", "works_away",
                   "works_away_place", "is_primary")


@transaction.atomic
def guardian_save(*, pupil: Pupil, data: dict, guardian: Guardian | None = None, by,
                  request=None) -> Guardian:
    """Add a guardian to `pupil` (guardian=None) or change `guardian` (one of
    the pupil's) with `data` (the keys of GUARDIAN_FIELDS, already cleaned by
    schools.pupil_forms.GuardianForm). Making one the primary contact steps the
    previous primary down in the same transaction (the pupil's guardians are
    locked first, so two editors cannot leave two primaries; the database's
    guardian_one_primary constraint is the last word). The place of work is
    kept only for someone who works away. Raises PermissionDenied unless `by`
    holds schools.edit_guardians for the pupil, ValidationError from the
    model. Announced as "guardian.add"/"guardian.edit" (extra: role "primary"
    when made primary; never the name or the phone)."""
    if not access.can_for_pupil(by, SchoolsPerm.EDIT_GUARDIANS, pupil):
        raise PermissionDenied
    if guardian is not None and guardian.pupil_id != pupil.pk:
        raise PermissionDenied
    list(Guardian.objects.select_for_update(of=("self",)).filter(pupil=pupil).order_by()
         .values_list("pk", flat=True))
    adding = guardian is None
    guardian = guardian or Guardian(pupil=pupil)
    for field in GUARDIAN_FIELDS:
        if field in data:
            setattr(guardian, field, data[field])
    if not guardian.works_away:
        guardian.works_away_place = ""
    if guardian.is_primary:
        others = Guardian.objects.filter(pupil=pupil, is_primary=True)
        if guardian.pk:
            others = others.exclude(pk=guardian.pk)
        others.update(is_primary=False)
    guardian.full_clean(validate_constraints=False)
    guardian.save()
    extra = {"role": "primary"} if guardian.is_primary else {}
    _announce("guardian.add" if adding else "guardian.edit", by=by, obj=guardian,
              school_id=pupil.school_id, request=request, **extra)
    return guardian


# ------------------------------------------------------------------ status


@transaction.atomic
def pupil_change_status(*, pupil: Pupil, status: str, on: dt.date, reason: str, by,
                        request=None) -> PupilStatusChange:
    """Change `pupil`'s 学籍状态 to `status` (PupilStatus value) as of `on`
    (not in the future), for `reason` (required; kept on the status change,
    never in the audit trail). Through PUPIL_STATUS.apply: the row is locked,
    `by` must hold schools.manage_roster for the pupil (PermissionDenied),
    the status must differ (InvalidTransition, a ValidationError) and a
    reason be given (ValidationError({"reason": …})). Sets
    status_changed_on = `on` and returns the PupilStatusChange written;
    audit records it as "pupil.<transition>" with old/new status."""
    if status not in TRANSITION_TO:
        raise ValidationError({"status": _("Choose a status.")})
    if on is None:
        raise ValidationError({"on": _("Give the day it took effect.")})
    if on > clock.today():
        raise ValidationError({"on": _("The day cannot be in the future.")})
    applied = PUPIL_STATUS.apply(
        pupil, TRANSITION_TO[status], by=by, reason=reason,
        changes=lambda locked, at: {"status_changed_on": on})
    record = applied.record
    record.effective_on = on
    record.save(update_fields=["effective_on"])
    return record
