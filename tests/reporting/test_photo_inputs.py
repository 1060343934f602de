"""Every phone photo that any viewer can show is accepted (issue 8 item 2).

The field trial's files (tests/reporting/field_trial/, copied from the shared fixtures) and
every kind they stand for: broken metadata, 16-bit and palette PNGs, embedded colour
profiles, a JPEG missing only its end marker, oversized PNG text chunks, HEIC. Each kind has
a sibling that must still be refused (true truncation, decompression bombs).
"""

import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from core import photos
from core.photos import PhotoRejected, process_photo

from . import icc

FIELD_TRIAL = Path(__file__).parent / "field_trial"
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


@pytest.fixture(autouse=True)
def _english():
    with override("en"):
        yield


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def field_trial(name: str) -> bytes:
    return (FIELD_TRIAL / name).read_bytes()


def stored(data: bytes, name: str = "photo.jpg", **limits) -> Image.Image:
    photo = process_photo(upload(data, name), **limits)
    im = Image.open(BytesIO(photo.image))
    im.load()
    assert im.format == "JPEG"
    assert im.mode == "RGB"
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(im.info)
    assert (im.width, im.height) == (photo.width, photo.height)
    return im


def refused(data: bytes, name: str = "photo.jpg") -> str:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(upload(data, name))
    return str(caught.value)


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def close_to(pixel, colour, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# ------------------------------------------------------------------ broken metadata


def test_a_rotated_jpeg_whose_exif_resolution_is_text_is_stored_upright():
    """exif_xres_ascii.jpg: 40×20 red, orientation 6, XResolution stored as ASCII "72".
    Pillow's exif_transpose raised TypeError re-serialising that EXIF: HTTP 500."""
    original = field_trial("exif_xres_ascii.jpg")
    assert Image.open(BytesIO(original)).getexif()[0x0112] == 6

    out = stored(original, "exif_xres_ascii.jpg")

    assert out.size == (20, 40)
    assert close_to(out.getpixel((10, 20)), RED, tolerance=8)


def jpeg_with_raw_exif(exif_body: bytes, size=(60, 30)) -> bytes:
    """A JPEG whose APP1 carries these EXIF bytes verbatim (no validation by Pillow)."""
    base = encode(Image.new("RGB", size, BLUE), "JPEG")
    app1 = b"Exif\0\0" + exif_body
    return base[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + base[2:]


def tiff_ifd(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """Little-endian TIFF header and one IFD of (tag, type, count, 4-byte value) entries."""
    body = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")[:4]
    return body + struct.pack("<I", 0)


@pytest.mark.parametrize(("label", "exif"), [
    ("orientation as text", tiff_ifd([(0x0112, 2, 2, b"6\0")])),
    ("orientation out of range", tiff_ifd([(0x0112, 3, 1, struct.pack("<H", 77))])),
    ("IFD pointing past the end", b"II*\0" + struct.pack("<I", 0x7FFFFFF0)),
    ("GPS IFD pointing into itself", tiff_ifd([(0x8825, 4, 1, struct.pack("<I", 8))])),
    ("not TIFF at all", b"garbage that is not a TIFF header"),
    ("truncated entry", b"II*\0" + struct.pack("<IH", 8, 5) + b"\x12\x01"),
])
def test_unreadable_exif_is_ignored_and_the_photo_kept(label, exif):
    out = stored(jpeg_with_raw_exif(exif))

    assert out.size == (60, 30), label
    assert close_to(out.getpixel((30, 15)), BLUE, tolerance=10)


def test_an_orientation_that_cannot_be_read_leaves_the_photo_as_stored(monkeypatch):
    def broken(self):
        raise TypeError("a metadata parser fails")

    monkeypatch.setattr(Image.Image, "getexif", broken)

    assert stored(field_trial("exif_xres_ascii.jpg")).size == (40, 20)


def test_any_exception_inside_the_pipeline_is_a_refusal_by_name(monkeypatch, caplog):
    def explode(im, max_side):
        raise KeyError("an unforeseen bug")

    monkeypatch.setattr(photos, "_finish", explode)

    message = refused(encode(Image.new("RGB", (8, 8)), "PNG"), "班会.png")

    assert message == "班会.png is damaged or incomplete."
    # An unexpected kind is logged with its traceback (so a bug shows), without the name.
    record = next(r for r in caplog.records if r.name == "core.photos")
    assert record.levelname == "WARNING"
    assert record.exc_info is not None
    assert "班会" not in caplog.text


# ------------------------------------------------------------------ PNG modes


def png(width: int, height: int, colour_type: int, depth: int, rows: list[bytes],
        *chunks: tuple[bytes, bytes]) -> bytes:
    """A PNG written by hand, for the modes Pillow cannot save (16-bit RGB, RGBA, LA)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + b"".join(chunk(k, d) for k, d in chunks)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def samples16(*values: int) -> bytes:
    return struct.pack(f">{len(values)}H", *values)


def test_a_16_bit_grey_gradient_is_stored_as_the_same_gradient():
    """gray16.png: 0 → 65535 left to right; it came out almost entirely white."""
    source = Image.open(FIELD_TRIAL / "gray16.png")
    assert source.mode == "I;16"

    out = stored(field_trial("gray16.png"))

    assert out.size == source.size
    for x in (0, 32, 64, 128, 192, 255):
        expected = round(source.getpixel((x, 16)) / 257)
        assert close_to(out.getpixel((x, 16)), (expected,) * 3, tolerance=4), x


@pytest.mark.parametrize(("label", "data", "expected"), [
    ("8-bit grey", png(4, 4, 0, 8, [bytes([100] * 4)] * 4), (100, 100, 100)),
    ("4-bit grey", png(4, 4, 0, 4, [bytes([0x88, 0x88])] * 4), (136, 136, 136)),
    ("1-bit grey", png(8, 4, 0, 1, [bytes([0xFF])] * 4), WHITE),
    ("16-bit grey", png(4, 4, 0, 16, [samples16(*[0x6464] * 4)] * 4), (100, 100, 100)),
    ("16-bit grey+alpha, opaque", png(4, 4, 4, 16, [samples16(*[0x6464, 0xFFFF] * 4)] * 4),
     (100, 100, 100)),
    ("16-bit grey+alpha, half", png(4, 4, 4, 16, [samples16(*[0x0000, 0x8080] * 4)] * 4),
     (127, 127, 127)),
    ("8-bit grey+alpha, clear", png(4, 4, 4, 8, [bytes([0, 0] * 4)] * 4), WHITE),
    ("16-bit RGB", png(4, 4, 2, 16, [samples16(*[0xC8C8, 0x3C3C, 0x3C3C] * 4)] * 4),
     (200, 60, 60)),
    ("16-bit RGBA, opaque", png(4, 4, 6, 16,
                                [samples16(*[0xC8C8, 0x3C3C, 0x3C3C, 0xFFFF] * 4)] * 4),
     (200, 60, 60)),
    ("16-bit RGBA, half", png(4, 4, 6, 16,
                              [samples16(*[0xC8C8, 0x3C3C, 0x3C3C, 0x8080] * 4)] * 4),
     (228, 158, 158)),
    ("16-bit grey, tRNS", png(4, 4, 0, 16, [samples16(*[0x1234] * 4)] * 4,
                              (b"tRNS", samples16(0x1234))), WHITE),
    ("16-bit grey, tRNS elsewhere", png(4, 4, 0, 16, [samples16(*[0x1234] * 4)] * 4,
                                        (b"tRNS", samples16(0x1235))), (18, 18, 18)),
    ("palette", png(4, 4, 3, 8, [bytes([1] * 4)] * 4,
                    (b"PLTE", bytes([0, 0, 0, 200, 60, 60]))), (200, 60, 60)),
    ("palette with tRNS", png(4, 4, 3, 8, [bytes([1] * 4)] * 4,
                              (b"PLTE", bytes([0, 0, 0, 200, 60, 60])),
                              (b"tRNS", bytes([255, 0]))), WHITE),
    ("palette with half tRNS", png(4, 4, 3, 8, [bytes([1] * 4)] * 4,
                                   (b"PLTE", bytes([0, 0, 0, 0, 0, 255])),
                                   (b"tRNS", bytes([255, 128]))), (127, 127, 255)),
    ("2-bit palette", png(4, 4, 3, 2, [bytes([0b01010101])] * 4,
                          (b"PLTE", bytes([0, 0, 0, 10, 200, 30]))), (10, 200, 30)),
    ("8-bit RGB, tRNS", png(4, 4, 2, 8, [bytes([9, 9, 9] * 4)] * 4,
                            (b"tRNS", samples16(9, 9, 9))), WHITE),
])
def test_every_png_mode_comes_out_looking_like_the_original(label, data, expected):
    out = stored(data)

    assert close_to(out.getpixel((2, 2)), expected, tolerance=5), (label, out.getpixel((2, 2)))


def test_a_png_gradient_keeps_its_steps_in_every_bit_depth():
    ramp = list(range(0, 65536, 4369))  # 16 steps
    out16 = stored(png(16, 1, 0, 16, [samples16(*ramp)]))
    out8 = stored(png(16, 1, 0, 8, [bytes(v >> 8 for v in ramp)]))

    for x, value in enumerate(ramp):
        assert close_to(out16.getpixel((x, 0)), (round(value / 257),) * 3, tolerance=5)
        assert close_to(out16.getpixel((x, 0)), out8.getpixel((x, 0)), tolerance=4)


# ------------------------------------------------------------------ colour profiles


def test_a_display_p3_photo_is_converted_to_srgb_before_the_profile_is_dropped():
    """display_p3.jpg: P3 red (200, 60, 60) is sRGB about (219, 37, 48); dropping the
    profile stored it as (200, 60, 59), washed out."""
    original = field_trial("display_p3.jpg")
    assert Image.open(BytesIO(original)).getpixel((50, 50)) == (200, 60, 59)

    out = stored(original)

    assert close_to(out.getpixel((50, 50)), (219, 37, 48), tolerance=5)


def srgb_of(pixel, profile: bytes, mode: str):
    """What LittleCMS makes of one pixel in this profile (the oracle for generated files)."""
    im = Image.new(mode, (1, 1), pixel)
    return ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(BytesIO(profile)),
                                     ImageCms.createProfile("sRGB"), outputMode="RGB"
                                     ).getpixel((0, 0))


def test_an_adobe_rgb_photo_is_converted_to_srgb():
    profile = icc.adobe_rgb()
    data = encode(Image.new("RGB", (32, 32), (100, 150, 100)), "JPEG", quality=95,
                  icc_profile=profile)
    expected = srgb_of((100, 150, 100), profile, "RGB")
    assert close_to(expected, (66, 151, 97), tolerance=3)  # published Adobe → sRGB

    assert close_to(stored(data).getpixel((16, 16)), expected, tolerance=4)


def test_a_cmyk_jpeg_with_a_press_profile_is_converted_through_that_profile():
    profile = icc.cmyk_press()
    data = encode(Image.new("CMYK", (32, 32), (255, 0, 0, 0)), "JPEG", quality=95,
                  icc_profile=profile)
    expected = srgb_of((255, 0, 0, 0), profile, "CMYK")
    naive = (0, 255, 255)
    assert not close_to(expected, naive, tolerance=40)

    assert close_to(stored(data).getpixel((16, 16)), expected, tolerance=6)


def test_a_cmyk_jpeg_without_a_profile_is_still_accepted():
    data = encode(Image.new("CMYK", (32, 32), (0, 0, 0, 0)), "JPEG", quality=95)

    assert close_to(stored(data).getpixel((16, 16)), WHITE, tolerance=4)


def test_a_png_with_a_grey_profile_is_converted():
    profile = icc.grey_linear()
    data = encode(Image.new("L", (8, 8), 128), "PNG", icc_profile=profile)

    assert close_to(stored(data).getpixel((4, 4)), (188, 188, 188), tolerance=4)


def test_a_grey_and_alpha_png_with_a_grey_profile_keeps_both():
    profile = icc.grey_linear()
    im = Image.new("LA", (8, 8), (128, 255))
    im.paste((0, 0), (0, 0, 4, 8))
    out = stored(encode(im, "PNG", icc_profile=profile))

    assert close_to(out.getpixel((1, 4)), WHITE, tolerance=3)
    assert close_to(out.getpixel((6, 4)), (188, 188, 188), tolerance=4)


def test_a_png_with_an_rgb_profile_and_alpha_keeps_the_alpha():
    profile = icc.adobe_rgb()
    im = Image.new("RGBA", (8, 8), (100, 150, 100, 255))
    im.paste((0, 0, 0, 0), (0, 0, 4, 8))
    out = stored(encode(im, "PNG", icc_profile=profile))

    assert close_to(out.getpixel((1, 4)), WHITE, tolerance=3)
    assert close_to(out.getpixel((6, 4)), srgb_of((100, 150, 100), profile, "RGB"),
                    tolerance=4)


def test_a_profile_over_the_size_limit_is_ignored(monkeypatch):
    original = field_trial("display_p3.jpg")
    monkeypatch.setattr(photos, "MAX_ICC_BYTES", 400)  # the P3 profile is 492 bytes

    assert close_to(stored(original).getpixel((50, 50)), (200, 60, 59), tolerance=5)


@pytest.mark.parametrize(("label", "profile"), [
    ("garbage", b"this is not an ICC profile" * 10),
    ("a CMYK profile on an RGB photo", icc.cmyk_press()),
    ("header only", icc.adobe_rgb()[:128]),
])
def test_an_unusable_profile_is_ignored_and_the_photo_kept(label, profile):
    data = encode(Image.new("RGB", (16, 16), (200, 60, 60)), "JPEG", quality=95,
                  icc_profile=profile)

    assert close_to(stored(data).getpixel((8, 8)), (200, 60, 60), tolerance=4), label


# ------------------------------------------------------------------ end marker, text chunks


def test_a_jpeg_missing_only_its_end_marker_is_accepted():
    """missing_eoi_small.jpg: every pixel is there, other viewers show it."""
    original = field_trial("missing_eoi_small.jpg")
    assert not original.endswith(b"\xff\xd9")
    whole = Image.open(BytesIO(original + b"\xff\xd9"))
    whole.load()

    out = stored(original)

    assert out.size == (64, 64)
    for xy in ((5, 5), (32, 32), (60, 60)):
        assert close_to(out.getpixel(xy), whole.getpixel(xy), tolerance=12)


def noise(width: int, height: int) -> Image.Image:
    import random

    return Image.frombytes("RGB", (width, height),
                           random.Random(1).randbytes(width * height * 3))


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_a_jpeg_cut_mid_scan_is_still_refused(progressive, keep):
    whole = encode(noise(96, 96), "JPEG", quality=90, progressive=progressive)
    cut = whole[: int(len(whole) * keep)]

    assert refused(cut, "cut.jpg") == "cut.jpg is damaged or incomplete."


def test_a_large_jpeg_missing_its_end_marker_is_accepted_at_the_reduced_size():
    data = encode(noise(1200, 900).resize((4200, 3150)), "JPEG", quality=80)

    out = stored(data[:-2], max_side=1000)

    assert max(out.size) == 1000


def test_a_large_jpeg_cut_mid_scan_is_refused_at_the_reduced_size():
    data = encode(noise(1200, 900).resize((4200, 3150)), "JPEG", quality=80)

    with pytest.raises(PhotoRejected, match="damaged"):
        process_photo(upload(data[: len(data) * 9 // 10]), max_side=1000)


def test_a_png_whose_xmp_chunk_exceeds_pillows_limit_is_accepted():
    """big_itxt.png: a 2 MB compressed XMP iTXt chunk; refused as "Decompressed Data Too
    Large". The metadata is discarded anyway."""
    original = field_trial("big_itxt.png")
    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        Image.open(BytesIO(original))

    stored(original)

    # Nothing was relaxed process-wide to get there.
    assert PngImagePlugin.MAX_TEXT_CHUNK == ImageFile.SAFEBLOCK
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        Image.open(BytesIO(original))


def big_zlib(size: int) -> bytes:
    return zlib.compress(b"A" * size, 9)


def test_a_png_whose_text_chunks_exceed_pillows_total_text_memory_is_accepted():
    chunks = [(b"zTXt", b"Comment%d\0\0" % i + big_zlib(900_000)) for i in range(80)]
    data = png(4, 4, 2, 8, [bytes([200, 60, 60] * 4)] * 4, *chunks)

    assert close_to(stored(data).getpixel((2, 2)), (200, 60, 60), tolerance=4)


def test_a_png_whose_icc_profile_inflates_past_the_limit_is_accepted_without_it():
    iccp = b"huge\0\0" + big_zlib(PngImagePlugin.MAX_TEXT_CHUNK + 1)
    data = png(4, 4, 2, 8, [bytes([200, 60, 60] * 4)] * 4, (b"iCCP", iccp))
    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        Image.open(BytesIO(data))

    assert close_to(stored(data).getpixel((2, 2)), (200, 60, 60), tolerance=4)


def test_a_png_keeps_an_icc_profile_within_the_limit():
    profile = icc.adobe_rgb()
    data = png(4, 4, 2, 8, [bytes([100, 150, 100] * 4)] * 4,
               (b"iCCP", b"Adobe RGB\0\0" + zlib.compress(profile)))

    assert close_to(stored(data).getpixel((2, 2)), srgb_of((100, 150, 100), profile, "RGB"),
                    tolerance=4)


def test_a_png_text_bomb_is_never_inflated(monkeypatch):
    inflated = []
    real = zlib.decompressobj

    class Counting:
        def __init__(self):
            self.inner = real()

        def decompress(self, data, max_length=0):
            out = self.inner.decompress(data, max_length)
            inflated.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Counting)
    chunks = [(b"iCCP", b"bomb\0\0" + big_zlib(50_000_000)),
              (b"zTXt", b"Comment\0\0" + big_zlib(50_000_000))]
    data = png(4, 4, 2, 8, [bytes([1, 2, 3] * 4)] * 4, *chunks)

    stored(data)

    assert max(inflated, default=0) <= PngImagePlugin.MAX_TEXT_CHUNK


def test_a_png_cut_short_is_still_refused():
    whole = encode(noise(64, 64), "PNG")

    for keep in (0.2, 0.5, 0.95):
        assert refused(whole[: int(len(whole) * keep)], "cut.png") == (
            "cut.png is damaged or incomplete.")


def test_a_png_with_a_bad_chunk_crc_is_refused():
    data = bytearray(png(4, 4, 2, 8, [bytes([1, 2, 3] * 4)] * 4))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF

    assert "damaged" in refused(bytes(data))


def test_a_decompression_bomb_png_is_still_refused():
    rows = [bytes(3 * 9000)] * 9000  # 81 MP of zeros: a few hundred KB compressed
    data = png(9000, 9000, 2, 8, rows)
    assert len(data) < 1_000_000

    assert "too many pixels" in refused(data, "bomb.png")


# ------------------------------------------------------------------ HEIC / HEIF


pillow_heif = pytest.importorskip("pillow_heif")


def heic(im: Image.Image, **params) -> bytes:
    buf = BytesIO()
    pillow_heif.from_pillow(im).save(buf, quality=90, **params)
    return buf.getvalue()


def test_an_iphone_heic_photo_is_accepted_upright():
    im = Image.new("RGB", (200, 100), BLUE)
    im.paste(RED, (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    gps = {1: "N", 2: (31.0, 14.0, 5.5)}
    exif[0x8825] = gps
    data = heic(im, exif=exif.tobytes())
    assert data[4:12] == b"ftypheic"

    photo = process_photo(upload(data, "IMG_0001.HEIC"))
    out = Image.open(BytesIO(photo.image))

    assert out.size == (100, 200)
    assert close_to(out.getpixel((80, 20)), RED, tolerance=40)
    assert close_to(out.getpixel((20, 180)), BLUE, tolerance=40)
    assert len(out.getexif()) == 0
    assert b"Exif" not in photo.image


def test_a_heic_with_a_display_p3_profile_is_converted_to_srgb():
    p3 = Image.open(FIELD_TRIAL / "display_p3.jpg").info["icc_profile"]
    data = heic(Image.new("RGB", (64, 64), (200, 60, 60)), icc_profile=p3)

    assert close_to(stored(data, "IMG_0002.HEIC").getpixel((32, 32)), (219, 37, 48),
                    tolerance=8)


def test_a_heic_over_the_pixel_cap_is_refused_before_decoding():
    data = heic(Image.new("RGB", (120, 100), BLUE))

    with pytest.raises(PhotoRejected, match="too many pixels"):
        process_photo(upload(data, "big.heic"), max_pixels=100 * 100)


HEIC_ADVICE_ZH = ("在 iPhone 上选择 设置 → 相机 → 格式 → 兼容性最佳，"
                  "或以 JPEG 格式分享照片后重新添加")


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif"])
def test_a_heif_file_that_cannot_be_read_gets_advice_for_iphone_users(brand):
    header = struct.pack(">I", 24) + b"ftyp" + brand + bytes(4) + b"mif1" + brand
    with override("zh-hans"):
        message = refused(header + bytes(64), "IMG_0003.HEIC")

    assert message.startswith("IMG_0003.HEIC 是无法读取的 HEIC 照片")
    assert HEIC_ADVICE_ZH in message


def test_the_heic_advice_is_given_when_pillow_heif_is_missing(monkeypatch):
    monkeypatch.setattr(photos, "pillow_heif", None)
    data = heic(Image.new("RGB", (16, 16), BLUE))

    assert "Settings → Camera → Formats → Most Compatible" in refused(data, "a.heic")


def test_an_mp4_is_not_mistaken_for_a_heic():
    header = struct.pack(">I", 20) + b"ftypisom" + bytes(4) + b"mp41"

    assert refused(header + bytes(64), "clip.jpg") == (
        "clip.jpg is not a JPEG, PNG or HEIC photo.")
