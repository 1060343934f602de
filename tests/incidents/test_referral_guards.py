"""Rules of mandatory reporting that a mutation run found no test holding
(issue 10 items 1, 2 and 6): each test here failed when its rule was broken
on purpose."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from incidents import services
from incidents.models import Concern
from notifications.models import Notice
from schools.models import Membership, PupilStatus
from tests.conftest import shanghai, sign_in
from tests.incidents.test_referrals import CANARY, LOGGED, SEEN, log, open_referral, police
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

RECEIPT = "110-2026-0001"
OUTCOME = "经公安机关调查，已移交检察机关"
NOTE = "已与派出所民警沟通，孩子暂住外婆家"


def test_two_people_with_the_same_words_are_two_concerns(people):
    first = log(people, by=people.head_teacher)
    second = log(people, by=people.staff)
    assert first.pk != second.pk
    assert Notice.objects.count() == 4  # two leads, twice


def test_a_principal_or_lead_no_longer_in_post_is_not_told(people):
    Membership.objects.filter(user=people.principal).update(is_active=False)
    log(people)
    told = set(Notice.objects.values_list("recipient__username", flat=True))
    assert told == {"a-safety"}


def test_the_police_clock_defaults_to_24_hours():
    assert services.police_report_due(LOGGED) == LOGGED + dt.timedelta(hours=24)


def test_a_later_police_report_does_not_move_the_first_time(people):
    referral = open_referral(people, log(people))
    police(people, referral, minutes=60)
    police(people, referral, minutes=120, receipt_number="110-2026-0002")
    referral.refresh_from_db()
    assert referral.police_reported_at == LOGGED + dt.timedelta(minutes=60)


def test_a_pupil_who_has_left_is_not_matched_by_class_and_name(people):
    klass = SchoolClassFactory(school=people.school_a)
    PupilFactory(school=people.school_a, name="转走的孩子", current_class=klass,
                 status=PupilStatus.TRANSFERRED_OUT)
    pupil, description = services.concern_child(
        school=people.school_a, school_class_id=klass.pk, name="转走的孩子")
    assert pupil is None
    assert "转走的孩子" in description


def test_no_audit_row_carries_the_child_the_words_the_receipt_or_the_note(people):
    referral = open_referral(people, log(people))
    police(people, referral)
    services.referral_add_note(referral=referral, text=NOTE, by=people.safety_officer,
                               at=LOGGED + dt.timedelta(hours=2))
    services.referral_transition(referral=referral, name="close", by=people.safety_officer,
                                 reason=OUTCOME, at=LOGGED + dt.timedelta(hours=3))
    rows = list(AuditEvent.objects.all())
    assert {r.action for r in rows} >= {"concern.log", "referral.open",
                                        "referral.agency_report", "referral.note",
                                        "referral.close"}
    for row in rows:
        text = str(row.__dict__)
        for secret in (CANARY, SEEN, RECEIPT, NOTE, OUTCOME, "城关派出所", "张警官",
                       people.pupil.student_number):
            assert secret not in text, (row.action, secret)


class TestThePagesOfARecord:
    def _referral(self, people):
        referral = open_referral(people, log(people))
        return referral, referral.concern

    @pytest.mark.parametrize("name", ["concern_detail", "referral_detail"])
    def test_each_open_is_one_audit_row_with_the_records_code(self, client, people, name):
        referral, concern = self._referral(people)
        record = concern if name == "concern_detail" else referral
        sign_in(client, people.safety_officer, verified=True)
        for _ in range(2):
            response = client.get(reverse(f"incidents:{name}", args=[record.code]))
            assert response.status_code == 200
            assert "no-store" in response["Cache-Control"]
        rows = AuditEvent.objects.filter(action="record.view",
                                         target_code=str(record.code))
        assert rows.count() == 2

    @pytest.mark.parametrize(("name", "method"), [
        ("concern_detail", "get"), ("referral_detail", "get"), ("referral_report", "post"),
        ("referral_note", "post"), ("referral_transition", "post")])
    def test_a_lead_without_a_recent_code_is_sent_to_show_one(self, client, people, name,
                                                             method):
        referral, concern = self._referral(people)
        args = [concern.code] if name == "concern_detail" else [referral.code]
        if name == "referral_transition":
            args.append("accept")
        sign_in(client, people.safety_officer, verified=False)
        response = getattr(client, method)(reverse(f"incidents:{name}", args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("second_factor_verify"))

    def test_the_logger_reads_back_what_they_wrote_and_the_state_nothing_more(self, client,
                                                                             people):
        referral, concern = self._referral(people)
        police(people, referral)
        services.referral_add_note(referral=referral, text=NOTE, by=people.safety_officer,
                                   at=LOGGED + dt.timedelta(hours=2))
        services.referral_transition(referral=referral, name="close",
                                     by=people.safety_officer, reason=OUTCOME,
                                     at=LOGGED + dt.timedelta(hours=3))
        sign_in(client, people.head_teacher, verified=True)
        body = client.get(reverse("incidents:my_concern_detail", args=[concern.code])) \
            .content.decode()
        assert SEEN in body
        assert "已结案" in body
        for secret in (OUTCOME, NOTE, RECEIPT, "城关派出所", "张警官"):
            assert secret not in body
        assert Concern.objects.get().pk == concern.pk


def test_logging_time_is_kept_to_the_minute_in_shanghai(people):
    concern = log(people, observed_at=shanghai("2026-11-30 08:15"))
    assert concern.observed_at == shanghai("2026-11-30 08:15")


class TestTheRegistrationForm:
    """强制报告登记表 (issue 10 item 7): printable, for whoever may open the
    referral, each print an audit row; the 学籍号 masked even here."""

    def test_it_holds_the_case_for_the_police_and_each_print_is_audited(self, client, people):
        referral = open_referral(people, log(people))
        police(people, referral)
        url = reverse("incidents:referral_print", args=[referral.code])
        for user in (people.safety_officer, people.officer):
            sign_in(client, user, verified=True)
            page = client.get(url)
            assert page.status_code == 200
            body = page.content.decode()
            for text in (CANARY, SEEN, "城关派出所", RECEIPT, "身体存在多处损伤"):
                assert text in body
            assert people.pupil.student_number not in body
            assert people.pupil.masked_student_number in body
        rows = AuditEvent.objects.filter(action="record.print", target_code=str(referral.code))
        assert rows.count() == 2

    def test_nobody_else_prints_it(self, client, people):
        referral = open_referral(people, log(people))
        url = reverse("incidents:referral_print", args=[referral.code])
        for user, status in [(people.head_teacher, 403), (people.inspector, 403),
                             (people.peer_principal, 404)]:
            sign_in(client, user, verified=True)
            assert client.get(url).status_code == status
        sign_in(client, people.safety_officer, verified=False)
        assert client.get(url).status_code == 302
