"""In a real browser: what a school officer types in the report stays when a
photo is added (or refused), before any 保存草稿."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_report_cycle import people, photo, sign_in  # noqa: F401

pytestmark = pytest.mark.e2e


def test_adding_a_photo_keeps_what_was_typed(page, live_server, people, tmp_path):  # noqa: F811
    base = live_server.url
    sign_in(page, base, "s01-safety")
    page.goto(f"{base}/reporting/schools/{people['school'].pk}/")
    page.get_by_role("link", name="填写报告").first.click()
    page.get_by_label("着力加强校园及周边安全管理").check()
    page.locator("#id_measure_campus").fill("门卫值守检查 2 次。")
    page.get_by_label("组织领导与责任落实").fill("校长任组长，专班每周研判。")
    # A photo without its caption is refused: the text is still there.
    page.get_by_label("照片", exact=True).set_input_files(str(photo(tmp_path)))
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_label("组织领导与责任落实")).to_have_value("校长任组长，专班每周研判。")
    # With its caption the photo is added, and the text was saved as the draft.
    page.get_by_label("照片", exact=True).set_input_files(str(photo(tmp_path)))
    page.get_by_label("照片说明").fill("防溺水主题班会")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo")).to_have_count(1)
    expect(page.get_by_label("组织领导与责任落实")).to_have_value("校长任组长，专班每周研判。")
    expect(page.locator("#id_measure_campus")).to_have_value("门卫值守检查 2 次。")
