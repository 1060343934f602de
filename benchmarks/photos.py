"""`photo_cpu_s_12mp`: CPU seconds per 12-megapixel phone photo through
core.photos.process_photo, and the quality of what it stores (issue 8 item 2, "Speed").

The photo is synthetic (4032×3024, what a 12 MP phone camera writes): colour gradients, a
few hundred hard-edged shapes and lines, text, and sensor-like noise, saved as a quality-92
JPEG, so that both the decoder's and the resampler's work are real.

Quality: the stored JPEG against a reference made the slow, careful way from the same file
(full-size decode, Lanczos to the stored size, the same JPEG encoding): PSNR in dB, target
≥ 38. The PSNR of the resampled pixels before encoding is reported too.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from io import BytesIO

from PIL import Image, ImageChops, ImageDraw

SIZE_12MP = (4032, 3024)


def phone_jpeg(size: tuple[int, int] = SIZE_12MP, seed: int = 0, quality: int = 92) -> bytes:
    """A synthetic phone photo: gradients + edges + text + noise, as JPEG bytes."""
    width, height = size
    rnd = random.Random(seed)
    red = Image.linear_gradient("L").rotate(90).resize(size)
    green = Image.linear_gradient("L").resize(size)
    blue = Image.radial_gradient("L").resize(size)
    im = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(im)
    scale = width / 4032
    for _ in range(300):
        x, y = rnd.randrange(width), rnd.randrange(height)
        side = max(2, int(rnd.randrange(20, 400) * scale))
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.rectangle((x, y, x + side, y + side // 2), fill=colour)
        else:
            draw.line((x, y, x + side, y - side), fill=colour, width=rnd.randrange(1, 8))
    for _ in range(100):
        draw.text((rnd.randrange(width), rnd.randrange(height)), "Safety 2026", fill=(0, 0, 0))
    grain = Image.effect_noise(size, 12).convert("L")
    im = Image.blend(im, Image.merge("RGB", (grain, grain, grain)), 0.12)
    buf = BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of two same-size RGB images, in dB (inf if identical)."""
    histogram = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).histogram()
    squared = sum(count * (i % 256) ** 2 for i, count in enumerate(histogram))
    mse = squared / (a.width * a.height * 3)
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def reference(data: bytes, size: tuple[int, int]) -> Image.Image:
    """The careful way: full-size decode, Lanczos straight to `size`."""
    full = Image.open(BytesIO(data))
    full.load()
    return full.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def measure(data: bytes | None = None, runs: int = 5) -> dict:
    """Median CPU seconds (time.process_time) of `runs` passes through process_photo, and
    the PSNR of the stored photo against the reference. Returns
    {"cpu_s", "runs", "size", "psnr_db", "resample_psnr_db", "reference_cpu_s"}."""
    from core.photos import JPEG_QUALITY, process_photo

    data = data or phone_jpeg()
    process_photo(BytesIO(data))  # warm-up: imports, ICC and codec set-up
    times = []
    for _ in range(runs):
        started = time.process_time()
        photo = process_photo(BytesIO(data))
        times.append(time.process_time() - started)
    stored = Image.open(BytesIO(photo.image)).convert("RGB")
    started = time.process_time()
    ref = reference(data, stored.size)
    reference_cpu = time.process_time() - started
    buf = BytesIO()
    ref.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    ref_stored = Image.open(BytesIO(buf.getvalue())).convert("RGB")
    # The pipeline's pixels before its JPEG encoding, to report the resampling alone.
    from core.photos import _decode

    resampled = _decode(data, max_pixels=40_000_000, max_side=2048)
    return {"cpu_s": statistics.median(times), "runs": runs, "size": stored.size,
            "psnr_db": psnr(stored, ref_stored), "resample_psnr_db": psnr(resampled, ref),
            "reference_cpu_s": reference_cpu, "p3_cpu_s": _with_p3_profile(data, runs)}


def _with_p3_profile(data: bytes, runs: int) -> float:
    """The same photo carrying an iPhone's Display-P3 profile (converted to sRGB)."""
    from pathlib import Path

    from core.photos import process_photo

    fixture = Path(__file__).resolve().parents[1] / "tests/reporting/field_trial/display_p3.jpg"
    profile = Image.open(fixture).info["icc_profile"]
    buf = BytesIO()
    Image.open(BytesIO(data)).save(buf, "JPEG", quality=92, icc_profile=profile)
    tagged = buf.getvalue()
    process_photo(BytesIO(tagged))
    times = []
    for _ in range(runs):
        started = time.process_time()
        process_photo(BytesIO(tagged))
        times.append(time.process_time() - started)
    return statistics.median(times)


if __name__ == "__main__":  # python -m benchmarks.photos: this measurement alone
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safety_portal.settings.test")
    django.setup()
    result = measure()
    print(f"photo_cpu_s_12mp {result['cpu_s']:.3f} (target ≤ 0.15)")
    print(f"  with a Display-P3 profile: {result['p3_cpu_s']:.3f} CPU s")
    print(f"photo_psnr_db_12mp {result['psnr_db']:.1f} (target ≥ 38); resampled pixels "
          f"{result['resample_psnr_db']:.1f} dB; stored {result['size'][0]}×{result['size'][1]}")
