"""`manage.py scan_followups`: the scan by hand (README "Production"), once, now,
in the operator's process, with its counts printed."""

import io

import pytest
import time_machine
from django.core.management import call_command

from followups.services import followup_open
from notifications.models import Notice
from tests.conftest import shanghai
from tests.plugin_app.followup_kinds import HAZARD_FIX

pytestmark = pytest.mark.django_db


def run_scan_at(moment: str) -> str:
    out = io.StringIO()
    with time_machine.travel(shanghai(moment), tick=False):
        call_command("scan_followups", stdout=out)
    return out.getvalue()


@pytest.fixture
def due_at_three(world):
    followup_open(kind=HAZARD_FIX, subject_code="h-1", school_id=world.school_a.pk,
                  due_at=shanghai("2026-05-13 15:00"), assignee_id=world.head_teacher.pk)


@pytest.mark.usefixtures("due_at_three")
def test_the_scan_by_hand_tells_what_is_due_now_and_says_so():
    assert "0 due, 0 steps told, 0 notices written" in run_scan_at("2026-05-13 13:59")
    assert "1 due, 1 steps told, 1 notices written" in run_scan_at("2026-05-13 14:00")
    assert Notice.objects.count() == 1


@pytest.mark.usefixtures("due_at_three")
def test_the_scan_by_hand_after_beat_tells_nothing_twice():
    run_scan_at("2026-05-13 14:00")
    assert "0 notices written" in run_scan_at("2026-05-13 14:00")
    assert Notice.objects.count() == 1
