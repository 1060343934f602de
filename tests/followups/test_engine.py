"""The follow-up engine, driven by the test domain's kind (tests/plugin_app):
open, complete, cancel and re-arm from a domain's transaction; one scan that
fires each step once, catches up with the latest step only, widens the circle
on escalation, and stays silent about what is closed or long past."""

import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from followups import kinds
from followups.models import FollowUp
from followups.services import (
    followup_cancel,
    followup_complete,
    followup_open,
    followup_rearm,
    scan,
)
from notifications.models import Notice
from tests.conftest import shanghai
from tests.plugin_app.followup_kinds import HAZARD_FIX

pytestmark = pytest.mark.django_db
DUE = shanghai("2026-05-13 15:00")


def scan_at(moment: str):
    with time_machine.travel(shanghai(moment), tick=False):
        return scan()


@pytest.fixture
def hazard_followup(world):
    row, _created = followup_open(kind=HAZARD_FIX, subject_code="h-1",
                                  school_id=world.school_a.pk, due_at=DUE,
                                  assignee_id=world.head_teacher.pk)
    return row


def told():
    """(step, recipient) of every notice written; keys are
    followup:<id>.<arm>:<step>:<user>."""
    return sorted((key.split(":")[2], user) for key, user in
                  Notice.objects.values_list("key", "recipient__username"))


def test_the_kind_is_found_by_discovery_without_any_edit_to_followups():
    assert kinds.get(HAZARD_FIX).subject_type == "plugin_app.hazard"
    with pytest.raises(LookupError):
        kinds.get("plugin_app.nothing")


def test_opening_twice_keeps_one_open_follow_up(world, hazard_followup):
    again, created = followup_open(kind=HAZARD_FIX, subject_code="h-1",
                                   school_id=world.school_a.pk, due_at=DUE)
    assert (again.pk, created) == (hazard_followup.pk, False)
    assert FollowUp.objects.open().count() == 1


def test_the_assignee_is_reminded_an_hour_before_at_minute_resolution(world, hazard_followup):
    assert scan_at("2026-05-13 13:59").notices == 0
    assert scan_at("2026-05-13 14:00").notices == 1
    assert told() == [("remind", "a-teacher")]


def test_at_the_due_time_the_circle_widens(world, hazard_followup):
    scan_at("2026-05-13 14:00")
    scan_at("2026-05-13 15:00")
    assert told() == [("escalate", "a-principal"), ("escalate", "a-safety"),
                      ("escalate", "a-teacher"), ("remind", "a-teacher")]


def test_a_scan_run_twice_says_nothing_twice(world, hazard_followup):
    scan_at("2026-05-13 14:00")
    assert scan_at("2026-05-13 14:00").notices == 0
    assert scan_at("2026-05-13 14:30").claimed == 0


def test_a_scan_that_was_down_tells_only_the_latest_step(world, hazard_followup):
    scan_at("2026-05-13 16:00")
    assert {step for step, _user in told()} == {"escalate"}


def test_a_step_later_than_the_catch_up_is_not_told(world, hazard_followup):
    assert scan_at("2026-05-14 09:00").notices == 0
    hazard_followup.refresh_from_db()
    assert hazard_followup.next_notice_at is None
    assert hazard_followup.state == FollowUp.State.OPEN  # still owed


def test_a_step_exactly_the_catch_up_late_is_still_told(world, hazard_followup):
    # The kind's catch_up is six hours: "more than this late" is skipped.
    scan_at("2026-05-13 21:00")
    assert {step for step, _user in told()} == {"escalate"}


def test_a_deactivated_assignee_is_replaced_by_the_kind_s_roles(world, hazard_followup):
    world.head_teacher.is_active = False
    world.head_teacher.save()
    scan_at("2026-05-13 14:00")
    assert told() == [("remind", "a-safety")]


def test_completing_cancels_what_was_not_sent_and_silences_the_rest(world, hazard_followup):
    scan_at("2026-05-13 14:00")
    with transaction.atomic():
        assert followup_complete(FollowUp.objects.filter(pk=hazard_followup.pk),
                                 by=world.head_teacher, outcome="fixed") == 1
    assert set(Notice.objects.values_list("status", flat=True)) == {"cancelled"}
    assert scan_at("2026-05-13 15:00").notices == 0
    hazard_followup.refresh_from_db()
    assert (hazard_followup.state, hazard_followup.closed_by, hazard_followup.outcome) == (
        FollowUp.State.DONE, world.head_teacher, "fixed")


def test_a_closed_follow_up_stays_as_it_was_closed(world, hazard_followup):
    done = FollowUp.objects.filter(pk=hazard_followup.pk)
    followup_complete(done, by=world.head_teacher, outcome="fixed")
    assert followup_cancel(done, outcome="school closed") == 0
    assert followup_complete(done, outcome="again") == 0
    hazard_followup.refresh_from_db()
    assert (hazard_followup.state, hazard_followup.outcome) == (FollowUp.State.DONE, "fixed")


def test_opening_again_for_a_new_due_time_re_arms_it(world, hazard_followup):
    later = shanghai("2026-05-14 15:00")
    again, created = followup_open(kind=HAZARD_FIX, subject_code="h-1",
                                   school_id=world.school_a.pk, due_at=later)
    assert (again.pk, created, again.due_at, again.arm) == (hazard_followup.pk, False, later, 1)
    assert scan_at("2026-05-13 14:00").notices == 0
    assert scan_at("2026-05-14 14:00").notices == 1


def test_a_cancelled_follow_up_is_never_told(world, hazard_followup):
    followup_cancel(FollowUp.objects.filter(pk=hazard_followup.pk))
    assert scan_at("2026-05-13 15:00").notices == 0


def test_re_arming_starts_the_steps_again_for_the_new_time(world, hazard_followup):
    scan_at("2026-05-13 14:00")
    followup_rearm(FollowUp.objects.filter(pk=hazard_followup.pk),
                   due_at=shanghai("2026-05-14 15:00"))
    assert Notice.objects.get().status == "cancelled"
    assert scan_at("2026-05-13 15:00").notices == 0
    assert scan_at("2026-05-14 14:00").notices == 1
    assert Notice.objects.filter(status="pending").count() == 1


def test_a_row_of_a_kind_no_longer_registered_is_left_silent(world, caplog):
    FollowUp.objects.create(kind="gone.kind", subject_type="gone", subject_code="1",
                            school=world.school_a, due_at=DUE, next_notice_at=DUE)
    assert scan_at("2026-05-13 16:00").notices == 0
    assert "unknown kind" in caplog.text
    assert FollowUp.objects.get(kind="gone.kind").next_notice_at is None


def test_the_scan_costs_the_same_queries_for_few_or_many_rows(
    world, django_assert_max_num_queries
):
    def open_rows(prefix, n):
        for i in range(n):
            followup_open(kind=HAZARD_FIX, subject_code=f"{prefix}-{i}",
                          school_id=world.school_a.pk, due_at=DUE)

    open_rows("few", 2)
    with (time_machine.travel(shanghai("2026-05-13 14:00"), tick=False),
          django_assert_max_num_queries(40) as few):
        scan()
    open_rows("many", 40)
    with (time_machine.travel(shanghai("2026-05-13 14:00"), tick=False),
          django_assert_max_num_queries(40) as many):
        scan()
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_two_beats_scanning_at_once_tell_each_step_once(world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED between two connections needs PostgreSQL")
    # Each commit kicks delivery, which the test settings run eagerly; eager
    # Celery is not thread-safe (two threads in denied_join_result leave its
    # global flag set for the rest of the run). Delivery is not under test here.
    monkeypatch.setattr("notifications.services._kick", lambda: None)
    for i in range(30):
        followup_open(kind=HAZARD_FIX, subject_code=f"h-{i}", school_id=world.school_a.pk,
                      due_at=DUE)
    barrier = threading.Barrier(2)
    errors = []

    def beat():
        try:
            barrier.wait()
            with time_machine.travel(shanghai("2026-05-13 14:00"), tick=False):
                scan(batch=5)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Notice.objects.filter(kind="hazard_due").count() == 30
    assert Notice.objects.values("key").distinct().count() == 30


def test_a_batch_saves_its_steps_with_one_update_per_distinct_next_step(world):
    """Rows that fell due together move to the same next step: one UPDATE for
    them all, however many (bulk_update's CASE per row cost more than the
    rest of the scan at 50,000 rows)."""
    for i in range(30):
        followup_open(kind=HAZARD_FIX, subject_code=f"h-{i}", school_id=world.school_a.pk,
                      due_at=DUE)
    later = shanghai("2026-05-14 15:00")
    for i in range(5):
        followup_open(kind=HAZARD_FIX, subject_code=f"later-{i}",
                      school_id=world.school_a.pk, due_at=later)
    with (time_machine.travel(shanghai("2026-05-14 14:00"), tick=False),
          CaptureQueriesContext(connection) as ctx):
        scan()
    updates = [q["sql"] for q in ctx.captured_queries
               if q["sql"].replace('"', "").startswith("UPDATE followups_followup")]
    assert len(updates) == 2  # the 30 past their steps, the 5 at their reminder
    assert "CASE" not in " ".join(updates)
    steps = set(FollowUp.objects.values_list("subject_code", "step", "next_notice_at"))
    assert {(s, n) for _c, s, n in steps if _c.startswith("h-")} == {(2, None)}
    assert {(s, n) for _c, s, n in steps if _c.startswith("later-")} == {(1, later)}


def test_people_who_left_or_whose_account_is_closed_are_not_told(world):
    """The recipients are read in two index look-ups (memberships of the
    batch's schools, then their users): an ended membership or a deactivated
    account still hears nothing."""
    from schools.models import Membership, Role

    followup_open(kind=HAZARD_FIX, subject_code="h-1", school_id=world.school_a.pk, due_at=DUE)
    world.safety_officer.is_active = False
    world.safety_officer.save()
    with CaptureQueriesContext(connection) as ctx:
        scan_at("2026-05-13 15:00")
    assert told() == [("escalate", "a-principal")]
    assert not [q for q in ctx.captured_queries
                if 'FROM "schools_membership"' in q["sql"] and "JOIN" in q["sql"]]
    Membership.objects.filter(user=world.principal, role=Role.PRINCIPAL).update(is_active=False)
    followup_open(kind=HAZARD_FIX, subject_code="h-2", school_id=world.school_a.pk, due_at=DUE)
    scan_at("2026-05-13 15:00")
    assert told() == [("escalate", "a-principal")]  # nobody left to tell about h-2
