import pytest

from notifications.emails import render_notice_email
from notifications.models import Notice
from tests.notifications.factories import NoticeFactory

pytestmark = pytest.mark.django_db

CONTEXTS = {
    "reminder": {"path": "/reports/deadlines/7/", "school_name": "甲小学",
                           "deadline_date": "2025-10-24"},
    "overdue": {"path": "/reports/deadlines/7/", "school_name": "甲小学",
                          "deadline_date": "2025-10-13"},
    "returned": {"path": "/reports/12/", "school_name": "甲小学",
                           "deadline_date": "2025-10-13", "report_id": 12},
    "digest": {"path": "/notifications/", "count": 4},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", list(CONTEXTS))
def test_every_kind_renders_subject_text_and_html(kind, language, settings):
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn"
    notice = NoticeFactory(kind=kind, language=language, context=CONTEXTS[kind])
    message = render_notice_email(notice)
    link = "https://anquan.example.edu.cn" + CONTEXTS[kind]["path"]
    [(html, _)] = message.alternatives
    assert message.subject
    assert "\n" not in message.subject
    assert message.to == [notice.recipient.email]
    assert link in message.body
    assert f'href="{link}"' in html
    assert f'<html lang="{language}">' in html
    assert "{" not in message.body + html  # no template syntax left over
    if kind == "digest":
        assert "4" in message.body
    else:
        assert "甲小学" in message.subject
        expected = "2025年10月" if language == "zh-hans" else "Oct. "
        assert expected in message.subject


def test_the_templates_see_only_the_keys_the_kind_declares(settings):
    # A row written around the services (an old row, a bad migration) carries a
    # key the kind does not declare: the e-mail never shows it.
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn"
    notice = NoticeFactory(kind="overdue", context={
        **CONTEXTS["overdue"], "recipient_name": "CANARY-冒名", "pupil_name": "CANARY-张小明"})
    message = render_notice_email(notice)
    [(html, _)] = message.alternatives
    assert "CANARY" not in message.subject + message.body + html


def test_an_unregistered_kind_cannot_be_rendered():
    with pytest.raises(LookupError, match="unknown notice kind"):
        render_notice_email(NoticeFactory(kind="gone"))


def test_a_notice_has_the_same_message_id_every_time_it_is_rendered(settings):
    """A resend after a lost COMMIT is the same message to the recipient's mail
    system, not a second one."""
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn"
    notice = NoticeFactory(kind="digest", context=CONTEXTS["digest"])
    first = render_notice_email(notice).message()["Message-ID"]
    again = render_notice_email(Notice.objects.get(pk=notice.pk)).message()["Message-ID"]
    assert first == again
    assert first.startswith(f"<notice-{notice.pk}-")
    assert first.endswith("@anquan.example.edu.cn>")
    assert notice.key not in first  # a hash of the key, not the key itself


def test_two_notices_have_different_message_ids(settings):
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn"
    one = NoticeFactory(kind="digest", context=CONTEXTS["digest"])
    two = NoticeFactory(kind="digest", context=CONTEXTS["digest"])
    assert render_notice_email(one).message()["Message-ID"] != \
        render_notice_email(two).message()["Message-ID"]


def test_the_message_id_falls_back_to_the_senders_domain(settings):
    settings.PORTAL_BASE_URL = ""
    settings.DEFAULT_FROM_EMAIL = "区教育局安全平台 <anquan@jyj.example.gov.cn>"
    notice = NoticeFactory(kind="digest", context=CONTEXTS["digest"])
    assert render_notice_email(notice).message()["Message-ID"].endswith(
        "@jyj.example.gov.cn>")
