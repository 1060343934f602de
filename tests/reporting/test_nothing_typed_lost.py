"""Nothing typed is ever lost (issue 8 item 1): a refused submission shows
every field as typed, and a photo problem is shown at the photo field and in a
banner at the top of the page, asking for the files again by name."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reporting import services
from reporting.models import ProgressReport, ReportPhoto, ReportStatus

pytestmark = pytest.mark.django_db

TYPED = {
    "organisation": "校长任组长，专班每周研判。",
    "results": "开展安全教育 3 次。",
    "measure_campus_on": "on", "measure_campus": "门卫值守检查 2 次。",
    "measure_legal_on": "on", "measure_legal": "",  # ticked, not yet written: refused
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def edit_url(world, deadline):
    return reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])


def add_url(world, deadline):
    return reverse("reporting:photo_add", args=[world.school_a.pk, deadline.pk])


def checked(body: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
    return " checked" in tag


class TestARefusedSubmissionKeepsEverythingTyped:
    def test_missing_parts(self, world, login, deadline):
        response = login(world.safety_officer).post(edit_url(world, deadline),
                                                    {**TYPED, "submit": ""})
        assert response.status_code == 400
        body = response.content.decode()
        for text in ("校长任组长，专班每周研判。", "开展安全教育 3 次。", "门卫值守检查 2 次。"):
            assert text in body
        assert checked(body, "measure_campus_on")
        assert checked(body, "measure_legal_on")
        assert not checked(body, "measure_moral_on")
        assert ProgressReport.objects.get().status == ReportStatus.DRAFT

    def test_a_section_too_long_is_shown_as_typed_though_nothing_could_be_saved(
            self, world, login, deadline):
        too_long = "长" * (services.MAX_SECTION_CHARS + 1)
        response = login(world.safety_officer).post(edit_url(world, deadline), {
            **TYPED, "problems": too_long, "submit": ""})
        assert response.status_code == 400
        body = response.content.decode()
        assert too_long in body
        assert "校长任组长，专班每周研判。" in body
        assert "门卫值守检查 2 次。" in body
        assert checked(body, "measure_campus_on")


class TestAPhotoProblemIsShownAtTheFieldAndAtTheTop:
    def banner(self, body: str) -> str:
        return re.search(r'<div class="alert alert-danger" role="alert" id="photo-banner"'
                         r'[^>]*>(.*?)<a href="#photos"', body, re.S).group(1)

    def test_a_missing_caption_names_the_files_to_choose_again(self, world, login, deadline):
        photo = SimpleUploadedFile("班会现场.jpg", b"\xff\xd8x", content_type="image/jpeg")
        response = login(world.safety_officer).post(add_url(world, deadline), {
            "photos": [photo], "caption": "", "taken_on": "2026-05-10"})
        assert response.status_code == 400
        body = response.content.decode()
        banner = self.banner(body)
        assert "照片说明: 请说明照片内容。" in banner
        assert "请重新选择照片" in banner
        assert "班会现场.jpg" in banner
        near_field = re.search(r'data-testid="photo-choose-again">(.*?)</p>', body).group(1)
        assert "请重新选择照片" in near_field
        assert "班会现场.jpg" in near_field
        assert not ReportPhoto.objects.exists()

    def test_a_refused_file_is_named_in_the_banner(self, world, login, deadline):
        bad = SimpleUploadedFile("会议记录.jpg", b"not a photo", content_type="image/jpeg")
        response = login(world.safety_officer).post(add_url(world, deadline), {
            "photos": [bad], "caption": "会议", "taken_on": "2026-05-10"})
        banner = self.banner(response.content.decode())
        assert "会议记录.jpg" in banner
        assert "请重新选择照片" in banner

    def test_without_a_problem_the_banner_is_hidden_and_empty(self, world, login, deadline):
        body = login(world.safety_officer).get(edit_url(world, deadline)).content.decode()
        assert re.search(r'id="photo-banner" data-testid="photo-banner" hidden>', body)
        assert "请重新选择照片" not in self.banner(body)

    def test_the_photo_form_carries_the_limits_the_browser_checks(self, world, login,
                                                                  deadline):
        body = login(world.safety_officer).get(edit_url(world, deadline)).content.decode()
        form = re.search(r"<form[^>]*data-photo-check[^>]*>", body, re.S).group(0)
        assert 'data-max-files="20"' in form
        assert f'data-max-bytes="{10 * 1024 * 1024}"' in form
        assert "每次最多选择 20 张照片，每张不超过 10 MB" in form
