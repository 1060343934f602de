"""The reporting cycle in a real browser: a school submits with a photo, the
inspector returns it, the school resubmits, the inspector approves, and the
dashboard shows it."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from schools import access
from schools.models import Role, User
from tests.conftest import fresh_totp_code, totp_device
from tests.reporting.factories import CampaignFactory, DeadlineFactory
from tests.schools.factories import PASSWORD, SchoolFactory, bureau_member, school_member


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    school = SchoolFactory(name="示例区实验小学")
    campaign = CampaignFactory(bureau=school.bureau)
    today = timezone.localdate()
    DeadlineFactory(campaign=campaign, due_date=today - dt.timedelta(days=1))
    DeadlineFactory(campaign=campaign, due_date=today + dt.timedelta(days=3))
    inspector = bureau_member(school.bureau, Role.INSPECTOR, username="inspector")
    totp_device(inspector)  # enrolled already: signs in with a code
    return {
        "school": school,
        "officer": school_member(school, Role.SAFETY_OFFICER, username="s01-safety"),
        "inspector": inspector,
    }


def photo(tmp_path):
    path = tmp_path / "班会.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def sign_out(page):
    """退出登录 from the top bar, as a person on a phone does: open the menu,
    wait until it has finished opening (Bootstrap's collapse animates its
    height; a click during it may land on nothing), sign out, and wait for
    the sign-in page."""
    toggler = page.get_by_role("button", name="菜单")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#mainnav.collapse.show")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("用户名")).to_be_visible(timeout=15000)


def sign_in(page, base, username):
    """Password, then, for an account that must show a second factor at sign-in,
    the code its device shows now, computed from the device's key with
    django_otp.oath.totp as the phone's app would. Such an account is given its
    device first if it has none (as if enrolled earlier), so that sign-in asks for
    the code rather than for enrolment."""
    user = User.objects.get(username=username)
    device = totp_device(user) if access.second_factor_required(user) else None
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if device is not None:
        expect(page.get_by_role("heading", name="输入验证码")).to_be_visible()
        page.get_by_label("验证码").fill(fresh_totp_code(device))
        page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def fill_and_submit(page):
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("着力加强校园及周边安全管理").check()
    page.locator("#id_measure_campus").fill("门卫值守检查 2 次，护学岗每日到岗。")
    for label, text in (("组织领导与责任落实", "校长任组长"), ("主要成效与数据", "安全教育 3 次"),
                        ("存在问题", "无"), ("下一步打算", "防溺水教育")):
        page.get_by_label(label).fill(text)
    page.get_by_role("button", name="提交").click()


def test_submit_return_resubmit_approve_and_see_it_on_the_dashboard(
    page, browser, browser_context_args, live_server, people, tmp_path
):
    base = live_server.url
    # Each person in their own browser, as on two phones.
    officer = page
    inspector = browser.new_context(**browser_context_args).new_page()
    # The school officer: the card for the overdue deadline (补报), a photo, submit.
    page = officer
    sign_in(page, base, "s01-safety")
    page.goto(f"{base}/reporting/schools/{people['school'].pk}/")
    page.get_by_role("link", name="补报").first.click()
    page.get_by_label("照片", exact=True).set_input_files(str(photo(tmp_path)))
    page.get_by_label("照片说明").fill("防溺水主题班会")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo")).to_have_count(1)
    fill_and_submit(page)
    expect(page.get_by_text("报告已提交")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("已提交")

    # The inspector returns it with a reason.
    page = inspector
    sign_in(page, base, "inspector")
    page.goto(f"{base}/reporting/review/")
    page.get_by_role("link", name="打开").click()
    expect(page.get_by_test_id("gallery").get_by_role("img")).to_have_count(1)
    page.get_by_label("退回原因").fill("请补充具体数据")
    page.get_by_role("button", name="退回").click()
    expect(page.get_by_text("报告已退回学校")).to_be_visible()

    # The officer sees the reason first, corrects and resubmits.
    page = officer
    page.goto(f"{base}/")
    expect(page.get_by_text("请补充具体数据")).to_be_visible()
    page.get_by_role("link", name="继续填写").click()
    page.get_by_label("主要成效与数据").fill("安全教育 3 次，覆盖 1200 人次")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("再次提交")

    # The inspector approves (after a confirmation); the dashboard shows the
    # school approved and late.
    page = inspector
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/reporting/review/")
    page.get_by_role("link", name="打开").click()
    page.get_by_role("button", name="通过", exact=True).click()
    expect(page.get_by_text("报告已通过")).to_be_visible()
    page.goto(f"{base}/reporting/dashboard/")
    expect(page.get_by_test_id("tile-submitted")).to_have_text("1")
    cell = page.get_by_test_id("matrix").locator("td").first
    expect(cell).to_have_attribute("title", re.compile("逾期.*已通过"))
