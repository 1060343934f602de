import pytest
from django.core.exceptions import PermissionDenied

from notifications.models import Notice
from notifications.services import (
    notice_cancel,
    notice_cancel_for,
    notice_cancel_where,
    notice_mark_read,
)
from tests.notifications.factories import NoticeFactory, RecipientFactory, overdue_context

pytestmark = pytest.mark.django_db


def test_it_cancels_a_pending_notice_once():
    NoticeFactory(key="overdue:7:3:1")
    assert notice_cancel(key="overdue:7:3:1") is True
    assert notice_cancel(key="overdue:7:3:1") is False
    assert notice_cancel(key="overdue:404:3:1") is False


def test_it_does_not_cancel_a_notice_already_sent():
    NoticeFactory(key="overdue:7:3:1", status=Notice.Status.SENT,
                  sent_at="2025-10-14T00:05:00+08:00")
    assert notice_cancel(key="overdue:7:3:1") is False
    assert Notice.objects.get().status == Notice.Status.SENT


def test_it_cancels_the_pending_notices_that_match():
    NoticeFactory(key="overdue:7:3:1")
    NoticeFactory(key="overdue:7:3:2")
    NoticeFactory(key="overdue:8:3:1", context=overdue_context(deadline_id=8))
    assert notice_cancel_where(key__startswith="overdue:7:") == 2
    assert notice_cancel_where(context__deadline_id=8) == 1
    assert not Notice.objects.pending().exists()


def test_it_refuses_to_cancel_everything_at_once():
    NoticeFactory()
    with pytest.raises(ValueError, match="filter"):
        notice_cancel_where()
    assert Notice.objects.pending().count() == 1


def test_it_marks_a_users_own_notice_read_once():
    notice = NoticeFactory()
    assert notice_mark_read(notice=notice, user=notice.recipient) is True
    first_read = Notice.objects.get().read_at
    assert first_read is not None
    assert notice_mark_read(notice=notice, user=notice.recipient) is False
    assert Notice.objects.get().read_at == first_read
    assert not Notice.objects.for_recipient(notice.recipient).unread().exists()


def test_it_refuses_to_mark_someone_elses_notice_read():
    notice = NoticeFactory()
    with pytest.raises(PermissionDenied):
        notice_mark_read(notice=notice, user=RecipientFactory())
    assert Notice.objects.get().read_at is None


def test_it_cancels_the_pending_notices_about_one_subject():
    NoticeFactory(key="overdue:7:3:1")
    NoticeFactory(key="reminder:7:0:3:1", kind="reminder")
    NoticeFactory(key="overdue:7:4:1", subject_code="7:4")
    NoticeFactory(key="overdue:7:3:2", status=Notice.Status.SENT,
                  sent_at="2025-10-14T00:05:00+08:00")
    assert notice_cancel_for("reporting.deadline_school", "7:3", kinds=["overdue"]) == 1
    assert notice_cancel_for("reporting.deadline_school", "7:3") == 1
    assert notice_cancel_for("reporting.deadline_school", "7:3") == 0
    assert list(Notice.objects.pending().values_list("key", flat=True)) == ["overdue:7:4:1"]
    assert Notice.objects.get(key="overdue:7:3:2").status == Notice.Status.SENT


@pytest.mark.parametrize("codes", ["7:3", ["7:3", "7:4"]], ids=["one", "several"])
def test_it_cancels_only_notices_about_subjects_of_the_given_type(codes):
    NoticeFactory(key="overdue:7:3:1")
    # Another domain's record that happens to have the same code.
    NoticeFactory(key="hazard:7:3:1", kind="hazard_due", subject_type="plugin_app.hazard",
                  subject_code="7:3", context={"path": "/hazards/7:3/"})
    assert notice_cancel_for("reporting.deadline_school", codes) == 1
    assert list(Notice.objects.pending().values_list("key", flat=True)) == ["hazard:7:3:1"]
