"""mPSNR (bench.metrics.exposure_psnr).

Golden values: ../shared/reference/metrics-synthetic and metrics-real, produced by running the
original HDR Toolbox ``Metrics/mPSNR.m`` (banterle/HDR_Toolbox @ 5375d05) under GNU Octave 7.3 as
``mPSNR(ref, test)`` (see the READMEs there): ``mpsnr_hdrtoolbox`` / ``mpsnr_toolbox`` is the
toolbox's value, ``*_meanmse`` / ``mpsnr_avg`` the same exposures with the MSE averaged, plus the
exposure range; mpsnr_per_exposure.csv has the per-exposure MSE and keep decision.
Tolerance (README): 1e-6 dB; exposure ranges and keep decisions exactly.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from itmn_test_support import reference_rows  # registered by tests/conftest.py

from bench.metrics.exposure_psnr import (
    auto_exposure_range,
    exposure_series,
    matlab_round,
    mpsnr,
    mpsnr_details,
    mpsnr_toolbox,
    tone_map_8bit,
)
from itmn.errors import ImageError

TOL_DB = 1e-6


SYN = "reference/metrics-synthetic"
REAL = "reference/metrics-real"


def _close_db(got: float, want: str) -> bool:
    w = float(want)  # "Inf" parses to inf
    if math.isinf(w):
        return got == w
    return abs(got - w) <= TOL_DB


@pytest.mark.calibration
@pytest.mark.parametrize("row", reference_rows(f"{SYN}/reference_scores.csv", ("pair",)))
def test_synthetic_reference_scores(shared: Path, row: dict) -> None:
    base = shared / SYN
    test, ref = np.load(base / row["test_file"]), np.load(base / row["reference_file"])
    mean = mpsnr(test, ref, return_details=True)
    tbx = mpsnr_toolbox(test, ref, return_details=True)
    assert _close_db(mean.value, row["mpsnr_hdrtoolbox_meanmse"]), (
        mean.value,
        row["mpsnr_hdrtoolbox_meanmse"],
    )
    assert _close_db(tbx.value, row["mpsnr_hdrtoolbox"]), (tbx.value, row["mpsnr_hdrtoolbox"])
    for res in (mean, tbx):
        assert res.e_min == int(row["mpsnr_hdrtoolbox_eMin"])
        assert res.e_max == int(row["mpsnr_hdrtoolbox_eMax"])
        assert res.n_exposures == int(row["mpsnr_hdrtoolbox_nexp"])
        assert res.search_range == (int(row["mpsnr_fullrange_cmin"]), int(row["mpsnr_fullrange_cmax"]))


@pytest.mark.calibration
@pytest.mark.parametrize("row", reference_rows(f"{REAL}/reference_scores.csv", ("image", "variant")))
def test_real_reference_scores(shared: Path, row: dict) -> None:
    base = shared / REAL
    test, ref = np.load(base / row["test_file"]), np.load(base / row["ref_file"])
    mean = mpsnr(test, ref, return_details=True)
    tbx = mpsnr_toolbox(test, ref, return_details=True)
    assert _close_db(mean.value, row["mpsnr_avg"]), (mean.value, row["mpsnr_avg"])
    assert _close_db(tbx.value, row["mpsnr_toolbox"]), (tbx.value, row["mpsnr_toolbox"])
    for res in (mean, tbx):
        assert (res.e_min, res.e_max, res.n_exposures) == (
            int(row["mpsnr_eMin_used"]), int(row["mpsnr_eMax_used"]), int(row["mpsnr_n_used"])
        )  # fmt: skip
        assert f"{res.e_min}..{res.e_max}" == row["exposure_range"]
        assert res.search_range == (int(row["mpsnr_auto_lo"]), int(row["mpsnr_auto_hi"]))


def _per_exposure_groups(rel: str, key_cols: tuple[str, ...]) -> list:
    rows = reference_rows(rel, key_cols)
    if rows and rows[0].values[0] is None:
        return rows
    groups: dict[str, list[dict]] = {}
    for p in rows:
        r = p.values[0]
        groups.setdefault("-".join(r[c] for c in key_cols), []).append(r)
    return [pytest.param(v, id=k) for k, v in groups.items()]


def _check_exposures(test: np.ndarray, ref: np.ndarray, rows: list[dict]) -> None:
    cs = [int(r["c"]) for r in rows]
    search, stats = exposure_series(test, ref, mse_for_all=True)
    # The CSV lists every exposure of the automatic range, so this also checks the range.
    assert [s.c for s in stats] == cs
    for s, r in zip(stats, rows):
        assert s.kept == (r["used_by_toolbox"] == "1"), (s.c, s.mean_tm_ref)
        assert s.mean_tm_ref == pytest.approx(float(r["mean_tm_ref_rounded"]), abs=1e-12)
        # Squared differences of integers averaged: exact in double unless a rounding differs.
        assert s.mse == pytest.approx(float(r["mse_rounded"]), rel=1e-14, abs=1e-14), s.c


@pytest.mark.calibration
@pytest.mark.parametrize("rows", _per_exposure_groups(f"{SYN}/mpsnr_per_exposure.csv", ("pair",)))
def test_synthetic_per_exposure(shared: Path, rows: list[dict]) -> None:
    cases = {r["pair"]: r for r in csv.DictReader(open(shared / SYN / "reference_scores.csv", newline=""))}
    case = cases[rows[0]["pair"]]
    base = shared / SYN
    _check_exposures(np.load(base / case["test_file"]), np.load(base / case["reference_file"]), rows)


@pytest.mark.calibration
@pytest.mark.parametrize("rows", _per_exposure_groups(f"{REAL}/mpsnr_per_exposure.csv", ("image", "variant")))
def test_real_per_exposure(shared: Path, rows: list[dict]) -> None:
    base = shared / REAL
    name, variant = rows[0]["image"], rows[0]["variant"]
    test = np.load(base / "cases" / f"{name}__{variant}.npy")
    ref = np.load(base / "cases" / f"{name}__ref.npy")
    _check_exposures(test, ref, rows)


# --------------------------------------------------------------------------- building blocks
def test_matlab_round_rounds_halves_away_from_zero() -> None:
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 254.5, 0.49999999999999994, -0.49999999999999994, 3.0, -2.4])
    want = np.array([1.0, 2.0, 3.0, -1.0, -2.0, 255.0, 0.0, -0.0, 3.0, -2.0])
    np.testing.assert_array_equal(matlab_round(x), want)
    # numpy's default differs on exactly these halves, which is why the helper exists
    assert not np.array_equal(np.rint(x[:6]), want[:6])


def test_tone_map_8bit_curve_and_clamp() -> None:
    x = np.array([[[0.0, 1.0, 4.0]]])
    np.testing.assert_array_equal(tone_map_8bit(x, 0), [[[0.0, 255.0, 255.0]]])  # clamps above 1
    np.testing.assert_array_equal(tone_map_8bit(x, -2), [[[0.0, round(255 * 0.25 ** (1 / 2.2)), 255.0]]])
    # 2^c scales before the gamma: one stop up of 0.25 is 0.5
    np.testing.assert_array_equal(
        tone_map_8bit(np.full((1, 1, 3), 0.25), 1), tone_map_8bit(np.full((1, 1, 3), 0.5), 0)
    )


def _exact_tie_input(k: int) -> float:
    """A double X with 255 * X^(1/2.2) == k + 0.5 exactly (searched over neighbouring doubles,
    with the same numpy power the implementation uses)."""
    lo = hi = np.float64(((k + 0.5) / 255.0) ** 2.2)
    for _ in range(5000):
        for x in (lo, hi):
            if 255.0 * np.power(x, 1.0 / 2.2) == k + 0.5:
                return float(x)
        lo, hi = np.nextafter(lo, 0.0), np.nextafter(hi, 1.0)
    pytest.skip(f"no double maps exactly onto {k}.5 with this libm")


@pytest.mark.parametrize("k", [2, 64, 126])
def test_tone_map_rounds_exact_halves_up(k: int) -> None:
    # Even k: numpy's rint would round k + 0.5 down to k; MATLAB's round gives k + 1.
    x = _exact_tie_input(k)
    assert np.rint(255.0 * np.power(x, 1.0 / 2.2)) == k
    assert tone_map_8bit(np.full((1, 1, 3), x), 0)[0, 0, 0] == k + 1
    # the same tie reached through the exposure factor 2^c
    assert tone_map_8bit(np.full((1, 1, 3), x * 8.0), -3)[0, 0, 0] == k + 1


def test_auto_range_single_exposure_is_widened() -> None:
    img = np.full((8, 8, 3), 100.0)  # log2(100) = 6.64 -> 7; lo = hi = -7 -> (-8, -6)
    assert auto_exposure_range(img, img) == (-8, -6)


def test_auto_range_uses_positive_luminance_of_both_images() -> None:
    ref = np.full((4, 4, 3), 8.0)
    ref[0, 0] = 0.0  # zero luminance is ignored, as find(L > 0) in the toolbox
    test = ref.copy()
    test[1, 1] = 2.0**-5  # the test image's darkest pixel extends the range
    test[2, 2] = 2.0**10
    assert auto_exposure_range(test, ref) == (-10, 5)


def _hdr(rng: np.random.Generator, h: int = 48, w: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.exp(np.log(0.05) + (np.log(2000.0) - np.log(0.05)) * xx / (w - 1))
    tex = 1.0 + 0.3 * np.sin(yy / 2.0)[..., None] * rng.uniform(0.5, 1.0, (h, w, 3))
    return base[..., None] * tex * np.array([1.0, 0.8, 0.6])


# --------------------------------------------------------------------------- properties
def test_identical_images_give_infinite_psnr(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    res = mpsnr(ref, ref.copy(), return_details=True)
    assert res.value == math.inf and res.n_exposures > 0
    assert mpsnr_toolbox(ref, ref) == math.inf


def test_toolbox_variant_is_lower_by_10log10_n(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    test = ref * (1 + 0.05 * rng.standard_normal(ref.shape))
    test = np.maximum(test, 0.0)
    mean, tbx = mpsnr(test, ref, return_details=True), mpsnr_toolbox(test, ref, return_details=True)
    assert mean.n_exposures > 1
    assert mean.value - tbx.value == pytest.approx(10 * math.log10(mean.n_exposures), abs=1e-9)


def test_value_is_psnr_of_the_mean_mse(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    test = ref * 1.1
    res = mpsnr(test, ref, return_details=True)
    kept = [s.mse for s in res.exposures if s.kept]
    assert len(kept) == res.n_exposures
    assert res.value == pytest.approx(10 * math.log10(255.0**2 / np.mean(kept)), abs=1e-10)
    assert float(res) == res.value


def test_monotone_in_noise_level(rng: np.random.Generator) -> None:
    ref = _hdr(rng, 64, 64)
    noise = rng.standard_normal(ref.shape)
    vals = [mpsnr(np.maximum(ref * (1 + s * noise), 0.0), ref) for s in (0.01, 0.03, 0.1, 0.3)]
    assert all(a > b for a, b in zip(vals, vals[1:])), vals


def test_no_kept_exposure_is_an_error() -> None:
    ref = np.zeros((20, 20, 3))
    ref[:1, :1] = 50.0  # 0.25% of the pixels lit: the mean never reaches 0.1
    with pytest.raises(ImageError, match=r"no exposure c in \[-7, -5\]"):
        mpsnr(ref, ref)


def test_fixed_exposure_range_is_honoured(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    res = mpsnr_details(ref * 1.2, ref, exposure_range=(-6, -4))
    assert res.search_range == (-6, -4)
    assert [s.c for s in res.exposures] == [-6, -5, -4]


@pytest.mark.parametrize(
    ("make_test", "match"),
    [
        (lambda r: r[:-1], r"shape \(47, 64, 3\) but the reference image has shape \(48, 64, 3\)"),
        (lambda r: np.where(r > 1000, np.nan, r), "non-finite values"),
        (lambda r: r - 1.0, "negative values"),
        (lambda r: r[..., :2], "shape"),
        (lambda r: r.astype(np.int32), "integer dtype"),
    ],
    ids=["shape", "nan", "negative", "two-channels", "integer"],
)
def test_bad_input_is_refused(rng: np.random.Generator, make_test, match: str) -> None:
    ref = _hdr(rng)
    with pytest.raises(ImageError, match=match):
        mpsnr(make_test(ref), ref)
