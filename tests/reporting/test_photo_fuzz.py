"""Fuzzing the photo pipeline: nothing but a refusal ever leaves process_photo
(issue 8 item 2, security.md G15).

A deterministic corpus of a few thousand mutated JPEG/PNG/HEIC/EXIF files (fixed seed, built
here in the test), plus hypothesis over EXIF directories and PNG chunk lists. Whatever is
accepted is a clean, bounded JPEG with no metadata.
"""

import random
import struct
import time
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from core.photos import PhotoRejected, process_photo

from . import icc

FIELD_TRIAL = Path(__file__).parent / "field_trial"
SEED = 20261201
MUTANTS = 3000
MAX_SIDE = 256


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def picture(size=(48, 32)) -> Image.Image:
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    im.paste((200, 30, 30), (4, 4, 20, 16))
    return im


def seeds() -> dict[str, bytes]:
    """Small valid files of every kind the pipeline reads, with metadata to break."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 1.0)}
    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>" + "x" * 200 + "</x:xmpmeta>", zip=True)
    text.add_text("Comment", "hello")
    rgba = picture().convert("RGBA")
    rgba.putalpha(128)
    found = {
        "jpeg+exif": encode(picture(), "JPEG", exif=exif.tobytes(), icc_profile=icc.adobe_rgb()),
        "progressive": encode(picture(), "JPEG", progressive=True, quality=70),
        "cmyk": encode(Image.new("CMYK", (24, 16), (10, 200, 30, 5)), "JPEG",
                       icc_profile=icc.cmyk_press()),
        "mpo": encode(picture(), "MPO", save_all=True, append_images=[picture((48, 32))]),
        "png+text": encode(picture(), "PNG", pnginfo=text, icc_profile=icc.adobe_rgb()),
        "png rgba": encode(rgba, "PNG"),
        "png palette": encode(picture().convert("P"), "PNG", transparency=3),
        "apng": encode(picture(), "PNG", save_all=True, append_images=[picture()] * 2),
    }
    for name in ("display_p3.jpg", "exif_xres_ascii.jpg", "gray16.png",
                 "missing_eoi_small.jpg"):
        found[name] = (FIELD_TRIAL / name).read_bytes()
    try:
        import pillow_heif

        buf = BytesIO()
        pillow_heif.from_pillow(picture()).save(buf, quality=50, exif=exif.tobytes())
        found["heic"] = buf.getvalue()
    except ImportError:
        pass
    return found


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """One to four of: flip bits, overwrite with interesting values, insert, delete, cut,
    duplicate a slice; aimed at the first 512 bytes (headers, EXIF, chunks) half the time."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        if not out:
            break
        head = rnd.random() < 0.5
        pos = rnd.randrange(min(len(out), 512) if head else len(out))
        op = rnd.randrange(6)
        if op == 0:
            out[pos] ^= 1 << rnd.randrange(8)
        elif op == 1:
            value = rnd.choice([b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff",
                                b"\x00\x00\x00\x00", b"\xff\xd9", b"\xff\xda", b"IEND"])
            out[pos:pos + len(value)] = value
        elif op == 2:
            out[pos:pos] = rnd.randbytes(rnd.randint(1, 16))
        elif op == 3:
            del out[pos:pos + rnd.randint(1, 32)]
        elif op == 4:
            del out[rnd.randint(1, len(out)):]
        else:
            start = rnd.randrange(len(out))
            out[pos:pos] = out[start:start + rnd.randint(1, 64)]
    return bytes(out)


def assert_clean_or_refused(data: bytes, name: str = "fuzz.jpg") -> bool:
    """True if accepted (and then clean and bounded); False if refused by name."""
    try:
        photo = process_photo(SimpleUploadedFile(name, data), max_side=MAX_SIDE,
                              max_pixels=4_000_000)
    except PhotoRejected as exc:
        refused_name = exc.params["name"]
        assert refused_name == name
        return False
    out = Image.open(BytesIO(photo.image))
    out.load()
    assert out.format == "JPEG"
    assert max(out.size) <= MAX_SIDE
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(out.info)
    assert b"Exif" not in photo.image
    return True


def test_a_corpus_of_mutated_files_yields_nothing_but_refusals_or_clean_photos():
    rnd = random.Random(SEED)
    corpus = seeds()
    kinds = sorted(corpus)
    accepted = refused = 0
    started = time.process_time()
    for _ in range(MUTANTS):
        kind = rnd.choice(kinds)
        if assert_clean_or_refused(mutate(corpus[kind], rnd), f"{kind}.bin"):
            accepted += 1
        else:
            refused += 1
    # Both outcomes are exercised: the corpus is neither all noise nor all harmless.
    assert accepted > MUTANTS // 10
    assert refused > MUTANTS // 10
    assert time.process_time() - started < 60


def test_every_seed_is_accepted():
    for name, data in seeds().items():
        assert assert_clean_or_refused(data, name), name


# ------------------------------------------------------------------ hypothesis: EXIF


TAGS = [0x0112, 0x011A, 0x011B, 0x0128, 0x010F, 0x0110, 0x8769, 0x8825, 0xA005, 0x927C,
        0x0131, 0x9003, 0x0201, 0x0202]


def tiff(entries, little: bool) -> bytes:
    order = "<" if little else ">"
    body = (b"II*\0" if little else b"MM\0*") + struct.pack(order + "IH", 8, len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack(order + "HHI", tag, kind, count) + value
    return body + struct.pack(order + "I", 0) + bytes(64)


def jpeg_with_exif(exif: bytes) -> bytes:
    base = encode(picture((40, 20)), "JPEG")
    app1 = (b"Exif\0\0" + exif)[:65000]
    return base[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + base[2:]


entries = st.lists(st.tuples(
    st.one_of(st.sampled_from(TAGS), st.integers(0, 0xFFFF)),
    st.integers(0, 20),  # TIFF field types are 1–13; the rest are invalid on purpose
    st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1)),
    st.binary(min_size=4, max_size=4),
), max_size=12)


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(entries=entries, little=st.booleans(), tail=st.binary(max_size=64))
def test_any_exif_directory_yields_a_refusal_or_a_clean_photo(entries, little, tail):
    assert_clean_or_refused(jpeg_with_exif(tiff(entries, little) + tail))


# ------------------------------------------------------------------ hypothesis: PNG chunks


def chunk(kind: bytes, data: bytes, good_crc: bool) -> bytes:
    crc = zlib.crc32(kind + data) if good_crc else 0
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


chunks = st.lists(st.tuples(
    st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"tRNS", b"PLTE", b"acTL",
                     b"fcTL", b"gAMA", b"sRGB", b"pHYs", b"prVt"]),
    st.one_of(st.binary(max_size=80), st.builds(lambda b: b"k\0\0" + zlib.compress(b),
                                                st.binary(max_size=400))),
    st.booleans(),
), max_size=6)


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(chunks=chunks, colour_type=st.sampled_from([0, 2, 3, 4, 6]),
       depth=st.sampled_from([8, 16]))
def test_any_ancillary_png_chunks_yield_a_refusal_or_a_clean_photo(chunks, colour_type,
                                                                    depth):
    if colour_type == 3:
        depth = 8
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    width, height = 6, 4
    row = b"\0" + bytes(width * channels * depth // 8)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr, True)
            + b"".join(chunk(k, d, ok) for k, d, ok in chunks)
            + chunk(b"IDAT", zlib.compress(row * height), True) + chunk(b"IEND", b"", True))
    assert_clean_or_refused(data, "chunks.png")


@pytest.mark.parametrize("kind", ["jpeg+exif", "png+text"])
def test_every_prefix_of_a_file_is_refused_or_clean(kind):
    data = seeds()[kind]
    for end in range(0, len(data), max(1, len(data) // 150)):
        assert_clean_or_refused(data[:end])
