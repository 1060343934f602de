"""In a real browser: a photo's thumbnail shows on the report form, tapping it opens the
photo in the browser (inline, under its sandboxing CSP), and 下载原图 downloads the
full-size copy under a Chinese name (issue 8 item 2)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_report_cycle import people, photo, sign_in  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_photo_opens_in_the_browser_and_downloads_full_size(page, live_server, people,  # noqa: F811
                                                               tmp_path):
    base = live_server.url
    sign_in(page, base, "s01-safety")
    page.goto(f"{base}/reporting/schools/{people['school'].pk}/")
    page.get_by_role("link", name="填写报告").first.click()
    page.get_by_label("照片", exact=True).set_input_files(str(photo(tmp_path)))
    page.get_by_label("照片说明").fill("防溺水主题班会")
    page.get_by_role("button", name="添加照片").click()
    expect(page.get_by_test_id("photo")).to_have_count(1)

    thumbnail = page.get_by_test_id("photo-open").locator("img")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.naturalWidth") == 400  # loaded under the page's CSP

    with page.context.expect_page() as opened:
        page.get_by_test_id("photo-open").click()
    shown = opened.value
    shown.wait_for_load_state()
    assert "/reporting/photos/" in shown.url
    # Chromium shows the JPEG as an image document instead of saving it.
    expect(shown.locator("img")).to_be_visible()
    assert shown.locator("img").evaluate("img => img.naturalWidth") == 1200
    shown.close()

    with page.expect_download() as download:
        page.get_by_test_id("photo-download").click()
    name = download.value.suggested_filename
    assert name.startswith("示例区实验小学-活动照片-")
    assert name.endswith(".jpg")
