"""Activity photos: every upload is hostile until re-encoded (security.md U1–U12, G9).

Each hostile file is built here, in the test, with Pillow or plain bytes; nothing binary is
committed. No database is needed.
"""

import hashlib
import inspect
import json
import os
import random
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import FrozenInstanceError
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import Promise
from django.utils.translation import override
from PIL import Image, ImageFile, PngImagePlugin, features

from core.photos import (
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
    random_storage_name,
    safe_display_name,
)

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
STORAGE_NAME = re.compile(r"photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg")
BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmp:CreatorTool="HostilePhone"/></rdf:RDF></x:xmpmeta>'
)
HTML = b"<html><script>alert(1)</script></html>"


# ------------------------------------------------------------------ building hostile files



@pytest.fixture(autouse=True)
def _english():
    """These tests read the messages in English; the Chinese wording is checked
    once, in test_the_message_is_chinese_by_default."""
    with override("en"):
        yield


def test_the_message_is_chinese_by_default():
    with override("zh-hans"):
        exc = rejected_file(upload(b"not an image", "活动.jpg"))
        assert str(exc) == "活动.jpg 不是 JPEG、PNG 或 HEIC 格式的照片。"

def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def noise(width: int, height: int) -> Image.Image:
    """Incompressible pixels, so that cutting the file in half cuts the image data."""
    return Image.frombytes("RGB", (width, height), random.Random(0).randbytes(width * height * 3))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A few KB of PNG whose IHDR claims width×height RGB pixels: header, stub IDAT, IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(1 + 3 * min(width, 4096)) * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def fits_file() -> bytes:
    """A real 4×4 FITS image (which Pillow can open) — 2880-byte header, 80-char cards."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8",
             "NAXIS   =                    2", "NAXIS1  =                    4",
             "NAXIS2  =                    4", "END"]
    header = b"".join(card.ljust(80).encode("ascii") for card in cards).ljust(2880, b" ")
    return header + bytes(range(16)).ljust(2880, b"\0")


def psd_file() -> bytes:
    """A minimal 4×4 RGB Photoshop file: header, three empty sections, raw channel data."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 4, 4, 8, 3)
    return header + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + bytes(48)


def rejected(data: bytes, name: str = "photo.jpg", **limits) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(upload(data, name), **limits)
    return caught.value


def message(exc: PhotoRejected) -> str:
    with override("en"):
        return str(exc)


def decoded(data: bytes) -> Image.Image:
    im = Image.open(BytesIO(data))
    im.load()
    return im


def close_to(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# ------------------------------------------------------------------ U1, U2: not an image


def test_it_re_encodes_a_png_carrying_html_after_iend():
    hostile = encode(Image.new("RGB", (32, 32), BLUE), "PNG") + HTML

    photo = process_photo(upload(hostile, "poster.png"))

    for output in (photo.image, photo.thumbnail):
        assert b"<html" not in output
        assert b"<script" not in output
        assert decoded(output).format == "JPEG"


def test_it_drops_html_hidden_in_png_text_chunks_and_jpeg_comments():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", HTML.decode())
    png = encode(Image.new("RGB", (32, 32), BLUE), "PNG", pnginfo=text)
    jpeg = encode(Image.new("RGB", (32, 32), BLUE), "JPEG", comment=HTML)
    assert HTML in png
    assert HTML in jpeg

    for data in (png, jpeg):
        photo = process_photo(upload(data))
        assert b"<script" not in photo.image
        assert decoded(photo.image).info.get("comment") is None


def test_it_rejects_an_svg_with_onload():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
           b'<rect width="10" height="10"/></svg>')
    for name in ("logo.svg", "logo.png"):
        assert "is not a JPEG, PNG or HEIC photo" in message(rejected(svg, name))


def test_it_rejects_an_html_file_named_png():
    exc = rejected(HTML, "poster.png")
    assert message(exc) == "poster.png is not a JPEG, PNG or HEIC photo."


# ------------------------------------------------------------------ U3, U4: pixel bombs


def test_it_rejects_a_tiny_png_declaring_20000_by_20000_pixels():
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 50_000

    exc = rejected(bomb, "bomb.png")

    assert "bomb.png has too many pixels" in message(exc)


def test_it_rejects_a_10000_by_10000_png_by_the_40_megapixel_cap(monkeypatch):
    exc = rejected(png_declaring(10_000, 10_000), "big.png")
    assert message(exc) == "big.png has too many pixels (at most 40 megapixels)."

    # The cap is ours, not Pillow's: it still holds if someone disables Pillow's own guard.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert "too many pixels" in message(rejected(png_declaring(10_000, 10_000)))


def test_pillows_decompression_bomb_warning_is_a_rejection_even_under_a_raised_cap():
    # 100 MP is between Image.MAX_IMAGE_PIXELS and twice that: Pillow only *warns*.
    exc = rejected(png_declaring(10_000, 10_000), "big.png", max_pixels=500_000_000)

    assert "big.png has too many pixels" in message(exc)


def test_it_rejects_an_8000_by_6000_image_before_decoding_a_pixel(monkeypatch):
    def load(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)

    exc = rejected(png_declaring(8000, 6000), "48mp.png")

    assert message(exc) == "48mp.png has too many pixels (at most 40 megapixels)."


def test_the_pixel_cap_is_inclusive():
    square = encode(Image.new("RGB", (10, 10), BLUE), "PNG")
    wider = encode(Image.new("RGB", (11, 10), BLUE), "PNG")

    assert process_photo(upload(square), max_pixels=100).width == 10
    rejected(wider, max_pixels=100)


def test_it_accepts_a_3000_by_2000_image_and_scales_it_to_2048_on_the_long_side():
    data = encode(Image.new("RGB", (3000, 2000), BLUE), "PNG")

    photo = process_photo(upload(data, "field-day.png"))

    assert (photo.width, photo.height) == (2048, 1365)
    assert decoded(photo.image).size == (2048, 1365)


# ------------------------------------------------------------------ U5: orientation, GPS, XMP


def phone_jpeg_rotated_with_gps() -> bytes:
    """200×100 as stored, red marker top-left; EXIF says "rotate 90° clockwise to display"."""
    im = Image.new("RGB", (200, 100), BLUE)
    im.paste(RED, (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 1.0)}
    return encode(im, "JPEG", exif=exif.tobytes(), xmp=XMP, icc_profile=b"ICC-fingerprint" * 8)


def test_it_turns_an_exif_rotated_jpeg_upright():
    photo = process_photo(upload(phone_jpeg_rotated_with_gps()))

    out = decoded(photo.image)
    assert out.size == (photo.width, photo.height) == (100, 200)
    # Rotating 90° clockwise carries the top-left corner to the top-right.
    assert close_to(out.getpixel((80, 20)), RED)
    assert close_to(out.getpixel((20, 20)), BLUE)
    assert close_to(out.getpixel((80, 180)), BLUE)


def test_it_strips_exif_gps_xmp_and_icc_from_the_output():
    original = phone_jpeg_rotated_with_gps()
    source = Image.open(BytesIO(original))
    assert source.getexif().get_ifd(0x8825), "the input must really carry GPS"
    assert b"http://ns.adobe.com/xap" in original
    assert b"Exif" in original

    photo = process_photo(upload(original))

    for output in (photo.image, photo.thumbnail):
        out = decoded(output)
        assert len(out.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(out.info)
        assert b"Exif" not in output
        assert b"GPS" not in output
        assert b"http://ns.adobe.com/xap" not in output
        assert b"ICC-fingerprint" not in output


# Groups exiftool reports for metadata that could locate or identify someone.
METADATA_GROUPS = ("IFD", "ExifIFD", "GPS", "XMP", "ICC", "MakerNotes", "IPTC", "Photoshop",
                   "Comment")


def exiftool_groups(data: bytes, tmp_path, name: str) -> set[str]:
    if shutil.which("exiftool") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but exiftool is missing (scripts/ensure_test_tools.sh)")
        pytest.skip("exiftool is not installed (scripts/ensure_test_tools.sh installs it)")
    path = tmp_path / name
    path.write_bytes(data)
    result = subprocess.run(["exiftool", "-json", "-a", "-G1", "-u", str(path)],
                            capture_output=True, text=True, check=True, timeout=30)
    return {key.split(":", 1)[0] for key in json.loads(result.stdout)[0] if ":" in key}


def test_exiftool_finds_no_metadata_in_what_is_stored(tmp_path):
    """G9's measure, by a tool that is not ours: 0 EXIF/GPS/XMP in the output."""
    original = phone_jpeg_rotated_with_gps()
    before = exiftool_groups(original, tmp_path, "in.jpg")
    assert {"GPS", "IFD0"} <= before, "the input must really carry EXIF and GPS"
    assert any(g.startswith("XMP") for g in before), "and XMP"

    photo = process_photo(upload(original))

    for output, name in ((photo.image, "out.jpg"), (photo.thumbnail, "thumb.jpg")):
        found = exiftool_groups(output, tmp_path, name)
        assert {g for g in found if g.startswith(METADATA_GROUPS)} == set()


# ------------------------------------------------------------------ U6: broken files


def test_it_rejects_a_truncated_png():
    whole = encode(noise(64, 64), "PNG")

    exc = rejected(whole[: len(whole) // 2], "cut.png")

    assert message(exc) == "cut.png is damaged or incomplete."


def test_it_rejects_a_truncated_jpeg():
    whole = encode(noise(64, 64), "JPEG")

    assert message(rejected(whole[: len(whole) // 2], "cut.jpg")) == (
        "cut.jpg is damaged or incomplete."
    )


def test_it_rejects_a_zero_byte_file():
    assert message(rejected(b"", "empty.jpg")) == "empty.jpg is empty."


def test_it_rejects_a_text_file_renamed_jpg():
    exc = rejected(b"Minutes of the safety meeting\n" * 20, "minutes.jpg")
    assert message(exc) == "minutes.jpg is not a JPEG, PNG or HEIC photo."


def test_it_refuses_to_run_if_truncated_images_were_allowed_globally(monkeypatch):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(ImproperlyConfigured):
        process_photo(upload(encode(Image.new("RGB", (8, 8)), "PNG")))


# ------------------------------------------------------------------ U7: other formats


def assert_only_the_allowlist_stops(data: bytes, pillow_format: str) -> None:
    """Pillow alone would happily open this file; the formats= allowlist is what refuses it."""
    assert Image.open(BytesIO(data)).format == pillow_format
    assert message(rejected(data, "photo.jpg")) == "photo.jpg is not a JPEG, PNG or HEIC photo."


def test_it_rejects_a_tiff_renamed_jpg():
    assert_only_the_allowlist_stops(encode(Image.new("RGB", (8, 8), RED), "TIFF"), "TIFF")


def test_it_rejects_a_static_gif_renamed_jpg():
    assert_only_the_allowlist_stops(encode(Image.new("RGB", (8, 8), RED), "GIF"), "GIF")


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_it_rejects_a_webp_renamed_jpg():
    assert_only_the_allowlist_stops(encode(Image.new("RGB", (8, 8), RED), "WEBP"), "WEBP")


def test_it_rejects_a_fits_file_renamed_jpg():
    assert_only_the_allowlist_stops(fits_file(), "FITS")


def test_it_rejects_a_psd_file_renamed_jpg():
    assert_only_the_allowlist_stops(psd_file(), "PSD")


# ------------------------------------------------------------------ U8: size


def test_it_rejects_a_file_over_max_bytes_before_decoding(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("Image.open must not be reached")

    monkeypatch.setattr(Image, "open", refuse)
    data = encode(noise(64, 64), "PNG")
    assert len(data) > 1000

    exc = rejected(data, "huge.png", max_bytes=1000)

    assert "huge.png is larger than" in message(exc)


def test_it_rejects_a_declared_size_over_max_bytes_without_reading_the_file():
    big = upload(b"\xff\xd8" + bytes(2000), "big.jpg")

    def refuse(n=-1):
        raise AssertionError("the stream must not be read")

    big.file.read = refuse

    with pytest.raises(PhotoRejected, match="big.jpg is larger than"):
        process_photo(big, max_bytes=1000)


def test_it_does_not_trust_a_declared_size_and_reads_at_most_max_bytes_plus_one():
    data = encode(noise(64, 64), "PNG")
    lying = upload(data, "liar.png")
    lying.size = 10
    asked = []
    real_read = lying.file.read
    lying.file.read = lambda n=-1: asked.append(n) or real_read(n)

    with pytest.raises(PhotoRejected, match="liar.png is larger than"):
        process_photo(lying, max_bytes=1000)

    assert asked == [1001]


def test_a_file_of_exactly_max_bytes_is_accepted():
    data = encode(Image.new("RGB", (16, 16), BLUE), "PNG")

    assert process_photo(upload(data), max_bytes=len(data)).width == 16
    rejected(data, max_bytes=len(data) - 1)


def test_the_default_limits_are_10_mb_40_megapixels_and_2048_px():
    defaults = {name: p.default for name, p in inspect.signature(process_photo).parameters.items()}
    assert defaults["max_bytes"] == 10 * 1024 * 1024
    assert defaults["max_pixels"] == 40_000_000
    assert defaults["max_side"] == 2048
    assert message(rejected(b"x", "a.jpg", max_bytes=0)) == "a.jpg is larger than 0 MB."


# ------------------------------------------------------------------ U10: filenames

HOSTILE_NAMES = {
    "path traversal": ("../../settings.py", "settings.py"),
    "windows path": ("..\\..\\settings.py", "settings.py"),
    "nul": ("photo\x00.php.jpg", "photo.php.jpg"),
    "rtl override": ("photo\u202egpj.exe", "photogpj.exe"),
    "bidi isolates": ("\u2066evil\u2069\u202a.jpg\u202c", "evil.jpg"),
    "control characters": ("line\r\nbreak\t.jpg", "linebreak.jpg"),
    "300 characters": ("a" * 296 + ".jpg", "a" * 55 + "….jpg"),
    "nothing left": ("\u202e\u200f", "unnamed file"),
}


@pytest.mark.parametrize(("raw", "shown"), HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_it_rejects_hostile_filenames_and_shows_them_sanitized(raw, shown):
    for sent in (upload(b"not an image", raw), raw_file(b"not an image", raw)):
        text = message(rejected_file(sent))

        assert text == f"{shown} is not a JPEG, PNG or HEIC photo."
        with override("en"):
            name = safe_display_name(raw)
        assert name == shown
        assert len(name) <= 60
        assert "/" not in name
        assert "\\" not in name
        assert "\x00" not in name
        assert not BIDI & set(name)


def raw_file(data: bytes, name: str) -> BytesIO:
    """A file object that, unlike Django's UploadedFile, does not pre-clean its name."""
    f = BytesIO(data)
    f.name, f.size = name, len(data)
    return f


def rejected_file(f) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(f)
    return caught.value


def test_storage_names_are_random_and_never_contain_the_users_filename():
    names = {random_storage_name() for _ in range(50)}

    assert len(names) == 50
    for name in names:
        assert STORAGE_NAME.fullmatch(name), name
        assert "settings" not in name
        assert ".." not in name


@time_machine.travel("2026-11-30 20:00:00+00:00", tick=False)
def test_storage_names_are_dated_by_the_local_calendar():
    # 20:00 UTC on 30 November is already 1 December in Asia/Shanghai.
    assert random_storage_name().startswith("photos/2026/12/")


def test_storage_names_refuse_an_unsafe_extension():
    assert random_storage_name("png").endswith(".png")
    for ext in ("../x", "jpg/../../a", "", "php\x00"):
        with pytest.raises(ValueError, match="unsafe extension"):
            random_storage_name(ext)


# ------------------------------------------------------------------ U11: animation


def test_it_keeps_only_the_first_frame_of_a_50_frame_apng(monkeypatch):
    colours = [RED] + [(0, 5 * i, 255 - 5 * i) for i in range(1, 50)]
    frames = [Image.new("RGB", (32, 32), c) for c in colours]
    apng = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert Image.open(BytesIO(apng)).n_frames == 50

    sought = []
    real_seek = PngImagePlugin.PngImageFile.seek
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "seek",
                        lambda self, frame: sought.append(frame) or real_seek(self, frame))

    photo = process_photo(upload(apng, "dance.png"))

    assert close_to(decoded(photo.image).getpixel((16, 16)), RED, tolerance=8)
    assert all(frame == 0 for frame in sought), "later frames must never be decoded"


def test_it_accepts_a_multi_picture_phone_jpeg_and_keeps_the_first_picture():
    # Many phones store portrait/depth shots as MPO: a JPEG followed by more JPEGs.
    mpo = encode(Image.new("RGB", (48, 32), RED), "MPO", save_all=True,
                 append_images=[Image.new("RGB", (48, 32), BLUE)])

    photo = process_photo(upload(mpo, "portrait.jpg"))

    assert (photo.width, photo.height) == (48, 32)
    assert close_to(decoded(photo.image).getpixel((24, 16)), RED)


# ------------------------------------------------------------------ good photos


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_it_flattens_transparency_onto_white(mode):
    im = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    im.paste((*BLUE, 255), (10, 10, 30, 30))
    if mode == "P":
        im = im.convert("RGB").convert("P")
        im.info["transparency"] = im.getpixel((0, 0))
    else:
        im = im.convert(mode)
    opaque = im.convert("RGBA").getpixel((20, 20))[:3]

    photo = process_photo(upload(encode(im, "PNG"), "logo.png"))

    out = decoded(photo.image)
    assert out.mode == "RGB"
    assert close_to(out.getpixel((2, 2)), WHITE, tolerance=6)
    assert close_to(out.getpixel((20, 20)), opaque, tolerance=8)


def test_it_bounds_a_large_jpeg_and_makes_a_400_px_thumbnail():
    data = encode(Image.new("RGB", (5000, 3000), (30, 120, 60)), "JPEG", quality=90)

    photo = process_photo(upload(data, "assembly.jpg"))

    assert isinstance(photo, ProcessedPhoto)
    assert max(photo.width, photo.height) == 2048
    assert decoded(photo.image).size == (photo.width, photo.height)
    thumb = decoded(photo.thumbnail)
    assert thumb.format == "JPEG"
    assert max(thumb.size) == 400
    assert photo.sha256 == hashlib.sha256(photo.image).hexdigest()
    assert photo.content_type == "image/jpeg"


def test_a_small_photo_is_not_enlarged():
    photo = process_photo(upload(encode(Image.new("RGB", (120, 90), RED), "JPEG")))

    assert (photo.width, photo.height) == (120, 90)
    assert decoded(photo.thumbnail).size == (120, 90)


def test_the_result_is_immutable():
    photo = process_photo(upload(encode(Image.new("RGB", (8, 8), RED), "PNG")))

    with pytest.raises(FrozenInstanceError):
        photo.image = b"tampered"


# ------------------------------------------------------------------ messages


def test_messages_are_translatable_and_name_the_sanitized_file():
    exc = rejected(b"hello", "../\u202etxt.jpg")

    assert isinstance(exc.template, Promise), "messages must be gettext_lazy, not gettext"
    assert exc.params == {"name": "txt.jpg"}
    with override("en"):
        assert str(exc) == exc.message == "txt.jpg is not a JPEG, PNG or HEIC photo."
