"""Kovaleski & Oliveira 2014 (KovaleskiOliveiraEO): both versions, bounds, special images, checks."""

from __future__ import annotations

import numpy as np
import pytest
from itmn_test_support import SPECIAL_IMAGES, special_image  # registered by tests/conftest.py

from baselines.kovaleski import kovaleski_oliveira
from itmn.errors import ImageError

W_BLUE = 0.0722


def lum(img: np.ndarray) -> np.ndarray:
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


def scene(rng: np.random.Generator, h: int = 48, w: int = 64) -> np.ndarray:
    img = np.clip(0.45 + 0.35 * rng.standard_normal((h, w, 3)), 0, 1)
    img[10:20, 30:50] = 1.0  # a saturated highlight
    img[30:34, 5:9] = [0.0, 0.0, 1.0]  # a saturated blue (one channel at 1)
    return (np.rint(img * 255) / 255).astype(np.float32)


def test_2019_is_2017_divided_by_four_exactly(rng):
    img = scene(rng)
    a, ma = kovaleski_oliveira(img, d_max=1000.0, variant="2017", return_map=True)
    b, mb = kovaleski_oliveira(img, d_max=1000.0, variant="2019", return_map=True)
    assert np.array_equal(b, a / 4) and np.array_equal(mb, ma / 4)


@pytest.mark.parametrize(("variant", "factor"), [("2017", 4.0), ("2019", 1.0)])
@pytest.mark.parametrize("d_max", [1000.0, 1200.0])
def test_output_luminance_peak_bound(rng, variant, factor, d_max):
    # L <= 1 and E in [0, 1]: L_exp = (L (d_max - d_min) + d_min) map <= d_max * max(map).
    img = scene(rng)
    img[:4, :4] = 1.0
    d_min = 0.3
    out, e_map = kovaleski_oliveira(img, d_max=d_max, variant=variant, return_map=True)
    assert e_map.min() >= factor / 4 - 1e-12 and e_map.max() <= factor + 1e-12
    assert lum(out).max() <= factor * d_max * (1 + 1e-12)
    # A single channel may exceed it where one primary dominates: out_c <= map (d_max - d_min + d_min / w_c).
    assert out.max() <= factor * (d_max - d_min + d_min / W_BLUE) * (1 + 1e-12)
    assert out[..., 2].max() > lum(out).max()  # the saturated blue patch does


def test_without_saturated_pixels_the_map_is_one(rng):
    img = np.clip(scene(rng), 0, 0.9)
    out, e_map = kovaleski_oliveira(img, d_min=0.3, d_max=1200.0, return_map=True)
    assert np.array_equal(e_map, np.ones_like(e_map))
    lin = img.astype(np.float64) ** 2.2
    expected = lum(lin) * (1200.0 - 0.3) + 0.3
    expected[lum(lin) == 0] = 0.0  # black pixels: ChangeLuminance gives 0, not d_min
    assert (lum(lin) == 0).any()
    np.testing.assert_allclose(lum(out), expected, rtol=1e-12)


def test_map_is_larger_near_saturation(rng):
    img = scene(rng)
    _, e_map = kovaleski_oliveira(img, return_map=True)
    assert e_map[15, 40] > 3.0 and e_map[45, 2] < e_map[15, 40]


def test_video_mode_uses_the_lower_threshold():
    img = np.full((16, 16, 3), 240 / 255)  # above 230/255, below 254/255
    _, m_image = kovaleski_oliveira(img, "image", return_map=True)
    _, m_video = kovaleski_oliveira(img, "video", return_map=True)
    assert np.allclose(m_image, 1.0) and np.allclose(m_video, 4.0)


@pytest.mark.parametrize("name", SPECIAL_IMAGES)
@pytest.mark.parametrize("variant", ["2017", "2019"])
def test_special_images_give_finite_non_negative_output(name, variant):
    img = special_image(name)
    out = kovaleski_oliveira(img, variant=variant)
    assert out.shape == img.shape and np.isfinite(out).all() and out.min() >= 0.0
    if name == "black":
        assert not out.any()  # ChangeLuminance: 0 * L_exp / 0 -> 0
    else:
        assert lum(out).max() > 0


def test_deterministic(rng):
    img = scene(rng)
    assert np.array_equal(kovaleski_oliveira(img), kovaleski_oliveira(img.copy()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "movie"}, "mode"),
        ({"variant": "2018"}, "variant"),
        ({"sigma_s": 0.0}, "sigma_s"),
        ({"sigma_r": -0.1}, "sigma_r"),
        ({"d_min": 10.0, "d_max": 5.0}, "d_min"),
        ({"d_min": -1.0}, "d_min"),
        ({"gamma": -2.2}, "gamma"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        kovaleski_oliveira(np.full((4, 4, 3), 0.5), **kwargs)


def test_variant_given_as_an_integer_is_accepted(rng):
    img = scene(rng)
    assert np.array_equal(kovaleski_oliveira(img, variant=2019), kovaleski_oliveira(img, variant="2019"))


def test_grayscale_input_is_rejected_not_mis_masked():
    # The toolbox's mask for a 1-channel image takes the max along the wrong axis; we refuse it.
    with pytest.raises(ImageError, match="single-channel"):
        kovaleski_oliveira(np.full((8, 8), 0.5))
