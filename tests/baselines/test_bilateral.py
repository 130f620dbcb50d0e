"""Bilateral grid: MATLAB rounding, grid geometry, properties and input checks.

(Agreement with the toolbox and with an independent implementation: test_eo_reference.py and
test_eo_independent.py.)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from baselines import bilateral
from baselines.bilateral import bilateral_grid, grid_shape, matlab_round


def _decimal_round(v: float) -> float:
    return float(Decimal(v).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_matlab_round_ties_and_edge_values():
    vals = [0.5, 1.5, 2.5, 3.5, -0.5, -2.5, 0.49999999999999994, 2.4999999999999996, 1e15 + 0.5, 0.0, -0.0]
    got = matlab_round(np.array(vals))
    assert got.tolist() == [_decimal_round(v) for v in vals]
    assert got.tolist()[:6] == [1.0, 2.0, 3.0, 4.0, -1.0, -3.0]


def test_fast_cell_rounding_equals_matlab_round(rng):
    # The scatter's two-pass rounding for non-negative coordinates, on ties, the one double where
    # floor(x + 0.5) is wrong, and random values.
    z = np.concatenate(
        [
            np.arange(0, 40) / 2.0,
            [np.nextafter(0.5, 0.0), np.nextafter(1.5, 0.0), np.nextafter(0.5, 1.0)],
            rng.random(1000) * 30,
        ]
    )
    fast = bilateral._round_to_cells(z, z_min=float(z.min()))
    assert np.array_equal(fast, matlab_round(z).astype(np.intp))


def test_grid_shape_formula():
    # floor((H-1)/s)+7 x floor((W-1)/s)+7 x floor((max-min)/s_r)+7 (README of reference/eo).
    assert grid_shape(384, 283, 0.0, 1.0, 16.0, 0.3) == (23 + 7, 17 + 7, 3 + 7)
    assert grid_shape(1080, 1920, 0.0, 1.0, 150.0, (25 / 255) ** 2.2) == (7 + 7, 12 + 7, 165 + 7)


def test_constant_image_is_unchanged(rng):
    img = np.full((37, 52), 0.37)
    out = bilateral_grid(img, edge_min=0.0, edge_max=1.0, sigma_s=8.0, sigma_r=0.1)
    np.testing.assert_allclose(out, 0.37, rtol=1e-14)


def test_output_is_a_convex_combination_of_the_data(rng):
    edge = rng.random((40, 60))
    data = rng.random((40, 60)) * 5.0 + 2.0
    out = bilateral_grid(data, edge, edge_min=0.0, edge_max=1.0, sigma_s=5.0, sigma_r=0.2)
    assert out.min() >= data.min() - 1e-12 and out.max() <= data.max() + 1e-12


def test_strong_edge_is_preserved():
    # A step of 0.8 with sigma_r = 0.05: the two sides must not blend (a Gaussian blur would).
    img = np.zeros((32, 64))
    img[:, 32:] = 0.8
    out = bilateral_grid(img, edge_min=0.0, edge_max=1.0, sigma_s=8.0, sigma_r=0.05)
    assert np.abs(out[:, :32]).max() < 1e-9
    assert np.abs(out[:, 32:] - 0.8).max() < 1e-9


def test_cross_filter_fills_undefined_data_from_the_edge_neighbourhood():
    edge = np.full((20, 20), 0.5)
    data = np.full((20, 20), 3.0)
    data[5:10, 5:10] = np.nan
    out = bilateral_grid(data, edge, edge_min=0.0, edge_max=1.0, sigma_s=4.0, sigma_r=0.1)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, 3.0, rtol=1e-14)


def test_scales_linearly_with_data(rng):
    edge = rng.random((25, 30))
    data = rng.random((25, 30))
    a = bilateral_grid(data, edge, edge_min=0.0, edge_max=1.0, sigma_s=6.0, sigma_r=0.15)
    b = bilateral_grid(4.0 * data, edge, edge_min=0.0, edge_max=1.0, sigma_s=6.0, sigma_r=0.15)
    np.testing.assert_allclose(b, 4.0 * a, rtol=1e-13)


def test_deterministic(rng):
    img = rng.random((50, 70))
    a = bilateral_grid(img, edge_min=0.0, edge_max=1.0, sigma_s=10.0, sigma_r=0.1)
    b = bilateral_grid(img.copy(), edge_min=0.0, edge_max=1.0, sigma_s=10.0, sigma_r=0.1)
    assert np.array_equal(a, b)


def test_float32_input_is_computed_in_float64(rng):
    img = rng.random((20, 20)).astype(np.float32)
    out = bilateral_grid(img, edge_min=0.0, edge_max=1.0, sigma_s=4.0, sigma_r=0.2)
    ref = bilateral_grid(img.astype(np.float64), edge_min=0.0, edge_max=1.0, sigma_s=4.0, sigma_r=0.2)
    assert out.dtype == np.float64 and np.array_equal(out, ref)


GOOD = {"edge_min": 0.0, "edge_max": 1.0, "sigma_s": 4.0, "sigma_r": 0.1}


@pytest.mark.parametrize(
    ("data", "edge", "kwargs", "message"),
    [
        (np.zeros((4, 4, 3)), None, GOOD, "shape (4, 4, 3)"),
        (np.zeros((0, 4)), None, GOOD, "empty"),
        (np.zeros((4, 4), dtype=np.uint8), None, GOOD, "dtype uint8"),
        (np.zeros((4, 4)), np.zeros((4, 5)), GOOD, "edge has shape (4, 5)"),
        (np.full((4, 4), np.nan), None, GOOD, "NaN"),
        (np.zeros((4, 4)), np.full((4, 4), np.nan), GOOD, "non-finite"),
        (np.full((4, 4), np.inf), np.zeros((4, 4)), GOOD, "infinite"),
        (np.full((4, 4), 1.5), None, GOOD, "span [1.5, 1.5]"),
        (np.zeros((4, 4)), None, {**GOOD, "sigma_s": 0.0}, "sigma_s = 0.0"),
        (np.zeros((4, 4)), None, {**GOOD, "sigma_r": -1.0}, "sigma_r = -1.0"),
        (np.zeros((4, 4)), None, {**GOOD, "edge_max": 0.0}, "empty"),
        (np.zeros((4, 4)), None, {**GOOD, "edge_min": float("nan")}, "edge_min"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(data, edge, kwargs, message):
    with pytest.raises(ValueError, match="bilateral_grid") as exc:
        bilateral_grid(data, edge, **kwargs)
    assert message in str(exc.value)


def test_edge_within_one_sigma_outside_the_range_is_accepted():
    edge = np.array([[-0.1, 0.5, 1.1]])
    out = bilateral_grid(np.ones((1, 3)), edge, edge_min=0.0, edge_max=1.0, sigma_s=2.0, sigma_r=0.1)
    np.testing.assert_allclose(out, 1.0, rtol=1e-14)


def test_toolbox_argument_order_and_required_numbers(rng):
    img = rng.random((12, 14))
    positional = bilateral_grid(img, None, 0, 1, 4, 0.2)  # bilateralFilter(data, [], 0, 1, 4, 0.2)
    assert np.array_equal(
        positional, bilateral_grid(img, edge_min=0.0, edge_max=1.0, sigma_s=4.0, sigma_r=0.2)
    )
    with pytest.raises(TypeError, match="missing sigma_s, sigma_r"):
        bilateral_grid(img, None, 0.0, 1.0)
