"""Formats read and written through OpenImageIO: Radiance RGBE (.hdr), PFM, PNG, TIFF, JPEG, and
16-bit PNG/TIFF holding display-encoded (PQ/HLG) HDR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from itmn import colour
from itmn.atomic import atomic_path, write_failure_reason
from itmn.errors import ImageError, OutputError
from itmn.hdrio.formats import Encoding, sniff_format
from itmn.images import check_finite, check_nonnegative, check_rgb_array


def read_oiio(path: Path, want: str) -> tuple[np.ndarray, dict[str, Any]]:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise ImageError(path, f"cannot open ({oiio.geterror()})", "a readable image file")
    try:
        spec = inp.spec()
        if spec.width == 0 or spec.height == 0:
            raise ImageError(
                path, f"zero-sized image ({spec.width} x {spec.height})", "at least 1 x 1 pixels"
            )
        px = inp.read_image(want)
        if px is None:
            raise ImageError(path, f"cannot read pixels ({inp.geterror()})", "a complete, valid image file")
        meta = {
            "source_dtype": str(spec.format),
            "nchannels": int(spec.nchannels),
            "channel_names": list(spec.channelnames),
            "oiio_colorspace": spec.getattribute("oiio:ColorSpace"),
        }
    finally:
        inp.close()
    px = np.asarray(px)
    if px.ndim == 2:
        px = px[..., None]
    return px, meta


def three_channels(px: np.ndarray, path: Path, allow_gray: bool) -> np.ndarray:
    c = px.shape[-1]
    if c == 3:
        return px
    if c == 1 and allow_gray:
        return np.repeat(px, 3, axis=-1)
    what = {1: "a single-channel (grey) image", 2: "a grey+alpha image", 4: "a 4-channel (RGBA) image"}.get(
        c, f"{c} channels"
    )
    raise ImageError(path, f"{what}, shape {px.shape}", "3 RGB channels")


def read_pfm(path: Path, allow_gray: bool) -> tuple[np.ndarray, dict[str, Any]]:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:3] not in (b"PF\n", b"Pf\n", b"PF\r", b"Pf\r", b"PF ", b"Pf "):
        what = sniff_format(head) or f"unknown content starting with {head[:10]!r}"
        raise ImageError(path, f"not a PFM file: {what}", "a file starting with 'PF' (RGB) or 'Pf' (grey)")
    px, meta = read_oiio(path, "float")
    # OpenImageIO 3.x returns PFM rows in file order, i.e. bottom row first (the PFM raster is
    # stored bottom to top), while its writer flips correctly. Flip so row 0 is the top row;
    # tests/itmn/test_hdrio.py pins this against a PFM written byte by byte from the spec.
    px = px[::-1]
    meta["format"] = "pfm"
    return three_channels(px, path, allow_gray).astype(np.float64), meta


def radiance_header(path: str | Path, max_bytes: int = 65536) -> dict[str, str]:
    """The ``KEY=value`` lines of a Radiance header (up to the blank line before the resolution).

    Repeated keys keep their last value, except ``EXPOSURE``, whose values multiply (as in
    Radiance). Raises ImageError when the file does not start with ``#?``.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(max_bytes)
    if not head.startswith(b"#?"):
        what = sniff_format(head) or f"unknown content starting with {head[:10]!r}"
        raise ImageError(path, f"not a Radiance HDR file: {what}", "a file starting with '#?RADIANCE'")
    out: dict[str, str] = {}
    exposure = 1.0
    for raw in head.split(b"\n")[1:]:
        line = raw.decode("latin-1").strip()
        if not line:
            break
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            key = key.strip().upper()
            if key == "EXPOSURE":
                try:
                    exposure *= float(value)
                except ValueError:
                    raise ImageError(path, f"EXPOSURE={value!r} in the header", "a number") from None
                out[key] = repr(exposure)
            else:
                out[key] = value.strip()
    return out


def read_radiance(path: Path, allow_gray: bool) -> tuple[np.ndarray, dict[str, Any]]:
    header = radiance_header(path)
    fmt = header.get("FORMAT", "32-bit_rle_rgbe")
    if fmt != "32-bit_rle_rgbe":
        raise ImageError(
            path, f"Radiance FORMAT={fmt}", "FORMAT=32-bit_rle_rgbe (XYZE files are not supported)"
        )
    px, meta = read_oiio(path, "float")
    meta["format"] = "hdr"
    # PRIMARIES: rx ry gx gy bx by wx wy (same order as OpenEXR). Photoshop writes eight zeros
    # for "unspecified"; absent or zero means Rec.709/D65 (what every Poly Haven file assumes).
    chroma = None
    if "PRIMARIES" in header:
        try:
            vals = tuple(float(v) for v in header["PRIMARIES"].split())
        except ValueError:
            raise ImageError(path, f"PRIMARIES={header['PRIMARIES']!r}", "eight numbers") from None
        if len(vals) != 8:
            raise ImageError(
                path, f"PRIMARIES={header['PRIMARIES']!r} has {len(vals)} numbers", "eight numbers"
            )
        if any(vals):
            chroma = vals
    meta["chromaticities"] = chroma
    meta["radiance_header"] = header
    return three_channels(px, path, allow_gray).astype(np.float64), meta


def read_encoded_hdr(
    path: Path, encoding: Encoding | None, primaries: colour.Primaries, peak: float
) -> tuple[np.ndarray, dict[str, Any]]:
    px, meta = read_oiio(path, "uint16")
    bits = {"uint8": 8, "uint16": 16}.get(meta["source_dtype"])
    if bits != 16:
        raise ImageError(
            path,
            f"{meta['source_dtype']} {path.suffix} file: display-encoded LDR, not HDR",
            "an .exr/.hdr/.pfm file, or a 16-bit PNG/TIFF with its encoding named (pq or hlg)",
        )
    if encoding is None:
        raise ImageError(
            path,
            "16-bit PNG/TIFF holds display-encoded HDR but no encoding was named",
            "encoding='pq' or 'hlg'",
        )
    code = three_channels(px, path, allow_gray=False).astype(np.float64) / 65535.0
    if encoding == "pq":
        lin = colour.pq_decode(code)
    elif encoding == "hlg":
        lin = colour.hlg_decode(code, peak_cdm2=peak)
    else:
        raise ImageError(path, f"unknown encoding {encoding!r}", "'pq' or 'hlg'")
    if primaries not in colour.CHROMATICITIES:
        raise ImageError(path, f"unknown primaries {primaries!r}", "'bt709' or 'bt2020'")
    # the primaries conversion is done by read_hdr, from these chromaticities
    meta.update(format=path.suffix.lstrip(".").lower(), encoding=encoding, file_primaries=primaries)
    meta["chromaticities"] = colour.CHROMATICITIES[primaries]
    return lin, meta



def is_16bit(path: Path) -> bool:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise ImageError(path, f"cannot open ({oiio.geterror()})", "a readable image file")
    try:
        return str(inp.spec().format) == "uint16"
    finally:
        inp.close()



#: ``geterror()`` lines that OpenImageIO reports for every successful write of a format (OIIO 3.2
#: writes TIFF files without Exif data and says so); any other line means the write failed.
_BENIGN_OIIO_ERRORS = ("failed TIFFWriteCustomDirectory() of the Exif data",)


def write_oiio(path: Path, data: np.ndarray, fmt: str) -> Path:
    """Write H x W x C ``data`` as ``fmt`` pixels through OpenImageIO, atomically, and read the file
    back before it is renamed into place.

    OpenImageIO's ``write_image`` and ``close`` can both return True after a short write (a full
    disk, a file-size limit): the failure is only in ``geterror()``. Both are checked, and the
    temporary file must decode to an image of the right size (:func:`verify_oiio`); any failure is
    an :class:`~itmn.errors.OutputError` naming ``path`` and leaves ``path`` as it was.
    """
    import OpenImageIO as oiio

    h, w, c = data.shape
    with atomic_path(path, verify=lambda tmp, dst: verify_oiio(tmp, dst, (h, w, c))) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise ImageError(path, f"cannot create writer ({oiio.geterror()})", "a writable image path")
        ok = closed = False
        try:
            if not out.open(str(tmp), oiio.ImageSpec(w, h, c, fmt)):
                raise OutputError(path, write_failure_reason(tmp, f"cannot open for writing: {out.geterror()}"))
            ok = bool(out.write_image(np.ascontiguousarray(data)))
        finally:
            closed = bool(out.close())
        message = "\n".join(
            line for line in out.geterror().splitlines() if line.strip() and not line.endswith(_BENIGN_OIIO_ERRORS)
        )
        if not ok or not closed or message:
            raise OutputError(path, write_failure_reason(tmp, f"OpenImageIO: {message or 'the write failed'}"))
    return path


def verify_oiio(tmp: Path, dst: Path, shape: tuple[int, int, int]) -> None:
    """Read a just-written file back in full: OutputError naming ``dst`` unless it decodes to an
    image of ``shape`` (rows, columns, channels)."""
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(tmp))
    if inp is None:
        raise OutputError(dst, write_failure_reason(tmp, f"the written file cannot be read back ({oiio.geterror()})"))
    try:
        spec = inp.spec()
        got = (spec.height, spec.width, spec.nchannels)
        px = inp.read_image()
        message = inp.geterror()
    finally:
        inp.close()
    if px is None or message or got != tuple(shape):
        what = message or (f"it holds {got}, not {tuple(shape)}" if got != tuple(shape) else "no pixels")
        raise OutputError(dst, write_failure_reason(tmp, f"the written file is incomplete ({what})"))


def write_radiance(path: str | Path, img: np.ndarray) -> Path:
    """Write linear RGB to a Radiance RGBE ``.hdr`` file atomically (8-bit mantissas: ~1% precision)."""
    path = Path(path)
    arr = check_rgb_array(img, path)
    check_finite(arr, path)
    check_nonnegative(arr, path)
    return write_oiio(path, arr, "float")


def write_pfm(path: str | Path, img: np.ndarray) -> Path:
    """Write linear RGB to a PFM file atomically (OpenImageIO stores rows bottom to top, per spec)."""
    path = Path(path)
    arr = check_rgb_array(img, path)
    check_finite(arr, path)
    return write_oiio(path, arr, "float")



def write_png(path: str | Path, code: np.ndarray, *, bits: int = 8) -> Path:
    """Write display code values in [0, 1] (H x W x 3) as an 8- or 16-bit PNG/TIFF, atomically.

    Values are rounded to the nearest integer level; values outside [0, 1] are refused.
    """
    path = Path(path)
    arr = check_rgb_array(code, path)
    check_finite(arr, path)
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise ImageError(path, f"code values span [{lo:.4g}, {hi:.4g}]", "values in [0, 1]")
    if bits == 8:
        data, fmt = np.rint(arr.astype(np.float64) * 255.0).astype(np.uint8), "uint8"
    elif bits == 16:
        data, fmt = np.rint(arr.astype(np.float64) * 65535.0).astype(np.uint16), "uint16"
    else:
        raise ValueError(f"bits must be 8 or 16, got {bits}")
    return write_oiio(path, data, fmt)
