"""A 12 MP phone photo costs a fraction of its full-size decode (issue 8 item 2, "Speed").

libjpeg decodes at 1/2, 1/4 or 1/8 far faster than at full size and a Lanczos resample of
all 12 MP cost 0.27 s; `make bench` reports `photo_cpu_s_12mp` (target ≤ 0.15 s). These
tests pin the mechanism and the quality, not the machine's speed.
"""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from benchmarks import photos as bench
from core.photos import process_photo


def cheap_jpeg(size) -> bytes:
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    buf = BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.fixture
def resized(monkeypatch):
    """The source sizes Pillow was asked to resample from."""
    sources = []
    real = Image.Image.resize

    def spy(self, size, *args, **kwargs):
        sources.append(self.size)
        return real(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", spy)
    return sources


def test_a_4032_by_3024_photo_is_stored_from_libjpegs_half_size_decode(resized):
    data = cheap_jpeg((4032, 3024))
    resized.clear()
    photo = process_photo(SimpleUploadedFile("IMG_0001.jpg", data))

    assert (photo.width, photo.height) == (2016, 1512)
    assert (4032, 3024) not in resized, "the full-size pixels must never be resampled"


def test_a_portrait_phone_photo_is_halved_too(resized):
    data = cheap_jpeg((3024, 4032))
    resized.clear()
    photo = process_photo(SimpleUploadedFile("IMG_0002.jpg", data))

    assert (photo.width, photo.height) == (1512, 2016)
    assert (3024, 4032) not in resized


def test_a_photo_just_over_twice_the_limit_is_resampled_from_the_half_size_decode(resized):
    data = cheap_jpeg((4200, 3150))
    resized.clear()
    photo = process_photo(SimpleUploadedFile("a.jpg", data))

    assert (photo.width, photo.height) == (2048, 1536)
    assert resized[0] == (2100, 1575)


def test_a_photo_whose_half_would_be_too_small_is_decoded_whole(resized):
    # 3264 / 2 = 1632 px, 20 % short of 2048: decoded at full size, then resampled.
    data = cheap_jpeg((3264, 2448))
    resized.clear()
    photo = process_photo(SimpleUploadedFile("a.jpg", data))

    assert (photo.width, photo.height) == (2048, 1536)
    assert resized[0] == (3264, 2448)


def test_a_png_is_never_drafted_and_keeps_the_exact_limit():
    buf = BytesIO()
    Image.new("RGB", (4032, 3024), "white").save(buf, "PNG")

    photo = process_photo(SimpleUploadedFile("a.png", buf.getvalue()))

    assert (photo.width, photo.height) == (2048, 1536)


def test_the_stored_12_mp_photo_matches_a_careful_full_size_resample():
    """The benchmark's quality check: PSNR ≥ 38 dB against full decode + Lanczos + the same
    JPEG encoding."""
    result = bench.measure(bench.phone_jpeg(), runs=1)

    assert result["size"] == (2016, 1512)
    assert result["psnr_db"] >= 38
    assert result["resample_psnr_db"] >= 38


def test_psnr_is_infinite_for_identical_images_and_drops_with_noise():
    a = Image.new("RGB", (16, 16), (10, 20, 30))
    b = Image.new("RGB", (16, 16), (12, 20, 30))

    assert bench.psnr(a, a) == float("inf")
    assert 46.8 < bench.psnr(a, b) < 46.9  # one channel off by 2: 10·log10(255² / (4/3))
