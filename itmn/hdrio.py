"""Reading and writing HDR and LDR images.

Readers return ``(image, meta)``: a float32 H x W x 3 array of linear RGB with BT.709 primaries
(converted from the file's chromaticities when it declares other primaries) and a dict of what
was found in the file. Writers are atomic: they write to a temporary name in the destination
folder and rename, so a crash or an error never leaves a partial file.

Libraries: OpenEXR's Python binding for EXR (it is the only one that returns the subsampled
channels of luminance/chroma files; OpenImageIO refuses them), OpenImageIO for Radiance .hdr,
PFM, PNG, TIFF and JPEG.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np

from itmn import colour
from itmn.errors import ImageError

HDR_EXTENSIONS = (".exr", ".hdr", ".pfm")
LDR_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
Encoding = Literal["pq", "hlg"]


# --------------------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name keeps the extension, because OpenImageIO picks the format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files and os.replace keeps the mode: give the result the
        # permissions any new file would have (0666 minus the umask)
        os.chmod(tmp_path, 0o666 & ~_umask())
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    """Flush a finished temporary file to disk before it is renamed into place, so that a crash
    right after the rename cannot leave an empty file under the final name."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- validation helpers
def check_rgb_array(img: Any, source: str | Path | None = None, *, name: str = "image") -> np.ndarray:
    """Check that ``img`` is a non-empty H x W x 3 floating-point array; return it as float32."""
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        got = f"shape {arr.shape}"
        if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 1):
            got += " (a single-channel image)"
        elif arr.ndim == 3 and arr.shape[-1] == 4:
            got += " (4 channels: RGBA or CMYK?)"
        raise ImageError(source, f"{name} has {got}", "H x W x 3 RGB")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(source, f"{name} is empty: shape {arr.shape}", "at least 1 x 1 pixels")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(
            source, f"{name} has integer dtype {arr.dtype}", "floating-point linear values (convert first)"
        )
    return arr.astype(np.float32, copy=False)


def count_nonfinite(img: np.ndarray) -> tuple[int, int, int]:
    """(number of NaN, of +Inf, of -Inf) values."""
    return int(np.isnan(img).sum()), int(np.isposinf(img).sum()), int(np.isneginf(img).sum())


def check_finite(img: np.ndarray, source: str | Path | None = None, *, sanitize: bool = False) -> int:
    """Raise ImageError when ``img`` holds NaN/Inf; with ``sanitize`` set them to 0 in place instead.

    Returns the number of values set to 0.
    """
    n_nan, n_pinf, n_ninf = count_nonfinite(img)
    total = n_nan + n_pinf + n_ninf
    if total and not sanitize:
        raise ImageError(
            source,
            f"{total} non-finite values ({n_nan} NaN, {n_pinf} +Inf, {n_ninf} -Inf)",
            "finite values; pass --sanitize to set them to 0 and report how many",
        )
    if total:
        img[~np.isfinite(img)] = 0.0
    return total


def check_nonnegative(img: np.ndarray, source: str | Path | None = None, *, what: str = "image") -> None:
    """Raise ImageError when ``img`` has negative values, naming how many and the smallest."""
    neg = img < 0
    if neg.any():
        raise ImageError(
            source,
            f"{what} has {int(neg.sum())} negative values (smallest {float(img.min()):.6g})",
            "non-negative linear light",
        )


def check_absolute_luminance(img: np.ndarray, source: str | Path | None = None) -> None:
    """Reject input that looks like [0, 1] code values where absolute cd/m^2 are expected.

    A display-referred HDR image whose brightest pixel is at most 1 cd/m^2 is implausible; such
    an array is almost always a normalized or display-encoded image passed by mistake.
    """
    peak = float(np.max(img)) if img.size else 0.0
    if peak <= 1.0:
        raise ImageError(
            source,
            f"values lie in [{float(np.min(img)):.4g}, {peak:.4g}]; this looks like normalized [0, 1] "
            "code values, not luminance",
            "absolute linear luminance in cd/m^2 (e.g. a 1000-nit HDR image peaks near 1000)",
        )


# --------------------------------------------------------------------------- EXR
_EXR_MAGIC = b"\x76\x2f\x31\x01"
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "a PNG file",
    b"\xff\xd8\xff": "a JPEG file",
    b"II*\x00": "a TIFF file",
    b"MM\x00*": "a TIFF file",
    b"#?": "a Radiance HDR file",
    b"PF\n": "a PFM file",
    b"Pf\n": "a PFM file",
    b"\x93NUMPY": "a numpy .npy file",
}


def sniff_format(head: bytes) -> str | None:
    """What a file's first bytes say it is ("a PNG file", ...), or None when unknown."""
    if head.startswith(_EXR_MAGIC):
        return "an OpenEXR file"
    for sig, what in _SIGNATURES.items():
        if head.startswith(sig):
            return what
    return None


def _exr_precheck(path: Path) -> None:
    """Cheap checks before the OpenEXR library, for errors it reports only vaguely: a file of another
    format, and a zero-sized data window (single-part scanline/tiled headers are parsed; anything
    unusual is left to the library)."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.startswith(_EXR_MAGIC):
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

    _exr_precheck(path)
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


def _upsample_chroma(
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


def _read_exr(path: Path, allow_gray: bool) -> tuple[np.ndarray, dict[str, Any]]:
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
    elif {"Y", "RY", "BY"} <= names:
        y = chans["Y"].astype(np.float64)
        dw = header.get("dataWindow")
        origin = (int(dw[0][1]), int(dw[0][0])) if dw is not None else (0, 0)
        sampling = header["_sampling"]
        ry = _upsample_chroma(chans["RY"], y.shape, sampling["RY"], origin)
        by = _upsample_chroma(chans["BY"], y.shape, sampling["BY"], origin)
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
    else:
        raise ImageError(
            path, f"OpenEXR channels {sorted(names)} are not an RGB image", "channels R, G, B or Y, RY, BY"
        )
    return rgb, meta


# --------------------------------------------------------------------------- OpenImageIO formats
def _read_oiio(path: Path, want: str) -> tuple[np.ndarray, dict[str, Any]]:
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


def _three_channels(px: np.ndarray, path: Path, allow_gray: bool) -> np.ndarray:
    c = px.shape[-1]
    if c == 3:
        return px
    if c == 1 and allow_gray:
        return np.repeat(px, 3, axis=-1)
    what = {1: "a single-channel (grey) image", 2: "a grey+alpha image", 4: "a 4-channel (RGBA) image"}.get(
        c, f"{c} channels"
    )
    raise ImageError(path, f"{what}, shape {px.shape}", "3 RGB channels")


def _read_pfm(path: Path, allow_gray: bool) -> tuple[np.ndarray, dict[str, Any]]:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:3] not in (b"PF\n", b"Pf\n", b"PF\r", b"Pf\r", b"PF ", b"Pf "):
        what = sniff_format(head) or f"unknown content starting with {head[:10]!r}"
        raise ImageError(path, f"not a PFM file: {what}", "a file starting with 'PF' (RGB) or 'Pf' (grey)")
    px, meta = _read_oiio(path, "float")
    # OpenImageIO 3.x returns PFM rows in file order, i.e. bottom row first (the PFM raster is
    # stored bottom to top), while its writer flips correctly. Flip so row 0 is the top row;
    # tests/itmn/test_hdrio.py pins this against a PFM written byte by byte from the spec.
    px = px[::-1]
    meta["format"] = "pfm"
    return _three_channels(px, path, allow_gray).astype(np.float64), meta


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


def _read_radiance(path: Path, allow_gray: bool) -> tuple[np.ndarray, dict[str, Any]]:
    header = radiance_header(path)
    fmt = header.get("FORMAT", "32-bit_rle_rgbe")
    if fmt != "32-bit_rle_rgbe":
        raise ImageError(
            path, f"Radiance FORMAT={fmt}", "FORMAT=32-bit_rle_rgbe (XYZE files are not supported)"
        )
    px, meta = _read_oiio(path, "float")
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
    return _three_channels(px, path, allow_gray).astype(np.float64), meta


def _read_encoded_hdr(
    path: Path, encoding: Encoding | None, primaries: colour.Primaries, peak: float
) -> tuple[np.ndarray, dict[str, Any]]:
    px, meta = _read_oiio(path, "uint16")
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
    code = _three_channels(px, path, allow_gray=False).astype(np.float64) / 65535.0
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
    if not path.is_file():
        raise ImageError(path, "no such file", "an existing image file")
    if path.stat().st_size == 0:
        raise ImageError(path, "file is empty (0 bytes)", "an image file")
    ext = path.suffix.lower()
    if ext == ".exr":
        rgb, meta = _read_exr(path, allow_gray)
    elif ext == ".hdr":
        rgb, meta = _read_radiance(path, allow_gray)
    elif ext == ".pfm":
        rgb, meta = _read_pfm(path, allow_gray)
    elif ext == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise ImageError(path, f"cannot load .npy ({exc})", "a numpy array file") from exc
        rgb = check_rgb_array(arr, path).astype(np.float64)
        meta = {"format": "npy", "source_dtype": str(arr.dtype)}
    elif ext in (".png", ".tif", ".tiff"):
        rgb, meta = _read_encoded_hdr(path, encoding, primaries, hlg_peak_cdm2)
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


def read_ldr(path: str | Path) -> np.ndarray:
    """Read an LDR image as float32 H x W x 3 display code values in [0, 1].

    8- or 16-bit PNG/TIFF/JPEG are scaled by their integer range; an EXR/PFM is taken as code
    values already in [0, 1] (an error names the range when it is not).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(path, "no such file", "an existing image file")
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
    px, _ = _read_oiio(path, "uint16" if _is_16bit(path) else "uint8")
    px = _three_channels(px, path, allow_gray=True)
    scale = 65535.0 if px.dtype == np.uint16 else 255.0
    return (px.astype(np.float32) / scale).astype(np.float32)


def _is_16bit(path: Path) -> bool:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise ImageError(path, f"cannot open ({oiio.geterror()})", "a readable image file")
    try:
        return str(inp.spec().format) == "uint16"
    finally:
        inp.close()


# --------------------------------------------------------------------------- writers
_CHROMATICITIES = colour.CHROMATICITIES


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
        "chromaticities": _CHROMATICITIES[primaries],
    }
    for k, v in (attributes or {}).items():
        header[k] = str(v)
    data = np.ascontiguousarray(arr.astype(np.float16 if half else np.float32))
    with atomic_path(path) as tmp:
        OpenEXR.File(header, {"RGB": data}).write(str(tmp))
    return path


def _write_oiio(path: Path, data: np.ndarray, fmt: str) -> Path:
    import OpenImageIO as oiio

    h, w, c = data.shape
    with atomic_path(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise ImageError(path, f"cannot create writer ({oiio.geterror()})", "a writable image path")
        if not out.open(str(tmp), oiio.ImageSpec(w, h, c, fmt)):
            raise ImageError(path, f"cannot open for writing ({out.geterror()})", "a writable image path")
        ok = out.write_image(np.ascontiguousarray(data))
        out.close()
        if not ok:
            raise ImageError(path, f"write failed ({out.geterror()})", "a writable image path")
    return path


def write_radiance(path: str | Path, img: np.ndarray) -> Path:
    """Write linear RGB to a Radiance RGBE ``.hdr`` file atomically (8-bit mantissas: ~1% precision)."""
    path = Path(path)
    arr = check_rgb_array(img, path)
    check_finite(arr, path)
    check_nonnegative(arr, path)
    return _write_oiio(path, arr, "float")


def write_pfm(path: str | Path, img: np.ndarray) -> Path:
    """Write linear RGB to a PFM file atomically (OpenImageIO stores rows bottom to top, per spec)."""
    path = Path(path)
    arr = check_rgb_array(img, path)
    check_finite(arr, path)
    return _write_oiio(path, arr, "float")


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
    return _write_oiio(path, data, fmt)
