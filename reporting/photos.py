"""Re-encoding of uploaded activity photos (security.md U1–U12, G9).

An upload is hostile until it has been decoded and written out again by us: only the pixels
survive, never the uploader's bytes, metadata or filename.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps

ALLOWED_FORMATS = ["JPEG", "PNG"]
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
JPEG_QUALITY = 85
THUMBNAIL_SIDE = 400
DISPLAY_NAME_MAX = 60
# Bidi embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069) are category Cf; removing
# every control/format/private/separator character also covers NUL, LRM/RLM and zero-widths.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
_EXT_RE = re.compile(r"[a-z0-9]{1,10}")


class PhotoRejected(Exception):
    """A user-facing reason, rendered in the language active when it is displayed."""

    def __init__(self, message: Promise, **params: Any) -> None:
        self.template = message
        self.params = params
        super().__init__(message, params)

    @property
    def message(self) -> str:
        return str(self.template) % self.params

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str
    content_type: str = "image/jpeg"


def safe_display_name(name: str | None) -> str:
    """The uploader's filename, made harmless to echo back in a message (U10)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)
    name = " ".join(name.split())
    if name in {"", ".", ".."}:
        return str(_("unnamed file"))
    if len(name) > DISPLAY_NAME_MAX:
        stem, ext = os.path.splitext(name)
        if 0 < len(ext) <= 10:  # keep the extension: it is what the user recognises
            name = stem[: DISPLAY_NAME_MAX - len(ext) - 1] + "…" + ext
        else:
            name = name[: DISPLAY_NAME_MAX - 1] + "…"
    return name


def random_storage_name(ext: str = "jpg") -> str:
    """photos/YYYY/MM/<uuid4>.<ext>: the user's filename never reaches storage (U10)."""
    if not _EXT_RE.fullmatch(ext):
        raise ValueError(f"unsafe extension {ext!r}")
    today = timezone.localdate()
    return f"photos/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{ext}"


def process_photo(
    uploaded_file: IO[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = 40_000_000,
    max_side: int = 2048,
) -> ProcessedPhoto:
    """Decode a JPEG/PNG upload and re-encode it as a clean, bounded JPEG plus thumbnail.

    Animated files (APNG, and the multi-picture "MPO" JPEGs many phones produce for portrait
    or depth shots) are accepted and only their first frame is kept: later frames are never
    decoded (U11), and rejecting them would refuse ordinary phone photos.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Something flipped Pillow's global switch; truncated files would then pass as grey
        # filler instead of being refused (U6). Fail loudly rather than degrade silently.
        raise ImproperlyConfigured("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False.")
    name = safe_display_name(getattr(uploaded_file, "name", None))
    limit_mb = f"{max_bytes / (1024 * 1024):.3g}"
    too_big = _("%(name)s is larger than %(limit)s MB.")

    # U8: trust neither the declared size nor the stream; never hold more than max_bytes + 1.
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > max_bytes:
        raise PhotoRejected(too_big, name=name, limit=limit_mb)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoRejected(too_big, name=name, limit=limit_mb)
    if not data:
        raise PhotoRejected(_("%(name)s is empty."), name=name)

    too_many_pixels = _("%(name)s has too many pixels (at most %(limit)s megapixels).")
    megapixels = f"{max_pixels / 1_000_000:g}"
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; make it a refusal (U3/U4).
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # U2/U7: the allowlist keeps TIFF, FITS, PSD, GIF, WebP, SVG... parsers out of reach.
            with Image.open(BytesIO(data), formats=ALLOWED_FORMATS) as im:
                # Image.open has only read the header: refuse before any pixel is allocated,
                # whatever Image.MAX_IMAGE_PIXELS has been set to elsewhere (U4).
                width, height = im.size
                if width * height > max_pixels:
                    raise PhotoRejected(too_many_pixels, name=name, limit=megapixels)
                if im.format in {"JPEG", "MPO"}:
                    im.draft("RGB", (max_side, max_side))  # let libjpeg decode at 1/2, 1/4...
                im.load()  # inside the try: truncated or corrupt data surfaces here (U6)
                clean = _flatten(im, max_side)
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(too_many_pixels, name=name, limit=megapixels) from None
        except Image.UnidentifiedImageError:
            raise PhotoRejected(_("%(name)s is not a JPEG or PNG photo."), name=name) from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error):
            raise PhotoRejected(_("%(name)s is damaged or incomplete."), name=name) from None

    image = _encode_jpeg(clean)
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        image=image,
        thumbnail=_encode_jpeg(thumb),
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(image).hexdigest(),
    )


def _flatten(im: Image.Image, max_side: int) -> Image.Image:
    """Upright, at most max_side, RGB on white, in a brand-new image with an empty .info."""
    # U5: bake the orientation into the pixels, since the EXIF that carried it is dropped.
    ImageOps.exif_transpose(im, in_place=True)
    has_alpha = im.mode in {"RGBA", "LA", "PA"} or "transparency" in im.info
    # Shrink before widening to RGBA/RGB where the mode allows, to keep peak memory low;
    # palette and exotic modes must be converted first to resample properly.
    if im.mode not in ({"RGBA", "LA"} if has_alpha else {"RGB", "L"}):
        im = im.convert("RGBA" if has_alpha else "RGB")
    im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Pasting into Image.new leaves every piece of the upload's metadata behind: Pillow's JPEG
    # writer would otherwise forward im.info["comment"] and others could follow (U1/U5).
    clean = Image.new("RGB", im.size, "white")
    clean.paste(im, mask=im.getchannel("A") if has_alpha else None)
    return clean


def _encode_jpeg(im: Image.Image) -> bytes:
    if im.info:  # only ever reached with images built by _flatten; keep it that way
        raise RuntimeError("refusing to encode an image that still carries metadata")
    buf = BytesIO()
    # No exif=, icc_profile=, xmp= or comment=: the output carries pixels only (U5, G9).
    im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()
