"""A school's timeline gathers every app's entries (<app>/timeline.py), each
source showing only what the reader may see."""

import pytest
from django.db import transaction
from django.urls import reverse

from core.timelines import entries_for
from reporting.models import ReportStatus
from tests.conftest import shanghai
from tests.core.test_workflows import WORKFLOW as HAZARD_WORKFLOW
from tests.plugin_app.models import Hazard
from tests.reporting.factories import ProgressReportFactory
from tests.schools.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, deadline):
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.APPROVED,
                          first_submitted_at=shanghai("2026-05-12 09:00"),
                          approved_at=shanghai("2026-05-14 10:00"))
    hazard = Hazard.objects.create(school=world.school_a, title="松动的栏杆")
    with transaction.atomic():
        HAZARD_WORKFLOW.apply(hazard, "start", by=UserFactory(username="fixer"),
                              at=shanghai("2026-05-13 08:00"))


def sources(user, school):
    return [e.source for e in entries_for("schools.school", str(school.pk), user)]


def test_entries_from_every_app_newest_first(world, history):
    assert sources(world.principal, world.school_a) == ["reporting", "plugin_app", "reporting"]


def test_each_source_shows_only_what_the_reader_may_see(world, history):
    # Staff may see hazards but not the school's reports.
    assert sources(world.staff, world.school_a) == ["plugin_app"]
    assert sources(world.peer_principal, world.school_a) == []


def test_the_school_page_shows_the_timeline(world, history, login):
    body = login(world.principal).get(reverse("schools:detail", args=[world.school_a.pk]))
    timeline = body.content.decode().split('data-testid="timeline"')[1]
    assert "近期动态" in body.content.decode()
    assert "已通过" in timeline
    assert "hazard start" in timeline
