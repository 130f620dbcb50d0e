"""The operators against an independent, deliberately plain re-implementation, on inputs the
reference folder does not have (random sizes, sigmas, edge ranges, quantized and unquantized
images, NaN data).

The independent version shares no code with ``baselines``: MATLAB's round via Python's
``decimal`` (ROUND_HALF_UP = half away from zero, exact on the binary value), the scatter with
``np.add.at``, the blur with ``scipy.ndimage.convolve`` and the full 27-tap kernel, the slicing
with ``scipy.ndimage.map_coordinates`` (order 1 = trilinear), the operators straight from the
formulas of the toolbox's documentation. Agreement measured: <= 3e-15 relative; bound 1e-12.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from scipy import ndimage

from baselines.akyuz import akyuz_linear
from baselines.bilateral import bilateral_grid
from baselines.huo import huo_physiological
from baselines.kovaleski import kovaleski_oliveira

RTOL = 1e-12

_round_half_away = np.vectorize(
    lambda v: float(Decimal(float(v)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
)


def plain_bilateral(data, edge, edge_min, edge_max, s_s, s_r):
    edge = data if edge is None else edge
    h, w = data.shape
    shape = (int((h - 1) // s_s) + 7, int((w - 1) // s_s) + 7, int(np.floor((edge_max - edge_min) / s_r)) + 7)
    grid_d, grid_w = np.zeros(shape), np.zeros(shape)
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    ci = _round_half_away(ii / s_s).astype(int) + 3
    cj = _round_half_away(jj / s_s).astype(int) + 3
    ck = _round_half_away((edge - edge_min) / s_r).astype(int) + 3
    ok = ~np.isnan(data)
    np.add.at(grid_d, (ci[ok], cj[ok], ck[ok]), data[ok])
    np.add.at(grid_w, (ci[ok], cj[ok], ck[ok]), 1.0)
    o = np.arange(3) - 1
    x, y, z = np.meshgrid(o, o, o, indexing="ij")
    kernel = np.exp(-0.5 * (x**2 + y**2 + z**2))
    bd = ndimage.convolve(grid_d, kernel, mode="constant", cval=0.0)
    bw = ndimage.convolve(grid_w, kernel, mode="constant", cval=0.0)
    norm = np.where(bw == 0, 0.0, bd / np.where(bw == 0, 1.0, bw))
    coords = [ii / s_s + 3, jj / s_s + 3, (edge - edge_min) / s_r + 3]
    return ndimage.map_coordinates(norm, coords, order=1, mode="nearest")


def plain_lum(img):
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


def plain_change_luminance(img, l_old, l_new):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = img * l_new[..., None] / l_old[..., None]
    out[~np.isfinite(out)] = 0.0
    return out


def plain_huo(img, l_peak, n, gamma, delta):
    lin = img.astype(np.float64) ** gamma
    lum = plain_lum(lin)
    sigma_l = np.exp(np.mean(np.log(lum + delta)))
    ls = plain_bilateral(plain_bilateral(lum, None, 0, 1, 16, 0.3), None, 0, 1, 10, 0.1)
    lexp = (lum / lum.max()) * ((l_peak * ls) ** n + (l_peak * sigma_l) ** n) ** (1 / n)
    return plain_change_luminance(lin, lum, lexp)


def plain_ko(img, mode, s_s, s_r, d_min, d_max, gamma, variant):
    thr = (254 / 255 if mode == "image" else 230 / 255) ** gamma
    lin = img.astype(np.float64) ** gamma
    lum = plain_lum(lin)
    mask = (lin.max(axis=2) > thr).astype(np.float64)
    e = plain_bilateral(mask, lum, 0, 1, s_s, s_r**gamma)
    e_map = 3 * e + 1 if variant == "2017" else (3 * e + 1) / 4
    lexp = (lum * (d_max - d_min) + d_min) * e_map
    return plain_change_luminance(lin, lum, lexp), e_map


def plain_akyuz(img, k, a_gamma, gamma):
    lin = img.astype(np.float64) ** gamma
    lum = plain_lum(lin)
    lexp = k * ((lum - lum.min()) / (lum.max() - lum.min())) ** a_gamma
    return plain_change_luminance(lin, lum, lexp)


def assert_close(actual, expected, rtol=RTOL):
    assert actual.shape == expected.shape
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    scale = np.maximum(np.abs(expected), 1e-300)
    err = np.where(expected == 0, np.abs(actual), np.abs(actual - expected) / scale)
    assert np.nanmax(err) <= rtol, f"max relative difference {np.nanmax(err):.3g}"


def smooth_image(rng, h, w, quantized=True):
    """A smooth scene with texture and a clipped highlight, 8-bit quantized or not."""
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]
    base = 0.5 + 0.45 * np.sin(5 * x + 3 * y + np.array([0.0, 0.7, 1.9]))
    img = np.clip(base + 0.08 * rng.standard_normal((h, w, 3)), 0, 1)
    img[h // 4 : h // 2, w // 3 : w // 2] = 1.0
    return np.rint(img * 255) / 255 if quantized else img


@pytest.mark.parametrize(
    ("h", "w", "s_s", "s_r", "edge_range"),
    [
        (41, 57, 16.0, 0.3, (0.0, 1.0)),  # ties at rows/cols 8, 24, 40
        (33, 25, 10.0, 0.1, (0.0, 1.0)),  # ties at 5, 15, 25
        (80, 77, 150.0, (25 / 255) ** 2.2, (0.0, 1.0)),  # tie at 75
        (30, 45, 7.5, 0.25, (-2.0, 3.0)),  # non-integer sampling, edge range not [0, 1]
        (1, 19, 4.0, 0.2, (0.0, 1.0)),  # a single row
    ],
)
def test_bilateral_matches_plain_version(h, w, s_s, s_r, edge_range, rng):
    lo, hi = edge_range
    edge = lo + (hi - lo) * rng.random((h, w))
    data = rng.random((h, w)) * 3.0 - 1.0
    assert_close(
        bilateral_grid(edge, edge_min=lo, edge_max=hi, sigma_s=s_s, sigma_r=s_r),
        plain_bilateral(edge, None, lo, hi, s_s, s_r),
    )
    cross = bilateral_grid(data, edge, edge_min=lo, edge_max=hi, sigma_s=s_s, sigma_r=s_r)
    assert_close(cross, plain_bilateral(data, edge, lo, hi, s_s, s_r))


def test_bilateral_edge_just_outside_range_and_nan_data(rng):
    # Edge values up to one sigma_r outside [edge_min, edge_max] (negative range coordinates,
    # the general rounding path), range ties (edge exactly on k + 1/2 cells), NaN data.
    h, w, s_r = 24, 31, 0.125
    edge = rng.uniform(-s_r, 1 + s_r, (h, w))
    edge[::3, ::4] = (np.arange(8) + 0.5)[None, : edge[::3, ::4].shape[1]] * s_r
    edge[0, 0], edge[0, 1] = -s_r, 1 + s_r
    data = rng.random((h, w))
    data[rng.random((h, w)) < 0.3] = np.nan
    assert_close(
        bilateral_grid(data, edge, edge_min=0.0, edge_max=1.0, sigma_s=6.0, sigma_r=s_r),
        plain_bilateral(data, edge, 0.0, 1.0, 6.0, s_r),
    )


@pytest.mark.parametrize("quantized", [True, False])
@pytest.mark.parametrize(("l_peak", "n", "gamma", "delta"), [(1000, 0.86, 2.2, 1e-6), (400, 0.6, 2.4, 1e-3)])
def test_huo_matches_plain_version(rng, quantized, l_peak, n, gamma, delta):
    img = smooth_image(rng, 45, 70, quantized)
    out = huo_physiological(img, l_peak, n, gamma, logmean_delta=delta)
    assert_close(out, plain_huo(img, l_peak, n, gamma, delta))


@pytest.mark.parametrize("quantized", [True, False])
@pytest.mark.parametrize(
    ("mode", "s_s", "s_r", "d_min", "d_max", "gamma", "variant"),
    [
        ("image", 150, 25 / 255, 0.3, 1200, 2.2, "2017"),
        ("video", 20, 40 / 255, 0.0, 4000, 2.0, "2019"),
    ],
)
def test_ko_matches_plain_version(rng, quantized, mode, s_s, s_r, d_min, d_max, gamma, variant):
    img = smooth_image(rng, 50, 80, quantized).astype(np.float32)
    out, e_map = kovaleski_oliveira(img, mode, s_s, s_r, d_min, d_max, gamma, variant, return_map=True)
    ref_out, ref_map = plain_ko(img, mode, s_s, s_r, d_min, d_max, gamma, variant)
    assert_close(e_map, ref_map)
    assert_close(out, ref_out)


@pytest.mark.parametrize("a_gamma", [1.0, 0.5])
def test_akyuz_matches_plain_version(rng, a_gamma):
    img = smooth_image(rng, 20, 30).astype(np.float32)
    assert_close(akyuz_linear(img, 700.0, a_gamma, 2.2), plain_akyuz(img, 700.0, a_gamma, 2.2))


def test_plain_rounding_is_half_away_from_zero():
    # The independent version's own premise, checked on the values that matter.
    vals = np.array([0.5, 1.5, 2.5, -0.5, -1.5, np.nextafter(0.5, 0.0)])
    assert _round_half_away(vals).tolist() == [1.0, 2.0, 3.0, -1.0, -2.0, 0.0]
