"""A domain that is not reporting registers its own kind (tests/plugin_app/
notice_kinds.py, templates in tests/plugin_app/templates/) and its notices go
out by e-mail and to the school's group, with no edit to notifications."""

import datetime as dt

import pytest
from django.core import mail

from notifications import kinds
from notifications.models import GroupMessage, GroupRobot, Notice
from notifications.services import notice_cancel_for, notice_enqueue
from notifications.tasks import deliver_notices
from tests.notifications.fake_robot import FakeRobot, start_fake_robot
from tests.plugin_app.models import Hazard

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    robot = start_fake_robot(FakeRobot())
    yield robot
    robot.server.shutdown()
    robot.server.server_close()


def enqueue(hazard, user, key="hazard:1"):
    return notice_enqueue(
        key=key, kind="hazard_due", recipient=user, school=hazard.school,
        subject=("plugin_app.hazard", str(hazard.code)),
        context={"path": f"/campus/hazards/{hazard.code}/", "school_name": hazard.school.name,
                 "fix_by": dt.date(2026, 6, 1), "hazard_title": hazard.title})


def test_the_plugin_kind_is_registered_through_discovery():
    kind = kinds.get("hazard_due")
    assert kind.subject_type == "plugin_app.hazard"
    assert kind.template_prefix == "plugin_app/emails/hazard_due"


def test_a_plugin_notice_is_e_mailed_with_its_own_templates_and_told_to_the_group(
        world, fake, settings):
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn"
    world.safety_officer.email = "a-safety@example.edu.cn"
    world.safety_officer.save()
    GroupRobot.objects.create(school=world.school_a, platform="wecom",
                              webhook_url=fake.wecom_url())
    hazard = Hazard.objects.create(school=world.school_a, title="围墙裂缝")

    notice, created = enqueue(hazard, world.safety_officer)
    assert created
    assert (notice.subject_type, notice.subject_code) == ("plugin_app.hazard", str(hazard.code))
    deliver_notices()

    [email] = mail.outbox
    assert email.subject == "Hazard at 甲小学: fix by 2026-06-01"
    assert "围墙裂缝 at 甲小学 must be fixed by 2026-06-01." in email.body
    assert f"https://anquan.example.edu.cn/campus/hazards/{hazard.code}/" in email.body
    [request] = fake.received
    content = request.body["text"]["content"]
    assert "甲小学" in content
    assert "围墙裂缝" not in content  # the title is not in the kind's group whitelist
    assert Notice.objects.get().status == "sent"
    assert GroupMessage.objects.get().key == f"hazard_due:{hazard.code}"


def test_a_fixed_hazard_cancels_its_pending_notices(world):
    hazard = Hazard.objects.create(school=world.school_a, title="灭火器过期")
    enqueue(hazard, world.safety_officer)
    assert notice_cancel_for("plugin_app.hazard", hazard.code) == 1
    assert Notice.objects.get().status == "cancelled"
