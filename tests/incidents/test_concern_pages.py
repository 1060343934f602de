"""The pages of mandatory reporting a school uses (issue 10 items 1 and 6):
any member of staff logs a concern from a phone with no code to type and
without seeing the roster; the child is found on the roll only when the
class and name fit exactly one pupil, and the logger is told the same either
way; the logger reads back their own concerns and their state; the school's
leads list the school's concerns, every one shown an audit row."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from core.nav import nav_for
from incidents import services
from incidents.models import Concern, Referral
from notifications.models import Notice
from schools.models import Role
from tests.conftest import shanghai, sign_in
from tests.schools.factories import MembershipFactory, SchoolClassFactory
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-30 10:00")
CANARY = "金丝雀学生"
SEEN = "左臂有多处新旧淤青，孩子说是爸爸打的"
NEW = reverse("incidents:concern_new")
MINE = reverse("incidents:my_concerns")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(world):
    MembershipFactory(user=world.safety_officer, role=Role.REPORTING_LEAD,
                      school=world.school_a)
    world.klass = SchoolClassFactory(school=world.school_a, grade=3, number=2)
    world.pupil = PupilFactory(school=world.school_a, name=CANARY, current_class=world.klass)
    return world


def concern_form(**changes):
    data = {"school_class": "", "child_name": "", "child_details": "", "observed": SEEN,
            "child_words": "", "observed_at": "2026-11-30T09:30", "place": "三年级2班教室",
            "immediate_actions": "已陪同孩子到校医室"}
    data.update(changes)
    return data


def school_list(world):
    return reverse("incidents:school_concerns", args=[world.school_a.pk])


class TestLoggingAConcern:
    def test_staff_log_one_without_a_code_and_without_seeing_the_roster(self, client, people):
        sign_in(client, people.staff, verified=False)
        page = client.get(NEW)
        assert page.status_code == 200
        body = page.content.decode()
        assert str(people.klass) in body
        assert CANARY not in body
        response = client.post(NEW, concern_form(school_class=people.klass.pk,
                                                 child_name=CANARY))
        assert response.status_code == 302
        assert response["Location"] == MINE
        concern = Concern.objects.get()
        assert (concern.pupil, concern.child_description, concern.logged_by) == (
            people.pupil, "", people.staff)
        assert concern.observed_at == shanghai("2026-11-30 09:30")
        leads = set(Notice.objects.values_list("recipient", flat=True))
        assert leads == {people.principal.pk, people.safety_officer.pk}

    def test_the_logger_is_told_the_same_whether_the_child_was_found_or_not(self, client,
                                                                           people):
        sign_in(client, people.staff, verified=False)
        found = client.post(NEW, concern_form(school_class=people.klass.pk,
                                              child_name=CANARY), follow=True)
        missed = client.post(NEW, concern_form(school_class=people.klass.pk,
                                               child_name="不在册的孩子",
                                               observed=SEEN + "。"), follow=True)
        assert [c.pupil_id for c in Concern.objects.order_by("id")] == [people.pupil.pk, None]

        def said(response):
            return [str(m) for m in response.context["messages"]]

        assert said(found) == said(missed)
        assert said(found)

    @pytest.mark.parametrize("changes", [
        {"child_name": CANARY},  # no class: a name alone may fit several children
        {"school_class": "klass", "child_name": "金丝雀"},  # not the whole name
    ])
    def test_without_an_exact_fit_the_child_is_kept_as_described(self, client, people,
                                                                 changes):
        if changes.get("school_class") == "klass":
            changes["school_class"] = people.klass.pk
        sign_in(client, people.staff, verified=False)
        client.post(NEW, concern_form(child_details="约9岁，穿红色外套", **changes))
        concern = Concern.objects.get()
        assert concern.pupil is None
        assert changes["child_name"] in concern.child_description
        assert "约9岁，穿红色外套" in concern.child_description

    def test_two_pupils_of_one_name_in_the_class_are_not_guessed_between(self, client,
                                                                         people):
        PupilFactory(school=people.school_a, name=CANARY, current_class=people.klass)
        sign_in(client, people.staff, verified=False)
        client.post(NEW, concern_form(school_class=people.klass.pk, child_name=CANARY))
        concern = Concern.objects.get()
        assert concern.pupil is None
        assert CANARY in concern.child_description
        assert str(people.klass) in concern.child_description

    @pytest.mark.parametrize(("changes", "field", "message"), [
        ({"observed": "  "}, "observed", "请填写所见所闻。"),
        ({"observed_at": "2026-11-30T10:30"}, "observed_at", "时间不能晚于现在。"),
        ({"observed_at": "昨天早上"}, "observed_at", "请填写日期和时间"),
        ({"child_name": "", "child_details": ""}, "child_name", "请选择学生"),
        ({"child_details": "身份证 110101201501011234"}, "child_details", "身份证号"),
    ])
    def test_bad_input_is_named_field_by_field_and_nothing_typed_is_lost(
            self, client, people, changes, field, message):
        sign_in(client, people.staff, verified=False)
        data = concern_form(child_name="小明", child_words="他说不想回家")
        data.update(changes)
        response = client.post(NEW, data)
        assert response.status_code == 400
        form = response.context["form"]
        assert message in " ".join(form.errors[field])
        body = response.content.decode()
        assert "他说不想回家" in body
        assert "已陪同孩子到校医室" in body
        assert not Concern.objects.exists()
        assert not Notice.objects.exists()

    def test_a_second_tap_logs_it_once_and_tells_the_leads_once(self, client, people):
        sign_in(client, people.staff, verified=False)
        data = concern_form(school_class=people.klass.pk, child_name=CANARY)
        assert client.post(NEW, data).status_code == 302
        assert client.post(NEW, data).status_code == 302
        assert Concern.objects.count() == 1
        assert Notice.objects.count() == 2

    def test_people_of_no_school_are_refused(self, client, people):
        for user in (people.inspector, people.bureau_admin):
            sign_in(client, user)
            assert client.get(NEW).status_code == 403
            assert client.get(MINE).status_code == 403

    def test_someone_at_two_schools_chooses_and_only_among_their_own(self, client, people):
        MembershipFactory(user=people.staff, role=Role.STAFF, school=people.school_b)
        sign_in(client, people.staff, verified=False)
        chooser = client.get(NEW)
        assert chooser.status_code == 200
        assert {s.pk for s in chooser.context["schools"]} == {people.school_a.pk,
                                                             people.school_b.pk}
        assert client.get(NEW, {"school": people.school_b.pk}).status_code == 200
        assert client.get(NEW, {"school": people.school_c.pk}).status_code == 404
        assert client.get(NEW, {"school": "x"}).status_code == 404

    def test_the_form_of_a_school_offers_its_classes_of_this_year_only(self, client, people):
        last_year = SchoolClassFactory(school=people.school_a, school_year=2025, grade=2,
                                       number=7)
        other = SchoolClassFactory(school=people.school_b, grade=5, number=9)
        sign_in(client, people.staff, verified=False)
        choices = client.get(NEW).context["form"].fields["school_class"].queryset
        assert people.klass in choices
        assert last_year not in choices
        assert other not in choices
        client.post(NEW, concern_form(school_class=other.pk, child_name=CANARY))
        assert not Concern.objects.exists()


class TestTheLoggersOwnConcerns:
    def test_the_list_gives_dates_and_states_only(self, client, people):
        own = services.concern_log(school=people.school_a, by=people.staff, observed=SEEN,
                                   observed_at=NOW - dt.timedelta(hours=1), pupil=people.pupil)
        services.concern_log(school=people.school_a, by=people.head_teacher, observed="另一件事",
                             observed_at=NOW - dt.timedelta(hours=1), pupil=people.pupil)
        sign_in(client, people.staff, verified=False)
        page = client.get(MINE)
        assert page.status_code == 200
        assert [row["concern"].pk for row in page.context["rows"]] == [own.pk]
        body = page.content.decode()
        assert CANARY not in body
        assert SEEN not in body
        assert "已转交学校负责人" in body
        services.referral_open(concern=own, situations=["injury_neglect"],
                               by=people.safety_officer)
        assert "已发现" in client.get(MINE).content.decode()

    def test_reading_one_back_asks_for_the_code_and_is_audited(self, client, people):
        own = services.concern_log(school=people.school_a, by=people.staff, observed=SEEN,
                                   observed_at=NOW - dt.timedelta(hours=1), pupil=people.pupil)
        url = reverse("incidents:my_concern_detail", args=[own.code])
        sign_in(client, people.staff, verified=False)
        assert client.get(url).status_code == 302
        sign_in(client, people.staff, verified=True)
        for _ in range(2):
            page = client.get(url)
            assert page.status_code == 200
            assert SEEN in page.content.decode()
        rows = AuditEvent.objects.filter(action="record.view",
                                         target_type="incidents.loggedconcern",
                                         target_code=str(own.code))
        assert rows.count() == 2

    def test_nobody_reads_another_persons_concern_there_not_even_a_lead(self, client, people):
        theirs = services.concern_log(school=people.school_a, by=people.head_teacher,
                                      observed=SEEN, observed_at=NOW - dt.timedelta(hours=1),
                                      pupil=people.pupil)
        url = reverse("incidents:my_concern_detail", args=[theirs.code])
        for user in (people.staff, people.safety_officer):
            sign_in(client, user, verified=True)
            assert client.get(url).status_code == 404

    def test_a_logger_who_left_the_school_no_longer_reads_it(self, client, people):
        own = services.concern_log(school=people.school_a, by=people.staff, observed=SEEN,
                                   observed_at=NOW - dt.timedelta(hours=1), pupil=people.pupil)
        people.staff.memberships.update(is_active=False)
        sign_in(client, people.staff, verified=True)
        assert client.get(reverse("incidents:my_concern_detail", args=[own.code])) \
            .status_code == 403


class TestTheSchoolsList:
    def _concerns(self, world, n):
        return [services.concern_log(school=world.school_a, by=world.staff,
                                     observed=f"{SEEN}{i}",
                                     observed_at=NOW - dt.timedelta(hours=1), pupil=world.pupil)
                for i in range(n)]

    def test_the_leads_see_every_concern_and_each_shown_is_an_audit_row(self, client, people):
        concerns = self._concerns(people, 3)
        sign_in(client, people.safety_officer, verified=True)
        page = client.get(school_list(people))
        assert page.status_code == 200
        assert CANARY in page.content.decode()
        shown = set(AuditEvent.objects.filter(action="record.view",
                                              target_type="incidents.concern")
                    .values_list("target_code", flat=True))
        assert shown == {str(c.code) for c in concerns}

    def test_a_closed_referral_moves_to_the_closed_tab(self, client, people):
        first, second = self._concerns(people, 2)
        referral = services.referral_open(concern=first, situations=["injury_neglect"],
                                          by=people.safety_officer)
        services.referral_transition(referral=referral, name="close", by=people.safety_officer,
                                     reason="经核实为意外摔伤")
        sign_in(client, people.principal, verified=True)
        open_rows = client.get(school_list(people)).context["rows"]
        closed_rows = client.get(school_list(people), {"closed": "1"}).context["rows"]
        assert [r.concern.pk for r in open_rows] == [second.pk]
        assert [r.concern.pk for r in closed_rows] == [first.pk]
        assert closed_rows[0].referral == Referral.objects.get()

    def test_everyone_else_is_refused(self, client, people):
        url = school_list(people)
        for user, status in [(people.staff, 403), (people.head_teacher, 403),
                             (people.counselor, 403), (people.inspector, 403),
                             (people.peer_principal, 404)]:
            sign_in(client, user, verified=True)
            assert client.get(url).status_code == status, user
        assert not AuditEvent.objects.filter(action="record.view").exists()

    def test_a_lead_without_a_recent_code_is_asked_for_one(self, client, people):
        sign_in(client, people.safety_officer, verified=False)
        assert client.get(school_list(people)).status_code == 302

    def test_the_page_runs_the_same_queries_for_3_or_30_concerns(self, client, people):
        sign_in(client, people.safety_officer, verified=True)
        self._concerns(people, 3)
        client.get(school_list(people))
        with CaptureQueriesContext(connection) as few:
            client.get(school_list(people))
        self._concerns_more(people, 27)
        with CaptureQueriesContext(connection) as many:
            client.get(school_list(people))
        assert len(many) == len(few)

    def _concerns_more(self, world, n):
        for i in range(n):
            other = PupilFactory(school=world.school_a, current_class=world.klass)
            services.concern_log(school=world.school_a, by=world.head_teacher,
                                 observed=f"其他{i}", observed_at=NOW - dt.timedelta(hours=2),
                                 pupil=other)


class TestTheTopBar:
    def test_staff_go_to_their_own_concerns_leads_to_the_schools_list(self, people):
        def entry(user):
            links = {link.testid: link.href for link in nav_for(user, "/")}
            return links.get("nav-incidents")

        assert entry(people.staff) == MINE
        assert entry(people.head_teacher) == MINE
        assert entry(people.safety_officer) == school_list(people)
        assert entry(people.principal) == school_list(people)
        assert entry(people.inspector) is None
        assert entry(people.bureau_admin) is None
