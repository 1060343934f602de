"""Attachments of a referral (issue 10 item 1): photos of injuries or of
documents go through the photo pipeline (core.photos: only the pixels are
kept, never the phone's metadata or the file's name) and are served only to
the people who may open the referral — the full photo and its download each
an audit row."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from incidents import services
from incidents.models import ChronologyEntry, ReferralAttachment
from schools.models import Role
from tests.conftest import shanghai, sign_in
from tests.schools.factories import school_member

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-30 10:00")
CAPTION = "左臂淤青（近照）"


@pytest.fixture(autouse=True)
def _now(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield


def phone_photo(name="IMG_0001.jpg") -> SimpleUploadedFile:
    """A phone JPEG with GPS in its EXIF."""
    im = Image.new("RGB", (640, 480), (180, 90, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 1.0)}
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def referral(people):
    concern = services.concern_log(school=people.school_a, by=people.head_teacher,
                                   pupil=people.pupil, observed="左臂多处淤青",
                                   observed_at=NOW - dt.timedelta(hours=1))
    return services.referral_open(concern=concern, situations=["injury_neglect"],
                                  by=people.safety_officer)


def attach(client, referral, **data):
    return client.post(reverse("incidents:referral_attach", args=[referral.code]), data)


class TestAdding:
    def test_the_lead_adds_a_photo_and_only_its_pixels_are_kept(self, client, people,
                                                                referral):
        sign_in(client, people.safety_officer, verified=True)
        response = attach(client, referral, files=[phone_photo("张三受伤.jpg")],
                          caption=CAPTION)
        assert response.status_code == 302
        attachment = ReferralAttachment.objects.get()
        assert attachment.caption == CAPTION
        assert "张三" not in attachment.image.name
        assert attachment.image.name.startswith("incidents/")
        stored = Image.open(attachment.image.open("rb"))
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert ChronologyEntry.objects.filter(referral=referral, kind="attachment").exists()
        assert AuditEvent.objects.filter(action="referral.attach").exists()

    def test_a_file_that_is_no_photo_is_named_and_nothing_is_kept(self, client, people,
                                                                  referral):
        sign_in(client, people.safety_officer, verified=True)
        fake = SimpleUploadedFile("病历.pdf", b"%PDF-1.4 not a photo", content_type="image/jpeg")
        response = attach(client, referral, files=[fake], caption=CAPTION)
        assert response.status_code == 400
        assert not ReferralAttachment.objects.exists()
        assert CAPTION in response.content.decode()  # what was typed is kept

    def test_a_bad_file_beside_a_good_one_skips_only_the_bad(self, client, people, referral):
        sign_in(client, people.safety_officer, verified=True)
        fake = SimpleUploadedFile("x.jpg", b"not a photo", content_type="image/jpeg")
        response = attach(client, referral, files=[fake, phone_photo()], caption=CAPTION)
        assert response.status_code == 302
        assert ReferralAttachment.objects.count() == 1
        messages = [str(m) for m in response.wsgi_request._messages]
        assert any("x.jpg" in m for m in messages)

    @pytest.mark.parametrize("data", [{"caption": CAPTION}, {"caption": ""},
                                      {"caption": "身份证110101201001011234"}])
    def test_no_file_or_no_caption_or_an_id_number_is_a_400(self, client, people, referral,
                                                            data):
        sign_in(client, people.safety_officer, verified=True)
        if data["caption"] != CAPTION:
            data = {**data, "files": [phone_photo()]}
        assert attach(client, referral, **data).status_code == 400
        assert not ReferralAttachment.objects.exists()

    def test_a_closed_referral_takes_no_more(self, people, referral):
        services.referral_transition(referral=referral, name="close", reason="查无实据",
                                     by=people.safety_officer)
        referral.refresh_from_db()
        with pytest.raises(ValidationError):
            services.referral_attach(referral=referral, by=people.safety_officer,
                                     uploads=[services.AttachmentUpload(phone_photo(), CAPTION)])


class TestServing:
    @pytest.fixture
    def attachment(self, people, referral):
        kept, _errors = services.referral_attach(
            referral=referral, by=people.safety_officer,
            uploads=[services.AttachmentUpload(phone_photo(), CAPTION)])
        return kept[0]

    def test_the_full_photo_and_the_download_are_audit_rows_the_thumbnail_is_not(
            self, client, people, attachment):
        sign_in(client, people.principal, verified=True)
        view = reverse("incidents:attachment_view", args=[attachment.code])
        thumb = client.get(view, {"size": "thumb"})
        assert thumb.status_code == 200
        assert thumb["Content-Type"] == "image/jpeg"
        assert thumb["X-Content-Type-Options"] == "nosniff"
        rows = AuditEvent.objects.filter(target_code=str(attachment.code))
        assert not rows.exists()
        assert client.get(view).status_code == 200
        download = client.get(reverse("incidents:attachment_download", args=[attachment.code]))
        assert download.status_code == 200
        assert "attachment" in download["Content-Disposition"]
        assert CAPTION not in download["Content-Disposition"]
        assert list(rows.order_by("id").values_list("action", "target_type")) == [
            ("record.view", "incidents.referralattachment"),
            ("record.export", "incidents.referralattachment")]

    def test_only_those_who_may_open_the_referral_see_it(self, client, people, attachment):
        view = reverse("incidents:attachment_view", args=[attachment.code])
        sign_in(client, people.head_teacher, verified=True)
        assert client.get(view).status_code == 403  # holds the permission nowhere
        other_lead = school_member(people.school_b, Role.REPORTING_LEAD)
        sign_in(client, other_lead, verified=True)
        assert client.get(view).status_code == 404
        sign_in(client, people.officer, verified=True)  # the bureau's child-protection officer
        assert client.get(view).status_code == 200
        sign_in(client, people.inspector, verified=True)
        assert client.get(view).status_code == 403

    def test_the_referral_page_shows_the_thumbnails(self, client, people, attachment):
        sign_in(client, people.principal, verified=True)
        page = client.get(reverse("incidents:referral_detail", args=[attachment.referral.code]))
        assert f"/incidents/attachments/{attachment.code}/?size=thumb" in page.content.decode()
