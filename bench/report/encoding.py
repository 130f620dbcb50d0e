"""Compact HDR images for the browser: block-exponent JPEG (what the report's viewer decodes).

Pure functions, no file I/O. The report shows linear HDR at any exposure from -6 to +6 EV,
computed in the browser, so it needs the linear values, compactly, in a form plain JavaScript
can decode without libraries from a page opened with ``file://``:

* an **exponent plane**: per 8 x 8 block, ``k = ceil(8 log2(max over the block's pixels and
  channels))`` (1/8-stop steps), stored as ``k + 128`` in an 8-bit greyscale PNG (64 x 64 for a
  512 x 512 image, lossless, ~1 KiB);
* a **base image**: ``(x / 2^(k/8)) ** (1/3)`` per channel, 8-bit, as a JPEG with 4:4:4 chroma
  (no subsampling, so every 8 x 8 JPEG block lies inside one exponent block and the jump of the
  scale at block borders costs nothing).

Decoding is ``x = (code/255) ** 3 * 2^((e - 128)/8)`` (:func:`decode_hdr`, mirrored in
``templates/report.js``). The browser decodes both images natively (``createImageBitmap``; both
are opaque, so the canvas' alpha premultiplication never touches them). The cube-root curve
spends more codes on the darker pixels of a block than sRGB's 2.2 does (a pixel 10 stops below
its block's maximum keeps code 25 instead of 11); at equal size it had the lowest errors of the
curves measured (docs/report.md). JPEG quality starts at 95 and steps down only for images that
would exceed a byte cap per pixel (0.5 B, i.e. 128 KiB at 512 x 512), which bounds the size of a
report. The measured sizes and
errors, and the alternatives rejected (RGBE / half floats, lossless: 5-8x larger; 13 precomputed
JPEG exposures: not continuous, 6x larger and a larger display error), are in docs/report.md.

The HDR-VDP-2 probability-of-detection map (values in [0, 1]) is stored as a lossy greyscale
WebP (:func:`encode_unit_map`), also under a byte cap.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from itmn import colour
from itmn.errors import ImageError

BLOCK = 8  #: pixels per side of an exponent block (one 4:4:4 JPEG block)
STEPS_PER_STOP = 8  #: exponent resolution: 1/8 stop
GAMMA = 3.0  #: base code = (x / block scale) ** (1 / GAMMA)
EXP_OFFSET = 128  #: stored exponent byte = k + EXP_OFFSET, k in [-127, 127]
#: JPEG qualities tried in turn until the base fits the byte cap (95 for almost every image; the
#: low end is there so that the cap holds for any content, uniform noise included)
QUALITIES = (95, 93, 91, 89, 87, 85, 82, 80, 75, 70, 60, 50, 40, 30, 20, 10)
#: byte cap of one HDR image (base JPEG + exponent PNG) per pixel: 128 KiB for 512 x 512
HDR_BYTES_PER_PIXEL = 0.5
MAP_QUALITIES = (80, 70, 60, 50, 40, 30, 20, 10, 0)
#: byte cap of one probability map (WebP) per pixel of the image: 32 KiB for 512 x 512
MAP_BYTES_PER_PIXEL = 0.125
EV_RANGE = (-6.0, 6.0)  #: exposure slider range, stops around the anchor
ANCHOR_GREY = 0.18  #: EV 0 shows the reference's log-average luminance at this display level
BLACK_CDM2 = 0.005  #: protocol v1 black level, floor of the log average


@dataclass(frozen=True)
class EncodedHDR:
    """One HDR image as the viewer receives it: ``base`` (JPEG bytes), ``exponents`` (PNG bytes),
    the image size in pixels and the JPEG quality used."""

    base: bytes
    exponents: bytes
    width: int
    height: int
    quality: int

    @property
    def nbytes(self) -> int:
        return len(self.base) + len(self.exponents)


def _pil():
    from PIL import Image

    return Image


def _check_linear(rgb: np.ndarray, what: str) -> np.ndarray:
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ImageError(what, f"array of shape {a.shape}", "H x W x 3 linear RGB")
    bad = int((~np.isfinite(a)).sum())
    if bad:
        raise ImageError(what, f"{bad} non-finite values", "finite linear values (cd/m^2)")
    return np.clip(a.astype(np.float64), 0.0, None)


def to_display_primaries(hdr_bt2020: np.ndarray) -> np.ndarray:
    """BT.2020 cd/m^2 -> BT.709 cd/m^2 with negatives (colours outside BT.709) clipped to 0: the
    values HDR-VDP-2 and mPSNR see (protocol v1 §4), and what an sRGB screen can show."""
    return np.clip(
        colour.convert_primaries(np.asarray(hdr_bt2020, dtype=np.float64), "bt2020", "bt709"), 0.0, None
    )


def block_exponents(rgb: np.ndarray, block: int = BLOCK, steps: int = STEPS_PER_STOP) -> np.ndarray:
    """Per block, the smallest k (in 1/steps stops) with 2^(k/steps) >= the block's maximum value,
    clipped to [-127, 127]. ``rgb`` must already be padded to multiples of ``block``."""
    h, w, _ = rgb.shape
    m = rgb.max(axis=2).reshape(h // block, block, w // block, block).max(axis=(1, 3))
    with np.errstate(divide="ignore"):
        k = np.ceil(np.log2(np.maximum(m, 2.0 ** (-128 / steps))) * steps)
    return np.clip(k, -127, 127).astype(np.int16)


def _pad(rgb: np.ndarray, block: int) -> np.ndarray:
    h, w, _ = rgb.shape
    ph, pw = (-h) % block, (-w) % block
    return np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else rgb


def _encode_jpeg(code: np.ndarray, quality: int) -> bytes:
    # subsampling=0: 4:4:4; no ICC profile, so browsers take the codes as they are
    im = _pil().fromarray(code)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, subsampling=0)
    # optimized Huffman tables save ~5 %; Pillow runs that pass in one buffer of W*H bytes (2*W*H
    # from quality 95), and libjpeg fails ("Suspension not allowed here") on larger output
    if len(buf.getvalue()) < code.shape[0] * code.shape[1]:
        opt = io.BytesIO()
        im.save(opt, "JPEG", quality=quality, subsampling=0, optimize=True)
        return opt.getvalue()
    return buf.getvalue()


def _encode_png(grey: np.ndarray) -> bytes:
    buf = io.BytesIO()
    _pil().fromarray(grey).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def base_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base codes uint8 Hp x Wp x 3, block exponents k int16 Hp/8 x Wp/8) of linear RGB, padded
    to multiples of the block size by repeating the last row / column: the two planes before
    image compression."""
    xp = _pad(_check_linear(rgb, "encode_hdr input"), BLOCK)
    k = block_exponents(xp)
    code = np.round(np.clip(xp / _block_scale(k), 0.0, 1.0) ** (1.0 / GAMMA) * 255.0).astype(np.uint8)
    return code, k


def planes_to_linear(code: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Linear values from base codes and block exponents: ``(code/255)^GAMMA * 2^(k/8)``."""
    return (code.astype(np.float64) / 255.0) ** GAMMA * _block_scale(k)


def _block_scale(k: np.ndarray) -> np.ndarray:
    return np.repeat(
        np.repeat(2.0 ** (np.asarray(k, dtype=np.float64) / STEPS_PER_STOP), BLOCK, 0), BLOCK, 1
    )[..., None]


def encode_hdr(
    rgb: np.ndarray, *, bytes_per_pixel: float = HDR_BYTES_PER_PIXEL, qualities: tuple[int, ...] = QUALITIES
) -> EncodedHDR:
    """Encode linear RGB (H x W x 3, any non-negative unit; the report uses BT.709 cd/m^2).

    The first quality in ``qualities`` whose result fits ``bytes_per_pixel * H * W`` bytes is
    used (the last one if none does)."""
    h, w = np.shape(rgb)[:2]
    code, k = base_planes(rgb)
    max_bytes = int(bytes_per_pixel * h * w)
    exps = _encode_png((k + EXP_OFFSET).astype(np.uint8))
    base = b""
    q = qualities[-1]
    for q in qualities:
        base = _encode_jpeg(code, q)
        if len(base) + len(exps) <= max_bytes:
            break
    return EncodedHDR(base=base, exponents=exps, width=w, height=h, quality=q)


def decode_planes(enc: EncodedHDR) -> tuple[np.ndarray, np.ndarray]:
    """(base codes uint8 Hp x Wp x 3, exponent bytes uint8 Hp/8 x Wp/8) as a decoder sees them."""
    image = _pil()
    base = np.asarray(image.open(io.BytesIO(enc.base)).convert("RGB"))
    exps = np.asarray(image.open(io.BytesIO(enc.exponents)).convert("L"))
    return base, exps


def decode_hdr(enc: EncodedHDR) -> np.ndarray:
    """Linear RGB float32 H x W x 3 from :class:`EncodedHDR` (what report.js computes)."""
    base, exps = decode_planes(enc)
    x = planes_to_linear(base, exps.astype(np.int16) - EXP_OFFSET)
    return x[: enc.height, : enc.width].astype(np.float32)


# --------------------------------------------------------------------------- display
def exposure_anchor(ref_rgb709: np.ndarray) -> float:
    """Scale that puts the reference's log-average luminance (black floor 0.005 cd/m^2) at
    display level 0.18: the viewer's EV 0 for every method of that image."""
    x = _check_linear(ref_rgb709, "exposure_anchor input")
    lum = np.maximum(colour.luminance(x, "bt709"), BLACK_CDM2)
    return float(ANCHOR_GREY / np.exp(np.mean(np.log(lum))))


def srgb_display(rgb: np.ndarray, anchor: float, ev: float) -> np.ndarray:
    """8-bit sRGB codes of linear ``rgb`` at exposure ``ev`` (stops) over ``anchor``: the
    viewer's exposure rendering, ``round(255 * srgb(min(1, x * anchor * 2^ev)))``."""
    v = np.clip(np.asarray(rgb, dtype=np.float64) * anchor * 2.0**ev, 0.0, 1.0)
    s = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    return np.floor(s * 255.0 + 0.5).astype(np.uint8)


def display_errors(
    original: np.ndarray, decoded: np.ndarray, anchor: float, evs: tuple[float, ...] | None = None
) -> np.ndarray:
    """|display code difference| at each exposure in ``evs`` (default -6..+6 in 1-stop steps):
    shape (len(evs), H, W, 3). How an encoding error looks on screen."""
    evs = evs if evs is not None else tuple(float(e) for e in range(int(EV_RANGE[0]), int(EV_RANGE[1]) + 1))
    return np.stack(
        [
            np.abs(
                srgb_display(original, anchor, e).astype(np.int16)
                - srgb_display(decoded, anchor, e).astype(np.int16)
            )
            for e in evs
        ]
    )


# --------------------------------------------------------------------------- maps
@dataclass(frozen=True)
class EncodedMap:
    """A map with values in [0, 1] as greyscale WebP bytes, its stored size (half the image's,
    rounded up, per halving that was needed to fit the cap) and the quality used."""

    data: bytes
    width: int
    height: int
    quality: int


def encode_unit_map(
    values: np.ndarray,
    *,
    bytes_per_pixel: float = MAP_BYTES_PER_PIXEL,
    qualities: tuple[int, ...] = MAP_QUALITIES,
) -> EncodedMap:
    """A map with values in [0, 1] (H x W) as a greyscale WebP within ``bytes_per_pixel * H * W``
    bytes: the first quality that fits; if none does, the map at half resolution (area mean),
    and so on (HDR-VDP-2's maps fit at full resolution unless they are noise)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ImageError("map", f"array of shape {v.shape}", "H x W values in [0, 1]")
    if not np.isfinite(v).all():
        raise ImageError("map", f"{int((~np.isfinite(v)).sum())} non-finite values", "values in [0, 1]")
    max_bytes = int(bytes_per_pixel * v.shape[0] * v.shape[1])
    v = np.clip(v, 0.0, 1.0)
    while True:
        img = _pil().fromarray(np.round(v * 255.0).astype(np.uint8))
        for q in qualities:
            buf = io.BytesIO()
            img.save(buf, "WEBP", quality=q, method=6)
            if len(buf.getvalue()) <= max_bytes or min(v.shape) <= 8:
                return EncodedMap(buf.getvalue(), v.shape[1], v.shape[0], q)
        v = _halve(v)


def _halve(v: np.ndarray) -> np.ndarray:
    h, w = v.shape
    p = np.pad(v, ((0, h % 2), (0, w % 2)), mode="edge")
    return p.reshape(p.shape[0] // 2, 2, p.shape[1] // 2, 2).mean(axis=(1, 3))


def decode_unit_map(data: bytes) -> np.ndarray:
    """Values in [0, 1] (float32, at the stored size) from :class:`EncodedMap` ``data``."""
    return (np.asarray(_pil().open(io.BytesIO(data)).convert("L"), dtype=np.float32) / 255.0).astype(
        np.float32
    )


def thumbnail_jpeg(ldr_srgb: np.ndarray, size: int = 144, quality: int = 85) -> bytes:
    """A small JPEG of an sRGB image in [0, 1] (H x W x 3), longest side ``size`` pixels."""
    image = _pil()
    code = np.round(np.clip(np.asarray(ldr_srgb, dtype=np.float64), 0, 1) * 255).astype(np.uint8)
    im = image.fromarray(code)
    im.thumbnail((size, size), image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
