"""The roster import pages: upload, preview, confirm, result, template."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from schools.models import Pupil, RosterUpload, SchoolClass
from tests.conftest import sign_in
from tests.schools.roster_helpers import g_number, pupil, school_class

HEADER = "学籍号,姓名,性别,出生日期,年级,班级,监护人1姓名,监护人1关系,监护人1电话\n"


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def csv(*lines) -> SimpleUploadedFile:
    body = HEADER + "".join(line + "\n" for line in lines)
    return SimpleUploadedFile("我的名册.csv", body.encode("utf-8"), content_type="text/csv")


def line(number, name="张小明", gender="男", born="2015-03-05", grade="三年级", cls="2"):
    return f"{number},{name},{gender},{born},{grade},{cls},张大山,爸爸,13812345678"


def upload(client, school, file, full=False):
    data = {"file": file}
    if full:
        data["full_roster"] = "on"
    return client.post(reverse("schools:roster_import", args=[school.pk]), data,
                       HTTP_ACCEPT_LANGUAGE="en")


def preview_url(school, up):
    return reverse("schools:roster_preview", args=[school.pk, up.code])


def confirm(client, school, up, **data):
    if "fingerprint" not in data:
        page = client.get(preview_url(school, up)).content.decode()
        data["fingerprint"] = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    return client.post(reverse("schools:roster_confirm", args=[school.pk, up.code]), data)


@pytest.fixture
def principal(world, client):
    return sign_in(client, world.principal, verified=True)


def test_the_upload_page_offers_the_template(world, principal):
    response = principal.get(reverse("schools:roster_import", args=[world.school_a.pk]))
    assert response.status_code == 200
    assert reverse("schools:roster_template", args=[world.school_a.pk]) in response.content.decode()


def test_the_template_downloads_as_an_xlsx(world, principal):
    response = principal.get(reverse("schools:roster_template", args=[world.school_a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E5%AD%A6%E7%94%9F" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


def test_a_good_file_is_kept_and_previewed_without_writing_pupils(world, principal):
    response = upload(principal, world.school_a, csv(line(g_number())), full=True)
    up = RosterUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(world.school_a, up)
    assert (up.status, up.full_roster, up.uploaded_by) == ("pending", True, world.principal)
    assert "我的名册" not in up.file.name
    assert default_storage.exists(up.file.name)
    page = principal.get(preview_url(world.school_a, up))
    assert page.status_code == 200
    html = page.content.decode()
    assert "张小明" in html
    assert 'data-testid="roster-confirm"' in html
    assert not Pupil.objects.exists()
    # Opening a preview of children is an audited read.
    assert AuditEvent.objects.filter(action="record.view", target_code=str(up.code)).exists()


def test_a_bad_file_shows_the_readers_message_with_400_and_keeps_the_form(world, principal):
    bad = SimpleUploadedFile("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    response = upload(principal, world.school_a, bad, full=True)
    assert response.status_code == 400
    html = response.content.decode()
    assert ".xlsx" in html
    assert 'name="full_roster"' in html
    assert re.search(r'name="full_roster"[^>]*checked', html)
    assert not RosterUpload.objects.exists()


def test_confirming_imports_and_shows_the_result(world, principal,
                                                django_capture_on_commit_callbacks):
    number = g_number()
    upload(principal, world.school_a, csv(line(number)))
    up = RosterUpload.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(principal, world.school_a, up)
    assert response.status_code == 302
    assert response["Location"] == reverse("schools:roster_result",
                                           args=[world.school_a.pk, up.code])
    up.refresh_from_db()
    assert up.status == "committed"
    assert up.result["created"] == 1
    assert Pupil.objects.get().student_number == number
    assert not default_storage.exists(up.file.name)
    result = principal.get(response["Location"])
    assert result.status_code == 200
    assert 'data-testid="result-created">1<' in \
        result.content.decode()
    # The next step is the roster itself.
    assert f'href="{reverse("schools:roster", args=[world.school_a.pk])}"' in \
        result.content.decode()


def test_a_file_with_errors_lists_them_first_and_cannot_be_confirmed(world, principal):
    upload(principal, world.school_a, csv(line(g_number()), line(g_number(), gender="?")))
    up = RosterUpload.objects.get()
    html = principal.get(preview_url(world.school_a, up)).content.decode()
    assert "请在文件中改正这些行后重新上传" in html
    assert 'data-testid="roster-confirm"' not in html
    assert "<td>3</td><td>3</td>" in html  # row 3, CSV column 3
    response = confirm(principal, world.school_a, up, fingerprint="0" * 64)
    assert response.status_code in (400, 409)
    assert not Pupil.objects.exists()


def test_someone_else_cannot_confirm_anothers_upload(world, client, principal):
    upload(principal, world.school_a, csv(line(g_number())))
    up = RosterUpload.objects.get()
    page = principal.get(preview_url(world.school_a, up)).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    other = sign_in(client, world.safety_officer, verified=True)
    assert "只有上传此文件的人才能确认导入" in other.get(
        preview_url(world.school_a, up)).content.decode()
    response = confirm(other, world.school_a, up, fingerprint=fingerprint)
    assert response.status_code == 403
    assert "只有上传此文件的人才能确认导入" in response.content.decode()
    assert not Pupil.objects.exists()


def test_a_committed_upload_cannot_be_confirmed_again(world, principal):
    upload(principal, world.school_a, csv(line(g_number())))
    up = RosterUpload.objects.get()
    page = principal.get(preview_url(world.school_a, up)).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    assert confirm(principal, world.school_a, up, fingerprint=fingerprint).status_code == 302
    again = confirm(principal, world.school_a, up, fingerprint=fingerprint)
    assert again.status_code == 409
    assert Pupil.objects.count() == 1


def test_an_expired_upload_cannot_be_confirmed(world, principal):
    upload(principal, world.school_a, csv(line(g_number())))
    up = RosterUpload.objects.get()
    page = principal.get(preview_url(world.school_a, up)).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    RosterUpload.objects.filter(pk=up.pk).update(
        created_at=up.created_at - dt.timedelta(hours=25))
    response = confirm(principal, world.school_a, up, fingerprint=fingerprint)
    assert response.status_code == 410
    assert "已超过 24 小时，已失效" in response.content.decode()
    assert principal.get(preview_url(world.school_a, up)).status_code == 410
    assert not Pupil.objects.exists()


def test_a_stale_preview_is_refused(world, principal):
    upload(principal, world.school_a, csv(line(g_number())))
    up = RosterUpload.objects.get()
    page = principal.get(preview_url(world.school_a, up)).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    pupil(world.school_a, g_number())  # the roster changed after the preview
    response = confirm(principal, world.school_a, up, fingerprint=fingerprint)
    assert response.status_code == 409
    assert "预览之后名册已有变化" in \
        response.content.decode()
    assert Pupil.objects.count() == 1


def test_an_upload_is_not_reachable_through_another_schools_address(world, client):
    peer = sign_in(client, world.peer_principal, verified=True)
    upload(peer, world.school_b, csv(line(g_number())))
    up = RosterUpload.objects.get()
    principal = sign_in(client, world.principal, verified=True)
    assert principal.get(reverse("schools:roster_preview",
                                 args=[world.school_a.pk, up.code])).status_code == 404
    assert principal.get(preview_url(world.school_b, up)).status_code == 404


def test_the_pages_ask_for_a_recent_second_factor(world, client):
    sign_in(client, world.principal)
    response = client.get(reverse("schools:roster_import", args=[world.school_a.pk]))
    # School staff have no device yet: enrol first, then back to the page.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_enrol"))


def test_pupils_missing_from_a_full_roster_leave_as_chosen_per_pupil(world, principal):
    cls6, cls3 = school_class(world.school_a, 6, 1), school_class(world.school_a, 3, 1)
    sixth, third = pupil(world.school_a, g_number(), cls=cls6), pupil(world.school_a, g_number(),
                                                                    cls=cls3)
    upload(principal, world.school_a, csv(line(g_number())), full=True)
    up = RosterUpload.objects.get()
    html = principal.get(preview_url(world.school_a, up)).content.decode()
    assert f'name="leave-{sixth.code}"' in html
    assert f'name="leave-{third.code}"' in html
    confirm(principal, world.school_a, up, **{f"leave-{sixth.code}": "keep",
                                              f"leave-{third.code}": "graduated"})
    sixth.refresh_from_db()
    third.refresh_from_db()
    assert (sixth.status, third.status) == ("enrolled", "graduated")


def test_a_missing_pupil_is_not_given_a_fate_nobody_chose(world, principal):
    """Only graduation from the school's last grade is pre-selected; for any
    other missing pupil a person must choose, and a confirmation without a
    choice changes nothing and says so."""
    cls6, cls3 = school_class(world.school_a, 6, 1), school_class(world.school_a, 3, 1)
    sixth, third = pupil(world.school_a, g_number(), cls=cls6), pupil(world.school_a, g_number(),
                                                                    cls=cls3)
    upload(principal, world.school_a, csv(line(g_number())), full=True)
    up = RosterUpload.objects.get()
    html = principal.get(preview_url(world.school_a, up)).content.decode()
    third_select = re.search(rf'<select[^>]*name="leave-{third.code}"[^>]*>(.*?)</select>',
                             html, re.S)
    sixth_select = re.search(rf'<select[^>]*name="leave-{sixth.code}"[^>]*>(.*?)</select>',
                             html, re.S)
    assert "required" in third_select.group(0)
    assert re.search(r'<option value="" selected disabled>', third_select.group(1))
    assert 'value="transferred_out" selected' not in third_select.group(1)
    assert 'value="graduated" selected' in sixth_select.group(1)
    with translation.override("en"):
        response = confirm(principal, world.school_a, up, **{f"leave-{sixth.code}": "graduated"})
    assert response.status_code == 302
    assert response["Location"] == preview_url(world.school_a, up)
    page = principal.get(response["Location"]).content.decode()
    assert "名学生选择去向" in page
    third.refresh_from_db()
    sixth.refresh_from_db()
    assert (third.status, sixth.status) == ("enrolled", "enrolled")
    assert Pupil.objects.filter(school=world.school_a).count() == 2  # nothing imported
    up.refresh_from_db()
    assert up.status == "pending"


def test_the_preview_never_names_the_school_a_pupil_is_enrolled_at(world, principal):
    number = g_number()
    pupil(world.school_b, number)
    upload(principal, world.school_a, csv(line(number)))
    up = RosterUpload.objects.get()
    html = principal.get(preview_url(world.school_a, up)).content.decode()
    assert "转学" in html
    assert world.school_b.name not in html


def test_hidden_rows_are_included_only_when_ticked(world, principal):
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(line(g_number()).split(","))
    ws.append(line(g_number(), name="李四").split(","))
    ws.row_dimensions[3].hidden = True
    buffer = io.BytesIO()
    wb.save(buffer)
    upload(principal, world.school_a, SimpleUploadedFile("r.xlsx", buffer.getvalue()))
    up = RosterUpload.objects.get()
    html = principal.get(preview_url(world.school_a, up)).content.decode()
    assert 'data-testid="roster-hidden"' in html
    assert "李四" in html
    confirm(principal, world.school_a, up, include_hidden="on")
    assert Pupil.objects.count() == 2
    assert SchoolClass.objects.filter(school=world.school_a).count() == 1


def test_the_import_time_is_the_bureaus_day(world, principal):
    with time_machine.travel(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)):
        upload(principal, world.school_a, csv(line(g_number())))
    assert RosterUpload.objects.get().file.name.startswith("rosters/2026/12/")


def test_the_school_page_links_the_import_for_its_roster_managers_only(world, client):
    url = reverse("schools:detail", args=[world.school_a.pk])
    link = 'data-testid="roster-import-link"'
    assert link in sign_in(client, world.safety_officer).get(url).content.decode()
    assert link not in sign_in(client, world.head_teacher).get(url).content.decode()


def test_uploads_older_than_a_day_are_abandoned_and_their_files_deleted(
        world, principal, django_capture_on_commit_callbacks):
    from schools.roster.uploads import abandon_expired

    upload(principal, world.school_a, csv(line(g_number())))
    up = RosterUpload.objects.get()
    assert abandon_expired() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert abandon_expired(at=up.created_at + dt.timedelta(hours=24)) == 1
    up.refresh_from_db()
    assert up.status == "abandoned"
    assert not default_storage.exists(up.file.name)
    assert principal.get(preview_url(world.school_a, up)).status_code == 410


def test_the_hourly_beat_task_abandons_expired_uploads(world, principal):
    from schools.schedules import SCHEDULES
    from schools.tasks import abandon_expired_roster_uploads

    task, cron = SCHEDULES["Abandon expired roster uploads"]
    assert (task, cron) == ("schools.abandon_expired_roster_uploads", {"minute": "15"})
    upload(principal, world.school_a, csv(line(g_number())))
    created = RosterUpload.objects.get().created_at
    with time_machine.travel(created + dt.timedelta(hours=25)):
        assert abandon_expired_roster_uploads.apply().get() == 1
    assert RosterUpload.objects.get().status == "abandoned"
