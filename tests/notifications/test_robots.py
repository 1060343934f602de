"""The group channel against a fake WeCom/DingTalk webhook on 127.0.0.1."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from notifications.models import GroupMessage, GroupRobot, Notice
from notifications.robots import (
    MAX_TEXT_BYTES,
    check_webhook_url,
    deliver_group_due,
    group_text,
    masked_url,
)
from notifications.services import NoticeDraft, notice_cancel_for, notice_enqueue_many
from notifications.tasks import deliver_notices
from tests.notifications.fake_robot import FakeRobot, start_fake_robot

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 5, 14, 0, 5, tzinfo=SHANGHAI)
CANARY = "CANARY-张小明-抑郁量表23分"


@pytest.fixture
def fake():
    robot = start_fake_robot(FakeRobot())
    yield robot
    robot.server.shutdown()
    robot.server.server_close()


@pytest.fixture(autouse=True)
def portal(settings, world):
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn"
    for user in (world.principal, world.safety_officer, world.peer_principal):
        user.email = f"{user.username}@example.edu.cn"
        user.save()


def wecom(school, fake, **fields):
    return GroupRobot.objects.create(school=school, platform=GroupRobot.Platform.WECOM,
                                     webhook_url=fake.wecom_url(), **fields)


def dingtalk(school, fake, secret="SECfake0123456789abcdef", **fields):  # noqa: S107
    return GroupRobot.objects.create(school=school, platform=GroupRobot.Platform.DINGTALK,
                                     webhook_url=fake.dingtalk_url(), secret=secret, **fields)


def overdue_drafts(school, users, deadline_id=7, **context):
    return [NoticeDraft(
        key=f"overdue:{deadline_id}:{school.pk}:{user.pk}", kind="overdue", recipient_id=user.pk,
        context={"path": f"/reporting/schools/{school.pk}/deadlines/{deadline_id}/",
                 "school_id": school.pk, "school_name": school.name,
                 "deadline_id": deadline_id, "deadline_date": "2026-05-13", **context},
        subject=("reporting.deadline_school", f"{deadline_id}:{school.pk}"),
        school_id=school.pk, group_key=f"overdue:{deadline_id}:{school.pk}",
    ) for user in users]


class TestDelivery:
    @pytest.fixture(autouse=True)
    def frozen(self):
        with time_machine.travel(NOW, tick=False):
            yield

    def test_a_wecom_group_gets_one_text_message_per_school_and_deadline(self, world, fake):
        wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a,
                                           [world.principal, world.safety_officer]))
        assert GroupMessage.objects.count() == 1

        assert deliver_group_due() == 1

        [request] = fake.received
        assert request.path == "/cgi-bin/webhook/send"
        assert request.query == {"key": ["WECOM-KEY-0123456789"]}
        assert set(request.body) == {"msgtype", "text"}
        assert request.body["msgtype"] == "text"
        content = request.body["text"]["content"]
        assert "甲小学" in content
        assert "2026年5月13日" in content
        assert content.endswith("https://anquan.example.edu.cn/reporting/schools/"
                                f"{world.school_a.pk}/deadlines/7/")
        message = GroupMessage.objects.get()
        assert (message.status, message.attempts) == (GroupMessage.Status.SENT, 1)
        assert message.sent_at is not None

    def test_a_dingtalk_robot_signs_its_requests(self, world, fake):
        fake.secret = "SECfake0123456789abcdef"
        dingtalk(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))

        assert deliver_group_due() == 1

        [request] = fake.received
        assert request.path == "/robot/send"
        assert request.query["access_token"] == ["DING-TOKEN-0123456789"]
        assert request.query["timestamp"] == [str(int(NOW.timestamp() * 1000))]
        assert request.signature_ok is True
        assert request.body["msgtype"] == "text"
        assert "甲小学" in request.body["text"]["content"]

    def test_a_wrong_signature_errcode_is_retried_later(self, world, fake, notices_log):
        fake.secret = "SECthe-group-has-another-secret"
        dingtalk(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))

        assert deliver_group_due() == 0

        message = GroupMessage.objects.get()
        assert message.status == GroupMessage.Status.PENDING
        assert message.attempts == 1
        assert message.last_error == "errcode 310000"
        assert message.next_attempt_at > NOW
        assert fake.received[0].signature_ok is False
        for secret in ("DING-TOKEN", "SECfake", fake.base_url, "sign="):
            assert secret not in notices_log.text
            assert secret not in message.last_error

    @pytest.mark.parametrize(("status", "answer", "error"), [
        (502, {"errcode": -1}, "HTTP 502"),
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, "errcode 45009"),
        (200, {"no": "errcode"}, "errcode missing"),
    ])
    def test_a_failed_post_is_retried_later_and_then_sent_once(self, world, fake, notices_log,
                                                                status, answer, error):
        wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))
        fake.answers.append((status, answer))

        assert deliver_group_due() == 0
        message = GroupMessage.objects.get()
        assert (message.status, message.last_error) == (GroupMessage.Status.PENDING, error)
        assert "WECOM-KEY" not in notices_log.text
        assert deliver_group_due() == 0  # not due yet: nothing is posted again
        assert len(fake.received) == 1

        assert deliver_group_due(now=message.next_attempt_at) == 1
        assert deliver_group_due(now=message.next_attempt_at) == 0
        assert len(fake.received) == 2
        assert GroupMessage.objects.get().status == GroupMessage.Status.SENT

    def test_a_robot_that_cannot_be_reached_is_retried(self, world, fake):
        robot = wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))
        fake.server.shutdown()
        fake.server.server_close()  # connection refused from now on
        assert deliver_group_due() == 0
        message = GroupMessage.objects.get(robot=robot)
        assert message.status == GroupMessage.Status.PENDING
        assert message.last_error == "ConnectionRefusedError"

    def test_each_channel_is_told_once_across_two_delivery_runs(self, world, fake):
        wecom(world.school_a, fake)
        dingtalk(world.school_a, fake, secret="")
        drafts = overdue_drafts(world.school_a, [world.principal, world.safety_officer])
        assert notice_enqueue_many(drafts) == 2
        assert notice_enqueue_many(drafts) == 0  # the scan again: nothing new

        deliver_notices()
        deliver_notices()

        assert sorted(m.to[0] for m in mail.outbox) == [
            "a-principal@example.edu.cn", "a-safety@example.edu.cn"]
        assert sorted(r.path for r in fake.received) == ["/cgi-bin/webhook/send",
                                                          "/robot/send"]
        assert set(Notice.objects.values_list("status", flat=True)) == {"sent"}
        assert set(GroupMessage.objects.values_list("status", flat=True)) == {"sent"}

    def test_a_disabled_robot_sends_nothing(self, world, fake):
        wecom(world.school_a, fake, enabled=False)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))
        deliver_notices()
        assert GroupMessage.objects.count() == 0
        assert fake.received == []
        assert len(mail.outbox) == 1

    def test_a_robot_disabled_after_the_scan_sends_nothing(self, world, fake):
        robot = wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))
        GroupRobot.objects.filter(pk=robot.pk).update(enabled=False)
        assert deliver_group_due() == 0
        assert fake.received == []
        assert GroupMessage.objects.get().status == GroupMessage.Status.CANCELLED

    def test_a_school_without_a_robot_only_gets_e_mail(self, world, fake):
        wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_b, [world.peer_principal]))
        deliver_notices()
        assert [m.to[0] for m in mail.outbox] == ["b-principal@example.edu.cn"]
        assert GroupMessage.objects.count() == 0
        assert fake.received == []

    def test_a_group_message_shows_only_the_whitelisted_keys(self, world, fake):
        # campaign_name is a key the overdue kind declares, but not one its group
        # wording may show: it is neither stored for the group nor sent there.
        wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal],
                                           campaign_name=CANARY))
        message = GroupMessage.objects.get()
        assert CANARY not in str(message.context)
        deliver_group_due()
        [request] = fake.received
        assert CANARY not in str(request.body)

    def test_a_report_that_arrives_cancels_the_group_message_too(self, world, fake):
        wecom(world.school_a, fake)
        notice_enqueue_many(overdue_drafts(world.school_a, [world.principal]))
        assert notice_cancel_for("reporting.deadline_school", f"7:{world.school_a.pk}") == 1
        deliver_notices()
        assert GroupMessage.objects.get().status == GroupMessage.Status.CANCELLED
        assert fake.received == []
        assert mail.outbox == []


class TestTheText:
    """Whatever a stored row holds, the text a group reads stays a short
    message with a link into the portal."""

    def stored(self, world, **context):
        robot = GroupRobot.objects.create(
            school=world.school_a, platform=GroupRobot.Platform.WECOM,
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
        return GroupMessage.objects.create(
            key="overdue:7:1", robot=robot, kind="overdue",
            context={"path": "/reporting/schools/1/deadlines/7/", "school_name": "甲小学",
                     "deadline_date": "2026-05-13", **context})

    @pytest.mark.parametrize("path", ["https://evil.example/", "//evil.example/x", ""])
    def test_a_link_that_leaves_the_portal_is_never_built(self, world, path):
        with pytest.raises(ValueError, match="path"):
            group_text(self.stored(world, path=path))

    def test_an_overlong_message_is_cut_to_the_platform_s_limit(self, world):
        text = group_text(self.stored(world, school_name="长" * 1000))
        assert len(text.removesuffix("…").encode()) <= MAX_TEXT_BYTES
        assert text.endswith("…")


class TestWebhookURL:
    @pytest.mark.parametrize("url", [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "http://127.0.0.1:8123/robot/send?access_token=abc",  # loopback: tests only
    ])
    def test_it_accepts_the_platforms_hosts(self, url):
        check_webhook_url(url)

    @pytest.mark.parametrize("url", [
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",  # not https
        "https://evil.example.com/cgi-bin/webhook/send?key=abc",
        "https://qyapi.weixin.qq.com.evil.example/x",
        "https://user:pw@qyapi.weixin.qq.com/x",
        "https://10.0.0.5/internal",
        "ftp://oapi.dingtalk.com/robot/send",
        "https://qyapi.weixin.qq.com:notaport/x",
    ])
    def test_it_refuses_anything_else(self, url):
        with pytest.raises(ValidationError):
            check_webhook_url(url)

    def test_loopback_is_refused_unless_allowed(self, settings):
        settings.GROUP_ROBOT_ALLOW_LOOPBACK = False
        with pytest.raises(ValidationError):
            check_webhook_url("http://127.0.0.1:8123/robot/send")
        with pytest.raises(ValidationError):
            check_webhook_url("https://localhost/robot/send")

    def test_the_host_list_is_a_setting(self, settings):
        settings.GROUP_ROBOT_HOSTS = ["robot.intranet.example.cn"]
        check_webhook_url("https://robot.intranet.example.cn/send?key=abc")
        with pytest.raises(ValidationError):
            check_webhook_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")

    def test_a_shown_url_hides_its_credentials(self):
        shown = masked_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
                           "?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
        assert shown == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****5aaa"
