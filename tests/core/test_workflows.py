"""core.workflows: transitions as data and the one apply()."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from core.workflows import InvalidTransition, Transition, Workflow
from tests.plugin_app.models import Hazard, HazardTransition
from tests.schools.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Hazard.Status


def allow_only(name):
    return lambda user, obj, perm: user.username == name and perm == "fix"


WORKFLOW = Workflow(
    model=Hazard, record_model=HazardTransition, subject_field="hazard",
    authorize=allow_only("fixer"),
    transitions=[
        Transition("start", sources={S.REPORTED}, target=S.FIXING, permission="fix"),
        Transition("finish", sources={S.FIXING}, target=S.FIXED, permission="fix",
                   reason_required=True),
        Transition("withdraw", sources={S.REPORTED, S.FIXING}, target=S.WITHDRAWN),
    ],
)


@pytest.fixture
def hazard():
    return Hazard.objects.create(school=SchoolFactory(), title="松动的栏杆")


@pytest.fixture
def fixer():
    return UserFactory(username="fixer")


def test_apply_moves_the_state_and_writes_the_transition_row(hazard, fixer, at):
    with transaction.atomic():
        applied = WORKFLOW.apply(hazard, "start", by=fixer, at=at("2026-05-13 09:00"))
    hazard.refresh_from_db()
    assert hazard.status == S.FIXING
    assert applied.source == S.REPORTED
    assert applied.target == S.FIXING
    assert applied.before.status == S.REPORTED
    row = HazardTransition.objects.get()
    assert (row.hazard, row.action, row.from_state, row.to_state, row.actor, row.at) == (
        hazard, "start", S.REPORTED, S.FIXING, fixer, at("2026-05-13 09:00"))


def test_other_fields_change_with_the_state(hazard, fixer, at):
    with transaction.atomic():
        WORKFLOW.apply(hazard, "start", by=fixer)
        WORKFLOW.apply(hazard, "finish", by=fixer, reason=" 已更换 ",
                       changes=lambda h, when: {"fixed_at": when}, at=at("2026-05-14 10:00"))
    hazard.refresh_from_db()
    assert hazard.fixed_at == at("2026-05-14 10:00")
    assert HazardTransition.objects.get(action="finish").reason == "已更换"


def test_a_person_the_access_layer_refuses_is_denied_and_nothing_changes(hazard):
    with pytest.raises(PermissionDenied), transaction.atomic():
        WORKFLOW.apply(hazard, "start", by=UserFactory(username="someone"))
    hazard.refresh_from_db()
    assert hazard.status == S.REPORTED
    assert not HazardTransition.objects.exists()


def test_the_wrong_state_is_refused(hazard, fixer):
    with pytest.raises(InvalidTransition), transaction.atomic():
        WORKFLOW.apply(hazard, "finish", by=fixer, reason="x")


def test_a_required_reason_may_not_be_blank(hazard, fixer):
    with transaction.atomic():
        WORKFLOW.apply(hazard, "start", by=fixer)
    with pytest.raises(ValidationError) as exc, transaction.atomic():
        WORKFLOW.apply(hazard, "finish", by=fixer, reason="   ")
    assert "reason" in exc.value.message_dict


def test_a_guard_can_refuse(hazard, fixer):
    def guard(h):
        raise ValidationError("not yet")

    with pytest.raises(ValidationError), transaction.atomic():
        WORKFLOW.apply(hazard, "start", by=fixer, guard=guard)
    hazard.refresh_from_db()
    assert hazard.status == S.REPORTED


def test_a_system_transition_takes_no_person(hazard, fixer):
    with pytest.raises(PermissionDenied), transaction.atomic():
        WORKFLOW.apply(hazard, "withdraw", by=fixer)
    with transaction.atomic():
        WORKFLOW.apply(hazard, "withdraw", by=None)
    assert HazardTransition.objects.get().actor is None


@pytest.mark.django_db(transaction=True)
def test_apply_refuses_to_run_outside_a_transaction(hazard, fixer):
    with pytest.raises(TransactionManagementError):
        WORKFLOW.apply(hazard, "start", by=fixer)


def test_apply_reads_the_locked_row_not_the_stale_object(hazard, fixer):
    stale = Hazard.objects.get(pk=hazard.pk)
    with transaction.atomic():
        WORKFLOW.apply(hazard, "start", by=fixer)
    # The stale copy still says "reported"; apply looks at the row.
    with pytest.raises(InvalidTransition), transaction.atomic():
        WORKFLOW.apply(stale, "start", by=fixer)


@pytest.mark.django_db(transaction=True)
def test_two_people_applying_at_once_move_the_record_once(hazard, fixer):
    """The second waits on the first's row lock, then finds the new state."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections need PostgreSQL")
    applied, release = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                WORKFLOW.apply(hazard, "start", by=fixer)
                applied.set()
                release.wait(timeout=10)
            outcomes["first"] = "applied"
        finally:
            connection.close()

    def second():
        try:
            applied.wait(timeout=10)
            with transaction.atomic():
                WORKFLOW.apply(Hazard.objects.get(pk=hazard.pk), "start", by=fixer)
            outcomes["second"] = "applied"
        except InvalidTransition:
            outcomes["second"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    applied.wait(timeout=10)
    time.sleep(0.5)  # the second is now waiting for the lock (or has read the old state)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == {"first": "applied", "second": "refused"}
    assert HazardTransition.objects.count() == 1


def test_available_lists_what_the_person_may_do_now(hazard, fixer):
    assert [t.name for t in WORKFLOW.available(hazard, fixer)] == ["start"]
    assert WORKFLOW.available(hazard, UserFactory(username="other")) == []


def test_a_workflow_is_checked_when_declared():
    with pytest.raises(ValueError, match="twice"):
        Workflow(model=Hazard, transitions=[Transition("a", sources=["x"], target="y"),
                                            Transition("a", sources=["y"], target="z")])
    with pytest.raises(ValueError, match="authorize"):
        Workflow(model=Hazard, transitions=[
            Transition("a", sources=["x"], target="y", permission="p")])
    with pytest.raises(ValueError, match="subject_field"):
        Workflow(model=Hazard, record_model=HazardTransition, transitions=[])


def test_every_applied_transition_is_announced(hazard, fixer):
    from core.workflows import transition_applied

    heard = []

    def listener(sender, applied, by, **kwargs):
        heard.append((sender, applied.transition.name, by))

    transition_applied.connect(listener)
    try:
        with transaction.atomic():
            WORKFLOW.apply(hazard, "start", by=fixer)
    finally:
        transition_applied.disconnect(listener)
    assert heard == [(Hazard, "start", fixer)]
