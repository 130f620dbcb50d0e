"""The original MATLAB implementations behind the suite's metrics and baselines, run through an
engine (:mod:`bench.backends.engine`) from the user's own copy of the code.

Where the user's copies are (never downloaded or vendored by the suite):

=====================  =========================  ============================================
code                   setting (environment)      folder to point at
=====================  =========================  ============================================
HDR-VDP 2.2.2          ``ITMN_HDRVDP_PATH``       the folder holding ``hdrvdp.m``
HDR-VDP 3.0.7          ``ITMN_HDRVDP3_PATH``      the folder holding ``hdrvdp3.m``
HDR Toolbox            ``ITMN_HDRTOOLBOX_PATH``   the toolbox root (its subfolders are added)
PU21 (gfxdisp/pu21)    ``ITMN_PU21_PATH``         the folder holding ``pu21_metric.m``
=====================  =========================  ============================================

The command-line options ``--hdrvdp-path``, ``--hdrvdp3-path``, ``--hdrtoolbox-path`` and ``--pu21-path`` set the
same variables. Engines are started once per (backend, code) and reused for the process.

Every function here takes the images already converted the protocol's way (the registry and
the method wrapper do that), so a difference between a native and an original score is a
difference between the two implementations of the metric or operator, nothing else.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.backends.engine import BackendError, Engine, check_backend_name, get_engine


@dataclass(frozen=True)
class CodeBase:
    """A body of original code the user provides."""

    key: str
    title: str
    env: str
    option: str
    marker: str  # a function that must be found in the folder
    recursive: bool  # add subfolders (genpath)
    where: str  # where to get it (for error messages; the suite does not fetch it)


CODEBASES: dict[str, CodeBase] = {
    "hdrvdp": CodeBase(
        "hdrvdp",
        "HDR-VDP 2.2.2",
        "ITMN_HDRVDP_PATH",
        "--hdrvdp-path",
        "hdrvdp",
        False,
        "https://sourceforge.net/projects/hdrvdp/files/hdrvdp/2.2.2/ (version 2.2.2; hdrvdp_version() = 2.22)",
    ),
    "hdrvdp3": CodeBase(
        "hdrvdp3",
        "HDR-VDP 3.0.7",
        "ITMN_HDRVDP3_PATH",
        "--hdrvdp3-path",
        "hdrvdp3",
        False,
        "https://sourceforge.net/projects/hdrvdp/files/hdrvdp/3.0.7/ (hdrvdp_version() = 3.07; a public copy: "
        "github libjxl/codec-comparison @ a086562, folder hdrvdp-3.0.7)",
    ),
    "hdrtoolbox": CodeBase(
        "hdrtoolbox",
        "HDR Toolbox",
        "ITMN_HDRTOOLBOX_PATH",
        "--hdrtoolbox-path",
        "HuoPhysEO",
        True,
        "https://github.com/banterle/HDR_Toolbox",
    ),
    "pu21": CodeBase(
        "pu21",
        "PU21",
        "ITMN_PU21_PATH",
        "--pu21-path",
        "pu21_metric",
        False,
        "https://github.com/gfxdisp/pu21 (its matlab/ folder)",
    ),
}

#: the code base each metric's original comes from
METRIC_CODEBASE = {
    "hdrvdp2": "hdrvdp",
    "hdrvdp3": "hdrvdp3",
    "mpsnr_toolbox": "hdrtoolbox",
    "pu21_psnr": "pu21",
    "pu21_ssim": "pu21",
}


def configured_original_metrics() -> list[str]:
    """The metrics whose original code base is configured (its environment variable set), in
    registry order; BackendError naming the variables when there is none."""
    from bench.metrics.registry import list_metrics

    names = [
        m.name
        for m in list_metrics()
        if m.original is not None and os.environ.get(CODEBASES[METRIC_CODEBASE.get(m.name, "hdrvdp")].env)
    ]
    if not names:
        envs = ", ".join(cb.env for cb in CODEBASES.values())
        raise BackendError(
            "no original code is configured: set one of "
            f"{envs} (or --hdrvdp-path/--hdrtoolbox-path/--pu21-path) to your copy, or name the metrics"
        )
    return names


#: HDR-VDP version whose numbers the suite's port reproduces (hdrvdp_version() of 2.2.2).
HDRVDP_EXPECTED_VERSION = 2.22
#: HDR-VDP-3 version whose numbers the suite's hdrvdp3 port reproduces (hdrvdp_version() of 3.0.7).
HDRVDP3_EXPECTED_VERSION = 3.07

_ENGINES: dict[tuple[str, str], tuple[Engine, Path]] = {}


def code_path(key: str) -> Path:
    """The folder of the user's copy of ``key`` (see the table above); BackendError if unset or wrong."""
    cb = CODEBASES[key]
    raw = os.environ.get(cb.env, "").strip()
    if not raw:
        raise BackendError(
            f"no copy of {cb.title} is configured: set {cb.env} (or pass {cb.option}) to the folder with "
            f"{cb.marker}.m of your copy; the suite does not download or ship it. Get it from {cb.where}"
        )
    p = Path(raw).expanduser()
    if not p.is_dir():
        raise BackendError(f"{cb.env}={raw}: not a folder")
    found = next(iter(p.rglob(f"{cb.marker}.m")), None) if cb.recursive else p / f"{cb.marker}.m"
    if found is None or not found.is_file():
        raise BackendError(
            f"{cb.env}={raw}: {cb.marker}.m not found there"
            + (" (searched its subfolders)" if cb.recursive else "")
            + f"; point it at your copy of {cb.title} ({cb.where})"
        )
    return p.resolve()


def engine_for(key: str, backend: str) -> tuple[Engine, Path]:
    """The (cached) engine of ``backend`` with the user's copy of ``key`` on its path."""
    check_backend_name(backend)
    if backend == "native":
        raise BackendError("backend 'native' runs the suite's own code; no original is involved")
    path = code_path(key)
    cache_key = (backend, f"{key}:{path}")
    if cache_key not in _ENGINES:
        eng = get_engine(backend, [(path, CODEBASES[key].recursive)])
        _check_code(eng, key, path)
        _ENGINES[cache_key] = (eng, path)
    return _ENGINES[cache_key]


def _check_code(eng: Engine, key: str, path: Path) -> None:
    cb = CODEBASES[key]
    if eng.exists(cb.marker) == 0:
        raise BackendError(f"{eng.name} does not find {cb.marker} after adding {path} to its path")
    if key == "hdrvdp":
        if eng.exists("hdrvdp_version") == 0:
            raise BackendError(
                f"{path}: no hdrvdp_version.m, so this is not HDR-VDP 2.2.x; the suite's numbers are "
                f"those of HDR-VDP 2.2.2 ({cb.where})"
            )
        (ver,) = eng.call("hdrvdp_version")
        if not isinstance(ver, float) or abs(ver - HDRVDP_EXPECTED_VERSION) > 1e-9:
            raise BackendError(
                f"{path}: hdrvdp_version() says {ver!r}, expected {HDRVDP_EXPECTED_VERSION} (HDR-VDP 2.2.2); "
                f"other versions give other numbers. Get 2.2.2 from {cb.where}"
            )
    if key == "hdrvdp3":
        if eng.exists("hdrvdp_version") == 0:
            raise BackendError(f"{path}: no hdrvdp_version.m, so this is not HDR-VDP 3.0.x ({cb.where})")
        (ver,) = eng.call("hdrvdp_version")
        if not isinstance(ver, float) or abs(ver - HDRVDP3_EXPECTED_VERSION) > 1e-9:
            raise BackendError(
                f"{path}: hdrvdp_version() says {ver!r}, expected {HDRVDP3_EXPECTED_VERSION} (HDR-VDP 3.0.7); "
                f"other versions give other numbers. Get 3.0.7 from {cb.where}"
            )
        # hdrvdp3.m adds utils/ to the path itself when it runs
        if eng.name == "octave" and not (path / "utils" / "geomean.m").is_file() and eng.exists("geomean") == 0:
            raise BackendError(
                f"{path}: HDR-VDP 3 calls geomean (MATLAB's Statistics Toolbox), which this Octave lacks: add "
                "utils/geomean.m to your copy with the body 'm = exp(mean(log(x)));' (docs/backends-hdrvdp3.md)"
            )


def close_engines() -> None:
    """Close every cached engine (called at exit)."""
    while _ENGINES:
        _, (eng, _) = _ENGINES.popitem()
        try:
            eng.close()
        except Exception:  # noqa: BLE001 - closing at exit must not raise
            pass


atexit.register(close_engines)


def describe(key: str, backend: str) -> str:
    """``'original HDR-VDP 2.2.2 via Octave 7.3.0 (/path)'`` for configuration strings."""
    eng, path = engine_for(key, backend)
    return f"original {CODEBASES[key].title} via {eng.version()} ({path})"


def _f64(x: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64))


# --------------------------------------------------------------------------- metrics
def hdrvdp2_original(
    test: np.ndarray,
    ref: np.ndarray,
    *,
    ppd: float,
    color_encoding: str,
    backend: str,
    return_maps: bool = True,
) -> dict[str, Any]:
    """``hdrvdp(test, ref, color_encoding, ppd)`` of the user's HDR-VDP 2.2.2 with default
    options, in double precision. Returns {Q, P_det, C_max, P_map, C_map, config}."""
    eng, _ = engine_for("hdrvdp", backend)
    (res,) = eng.call("hdrvdp", _f64(test), _f64(ref), color_encoding, float(ppd))
    out = {k: float(res[k]) for k in ("Q", "P_det", "C_max")}
    out["P_map"] = np.asarray(res["P_map"]) if return_maps else None
    out["C_map"] = np.asarray(res["C_map"]) if return_maps else None
    out["config"] = f"hdrvdp2 2.2.2 | {color_encoding} | ppd={ppd:.10g} | {describe('hdrvdp', backend)}"
    return out


def hdrvdp3_original(
    test: np.ndarray,
    ref: np.ndarray,
    *,
    task: str,
    ppd: float,
    color_encoding: str,
    backend: str,
    return_maps: bool = True,
) -> dict[str, Any]:
    """``hdrvdp3(task, test, ref, color_encoding, ppd)`` of the user's HDR-VDP 3.0.7 with default
    options, in double precision. Returns {Q, Q_JOD, P_det, C_max, P_map, C_map, config}."""
    eng, _ = engine_for("hdrvdp3", backend)
    (res,) = eng.call("hdrvdp3", task, _f64(test), _f64(ref), color_encoding, float(ppd))
    out: dict[str, Any] = {k: float(res[k]) for k in ("Q", "Q_JOD", "P_det", "C_max")}
    out["P_map"] = np.asarray(res["P_map"]) if return_maps else None
    out["C_map"] = np.asarray(res["C_map"]) if return_maps else None
    out["config"] = (
        f"hdrvdp3 3.0.7 | {task} | {color_encoding} | ppd={ppd:.10g} | {describe('hdrvdp3', backend)}"
    )
    return out


def mpsnr_toolbox_original(
    test: np.ndarray, ref: np.ndarray, *, backend: str
) -> tuple[float, dict[str, Any]]:
    """``[mpsnr, eMax, eMin] = mPSNR(ref, test)`` of the user's HDR Toolbox (linear BT.709 cd/m^2)."""
    eng, _ = engine_for("hdrtoolbox", backend)
    value, e_max, e_min = eng.call("mPSNR", _f64(ref), _f64(test), nargout=3)
    return float(value), {
        "e_min": float(e_min),
        "e_max": float(e_max),
        "implementation": describe("hdrtoolbox", backend),
    }


def pu21_original(test: np.ndarray, ref: np.ndarray, metric: str, *, backend: str) -> float:
    """``pu21_metric(test, ref, metric)`` of the user's PU21 copy (metric 'PSNR', 'PSNRY', 'SSIM')."""
    eng, _ = engine_for("pu21", backend)
    (value,) = eng.call("pu21_metric", _f64(test), _f64(ref), metric)
    return float(value)


# --------------------------------------------------------------------------- baselines
def huo_original(
    img: np.ndarray, l_peak: float, n: float, gamma: float | None, *, backend: str
) -> np.ndarray:
    """``HuoPhysEO(img, l_peak, n, gamma)`` of the user's HDR Toolbox (gamma None -> -1, the
    toolbox's 'already linear'). Returns what the function returns, float64."""
    eng, _ = engine_for("hdrtoolbox", backend)
    g = -1.0 if gamma is None else float(gamma)
    (out,) = eng.call("HuoPhysEO", _f64(img), float(l_peak), float(n), g)
    return np.asarray(out, dtype=np.float64)


def kovaleski_original(
    img: np.ndarray,
    mode: str,
    sigma_s: float,
    sigma_r: float,
    d_min: float,
    d_max: float,
    gamma: float | None,
    variant: str,
    *,
    backend: str,
) -> tuple[np.ndarray, np.ndarray]:
    """``[out, e_map] = KovaleskiOliveiraEO(img, mode, sigma_s, sigma_r, d_min, d_max, gamma)`` of
    the user's HDR Toolbox.

    The toolbox has no version switch: which variant it computes depends on the copy (the
    brightness map is 3E+1 in [1, 4] before 2019-08-12 and (3E+1)/4 in [1/4, 1] since). The map
    tells them apart, and a copy that computes the other variant than ``variant`` is refused,
    so that a number labelled 2017 is never a 2019 one.
    """
    eng, path = engine_for("hdrtoolbox", backend)
    g = -1.0 if gamma is None else float(gamma)
    out, e_map = eng.call(
        "KovaleskiOliveiraEO",
        _f64(img),
        mode,
        float(sigma_s),
        float(sigma_r),
        float(d_min),
        float(d_max),
        g,
        nargout=2,
    )
    e_map = np.asarray(e_map, dtype=np.float64)
    found = detect_ko_variant(e_map)
    if found is not None and found != variant:
        raise BackendError(
            f"the HDR Toolbox at {path} computes the {found} variant of KovaleskiOliveiraEO (brightness map in "
            f"[{e_map.min():.4g}, {e_map.max():.4g}]), but the {variant} variant was asked for: use "
            f"--param variant={found} (method {'ko' if found == '2017' else 'ko-2019'}) or a toolbox checkout "
            f"{'before' if variant == '2017' else 'from'} 2019-08-12"
        )
    return np.asarray(out, dtype=np.float64), e_map


def detect_ko_variant(e_map: np.ndarray) -> str | None:
    """'2017' if the brightness map lies in [1, 4], '2019' if in [1/4, 1], None if it cannot tell
    (every value exactly 1, or outside both ranges)."""
    lo, hi = float(np.min(e_map)), float(np.max(e_map))
    eps = 1e-9
    in17 = lo >= 1 - eps and hi <= 4 + eps
    in19 = lo >= 0.25 - eps and hi <= 1 + eps
    if in17 and not in19:
        return "2017"
    if in19 and not in17:
        return "2019"
    return None
