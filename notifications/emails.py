"""The e-mail of a notice: subject, plain text and HTML from the kind's templates.

The templates are ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html``
where the prefix is the registered kind's ``template_prefix`` (notifications.kinds;
reporting's live in templates/emails/). They see only the recipient's name, the
portal's name, an absolute link and the display values of the keys the kind
declares (its preparer turns stored values such as ISO dates into dates). Anything
else in a row's context is dropped, and above all anything about a child stays
behind the link (security.md G5).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from . import kinds

if TYPE_CHECKING:
    from .models import Notice

# A path inside the portal: one leading slash (never "//host"), ASCII URL
# characters only, so the link cannot point elsewhere or break the header/HTML.
_PORTAL_PATH = re.compile(r"^/(?!/)[A-Za-z0-9\-._~/%?=&#+:]*$")


_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def message_domain() -> str:
    """The right-hand side of a Message-ID: the portal's host, else the sender's
    domain."""
    candidates = (urlsplit(settings.PORTAL_BASE_URL or "").hostname or "",
                  (settings.DEFAULT_FROM_EMAIL or "").rpartition("@")[2].strip("<> "))
    for candidate in candidates:
        if _DOMAIN.match(candidate):
            return candidate.lower()
    return "localhost"


def notice_message_id(notice: Notice) -> str:
    """The same Message-ID every time this notice is rendered: if a worker dies
    between the SMTP server's "250 OK" and the COMMIT that marks the notice
    sent, the resend is the same message, which mail systems can recognise as
    a duplicate. The key's hash (not the key) keeps record ids out of headers."""
    digest = hashlib.sha256(notice.key.encode()).hexdigest()[:16]
    return f"<notice-{notice.pk}-{digest}@{message_domain()}>"


def is_portal_path(path: object) -> bool:
    return isinstance(path, str) and len(path) <= 500 and bool(_PORTAL_PATH.match(path))


def render_notice_email(notice: Notice, *, connection=None) -> EmailMultiAlternatives:
    """Build (not send) the e-mail for `notice`, in the notice's language.

    Raises LookupError for a kind no app registers, ValueError for a kind without
    e-mail templates, a missing portal path or a context its preparer cannot read,
    and TemplateDoesNotExist for a missing template.
    """
    kind = kinds.get(notice.kind)
    if kind.template_prefix is None:
        raise ValueError(f"notice kind {kind.name!r} has no e-mail")
    context = notice.context or {}
    path = context.get(kinds.PATH_KEY)
    if not is_portal_path(path):
        raise ValueError(f"notice {notice.pk} has no valid portal path")
    with translation.override(notice.language):
        values = {
            **kind.prepare(context),
            "recipient_name": notice.recipient.get_full_name(),
            "portal_name": str(settings.PORTAL_NAME),
            "link": settings.PORTAL_BASE_URL.rstrip("/") + path,
        }
        prefix = kind.template_prefix
        subject = render_to_string(f"{prefix}_subject.txt", values)
        text = render_to_string(f"{prefix}.txt", values)
        html = render_to_string(f"{prefix}.html", values)
    message = EmailMultiAlternatives(
        # A header is one line; a template's stray newline must not break it.
        subject=" ".join(subject.split()),
        body=text,
        to=[notice.recipient.email],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated",
                 "Message-ID": notice_message_id(notice)},
    )
    message.attach_alternative(html, "text/html")
    return message
