"""The 通报 as an official notice (公文), issue 8 item 4: drafted and re-drafted
from live data (the body never disagrees with its tables), the 补报截止日期 in
the body, the print and the Excel, the GB/T 9704-2012 layout with its 发文字号,
the PDF, and the notices to the schools it names."""

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from notifications.models import Notice
from reporting import bulletin_views, bulletins
from reporting.models import Bulletin, DocumentSerial, ReportStatus
from schools.models import Role
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory, bureau_member, school_member

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
# Two days after the 13 May deadline, while the inspector drafts the notice.
DRAFTING = dt.datetime(2026, 5, 15, 9, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def drafting_day():
    with time_machine.travel(DRAFTING, tick=False):
        yield


@pytest.fixture
def deadline(world):
    """13 May 2026: 甲小学 on time, 乙小学 late, 丙幼儿园 missing."""
    world.bureau.doc_code = "示例区教体局"
    world.bureau.save()
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                               due_date=dt.date(2026, 5, 13))
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 13, 12, tzinfo=SHANGHAI))
    ProgressReportFactory(school=world.school_b, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 14, 9, tzinfo=SHANGHAI))
    SchoolFactory(bureau=world.bureau, name="丙幼儿园")
    return deadline


def late_submission(deadline, name="丙幼儿园"):
    """The missing school reports now: the live data moves away from the draft."""
    school = deadline.campaign.bureau.schools.get(name=name)
    ProgressReportFactory(school=school, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 15, 8, tzinfo=SHANGHAI))


def draft(world, deadline):
    return bulletins.bulletin_draft(deadline=deadline, by=world.inspector)


def edit(world, item, **changes):
    fields = {"title": item.title, "body": item.body, "remedy_by": item.remedy_by,
              "addressees": item.addressees, "cc": item.cc, **changes}
    return bulletins.bulletin_edit(bulletin=item, by=world.inspector, **fields)


def page(client, deadline):
    return client.get(reverse("reporting:bulletin", args=[deadline.pk])).content.decode()


# ---------------------------------------------------------------- 1. live data

class TestDraftedFromLiveData:
    def test_the_wording_is_drafted_from_the_figures_stored_with_it(self, world, deadline):
        item = draft(world, deadline)
        assert (item.figures["late"], item.figures["missing"]) == (["乙小学"], ["丙幼儿园"])
        assert item.drafted_at == DRAFTING
        assert "应报送学校3所，按时报送1所，逾期报送1所，未报送1所（按时报送率33.3%）" in item.body
        assert not item.stale

    def test_an_untouched_draft_is_redrafted_when_the_data_changes(self, world, deadline):
        first = draft(world, deadline)
        late_submission(deadline)
        item = draft(world, deadline)
        assert item.figures["late"] == ["乙小学", "丙幼儿园"]
        assert item.figures["missing"] == []
        assert "逾期报送2所，未报送0所" in item.body
        assert item.body != first.body
        assert not item.stale

    def test_an_edited_draft_is_kept_and_the_page_warns_that_the_data_changed(
            self, world, deadline, login):
        item = draft(world, deadline)
        edit(world, item, body=item.body + "\n请各校高度重视。")
        late_submission(deadline)
        item = draft(world, deadline)
        assert item.stale
        assert item.figures["missing"] == ["丙幼儿园"]  # what the wording says
        assert item.live_figures["missing"] == []
        assert "请各校高度重视。" in item.body
        html = page(login(world.inspector), deadline)
        assert 'data-testid="stale-warning"' in html
        assert 'name="regenerate"' in html
        # The tables show what the body was drafted from, never the live data.
        missing = re.search(r'data-testid="missing-schools">(.*?)</table>', html, re.S).group(1)
        assert "丙幼儿园" in missing

    def test_a_current_draft_shows_no_warning(self, world, deadline, login):
        assert 'data-testid="stale-warning"' not in page(login(world.inspector), deadline)

    def test_publishing_stale_figures_is_refused(self, world, deadline):
        item = draft(world, deadline)
        edit(world, item, body=item.body + "\n请各校高度重视。")
        late_submission(deadline)
        with pytest.raises(ValidationError, match="重新生成"):
            bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        item.refresh_from_db()
        assert (item.status, item.doc_number) == ("draft", "")
        assert not DocumentSerial.objects.filter(last__gt=0).exists()

    def test_publishing_from_the_page_with_stale_figures_keeps_the_wording_and_says_why(
            self, world, deadline, login):
        item = draft(world, deadline)
        late_submission(deadline)
        edit(world, item, body=item.body + "\n请各校高度重视。")
        client = login(world.inspector)
        response = client.post(reverse("reporting:bulletin", args=[deadline.pk]), {
            "title": item.title, "body": item.body + "\n再补一句。", "remedy_by": "2026-05-18",
            "addressees": item.addressees, "publish": ""})
        assert response.status_code == 400
        html = response.content.decode()
        assert "重新生成" in html
        assert "再补一句。" in html
        item.refresh_from_db()
        assert item.status == "draft"

    def test_regenerating_drafts_again_from_the_live_data(self, world, deadline, login):
        item = draft(world, deadline)
        edit(world, item, body=item.body + "\n请各校高度重视。", cc="区教育督导室")
        late_submission(deadline)
        client = login(world.inspector)
        response = client.post(reverse("reporting:bulletin", args=[deadline.pk]),
                               {"regenerate": ""})
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.figures == bulletins.bulletin_figures(deadline)
        assert "请各校高度重视。" not in item.body
        assert item.cc == "区教育督导室"  # only the wording is redrafted
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        item.refresh_from_db()
        assert item.status == "published"

    def test_a_published_notice_cannot_be_regenerated(self, world, deadline):
        item = draft(world, deadline)
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        with pytest.raises(ValidationError):
            bulletins.bulletin_regenerate(bulletin=item, by=world.inspector)

    def test_a_published_notice_keeps_its_figures_when_the_data_changes(self, world, deadline):
        item = draft(world, deadline)
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        late_submission(deadline)
        item = draft(world, deadline)
        assert item.figures["missing"] == ["丙幼儿园"]
        assert not item.stale


# ------------------------------------------------------------ 2. 补报截止日期

class TestRemedyDate:
    def test_the_draft_sets_a_date_three_days_on_and_states_it_in_the_body(
            self, world, deadline):
        item = draft(world, deadline)
        assert item.remedy_by == dt.date(2026, 5, 18)
        assert "2026年5月18日" in item.body

    def test_the_default_date_stays_within_the_campaign(self, world):
        campaign = CampaignFactory(bureau=world.bureau, end_date=dt.date(2026, 5, 16))
        deadline = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
        assert draft(world, deadline).remedy_by == dt.date(2026, 5, 16)

    @pytest.mark.parametrize(("day", "message"), [
        (dt.date(2020, 1, 1), "截止日期（2026年5月13日）之后"),
        (dt.date(2026, 5, 13), "截止日期（2026年5月13日）之后"),
        (dt.date(2027, 1, 1), "2026年12月31日"),
    ], ids=["years_before", "the_deadline_itself", "after_the_campaign"])
    def test_a_date_not_after_the_deadline_or_past_the_campaign_is_refused(
            self, world, deadline, day, message):
        item = draft(world, deadline)
        with pytest.raises(ValidationError) as caught:
            edit(world, item, remedy_by=day, body=item.body + f"\n{day.year}年{day.month}月"
                                                            f"{day.day}日")
        assert message in " ".join(caught.value.message_dict["remedy_by"])
        item.refresh_from_db()
        assert item.remedy_by == dt.date(2026, 5, 18)

    def test_a_date_already_past_is_refused(self, world, deadline):
        item = draft(world, deadline)
        with pytest.raises(ValidationError) as caught:
            edit(world, item, remedy_by=dt.date(2026, 5, 14))
        assert "remedy_by" in caught.value.message_dict

    def test_the_last_day_of_the_campaign_is_accepted(self, world, deadline):
        item = edit(world, draft(world, deadline), remedy_by=dt.date(2026, 12, 31))
        assert item.remedy_by == dt.date(2026, 12, 31)

    def test_2020_01_01_from_the_page_is_a_clear_error_and_the_wording_is_kept(
            self, world, deadline, login):
        client = login(world.inspector)
        page(client, deadline)
        response = client.post(reverse("reporting:bulletin", args=[deadline.pk]), {
            "title": "标题", "body": "我写的正文，2020年1月1日前补报。",
            "remedy_by": "2020-01-01", "save": ""})
        assert response.status_code == 400
        html = response.content.decode()
        assert "补报日期须在截止日期（2026年5月13日）之后" in html
        assert "我写的正文" in html
        assert Bulletin.objects.get().remedy_by == dt.date(2026, 5, 18)

    def test_moving_the_date_moves_it_in_the_body(self, world, deadline):
        item = edit(world, draft(world, deadline), remedy_by=dt.date(2026, 5, 22))
        assert "2026年5月22日" in item.body
        assert "2026年5月18日" not in item.body

    def test_a_body_that_does_not_state_the_date_is_refused(self, world, deadline):
        item = draft(world, deadline)
        with pytest.raises(ValidationError) as caught:
            edit(world, item, body="现将情况通报如下。")
        assert "2026年5月18日" in " ".join(caught.value.message_dict["body"])

    def test_naming_schools_without_a_date_cannot_be_published(self, world, deadline):
        item = edit(world, draft(world, deadline), remedy_by=None)
        with pytest.raises(ValidationError) as caught:
            bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        assert "remedy_by" in caught.value.message_dict

    def test_a_date_that_has_passed_since_drafting_cannot_be_published(self, world, deadline):
        item = draft(world, deadline)
        with time_machine.travel(dt.datetime(2026, 5, 19, 9, tzinfo=SHANGHAI), tick=False):
            with pytest.raises(ValidationError) as caught:
                bulletins.bulletin_publish(bulletin=item, by=world.inspector)
            assert "remedy_by" in caught.value.message_dict
            item = bulletins.bulletin_regenerate(bulletin=item, by=world.inspector)
        assert item.remedy_by == dt.date(2026, 5, 22)  # a fresh date from the day redrafted
        assert "2026年5月22日" in item.body

    def test_regenerating_keeps_a_date_still_to_come(self, world, deadline):
        item = edit(world, draft(world, deadline), remedy_by=dt.date(2026, 5, 25))
        item = bulletins.bulletin_regenerate(bulletin=item, by=world.inspector)
        assert item.remedy_by == dt.date(2026, 5, 25)

    def test_a_notice_naming_nobody_needs_no_date(self, world):
        deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                                   due_date=dt.date(2026, 5, 13))
        for school in (world.school_a, world.school_b):
            ProgressReportFactory(school=school, deadline=deadline, status=ReportStatus.SUBMITTED,
                                  first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=SHANGHAI))
        item = edit(world, draft(world, deadline), remedy_by=None)
        assert bulletins.bulletin_publish(bulletin=item, by=world.inspector).status == "published"

    def test_the_date_is_in_the_print_and_the_excel(self, world, deadline, login):
        client = login(world.inspector)
        html = page(client, deadline)
        body = re.search(r'data-testid="bulletin-body">(.*?)</div>', html, re.S).group(1)
        assert "2026年5月18日" in body
        rows = workbook_rows(client, deadline)
        assert ("补报截止日期", "2026年5月18日") in rows


# ------------------------------------------------------------------ 3. layout

class TestOfficialLayout:
    def test_the_page_is_laid_out_as_an_official_notice(self, world, deadline, login):
        item = edit(world, draft(world, deadline), cc="区教育督导室")
        html = page(login(world.inspector), deadline)
        assert re.search(r'class="gongwen-issuer"[^>]*>示例区教育和体育局<', html)
        assert 'class="gongwen-rule"' in html
        assert f'class="gongwen-title">{item.title}<' in html
        assert 'data-testid="addressees">各中小学校、幼儿园：<' in html
        assert html.count("<p>") >= 3  # one paragraph a line, each indented by the stylesheet
        assert re.search(r'data-testid="doc-date">2026年5月15日<', html)
        assert "抄送：区教育督导室。" in html
        assert "css/gongwen.css" in html

    def test_a_draft_has_no_number_yet_and_is_marked_as_a_draft(self, world, deadline, login):
        html = page(login(world.inspector), deadline)
        assert "示例区教体局〔2026〕\u3000\u3000号" in html
        assert 'data-testid="draft-mark"' in html
        assert 'class="gongwen-watermark"' in html

    def test_a_published_notice_shows_its_number_and_date_and_no_draft_mark(
            self, world, deadline, login):
        item = draft(world, deadline)
        with time_machine.travel(dt.datetime(2026, 5, 16, 10, tzinfo=SHANGHAI), tick=False):
            bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        html = page(login(world.inspector), deadline)
        assert 'data-testid="doc-number">示例区教体局〔2026〕1号<' in html
        assert 'data-testid="doc-date">2026年5月16日<' in html
        assert 'data-testid="draft-mark"' not in html
        assert 'class="gongwen-watermark"' not in html

    @pytest.mark.parametrize(("types", "addressees"), [
        (["primary", "junior"], "各中小学校"),
        (["kindergarten"], "各幼儿园"),
        (["kindergarten", "senior"], "各中小学校、幼儿园"),
    ])
    def test_addressees_follow_the_campaign_school_types(self, world, types, addressees):
        campaign = CampaignFactory(bureau=world.bureau, school_types=types)
        deadline = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
        assert draft(world, deadline).addressees == addressees

    def test_the_print_stylesheet_follows_gb_t_9704(self):
        css = (ROOT / "static" / "css" / "gongwen.css").read_text()
        page_rule = re.search(r"@page\s*{(.*?)}", css, re.S).group(1)
        assert "size: A4" in page_rule
        assert "margin: 37mm 26mm 35mm 28mm" in page_rule
        assert re.search(r'\.gongwen \{[^}]*font-family: "FangSong"', css)
        assert re.search(r"\.gongwen-body p \{[^}]*text-indent: 2em", css)
        printed = re.search(r"@media print\s*{(.*)}", css, re.S).group(1)
        hidden = re.search(r"([^{}]*){ display: none !important; }", printed).group(1)
        for selector in ("nav.navbar", "body > footer.d-flex", ".no-print", ".alert"):
            assert selector in hidden


class TestDocumentNumber:
    def publish(self, world, due_date, at=DRAFTING):
        campaign = CampaignFactory(bureau=world.bureau, end_date=dt.date(2027, 12, 31))
        deadline = DeadlineFactory(campaign=campaign, due_date=due_date)
        with time_machine.travel(at, tick=False):
            item = draft(world, deadline)
            return bulletins.bulletin_publish(bulletin=item, by=world.inspector)

    def test_numbers_count_per_bureau_per_year(self, world):
        world.bureau.doc_code = "示例区教体局"
        world.bureau.save()
        first = self.publish(world, dt.date(2026, 5, 1))
        second = self.publish(world, dt.date(2026, 5, 2))
        next_year = self.publish(world, dt.date(2026, 5, 3),
                                 at=dt.datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI))
        assert [b.doc_number for b in (first, second, next_year)] == [
            "示例区教体局〔2026〕1号", "示例区教体局〔2026〕2号", "示例区教体局〔2027〕1号"]
        assert (second.issuer, second.doc_year, second.doc_serial) == (world.bureau, 2026, 2)

    def test_another_bureau_has_its_own_sequence_and_its_name_without_a_code(self, world):
        self.publish(world, dt.date(2026, 5, 1))
        neighbour = bureau_member(world.other_bureau, Role.INSPECTOR, username="c-inspector")
        deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.other_bureau),
                                   due_date=dt.date(2026, 5, 13))
        item = bulletins.bulletin_draft(deadline=deadline, by=neighbour)
        item = bulletins.bulletin_publish(bulletin=item, by=neighbour)
        assert item.doc_number == "邻区教育和体育局〔2026〕1号"

    def test_a_number_is_never_given_twice_even_when_a_notice_is_removed(self, world):
        first = self.publish(world, dt.date(2026, 5, 1))
        Bulletin.objects.filter(pk=first.pk).delete()
        assert self.publish(world, dt.date(2026, 5, 2)).doc_serial == 2

    def test_the_year_is_the_day_of_publication_in_shanghai(self, world):
        # 31 Dec 2026 17:00 UTC is already 1 Jan 2027 in Shanghai.
        item = self.publish(world, dt.date(2026, 5, 1),
                            at=dt.datetime(2026, 12, 31, 17, tzinfo=dt.UTC))
        assert item.doc_year == 2027


@pytest.mark.django_db(transaction=True)
def test_notices_published_at_once_get_different_numbers(world, monkeypatch):
    """Four inspectors publish at the same moment: the counter row is locked,
    so the numbers are 1 to 4, each once (a second lock-free reader would have
    taken the same number and failed on the unique constraint)."""
    import threading

    from celery._state import task_join_will_block
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    # Eager Celery tasks (the outbox's after-commit kick) in several threads at
    # once leave Celery's process-wide "inside a task" flag set; the notices
    # wait in the outbox instead, as they would with the broker down.
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    items = []
    for day in range(1, 5):
        deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                                   due_date=dt.date(2026, 5, day))
        items.append(draft(world, deadline))
    barrier = threading.Barrier(len(items))
    errors = []

    def run(item):
        from django.db import connections
        try:
            barrier.wait()
            bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert not task_join_will_block()
    assert sorted(Bulletin.objects.values_list("doc_serial", flat=True)) == [1, 2, 3, 4]
    assert DocumentSerial.objects.get(bureau=world.bureau, year=2026).last == 4


# --------------------------------------------------------------------- 4. PDF

def need_pdf_tools():
    """WeasyPrint's pango and the Noto CJK fonts (scripts/ensure_test_tools.sh)."""
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=False).stdout if shutil.which("fc-list") else ""
    if "Noto Serif CJK" not in found:
        if os.environ.get("CI"):
            pytest.fail("CI is set but fonts-noto-cjk is missing (scripts/ensure_test_tools.sh)")
        pytest.skip("fonts-noto-cjk is not installed (scripts/ensure_test_tools.sh installs it)")


def pdf_of(client, deadline):
    from pypdf import PdfReader

    need_pdf_tools()
    response = client.get(reverse("reporting:bulletin_pdf", args=[deadline.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    return PdfReader(io.BytesIO(b"".join(response.streaming_content)))


class TestPdf:
    def test_the_pdf_is_an_a4_notice_whose_chinese_text_extracts(self, world, deadline, login):
        client = login(world.inspector)
        item = draft(world, deadline)
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        reader = pdf_of(client, deadline)
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in pt
        text = "".join(p.extract_text() for p in reader.pages).replace(" ", "").replace("\n", "")
        for expected in ("示例区教育和体育局", "示例区教体局〔2026〕1号", "乙小学", "丙幼儿园",
                         "2026年5月18日", "各中小学校、幼儿园："):
            assert expected in text
        assert "草稿" not in text

    def test_a_draft_pdf_is_marked_as_a_draft(self, world, deadline, login):
        client = login(world.inspector)
        page(client, deadline)
        text = "".join(p.extract_text() for p in pdf_of(client, deadline).pages)
        assert "草稿" in text

    def test_rendering_a_pdf_leaves_photo_uploads_working(self, world, deadline, login):
        """WeasyPrint's import allows truncated images process-wide; the photo
        pipeline refuses to run while that is so. After a PDF, photos still work."""
        from PIL import Image, ImageFile

        from core.photos import process_photo

        client = login(world.inspector)
        page(client, deadline)
        pdf_of(client, deadline)
        assert ImageFile.LOAD_TRUNCATED_IMAGES is False
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "JPEG")
        buffer.name = "班会.jpg"
        buffer.seek(0)
        assert process_photo(buffer).width == 64

    def test_markup_typed_in_the_wording_is_printed_as_text_and_nothing_is_fetched(
            self, world, deadline, login, monkeypatch):
        need_pdf_tools()
        # Through the portal's own import, which puts Pillow's process-wide
        # LOAD_TRUNCATED_IMAGES back after weasyprint's import turns it on.
        bulletin_views._weasyprint()
        import weasyprint.urls

        fetched = []
        monkeypatch.setattr(weasyprint.urls.URLFetcher, "open",
                            lambda self, *args, **kwargs: fetched.append(args))
        item = draft(world, deadline)
        edit(world, item, body=item.body + '\n<img src="file:///etc/passwd">见附件')
        reader = pdf_of(login(world.inspector), deadline)
        text = "".join(p.extract_text() for p in reader.pages)
        assert '<img src="file:///etc/passwd">见附件' in text
        assert fetched == []

    def test_no_pdf_before_a_notice_is_drafted(self, world, deadline, login):
        response = login(world.inspector).get(reverse("reporting:bulletin_pdf",
                                                      args=[deadline.pk]))
        assert response.status_code == 404

    def test_the_pdf_fonts_are_embedded_cjk_fonts(self, world, deadline, login):
        client = login(world.inspector)
        page(client, deadline)
        reader = pdf_of(client, deadline)
        fonts = set()
        for font in reader.pages[0]["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
        assert any("CJK" in name for name in fonts), fonts


# ------------------------------------------------------------------- 5. Excel

def workbook_rows(client, deadline, with_sheet=False):
    response = client.get(reverse("reporting:bulletin_xlsx", args=[deadline.pk]))
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [tuple(c for c in row if c is not None) for row in wb.active.iter_rows(
        values_only=True)]
    return (rows, wb.active) if with_sheet else rows


class TestExcel:
    def test_the_excel_carries_the_whole_document(self, world, deadline, login):
        item = draft(world, deadline)
        item = edit(world, item, cc="区教育督导室")
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        rows = workbook_rows(login(world.inspector), deadline)
        assert rows[0] == ("示例区教育和体育局",)
        assert ("发文字号", "示例区教体局〔2026〕1号") in rows
        assert (item.title,) in rows
        assert ("主送机关", "各中小学校、幼儿园") in rows
        paragraphs = [line for line in item.body.splitlines() if line]
        texts = [row[-1] for row in rows if row]
        assert all(paragraph in texts for paragraph in paragraphs)
        assert ("发文机关", "示例区教育和体育局") in rows
        assert ("成文日期", "2026年5月15日") in rows
        assert ("抄送", "区教育督导室") in rows
        assert ("逾期", "乙小学") in rows
        assert ("未报", "丙幼儿园") in rows

    def test_the_excel_prints_landscape_one_page_wide_with_the_list_header_repeated(
            self, world, deadline, login):
        draft(world, deadline)
        rows, ws = workbook_rows(login(world.inspector), deadline, with_sheet=True)
        header = next(i for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                      if row[:2] == ("状态", "学校"))
        assert ws.page_setup.orientation == "landscape"
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == f"${header}:${header}"
        assert ws.print_title_cols == "$A:$B"


# ----------------------------------------------------------- 6. the schools told

@pytest.fixture
def emails(world, deadline):
    missing_school = world.bureau.schools.get(name="丙幼儿园")
    school_member(missing_school, Role.PRINCIPAL, username="k-principal", email="k@example.org")
    for user in (world.principal, world.safety_officer, world.peer_principal):
        user.email = f"{user.username}@example.org"
        user.save()


class TestSchoolsNamedAreTold:
    def test_each_named_school_is_told_once_and_on_time_schools_are_not(
            self, world, deadline, emails):
        item = draft(world, deadline)
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        notices = Notice.objects.filter(kind="bulletin")
        assert sorted(notices.values_list("recipient__username", flat=True)) == [
            "b-principal", "k-principal"]
        told = notices.get(recipient=world.peer_principal)
        assert told.context == {
            "path": reverse("reporting:school_reports", args=[world.school_b.pk]),
            "school_id": world.school_b.pk, "school_name": "乙小学",
            "deadline_id": deadline.pk, "deadline_date": "2026-05-13"}
        assert (told.subject_type, told.subject_code) == ("reporting.bulletin", str(item.pk))

    def test_telling_twice_makes_no_second_notice(self, world, deadline, emails):
        item = draft(world, deadline)
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        tally = bulletins._tally(deadline)
        assert bulletins._tell_named_schools(item, tally.named_school_ids) == 0
        assert Notice.objects.filter(kind="bulletin").count() == 2

    def test_a_refused_publication_tells_nobody(self, world, deadline, emails):
        item = edit(world, draft(world, deadline), remedy_by=None)
        with pytest.raises(ValidationError):
            bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        assert not Notice.objects.filter(kind="bulletin").exists()

    def test_the_email_goes_through_a_real_smtp_server_with_the_school_and_deadline_only(
            self, world, deadline, emails, smtp_inbox):
        from notifications.services import deliver_due

        item = draft(world, deadline)
        deliver_due()  # the submitters' receipts, sent before the notice is published
        smtp_inbox.messages.clear()
        bulletins.bulletin_publish(bulletin=item, by=world.inspector)
        assert deliver_due() == 2
        by_person = {rcpt[0]: message for rcpt, message in smtp_inbox.messages}
        assert set(by_person) == {"b-principal@example.org", "k@example.org"}
        message = by_person["b-principal@example.org"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "乙小学" in message["Subject"]
        for part in (text, html):
            assert "乙小学" in part
            assert "2026年5月13日" in part
            assert reverse("reporting:school_reports", args=[world.school_b.pk]) in part
            for other in ("甲小学", "丙幼儿园"):
                assert other not in part
            assert "%" not in part  # no rate, no figure of anyone
