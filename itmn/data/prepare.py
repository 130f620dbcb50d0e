"""``itmn data prepare``: benchmark pairs exactly as protocol v1 §2 says.

Per source photograph (pure steps first, I/O in :func:`prepare_dataset`):

1. **Read** with :func:`itmn.hdrio.read_hdr`: chromaticities honoured, linear BT.709. NaN/Inf are
   an error naming the file and the count, unless ``sanitize`` (then zeroed and counted).
   **Negatives** (policy of :func:`clamp_negatives`): negatives made by our primaries conversion
   are clamped to 0 and counted (protocol §2.1); negatives stored in the file are clamped and
   counted when the most negative one is within ``negative_tolerance`` (1%) of the image's
   99.9th-percentile luminance — noise-level values such as Desk.exr's 10794 values down to
   -0.012 against a percentile of 157, or the chroma-reconstruction ringing of the
   luminance/chroma files (at most 0.6%) — and are an error otherwise (e.g. OpenEXR's
   WideColorGamut.exr, -1.3 against 1.5: such values carry colour, clamping would change the
   image).
2. **Geometry** (:func:`fit_geometry`): exact area (box) downsampling so that the short side is
   ``size`` (512), then a centre crop ``size`` x ``size``. The area filter averages every source
   pixel with the weight of its overlap with the output pixel (OpenCV's INTER_AREA for
   downsampling; implemented here as two sparse-in-effect weight matrices because OpenCV cannot
   read EXR and is not a dependency). It preserves the mean, cannot ring or make negatives
   (HDR highlights are 1e4 x the shadows; a windowed-sinc or bicubic filter would overshoot
   around them), and reproduces the reference pairs of reference/metrics-real ("area-resize") to
   float32 precision (tests/itmn/test_data_prepare.py). Panoramas (2:1) are centre-cropped like
   any other image. **Small images** (short side < ``size``, e.g. the 512 x 256 panoramas in
   data/extra) cannot be made ``size`` x ``size`` without upsampling: by default they are
   upsampled with bilinear interpolation (a convex combination: no overshoot, no negatives, no
   new extremes) so the short side is ``size``, and the manifest records ``"upsampled": true``
   and the factor, so an evaluation can exclude them; ``small="skip"`` leaves them out instead
   (recorded under ``skipped``).
3. **HDR target** (:func:`to_display`): scale so the 99.9th percentile of luminance
   (0.2126 R + 0.7152 G + 0.0722 B, numpy linear interpolation) is 1000 cd/m^2, clip every
   value to [0.005, 1000], convert to BT.2020, clip again (a no-op up to rounding: the
   BT.709 -> BT.2020 matrix has non-negative rows summing to 1), float32. Training target: PQ
   (SMPTE ST 2084) code values of the same image quantized to 10 bits, stored as uint16 0..1023.
4. **LDR inputs** (:func:`make_ldr`): each operator of :mod:`itmn.tmo` applied to the BT.709
   version of the *stored* float32 target (so anyone can rebuild the PNG from ``hdr/<name>.exr``
   bit for bit), then sRGB encoding and 8-bit quantization. Test pairs use ``reinhard_global``.
5. **Split** by file name from the dataset's split file (folder datasets: the folder's
   ``splits.json`` or the rule of :func:`itmn.data.registry.folder_split`).

Outputs (docs/CONTRACTS.md "Prepared dataset"), each written atomically: ``hdr/<name>.exr``,
``pq/<name>.npy``, ``ldr/<tmo>/<name>.png``, ``splits.json``, ``licences/``, ``manifest.json``
(per image: source, sha256, scale factor, clip fractions, negatives, non-finite values, geometry,
split, output sha256; per dataset: protocol, parameters and a hash of everything that determines
the outputs). The manifest is rewritten after every image, so an interrupted run keeps what it
finished. A second run skips every image whose source sha256, parameters and output files are
unchanged, and then writes nothing at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from itmn import colour, hdrio, paths, tmo
from itmn.atomic import atomic_path, check_output_dir, write_json
from itmn.data import registry
from itmn.data.fetch import copy_licence_files, fetch_dataset, sha256_file
from itmn.errors import ImageError, ItmnError
from itmn.protocol import PROTOCOLS, Protocol, get_protocol
from itmn.runinfo import collect_run_metadata

#: Bump when a change of this module changes any output byte: every prepared image is redone.
PREPARE_VERSION = "1"
SmallPolicy = Literal["upsample", "skip"]
Role = Literal["train", "eval"]
Log = Callable[[str], None]

CURRENT_PROTOCOL = registry.CURRENT_PROTOCOL
#: How a folder image's projection is decided in protocol v2 when projections.json does not say.
PROJECTION_RULE = "equirect when the width is exactly twice the height, else perspective (projections.json overrides)"


_V1 = get_protocol("v1")


@dataclass(frozen=True)
class PrepareParams:
    """Everything besides the source file that determines the outputs (the protocol's §2 values;
    :meth:`from_protocol` takes them from a :class:`itmn.protocol.Protocol`)."""

    size: int = _V1.image_size  #: output side in pixels
    peak_cdm2: float = _V1.display.peak_cdm2  #: the percentile of luminance maps here; clip maximum (cd/m^2)
    black_cdm2: float = _V1.display.black_cdm2  #: clip minimum (cd/m^2)
    percentile: float = _V1.reference_percentile
    pq_bits: int = _V1.pq_bits
    ldr_bits: int = _V1.ldr_bits
    tmos: tuple[str, ...] = tuple(tmo.TMOS)
    negative_tolerance: float = 0.01  #: largest stored negative, as a fraction of the P99.9 luminance
    small: SmallPolicy = "upsample"
    protocol: str | None = None  #: "v1" | "v2"; None: the dataset's (prepare_dataset resolves it)

    def __post_init__(self) -> None:
        unknown = [t for t in self.tmos if t not in tmo.TMOS]
        if unknown:
            raise ItmnError(f"unknown tone mapping operators {unknown}; valid names: {', '.join(tmo.TMOS)}")
        if tmo.TEST_TMO not in self.tmos:
            raise ItmnError(
                f"tmos {list(self.tmos)} must include {tmo.TEST_TMO!r}, the operator of the test pairs"
            )
        if self.small not in ("upsample", "skip"):
            raise ItmnError(f"small={self.small!r}: expected 'upsample' or 'skip'")
        if self.size < 1:
            raise ItmnError(f"size={self.size}: expected a positive number of pixels")
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise ItmnError(f"protocol={self.protocol!r}: expected one of {', '.join(PROTOCOLS)}")
        if self.protocol == "v2" and self.size % 4:
            raise ItmnError(f"size={self.size}: protocol v2 needs a multiple of 4 (the panorama band is size/2 rows)")

    @classmethod
    def from_protocol(cls, protocol: str | Protocol | None = None, **overrides: Any) -> PrepareParams:
        """The parameters a protocol version sets (``overrides`` for the others, e.g. ``tmos``)."""
        p = get_protocol(protocol)
        return cls(
            size=p.image_size, peak_cdm2=p.display.peak_cdm2, black_cdm2=p.display.black_cdm2,
            percentile=p.reference_percentile, pq_bits=p.pq_bits, ldr_bits=p.ldr_bits, **overrides,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["tmos"] = list(self.tmos)
        return d

    def sha256(self) -> str:
        """Hash of the parameters, the protocol and :data:`PREPARE_VERSION` (for v1 the same value
        as before protocol v2 existed, so v1 folders stay up to date)."""
        params = self.as_dict()
        params.pop("protocol")
        blob = json.dumps({"params": params, "protocol": self.protocol or "v1", "prepare": PREPARE_VERSION},
                          sort_keys=True)  # fmt: skip
        return hashlib.sha256(blob.encode()).hexdigest()


class SkipImage(Exception):
    """An image left out on purpose (``small="skip"``); the reason is the message."""


# --------------------------------------------------------------------------- pure steps
def clamp_negatives(
    img: np.ndarray, meta: dict[str, Any], tolerance: float, source: str | Path | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Apply the negative-value policy (module docstring, step 1) to a BT.709 image from read_hdr.

    Returns the clamped float32 image and counts: ``negatives_clamped`` (stored in the file),
    ``negatives_from_gamut`` (made by the primaries conversion), ``negatives_min``.
    """
    neg = img < 0
    n_neg = int(neg.sum())
    stats = {"negatives_clamped": 0, "negatives_from_gamut": 0, "negatives_min": float(min(img.min(), 0.0))}
    if n_neg == 0:
        return img, stats
    stored = int(meta.get("n_negative_stored", n_neg))
    if stored == 0:
        stats["negatives_from_gamut"] = n_neg
    else:
        clamped = np.maximum(img, 0.0)
        ref = float(np.percentile(colour.luminance(clamped.astype(np.float64), "bt709"), 99.9))
        worst = float(img.min())
        if ref <= 0 or -worst > tolerance * ref:
            rel = f"{-worst / ref:.3g}" if ref > 0 else "inf"
            raise ImageError(
                source,
                f"{n_neg} negative values down to {worst:.6g}, i.e. {rel} x the 99.9th-percentile luminance "
                f"{ref:.6g}",
                f"non-negative linear light, or noise-level negatives within {tolerance:g} x that percentile "
                "(clamped and counted)",
            )
        stats["negatives_clamped"] = n_neg
    return np.maximum(img, 0.0).astype(np.float32), stats


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of exact area (box) resampling: output pixel i averages the input
    interval [i, i+1) * n_in / n_out with each input pixel weighted by its overlap. Rows sum to 1."""
    if not 1 <= n_out <= n_in:
        raise ValueError(f"area_weights: expected 1 <= n_out <= n_in, got n_in={n_in}, n_out={n_out}")
    edges = np.arange(n_out + 1, dtype=np.float64) * (n_in / n_out)
    j = np.arange(n_in, dtype=np.float64)
    overlap = np.minimum(edges[1:, None], j[None, :] + 1.0) - np.maximum(edges[:-1, None], j[None, :])
    return np.clip(overlap, 0.0, None) / (n_in / n_out)


def linear_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of linear interpolation with pixel centres aligned
    (x_in = (i + 0.5) n_in / n_out - 0.5, clamped to the edge pixels). Rows sum to 1."""
    x = np.clip((np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5, 0.0, n_in - 1)
    i0 = np.floor(x).astype(int)
    i1 = np.minimum(i0 + 1, n_in - 1)
    f = x - i0
    w = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(w, (rows, i0), 1.0 - f)
    np.add.at(w, (rows, i1), f)
    return w


def resample(img: np.ndarray, out_h: int, out_w: int, method: Literal["area", "linear"]) -> np.ndarray:
    """Separable resampling of H x W x C with :func:`area_weights` or :func:`linear_weights` (float64)."""
    weights = area_weights if method == "area" else linear_weights
    wh = weights(img.shape[0], out_h)
    ww = weights(img.shape[1], out_w)
    tmp = np.tensordot(wh, np.asarray(img, dtype=np.float64), axes=(1, 0))  # out_h x W x C
    return np.einsum("lk,ikc->ilc", ww, tmp, optimize=True)


def resize_short_side(
    img: np.ndarray, size: int, small: SmallPolicy = "upsample"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Resize so the short side is ``size`` (area filter down, bilinear up). Returns float64 and
    a record of what was done. Raises SkipImage for a short side below ``size`` when
    ``small == "skip"``."""
    h, w = img.shape[:2]
    short = min(h, w)
    if short < size and small == "skip":
        raise SkipImage(f"short side {short} px < {size} px and small images are skipped (--small skip)")
    factor = size / short
    rh = size if h == short else int(math.floor(h * factor + 0.5))
    rw = size if w == short else int(math.floor(w * factor + 0.5))
    if short == size:
        method, out = "none", np.asarray(img, dtype=np.float64)
    elif short > size:
        method, out = "area", resample(img, rh, rw, "area")
    else:
        method, out = "bilinear-upsample", resample(img, rh, rw, "linear")
    record = {
        "source_shape": [h, w],
        "resize": method,
        "resized_shape": [rh, rw],
        "scale": factor,
        "upsampled": short < size,
    }
    return out, record


def fit_geometry(
    img: np.ndarray, size: int, small: SmallPolicy = "upsample"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Protocol v1: resize so the short side is ``size`` (:func:`resize_short_side`), then
    centre-crop to ``size`` x ``size``. Returns float64 and a record of what was done."""
    out, record = resize_short_side(img, size, small)
    rh, rw = out.shape[:2]
    oy, ox = (rh - size) // 2, (rw - size) // 2
    record["crop_offset"] = [oy, ox]
    return out[oy : oy + size, ox : ox + size], record


def is_full_panorama(h: int, w: int) -> bool:
    """An equirectangular image covering 360 x 180 degrees is exactly twice as wide as high."""
    return w == 2 * h


def fit_geometry_v2(
    img: np.ndarray, size: int, small: SmallPolicy, projection: str, role: Role, source: str | Path | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Protocol v2 geometry (docs/PROTOCOL.md section 6). First :func:`resize_short_side` (a 2:1
    panorama becomes 2·size x size, e.g. 1024 x 512), then

    * ``role="eval"`` (val and test pairs): a photograph is centre-cropped ``size`` x ``size`` as
      in v1; a panorama keeps rows [size/4, 3·size/4), the band |latitude| <= 45 degrees, and
      every column: 2·size x size/2 native pixels (as many as a size x size photograph);
    * ``role="train"``: the whole resized image; for a panorama the record's ``train_rows``
      [size/4, 3·size/4) says where training crops come from (:class:`itmn.data.dataset.PairDataset`).

    Raises ImageError for a panorama that is not 2:1 (the band would not be +-45 degrees).
    """
    if projection not in ("perspective", "equirect"):
        raise ItmnError(f"projection {projection!r}: expected 'perspective' or 'equirect'")
    h, w = img.shape[:2]
    if projection == "equirect" and not is_full_panorama(h, w):
        raise ImageError(source, f"declared an equirectangular panorama but is {w} x {h} px",
                         "a full 360 x 180 degree panorama, exactly twice as wide as high")  # fmt: skip
    out, record = resize_short_side(img, size, small)
    rh, rw = out.shape[:2]
    record.update(protocol="v2", projection=projection, role=role)
    if role == "train":
        record["crop_offset"] = [0, 0]
        if projection == "equirect":
            record["train_rows"] = [size // 4, size - size // 4]
        return out, record
    if projection == "equirect":
        top = size // 4
        record["crop_offset"] = [top, 0]
        return out[top : top + size // 2], record
    oy, ox = (rh - size) // 2, (rw - size) // 2
    record["crop_offset"] = [oy, ox]
    return out[oy : oy + size, ox : ox + size], record


def to_display(
    img709: np.ndarray, params: PrepareParams, source: str | Path | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Protocol §2.3: scale (99.9th percentile of luminance -> peak), clip, BT.2020, clip.

    ``img709``: non-negative linear BT.709, any scale. Returns float32 BT.2020 cd/m^2 and the
    scale factor, the percentile and the clipped fractions (of all H*W*3 values).
    """
    x = np.asarray(img709, dtype=np.float64)
    lum = colour.luminance(x, "bt709")
    p = float(np.percentile(lum, params.percentile))
    if not p > 0:
        raise ImageError(
            source,
            f"the {params.percentile}th percentile of luminance is {p:.6g} (max {float(lum.max()):.6g}): "
            "an almost black image cannot be scaled",
            "a positive percentile",
        )
    factor = params.peak_cdm2 / p
    x = x * factor
    lo, hi = params.black_cdm2, params.peak_cdm2
    stats = {
        "p999_luminance_source": p,
        "scale_factor": factor,
        "clip_low_fraction": float(np.mean(x < lo)),
        "clip_high_fraction": float(np.mean(x > hi)),
    }
    x2020 = colour.bt709_to_bt2020(np.clip(x, lo, hi))
    stats["clip_bt2020_fraction"] = float(np.mean((x2020 < lo) | (x2020 > hi)))
    return np.clip(x2020, lo, hi).astype(np.float32), stats


def pq_codes(hdr2020: np.ndarray, bits: int = 10) -> np.ndarray:
    """PQ code values of cd/m^2, quantized to ``bits`` bits, as uint16 0 .. 2^bits - 1."""
    code = colour.pq_encode(np.asarray(hdr2020, dtype=np.float64))
    return np.rint(code * (2**bits - 1)).astype(np.uint16)


def target_bt709(hdr2020: np.ndarray) -> np.ndarray:
    """BT.709 version of a stored BT.2020 target, float64 (negatives of rounding size clamped)."""
    return np.maximum(colour.bt2020_to_bt709(np.asarray(hdr2020, dtype=np.float64)), 0.0)


def make_ldr(
    hdr2020: np.ndarray, tmo_name: str, bits: int = 8, *, bt709: np.ndarray | None = None
) -> np.ndarray:
    """LDR input (protocol §2.4) from the stored BT.2020 target: BT.709 version
    (:func:`target_bt709`, or ``bt709`` when already computed), tone mapped, sRGB encoded,
    quantized. float32 code values k / (2^bits - 1)."""
    v709 = target_bt709(hdr2020) if bt709 is None else bt709
    return tmo.to_ldr(tmo.get_tmo(tmo_name)(v709), bits=bits)


@dataclass
class PreparedPair:
    hdr2020: np.ndarray  #: float32 size x size x 3, BT.2020 cd/m^2
    pq: np.ndarray  #: uint16 codes
    ldr: dict[str, np.ndarray]  #: tmo -> float32 code values
    stats: dict[str, Any] = field(default_factory=dict)


def prepare_array(
    img709: np.ndarray,
    params: PrepareParams,
    source: str | Path | None = None,
    *,
    projection: str = "perspective",
    role: Role = "eval",
) -> PreparedPair:
    """Steps 2-4 for an image already read and cleaned (non-negative linear BT.709).
    ``projection`` and ``role`` (train, or eval = val/test) matter under protocol v2 only."""
    if (params.protocol or "v1") == "v1":
        geo, geometry = fit_geometry(img709, params.size, params.small)
    else:
        geo, geometry = fit_geometry_v2(img709, params.size, params.small, projection, role, source)
    hdr2020, stats = to_display(geo, params, source)
    stats["geometry"] = geometry
    v709 = target_bt709(hdr2020)
    ldr = {name: make_ldr(hdr2020, name, params.ldr_bits, bt709=v709) for name in params.tmos}
    return PreparedPair(hdr2020, pq_codes(hdr2020, params.pq_bits), ldr, stats)


def read_source(path: Path, params: PrepareParams, sanitize: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """Step 1: read, non-finite check, negative policy. Returns the clean image and its record."""
    img, meta = hdrio.read_hdr(path, sanitize=sanitize)
    img, neg = clamp_negatives(img, meta, params.negative_tolerance, path)
    record = {
        "source_format": meta.get("format"),
        "source_layout": meta.get("layout"),
        "chromaticities": meta.get("chromaticities"),
        "primaries_converted": bool(meta.get("primaries_converted")),
        "nonfinite_zeroed": int(meta.get("n_nonfinite_zeroed", 0)),
        **neg,
    }
    return img, record


# --------------------------------------------------------------------------- the dataset run
@dataclass
class _Source:
    name: str
    path: Path
    sha256: str
    origin: str  #: URL or absolute path
    extra: dict[str, Any]


def output_relpaths(name: str, tmos: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Relative output paths of one image, keyed ``hdr``, ``pq``, ``ldr/<tmo>``."""
    out = {"hdr": f"hdr/{name}.exr", "pq": f"pq/{name}.npy"}
    out.update({f"ldr/{t}": f"ldr/{t}/{name}.png" for t in tmos})
    return out


def _write_outputs(
    root: Path, name: str, pair: PreparedPair, src: _Source, protocol: str
) -> dict[str, dict[str, str]]:
    rel = output_relpaths(name, list(pair.ldr))
    hdrio.write_exr(
        root / rel["hdr"], pair.hdr2020, primaries="bt2020",
        attributes={"itmn:unit": "cd/m2", "itmn:protocol": protocol, "itmn:source_sha256": src.sha256},
    )  # fmt: skip
    with atomic_path(root / rel["pq"]) as tmp, open(tmp, "wb") as fh:
        np.save(fh, pair.pq)
    for t, ldr in pair.ldr.items():
        hdrio.write_png(root / rel[f"ldr/{t}"], ldr, bits=8)
    return {k: {"path": v, "sha256": sha256_file(root / v)} for k, v in rel.items()}


def _outputs_intact(root: Path, entry: dict[str, Any]) -> bool:
    outs = entry.get("outputs") or {}
    return bool(outs) and all((root / o["path"]).is_file() and sha256_file(root / o["path"]) == o["sha256"]
                              for o in outs.values())  # fmt: skip


def _remove_outputs(root: Path, entry: dict[str, Any] | None, name: str, tmos: list[str]) -> list[str]:
    """Delete the output files of ``name`` (those recorded in ``entry`` and the standard paths)."""
    rels = set(output_relpaths(name, tmos).values())
    if entry:
        rels |= {o["path"] for o in (entry.get("outputs") or {}).values()}
    removed = []
    for rel in sorted(rels):
        p = root / rel
        if p.is_file():
            p.unlink()
            removed.append(rel)
    return removed


def _sources(dataset: registry.RegisteredDataset | registry.FolderDataset, cache: str | Path | None,
             mirror: str | None, say: Log, progress: bool) -> tuple[list[_Source], list[dict[str, str]]]:  # fmt: skip
    if isinstance(dataset, registry.RegisteredDataset):
        results = {
            r.file.relpath: r
            for r in fetch_dataset(dataset, cache=cache, mirror=mirror, progress=progress, log=say)
        }
        out = []
        for im in dataset.images:
            r = results[im.file.relpath]
            extra = {"licence": im.licence, "projection": im.projection, "homepage": im.homepage}
            if not im.projection:  # a user manifest without one: decided from the image
                del extra["projection"]
            out.append(_Source(im.name, r.path, im.file.sha256, im.file.url, extra))
        return out, []
    images, ignored = dataset.listing()
    projections = dataset.projections(list(images))
    srcs = [_Source(n, p, sha256_file(p), str(p), {"projection": projections[n]} if n in projections else {})
            for n, p in images.items()]  # fmt: skip
    return srcs, [{"file": str(p), "reason": why} for p, why in ignored]


def _split_of(
    dataset: registry.RegisteredDataset | registry.FolderDataset, names: list[str]
) -> tuple[dict[str, list[str]], str]:
    if isinstance(dataset, registry.RegisteredDataset):
        return dataset.split(), dataset.split_source()
    return dataset.split(names)


def resolve_protocol(
    dataset: registry.RegisteredDataset | registry.FolderDataset, protocol: str | None = None
) -> str:
    """``protocol`` if given, else the registered dataset's, else :data:`CURRENT_PROTOCOL`."""
    if protocol is None:
        protocol = registry.dataset_protocol(dataset)
    if protocol not in PROTOCOLS:
        raise ItmnError(f"protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
    return protocol


@dataclass
class PrepareReport:
    out_dir: Path
    prepared: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    wrote_manifest: bool = False
    seconds: float = 0.0


def prepare_dataset(
    dataset: str | Path | registry.RegisteredDataset | registry.FolderDataset = "default",
    *,
    out: str | Path | None = None,
    cache: str | Path | None = None,
    mirror: str | None = None,
    sanitize: bool = False,
    params: PrepareParams | None = None,
    force: bool = False,
    progress: bool = True,
    log: Log | None = None,
    protocol: str | None = None,
) -> PrepareReport:
    """Prepare ``dataset`` (registered name, folder path or dataset object) into ``out``
    (default: :func:`itmn.data.registry.default_prepared_dir`, one folder per protocol version).

    ``protocol`` ("v1" | "v2"; or ``params.protocol``): default the registered dataset's
    (``default``: v1, ``public-v2``: v2), :data:`CURRENT_PROTOCOL` for folders and user manifests.
    A folder prepared under another protocol is never overwritten (ItmnError).
    Registered datasets are first fetched/verified (:func:`itmn.data.fetch.fetch_dataset`).
    Images that cannot be used are reported in the manifest's ``failed`` list, get no output
    file (outputs of an earlier run for that name are deleted), and make the call raise ItmnError
    at the end, after every other image was prepared. ``force`` redoes up-to-date images.
    """
    t0 = time.perf_counter()
    params = params or PrepareParams()
    say: Log = log or (lambda msg: print(f"[itmn data prepare] {msg}", file=sys.stderr, flush=True))
    ds = registry.resolve_dataset(dataset, cache) if isinstance(dataset, str | Path) else dataset
    if protocol is not None and params.protocol is not None and protocol != params.protocol:
        raise ItmnError(f"protocol {protocol!r} and params.protocol {params.protocol!r} disagree")
    params = dataclasses.replace(params, protocol=resolve_protocol(ds, protocol or params.protocol))
    root = Path(out).expanduser() if out else registry.default_prepared_dir(ds, cache, params.protocol)
    check_output_dir(root)  # a write-protected cache or --out is reported now, not after the work
    if isinstance(ds, registry.RegisteredDataset) and any(
        not (paths.downloads_dir(cache) / rf.relpath).is_file() for rf in ds.files()
    ):
        check_output_dir(paths.downloads_dir(cache))
    report = PrepareReport(root)

    old = _read_manifest(root)
    if old and old.get("protocol", "v1") != params.protocol:
        raise ItmnError(
            f"{root} holds data prepared under protocol {old.get('protocol', 'v1')}, not {params.protocol}: "
            "prepared data of different protocol versions never overwrite each other; choose another --out "
            "(or leave --out out: each protocol has its own folder in the cache)"
        )
    old_entries = {e["name"]: e for e in old.get("images", [])}
    sources, report.ignored = _sources(ds, cache, mirror, say, progress)
    for ig in report.ignored:
        say(f"ignored {ig['file']}: {ig['reason']}")
    split, split_rule = _split_of(ds, [s.name for s in sources])
    split_of = {n: k for k in split for n in split[k]}
    p_hash = params.sha256()
    v2 = params.protocol == "v2"
    entries: dict[str, dict[str, Any]] = {}

    def role_of(name: str) -> Role:
        return "train" if split_of[name] == "train" else "eval"

    def same_geometry(prev: dict[str, Any], src: _Source) -> bool:
        """v2 stores train and val/test images differently: a changed split or projection redoes it."""
        if not v2:
            return True
        g = prev.get("geometry") or {}
        want = src.extra.get("projection")
        return g.get("role") == role_of(src.name) and (want is None or g.get("projection") == want)

    def base_manifest() -> dict[str, Any]:
        return _manifest(ds, params, sources, entries, report, split_rule)

    for i, src in enumerate(sources, 1):
        prev = old_entries.get(src.name)
        if (not force and prev and prev.get("source_sha256") == src.sha256 and prev.get("params_sha256") == p_hash
                and (prev.get("nonfinite_zeroed", 0) == 0 or sanitize) and same_geometry(prev, src)
                and _outputs_intact(root, prev)):  # fmt: skip
            entries[src.name] = {**prev, "split": split_of[src.name]}
            report.up_to_date.append(src.name)
            say(f"[{i}/{len(sources)}] {src.name}: up to date")
            continue
        t1 = time.perf_counter()
        try:
            img, rec = read_source(src.path, params, sanitize)
            projection = src.extra.get("projection")
            if v2 and projection is None:  # a folder image: PROJECTION_RULE
                projection = "equirect" if is_full_panorama(*img.shape[:2]) else "perspective"
                rec["projection_rule"] = PROJECTION_RULE
            pair = prepare_array(img, params, src.path, projection=projection or "perspective",
                                 role=role_of(src.name))  # fmt: skip
        except SkipImage as exc:
            report.removed += _remove_outputs(root, prev, src.name, list(params.tmos))
            report.skipped.append({"name": src.name, "source": src.origin, "reason": str(exc)})
            say(f"[{i}/{len(sources)}] {src.name}: skipped ({exc})")
            continue
        except ItmnError as exc:  # ImageError and friends: a bad file, not a bug
            report.removed += _remove_outputs(root, prev, src.name, list(params.tmos))
            report.failed.append({"name": src.name, "source": src.origin, "error": str(exc)})
            say(f"[{i}/{len(sources)}] {src.name}: FAILED: {exc}")
            continue
        outputs = _write_outputs(root, src.name, pair, src, params.protocol)
        entries[src.name] = {
            "name": src.name, "split": split_of[src.name], "source": src.origin, "source_cache_path": str(src.path),
            "source_sha256": src.sha256, **src.extra, **rec, **pair.stats, "tmos": list(params.tmos),
            "params_sha256": p_hash, "outputs": outputs,
        }  # fmt: skip
        if v2:
            entries[src.name]["projection"] = pair.stats["geometry"]["projection"]
        report.prepared.append(src.name)
        write_json(root / "manifest.json", base_manifest())  # progress survives an interruption
        report.wrote_manifest = True
        g = pair.stats["geometry"]
        say(f"[{i}/{len(sources)}] {src.name}: prepared ({split_of[src.name]}; {g['source_shape'][1]}x{g['source_shape'][0]} "
            f"{g['resize']} -> {pair.hdr2020.shape[1]}x{pair.hdr2020.shape[0]}, x{pair.stats['scale_factor']:.4g} to "
            f"cd/m2, {100 * pair.stats['clip_high_fraction']:.3f}% clipped high) in {time.perf_counter() - t1:.1f} s")  # fmt: skip

    for name, prev in old_entries.items():  # images no longer in the dataset
        if name not in {s.name for s in sources}:
            report.removed += _remove_outputs(root, prev, name, prev.get("tmos", []))
    if isinstance(ds, registry.RegisteredDataset) and ds.licence_files:
        copy_licence_files(ds, root, cache)
    done = set(entries)
    splits_out = {k: [n for n in split[k] if n in done] for k in split}  # train, [val,] test
    if _read_json(root / "splits.json") != splits_out:
        write_json(root / "splits.json", splits_out)
    new = base_manifest()
    if report.prepared or report.removed or _core(old) != _core(new):
        write_json(root / "manifest.json", new)
        report.wrote_manifest = True
    report.seconds = time.perf_counter() - t0
    say(
        f"{ds.name}: {len(sources)} images -> {root}: {len(report.prepared)} prepared, {len(report.up_to_date)} up "
        f"to date, {len(report.skipped)} skipped, {len(report.failed)} failed"
        + ("" if report.wrote_manifest else "; nothing to do, nothing written")
        + f" ({report.seconds:.1f} s)"
    )
    if report.failed:
        raise ItmnError(
            f"{len(report.failed)} image(s) of {ds.name!r} could not be prepared (no output written for them; "
            "listed under 'failed' in "
            + str(root / "manifest.json")
            + "):\n  "
            + "\n  ".join(f"{f['name']}: {f['error']}" for f in report.failed)
        )
    return report


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _read_manifest(root: Path) -> dict[str, Any]:
    m = _read_json(root / "manifest.json")
    if not isinstance(m, dict) or "prepare_version" not in m:
        return {}  # not ours (or absent): nothing is reused and nothing deleted on its behalf
    return m


def _core(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without the metadata of the run that wrote it."""
    return {k: v for k, v in manifest.items() if k != "created_by"}


def _manifest(ds: registry.RegisteredDataset | registry.FolderDataset, params: PrepareParams, sources: list[_Source],
              entries: dict[str, dict[str, Any]], report: PrepareReport, split_rule: str) -> dict[str, Any]:  # fmt: skip
    images = [entries[s.name] for s in sources if s.name in entries]
    src_rows = sorted((s.name, s.sha256) for s in sources)
    source_hash = hashlib.sha256(json.dumps(src_rows).encode()).hexdigest()
    hashed = {k: v for k, v in params.as_dict().items() if k != "protocol"}  # v1: the hash from before v2
    everything = {"prepare_version": PREPARE_VERSION, "protocol": params.protocol, "params": hashed,
                  "images": sorted((e["name"], e["source_sha256"], e["split"]) for e in images)}  # fmt: skip
    m: dict[str, Any] = {
        "protocol": params.protocol,
        "protocol_geometry": get_protocol(params.protocol or "v1").geometry,
        "prepare_version": PREPARE_VERSION,
        "dataset": ds.name,
        "dataset_source": {"registry": ds.name}
        if isinstance(ds, registry.RegisteredDataset)
        else {"folder": str(ds.root)},
        "source_manifest_sha256": source_hash,
        "dataset_sha256": hashlib.sha256(json.dumps(everything, sort_keys=True).encode()).hexdigest(),
        "params": params.as_dict(),
        "params_sha256": params.sha256(),
        "tmos": list(params.tmos),
        "test_tmo": tmo.TEST_TMO,
        "split_rule": split_rule,
        "licences": sorted({e.get("licence", "") for e in images} - {""}),
        "n_images": len(images),
        "images": images,
        "skipped": report.skipped,
        "failed": report.failed,
        "ignored": report.ignored,
        "created_by": collect_run_metadata(),
    }
    return m
