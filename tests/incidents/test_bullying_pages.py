"""The pages of bullying cases (issue 10 items 3 and 6): a lead records a
case from a phone and works it; what was typed survives an error; each open
is an audit row behind a recent second factor; the counselor's page shows
the pupils and the support, never the investigation; a head teacher's page
shows the state and her own tasks, never the finding or another class's
pupil."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from incidents import bullying
from incidents.bullying import Involved
from incidents.models import BullyingCase, BullyingState
from schools.models import Membership, Role
from schools.school_year import current_school_year
from tests.conftest import shanghai, sign_in
from tests.schools.factories import SchoolClassFactory, school_member
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-16 10:00")
TARGET, OTHER, ELSEWHERE = "金丝雀甲", "金丝雀乙", "金丝雀丙"
WHAT = "金丝雀事件经过"
FINDING = "金丝雀认定意见"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def school(people):
    year = current_school_year()
    cls = SchoolClassFactory(school=people.school_a, grade=7, number=3, school_year=year)
    other_cls = SchoolClassFactory(school=people.school_a, grade=7, number=4, school_year=year)
    Membership.objects.get(user=people.head_teacher, school=people.school_a).classes.add(cls)
    people.other_head = school_member(people.school_a, Role.HEAD_TEACHER, username="a-head-4")
    Membership.objects.get(user=people.other_head, school=people.school_a).classes.add(
        other_cls)
    people.cls, people.other_cls = cls, other_cls
    people.target = PupilFactory(school=people.school_a, current_class=cls, name=TARGET)
    people.other = PupilFactory(school=people.school_a, current_class=cls, name=OTHER)
    people.elsewhere = PupilFactory(school=people.school_a, current_class=other_cls,
                                    name=ELSEWHERE)
    return people


def a_case(world, *, decided=False):
    case = bullying.bullying_report(
        school=world.school_a, by=world.safety_officer, reporter="staff",
        reported_at=NOW - dt.timedelta(hours=1), acts=["dignity"], description=WHAT,
        involved=[Involved(world.cls.pk, TARGET, "target"),
                  Involved(world.other_cls.pk, ELSEWHERE, "perpetrator")])
    if decided:
        bullying.bullying_record_stop(case=case, stopped_at=NOW - dt.timedelta(minutes=30),
                                      safety_measures="分开座位", by=world.safety_officer)
        bullying.bullying_start_investigation(case=case, by=world.safety_officer)
        case = bullying.bullying_decide(
            case=case, committee_on=dt.date(2026, 11, 16), committee_members="校长等",
            is_bullying=True, finding=FINDING, severity="minor", measures=["education"],
            by=world.principal)
    return case


class TestTheLeadsPages:
    def test_record_a_case_from_the_form(self, client, school):
        sign_in(client, school.safety_officer, verified=True)
        url = reverse("incidents:bullying_new", args=[school.school_a.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {
            "reporter": "guardian", "reported_at": "2026-11-16T08:30", "acts": ["physical"],
            "description": "被推倒在地", "occurred_on": "2026-11-15", "place": "操场",
            "class_0": school.cls.pk, "name_0": TARGET, "role_0": "target",
            "class_1": school.cls.pk, "name_1": f" {OTHER} ", "role_1": "perpetrator"})
        assert response.status_code == 302
        case = BullyingCase.objects.get()
        assert response["Location"] == reverse("incidents:bullying_detail", args=[case.code])
        assert case.parties.count() == 2

    def test_a_name_not_on_the_roll_is_a_400_that_keeps_everything(self, client, school):
        sign_in(client, school.safety_officer, verified=True)
        url = reverse("incidents:bullying_new", args=[school.school_a.pk])
        response = client.post(url, {
            "reporter": "guardian", "reported_at": "2026-11-16T08:30", "acts": ["online"],
            "description": "群聊中散布谣言", "class_0": school.cls.pk, "name_0": "查无此人",
            "role_0": "target"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "群聊中散布谣言" in body
        assert "查无此人" in body
        assert response.context["form"].non_field_errors()
        assert 'data-testid="parties-error"' in body
        assert not BullyingCase.objects.exists()

    def test_each_open_is_an_audit_row_and_the_list_one_per_case(self, client, school):
        case = a_case(school)
        sign_in(client, school.principal, verified=True)
        url = reverse("incidents:bullying_detail", args=[case.code])
        for _ in range(3):
            assert client.get(url).status_code == 200
        assert AuditEvent.objects.filter(action="record.view", target_code=str(case.code),
                                         target_type="incidents.bullyingcase").count() == 3
        client.get(reverse("incidents:school_bullying", args=[school.school_a.pk]))
        assert AuditEvent.objects.filter(action="record.view",
                                         target_code=str(case.code)).count() == 4

    def test_without_a_recent_second_factor_the_case_asks_for_one(self, client, school):
        case = a_case(school)
        sign_in(client, school.principal, verified=False)
        response = client.get(reverse("incidents:bullying_detail", args=[case.code]))
        assert response.status_code == 302
        assert WHAT not in response.content.decode()

    def test_a_step_that_fails_keeps_what_was_typed(self, client, school):
        case = a_case(school)
        sign_in(client, school.principal, verified=True)
        url = reverse("incidents:bullying_action", args=[case.code, "stop"])
        response = client.post(url, {"stopped_at": "2026-11-17T09:00",
                                     "safety_measures": "安排专人护送上下学"})
        assert response.status_code == 400
        assert "安排专人护送上下学" in response.content.decode()
        # Investigating before it is stopped: refused with the reason.
        response = client.post(reverse("incidents:bullying_action",
                                       args=[case.code, "investigate"]))
        assert response.status_code == 400
        assert response.context["transition_form"].non_field_errors()

    def test_the_steps_through_the_pages(self, client, school):
        case = a_case(school)
        sign_in(client, school.principal, verified=True)

        def act(name, data=None):
            return client.post(reverse("incidents:bullying_action", args=[case.code, name]),
                               data or {})

        assert act("stop", {"stopped_at": "2026-11-16T09:10",
                            "safety_measures": "分开座位"}).status_code == 302
        assert act("guardians", {"side": "target", "informed_at": "2026-11-16T09:30",
                                 "method": "phone"}).status_code == 302
        assert act("investigate").status_code == 302
        assert act("decide", {"committee_on": "2026-11-16", "committee_members": "校长等",
                              "is_bullying": "yes", "finding": "构成欺凌",
                              "severity": "minor", "measures": ["education"]}
                   ).status_code == 302
        assert act("visit_assign", {"assignee": school.head_teacher.pk,
                                    "due_on": "2026-11-20"}).status_code == 302
        assert act("follow_up").status_code == 302
        assert act("close", {"reason": ""}).status_code == 400
        assert act("close", {"reason": "已结案"}).status_code == 302
        case.refresh_from_db()
        assert case.state == BullyingState.CLOSED
        assert act("nonsense").status_code == 404


class TestTheCounselorsPage:
    def test_the_pupils_and_the_support_not_the_investigation(self, client, school):
        case = a_case(school, decided=True)
        sign_in(client, school.counselor, verified=True)
        url = reverse("incidents:bullying_support", args=[case.code])
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert TARGET in body
        assert WHAT not in body
        assert FINDING not in body
        assert client.post(url, {"text": "个别辅导一次"}).status_code == 302
        assert client.post(url, {"text": ""}).status_code == 400
        assert AuditEvent.objects.filter(action="record.view", target_code=str(case.code),
                                         target_type="incidents.bullyingsupport").exists()
        # The full case is not hers.
        assert client.get(reverse("incidents:bullying_detail", args=[case.code])
                          ).status_code == 403

    def test_another_schools_counselor_finds_nothing(self, client, school):
        case = a_case(school)
        other = school_member(school.school_b, Role.COUNSELOR)
        sign_in(client, other, verified=True)
        assert client.get(reverse("incidents:bullying_support", args=[case.code])
                          ).status_code == 404


class TestTheCounselorsList:
    def test_her_schools_open_cases_with_the_sessions_recorded(self, client, school):
        case = a_case(school)
        bullying.bullying_record_support(case=case, text="辅导一次", by=school.counselor)
        sign_in(client, school.counselor, verified=True)
        page = client.get(reverse("incidents:bullying_support_list"))
        assert page.status_code == 200
        body = page.content.decode()
        assert reverse("incidents:bullying_support", args=[case.code]) in body
        assert WHAT not in body
        assert TARGET not in body
        assert [c.sessions for c in page.context["page"]] == [1]
        assert AuditEvent.objects.filter(action="record.view", target_code=str(case.code),
                                         target_type="incidents.bullyingsupport").exists()
        sign_in(client, school.head_teacher, verified=True)
        assert client.get(reverse("incidents:bullying_support_list")).status_code == 403


class TestTheHeadTeachersPages:
    def test_the_state_her_pupil_and_her_tasks_only(self, client, school):
        case = a_case(school, decided=True)
        bullying.bullying_schedule_visit(case=case, assignee_id=school.head_teacher.pk,
                                         due_on=dt.date(2026, 11, 20), by=school.principal)
        sign_in(client, school.head_teacher, verified=True)
        listing = client.get(reverse("incidents:bullying_classes")).content.decode()
        assert TARGET in listing
        assert ELSEWHERE not in listing
        url = reverse("incidents:bullying_status", args=[case.code])
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert TARGET in body
        assert ELSEWHERE not in body
        assert WHAT not in body
        assert FINDING not in body
        assert page.context["visits"]
        assert "被欺凌" in body  # her pupil's role, for the home visit
        assert client.post(url, {"text": "家访一次，情况稳定"}).status_code == 302
        assert "家访一次，情况稳定" in client.get(url).content.decode()  # her visit, shown
        assert client.post(url, {"text": "再次"}).status_code == 403  # her task is done
        assert client.get(reverse("incidents:bullying_detail", args=[case.code])
                          ).status_code == 403

    def test_the_other_classes_head_teacher_sees_her_own_pupil_only(self, client, school):
        case = a_case(school)
        sign_in(client, school.other_head, verified=True)
        page = client.get(reverse("incidents:bullying_status", args=[case.code]))
        assert page.status_code == 200
        body = page.content.decode()
        assert ELSEWHERE in body
        assert TARGET not in body

    def test_a_head_teacher_with_no_pupil_in_it_finds_nothing(self, client, school):
        case = bullying.bullying_report(
            school=school.school_a, by=school.safety_officer, reporter="staff",
            reported_at=NOW, acts=["dignity"], description=WHAT,
            involved=[Involved(school.cls.pk, TARGET, "target")])
        sign_in(client, school.other_head, verified=True)
        assert client.get(reverse("incidents:bullying_status", args=[case.code])
                          ).status_code == 404


class TestThePupilsTimeline:
    """A pupil's page lists the cases the pupil is in for those who may know
    of them: the lead with a link to the case, the head teacher of the
    pupil's class with a link to the status, the counselor not at all."""

    def test_who_sees_what_on_the_timeline(self, school):
        from core.timelines import entries_for
        from incidents import services

        a_case(school)
        services.concern_log(school=school.school_a, by=school.staff, pupil=school.target,
                             observed="x", observed_at=NOW - dt.timedelta(hours=1))
        code = str(school.target.code)
        lead = {e.source: e for e in entries_for("schools.pupil", code, school.principal)}
        assert set(lead) >= {"incidents.concern", "incidents.bullying"}
        assert "/status/" not in lead["incidents.bullying"].link
        head = {e.source: e for e in entries_for("schools.pupil", code, school.head_teacher)}
        assert "incidents.concern" not in head
        assert head["incidents.bullying"].link.endswith("/status/")
        counselor = entries_for("schools.pupil", code, school.counselor)
        assert not [e for e in counselor if e.source.startswith("incidents.")]
        assert WHAT not in str([e.title for e in entries_for("schools.pupil", code,
                                                             school.principal)])
