"""PU21 encoding and PU21-PSNR / PU21-SSIM (bench.metrics.pu21).

Golden values: ../shared/reference/metrics-synthetic (columns pu21_psnr_rgb, pu21_psnr_y,
pu21_ssim) and metrics-real (pu21_psnr, pu21_psnry, pu21_ssim), produced by gfxdisp/pu21 @ 78340c0
``pu21_metric(test, ref, 'PSNR' / 'PSNRY' / 'SSIM')`` under GNU Octave 7.3 (see the READMEs).
Tolerances (README): PSNR 1e-6 dB, SSIM 1e-4.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from itmn_test_support import reference_rows  # registered by tests/conftest.py

from bench.metrics.pu21 import (
    PU21_PARAMS,
    pu21_decode,
    pu21_encode,
    pu21_luminance,
    pu21_psnr,
    pu21_psnr_y,
    pu21_ssim,
)
from itmn.errors import ImageError

SYN = "reference/metrics-synthetic"
REAL = "reference/metrics-real"


def _check(got: float, want: str, tol: float) -> None:
    w = float(want)
    if math.isinf(w):
        assert got == w
    else:
        assert abs(got - w) <= tol, (got, w)


@pytest.mark.calibration
@pytest.mark.parametrize("row", reference_rows(f"{SYN}/reference_scores.csv", ("pair",)))
def test_synthetic_reference_scores(shared: Path, row: dict) -> None:
    base = shared / SYN
    test, ref = np.load(base / row["test_file"]), np.load(base / row["reference_file"])
    _check(pu21_psnr(test, ref), row["pu21_psnr_rgb"], 1e-6)
    _check(pu21_psnr_y(test, ref), row["pu21_psnr_y"], 1e-6)
    _check(pu21_ssim(test, ref), row["pu21_ssim"], 1e-4)


@pytest.mark.calibration
@pytest.mark.parametrize("row", reference_rows(f"{REAL}/reference_scores.csv", ("image", "variant")))
def test_real_reference_scores(shared: Path, row: dict) -> None:
    base = shared / REAL
    test, ref = np.load(base / row["test_file"]), np.load(base / row["ref_file"])
    _check(pu21_psnr(test, ref), row["pu21_psnr"], 1e-6)
    _check(pu21_psnr_y(test, ref), row["pu21_psnry"], 1e-6)
    _check(pu21_ssim(test, ref), row["pu21_ssim"], 1e-4)


# --------------------------------------------------------------------------- encoding
def test_encoding_maps_100_nits_near_256() -> None:
    # pu21_encoder.m: "100 [nit] is mapped to 256 to mimic the input to SDR quality metrics"
    assert float(pu21_encode(100.0)) == pytest.approx(256.0, abs=1.0)


def test_encoding_is_increasing_and_inverted_by_decode() -> None:
    y = np.logspace(np.log10(0.005), 4, 200)
    v = pu21_encode(y)
    assert np.all(np.diff(v) > 0)
    np.testing.assert_allclose(pu21_decode(v), y, rtol=1e-9)


def test_encoding_clamps_to_its_luminance_range() -> None:
    v = pu21_encode(np.array([0.0, 0.001, 0.005, 10000.0, 5e4]))
    assert v[0] == v[1] == v[2]
    assert v[3] == v[4]


def test_encoding_formula_written_out() -> None:
    # V = p7 * (((p1 + p2 Y^p4) / (1 + p3 Y^p4))^p5 - p6), here at Y = 1000 cd/m^2
    p1, p2, p3, p4, p5, p6, p7 = PU21_PARAMS["banding_glare"]
    want = p7 * (((p1 + p2 * 1000.0**p4) / (1 + p3 * 1000.0**p4)) ** p5 - p6)
    assert float(pu21_encode(1000.0)) == pytest.approx(want, rel=1e-15)
    assert float(pu21_encode(1000.0, kind="banding")) != pytest.approx(want, rel=1e-3)
    with pytest.raises(ValueError, match="unknown PU21 type"):
        pu21_encode(1.0, kind="nope")  # type: ignore[arg-type]


def test_luminance_weights_are_pu21s_own() -> None:
    rgb = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    np.testing.assert_array_equal(pu21_luminance(rgb), [[0.212656, 0.715158, 0.072186]])


# --------------------------------------------------------------------------- metrics
def _hdr(rng: np.random.Generator, h: int = 40, w: int = 56) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.exp(np.log(0.01) + (np.log(3000.0) - np.log(0.01)) * (xx + yy) / (h + w - 2))
    return base[..., None] * rng.uniform(0.6, 1.0, (h, w, 3))


def test_psnr_definition_peak_256_over_all_channels(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    test = ref * 1.2
    mse = np.mean((pu21_encode(test) - pu21_encode(ref)) ** 2)
    assert pu21_psnr(test, ref) == pytest.approx(10 * np.log10(256.0**2 / mse), abs=1e-10)


def test_identical_images(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    assert pu21_psnr(ref, ref.copy()) == math.inf
    assert pu21_psnr_y(ref, ref.copy()) == math.inf
    assert pu21_ssim(ref, ref.copy()) == 1.0


def test_values_below_the_black_level_do_not_count(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    ref[:5] = 0.001
    test = ref.copy()
    test[:5] = 0.004  # both clamp to 0.005 cd/m^2
    assert pu21_psnr(test, ref) == math.inf


def test_monotone_in_noise(rng: np.random.Generator) -> None:
    ref = _hdr(rng, 64, 64)
    noise = rng.standard_normal(ref.shape)
    degraded = [np.maximum(ref * (1 + s * noise), 0.0) for s in (0.01, 0.05, 0.2)]
    for f in (pu21_psnr, pu21_psnr_y, pu21_ssim):
        vals = [f(t, ref) for t in degraded]
        assert all(a > b for a, b in zip(vals, vals[1:])), (f.__name__, vals)


def test_refuses_relative_or_code_value_images(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    with pytest.raises(ImageError, match="test image: values lie in .*normalized"):
        pu21_psnr(ref / ref.max(), ref)
    with pytest.raises(ImageError, match="negative"):
        pu21_ssim(ref - 10.0, ref)
