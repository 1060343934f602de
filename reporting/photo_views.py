"""Serving activity photos (issue 8 item 2; security.md U1, U12, G9).

Photos and thumbnails open in the browser for the people allowed to see the report (inline),
and the full-size stored copy downloads under a Chinese name. Every response is a JPEG we
encoded ourselves, sent with nosniff and a sandboxing CSP, so even a browser that guessed
would run nothing; access goes through schools.access.get_for_user as for the report.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.downloads import photo_response
from schools import access

from .access_rules import ReportingPerm
from .models import ReportPhoto

# Characters no file system or browser download dialog should get from a school's name.
_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]+')


def download_name(photo: ReportPhoto) -> str:
    """e.g. 示例区第一小学-活动照片-2026-05-10-1a2b3c4d.jpg: the school, the date of the
    activity and the start of the photo's code (unique within a report). Never the caption,
    which may name a child (G5)."""
    school = _UNSAFE_IN_FILENAME.sub("", photo.report.school.name).strip(" .") or "photo"
    return (f"{school[:40]}-{_('activity photo')}-{photo.taken_on:%Y-%m-%d}-"
            f"{photo.code.hex[:8]}.jpg")


@require_GET
@login_required
def photo_download(request, code):
    """下载原图: the full-size stored copy as an attachment with a Chinese filename.
    Access as for viewing the report (ReportingPerm.VIEW_REPORT)."""
    photo = access.get_for_user(request, ReportPhoto.objects.select_related("report__school"),
                                ReportingPerm.VIEW_REPORT, code=code)
    return photo_response(photo.image, filename=download_name(photo), as_attachment=True)
