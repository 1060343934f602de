"""The top bar: each app contributes its entries (<app>/navigation.py), and a
person sees only the links they may follow."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from core import nav as navigation
from core.nav import NavItem, nav_for

pytestmark = pytest.mark.django_db


def entries_of(user):
    return [link.testid for link in nav_for(user)]


def test_school_staff_see_their_reports_and_no_bureau_pages(world):
    # 强制报告 (nav-incidents): every member of staff logs concerns there;
    # 矛盾纠纷排查 (nav-disputes): the principal and the safety officer file it.
    # 今日考勤 (nav-registers): the safety officer keeps every class's register.
    assert entries_of(world.safety_officer) == [
        "nav-home", "nav-reports", "nav-schools", "nav-roster", "nav-registers",
        "nav-incidents", "nav-disputes", "nav-notices"]
    disputes = next(link for link in nav_for(world.safety_officer)
                    if link.testid == "nav-disputes")
    assert disputes.href == reverse("incidents:school_disputes", args=[world.school_a.pk])
    reports = next(link for link in nav_for(world.safety_officer) if link.testid == "nav-reports")
    assert reports.href == reverse("reporting:school_reports", args=[world.school_a.pk])


def test_a_head_teacher_also_sees_their_classes(world):
    assert entries_of(world.head_teacher) == [
        "nav-home", "nav-reports", "nav-schools", "nav-roster", "nav-my-classes",
        "nav-registers", "nav-incidents", "nav-bullying", "nav-notices"]
    roster = next(link for link in nav_for(world.head_teacher) if link.testid == "nav-roster")
    assert roster.href == reverse("schools:roster", args=[world.school_a.pk])


def test_staff_without_report_access_see_no_reports_link(world):
    assert "nav-reports" not in entries_of(world.staff)


def test_an_inspector_sees_the_dashboard_and_review_but_not_the_audit_log(world):
    # 重点群体统计 (nav-pupil-counts): counts only, for the bureau admin and inspector.
    assert entries_of(world.inspector) == [
        "nav-home", "nav-dashboard", "nav-review", "nav-schools", "nav-pupil-counts",
        "nav-incident-counts", "nav-disputes", "nav-notices", "nav-admin"]


def test_the_auditor_sees_the_audit_log_and_no_school_data(world):
    assert entries_of(world.auditor) == ["nav-home", "nav-notices", "nav-audit"]


def test_the_layout_shows_the_entries_and_the_unread_count(world, login):
    body = login(world.inspector).get(reverse("home")).content.decode()
    assert 'data-testid="nav-dashboard"' in body
    assert 'data-testid="nav-audit"' not in body


def test_two_entries_may_not_share_a_place(monkeypatch):
    clash = SimpleNamespace(NAV=[NavItem(10, "x", lambda user: "/x/")])
    real = navigation.app_modules("navigation")
    monkeypatch.setattr(navigation, "app_modules", lambda name: [*real, clash])
    with pytest.raises(ValueError, match="share an order"):
        nav_for(None)


class TestTheCurrentPage:
    def current(self, user, path):
        return [link.testid for link in nav_for(user, path) if link.current]

    def test_the_page_one_is_on_is_marked_and_nothing_else(self, world):
        review = reverse("reporting:review_queue")
        assert self.current(world.inspector, review) == ["nav-review"]

    def test_a_page_below_an_entry_marks_that_entry(self, world):
        reports = reverse("reporting:school_reports", args=[world.school_a.pk])
        assert self.current(world.safety_officer, reports + "deadlines/1/") == ["nav-reports"]

    def test_the_workbench_is_marked_only_on_itself(self, world):
        assert self.current(world.inspector, "/") == ["nav-home"]
        assert self.current(world.inspector, "/accounts/password/change/") == []

    def test_the_longest_matching_entry_wins(self):
        hrefs = ["/", "/reporting/", "/reporting/review/", "/reporting/review?x=1"]
        assert navigation._current_index(hrefs, "/reporting/review/abc/") == 2
        assert navigation._current_index(hrefs, "/reporting/other/") == 1
        assert navigation._current_index(hrefs, "/elsewhere/") is None
        # Whatever the bar's order: the longer match wins, not the later one.
        assert navigation._current_index(
            ["/reporting/review/", "/reporting/"], "/reporting/review/abc/") == 0

    def test_the_layout_marks_it_for_screen_readers(self, world, login):
        body = login(world.inspector).get(reverse("reporting:review_queue")).content.decode()
        assert body.count('aria-current="page"') == 1
        assert 'class="nav-link active" href="/reporting/review/" aria-current="page"' in body
