"""群机器人: the principal's page for the school's group robots."""

import pytest
from django.urls import reverse

from notifications.models import GroupMessage, GroupRobot
from notifications.tasks import deliver_notices
from tests.notifications.fake_robot import FakeRobot, start_fake_robot

pytestmark = pytest.mark.django_db
SECRET = "SECabcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture
def fake():
    robot = start_fake_robot(FakeRobot(secret=SECRET))
    yield robot
    robot.server.shutdown()
    robot.server.server_close()


def page(school):
    return reverse("notifications:group_robots", args=[school.pk])


class TestPermissionLadder:
    def test_the_principal_may_open_it(self, world, login):
        assert login(world.principal).get(page(world.school_a)).status_code == 200

    @pytest.mark.parametrize("role", ["safety_officer", "head_teacher", "counselor", "staff",
                                      "bureau_admin", "inspector"])
    def test_other_roles_are_refused(self, world, login, role):
        client = login(getattr(world, role))
        assert client.get(page(world.school_a)).status_code == 403
        assert client.post(page(world.school_a), {"platform": "wecom"}).status_code == 403
        assert not GroupRobot.objects.exists()

    def test_another_schools_principal_finds_nothing(self, world, login):
        client = login(world.peer_principal)
        assert client.get(page(world.school_a)).status_code == 404

    def test_anonymous_users_are_sent_to_sign_in(self, world, client):
        response = client.get(page(world.school_a))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_robot_of_another_school_cannot_be_tested(self, world, login):
        robot = GroupRobot.objects.create(
            school=world.school_b, platform="wecom",
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b")
        url = reverse("notifications:group_robot_test", args=[world.school_a.pk, robot.pk])
        assert login(world.principal).post(url).status_code == 404
        assert not GroupMessage.objects.exists()


def test_the_principal_sets_up_a_robot_and_never_sees_its_secret_again(world, login, fake):
    client = login(world.principal)
    response = client.post(page(world.school_a), {
        "platform": "dingtalk", "webhook_url": fake.dingtalk_url(), "secret": SECRET,
        "enabled": "on"})
    assert response.status_code == 302
    robot = GroupRobot.objects.get()
    assert (robot.school, robot.platform, robot.secret, robot.enabled, robot.created_by) == (
        world.school_a, "dingtalk", SECRET, True, world.principal)

    html = client.get(page(world.school_a)).content.decode()
    assert SECRET not in html
    assert "DING-TOKEN-0123456789" not in html
    assert "****6789" in html

    # Saving again without URL or secret keeps both (they are never sent back).
    client.post(page(world.school_a), {"platform": "dingtalk"})
    robot.refresh_from_db()
    assert (robot.webhook_url, robot.secret, robot.enabled) == (fake.dingtalk_url(), SECRET,
                                                                False)


def test_the_page_refuses_a_webhook_on_another_host(world, login):
    response = login(world.principal).post(page(world.school_a), {
        "platform": "wecom", "webhook_url": "https://evil.example.com/hook?key=x"})
    assert response.status_code == 400
    assert not GroupRobot.objects.exists()


def test_the_test_button_queues_a_message_the_delivery_task_sends(world, login, fake,
                                                                   django_capture_on_commit_callbacks):
    robot = GroupRobot.objects.create(school=world.school_a, platform="dingtalk",
                                      webhook_url=fake.dingtalk_url(), secret=SECRET)
    url = reverse("notifications:group_robot_test", args=[world.school_a.pk, robot.pk])
    with django_capture_on_commit_callbacks(execute=False):
        assert login(world.principal).post(url).status_code == 302
    message = GroupMessage.objects.get()
    assert (message.kind, message.status) == ("robot_test", "pending")

    deliver_notices()

    [request] = fake.received
    assert request.signature_ok is True
    assert "甲小学" in request.body["text"]["content"]
    assert GroupMessage.objects.get().status == "sent"


def test_the_school_page_links_to_it_for_the_principal_only(world, login):
    link = page(world.school_a)
    assert link in login(world.principal).get(
        reverse("schools:detail", args=[world.school_a.pk])).content.decode()
    assert link not in login(world.safety_officer).get(
        reverse("schools:detail", args=[world.school_a.pk])).content.decode()


class TestFormMistakes:
    def post(self, world, login, **data):
        return login(world.principal).post(page(world.school_a), data)

    def test_a_dingtalk_address_under_wecom_is_refused_and_kept_in_the_field(self, world,
                                                                            login):
        url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
        response = self.post(world, login, platform="wecom", webhook_url=url)
        body = response.content.decode()
        assert response.status_code == 400
        assert "钉钉" in body
        assert f'value="{url.replace("&", "&amp;")}"' in body
        assert not GroupRobot.objects.exists()

    def test_a_dingtalk_secret_must_start_with_sec(self, world, login):
        response = self.post(world, login, platform="dingtalk", secret="hello",
                             webhook_url="https://oapi.dingtalk.com/robot/send?access_token=a")
        assert response.status_code == 400
        assert "SEC" in response.content.decode()
        assert not GroupRobot.objects.exists()

    def test_a_wecom_robot_takes_no_secret(self, world, login):
        response = self.post(world, login, platform="wecom", secret="SECabc",
                             webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a")
        assert response.status_code == 400
        assert not GroupRobot.objects.exists()
