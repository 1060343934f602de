import pytest
from django.core.management import call_command

from schools.models import Membership, Role, School, SchoolType, TaskForceMember, User

pytestmark = pytest.mark.django_db


def test_it_builds_a_district_with_every_school_type_and_every_role():
    call_command("seed_demo", without_pupils=True, verbosity=0,
                 stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert School.objects.count() == 30
    assert set(School.objects.values_list("school_type", flat=True)) == set(SchoolType.values)
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert School.objects.in_campaign().count() == 28
    assert TaskForceMember.objects.filter(is_leader=True).count() == 30


def test_running_it_twice_changes_nothing(capsys):
    # The rosters' idempotency: tests/schools/test_demo_roster.py.
    call_command("seed_demo", without_pupils=True)
    counts = (User.objects.count(), Membership.objects.count(), TaskForceMember.objects.count())
    call_command("seed_demo", without_pupils=True)
    assert counts == (User.objects.count(), Membership.objects.count(),
                      TaskForceMember.objects.count())


def test_demo_passwords_are_printed_in_debug(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo", schools=1)
    out = capsys.readouterr().out
    assert "Demo-2026-anquan" in out
    assert User.objects.get(username="s01-safety").check_password("Demo-2026-anquan")


def test_without_debug_no_password_is_printed_or_usable(capsys, settings):
    settings.DEBUG = False
    call_command("seed_demo", schools=1)
    out = capsys.readouterr().out
    assert "Demo-2026-anquan" not in out
    assert not User.objects.get(username="s01-safety").has_usable_password()


def test_head_teachers_lead_classes_of_their_school():
    call_command("seed_demo", schools=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    for m in Membership.objects.filter(role=Role.HEAD_TEACHER):
        assert m.classes.exists()
        assert {c.school_id for c in m.classes.all()} == {m.school_id}


def test_the_demo_campaign_shows_every_state_an_inspector_meets():
    import datetime as dt

    import time_machine

    from reporting.models import ProgressReport, Timeliness

    with time_machine.travel(dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo", without_pupils=True,
                     stdout=open("/dev/null", "w"))  # noqa: SIM115
    reports = ProgressReport.objects.select_related("deadline")
    assert {"submitted", "approved", "returned"} <= set(r.status for r in reports)
    assert {Timeliness.ON_TIME, Timeliness.LATE} <= {r.timeliness for r in reports}
    # Some expected schools have nothing for a past deadline: missing.
    expected = School.objects.in_campaign().count()
    per_deadline = {}
    for r in reports:
        per_deadline[r.deadline_id] = per_deadline.get(r.deadline_id, 0) + 1
    assert any(n < expected for n in per_deadline.values())
    # History written after the fact tells nobody: no receipt for each
    # back-dated submission, no notice of an old return.
    from notifications.models import Notice

    assert not Notice.objects.filter(kind__in=["receipt", "returned"]).exists()
