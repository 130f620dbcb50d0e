"""Measure report sizes and the HDR encoding's errors (the numbers in docs/report.md).

    python -m bench.report.measure size [--images 20 --methods 10 --size 512] [--dataset default]
    python -m bench.report.measure encodings [--dataset default] [--predictions DIR ...]

``size`` builds a synthetic results folder (bench.report.synthetic; with ``--dataset``, its
prepared references as the test images and perturbed copies as methods) and its report, and
prints the report's size per kind of file beside the worst case the byte caps allow.
``encodings`` compares the block-exponent JPEG with the alternatives considered, on real HDR
images: bytes per image and the display error over -6..+6 EV.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import encoding

BUDGET_BYTES = 50_000_000  #: the issue's limit for 20 images x 10 methods
B64 = 4 / 3  #: base64 inflation of the embedded image data


def worst_case_bytes(n_images: int, n_methods: int, size: int = 512, overhead: int = 1_000_000) -> int:
    """Upper bound of a report's size from the byte caps: (references + predictions) HDR images
    and one map per prediction, base64-encoded, plus ``overhead`` for page, tables, curves and
    thumbnails."""
    px = size * size
    raw = (
        n_images * (n_methods + 1) * encoding.HDR_BYTES_PER_PIXEL * px
        + n_images * n_methods * encoding.MAP_BYTES_PER_PIXEL * px
    )
    return int(raw * B64 + overhead)


def measure_size(
    n_images: int, n_methods: int, size: int, references: Sequence[np.ndarray] | None, content: str
) -> dict[str, Any]:
    from bench.report import build_report
    from bench.report.synthetic import write_fixture

    with tempfile.TemporaryDirectory(prefix="itmn-report-measure-") as tmp:
        fx = write_fixture(
            tmp,
            n_images=n_images,
            n_methods=n_methods,
            size=size,
            references=references,
            content=content,
            curve_rows=2000,
        )
        s = build_report(fx.results, Path(tmp) / "report", map_cache=Path(tmp) / "maps", progress=True)
        return {"total": s.total_bytes, "by_kind": s.bytes_by_kind, "tiles": s.n_tiles, "notes": s.notes}


# --------------------------------------------------------------------------- encodings
def _display_error(x: np.ndarray, rec: np.ndarray | None, anchor: float) -> np.ndarray | None:
    return None if rec is None else encoding.display_errors(x, rec, anchor)[:, ::2, ::2]


def _rgbe_png(x: np.ndarray) -> tuple[int, np.ndarray]:
    from PIL import Image

    m = x.max(-1)
    e = np.clip(np.floor(np.log2(np.maximum(m, 1e-30))) + 1, -128, 127)
    man = np.clip(np.floor(x / 2.0 ** e[..., None] * 256), 0, 255).astype(np.uint8)
    size = 0
    for a in (man, (e + 128).astype(np.uint8)):
        b = io.BytesIO()
        Image.fromarray(a).save(b, "PNG", optimize=True)
        size += len(b.getvalue())
    return size, (man + 0.5) / 256 * 2.0 ** e[..., None]


def _half_zlib(x: np.ndarray) -> tuple[int, np.ndarray]:
    h = x.astype(np.float16)
    planes = h.transpose(2, 0, 1).copy().view(np.uint8).reshape(3, -1, 2).transpose(0, 2, 1)
    return len(zlib.compress(planes.tobytes(), 9)), h.astype(np.float64)


def _stack(x: np.ndarray, anchor: float) -> tuple[int, np.ndarray]:
    """13 JPEG exposures (q90) of the display: size, and the display error at those exposures."""
    from PIL import Image

    size, errs = 0, []
    for ev in range(-6, 7):
        a = encoding.srgb_display(x, anchor, ev)
        b = io.BytesIO()
        Image.fromarray(a).save(b, "JPEG", quality=90, subsampling=0)
        size += len(b.getvalue())
        dec = np.asarray(Image.open(io.BytesIO(b.getvalue())).convert("RGB"))
        errs.append(np.abs(dec.astype(np.int16) - a.astype(np.int16)))
    return size, np.stack(errs)[:, ::2, ::2]


def _block(
    gamma: float, qualities: tuple[int, ...], bpp: float = 1e9
) -> Callable[[np.ndarray], tuple[int, np.ndarray]]:
    def f(x: np.ndarray) -> tuple[int, np.ndarray]:
        old = encoding.GAMMA
        encoding.GAMMA = gamma  # the decoder below reads the same module constant
        try:
            e = encoding.encode_hdr(x, bytes_per_pixel=bpp, qualities=qualities)
            return e.nbytes, encoding.decode_hdr(e).astype(np.float64)
        finally:
            encoding.GAMMA = old

    return f


#: IJG standard luminance quantization table (ITU-T T.81 Annex K, Table K.1)
_LUMA_TABLE = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]  # fmt: skip


def _chroma_variant(quality: int, keep_rgb: bool) -> Callable[[np.ndarray], tuple[int, np.ndarray]]:
    """The chosen planes with every channel quantized by the luminance table, in YCbCr or stored
    as RGB (alternatives for saturated colours)."""
    from PIL import Image

    def f(x: np.ndarray) -> tuple[int, np.ndarray]:
        code, k = encoding.base_planes(x)
        b = io.BytesIO()
        Image.fromarray(code).save(
            b, "JPEG", quality=quality, subsampling=0, qtables=[_LUMA_TABLE, _LUMA_TABLE], keep_rgb=keep_rgb
        )
        dec = np.asarray(Image.open(io.BytesIO(b.getvalue())).convert("RGB"))
        return len(b.getvalue()), encoding.planes_to_linear(dec, k)[: x.shape[0], : x.shape[1]]

    return f


def compare_encodings(images: Sequence[np.ndarray]) -> list[dict[str, Any]]:
    """Per encoding: mean / max bytes per image, display error statistics (8-bit codes, over
    -6..+6 EV in 1-stop steps, every second pixel) on ``images`` (BT.709 cd/m^2), and the error
    at EV 0 on saturated colours alone (see :func:`_saturated`)."""
    cands: dict[str, Callable[[np.ndarray], tuple[int, np.ndarray]]] = {
        "RGBE in two PNGs (lossless 8-bit mantissa)": _rgbe_png,
        "half floats, zlib": _half_zlib,
        "block-exp JPEG, gamma 2.2, q95": _block(2.2, (95,)),
        "block-exp JPEG, gamma 3, q95": _block(3.0, (95,)),
        "block-exp JPEG, gamma 3, q90": _block(3.0, (90,)),
        "chosen: gamma 3, q95 with 0.5 B/px cap": _block(
            3.0, encoding.QUALITIES, encoding.HDR_BYTES_PER_PIXEL
        ),
        "gamma 3, q93": _block(3.0, (93,)),
        "gamma 3, chroma with the luma table, q90": _chroma_variant(90, keep_rgb=False),
        "gamma 3, RGB (no YCbCr), luma table, q87": _chroma_variant(87, keep_rgb=True),
    }
    rows = []
    for name, f in [*cands.items(), ("13 exposures as JPEG q90 (per exposure error)", None)]:
        sizes, errs, sat = [], [], []
        for x in images:
            anchor = encoding.exposure_anchor(x)
            if f is None:
                s, d = _stack(x, anchor)
                sat_err = d[6][_saturated(x, anchor)[::2, ::2]]
            else:
                s, rec = f(x)
                d = _display_error(x, rec, anchor)
                sat_err = encoding.display_errors(x, rec, anchor, evs=(0.0,))[0][_saturated(x, anchor)]
            sizes.append(s)
            errs.append(d.ravel())
            sat.append(sat_err.ravel())
        e, es = np.concatenate(errs), np.concatenate(sat)
        rows.append({
            "encoding": name, "KiB mean": np.mean(sizes) / 1024, "KiB max": np.max(sizes) / 1024,
            "err mean": float(e.mean()), "err p99": float(np.percentile(e, 99)), "err p99.9": float(np.percentile(e, 99.9)),
            "% > 3 codes": float((e > 3).mean() * 100),
            "saturated EV0 mean": float(es.mean()), "saturated EV0 p99": float(np.percentile(es, 99)),
        })  # fmt: skip
    return rows


def _saturated(x: np.ndarray, anchor: float) -> np.ndarray:
    """Pixels of saturated colour (smallest channel below 10 % of the largest) that are not
    black at EV 0: where JPEG's chroma quantization shows most."""
    m = x.max(-1)
    return (x.min(-1) < 0.1 * m) & (m * anchor > 0.05)


def _references(dataset: str | None, cache: str | None, split: str = "all") -> list[np.ndarray]:
    if not dataset:
        return []
    from itmn.data.dataset import PreparedDataset
    from itmn.data.registry import resolve_prepared

    ds = PreparedDataset(resolve_prepared(dataset, cache))
    return [ds.load_hdr(n) for n in ds.names(split)]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.report.measure",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=("size", "encodings"))
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--methods", type=int, default=10)
    p.add_argument("--size", type=int, default=512)
    p.add_argument(
        "--content",
        choices=("natural", "noise"),
        default="natural",
        help="synthetic content when no --dataset",
    )
    p.add_argument(
        "--dataset", default=None, help="prepared dataset whose HDR images to use (registered name or path)"
    )
    p.add_argument("--cache", default=None)
    p.add_argument(
        "--predictions",
        type=Path,
        nargs="*",
        default=[],
        help="folders of predicted .exr files to add (encodings)",
    )
    args = p.parse_args(argv)
    refs = _references(args.dataset, args.cache)
    if args.what == "size":
        r = measure_size(args.images, args.methods, args.size, refs or None, args.content)
        bound = worst_case_bytes(args.images, args.methods, args.size)
        src = (
            f"references of {args.dataset!r} ({len(refs)} images, reused flipped)"
            if refs
            else f"synthetic {args.content} images"
        )
        print(f"{args.images} images x {args.methods} methods at {args.size}^2 from {src}: "
              f"{r['total'] / 1e6:.2f} MB ({', '.join(f'{k} {v / 1e6:.2f} MB' for k, v in sorted(r['by_kind'].items()))}); "
              f"{r['tiles']} image tiles; byte caps allow at most {bound / 1e6:.2f} MB; budget {BUDGET_BYTES / 1e6:.0f} MB")  # fmt: skip
        for n in r["notes"]:
            print("note:", n)
        return 0 if r["total"] <= bound else 1  # above the bound: the caps are not working
    from bench.evaluate import load_prediction

    imgs = [encoding.to_display_primaries(r) for r in refs]
    for d in args.predictions:
        for f in sorted(d.glob("*.exr")):
            imgs.append(encoding.to_display_primaries(load_prediction(f)[0]))
    if not imgs:
        p.error("give --dataset and/or --predictions")
    import pandas as pd

    print(f"{len(imgs)} images, display error in 8-bit codes over -6..+6 EV")
    print(pd.DataFrame(compare_encodings(imgs)).to_markdown(index=False, floatfmt=".2f"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
