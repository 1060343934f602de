"""Photos in the browser and in a batch (issue 8 item 2; security.md U1, U12).

Photos and thumbnails open in the browser for the people allowed to see the report (inline,
still nosniff and a sandboxing CSP); the full-size copy downloads under a Chinese name
(RFC 5987 filename*). A file that breaks the pipeline in any way is refused by name and the
other photos of the batch are saved.
"""

import datetime as dt
import io
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core import photos
from reporting.models import ProgressReport, ReportPhoto, ReportStatus

pytestmark = pytest.mark.django_db

FIELD_TRIAL = Path(__file__).parent / "field_trial"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(name="activity.jpg", size=(800, 600), colour=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def add(client, world, deadline, *files, caption="防溺水主题班会 张小明"):
    url = reverse("reporting:photo_add", args=[world.school_a.pk, deadline.pk])
    return client.post(url, {"photos": list(files), "caption": caption,
                             "taken_on": "2026-05-10"})


@pytest.fixture
def photo(world, login, deadline):
    add(login(world.safety_officer), world, deadline, jpeg())
    return ReportPhoto.objects.get()


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_safe_jpeg(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"]
    body = body_of(response)
    assert body.startswith(b"\xff\xd8")
    return body


@pytest.mark.parametrize("name", ["reporting:photo", "reporting:photo_thumbnail"])
def test_photos_and_thumbnails_open_in_the_browser(world, login, photo, name):
    response = login(world.inspector).get(reverse(name, args=[photo.code]))

    assert_safe_jpeg(response)
    assert response["Content-Disposition"].startswith("inline")


def test_the_full_size_copy_downloads_under_a_chinese_name(world, login, photo):
    response = login(world.inspector).get(reverse("reporting:photo_download",
                                                  args=[photo.code]))

    body = assert_safe_jpeg(response)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    filename = unquote(disposition.split("''", 1)[1])
    assert filename == f"甲小学-活动照片-2026-05-10-{photo.code.hex[:8]}.jpg"
    assert "张小明" not in filename  # never the caption: it may name a child
    full = Image.open(io.BytesIO(body))
    assert full.size == (photo.width, photo.height) == (800, 600)


def test_a_school_name_cannot_steer_the_download_name(world, login, photo):
    world.school_a.name = '../..\\甲"小学\u202e<x>'
    world.school_a.save()

    response = login(world.inspector).get(reverse("reporting:photo_download",
                                                  args=[photo.code]))

    filename = unquote(response["Content-Disposition"].split("''", 1)[1])
    assert filename.startswith("甲小学x-活动照片-")
    assert not {"/", "\\", '"', "<", ">", "\u202e"} & set(filename)


def test_another_schools_staff_cannot_download(world, login, photo):
    response = login(world.peer_principal).get(reverse("reporting:photo_download",
                                                       args=[photo.code]))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_report_page_shows_thumbnails_that_open_the_photo_and_a_download_button(
        world, login, photo):
    ProgressReport.objects.filter(pk=photo.report_id).update(
        status=ReportStatus.SUBMITTED, first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))

    body = login(world.inspector).get(
        reverse("reporting:report_detail", args=[photo.report.code])).content.decode()

    opens = (f'<a href="{reverse("reporting:photo", args=[photo.code])}" target="_blank" '
             f'rel="noopener" data-testid="photo-open"><img class="img-fluid rounded border" '
             f'src="{reverse("reporting:photo_thumbnail", args=[photo.code])}"')
    assert opens in body
    assert f'href="{reverse("reporting:photo_download", args=[photo.code])}"' in body
    assert "下载原图" in body


def test_the_school_sees_the_same_on_its_report_form(world, login, photo, deadline):
    body = login(world.safety_officer).get(
        reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])
    ).content.decode()

    assert f'href="{reverse("reporting:photo", args=[photo.code])}"' in body
    assert f'href="{reverse("reporting:photo_download", args=[photo.code])}"' in body


# ------------------------------------------------------------------ a batch


def test_the_field_trial_photo_that_was_a_500_is_saved_upright_with_the_others(
        world, login, deadline):
    """exif_xres_ascii.jpg with two good photos: HTTP 500 and none saved, before."""
    odd = SimpleUploadedFile("exif_xres_ascii.jpg",
                             (FIELD_TRIAL / "exif_xres_ascii.jpg").read_bytes(),
                             content_type="image/jpeg")

    response = add(login(world.safety_officer), world, deadline, jpeg("1.jpg"), odd,
                   jpeg("2.jpg"))

    assert response.status_code == 302
    assert sorted((p.width, p.height) for p in ReportPhoto.objects.all()) == [
        (20, 40), (800, 600), (800, 600)]


def test_a_file_that_breaks_the_pipeline_is_named_and_the_others_saved(
        world, login, deadline, monkeypatch):
    real = photos._finish

    def finish(im, max_side):
        if im.size == (31, 17):
            raise TypeError("a bug deep in a decoder")
        return real(im, max_side)

    monkeypatch.setattr(photos, "_finish", finish)

    response = add(login(world.safety_officer), world, deadline, jpeg("好.jpg"),
                   jpeg("坏.jpg", size=(31, 17)), jpeg("也好.jpg"))

    assert response.status_code == 400
    assert "坏.jpg 已损坏或不完整" in response.content.decode()
    assert ReportPhoto.objects.count() == 2


def test_a_heic_from_an_iphone_is_added_with_a_jpeg_in_one_batch(world, login, deadline):
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), (30, 160, 60))).save(buffer, quality=90)
    heic = SimpleUploadedFile("IMG_0001.HEIC", buffer.getvalue(), content_type="image/heic")

    response = add(login(world.safety_officer), world, deadline, heic, jpeg("2.jpg"))

    assert response.status_code == 302
    stored = sorted(ReportPhoto.objects.all(), key=lambda p: p.width)
    assert [(p.width, p.height) for p in stored] == [(64, 48), (800, 600)]
    assert stored[0].image.name.endswith(".jpg")
