"""Tone mapping operators: expected values computed here from the papers' formulas on tiny arrays
(Reinhard et al. 2002 eqs. 1-4 and 5-9, Drago et al. 2003 eq. 4), never by calling the operator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from itmn import tmo
from itmn.errors import ImageError

D = 1e-6  # the log-average delta


def grey(*values: float) -> np.ndarray:
    """1 x N image with R = G = B = value (luminance = value)."""
    v = np.asarray(values, dtype=np.float64)
    return np.repeat(v[None, :, None], 3, axis=2)


# --------------------------------------------------------------------------- Reinhard global
def test_reinhard_global_hand_values() -> None:
    l_avg = math.exp((math.log(1 + D) + math.log(4 + D)) / 2)
    lm = [0.18 / l_avg * 1, 0.18 / l_avg * 4]
    lw = lm[1]
    expected = [x * (1 + x / lw**2) / (1 + x) for x in lm]
    out = tmo.reinhard_global(grey(1.0, 4.0))
    np.testing.assert_allclose(out[0, :, 1], expected, rtol=1e-6)
    assert out[0, 1, 0] == pytest.approx(1.0, abs=1e-6)  # L_white = max: the brightest pixel is white
    assert out.dtype == np.float32


def test_reinhard_global_key_and_white_point() -> None:
    l_avg = math.exp((math.log(1 + D) + math.log(4 + D)) / 2)
    lm = 0.36 / l_avg * 1.0
    out = tmo.reinhard_global(grey(1.0, 4.0), key=0.36, l_white=2.0)
    assert out[0, 0, 0] == pytest.approx(lm * (1 + lm / 4.0) / (1 + lm), rel=1e-6)


def test_colour_is_scaled_by_the_luminance_ratio() -> None:
    # dim coloured pixels next to a bright grey one, so that no channel reaches the display's 1
    img = np.array([[[0.2, 0.1, 0.05], [0.1, 0.2, 0.3], [10.0, 10.0, 10.0]]])
    for name, fn in tmo.TMOS.items():
        if name == "camera_clip":
            continue  # a camera scales every channel by the same exposure: also a luminance ratio
        out = fn(img).astype(np.float64)
        ratio = out[0, :2] / img[0, :2]
        np.testing.assert_allclose(ratio, ratio[:, :1].repeat(3, axis=1), rtol=1e-5, err_msg=name)
        assert (fn(grey(0.0, 1.0))[0, 0] == 0).all(), f"{name}: a black pixel must stay black"


# --------------------------------------------------------------------------- Reinhard local
def test_reinhard_local_constant_image() -> None:
    """No local contrast: every scale is quiet, V1 = L_m everywhere, L_d = L_m / (1 + L_m)."""
    lm = 0.18 * 3.0 / (3.0 + D)
    out = tmo.reinhard_local(np.full((5, 6, 3), 3.0))
    np.testing.assert_allclose(out, lm / (1 + lm), rtol=1e-6)


def _reflect(i: int, n: int) -> int:
    i %= 2 * n
    return i if i < n else 2 * n - 1 - i


def _gauss_direct(img: np.ndarray, s: float, alpha: float) -> np.ndarray:
    """Direct 2-D convolution with R(x, y, s) ~ exp(-(x^2 + y^2) / (alpha s)^2) (Reinhard eq. 5),
    sampled on a (2r+1)^2 grid, r = ceil(4 sigma) >= 1 with sigma = alpha s / sqrt 2, normalised,
    mirror boundary."""
    sigma = alpha * s / math.sqrt(2)
    r = max(1, math.ceil(4 * sigma))
    h, w = img.shape
    k = np.array(
        [
            [math.exp(-(dx * dx + dy * dy) / (alpha * s) ** 2) for dx in range(-r, r + 1)]
            for dy in range(-r, r + 1)
        ]
    )
    k /= k.sum()
    out = np.zeros_like(img)
    for y in range(h):
        for x in range(w):
            acc = 0.0
            for dy in range(-r, r + 1):
                for dx in range(-r, r + 1):
                    acc += k[dy + r, dx + r] * img[_reflect(y + dy, h), _reflect(x + dx, w)]
            out[y, x] = acc
    return out


def test_reinhard_local_against_a_direct_implementation() -> None:
    rng = np.random.default_rng(7)
    lum = np.exp(rng.normal(0, 1.5, (6, 7)))
    lum[2, 3] = 400.0  # a highlight makes the centre-surround activity vary between pixels
    img = np.repeat(lum[..., None], 3, axis=2)
    a, phi, eps = 0.18, 8.0, 0.05
    lm = a / math.exp(np.mean(np.log(lum + D))) * lum
    alpha1 = 1 / (2 * math.sqrt(2))
    scales = [1.6**k for k in range(8)]
    v1 = [_gauss_direct(lm, s, alpha1) for s in scales]
    v2 = [_gauss_direct(lm, s, 1.6 * alpha1) for s in scales]
    expected = np.zeros_like(lm)
    chosen = np.zeros(lm.shape, dtype=int)
    for y in range(6):
        for x in range(7):
            sel = 0
            for k, s in enumerate(scales):
                v = (v1[k][y, x] - v2[k][y, x]) / (2**phi * a / s**2 + v1[k][y, x])
                if abs(v) >= eps:
                    break
                sel = k
            chosen[y, x] = sel
            expected[y, x] = lm[y, x] / (1 + v1[sel][y, x])
    assert len(np.unique(chosen)) > 1, "the test image should make pixels choose different scales"
    out = tmo.reinhard_local(img)
    np.testing.assert_allclose(out[..., 0], np.clip(expected, 0, 1), rtol=2e-6, atol=1e-7)


# --------------------------------------------------------------------------- Drago
def test_drago_hand_values() -> None:
    l_wa = math.exp((math.log(1 + D) + math.log(4 + D)) / 2)
    lw = [1 / l_wa, 4 / l_wa]
    lmax = lw[1]
    p = math.log(0.85) / math.log(0.5)
    expected = [1.0 / math.log10(1 + lmax) * math.log(1 + x) / math.log(2 + 8 * (x / lmax) ** p) for x in lw]
    out = tmo.drago(grey(1.0, 4.0))
    np.testing.assert_allclose(out[0, :, 0], expected, rtol=1e-6)
    assert out[0, 1, 0] == pytest.approx(1.0, abs=1e-6)


def test_drago_bias_and_display_peak() -> None:
    b = 0.7
    l_wa = math.exp((math.log(1 + D) + math.log(4 + D)) / 2) / (1 + b - 0.85) ** 5
    lw, lmax = 1 / l_wa, 4 / l_wa
    p = math.log(b) / math.log(0.5)
    expected = 0.5 / math.log10(1 + lmax) * math.log(1 + lw) / math.log(2 + 8 * (lw / lmax) ** p)
    out = tmo.drago(grey(1.0, 4.0), bias=b, l_dmax=50.0)
    assert out[0, 0, 0] == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="bias"):
        tmo.drago(grey(1.0), bias=1.5)


# --------------------------------------------------------------------------- camera
def test_camera_clip_hand_values() -> None:
    img = grey(*range(1, 11))
    p90 = 9.0 + 0.1 * (10.0 - 9.0)  # numpy linear interpolation: rank 0.9 * 9 = 8.1
    out = tmo.camera_clip(img)
    np.testing.assert_allclose(out[0, :, 2], np.minimum(np.arange(1, 11) / p90, 1.0), rtol=1e-6)
    out = tmo.camera_clip(img, percentile=50.0, level=0.5)
    np.testing.assert_allclose(out[0, :, 0], np.minimum(np.arange(1, 11) * 0.5 / 5.5, 1.0), rtol=1e-6)


# --------------------------------------------------------------------------- common properties
@pytest.mark.parametrize("name", list(tmo.TMOS))
def test_scale_invariance_range_and_dtype(name: str) -> None:
    rng = np.random.default_rng(11)
    img = np.exp(rng.normal(0, 2, (16, 12, 3)))
    a = tmo.TMOS[name](img)
    b = tmo.TMOS[name](img * 1000.0)  # relative or absolute input: same display image
    np.testing.assert_allclose(a, b, atol=2e-5)
    assert a.dtype == np.float32 and a.shape == img.shape and a.min() >= 0 and a.max() <= 1


@pytest.mark.parametrize("name", list(tmo.TMOS))
def test_black_image(name: str) -> None:
    assert (tmo.TMOS[name](np.zeros((3, 3, 3))) == 0).all()


def test_registry() -> None:
    assert list(tmo.TMOS) == ["reinhard_global", "reinhard_local", "drago", "camera_clip"]
    assert tmo.get_tmo("drago") is tmo.drago and tmo.TEST_TMO == "reinhard_global"
    with pytest.raises(KeyError, match="valid names: reinhard_global"):
        tmo.get_tmo("durand")


# --------------------------------------------------------------------------- to_ldr and bad input
def test_to_ldr_hand_values() -> None:
    x = np.array([[[0.0, 0.0031308, 0.18], [1.0, 0.5, 0.001]]])
    srgb = [
        0.0,
        12.92 * 0.0031308,
        1.055 * 0.18 ** (1 / 2.4) - 0.055,
        1.0,
        1.055 * 0.5 ** (1 / 2.4) - 0.055,
        0.01292,
    ]
    expected = np.array([round(v * 255) for v in srgb]).reshape(2, 3) / 255
    np.testing.assert_array_equal(tmo.to_ldr(x)[0], expected.astype(np.float32))
    assert (tmo.to_ldr(x) * 255).round().tolist()[0][0] == [0.0, 10.0, 118.0]
    np.testing.assert_array_equal(
        tmo.tone_map("camera_clip", grey(1.0, 2.0)), tmo.to_ldr(tmo.camera_clip(grey(1.0, 2.0)))
    )


def test_to_ldr_refuses_values_outside_the_display_range() -> None:
    with pytest.raises(ImageError, match=r"display_linear: values span \[0, 3\]"):
        tmo.to_ldr(grey(0.0, 3.0))


@pytest.mark.parametrize(
    ("img", "match"),
    [
        (grey(1.0, -0.5), r"3 negative values \(smallest -0.5\)"),
        (grey(1.0, np.nan), "3 non-finite values"),
        (np.ones((4, 4)), r"shape \(4, 4\)"),
        (np.ones((2, 2, 4)), r"shape \(2, 2, 4\)"),
        (np.ones((0, 3, 3)), "empty image"),
        (np.ones((2, 2, 3), dtype=np.uint8), "dtype uint8"),
    ],
    ids=["negative", "nan", "2d", "4-channel", "empty", "integer"],
)
@pytest.mark.parametrize("name", list(tmo.TMOS))
def test_bad_input_is_refused(name: str, img: np.ndarray, match: str) -> None:
    with pytest.raises(ImageError, match=match) as info:
        tmo.TMOS[name](img)
    assert str(info.value).startswith("hdr: ")
