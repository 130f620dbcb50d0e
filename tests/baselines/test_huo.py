"""Huo et al. 2014 (HuoPhysEO): scaling law, special images, colour handling, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from itmn_test_support import SPECIAL_IMAGES, special_image  # registered by tests/conftest.py

from baselines.huo import huo_physiological
from itmn.errors import ImageError


def scene(rng: np.random.Generator, h: int = 40, w: int = 60) -> np.ndarray:
    img = np.clip(0.4 + 0.3 * rng.standard_normal((h, w, 3)), 0, 1)
    return (np.rint(img * 255) / 255).astype(np.float32)


def lum(img: np.ndarray) -> np.ndarray:
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


@pytest.mark.parametrize("factor", [0.25, 3.0, 17.5])
def test_output_is_proportional_to_l_peak(rng, factor):
    # L_exp = (L/maxL) ((p Ls)^n + (p s)^n)^(1/n) = p (L/maxL) (Ls^n + s^n)^(1/n): exactly linear in p.
    img = scene(rng)
    a = huo_physiological(img, 1000.0)
    b = huo_physiological(img, 1000.0 * factor)
    np.testing.assert_allclose(b, factor * a, rtol=1e-12, atol=0)


def test_logmean_delta_matters_and_is_a_parameter(rng):
    img = scene(rng)
    img[:10] = 0.0  # black pixels: log(0 + delta) depends on delta
    a = huo_physiological(img, 1000.0, logmean_delta=1e-6)
    b = huo_physiological(img, 1000.0, logmean_delta=1e-3)
    assert not np.allclose(a, b, rtol=1e-6)


def test_hue_is_kept_and_luminance_grows_with_input(rng):
    img = scene(rng).astype(np.float64)
    out = huo_physiological(img, 1000.0)
    lin = img**2.2
    ratio = out / np.where(lin > 0, lin, 1.0)
    # out_c = lin_c * L_exp / L: the same factor on the three channels of a pixel.
    nz = (lin > 0).all(axis=2)
    np.testing.assert_allclose(ratio[nz][:, 0], ratio[nz][:, 1], rtol=1e-12)
    np.testing.assert_allclose(ratio[nz][:, 0], ratio[nz][:, 2], rtol=1e-12)


def test_ramp_is_monotone():
    ramp = np.repeat(np.linspace(0, 1, 64)[None, :, None], 3, axis=2).repeat(8, axis=0)
    out = lum(huo_physiological(ramp, 1000.0))
    assert np.all(np.diff(out, axis=1) > 0)
    assert out[:, 0].max() == 0.0


@pytest.mark.parametrize("name", SPECIAL_IMAGES)
def test_special_images_give_finite_non_negative_output(name):
    img = special_image(name)
    out = huo_physiological(img, 1000.0)
    assert out.shape == img.shape and np.isfinite(out).all() and out.min() >= 0.0
    if name == "black":
        assert not out.any()  # the toolbox's 0/0 -> RemoveSpecials -> 0
    else:
        assert lum(out).max() > 0


def test_linear_input_with_gamma_none(rng):
    img = scene(rng).astype(np.float64)
    np.testing.assert_allclose(
        huo_physiological(img**2.2, 1000.0, gamma=None), huo_physiological(img, 1000.0), rtol=1e-12
    )


@pytest.mark.parametrize(
    ("img", "message"),
    [
        (np.zeros((4, 4)), "shape (4, 4)"),
        (np.zeros((4, 4, 4)), "shape (4, 4, 4)"),
        (np.zeros((0, 4, 3)), "empty"),
        (np.zeros((4, 4, 3), dtype=np.uint8), "dtype uint8"),
        (np.full((4, 4, 3), 1.5), "span [1.5, 1.5]"),
        (np.full((4, 4, 3), -0.1), "span [-0.1, -0.1]"),
        (np.full((4, 4, 3), np.nan), "NaN"),
    ],
)
def test_bad_images_are_rejected(img, message):
    with pytest.raises(ImageError) as exc:
        huo_physiological(img, 1000.0)
    assert message in str(exc.value) and "img" in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"l_peak": 0.0}, "l_peak"),
        ({"l_peak": 1000.0, "n": -1.0}, "n = -1.0"),
        ({"l_peak": 1000.0, "gamma": 0.0}, "gamma"),
        ({"l_peak": 1000.0, "logmean_delta": 0.0}, "logmean_delta"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        huo_physiological(np.full((4, 4, 3), 0.5), **kwargs)
