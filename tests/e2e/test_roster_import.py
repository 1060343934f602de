"""A safety officer imports the roster on a phone (issue 9 item 3), in a real
browser: 学生名册 → 导入名册, the step-up enrols her second factor with a code
computed from the key the page shows, a messy 花名册 is previewed with its
errors by row and column, the corrected file is imported, and the roster then
lists the new pupils. An old .xls is refused with the 另存为 .xlsx advice and
the form keeps what was ticked. No page scrolls sideways at 390 px."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from schools.models import Role
from tests.e2e.rosters import FIRST, corrected_roster, messy_roster
from tests.e2e.test_report_cycle import sign_in
from tests.e2e.test_second_factor import code_from_key
from tests.schools.factories import SchoolFactory, school_member

pytestmark = pytest.mark.e2e

PHONE = 390
ROSTERS = Path("/work/shared/fixtures/rosters")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def school(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the uploaded rosters' private storage
    school = SchoolFactory(name="示例区实验小学")
    school_member(school, Role.SAFETY_OFFICER, username="s01-safety")  # no device yet
    return school


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def open_from_menu(page, testid):
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id(testid).click()


def upload(page, name: str, data: bytes, *, full_roster: bool = False):
    page.get_by_label("名册文件").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data})
    if full_roster:
        page.get_by_label("这是本校的完整名册").check()
    page.get_by_role("button", name="上传并预览").click()


def error_rows(page) -> list[tuple[str, str, str]]:
    rows = page.get_by_test_id("roster-errors").locator("tbody tr")
    return [tuple(cell.strip() for cell in row.locator("td").all_inner_texts())
            for row in rows.all()]


def test_a_safety_officer_imports_a_messy_roster_on_a_phone(page, live_server, school):
    base = live_server.url
    widths = {}
    sign_in(page, base, "s01-safety")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    # 学生名册 → 导入名册; the step-up asks her to set up the second factor.
    open_from_menu(page, "nav-roster")
    expect(page.get_by_role("heading", name="学生名册")).to_be_visible()
    page.get_by_test_id("roster-import-link").click()
    expect(page.get_by_role("heading", name="设置两步验证")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("验证码").fill(code_from_key(secret))
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="您的恢复码")).to_be_visible()
    page.get_by_role("link", name="继续").click()
    expect(page.get_by_role("heading", name="导入名册")).to_be_visible()
    widths["upload"] = width(page)

    # An old .xls named .xlsx: the advice to save it as .xlsx, the tick kept.
    upload(page, "12_real_xls_renamed.xlsx",
           (ROSTERS / "12_real_xls_renamed.xlsx").read_bytes(), full_roster=True)
    expect(page.get_by_text("这是旧版 Excel 97–2003 文件（.xls）")).to_be_visible()
    expect(page.get_by_text("另存为")).to_be_visible()
    expect(page.get_by_label("这是本校的完整名册")).to_be_checked()
    widths["upload refused"] = width(page)
    page.get_by_label("这是本校的完整名册").uncheck()

    # The messy 花名册: errors by Excel row and column, in Chinese; no import button.
    upload(page, "花名册.xlsx", messy_roster())
    expect(page.get_by_role("heading", name="核对导入")).to_be_visible()
    expect(page.get_by_test_id("count-errors")).to_have_text("3")
    assert error_rows(page) == [
        ("5", "A", "学籍号: 第 8 行也是这个学籍号：每名学生只保留一行。"),
        ("7", "A", "学籍号: 此学籍号中的身份证号校验位或出生日期有误，请与学籍系统核对。"),
        ("8", "A", "学籍号: 第 5 行也是这个学籍号：每名学生只保留一行。"),
    ]
    # Row 6 (born "2013.3.5") has no error: it is read as 2013-03-05.
    expect(page.get_by_test_id("roster-new")).to_contain_text("王测二")
    expect(page.get_by_test_id("roster-confirm")).to_have_count(0)
    widths["preview with errors"] = width(page)

    # The corrected file: four new pupils, imported.
    page.get_by_role("link", name="上传改正后的文件").click()
    upload(page, "花名册（改）.xlsx", corrected_roster())
    expect(page.get_by_role("heading", name="核对导入")).to_be_visible()
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    expect(page.get_by_test_id("count-new")).to_have_text("4")
    widths["preview"] = width(page)
    page.get_by_test_id("roster-confirm-button").click()
    expect(page.get_by_role("heading", name="名册已导入")).to_be_visible()
    expect(page.get_by_test_id("result-created")).to_have_text("4")
    widths["result"] = width(page)

    # The roster lists them; the full-width 学籍号 was stored in plain characters.
    open_from_menu(page, "nav-roster")
    rows = page.get_by_test_id("roster-row")
    expect(rows).to_have_count(4)
    # 3年级2班 first, then 3年级3班.
    expect(page.get_by_test_id("pupil-link")).to_have_text(["李测一", "王测二", "赵测三", "钱测四"])
    first = rows.filter(has=page.get_by_role("link", name="李测一"))
    expect(first.get_by_test_id("student-number")).to_have_text(FIRST)
    widths["roster"] = width(page)

    page.get_by_role("link", name="李测一").click()
    expect(page.get_by_test_id("pupil-name")).to_have_text("李测一")
    expect(page.get_by_test_id("student-number")).to_contain_text(FIRST)
    widths["pupil"] = width(page)

    assert page.viewport_size["width"] == PHONE
    assert {name: w for name, w in widths.items() if w > PHONE} == {}
