"""OpenEXR through OpenEXR's Python binding: the only reader that returns the subsampled
channels of luminance/chroma files (OpenImageIO refuses them).

Reading: RGB(A), luminance/chroma (Y, RY, BY with 2 x 2 subsampled chroma, upsampled bilinearly
and converted with the luminance row of the file's primaries), Y only; tiled and multi-resolution
files (level 0). Writing: float32 or half RGB with the chromaticities attribute, atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from itmn import colour
from itmn.atomic import atomic_path, write_failure_reason
from itmn.errors import ImageError, ItmnWarning, OutputError
from itmn.hdrio.formats import EXR_MAGIC, sniff_format
from itmn.images import check_finite, check_rgb_array


def exr_precheck(path: Path) -> None:
    """Cheap checks before the OpenEXR library, for errors it reports only vaguely: a file of another
    format, and a zero-sized data window (single-part scanline/tiled headers are parsed; anything
    unusual is left to the library)."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.startswith(EXR_MAGIC):
        what = sniff_format(head) or f"unknown content starting with {head[:8]!r}"
        raise ImageError(path, f"not an OpenEXR file: {what}", "an OpenEXR file (magic number 76 2f 31 01)")
    flags = head[5] if len(head) > 5 else 0
    if flags & 0x10:  # multi-part: leave to the library
        return
    pos = 8
    while pos < len(head) and head[pos] != 0:
        try:
            name_end = head.index(b"\0", pos)
            type_end = head.index(b"\0", name_end + 1)
            (size,) = struct.unpack_from("<i", head, type_end + 1)
        except (ValueError, struct.error):
            return
        name = head[pos:name_end]
        value_at = type_end + 5
        if name == b"dataWindow" and size == 16 and value_at + 16 <= len(head):
            xmin, ymin, xmax, ymax = struct.unpack_from("<4i", head, value_at)
            if xmax < xmin or ymax < ymin:
                raise ImageError(
                    path,
                    f"zero-sized image (data window x {xmin}..{xmax}, y {ymin}..{ymax})",
                    "at least 1 x 1 pixels",
                )
            return
        pos = value_at + size


def _exr_channels(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import OpenEXR

    exr_precheck(path)
    try:
        f = OpenEXR.File(str(path), separate_channels=True)
        header = dict(f.header())
        chans = {}
        sampling = {}
        for name, ch in f.channels().items():
            chans[name] = ch.pixels
            sampling[name] = (int(ch.ySampling), int(ch.xSampling))
    except Exception as exc:  # the binding raises RuntimeError/ValueError for corrupt files
        raise ImageError(
            path,
            f"cannot read OpenEXR data, the file is corrupt or truncated ({exc})",
            "a complete, valid OpenEXR file",
        ) from exc
    header["_sampling"] = sampling
    if not chans:
        raise ImageError(path, "OpenEXR file has no channels", "R, G, B or Y/RY/BY channels")
    return chans, header


def upsample_chroma(
    ch: np.ndarray,
    shape: tuple[int, int],
    sampling: tuple[int, int] = (2, 2),
    origin: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Bilinear upsampling of a subsampled OpenEXR channel to the full ``shape`` (rows, columns).

    OpenEXR stores a channel with x/y sampling ``(sy, sx)`` only at pixels whose absolute
    coordinates are multiples of the sampling, so the first stored sample sits ``(-origin) mod s``
    pixels into the data window whose top-left corner is ``origin`` (y, x). Between samples the
    value is interpolated linearly; beyond the first/last sample it is held.
    """
    h, w = shape
    (sy, sx), (oy, ox) = sampling, origin
    if (sy, sx) == (1, 1) and ch.shape == (h, w):
        return ch.astype(np.float64)

    def axis(n: int, s: int, o: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = (np.arange(n) - ((-o) % s)) / s  # position in sample units
        pos = np.clip(pos, 0.0, m - 1)
        i0 = np.floor(pos).astype(int)
        i1 = np.minimum(i0 + 1, m - 1)
        return i0, i1, pos - i0

    y0, y1, fy = axis(h, sy, oy, ch.shape[0])
    x0, x1, fx = axis(w, sx, ox, ch.shape[1])
    c = ch.astype(np.float64)
    fx = fx[None, :]
    top = c[y0][:, x0] * (1 - fx) + c[y0][:, x1] * fx
    bot = c[y1][:, x0] * (1 - fx) + c[y1][:, x1] * fx
    return top * (1 - fy[:, None]) + bot * fy[:, None]


def _luma_weights(chromaticities: tuple[float, ...] | None) -> np.ndarray:
    """Luminance row (Y of RGB->XYZ) for the file's primaries; Rec.709/D65 when absent."""
    import colour as cs

    if chromaticities is None:
        cs_709 = cs.RGB_COLOURSPACES["ITU-R BT.709"]
        return cs.normalised_primary_matrix(cs_709.primaries, cs_709.whitepoint)[1]
    c = np.asarray(chromaticities, dtype=np.float64)
    return cs.normalised_primary_matrix(c[:6].reshape(3, 2), c[6:])[1]


def read_exr(path: Path, allow_gray: bool) -> tuple[np.ndarray, dict[str, Any]]:
    chans, header = _exr_channels(path)
    chroma = header.get("chromaticities")
    chroma = tuple(float(v) for v in chroma) if chroma is not None else None
    names = set(chans)
    dtypes = {str(a.dtype) for a in chans.values()}
    meta: dict[str, Any] = {
        "format": "exr",
        "storage": str(header.get("type", "")).split(".")[-1],
        "channels": sorted(names),
        "source_dtype": "half" if dtypes == {"float16"} else "/".join(sorted(dtypes)),
        "chromaticities": chroma,
        "compression": str(header.get("compression", "")).split(".")[-1],
    }
    if header.get("tiles") is not None:
        meta["tiles"] = str(header["tiles"])
    dw = header.get("dataWindow")
    if dw is not None:
        meta["data_window"] = [int(v) for v in (*dw[0], *dw[1])]
    if {"R", "G", "B"} <= names:
        rgb = np.stack([chans["R"], chans["G"], chans["B"]], axis=-1).astype(np.float64)
        meta["layout"] = "RGB" + ("A (alpha ignored)" if "A" in names else "")
        if "A" in names:
            _warn_alpha_dropped(path, chans["A"])
    elif {"Y", "RY", "BY"} <= names:
        y = chans["Y"].astype(np.float64)
        dw = header.get("dataWindow")
        origin = (int(dw[0][1]), int(dw[0][0])) if dw is not None else (0, 0)
        sampling = header["_sampling"]
        ry = upsample_chroma(chans["RY"], y.shape, sampling["RY"], origin)
        by = upsample_chroma(chans["BY"], y.shape, sampling["BY"], origin)
        wr, wg, wb = _luma_weights(chroma)
        r = (ry + 1.0) * y
        b = (by + 1.0) * y
        g = (y - wr * r - wb * b) / wg
        rgb = np.stack([r, g, b], axis=-1)
        meta["layout"] = "luminance/chroma Y-RY-BY (chroma upsampled bilinearly)"
    elif names == {"Y"} or names == {"Y", "A"}:
        if not allow_gray:
            raise ImageError(
                path, "single-channel (Y only) OpenEXR image", "RGB channels (or allow_gray=True)"
            )
        rgb = np.repeat(chans["Y"][..., None], 3, axis=-1).astype(np.float64)
        meta["layout"] = "Y (replicated to RGB)"
        if "A" in names:
            _warn_alpha_dropped(path, chans["A"])
    else:
        raise ImageError(
            path, f"OpenEXR channels {sorted(names)} are not an RGB image", "channels R, G, B or Y, RY, BY"
        )
    return rgb, meta



def _warn_alpha_dropped(path: Path, alpha: np.ndarray) -> None:
    """The suite reads colour only: say so whenever an alpha channel is dropped, and how much of
    the image it would have made (partly) transparent ("every pixel is opaque": nothing lost)."""
    import warnings

    transparent = int(np.count_nonzero(np.asarray(alpha, dtype=np.float64) < 1.0))
    how = (f"{transparent} of {alpha.size} pixels are not opaque" if transparent
           else "every pixel is opaque, nothing is lost")  # fmt: skip
    warnings.warn(
        ItmnWarning(f"{path}: alpha channel A ignored ({how}); the colour channels are used as stored"),
        stacklevel=4,
    )


def write_exr(
    path: str | Path,
    img: np.ndarray,
    *,
    half: bool = False,
    primaries: colour.Primaries = "bt709",
    attributes: dict[str, str] | None = None,
) -> Path:
    """Write linear RGB (H x W x 3) to OpenEXR atomically, with its chromaticities attribute.

    ``half`` stores 16-bit floats (values above 65504 become Inf: refused). String ``attributes``
    (e.g. ``{"itmn:unit": "cd/m2"}``) are stored in the header.
    """
    import OpenEXR

    path = Path(path)
    arr = check_rgb_array(img, path)
    check_finite(arr, path)
    if half and float(np.abs(arr).max()) > 65504.0:
        raise ImageError(path, f"value {float(np.abs(arr).max()):.6g} overflows half", "|values| <= 65504")
    header: dict[str, Any] = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "type": OpenEXR.scanlineimage,
        "chromaticities": colour.CHROMATICITIES[primaries],
    }
    for k, v in (attributes or {}).items():
        header[k] = str(v)
    data = np.ascontiguousarray(arr.astype(np.float16 if half else np.float32))
    with atomic_path(path, verify=lambda tmp, dst: verify_exr(tmp, dst, data.shape)) as tmp:
        try:
            OpenEXR.File(header, {"RGB": data}).write(str(tmp))
        except (RuntimeError, OSError) as exc:  # the binding raises RuntimeError("... File too large.")
            raise OutputError(path, write_failure_reason(tmp, f"OpenEXR: {exc}")) from None
    return path


def verify_exr(tmp: Path, dst: Path, shape: tuple[int, ...]) -> None:
    """Read a just-written OpenEXR file back in full: OutputError naming ``dst`` unless its R, G, B
    channels decode to ``shape``'s rows and columns."""
    import OpenEXR

    try:
        chans = OpenEXR.File(str(tmp), separate_channels=True).channels()
        got = {name: tuple(ch.pixels.shape) for name, ch in chans.items()}
    except Exception as exc:  # noqa: BLE001 - the binding raises RuntimeError/ValueError for bad files
        raise OutputError(dst, write_failure_reason(tmp, f"the written file cannot be read back ({exc})")) from None
    want = tuple(shape[:2])
    if any(got.get(c) != want for c in "RGB"):
        raise OutputError(dst, write_failure_reason(tmp, f"the written file is incomplete (channels {got})"))

