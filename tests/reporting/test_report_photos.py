"""Activity photos on a report: added from a phone, re-encoded, served only
through a permission check (security.md U1, U6, U8, U9, U12)."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from reporting.models import MAX_PHOTOS_PER_REPORT, ProgressReport, ReportPhoto, ReportStatus
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(name="activity.jpg", size=(800, 600)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def polyglot() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(buffer, "PNG")
    data = buffer.getvalue() + b"<html><script>alert(1)</script></html>"
    return SimpleUploadedFile("poster.png", data, content_type="image/png")


def add_url(world, deadline, school=None):
    return reverse("reporting:photo_add", args=[(school or world.school_a).pk, deadline.pk])


def post_photos(client, url, *files, caption="防溺水主题班会", taken_on="2026-05-10"):
    return client.post(url, {"photos": list(files), "caption": caption, "taken_on": taken_on})


def test_an_officer_adds_two_photos_and_a_draft_is_started_for_them(world, login, deadline):
    response = post_photos(login(world.safety_officer), add_url(world, deadline),
                           jpeg("班会现场-1.jpg"), jpeg("班会现场-2.jpg"))
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == ReportStatus.DRAFT
    photos = list(report.photos.all())
    assert [(p.caption, p.taken_on) for p in photos] == [
        ("防溺水主题班会", dt.date(2026, 5, 10))] * 2
    # The uploader's names are never used for storage.
    assert all("班会" not in p.image.name and p.image.name.startswith("photos/")
               for p in photos)


def test_a_bad_file_is_named_and_skipped_while_the_good_one_is_kept(world, login, deadline):
    bad = SimpleUploadedFile("notes.jpg", b"this is text", content_type="image/jpeg")
    response = post_photos(login(world.safety_officer), add_url(world, deadline),
                           jpeg("good.jpg"), bad)
    assert response.status_code == 400
    body = response.content.decode()
    assert "notes.jpg" in body
    assert "不是 JPEG、PNG 或 HEIC 格式的照片" in body
    assert 'value="防溺水主题班会"' in body  # the caption typed is kept
    assert ReportPhoto.objects.count() == 1


def test_a_polyglot_png_is_stored_as_pixels_only(world, login, deadline):
    client = login(world.safety_officer)
    post_photos(client, add_url(world, deadline), polyglot())
    photo = ReportPhoto.objects.get()
    response = client.get(reverse("reporting:photo", args=[photo.code]))
    served = b"".join(response.streaming_content)
    assert b"<html" not in served
    assert b"<script" not in served
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")


def test_a_file_over_10_mb_is_refused_before_it_reaches_the_disk(world, login, deadline,
                                                                 settings):
    big = SimpleUploadedFile("huge.jpg", b"\xff\xd8" + bytes(11 * 1024 * 1024))
    response = post_photos(login(world.safety_officer), add_url(world, deadline), big)
    assert response.status_code == 400
    assert "huge.jpg" in response.content.decode()
    assert not ReportPhoto.objects.exists()


def test_a_caption_and_a_photo_are_required(world, login, deadline):
    response = post_photos(login(world.safety_officer), add_url(world, deadline), caption="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "请说明照片内容" in body
    assert "请至少选择一张照片" in body


def test_an_activity_date_in_the_future_is_refused(world, login, deadline):
    response = post_photos(login(world.safety_officer), add_url(world, deadline), jpeg(),
                           taken_on="2999-01-01")
    assert response.status_code == 400
    assert not ReportPhoto.objects.exists()


def test_an_activity_date_before_the_campaign_began_is_refused(world, login, deadline):
    start = deadline.campaign.start_month
    response = post_photos(login(world.safety_officer), add_url(world, deadline), jpeg(),
                           taken_on="1900-01-01")
    assert response.status_code == 400
    assert f"不能早于专项行动开始日期（{start.year}年{start.month}月{start.day}日）" in (
        response.content.decode())
    assert not ReportPhoto.objects.exists()


def test_an_activity_on_the_campaigns_first_day_is_accepted(world, login, deadline):
    start = deadline.campaign.start_month
    response = post_photos(login(world.safety_officer), add_url(world, deadline), jpeg(),
                           taken_on=start.isoformat())
    assert response.status_code == 302
    assert ReportPhoto.objects.get().taken_on == start


def test_the_date_picker_offers_only_dates_from_the_campaigns_start_to_today(
        world, login, deadline):
    body = login(world.safety_officer).get(
        reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])).content.decode()
    assert f'min="{deadline.campaign.start_month.isoformat()}"' in body


def test_a_report_holds_at_most_twenty_photos(world, login, deadline):
    client = login(world.safety_officer)
    url = add_url(world, deadline)
    post_photos(client, url, *[jpeg(f"{n}.jpg", (64, 48)) for n in range(MAX_PHOTOS_PER_REPORT)])
    response = post_photos(client, url, jpeg("one-more.jpg", (64, 48)))
    assert response.status_code == 400
    assert "one-more.jpg" in response.content.decode()
    assert ReportPhoto.objects.count() == MAX_PHOTOS_PER_REPORT


def test_too_many_files_in_one_post_is_a_400(world, login, deadline):
    files = [SimpleUploadedFile(f"{n}.jpg", b"x") for n in range(101)]
    response = post_photos(login(world.safety_officer), add_url(world, deadline), *files)
    assert response.status_code == 400
    assert not ReportPhoto.objects.exists()


def test_another_schools_photo_is_not_found_and_nothing_is_served(world, login, deadline):
    client = login(world.safety_officer)
    post_photos(client, add_url(world, deadline), jpeg())
    photo = ReportPhoto.objects.get()
    peer = login(world.peer_principal)
    for name in ("reporting:photo", "reporting:photo_thumbnail"):
        response = peer.get(reverse(name, args=[photo.code]))
        assert response.status_code == 404
        assert response.get("Content-Type", "").startswith("text/html")


def test_photos_cannot_be_added_or_removed_after_submission(world, login, deadline):
    client = login(world.safety_officer)
    post_photos(client, add_url(world, deadline), jpeg())
    report = ProgressReport.objects.get()
    ProgressReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.SUBMITTED, first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    post_photos(client, add_url(world, deadline), jpeg("late.jpg"))
    client.post(reverse("reporting:photo_remove", args=[report.photos.get().code]))
    assert report.photos.count() == 1


def test_removing_a_photo_deletes_its_files(world, login, deadline):
    from django.core.files.storage import default_storage

    client = login(world.safety_officer)
    post_photos(client, add_url(world, deadline), jpeg())
    photo = ReportPhoto.objects.get()
    names = [photo.image.name, photo.thumbnail.name]
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(reverse("reporting:photo_remove", args=[photo.code]))
    assert not ReportPhoto.objects.exists()
    assert not any(default_storage.exists(n) for n in names)


def test_the_inspector_sees_the_gallery_on_the_report(world, login, deadline):
    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    post_photos(login(world.safety_officer), add_url(world, deadline), jpeg())
    ProgressReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.SUBMITTED, first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    body = login(world.inspector).get(
        reverse("reporting:report_detail", args=[report.code])).content.decode()
    assert reverse("reporting:photo_thumbnail", args=[ReportPhoto.objects.get().code]) in body


def test_the_activity_date_defaults_to_today_in_a_format_the_date_picker_reads(world, login,
                                                                               deadline):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 5, 11, 2, 0, tzinfo=dt.UTC), tick=False):
        body = login(world.safety_officer).get(
            reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])
        ).content.decode()
    assert 'type="date" name="taken_on" value="2026-05-11"' in body


class TestTypedTextTravelsWithThePhotos:
    """The page's script sends the report form's fields along with the photos
    (draft_carried): adding a photo never discards unsaved text."""

    TYPED = {"draft_carried": "1", "organisation": "校长任组长，专班每周研判。",
             "measure_campus_on": "on", "measure_campus": "门卫值守检查 2 次。"}

    def test_the_text_is_saved_as_the_draft_with_the_photo(self, world, login, deadline):
        response = login(world.safety_officer).post(add_url(world, deadline), {
            **self.TYPED, "photos": [jpeg()], "caption": "班会", "taken_on": "2026-05-10"})
        assert response.status_code == 302
        report = ProgressReport.objects.get()
        assert report.sections["organisation"] == "校长任组长，专班每周研判。"
        assert list(report.measures.values_list("measure", "narrative")) == [
            ("campus", "门卫值守检查 2 次。")]
        assert report.photos.count() == 1

    def test_a_photo_error_keeps_and_saves_the_text(self, world, login, deadline):
        response = login(world.safety_officer).post(add_url(world, deadline), {
            **self.TYPED, "caption": ""})
        body = response.content.decode()
        assert response.status_code == 400
        assert "校长任组长，专班每周研判。" in body
        assert "门卫值守检查 2 次。" in body
        assert ProgressReport.objects.get().sections["organisation"] == "校长任组长，专班每周研判。"

    def test_without_the_marker_nothing_else_is_touched(self, world, login, deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline,
                              sections={"organisation": "原有内容"})
        login(world.safety_officer).post(add_url(world, deadline), {
            "organisation": "别处带来的", "photos": [jpeg()], "caption": "班会",
            "taken_on": "2026-05-10"})
        assert ProgressReport.objects.get().sections["organisation"] == "原有内容"


def test_an_empty_file_in_a_batch_is_refused_by_name_and_the_others_are_saved(world, login,
                                                                              deadline):
    empty = SimpleUploadedFile("空文件.jpg", b"", content_type="image/jpeg")
    response = post_photos(login(world.safety_officer), add_url(world, deadline),
                           jpeg("班会现场.jpg"), empty)
    assert ReportPhoto.objects.count() == 1
    body = response.content.decode()
    assert response.status_code == 400
    assert "空文件.jpg" in body


def test_too_many_files_at_once_get_the_portal_s_message_naming_the_limits(world, login,
                                                                          deadline, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [SimpleUploadedFile(f"p{i}.jpg", b"x", content_type="image/jpeg") for i in range(4)]
    response = login(world.safety_officer).post(add_url(world, deadline), {
        "photos": files, "caption": "班会", "taken_on": "2026-05-10"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "最多选择 20 张照片" in body
    assert "10 MB" in body
    assert 'data-testid="report-form"' in body  # the portal's page, not a bare 400
    assert not ReportPhoto.objects.exists()
