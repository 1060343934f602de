"""Re-encoding of uploaded photos — reporting's activity photos, incidents' photos of
injuries and of documents (security.md U1–U12, G9; issue 8 item 2; issue 10 item 1). Below
every app (core): pixels in, pixels out, no model.

An upload is hostile until it has been decoded and written out again by us: only the pixels
survive, never the uploader's bytes, metadata or filename.

Issue 8 item 2: every phone photo that any viewer can show is accepted, and every other file
is refused by name, never with a 500. So whatever goes wrong while decoding, orienting or
reading metadata becomes a `PhotoRejected` naming the file; metadata that cannot be read is
ignored (the pixels are what we keep); colours are converted to sRGB from the embedded ICC
profile before it is dropped; every PNG mode comes out looking like the original.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import struct
import unicodedata
import uuid
import warnings
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageFile, ImageMath, PngImagePlugin

try:  # HEIC/HEIF (iPhones' default format); a missing wheel means "refuse with advice".
    import pillow_heif
except ImportError:  # pragma: no cover - it is a dependency; kept for installs without it
    pillow_heif = None

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = ["JPEG", "PNG"]
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
JPEG_QUALITY = 85
THUMBNAIL_SIDE = 400
DISPLAY_NAME_MAX = 60
# libjpeg can decode a JPEG at 1/2, 1/4 or 1/8 of its size at a fraction of the cost of a full
# decode and resample. A 4032×3024 phone photo halves to 2016 px, 1.6 % short of 2048: the
# stored photo may be up to 5 % smaller than max_side when that saves the full-size decode
# (issue 8 item 2, "Speed": ≤ 0.15 CPU s per 12 MP photo at the same visual quality).
DRAFT_MIN_FRACTION = 0.95
# ICC profiles larger than this are ignored (the pixels are kept, as sRGB).
MAX_ICC_BYTES = 4 * 1024 * 1024
# Bidi embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069) are category Cf; removing
# every control/format/private/separator character also covers NUL, LRM/RLM and zero-widths.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
_EXT_RE = re.compile(r"[a-z0-9]{1,10}")  # an extension, or a storage folder

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The PNG chunks a photo's pixels need; every other chunk (tEXt, zTXt, iTXt with XMP, the
# APNG frames, private chunks) is dropped before Pillow sees the file, so no text or XMP
# chunk can trip Pillow's MAX_TEXT_CHUNK / MAX_TEXT_MEMORY guards: the metadata is discarded
# anyway (issue 8 item 2). iCCP is kept when its profile inflates within the limit.
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"eXIf", b"iCCP"}
_JPEG_EOI = b"\xff\xd9"
# Entropy-coded bytes to tell a JPEG missing only its end marker from one cut mid-scan:
# no 0xFF, so they can never be read as a marker.
_JPEG_PROBE = bytes(range(1, 255)) * 4
# ISO BMFF brands of HEIF/HEIC/AVIF stills and sequences (ISO/IEC 23008-12).
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"msf1", b"miaf", b"avif", b"avis"}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


NOT_A_PHOTO = _("%(name)s is not a JPEG, PNG or HEIC photo.")
DAMAGED = _("%(name)s is damaged or incomplete.")
HEIC_ADVICE = _(
    "%(name)s is a HEIC photo that could not be read. On an iPhone, choose Settings → Camera "
    "→ Formats → Most Compatible, or share the photo as JPEG, and add it again.")


class _TooManyPixels(Exception):
    pass


class _HeifUnreadable(Exception):
    pass


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


def random_storage_name(ext: str = "jpg", *, folder: str = "photos") -> str:
    """<folder>/YYYY/MM/<uuid4>.<ext> (folder "photos" by default; incidents keeps its
    attachments under "incidents"): the user's filename never reaches storage (U10).
    Raises ValueError for an extension or a folder that is not plain lower-case letters and
    digits."""
    if not _EXT_RE.fullmatch(ext) or not _EXT_RE.fullmatch(folder):
        raise ValueError(f"unsafe extension or folder {ext!r}, {folder!r}")
    today = timezone.localdate()
    return f"{folder}/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{ext}"


def process_photo(
    uploaded_file: IO[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = 40_000_000,
    max_side: int = 2048,
) -> ProcessedPhoto:
    """Decode a JPEG/PNG/HEIC upload and re-encode it as a clean, bounded JPEG plus thumbnail.

    Returns a ProcessedPhoto: an sRGB JPEG at most max_side px on its long side (a JPEG may
    come out up to 5 % smaller, see DRAFT_MIN_FRACTION), upright, transparency flattened on
    white, with no metadata at all (G9), and a JPEG thumbnail of at most 400 px.

    Raises PhotoRejected, naming the file by its safe display name, for anything that is
    not a readable photo within max_bytes (bytes) and max_pixels (pixels, inclusive), and for
    any exception at all while decoding, orienting or reading metadata (issue 8 item 2:
    "refused by name, never with a 500"). Raises ImproperlyConfigured only if Pillow's
    process-wide LOAD_TRUNCATED_IMAGES switch was turned on (U6).

    Animated files (APNG, and the multi-picture "MPO" JPEGs many phones produce for portrait
    or depth shots) are accepted and only their first frame is kept: later frames are never
    decoded (U11), and rejecting them would refuse ordinary phone photos. A JPEG missing only
    its end marker and a PNG whose text/XMP/ICC chunks exceed Pillow's limits are accepted;
    a JPEG cut mid-scan and decompression bombs are not (issue 8 item 2, U3, U6).
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
    heif = _is_heif(data)
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; make it a refusal (U3/U4).
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # "Corrupt EXIF data", "Tag data larger than file"...: about metadata we discard.
        warnings.simplefilter("ignore", UserWarning)
        try:
            if heif:
                clean = _decode_heif(data, max_pixels=max_pixels, max_side=max_side)
            else:
                clean = _decode(data, max_pixels=max_pixels, max_side=max_side)
            thumb = clean.copy()
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
            image, thumbnail = _encode_jpeg(clean), _encode_jpeg(thumb)
        except _TooManyPixels:
            raise PhotoRejected(too_many_pixels, name=name, limit=megapixels) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(too_many_pixels, name=name, limit=megapixels) from None
        except _HeifUnreadable:
            raise PhotoRejected(HEIC_ADVICE, name=name) from None
        except Image.UnidentifiedImageError:
            raise PhotoRejected(NOT_A_PHOTO, name=name) from None
        except Exception as exc:  # noqa: BLE001 - issue 8 item 2: a refusal, never a 500
            # Expected for damaged files (OSError, SyntaxError, ValueError...); anything else
            # is logged with its traceback so a bug still shows. Never the file's name: it may
            # name a child (G5).
            expected = isinstance(exc, (OSError, SyntaxError, ValueError, EOFError,
                                        struct.error, zlib.error))
            logger.log(logging.INFO if expected else logging.WARNING,
                       "photo refused as damaged: %s", type(exc).__name__,
                       exc_info=not expected)
            raise PhotoRejected(DAMAGED, name=name) from None
    return ProcessedPhoto(
        image=image,
        thumbnail=thumbnail,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(image).hexdigest(),
    )


# ------------------------------------------------------------------ decoding


def _decode(data: bytes, *, max_pixels: int, max_side: int) -> Image.Image:
    """JPEG/PNG bytes → the clean RGB image (see _finish)."""
    if data.startswith(_PNG_SIGNATURE):
        data = _png_without_metadata(data)
    # U2/U7: the allowlist keeps TIFF, FITS, PSD, GIF, WebP, SVG... parsers out of reach.
    with Image.open(BytesIO(data), formats=ALLOWED_FORMATS) as im:
        _check_pixels(im.size, max_pixels)
        if im.format not in {"JPEG", "MPO"}:
            im.load()  # truncated or corrupt data surfaces here (U6)
            return _finish(im, max_side)
        _draft(im, max_side)
        try:
            im.load()
        except OSError:
            if data.endswith(_JPEG_EOI):
                raise
        else:
            return _finish(im, max_side)
    return _finish(_jpeg_missing_eoi(data, max_side), max_side)


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    # Only the header has been read: refuse before any pixel is allocated, whatever
    # Image.MAX_IMAGE_PIXELS has been set to elsewhere (U4).
    width, height = size
    if width * height > max_pixels:
        raise _TooManyPixels


def _draft(im: Image.Image, max_side: int) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 when the result is still ≥ 95 % of max_side.

    Pillow's draft() picks the largest scale that keeps the image at least as large as the
    box in *both* directions, so the box must have the photo's own proportions: a square box
    never lets a 4:3 photo scale (issue 8 item 2, "Speed")."""
    width, height = im.size
    long_side = max(width, height)
    for factor in (8, 4, 2):
        if long_side / factor >= max_side * DRAFT_MIN_FRACTION:
            im.draft(im.mode, (width // factor, height // factor))
            return


def _jpeg_missing_eoi(data: bytes, max_side: int) -> Image.Image:
    """A JPEG whose data ended before its end marker: accepted only if every scan is whole.

    libjpeg fills a scan cut short with flat grey, so adding the marker alone would pass a
    truncated photo. Decode it twice, with the marker right after the data and after some
    extra entropy-coded bytes: bytes after a complete scan are skipped and both decodes
    agree; a scan cut short decodes them as picture, and they differ (issue 8 item 2)."""
    images = []
    for tail in (_JPEG_EOI, _JPEG_PROBE + _JPEG_EOI):
        im = Image.open(BytesIO(data + tail), formats=ALLOWED_FORMATS)
        _draft(im, max_side)
        im.load()
        images.append(im)
    whole, probed = images
    if whole.size != probed.size or whole.tobytes() != probed.tobytes():
        raise OSError("JPEG data ends inside a scan")
    return whole


def _png_without_metadata(data: bytes) -> bytes:
    """The PNG with only the chunks in _PNG_KEEP (and iCCP only within Pillow's limit).

    A structurally broken file is passed on from where it breaks, for Pillow to refuse."""
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            out.append(data[pos:])
            break
        if kind in _PNG_KEEP and (kind != b"iCCP" or _png_iccp_fits(data[pos + 8:end - 4])):
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    else:
        out.append(data[pos:])
    return b"".join(out)


def _png_iccp_fits(body: bytes) -> bool:
    """Whether an iCCP chunk's profile inflates within Pillow's MAX_TEXT_CHUNK (never more
    than that limit is inflated here)."""
    nul = body.find(b"\0", 0, 80)
    if nul < 0 or nul + 2 > len(body):
        return False
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(body[nul + 2:], PngImagePlugin.MAX_TEXT_CHUNK)
    except zlib.error:
        return False
    return not inflater.unconsumed_tail


def _is_heif(data: bytes) -> bool:
    """An ISO BMFF file ('ftyp' box) with a HEIF/AVIF major or compatible brand."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[:4], "big")
    box = data[8:min(max(size, 16), 256, len(data))]
    brands = {box[i:i + 4] for i in range(0, len(box) - 3, 4)}
    return bool(brands & _HEIF_BRANDS)


def _decode_heif(data: bytes, *, max_pixels: int, max_side: int) -> Image.Image:
    """HEIC/HEIF via pillow-heif (libheif + libde265 from its wheel). libheif applies the
    rotation and mirroring boxes itself and resets the EXIF orientation to 1. Anything it
    cannot read (an AVIF, no wheel, a damaged file) is refused with advice for iPhone users
    (issue 8 item 2)."""
    if pillow_heif is None:
        raise _HeifUnreadable
    try:
        heif = pillow_heif.open_heif(BytesIO(data), convert_hdr_to_8bit=True)
        _check_pixels(heif.size, max_pixels)
        im = heif.to_pillow()
    except _TooManyPixels:
        raise
    except Exception:  # noqa: BLE001 - libheif's errors are many; the advice is the same
        raise _HeifUnreadable from None
    return _finish(im, max_side)


# ------------------------------------------------------------------ to clean pixels


def _finish(im: Image.Image, max_side: int) -> Image.Image:
    """Upright, at most max_side, sRGB, RGB on white, in a brand-new image with an empty
    .info (U1/U5: no byte of the upload's metadata can follow the pixels out)."""
    orientation = _orientation(im)
    profile = _icc_profile(im)
    im = _eight_bit(im)
    # Shrink before the colour transform, turning and flattening: they then touch a quarter
    # of the pixels of a 12 MP photo or less.
    if max(im.size) > max_side:
        scale = max_side / max(im.size)
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if profile is not None:
        im = _to_srgb(im, profile)
    if im.mode == "CMYK":
        im = im.convert("RGB")
    if orientation in _TRANSPOSE:
        im = im.transpose(_TRANSPOSE[orientation])
    clean = Image.new("RGB", im.size, "white")
    if im.mode in {"RGBA", "LA"}:
        clean.paste(im.convert("RGBA") if im.mode == "LA" else im, mask=im.getchannel("A"))
    else:
        clean.paste(im.convert("RGB") if im.mode != "RGB" else im)
    return clean


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1–8), or 1 when the EXIF cannot be read: a photo whose metadata
    is broken is still shown, as viewers show it (exif_xres_ascii.jpg, issue 8 item 2).
    Pillow's exif_transpose re-serialises the whole EXIF and raised TypeError on an ASCII
    XResolution; only the one tag is read here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's "Corrupt EXIF data"
            value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - unreadable metadata is ignored, never fatal
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _icc_profile(im: Image.Image) -> bytes | None:
    """The embedded ICC profile if LittleCMS can read it and it fits the image's mode."""
    icc = im.info.get("icc_profile")
    if not isinstance(icc, bytes) or not icc or len(icc) > MAX_ICC_BYTES:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc))
        space = profile.profile.xcolor_space
    except Exception:  # noqa: BLE001 - a broken profile is ignored: the pixels are kept
        return None
    fits = {"RGB ": {"RGB", "RGBA", "P", "PA"}, "CMYK": {"CMYK"},
            "GRAY": {"L", "LA", "I;16", "I;16B", "I;16L", "I", "1"}}
    return icc if im.mode in fits.get(space, ()) else None


def _eight_bit(im: Image.Image) -> Image.Image:
    """8 bits a channel in L, LA, RGB, RGBA or CMYK, looking like the original.

    16-bit grey ("I;16"/"I") is scaled by 1/257 (Pillow's own convert("L") clips it, which
    stored gray16.png almost white); palette and tRNS transparency become an alpha channel."""
    transparency = im.info.get("transparency")
    if im.mode in {"I;16", "I;16B", "I;16L", "I"}:
        wide = im if im.mode == "I" else im.convert("I")
        grey = wide.point(lambda v: v * (1 / 257)).convert("L")
        if isinstance(transparency, int):
            alpha = ImageMath.lambda_eval(
                lambda a: a["equal"](a["im"], transparency) * -255 + 255, im=wide)
            return Image.merge("LA", (grey, alpha.convert("L")))
        return grey
    if im.mode in {"L", "RGB"} and transparency is not None:
        return im.convert("RGBA" if im.mode == "RGB" else "LA")
    if im.mode in {"L", "LA", "RGB", "RGBA", "CMYK"}:
        return im
    if im.mode == "1":
        return im.convert("L")
    if im.mode in {"P", "PA"}:
        has_alpha = im.mode == "PA" or transparency is not None or \
            im.palette is not None and im.palette.mode == "RGBA"
        return im.convert("RGBA" if has_alpha else "RGB")
    return im.convert("RGBA" if "A" in im.getbands() else "RGB")


def _srgb_transform(icc: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    """A LittleCMS transform to sRGB. The small profiles cameras embed (Display-P3 is
    536 bytes) are kept built; a large one (a CMYK press profile can be megabytes) is built
    for its photo and let go, so the cache never holds more than a few hundred KB."""
    if len(icc) > 64 * 1024:
        return _build_srgb_transform(icc, in_mode, out_mode)
    return _cached_srgb_transform(icc, in_mode, out_mode)


def _build_srgb_transform(icc: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(ImageCms.ImageCmsProfile(BytesIO(icc)),
                                   ImageCms.createProfile("sRGB"), in_mode, out_mode,
                                   renderingIntent=ImageCms.Intent.PERCEPTUAL,
                                   # no one-pixel cache: photos rarely repeat a pixel (~10 %)
                                   flags=ImageCms.Flags.NOCACHE)


_cached_srgb_transform = functools.lru_cache(maxsize=8)(_build_srgb_transform)


def _to_srgb(im: Image.Image, icc: bytes) -> Image.Image:
    """The pixels converted from the embedded profile to sRGB (Display-P3, Adobe RGB, a CMYK
    press profile, a grey gamma), alpha kept; unchanged if LittleCMS refuses the profile
    (issue 8 item 2: "convert embedded ICC profiles to sRGB before dropping them")."""
    out_mode = {"L": "RGB", "LA": "RGBA", "CMYK": "RGB"}.get(im.mode, im.mode)
    alpha = None
    if im.mode == "LA":  # LittleCMS has no grey+alpha: carry the alpha across
        alpha = im.getchannel("A")
        im = im.getchannel("L")
        out_mode = "RGB"
    try:
        transform = _srgb_transform(icc, im.mode, out_mode)
        converted = ImageCms.applyTransform(im, transform)
    except Exception:  # noqa: BLE001 - a profile LittleCMS cannot apply is ignored
        logger.info("ICC profile ignored: LittleCMS cannot apply it")
        return im if alpha is None else Image.merge("LA", (im, alpha))
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _encode_jpeg(im: Image.Image) -> bytes:
    if im.info:  # only ever reached with images built by _finish; keep it that way
        raise RuntimeError("refusing to encode an image that still carries metadata")
    buf = BytesIO()
    # No exif=, icc_profile=, xmp= or comment=: the output carries pixels only (U5, G9).
    im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()
