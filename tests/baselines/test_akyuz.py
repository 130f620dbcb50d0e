"""Akyüz et al. 2007 linear expansion (AkyuzEO) and the plain inverse gamma."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.akyuz import akyuz_linear, inverse_gamma
from itmn.errors import ImageError


def lum(img: np.ndarray) -> np.ndarray:
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


def test_luminance_is_stretched_linearly_onto_zero_to_k(rng):
    img = rng.random((20, 30, 3)).astype(np.float32)
    out = akyuz_linear(img, l_max=700.0)
    lin = img.astype(np.float64) ** 2.2
    expected = 700.0 * (lum(lin) - lum(lin).min()) / (lum(lin).max() - lum(lin).min())
    np.testing.assert_allclose(lum(out), expected, rtol=1e-12, atol=1e-12)
    assert lum(out).max() == pytest.approx(700.0, rel=1e-12)


def test_a_gamma_bends_the_curve(rng):
    img = rng.random((10, 10, 3))
    lin = lum(img**2.2)
    norm = (lin - lin.min()) / (lin.max() - lin.min())
    np.testing.assert_allclose(lum(akyuz_linear(img, 1.0, a_gamma=2.0)), norm**2, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["black", "white", "saturated", "single-colour", "two-level"])
def test_special_images(name):
    img = {
        "black": np.zeros((8, 8, 3)),
        "white": np.ones((8, 8, 3)),
        "saturated": np.tile([0.0, 1.0, 0.0], (8, 8, 1)),
        "single-colour": np.tile([0.2, 0.5, 0.7], (8, 8, 1)),
        "two-level": np.concatenate([np.zeros((4, 8, 3)), np.full((4, 8, 3), 0.5)]),
    }[name]
    out = akyuz_linear(img)
    assert np.isfinite(out).all() and out.min() >= 0.0
    if name == "two-level":
        assert lum(out)[4:].min() == pytest.approx(1000.0, rel=1e-12)
    else:
        assert not out.any()  # flat luminance: the toolbox's 0/0 -> 0


def test_inverse_gamma_is_the_power(rng):
    img = rng.random((6, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(inverse_gamma(img, 2.2), img.astype(np.float64) ** 2.2, rtol=1e-15)
    q = (np.rint(img * 255) / 255).astype(np.float32)  # the 8-bit table path: same values
    assert np.array_equal(inverse_gamma(q, 2.2), q.astype(np.float64) ** 2.2)


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda: akyuz_linear(np.full((2, 2, 3), 0.5), l_max=0.0), ValueError, "l_max"),
        (lambda: akyuz_linear(np.full((2, 2, 3), 0.5), a_gamma=-1.0), ValueError, "a_gamma"),
        (lambda: akyuz_linear(np.full((2, 2, 3), 2.0)), ImageError, "span"),
        (lambda: inverse_gamma(np.full((2, 2, 3), 0.5), gamma=0.0), ValueError, "gamma"),
        (lambda: inverse_gamma(np.full((2, 2), 0.5)), ImageError, "shape"),
    ],
)
def test_bad_input(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
