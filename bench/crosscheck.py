"""Native vs original: the same inputs scored (or expanded) by the suite's code and by the original
MATLAB code through a backend, side by side, with a tolerance verdict per number.

Pure computation; ``itmn-bench crosscheck`` (:mod:`bench.cli.crosscheck`) reads pairs, prints and
writes. Tolerances (from the reference scores' README of the original code's outputs):
HDR-VDP-2 Q 0.01 absolute and C_max 1e-3 relative; HDR-VDP-3 Q_JOD and Q 0.01, P_det 1e-3
absolute, C_max 1e-3 relative; mPSNR and PU21-PSNR 1e-6 dB; PU21-SSIM 1e-4;
the toolbox operators' outputs: median relative error <= 1e-4 and 99th percentile <= 1e-3.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.stats import agrees as within
from itmn.errors import ConfigError, ImageError
from itmn.originals import BackendCallError
from itmn.paths import list_folder

#: secondary numbers compared too: metric -> {extras key: (absolute tol, relative tol)}
SECONDARY: dict[str, dict[str, tuple[float, float]]] = {
    "hdrvdp2": {"C_max": (0.0, 1e-3)},
    # HDR-VDP-3: Q_JOD is the value (0.01); P_det 1e-3 absolute (issue 15), Q as Q_JOD, C_max as hdrvdp2
    "hdrvdp3": {"Q": (0.01, 0.0), "P_det": (1e-3, 0.0), "C_max": (0.0, 1e-3)},
    "mpsnr_toolbox": {"e_min": (0.0, 0.0), "e_max": (0.0, 0.0)},
}

#: operators with an original: registry method -> (pure function keyword arguments)
EO_METHODS = ("huo", "ko", "ko-2019")
EO_TOL = (1e-4, 1e-3)  # median, 99th percentile of the relative error


@dataclass(frozen=True)
class Check:
    """One compared number."""

    case: str
    quantity: str  # e.g. "hdrvdp2", "hdrvdp2.C_max", "huo output, median rel. error"
    native: float
    original: float
    difference: float
    tolerance: str
    ok: bool
    note: str = ""  # e.g. the error the original code raised


def _tol_text(abs_tol: float, rel_tol: float) -> str:
    parts = []
    if abs_tol or not rel_tol:
        parts.append(f"abs {abs_tol:g}")
    if rel_tol:
        parts.append(f"rel {rel_tol:g}")
    return " or ".join(parts)


# --------------------------------------------------------------------------- pairs
@dataclass(frozen=True)
class Pair:
    name: str
    test: np.ndarray  # H x W x 3, cd/m^2
    ref: np.ndarray
    primaries: str = "bt709"


def synthetic_pairs(seed: int = 0) -> list[Pair]:
    """Built-in pairs for a crosscheck without data: a 0.01-4000 cd/m^2 scene (ramp, texture,
    bright disk) at an odd size (97 x 131, so that pyramid levels and resizes are not dyadic),
    against noise, blur and a gain. Deterministic for a seed."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    h, w = 97, 131
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = 10 ** (-2 + 5.6 * x / (w - 1))  # 0.01 .. ~4000 cd/m^2 log ramp
    texture = 1 + 0.3 * np.sin(x / 3.0) * np.cos(y / 5.0)
    disk = np.where((x - 90) ** 2 + (y - 40) ** 2 < 15**2, 3.0, 1.0)
    lum = base * texture * disk
    tint = np.stack([np.ones_like(lum), 0.9 + 0.1 * y / h, 0.8 + 0.2 * x / w], axis=-1)
    ref = (lum[..., None] * tint).astype(np.float32)
    noise = (ref * (1 + 0.05 * rng.standard_normal(ref.shape))).clip(1e-4).astype(np.float32)
    blur = np.stack([gaussian_filter(ref[..., c], 1.5, mode="reflect") for c in range(3)], -1).astype(
        np.float32
    )
    gain = (ref * 1.3).astype(np.float32)
    return [
        Pair("synthetic_noise", noise, ref),
        Pair("synthetic_blur", blur, ref),
        Pair("synthetic_gain", gain, ref),
    ]


def read_pairs(folder: str | Path, primaries: str = "bt709") -> list[Pair]:
    """Pairs from ``folder``, in one of three layouts (checked in this order):

    * ``cases.json``: {name: {"test": file, "reference": file}} with files relative to the folder;
    * subfolders ``test/`` and ``ref/`` whose images are matched by stem;
    * files ``<scene>__ref.<ext>`` and ``<scene>__<distortion>.<ext>``: every non-reference file is
      scored against its scene's reference.

    Images: .exr/.hdr/.pfm/.npy, linear RGB in cd/m^2 (``primaries`` for files that do not say).
    """
    from bench.metrics.inputs import SCORE_EXTENSIONS, common_primaries, load_for_scoring, pair_folders

    root = Path(folder)
    if not root.is_dir():
        raise ImageError(root, "no such folder", "a folder of image pairs (see itmn-bench crosscheck --help)")

    def load(tp: Path, rp: Path, name: str) -> Pair:
        t, r, prim = common_primaries(load_for_scoring(tp, primaries), load_for_scoring(rp, primaries))
        return Pair(name, t, r, prim)

    cases = root / "cases.json"
    if cases.is_file():
        try:
            spec = json.loads(cases.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImageError(cases, f"not valid JSON ({exc})", "{name: {test, reference}}") from None
        if not isinstance(spec, dict):
            raise ImageError(cases, f"a JSON {type(spec).__name__}", "an object {name: {test, reference}}")
        out = []
        for name, c in spec.items():
            try:
                tp, rp = root / c["test"], root / c["reference"]
            except (KeyError, TypeError):
                raise ImageError(
                    cases, f"entry {name!r} lacks 'test' or 'reference'", "{name: {test, reference}}"
                ) from None
            out.append(load(tp, rp, name))
        return out
    if (root / "test").is_dir() and (root / "ref").is_dir():
        pairs, _ = pair_folders(root / "test", root / "ref")
        return [load(tp, rp, stem) for stem, tp, rp in pairs]
    files = [p for p in list_folder(root, SCORE_EXTENSIONS).files if "__" in p.stem]
    refs = {p.stem.rsplit("__", 1)[0]: p for p in files if p.stem.endswith("__ref")}
    out = []
    for p in files:
        scene, _, kind = p.stem.rpartition("__")
        if kind == "ref":
            continue
        if scene not in refs:
            raise ImageError(p, f"no reference {scene}__ref.<ext> beside it", "a <scene>__ref file per scene")
        out.append(load(p, refs[scene], p.stem))
    if not out:
        raise ImageError(
            root,
            "no image pairs found",
            "cases.json, or test/ and ref/ subfolders, or <scene>__ref.<ext> + <scene>__<name>.<ext> files",
        )
    return out


# --------------------------------------------------------------------------- metric checks
def crosscheck_metrics(
    pairs: Iterable[Pair],
    metrics: Sequence[str],
    backend: str,
    ppd: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> list[Check]:
    """Score every pair with every metric natively and with ``backend``; one :class:`Check` per
    value (and per secondary number of :data:`SECONDARY`)."""
    from bench.metrics.registry import get_metric

    ms = [get_metric(n) for n in metrics]
    for m in ms:
        m.check_backend(backend)
    checks: list[Check] = []
    for pair in pairs:
        for m in ms:
            if progress:
                progress(f"{pair.name}: {m.name}")
            nat = m(pair.test, pair.ref, pair.primaries, ppd)
            abs_tol, rel_tol = m.crosscheck_tol
            try:
                org = m(pair.test, pair.ref, pair.primaries, ppd, backend=backend)
            except BackendCallError as exc:  # the original failed on this pair: say so, go on
                checks.append(
                    Check(
                        pair.name,
                        m.name,
                        nat.value,
                        math.nan,
                        math.nan,
                        _tol_text(abs_tol, rel_tol),
                        False,
                        str(exc),
                    )
                )
                continue
            d, ok = within(nat.value, org.value, abs_tol, rel_tol)
            checks.append(Check(pair.name, m.name, nat.value, org.value, d, _tol_text(abs_tol, rel_tol), ok))
            for key, (a, r) in SECONDARY.get(m.name, {}).items():
                if key in nat.extras and key in org.extras:
                    nv, ov = float(nat.extras[key]), float(org.extras[key])
                    d, ok = within(nv, ov, a, r)
                    checks.append(Check(pair.name, f"{m.name}.{key}", nv, ov, d, _tol_text(a, r), ok))
    return checks


# --------------------------------------------------------------------------- operator checks
def synthetic_ldr(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Built-in LDR inputs for the operators: an odd-size gradient scene with saturated regions,
    8-bit quantized like a real LDR image."""
    rng = np.random.default_rng(seed)
    h, w = 61, 87
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    lum = (x / (w - 1)) ** 0.8 * 1.3 + 0.05 * rng.standard_normal((h, w))
    img = np.stack([lum, lum * (0.8 + 0.2 * y / h), lum * 0.9], -1).clip(0, 1)
    img[10:20, 50:70] = 1.0  # a saturated patch for Kovaleski-Oliveira's mask
    return [("synthetic_ldr", (np.floor(img * 255 + 0.5) / 255).astype(np.float64))]


def read_ldr_folder(folder: str | Path) -> list[tuple[str, np.ndarray]]:
    """8-bit (or 16-bit) PNG/JPEG/TIFF images as [0, 1] code values, as MATLAB's double(imread)/255."""
    from itmn.hdrio import read_ldr

    root = Path(folder)
    files = list_folder(root, (".png", ".jpg", ".jpeg", ".tif", ".tiff")).files
    if not files:
        raise ImageError(root, "no PNG/JPEG/TIFF images", "LDR images to expand")
    return [(p.stem, np.asarray(read_ldr(p), dtype=np.float64)) for p in files]


def relative_errors(native: np.ndarray, original: np.ndarray) -> np.ndarray:
    """|native - original| / |original|, absolute where the original is 0 (as the reference
    outputs' README specifies)."""
    nat = np.asarray(native, np.float64).ravel()
    org = np.asarray(original, np.float64).ravel()
    diff = np.abs(nat - org)
    nz = org != 0
    out = diff.copy()
    out[nz] = diff[nz] / np.abs(org[nz])
    return out


def crosscheck_methods(
    images: Iterable[tuple[str, np.ndarray]],
    methods: Sequence[str],
    backend: str,
    progress: Callable[[str], None] | None = None,
) -> list[Check]:
    """Run the toolbox operators (default parameters of the registry) natively and with
    ``backend`` on each LDR image; compare the raw outputs (median and 99th percentile of the
    relative error)."""
    from baselines import huo, kovaleski
    from baselines.registry import get_method
    from itmn.originals import huo_original, kovaleski_original

    fns: dict[str, Callable[[np.ndarray, str], np.ndarray]] = {}
    for name in methods:
        if name not in EO_METHODS:
            raise ConfigError(
                f"method {name!r} has no original to crosscheck; choose from {', '.join(EO_METHODS)}"
            )
        p = dict(get_method(name).info.params)
        p.pop("backend", None)
        if name == "huo":

            def run_huo(img: np.ndarray, b: str, p: dict = p) -> np.ndarray:
                if b == "native":
                    return huo.huo_physiological(img, p["l_peak"], p["n"], p["gamma"], logmean_delta=p["logmean_delta"])
                return huo_original(img, p["l_peak"], p["n"], p["gamma"], backend=b)

            fns[name] = run_huo
        else:

            def run_ko(img: np.ndarray, b: str, p: dict = p) -> np.ndarray:
                if b == "native":
                    return kovaleski.kovaleski_oliveira(img, **p)
                args = (p["mode"], p["sigma_s"], p["sigma_r"], p["d_min"], p["d_max"], p["gamma"], p["variant"])
                return kovaleski_original(img, *args, backend=b)[0]

            fns[name] = run_ko
    checks: list[Check] = []
    med_tol, p99_tol = EO_TOL
    for case, img in images:
        for name, fn in fns.items():
            if progress:
                progress(f"{case}: {name}")
            rel = relative_errors(fn(img, "native"), fn(img, backend))
            med, p99 = float(np.median(rel)), float(np.percentile(rel, 99))
            # native and original are whole images here: the statistic is the row's difference
            checks.append(
                Check(
                    case,
                    f"{name} output, median rel. error",
                    math.nan,
                    math.nan,
                    med,
                    f"<= {med_tol:g}",
                    med <= med_tol,
                )
            )
            checks.append(
                Check(
                    case,
                    f"{name} output, p99 rel. error",
                    math.nan,
                    math.nan,
                    p99,
                    f"<= {p99_tol:g}",
                    p99 <= p99_tol,
                )
            )
    return checks


def checks_table(checks: Sequence[Check]) -> list[dict[str, object]]:
    """Rows for a CSV/JSON/table."""
    return [{**asdict(c), "verdict": "PASS" if c.ok else ("ERROR" if c.note else "FAIL")} for c in checks]
