"""The 通报 prints as an A4 official notice (issue 8 items 4 and 9): Chromium's
own print of the page shows the document only (no navigation, form, buttons or
footer), the issuer's name in red, the body in 仿宋 with two-character indents,
and a draft says 草稿."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from schools.models import Role
from tests.e2e.test_report_cycle import sign_in
from tests.reporting.factories import CampaignFactory, DeadlineFactory
from tests.schools.factories import SchoolFactory, bureau_member


@pytest.fixture
def notice_scene(transactional_db):
    school = SchoolFactory(name="示例区实验小学")
    campaign = CampaignFactory(bureau=school.bureau)
    deadline = DeadlineFactory(campaign=campaign,
                               due_date=timezone.localdate() - dt.timedelta(days=1))
    bureau_member(school.bureau, Role.INSPECTOR, username="inspector")
    return deadline


def test_a_draft_notice_prints_as_an_a4_document_marked_draft(page, live_server, notice_scene):
    from pypdf import PdfReader

    sign_in(page, live_server.url, "inspector")
    page.goto(f"{live_server.url}/reporting/deadlines/{notice_scene.pk}/bulletin/")
    expect(page.get_by_test_id("bulletin")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in ("nav.navbar", "body > footer", "form", "[data-print]", "[data-testid=pdf-link]"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_test_id("draft-mark")).to_be_visible()
    expect(page.locator(".gongwen-watermark")).to_be_visible()
    styles = page.evaluate("""() => {
        const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return {issuer: css('.gongwen-issuer', 'color'),
                rule: css('.gongwen-rule', 'borderTopColor'),
                font: css('.gongwen-body p', 'fontFamily'),
                indent: css('.gongwen-body p', 'textIndent'),
                size: css('.gongwen-body p', 'fontSize')};
    }""")
    assert styles["issuer"] == styles["rule"] == "rgb(208, 0, 0)"
    assert styles["font"].startswith('FangSong, 仿宋')
    indent, size = (float(styles[key].rstrip("px")) for key in ("indent", "size"))
    assert indent == pytest.approx(2 * size, abs=0.01)
    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = "".join(p.extract_text() for p in reader.pages)
    assert "草稿" in text
    assert "保存草稿" not in text  # the form's buttons are not printed
