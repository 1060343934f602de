"""ICC profiles built byte by byte for the colour tests (ICC.1:2001-04, version 2.1).

Pillow's ImageCms can only create sRGB, LAB and XYZ profiles, so the profiles a phone or a
print shop embeds (Adobe RGB, a grey gamma, a CMYK press profile) are written here from
their published numbers; LittleCMS reads them as it reads a camera's.
"""

import struct

D50 = (0.9642, 1.0, 0.8249)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _gamma(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    return (b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + bytes(67))


def _profile(device_class: bytes, space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, blobs = [], []
    for sig, blob in tags.items():
        blob += bytes(-len(blob) % 4)
        entries.append(struct.pack(">4sII", sig, offset, len(blob)))
        blobs.append(blob)
        offset += len(blob)
    body = struct.pack(">I", len(tags)) + b"".join(entries) + b"".join(blobs)
    size = 128 + len(body)
    header = (struct.pack(">I", size) + bytes(4) + b"\x02\x10\x00\x00" + device_class + space
              + pcs + bytes(12) + b"acsp" + bytes(4 + 4 + 4 + 4 + 8 + 4)
              + _s15(D50[0]) + _s15(D50[1]) + _s15(D50[2]) + bytes(4 + 16 + 28))
    assert len(header) == 128
    return header + body


def rgb_profile(name: str, red, green, blue, gamma: float) -> bytes:
    """A matrix/TRC display profile: D50-adapted primaries (XYZ) and one gamma."""
    return _profile(b"mntr", b"RGB ", b"XYZ ", {
        b"desc": _desc(name), b"wtpt": _xyz(*D50),
        b"rXYZ": _xyz(*red), b"gXYZ": _xyz(*green), b"bXYZ": _xyz(*blue),
        b"rTRC": _gamma(gamma), b"gTRC": _gamma(gamma), b"bTRC": _gamma(gamma),
    })


def adobe_rgb() -> bytes:
    """Adobe RGB (1998): its primaries adapted to D50, gamma 563/256."""
    return rgb_profile("Adobe RGB (1998) (test)", (0.6097, 0.3111, 0.0195),
                       (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446), 563 / 256)


def grey_linear() -> bytes:
    """A grey profile with gamma 1.0: a stored 128 is 50 % light, sRGB ≈ 188."""
    return _profile(b"mntr", b"GRAY", b"XYZ ", {
        b"desc": _desc("Linear grey (test)"), b"wtpt": _xyz(*D50), b"kTRC": _gamma(1.0)})


def _lab16(lab) -> list[int]:
    lightness, a, b = lab
    clamp = lambda v: max(0, min(65535, round(v)))  # noqa: E731
    return [clamp(lightness * 65280 / 100), clamp((a + 128) * 256), clamp((b + 128) * 256)]


def cmyk_press() -> bytes:
    """A CMYK printer profile (lut16, 2 grid points a channel, Lab PCS) on a yellowish
    paper: CMYK 0,0,0,0 is Lab (92, 0, 12), not white as a naive conversion makes it."""
    grid = []
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    lightness = 92 - 35 * c - 40 * m - 5 * y
                    a = 0 - 30 * c + 60 * m - 5 * y
                    b = 12 - 35 * c - 5 * m + 70 * y
                    if k:
                        lightness, a, b = lightness * 0.1, a * 0.2, b * 0.2
                    grid += _lab16((max(lightness, 0), a, b))
    identity = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x10000]
    lut = (b"mft2" + bytes(4) + struct.pack(">BBBB", 4, 3, 2, 0)
           + struct.pack(">9i", *identity) + struct.pack(">HH", 2, 2)
           + struct.pack(">8H", *([0, 65535] * 4))
           + struct.pack(f">{len(grid)}H", *grid)
           + struct.pack(">6H", *([0, 65535] * 3)))
    return _profile(b"prtr", b"CMYK", b"Lab ", {
        b"desc": _desc("Yellow paper press (test)"), b"wtpt": _xyz(*D50), b"A2B0": lut})
