"""Declared workflows: a record's lifecycle as data, and one `apply()`.

A domain declares its transitions once::

    REPORT_WORKFLOW = Workflow(
        model=ProgressReport, state_field="status",
        record_model=ReportTransition, subject_field="report",
        authorize=access.allows,
        transitions=[
            Transition("submit", sources={DRAFT}, target=SUBMITTED, permission=EDIT_REPORT),
            Transition("return", sources={SUBMITTED, RESUBMITTED}, target=RETURNED,
                       permission=REVIEW_REPORT, reason_required=True),
        ],
    )

and every service changes state through ``REPORT_WORKFLOW.apply(report, "submit",
by=user)``, which, inside the caller's transaction:

1. locks the row (SELECT … FOR UPDATE), so two taps or two people acting at
   once are serialised and the second sees the first's state;
2. asks the access layer (``authorize(user, record, permission)``) — core knows
   no app, so the domain hands the checker in; a transition with no permission
   is the system's own (a scheduled job) and takes ``by=None``;
3. checks the state and the reason;
4. runs the domain's ``guard`` (more invariants) and ``changes`` (other fields);
5. saves, writes the domain's transition row (who, when, from, to, reason),
   sends ``transition_applied`` (audit records every business action from it,
   so no domain has to remember to), and returns an :class:`Applied` with a
   snapshot of the record *before* the change, for side effects that need both
   (tallies, notices, follow-ups).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.transaction import TransactionManagementError
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from . import clock

# Sent inside the transaction after every applied transition: sender=the model,
# applied=Applied, by=the user (None for the system).
transition_applied = Signal()


class InvalidTransition(ValidationError):
    """The record is not in a state the transition starts from."""


@dataclass(frozen=True)
class Transition:
    """One arrow of a lifecycle.

    `permission` is whatever the workflow's `authorize` understands (a Perm of
    schools.access); None marks a system transition, allowed only with by=None.
    `refused` is the message shown when the record is in another state.
    """

    name: str
    sources: frozenset[str]
    target: str
    permission: object | None = None
    reason_required: bool = False
    refused: str | Any = _("This cannot be done to the record in its present state.")
    reason_missing: str | Any = _("Give the reason.")

    def __init__(self, name: str, *, sources: Iterable[str], target: str,
                 permission: object | None = None, reason_required: bool = False,
                 refused: str | Any | None = None, reason_missing: str | Any | None = None):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "sources", frozenset(str(s) for s in sources))
        object.__setattr__(self, "target", str(target))
        object.__setattr__(self, "permission", permission)
        object.__setattr__(self, "reason_required", reason_required)
        if refused is not None:
            object.__setattr__(self, "refused", refused)
        if reason_missing is not None:
            object.__setattr__(self, "reason_missing", reason_missing)


@dataclass
class Applied:
    """What apply() did: the locked, saved record; a copy of it before the change;
    the states; the transition row written (None if the workflow keeps none)."""

    obj: models.Model
    before: models.Model
    transition: Transition
    source: str
    target: str
    at: dt.datetime
    record: models.Model | None = None


Authorize = Callable[[Any, models.Model, object], bool]


class Workflow:
    """The lifecycle of one model. See the module docstring."""

    def __init__(
        self, *, model: type[models.Model], transitions: Iterable[Transition],
        state_field: str = "status", authorize: Authorize | None = None,
        record_model: type[models.Model] | None = None, subject_field: str | None = None,
        select_related: Iterable[str] = (),
    ):
        self.model = model
        self.state_field = state_field
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"transition {t.name!r} declared twice")
            self.transitions[t.name] = t
        if record_model is not None and not subject_field:
            raise ValueError("a workflow with a record_model needs its subject_field")
        if any(t.permission is not None for t in self.transitions.values()) and authorize is None:
            raise ValueError("a workflow with permissions needs an authorize function")
        self.authorize = authorize
        self.record_model = record_model
        self.subject_field = subject_field
        self.select_related = tuple(select_related)

    def available(self, obj: models.Model, user) -> list[Transition]:
        """The transitions `user` may apply to `obj` as it stands (no lock, no
        query beyond what `authorize` needs): for showing buttons, never for
        deciding."""
        state = getattr(obj, self.state_field)
        return [t for t in self.transitions.values()
                if state in t.sources and t.permission is not None
                and self.authorize(user, obj, t.permission)]

    def lock(self, obj: models.Model) -> models.Model:
        """The row of `obj` again, locked for the rest of the transaction."""
        qs = self.model._default_manager.select_for_update(of=("self",))
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs.get(pk=obj.pk)

    def apply(
        self, obj: models.Model, name: str, *, by, reason: str = "",
        at: dt.datetime | None = None,
        guard: Callable[[models.Model], None] | None = None,
        changes: Callable[[models.Model, dt.datetime], Mapping[str, Any]] | None = None,
        locked: bool = False,
    ) -> Applied:
        """Apply transition `name` to `obj`. Must run inside the caller's atomic
        block (the domain's side effects belong to the same transaction).

        Raises KeyError for an unknown transition, TransactionManagementError
        outside a transaction, PermissionDenied when the access layer refuses
        (or a person starts a system transition), InvalidTransition from the
        wrong state, ValidationError({"reason": …}) when a required reason is
        blank, and whatever `guard` raises. locked=True: `obj` is already this
        transaction's locked row (the caller locked it to decide), not locked again.
        """
        transition = self.transitions[name]
        if not transaction.get_connection().in_atomic_block:
            raise TransactionManagementError(
                f"{self.model.__name__} {name}: apply() must run inside transaction.atomic")
        locked = obj if locked else self.lock(obj)
        if transition.permission is None:
            if by is not None:
                raise PermissionDenied
        elif by is None or not self.authorize(by, locked, transition.permission):
            raise PermissionDenied
        source = str(getattr(locked, self.state_field))
        if source not in transition.sources:
            raise InvalidTransition(transition.refused)
        reason = (reason or "").strip()
        if transition.reason_required and not reason:
            raise ValidationError({"reason": transition.reason_missing})
        if guard is not None:
            guard(locked)
        at = at or clock.now()
        before = copy.copy(locked)
        fields = dict(changes(locked, at)) if changes is not None else {}
        for attr, value in fields.items():
            setattr(locked, attr, value)
        setattr(locked, self.state_field, transition.target)
        update = [self.state_field, *fields]
        if any(f.name == "updated_at" for f in self.model._meta.concrete_fields):
            update.append("updated_at")
        locked.save(update_fields=sorted(set(update)))
        record = None
        if self.record_model is not None:
            record = self.record_model._default_manager.create(
                **{self.subject_field: locked}, action=transition.name, from_state=source,
                to_state=transition.target, actor=by, at=at, reason=reason)
        applied = Applied(obj=locked, before=before, transition=transition, source=source,
                          target=transition.target, at=at, record=record)
        transition_applied.send(sender=self.model, applied=applied, by=by)
        return applied
