"""Names of the files the portal hands out, and the header that sends them.

A download is named in the reader's language, with the bureau's wall time
(Asia/Shanghai, core.clock) — e.g. 报送及时情况表_示例区教育和体育局_20261201-0930.xlsx
(issue 8 item 5) — and sent as RFC 6266 ``attachment`` with the name twice: an
ASCII ``filename`` for old clients and the real one as RFC 5987 ``filename*``
(UTF-8, percent-encoded), which every current browser prefers. Django's
FileResponse(filename=...) writes only one of the two, so the header is set here.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.utils import timezone

from . import clock

# Characters no file system or browser takes in a name, and control characters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_PART = 60  # characters of one part (a 通报's title can be long)


def stamp(at: dt.datetime | None = None, *, minutes: bool = True) -> str:
    """`at` (default now) as Asia/Shanghai wall time: "20261201-0930", or
    "20261201" with minutes=False."""
    local = timezone.localtime(at or clock.now(), timezone.get_default_timezone())
    return local.strftime("%Y%m%d-%H%M" if minutes else "%Y%m%d")


def file_name(*parts: object, ext: str) -> str:
    """Parts joined by "_" with the extension: each part's unsafe characters
    become "_" and it is cut to MAX_PART characters; empty parts are dropped.
    Raises ValueError when nothing is left."""
    cleaned = [_UNSAFE.sub("_", str(p)).strip(" ._")[:MAX_PART] for p in parts]
    cleaned = [p for p in cleaned if p]
    if not cleaned:
        raise ValueError("a file name needs at least one non-empty part")
    return "_".join(cleaned) + "." + ext


def ascii_name(name: str) -> str:
    """`name` reduced to letters, digits, ".", "_" and "-" (the fallback)."""
    stem, _dot, ext = name.rpartition(".")
    stem = _NOT_ASCII_SAFE.sub("_", stem).strip("_") or "download"
    ext = _NOT_ASCII_SAFE.sub("", ext)
    return f"{stem}.{ext}" if ext else stem


def attachment(response: HttpResponse, name: str, fallback: str) -> HttpResponse:
    """Send `response` as a download named `name` (any Unicode), `fallback`
    (reduced to ASCII by ascii_name) for clients without RFC 5987."""
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name(fallback)}"; '
        f"filename*=UTF-8''{quote(name, safe='')}")
    return response


def photo_response(field, *, filename: str, as_attachment: bool) -> FileResponse:
    """A stored JPEG we encoded ourselves (core.photos) as an HTTP response: inline (shown
    in the browser) or as a download. Always image/jpeg with X-Content-Type-Options:
    nosniff, `Content-Security-Policy: default-src 'none'; sandbox` (opened on its own, the
    document can run nothing) and private, no-store caching (security.md U1, G8).
    Non-ASCII filenames go out as RFC 5987 filename*. `field` is a FieldFile."""
    response = FileResponse(field.open("rb"), content_type="image/jpeg",
                            as_attachment=as_attachment, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
