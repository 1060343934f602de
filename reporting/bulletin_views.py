"""The 通报 as an official document (公文, GB/T 9704-2012): what its layout shows
(document_context, shared by the page, its print and the PDF) and the PDF
download rendered on the server with WeasyPrint (issue 8 item 4)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import FileResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from schools import access

from .access_rules import ReportingPerm
from .bulletins import document_facts
from .models import Bulletin, Deadline

# The document's stylesheet: the page links it, the PDF is rendered with it.
STYLESHEET = "css/gongwen.css"


def document_context(bulletin: Bulletin) -> dict:
    """What the document layout needs besides the notice itself: the
    document's facts (bulletins.document_facts: issuer_name, doc_number,
    doc_date) and "paragraphs", the body's non-empty lines."""
    return {**document_facts(bulletin),
            "paragraphs": [line.strip() for line in bulletin.body.splitlines() if line.strip()]}


def _weasyprint():
    """The weasyprint module, imported on first use (it is large). Importing it
    sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES to True, which
    would let truncated uploads pass as grey filler; the photo pipeline refuses
    to run while it is set (core.photos, security.md U6). It is put back
    to False here, after every import: the 通报 has no images to load."""
    import weasyprint
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def render_pdf(bulletin: Bulletin) -> bytes:
    """The notice as an A4 PDF (WeasyPrint, the document stylesheet's @page
    rules, Chinese fonts from the system: fonts-noto-cjk). Raises OSError when
    the stylesheet is missing."""
    weasyprint = _weasyprint()
    CSS, HTML = weasyprint.CSS, weasyprint.HTML  # noqa: N806 (the library's class names)

    html = render_to_string("reporting/bulletin_pdf.html", {
        "bulletin": bulletin, "deadline": bulletin.deadline, **document_context(bulletin)})
    path = finders.find(STYLESHEET)
    if path is None:
        raise OSError(f"stylesheet {STYLESHEET} not found")
    # Nothing is fetched while rendering (no file:, http: or data: URL): the
    # stylesheet is given, the fonts are the system's, the notice has no images.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=set(), allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[CSS(filename=path)])


@require_GET
@login_required
def bulletin_pdf(request, deadline_id: int):
    """The notice as a PDF: the same people as its page (reviewers of the
    district), drafts marked 草稿. 404 when no notice has been drafted yet."""
    deadline = access.get_for_user(request, Deadline.objects, ReportingPerm.REVIEW_REPORT,
                                   pk=deadline_id)
    item = (Bulletin.objects.select_related("deadline__campaign__bureau")
            .filter(deadline=deadline).first())
    if item is None:
        access.deny(request, ReportingPerm.REVIEW_REPORT, f"deadline:{deadline_id}", status=404)
    return FileResponse(io.BytesIO(render_pdf(item)), as_attachment=True,
                        filename=f"tongbao-{deadline.due_date:%Y%m%d}.pdf",
                        content_type="application/pdf")
