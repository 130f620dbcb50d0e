"""Calls of the original MATLAB functions behind the suite's metrics and operators, through the
engine of :mod:`itmn.originals.codebases`.

Every function here takes the images already converted the protocol's way (the metric registry
and the method registry do that), so a difference between a native and an original result is a
difference between the two implementations of the metric or operator, nothing else. The bridge
knows nothing of the suite's own ports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from itmn.originals.codebases import describe, engine_for
from itmn.originals.engine import BackendError


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
    out: dict[str, Any] = {k: float(res[k]) for k in ("Q", "P_det", "C_max")}
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
