"""Speed of the classical operators at 1920 x 1080 (``python -m bench.perf --only baselines``).

Rows (format of :mod:`bench.perf`): Huo and Kovaleski-Oliveira end to end, and the bilateral grid
alone, each against a *straightforward* version measured in the same run on the same image:
``np.add.at`` scatter, the full 27-tap ``scipy.ndimage.convolve``, ``scipy.ndimage.map_coordinates``
for the trilinear slicing, ``np.power`` on float64 and the toolbox's ``(img .* Lnew) ./ Lold``.
The two compute the same thing (checked here to 1e-9 relative before timing), so the ratio is
the speed-up of the vectorized implementation. Times are the best of ``repeats`` runs, wall clock
and process CPU time; the machine is shared, so the load average is recorded with each row.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

TARGET_S = 0.5
SHAPE = (1080, 1920)


def bench_image(seed: int = 0) -> np.ndarray:
    """A 1920 x 1080 8-bit LDR scene: smooth gradients, noise, and a clipped highlight (float32 k/255)."""
    rng = np.random.default_rng(seed)
    h, w = SHAPE
    y = np.linspace(0.0, 1.0, h)[:, None, None]
    x = np.linspace(0.0, 1.0, w)[None, :, None]
    img = (
        0.5 + 0.45 * np.sin(6 * x + 3 * y + np.array([0.0, 1.0, 2.0])) + 0.05 * rng.standard_normal((h, w, 3))
    )
    img[200:400, 1300:1700] = 1.0
    return (np.rint(np.clip(img, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


# --------------------------------------------------------------------------- straightforward versions
def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def plain_bilateral(data: np.ndarray, edge: np.ndarray, s_s: float, s_r: float) -> np.ndarray:
    """The toolbox's grid filter written the obvious way (edge range [0, 1])."""
    from scipy import ndimage

    h, w = data.shape
    shape = (int((h - 1) // s_s) + 7, int((w - 1) // s_s) + 7, int(np.floor(1.0 / s_r)) + 7)
    grid_d, grid_w = np.zeros(shape), np.zeros(shape)
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    cells = (
        _round_half_away(ii / s_s).astype(int) + 3,
        _round_half_away(jj / s_s).astype(int) + 3,
        _round_half_away(edge / s_r).astype(int) + 3,
    )
    np.add.at(grid_d, cells, data)
    np.add.at(grid_w, cells, 1.0)
    o = np.arange(3) - 1
    gx, gy, gz = np.meshgrid(o, o, o, indexing="ij")
    kernel = np.exp(-0.5 * (gx**2 + gy**2 + gz**2))
    bd = ndimage.convolve(grid_d, kernel, mode="constant")
    bw = ndimage.convolve(grid_w, kernel, mode="constant")
    norm = np.where(bw == 0, 0.0, bd / np.where(bw == 0, 1.0, bw))
    return ndimage.map_coordinates(norm, [ii / s_s + 3, jj / s_s + 3, edge / s_r + 3], order=1)


def _plain_change_luminance(img: np.ndarray, l_old: np.ndarray, l_new: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = img * l_new[..., None] / l_old[..., None]
    out[~np.isfinite(out)] = 0.0
    return out


def _lum(img: np.ndarray) -> np.ndarray:
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


def plain_huo(img: np.ndarray) -> np.ndarray:
    lin = img.astype(np.float64) ** 2.2
    lum = _lum(lin)
    sigma_l = np.exp(np.mean(np.log(lum + 1e-6)))
    first = plain_bilateral(lum, lum, 16.0, 0.3)
    ls = plain_bilateral(first, first, 10.0, 0.1)
    lexp = (lum / lum.max()) * ((1000.0 * ls) ** 0.86 + (1000.0 * sigma_l) ** 0.86) ** (1 / 0.86)
    return _plain_change_luminance(lin, lum, lexp)


def plain_ko(img: np.ndarray) -> np.ndarray:
    lin = img.astype(np.float64) ** 2.2
    lum = _lum(lin)
    mask = (lin.max(axis=2) > (254 / 255) ** 2.2).astype(np.float64)
    e_map = 3.0 * plain_bilateral(mask, lum, 150.0, (25 / 255) ** 2.2) + 1.0
    return _plain_change_luminance(lin, lum, (lum * (1200.0 - 0.3) + 0.3) * e_map)


# --------------------------------------------------------------------------- timing
def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(best wall-clock seconds, process CPU seconds of that run) over ``repeats`` runs after a warm-up."""
    fn()
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if wall < best[0]:
            best = (wall, cpu)
    return best


def _agree(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(b), 1e-12)
    return float(np.max(np.where(b == 0, np.abs(a), np.abs(a - b) / scale)))


def run(args: argparse.Namespace) -> list[dict]:
    from baselines.bilateral import bilateral_grid
    from baselines.huo import huo_physiological
    from baselines.kovaleski import kovaleski_oliveira

    quick = bool(getattr(args, "quick", False))
    repeats = 2 if quick else 5
    base_repeats = 1 if quick else 2
    img = bench_image()
    lum = _lum(img.astype(np.float64) ** 2.2)

    cases = [
        (
            "huo 1920x1080 (HuoPhysEO)",
            lambda: huo_physiological(img, 1000.0),
            lambda: plain_huo(img),
            f"<= {TARGET_S} s",
        ),
        (
            "ko 1920x1080 (KovaleskiOliveiraEO 2017)",
            lambda: kovaleski_oliveira(img),
            lambda: plain_ko(img),
            f"<= {TARGET_S} s",
        ),
        (
            "bilateral grid 1920x1080 s=16 r=0.3",
            lambda: bilateral_grid(lum, edge_min=0.0, edge_max=1.0, sigma_s=16.0, sigma_r=0.3),
            lambda: plain_bilateral(lum, lum, 16.0, 0.3),
            None,
        ),
    ]
    rows = []
    for name, fast, plain, target in cases:
        agreement = _agree(fast(), plain())
        if agreement > 1e-9:
            raise RuntimeError(
                f"{name}: fast and straightforward versions differ by {agreement:.3g} (relative)"
            )
        wall, cpu = best_time(fast, repeats)
        base_wall, base_cpu = best_time(plain, base_repeats)
        rows.append(
            {
                "name": name,
                "value": wall,
                "unit": "s",
                "cpu_s": cpu,
                "baseline": base_wall,
                "baseline_cpu_s": base_cpu,
                "baseline_name": "straightforward numpy/scipy version, same run",
                "ratio": wall / base_wall,
                "target": target,
                "max_rel_difference": agreement,
                "repeats": repeats,
                "load_average_1min": os.getloadavg()[0],
            }
        )
    return rows
