"""提交 asks "submit? it cannot be changed afterwards" only for a report the
server would take: an incomplete one goes straight back with what is missing
named and everything typed kept (issue 8, walk-through i)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_report_cycle import fill_and_submit, people, sign_in  # noqa: F401

pytestmark = pytest.mark.e2e


def open_the_form(page, base, school):
    sign_in(page, base, "s01-safety")
    page.goto(f"{base}/reporting/schools/{school.pk}/")
    page.get_by_role("link", name="填写报告").first.click()


def test_an_incomplete_report_is_not_asked_about_and_comes_back_named(
        page, live_server, people):  # noqa: F811
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    open_the_form(page, live_server.url, people["school"])
    page.get_by_label("主要成效与数据").fill("安全教育 3 次")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("missing-parts").get_by_text("请填写“组织领导与责任落实”")).to_be_visible()
    assert asked == []
    expect(page.get_by_label("主要成效与数据")).to_have_value("安全教育 3 次")


def test_a_ticked_measure_without_its_narrative_is_incomplete_too(
        page, live_server, people):  # noqa: F811
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    open_the_form(page, live_server.url, people["school"])
    for label, text in (("组织领导与责任落实", "校长任组长"), ("主要成效与数据", "安全教育 3 次"),
                        ("存在问题", "无"), ("下一步打算", "防溺水教育")):
        page.get_by_label(label).fill(text)
    page.get_by_label("着力加强校园及周边安全管理").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("missing-parts").get_by_text(
        "请填写“着力加强校园及周边安全管理”的开展情况")).to_be_visible()
    assert asked == []


def test_a_complete_report_is_asked_about_before_it_is_sent(page, live_server,
                                                           people):  # noqa: F811
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))
    open_the_form(page, live_server.url, people["school"])
    fill_and_submit(page)
    expect(page.get_by_text("报告已提交")).to_be_visible()
    assert len(asked) == 1
    assert "审核前仍可撤回" in asked[0]
