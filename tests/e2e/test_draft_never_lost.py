"""In a real browser, on a phone: nothing typed in a report is ever lost (issue 8
item 1, screens.md "a draft is never lost"). The form saves itself on the
server as the officer types, keeps a copy on the device while the server cannot
be reached and puts it back with a notice; photo problems are shown at the
field and at the top, and a too-large selection is refused before it is sent."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reporting import services
from reporting.models import Deadline, ProgressReport, ReportStatus
from tests.e2e.test_report_cycle import people, photo, sign_in, sign_out  # noqa: F401
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.e2e

ORGANISATION = "组织领导与责任落实"
SAVED = re.compile(r"已自动保存 \d{2}:\d{2}")


def open_form(page, base, people):  # noqa: F811
    sign_in(page, base, "s01-safety")
    page.goto(f"{base}/reporting/schools/{people['school'].pk}/")
    page.get_by_role("link", name="填写报告").first.click()
    expect(page.get_by_test_id("report-form")).to_be_visible()
    # The form shows before the page's scripts have run; typing then would
    # go unseen by the draft script (a loaded machine showed it: CI, stop 18).
    page.wait_for_load_state("load")
    return page.url


def settle(page):
    """Let the page run the timers already due (an autosave scheduled on leaving
    a field runs at once): its status then shows whether one started."""
    page.evaluate("new Promise(done => setTimeout(done, 50))")


def deadline_of(url):
    """The deadline whose report form is at `url`."""
    return Deadline.objects.get(pk=int(re.search(r"/deadlines/(\d+)/", url).group(1)))


def stored_organisation():
    report = ProgressReport.objects.first()
    return report.sections.get("organisation") if report else None


def test_leaving_a_field_saves_the_draft_and_says_when(page, live_server,
                                                       people):  # noqa: F811
    open_form(page, live_server.url, people)
    page.get_by_label(ORGANISATION).fill("校长任组长，专班每周研判。")
    page.get_by_label(ORGANISATION).press("Tab")
    expect(page.get_by_test_id("autosave-status")).to_have_text(SAVED)
    assert stored_organisation() == "校长任组长，专班每周研判。"
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


def test_a_few_seconds_after_typing_it_saves_without_leaving_the_field(
        page, live_server, people):  # noqa: F811
    page.clock.install()
    open_form(page, live_server.url, people)
    page.get_by_label(ORGANISATION).fill("还在输入，")
    page.clock.run_for(4000)
    assert page.get_by_test_id("autosave-status").text_content() == ""
    page.clock.run_for(1500)
    expect(page.get_by_test_id("autosave-status")).to_have_text(SAVED)
    assert stored_organisation() == "还在输入，"


def test_a_stale_tab_is_refused_and_says_so(page, browser, live_server,
                                            people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    other = page.context.new_page()
    other.goto(url)
    page.get_by_label(ORGANISATION).fill("第一个窗口写的")
    page.get_by_label(ORGANISATION).press("Tab")
    expect(page.get_by_test_id("autosave-status")).to_have_text(SAVED)
    other.get_by_label(ORGANISATION).fill("第二个窗口的旧页面")
    other.get_by_label(ORGANISATION).press("Tab")
    expect(other.get_by_test_id("autosave-status")).to_contain_text(
        "另一个窗口或设备上保存过")
    assert stored_organisation() == "第一个窗口写的"


def test_offline_the_text_stays_on_the_device_and_a_reload_restores_it(
        page, live_server, people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    page.context.set_offline(True)
    page.get_by_label(ORGANISATION).fill("地铁里写的，没有信号。")
    page.get_by_label(ORGANISATION).press("Tab")
    expect(page.get_by_test_id("autosave-status")).to_have_text(
        "自动保存失败，内容已保存在本机。")
    # The connection stays bad for autosave while the page is reloaded.
    page.route("**/autosave/", lambda route: route.abort())
    page.context.set_offline(False)
    page.goto(url)
    expect(page.get_by_label(ORGANISATION)).to_have_value("地铁里写的，没有信号。")
    expect(page.get_by_test_id("draft-restored")).to_contain_text("已恢复本机保存的内容")
    assert stored_organisation() is None
    # Back online: the restored text reaches the server and the copy goes.
    page.unroute("**/autosave/")
    page.get_by_label(ORGANISATION).click()
    page.get_by_label(ORGANISATION).press("End")
    page.keyboard.type("到站补发。")
    page.get_by_label(ORGANISATION).press("Tab")
    expect(page.get_by_test_id("autosave-status")).to_have_text(SAVED)
    assert stored_organisation() == "地铁里写的，没有信号。到站补发。"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sp-draft:'))"
                         ) == []


def test_a_submit_that_never_reached_the_server_is_restored(page, live_server,
                                                             people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    page.route("**/autosave/", lambda route: route.abort())
    page.route(url, lambda route: route.abort() if route.request.method == "POST"
               else route.continue_())
    page.get_by_label(ORGANISATION).fill("点了保存，可网络断了。")
    page.get_by_label("着力加强校园及周边安全管理").check()
    page.locator("#id_measure_campus").fill("门卫值守检查 2 次。")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(lambda u: u.startswith("chrome-error:"))  # the browser's own error
    assert stored_organisation() is None
    page.unroute(url)
    page.goto(url)
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    expect(page.get_by_label(ORGANISATION)).to_have_value("点了保存，可网络断了。")
    expect(page.get_by_label("着力加强校园及周边安全管理")).to_be_checked()
    expect(page.locator("#id_measure_campus")).to_have_value("门卫值守检查 2 次。")


def test_discarding_the_copy_puts_back_what_the_server_holds(page, live_server,
                                                              people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label(ORGANISATION).fill("不想要了")
    page.get_by_label(ORGANISATION).press("Tab")
    page.goto(url)
    page.get_by_role("button", name="放弃本机内容").click()
    expect(page.get_by_label(ORGANISATION)).to_have_value("")
    expect(page.get_by_test_id("draft-restored")).to_be_hidden()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sp-draft:'))"
                         ) == []


def test_a_copy_older_than_a_save_elsewhere_is_restored_but_not_autosaved(
        page, live_server, people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label(ORGANISATION).fill("这台手机上写的")
    page.get_by_label(ORGANISATION).press("Tab")
    # Meanwhile the draft is saved on another device.
    deadline = deadline_of(url)
    report = services.report_start(school=people["school"], deadline=deadline,
                                   by=people["officer"])
    services.report_save_draft(report=report, by=people["officer"],
                               sections={"organisation": "电脑上保存的"}, measures={})
    page.unroute("**/autosave/")
    page.goto(url)
    expect(page.get_by_label(ORGANISATION)).to_have_value("这台手机上写的")
    expect(page.get_by_test_id("draft-restored")).to_contain_text(
        "服务器上的草稿此后已在其他窗口或设备上更新")
    page.get_by_label(ORGANISATION).press("End")
    page.keyboard.type("，又补了一句")
    page.get_by_label(ORGANISATION).press("Tab")
    settle(page)
    expect(page.get_by_test_id("autosave-status")).to_have_text("")  # paused
    assert stored_organisation() == "电脑上保存的"
    # Still older than the server's after another reload: still not autosaved.
    page.goto(url)
    expect(page.get_by_label(ORGANISATION)).to_have_value("这台手机上写的，又补了一句")
    expect(page.get_by_test_id("draft-restored")).to_contain_text(
        "服务器上的草稿此后已在其他窗口或设备上更新")
    page.get_by_label(ORGANISATION).press("Tab")
    settle(page)
    expect(page.get_by_test_id("autosave-status")).to_have_text("")
    assert stored_organisation() == "电脑上保存的"
    # Discarding it puts the server's text back and autosave resumes.
    page.get_by_role("button", name="放弃本机内容").click()
    expect(page.get_by_label(ORGANISATION)).to_have_value("电脑上保存的")
    page.get_by_label(ORGANISATION).fill("电脑上保存的，手机上接着写")
    page.get_by_label(ORGANISATION).press("Tab")
    expect(page.get_by_test_id("autosave-status")).to_have_text(SAVED)
    assert stored_organisation() == "电脑上保存的，手机上接着写"


def test_an_explicit_save_leaves_no_copy_to_restore(page, live_server,
                                                    people):  # noqa: F811
    open_form(page, live_server.url, people)
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label(ORGANISATION).fill("末尾有空格和换行  \n")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存。")).to_be_visible()
    page.wait_for_load_state("load")  # the page's scripts have run
    expect(page.get_by_test_id("draft-restored")).to_be_hidden()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sp-draft:'))"
                         ) == []


def test_a_submitted_report_s_page_clears_its_copy(page, live_server,
                                                   people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label(ORGANISATION).fill("写在本机")
    page.get_by_label(ORGANISATION).press("Tab")
    deadline = deadline_of(url)
    report = ProgressReportFactory(school=people["school"], deadline=deadline,
                                   status=ReportStatus.SUBMITTED)
    page.goto(url)  # a submitted report's form leads to its page
    expect(page).to_have_url(re.compile(f"/reporting/reports/{report.code}/"))
    page.wait_for_load_state("load")  # the page's scripts have run
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sp-draft:'))"
                         ) == []


def test_signing_out_clears_the_copies_on_this_device(page, live_server,
                                                      people):  # noqa: F811
    open_form(page, live_server.url, people)
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label(ORGANISATION).fill("学校的工作内容")
    page.get_by_label(ORGANISATION).press("Tab")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sp-draft:'))"
                         ) != []
    sign_out(page)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sp-draft:'))"
                         ) == []


def test_a_refused_submission_keeps_everything_typed(page, live_server, people):  # noqa: F811
    open_form(page, live_server.url, people)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("着力加强校园及周边安全管理").check()
    page.locator("#id_measure_campus").fill("门卫值守检查 2 次。")
    page.get_by_label(ORGANISATION).fill("校长任组长。")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("草稿已保存，但报告尚未填写完整")).to_be_visible()
    expect(page.get_by_label(ORGANISATION)).to_have_value("校长任组长。")
    expect(page.get_by_label("着力加强校园及周边安全管理")).to_be_checked()
    expect(page.locator("#id_measure_campus")).to_have_value("门卫值守检查 2 次。")
    expect(page.get_by_test_id("draft-restored")).to_be_hidden()  # nothing to restore
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


def test_a_missing_caption_is_shown_at_the_field_and_at_the_top_and_the_file_stays(
        page, live_server, people, tmp_path):  # noqa: F811
    open_form(page, live_server.url, people)
    page.get_by_label(ORGANISATION).fill("先写的文字")
    page.get_by_label("照片", exact=True).set_input_files(str(photo(tmp_path)))
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo-field-error")).to_have_text("请说明照片内容。")
    expect(page.get_by_test_id("photo-banner")).to_contain_text("请说明照片内容。")
    expect(page.get_by_test_id("photo-banner")).to_contain_text("已选择的照片仍然保留")
    assert page.get_by_label("照片", exact=True).evaluate("el => el.files.length") == 1
    # With the caption, the same chosen file is added.
    page.get_by_label("照片说明").fill("防溺水主题班会")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo")).to_have_count(1)
    expect(page.get_by_label(ORGANISATION)).to_have_value("先写的文字")


def test_a_bad_file_is_named_at_the_top_and_the_user_asked_to_choose_again(
        page, live_server, people, tmp_path):  # noqa: F811
    open_form(page, live_server.url, people)
    page.get_by_label(ORGANISATION).fill("先写的文字")
    bad = tmp_path / "会议记录.jpg"
    bad.write_bytes(b"this is not a photo")
    page.get_by_label("照片", exact=True).set_input_files(str(bad))
    page.get_by_label("照片说明").fill("会议")
    page.get_by_role("button", name="添加照片").click()
    banner = page.get_by_test_id("photo-banner")
    expect(banner).to_contain_text("会议记录.jpg")
    expect(banner).to_contain_text("请重新选择照片")
    expect(page.get_by_test_id("photos-card")).to_contain_text("会议记录.jpg")
    expect(page.get_by_label(ORGANISATION)).to_have_value("先写的文字")


def test_a_caption_missing_on_the_server_names_the_files_to_choose_again(
        page, live_server, people, tmp_path):  # noqa: F811
    # As on a browser whose script did not run: the server's answer.
    open_form(page, live_server.url, people)
    page.get_by_label("照片", exact=True).set_input_files(str(photo(tmp_path)))
    page.locator("form[data-photo-check]").evaluate(
        "form => { form.removeAttribute('data-photo-check'); }")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo-banner")).to_contain_text("请说明照片内容。")
    expect(page.get_by_test_id("photo-choose-again")).to_contain_text("请重新选择照片")
    expect(page.get_by_test_id("photo-choose-again")).to_contain_text("班会.jpg")


def photo_posts(page):
    posts = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" and request.url.endswith("/photos/") else None)
    return posts


def test_a_photo_over_10_mb_is_refused_by_name_before_upload(page, live_server,
                                                             people):  # noqa: F811
    open_form(page, live_server.url, people)
    posts = photo_posts(page)
    page.get_by_label("照片", exact=True).set_input_files(files=[{
        "name": "全景.jpg", "mimeType": "image/jpeg",
        "buffer": b"\xff\xd8" + b"0" * (10 * 1024 * 1024)}])
    message = "照片未发送：每次最多选择 20 张照片，每张不超过 10 MB。"
    expect(page.get_by_test_id("photo-field-error")).to_contain_text(message)
    expect(page.get_by_test_id("photo-field-error")).to_contain_text("全景.jpg")
    page.get_by_label("照片说明").fill("全景")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo-banner")).to_contain_text(message)
    assert posts == []


def test_more_than_20_photos_are_refused_before_upload(page, live_server,
                                                       people):  # noqa: F811
    open_form(page, live_server.url, people)
    posts = photo_posts(page)
    page.get_by_label("照片", exact=True).set_input_files(files=[
        {"name": f"p{i}.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8x"}
        for i in range(21)])
    page.get_by_label("照片说明").fill("班会")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo-banner")).to_contain_text("最多选择 20 张照片")
    assert posts == []


def test_the_proxy_s_413_page_names_the_limits_and_goes_back(page, live_server,
                                                            people):  # noqa: F811
    url = open_form(page, live_server.url, people)
    page.goto(f"{live_server.url}/static/errors/413.html")
    expect(page.get_by_test_id("upload-too-large")).to_contain_text("最多 20 张照片")
    expect(page.get_by_test_id("upload-too-large")).to_contain_text("10 MB")
    page.get_by_role("button", name="返回报告页面").click()
    expect(page).to_have_url(url)
    assert reverse("login") not in page.url
