"""What the report form's scripts need from the server (issue 8 item 1): the
browser copy's storage key and the upload limits the page checks before
sending photos."""

from django import template

from core.photos import DEFAULT_MAX_BYTES
from reporting.models import MAX_PHOTOS_PER_REPORT

register = template.Library()

DRAFT_KEY_PREFIX = "sp-draft:"


@register.simple_tag
def draft_key(user, school_id, deadline_id) -> str:
    """The localStorage key of one person's browser copy of one report:
    "sp-draft:<user pk>:<school pk>:<deadline pk>". The school and deadline
    name the report before it has a code (nothing is created until the first
    save); the user keeps one person's copy from another's on a shared device.
    static/js/portal.js clears every key with this prefix on sign-out."""
    return f"{DRAFT_KEY_PREFIX}{user.pk}:{school_id}:{deadline_id}"


@register.simple_tag
def photo_limits() -> dict:
    """{"files": 20, "bytes": 10485760, "mb": 10}: a report's photo limits, the
    ones core.photos and core.uploads enforce on the server."""
    return {"files": MAX_PHOTOS_PER_REPORT, "bytes": DEFAULT_MAX_BYTES,
            "mb": DEFAULT_MAX_BYTES // (1024 * 1024)}
