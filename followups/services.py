"""Opening, completing and cancelling follow-ups, and the scan that tells people.

Domain services call the first three inside their own transaction, so a
follow-up exists exactly when the record that makes it due does. The scan runs
every minute (followups.scan_followups): it claims due rows with
SELECT … FOR UPDATE SKIP LOCKED and moves each row's `step` and
`next_notice_at` in the same transaction that writes its notices, so two beats,
a scan run twice or a redelivered task tell nobody twice; each notice's dedupe
key is (follow-up, arm, step, recipient) besides (architecture.md "Workflows,
follow-ups and clocks"; style.md, healthchecks' claim-then-send).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from core import clock
from notifications.services import NoticeDraft, notice_cancel_for, notice_enqueue_many
from schools.models import BUREAU_ROLES, Membership, School

from . import kinds as registry
from .models import FollowUp

logger = logging.getLogger("safety_portal.followups")

SCAN_BATCH = 2000
SCAN_DEFERRED = ("code", "created_at", "updated_at", "outcome", "closed_at", "closed_by")
MAX_MERGED = 8  # rows named in one merged message (the dedupe key must stay short)


@dataclass(frozen=True)
class Opening:
    """One follow-up to open with followup_open_many."""

    subject_code: str
    school_id: int
    due_at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    assignee_id: int | None = None


def _first_notice_at(steps: list[registry.Step], due_at: dt.datetime) -> dt.datetime | None:
    """When a row armed now fires first: its step 0 (the scan's catch-up
    decides which of the steps already past is still told), None without steps.
    Callers read the kind's steps once for all their rows."""
    return due_at + steps[0].offset if steps else None


@transaction.atomic
def followup_open(
    *, kind: str, subject_code: str, school_id: int, due_at: dt.datetime,
    data: Mapping[str, Any] | None = None, assignee_id: int | None = None,
) -> tuple[FollowUp, bool]:
    """Open a follow-up of `kind` about the subject, unless one is open already.

    Returns (follow-up, created). An open one whose due time differs is re-armed
    for the new time (followup_rearm). Raises LookupError for an unknown kind.
    Call inside the domain's transaction.
    """
    spec = registry.get(kind)
    existing = (FollowUp.objects.open().select_for_update()
                .filter(kind=kind, subject_type=spec.subject_type, subject_code=str(subject_code))
                .first())
    if existing is not None:
        if existing.due_at != due_at:
            followup_rearm(FollowUp.objects.filter(pk=existing.pk), due_at=due_at)
            existing.refresh_from_db()
        return existing, False
    next_at = _first_notice_at(spec.step_list(), due_at)
    row = FollowUp.objects.create(
        kind=kind, subject_type=spec.subject_type, subject_code=str(subject_code),
        school_id=school_id, due_at=due_at, data=dict(data or {}), assignee_id=assignee_id,
        step=0, next_notice_at=next_at)
    return row, True


OPEN_BATCH = 5000


@transaction.atomic
def followup_open_many(*, kind: str, openings: Iterable[Opening]) -> int:
    """Open many follow-ups of one kind in batches (a new deadline for every
    school of a district). Subjects that already have an open follow-up of the
    kind are left alone. Returns how many were opened. `openings` is consumed
    a batch at a time (one look-up and one INSERT per 5,000), so a generator
    over half a million schools is never held in memory at once."""
    spec = registry.get(kind)
    steps = spec.step_list()
    it = iter(openings)
    opened = 0
    while batch := list(islice(it, OPEN_BATCH)):
        codes = [str(o.subject_code) for o in batch]
        existing = set(FollowUp.objects.open().filter(
            kind=kind, subject_type=spec.subject_type, subject_code__in=codes,
        ).values_list("subject_code", flat=True))
        rows = []
        for o in batch:
            if str(o.subject_code) in existing:
                continue
            rows.append(FollowUp(kind=kind, subject_type=spec.subject_type,
                                 subject_code=str(o.subject_code), school_id=o.school_id,
                                 due_at=o.due_at, data=dict(o.data), assignee_id=o.assignee_id,
                                 step=0, next_notice_at=_first_notice_at(steps, o.due_at)))
        # ignore_conflicts: the partial unique index absorbs a concurrent opener.
        FollowUp.objects.bulk_create(rows, batch_size=OPEN_BATCH, ignore_conflicts=True)
        opened += len(rows)
    return opened


@transaction.atomic
def _close(rows: QuerySet[FollowUp], state: str, *, by=None, outcome: str = "",
           at: dt.datetime | None = None) -> int:
    at = at or clock.now()
    closing = list(rows.open().select_for_update()
                   .values_list("pk", "subject_type", "subject_code"))
    if not closing:
        return 0
    FollowUp.objects.filter(pk__in=[pk for pk, _t, _c in closing]).update(
        state=state, closed_at=at, closed_by=by, outcome=outcome, next_notice_at=None,
        updated_at=at)
    _cancel_pending_notices((t, c) for _pk, t, c in closing)
    return len(closing)


def followup_complete(rows: QuerySet[FollowUp], *, by=None, outcome: str = "",
                      at: dt.datetime | None = None) -> int:
    """Mark the open follow-ups in `rows` done (the report arrived, the call was
    made) and cancel their notices not yet sent. Returns how many were open."""
    return _close(rows, FollowUp.State.DONE, by=by, outcome=outcome, at=at)


def followup_cancel(rows: QuerySet[FollowUp], *, by=None, outcome: str = "",
                    at: dt.datetime | None = None) -> int:
    """Cancel the open follow-ups in `rows` (the reason went away: the school
    left the campaign) and their notices not yet sent."""
    return _close(rows, FollowUp.State.CANCELLED, by=by, outcome=outcome, at=at)


@transaction.atomic
def followup_rearm(rows: QuerySet[FollowUp], *, due_at: dt.datetime) -> int:
    """Give the open follow-ups in `rows` a new due time (a moved deadline):
    their steps start again for it, under a new arm (so a reminder already sent
    for the old date may be sent for the new one), and notices of the old arm
    not yet sent are cancelled. Returns how many were re-armed."""
    open_rows = list(rows.open().select_for_update())
    steps: dict[str, list[registry.Step]] = {}  # per kind, read once
    for row in open_rows:
        if row.kind not in steps:
            steps[row.kind] = registry.get(row.kind).step_list()
        row.step, row.next_notice_at = 0, _first_notice_at(steps[row.kind], due_at)
        row.due_at = due_at
        row.arm += 1
    FollowUp.objects.bulk_update(open_rows, ["step", "next_notice_at", "due_at", "arm"],
                                 batch_size=1000)
    _cancel_pending_notices((r.subject_type, r.subject_code) for r in open_rows)
    return len(open_rows)


def _cancel_pending_notices(subjects: Iterable[tuple[str, str]]) -> None:
    """Cancel the notices not yet sent (e-mail and group messages) about these
    (subject type, subject code) pairs: a follow-up's notices are about its
    subject. A merged message is about its first row's subject, so it goes when
    that row closes."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for subject_type, subject_code in subjects:
        by_type[subject_type].append(subject_code)
    for subject_type, codes in by_type.items():
        for start in range(0, len(codes), 1000):
            notice_cancel_for(subject_type, codes[start:start + 1000])


# ---------------------------------------------------------------------- scan


@dataclass
class ScanResult:
    claimed: int = 0
    told: int = 0  # follow-up steps that produced notices
    notices: int = 0  # notices written (after merging and dedupe)


@dataclass
class _Firing:
    row: FollowUp
    kind: registry.FollowUpKind
    step: registry.Step


def scan(*, at: dt.datetime | None = None, batch: int = SCAN_BATCH) -> ScanResult:
    """Fire every step due at `at` (default now). Returns counts.

    A row whose steps fell due while the scan was not running fires only the
    latest of them (one reminder, not three; one overdue notice however many
    days it covers), and none that is later than its kind's catch_up.
    """
    at = at or clock.now()
    result = ScanResult()
    while True:
        with transaction.atomic():
            # Only the follow-up rows, locked; a kind's context function reads
            # what its wording needs for the whole batch at once (a school per
            # row through select_related cost 50,000 model inits at scale).
            rows = list(FollowUp.objects.notice_due(at)
                        # Not read by the scan nor by a kind's wording (the
                        # UUID alone cost a fifth of the Python at 50,000 rows).
                        .defer(*SCAN_DEFERRED)
                        .select_for_update(skip_locked=True, of=("self",))
                        .order_by("next_notice_at", "id")[:batch])
            if not rows:
                break
            steps: dict[str, list[registry.Step]] = {}  # per kind, read once a batch
            firings = [f for row in rows if (f := _advance(row, at, steps)) is not None]
            _save_steps(rows)
            result.claimed += len(rows)
            result.told += len(firings)
            result.notices += notice_enqueue_many(_drafts(firings))
        if len(rows) < batch:
            break
    return result


def _save_steps(rows: list[FollowUp]) -> None:
    """Write each row's new step and next notice time: one UPDATE per distinct
    (step, time), and a batch's rows mostly share one (they fell due
    together). bulk_update's CASE WHEN per row cost ~1.5 ms a row to build,
    the bulk of a 2,000-row batch."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        groups[(row.step, row.next_notice_at)].append(row.pk)
    connection = transaction.get_connection()
    for (step, next_at), ids in groups.items():
        if connection.vendor == "postgresql":
            # One array parameter: the ORM's pk__in prepares each of 2,000 ids
            # one by one (a tenth of the scan's Python time at a million rows).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {FollowUp._meta.db_table} SET step = %s, next_notice_at = %s "  # noqa: S608 - the table name is ours
                    "WHERE id = ANY(%s)", [step, next_at, ids])
        else:
            FollowUp.objects.filter(pk__in=ids).update(step=step, next_notice_at=next_at)


def _advance(row: FollowUp, at: dt.datetime,
             step_lists: dict[str, list[registry.Step]]) -> _Firing | None:
    """Move the row past every step due at `at`; the latest one fires.
    `step_lists` caches each kind's steps (reading them builds them from
    settings: a tenth of a millisecond a row)."""
    try:
        kind = registry.get(row.kind)
    except LookupError:
        logger.error("follow-up %s has an unknown kind %r; it is left silent", row.pk, row.kind)
        row.next_notice_at = None
        return None
    steps = step_lists.get(kind.name)
    if steps is None:
        steps = step_lists[kind.name] = kind.step_list()
    times = [row.due_at + s.offset for s in steps]
    fired = None
    index = row.step
    while index < len(steps) and times[index] <= at:
        fired = index
        index += 1
    row.step = index
    row.next_notice_at = times[index] if index < len(steps) else None
    if fired is None or at - times[fired] > kind.catch_up:
        return None
    return _Firing(row=row, kind=kind, step=steps[fired])


def _recipients(firings: list[_Firing]) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """(school id, role) -> [(user id, language)] for every role the firings
    need: two queries, each by index (the memberships of the batch's schools,
    then their users by primary key). One query joining the two made the
    planner hash the whole user table, a sequential scan per batch that grows
    with the country."""
    schools = {f.row.school_id for f in firings}
    roles = {r for f in firings for r in (f.step.roles or f.kind.roles)}
    found: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    if not schools:
        return found
    members = set(Membership.objects.filter(school_id__in=schools, role__in=roles,
                                            is_active=True)
                  .values_list("school_id", "role", "user_id"))
    bureau_roles = roles & BUREAU_ROLES
    if bureau_roles:
        # A bureau role in a step (an escalation beyond the school): its
        # holders in the bureau of each row's school, two queries more.
        bureau_of = dict(School.objects.filter(pk__in=schools).values_list("pk", "bureau_id"))
        held = defaultdict(list)
        for bureau_id, role, user_id in (Membership.objects.filter(
                bureau_id__in=set(bureau_of.values()), role__in=bureau_roles,
                is_active=True).values_list("bureau_id", "role", "user_id")):
            held[bureau_id].append((role, user_id))
        members |= {(school_id, role, user_id) for school_id, bureau_id in bureau_of.items()
                    for role, user_id in held.get(bureau_id, [])}
    languages = dict(get_user_model().objects.filter(
        pk__in={user_id for _s, _r, user_id in members}, is_active=True,
    ).values_list("pk", "language"))
    for school_id, role, user_id in sorted(members):
        if user_id in languages:
            found[(school_id, role)].append((user_id, languages[user_id]))
    return found


def _drafts(firings: list[_Firing]) -> list[NoticeDraft]:
    if not firings:
        return []
    people = _recipients(firings)
    assignees = {f.row.assignee_id for f in firings if f.row.assignee_id is not None}
    languages = dict(get_user_model().objects.filter(pk__in=assignees, is_active=True)
                     .values_list("pk", "language")) if assignees else {}
    contexts: dict[int, Mapping[str, Any]] = {}
    by_kind: dict[str, list[_Firing]] = defaultdict(list)
    for f in firings:
        by_kind[f.kind.name].append(f)
    for group in by_kind.values():
        contexts.update(group[0].kind.context([f.row for f in group]))

    # (recipient, notice kind, merge key) -> the firings one message names.
    messages: dict[tuple, list[_Firing]] = defaultdict(list)
    language_of: dict[int, str] = {}
    for f in firings:
        targets = []
        if f.row.assignee_id in languages:
            targets.append((f.row.assignee_id, languages[f.row.assignee_id]))
        if not targets or f.step.roles is not None:
            # No assignee (or one who was deactivated), or an escalation step
            # that widens the circle: the roles at the school hear it too.
            for role in f.step.roles or f.kind.roles:
                targets += people.get((f.row.school_id, role), [])
        mergeable = f.kind.merge_key is not None and f.kind.combine is not None
        merge = f.kind.merge_key(f.row) if mergeable else ("row", f.row.pk)
        for user_id, language in dict(targets).items():
            language_of[user_id] = language
            messages[(user_id, f.step.notice_kind, f.kind.name, merge)].append(f)

    drafts = []
    for (user_id, notice_kind, _kind, _merge), group in messages.items():
        for start in range(0, len(group), MAX_MERGED):
            chunk = sorted(group[start:start + MAX_MERGED], key=lambda f: f.row.pk)
            kind = chunk[0].kind
            if len(chunk) > 1:
                context = kind.combine([contexts[f.row.pk] for f in chunk])
            else:
                context = contexts[chunk[0].row.pk]
            ids = "+".join(f"{f.row.pk}.{f.row.arm}" for f in chunk)
            first = chunk[0].row
            drafts.append(NoticeDraft(
                key=f"followup:{ids}:{chunk[0].step.name}:{user_id}", kind=notice_kind,
                recipient_id=user_id, context=context, language=language_of[user_id],
                subject=(first.subject_type, first.subject_code), school_id=first.school_id,
                # The school's group robot hears of each step once, not once
                # per person told.
                group_key=f"followup:{ids}:{chunk[0].step.name}"))
    return drafts
