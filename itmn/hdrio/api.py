"""The reading and writing entry points: dispatch by extension, checks common to every format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from itmn import colour
from itmn.atomic import atomic_path
from itmn.errors import ImageError, os_reason
from itmn.hdrio.exr import read_exr, write_exr
from itmn.hdrio.formats import Encoding
from itmn.hdrio.oiio import (
    is_16bit,
    read_encoded_hdr,
    read_oiio,
    read_pfm,
    read_radiance,
    three_channels,
    write_pfm,
    write_radiance,
)
from itmn.images import check_finite, check_rgb_array

HDR_EXTENSIONS = (".exr", ".hdr", ".pfm")
LDR_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def read_hdr(
    path: str | Path,
    *,
    encoding: Encoding | None = None,
    primaries: colour.Primaries = "bt2020",
    hlg_peak_cdm2: float = 1000.0,
    sanitize: bool = False,
    allow_gray: bool = False,
    out_primaries: colour.Primaries = "bt709",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Read an HDR image as float32 H x W x 3 linear RGB with BT.709 primaries (or ``out_primaries``).

    Parameters
    ----------
    path:
        ``.exr`` (scanline, tiled, multi-resolution level 0, luminance/chroma, half or float;
        the ``chromaticities`` attribute is honoured), ``.hdr`` (Radiance RGBE), ``.pfm``,
        ``.npy`` (taken as linear BT.709 as stored), or a 16-bit ``.png``/``.tif`` holding
        display-encoded HDR, which needs ``encoding``.
    encoding:
        ``"pq"`` or ``"hlg"`` for 16-bit PNG/TIFF (HDRTV-style files); the result is then absolute
        display light in cd/m^2. Ignored for float formats.
    primaries:
        The primaries of an encoded PNG/TIFF (``bt2020`` for HDR10/HLG content).
    sanitize:
        Set NaN/Inf to 0 and report the count in ``meta["n_nonfinite_zeroed"]`` instead of raising.
    allow_gray:
        Replicate single-channel images to RGB instead of raising.
    out_primaries:
        Primaries of the returned array. ``"bt2020"`` reads a BT.2020 file (e.g. a prepared HDR
        target written by :func:`write_exr` with ``primaries="bt2020"``) without a round trip
        through BT.709, i.e. bit-exactly.

    Returns
    -------
    (image, meta): ``meta`` has the format, storage, source dtype, chromaticities, whether a
    primaries conversion was applied, the number and smallest of the negative values as stored
    (``n_negative_stored``, ``min_stored``) and after conversion (``n_negative``, ``min``), and
    the value range.

    Raises
    ------
    ImageError
        unreadable/corrupt/truncated files, unsupported channel layouts, zero-sized images, 8-bit
        files passed as HDR, and non-finite values (unless ``sanitize``).
    """
    path = Path(path)
    check_readable(path)
    if path.stat().st_size == 0:
        raise ImageError(path, "file is empty (0 bytes)", "an image file")
    ext = path.suffix.lower()
    if ext == ".exr":
        rgb, meta = read_exr(path, allow_gray)
    elif ext == ".hdr":
        rgb, meta = read_radiance(path, allow_gray)
    elif ext == ".pfm":
        rgb, meta = read_pfm(path, allow_gray)
    elif ext == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise ImageError(path, f"cannot load .npy ({exc})", "a numpy array file") from exc
        rgb = check_rgb_array(arr, path).astype(np.float64)
        meta = {"format": "npy", "source_dtype": str(arr.dtype)}
    elif ext in (".png", ".tif", ".tiff"):
        rgb, meta = read_encoded_hdr(path, encoding, primaries, hlg_peak_cdm2)
    else:
        raise ImageError(path, f"unsupported extension {ext!r}", "one of .exr .hdr .pfm .npy .png .tif")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ImageError(path, f"zero-sized image ({rgb.shape[1]} x {rgb.shape[0]})", "at least 1 x 1 pixels")

    with np.errstate(over="ignore", invalid="ignore"):  # NaN/Inf (or float64 > 3.4e38) are counted next
        img = rgb.astype(np.float32)
    meta["path"] = str(path)
    meta["height"], meta["width"] = int(img.shape[0]), int(img.shape[1])
    meta["n_nonfinite_zeroed"] = check_finite(img, path, sanitize=sanitize)
    meta["n_negative_stored"] = int((img < 0).sum())
    meta["min_stored"] = float(img.min())

    try:
        m = colour.primaries_matrix(meta.get("chromaticities"), out_primaries)
    except ValueError as exc:
        raise ImageError(
            path, f"unusable chromaticities attribute ({exc})", "valid CIE xy primaries"
        ) from None
    meta["primaries_converted"] = not np.array_equal(m, np.eye(3))
    if meta["primaries_converted"]:
        img = colour.apply_matrix(img.astype(np.float64), m).astype(np.float32)
    meta["primaries"] = out_primaries
    meta["unit"] = "cd/m2" if meta.get("encoding") else "relative (as stored)"
    meta["n_negative"] = int((img < 0).sum())
    meta["min"] = float(img.min())
    meta["max"] = float(img.max())
    return img, meta


def check_readable(path: Path) -> None:
    """ImageError naming ``path`` unless it is a file this process may read (a folder, a missing
    file and a file without read permission are told apart)."""
    if path.is_dir():
        raise ImageError(path, "is a folder", "an image file")
    if not path.is_file():
        raise ImageError(path, "no such file", "an existing image file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ImageError(path, f"cannot read it: {os_reason(exc)}", "a readable image file") from None


def read_ldr(path: str | Path) -> np.ndarray:
    """Read an LDR image as float32 H x W x 3 display code values in [0, 1].

    8- or 16-bit PNG/TIFF/JPEG are scaled by their integer range; an EXR/PFM is taken as code
    values already in [0, 1] (an error names the range when it is not).
    """
    path = Path(path)
    check_readable(path)
    ext = path.suffix.lower()
    if ext in (".exr", ".pfm", ".hdr"):
        img, _ = read_hdr(path)
        lo, hi = float(img.min()), float(img.max())
        if lo < 0.0 or hi > 1.0:
            raise ImageError(path, f"LDR values span [{lo:.4g}, {hi:.4g}]", "display code values in [0, 1]")
        return img
    if ext not in LDR_EXTENSIONS:
        raise ImageError(
            path, f"unsupported LDR extension {ext!r}", f"one of {', '.join(LDR_EXTENSIONS)}, .exr"
        )
    px, _ = read_oiio(path, "uint16" if is_16bit(path) else "uint8")
    px = three_channels(px, path, allow_gray=True)
    scale = 65535.0 if px.dtype == np.uint16 else 255.0
    return (px.astype(np.float32) / scale).astype(np.float32)




def write_hdr(path: str | Path, img: np.ndarray, **kwargs: Any) -> Path:
    """Write by extension: ``.exr`` (kwargs of :func:`write_exr`), ``.hdr``, ``.pfm`` or ``.npy``."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".exr":
        return write_exr(path, img, **kwargs)
    if ext == ".hdr":
        return write_radiance(path, img)
    if ext == ".pfm":
        return write_pfm(path, img)
    if ext == ".npy":
        arr = check_rgb_array(img, path)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, arr)
        return path
    raise ImageError(path, f"unsupported extension {ext!r}", "one of .exr .hdr .pfm .npy")

