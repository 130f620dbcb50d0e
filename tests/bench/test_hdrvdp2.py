"""HDR-VDP 2.2.2 port (bench.metrics.hdrvdp.v2): properties, API, colour encodings, bad input.

Agreement with the original MATLAB code is in test_hdrvdp2_calibration.py; the building blocks
(pyramid vs pyrtools, imresize, LUT) in test_hdrvdp2_components.py. Tests here use small
synthetic HDR scenes so that the file runs in a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.metrics.hdrvdp.v2 import (
    HDRVDP_VERSION,
    HDRVDPResult,
    config_string,
    hdrvdp2,
    hdrvdp2_batch,
    pix_per_deg,
)
from bench.metrics.hdrvdp.v2.api import _XYZ_TO_RGB
from itmn.errors import ImageError

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/bench/conftest.py


def hdr_scene(h: int = 72, w: int = 88, seed: int = 0) -> np.ndarray:
    """A float32 HDR scene in cd/m^2 (about 0.05 to 5000): smooth log-luminance gradient,
    a bright disk, texture and a coloured tint."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    log_l = -1.3 + 4.5 * xx / (w - 1) + 0.3 * np.sin(yy / 5.0)
    log_l += 0.15 * rng.standard_normal((h, w))
    log_l[(yy - h / 3) ** 2 + (xx - w / 2) ** 2 < (min(h, w) / 6) ** 2] = 3.6
    lum = 10.0**log_l
    tint = np.stack([1.0 + 0.2 * np.sin(xx / 9), np.ones_like(xx), 1.0 - 0.2 * np.cos(yy / 7)], axis=-1)
    return (lum[..., None] * tint).astype(np.float32)


def noisy(ref: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    n = np.random.default_rng(seed).standard_normal(ref.shape)
    return np.maximum(ref * (1.0 + sigma * n), 0.0).astype(np.float32)


# ----------------------------------------------------------------------------- properties
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_identical_images_score_100(dtype: str) -> None:
    ref = hdr_scene()
    res = hdrvdp2(ref, ref.copy(), dtype=dtype)
    assert res.Q == 100.0
    assert res.P_det == 0.0 and res.C_max == 0.0
    assert np.all(res.P_map == 0) and np.all(res.C_map == 0)


def test_quality_decreases_with_noise() -> None:
    ref = hdr_scene(seed=2)
    sigmas = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
    res = [hdrvdp2(noisy(ref, s), ref) for s in sigmas]
    q = [r.Q for r in res]
    c = [r.C_max for r in res]
    assert all(a > b for a, b in zip(q, q[1:])), q
    assert all(a < b for a, b in zip(c, c[1:])), c
    assert q[0] < 100.0


def test_maps_are_consistent() -> None:
    ref = hdr_scene(seed=3)
    res = hdrvdp2(noisy(ref, 0.01), ref)
    assert isinstance(res, HDRVDPResult)
    assert res.P_map.shape == res.C_map.shape == ref.shape[:2]
    assert res.P_map.dtype == np.float32
    assert np.all((res.P_map >= 0) & (res.P_map <= 1)) and np.all(res.C_map >= 0)
    assert res.C_max == pytest.approx(float(res.C_map.max()), rel=1e-6)
    assert res.P_det == pytest.approx(float(res.P_map.max()), abs=1e-6)
    # P = 1 - exp(log(0.5) C): C = 1 is the detection threshold, P = 0.5
    assert np.allclose(res.P_map, 1 - np.exp(np.log(0.5) * res.C_map), atol=1e-6)
    assert hdrvdp2(noisy(ref, 0.01), ref, return_maps=False).P_map is None


def test_batch_equals_single_pairs() -> None:
    refs = [hdr_scene(seed=s) for s in (4, 5, 6)]
    tests = [noisy(refs[0], 0.01), refs[1] * np.float32(1.3), noisy(refs[2], 0.05, seed=9)]
    t = torch.from_numpy(np.stack(tests)).permute(0, 3, 1, 2).double()
    r = torch.from_numpy(np.stack(refs)).permute(0, 3, 1, 2).double()
    batch = hdrvdp2_batch(t, r, return_maps=True)
    for i in range(3):
        one = hdrvdp2(tests[i], refs[i], dtype="float64")
        assert batch.Q[i].item() == pytest.approx(one.Q, abs=1e-10)
        assert batch.C_max[i].item() == pytest.approx(one.C_max, rel=1e-10)
        assert batch.P_det[i].item() == pytest.approx(one.P_det, abs=1e-12)
        assert np.allclose(batch.C_map[i].numpy(), one.C_map, rtol=1e-9, atol=1e-12)


def test_float32_agrees_with_float64() -> None:
    """The default float32 path against the float64 validation path (calibration tolerances:
    Q 0.01 absolute, C_max 1e-3 relative)."""
    ref = hdr_scene(96, 80, seed=7)
    for test in (noisy(ref, 0.02), ref * np.float32(0.8), noisy(ref, 0.003, seed=4)):
        a = hdrvdp2(test, ref, dtype="float32")
        b = hdrvdp2(test, ref, dtype="float64")
        assert abs(a.Q - b.Q) < 0.01
        assert abs(a.C_max - b.C_max) <= 1e-3 * b.C_max


def test_deterministic() -> None:
    ref = hdr_scene(seed=8)
    test = noisy(ref, 0.02)
    a = hdrvdp2(test, ref)
    b = hdrvdp2(test, ref)
    assert a.Q == b.Q and a.C_max == b.C_max
    assert np.array_equal(a.P_map, b.P_map)


def test_test_and_reference_are_not_interchangeable() -> None:
    """The masking is symmetric but the base-band padding and CSF use the reference."""
    ref = hdr_scene(seed=9)
    test = ref * np.float32(1.2)
    assert hdrvdp2(test, ref).Q != hdrvdp2(ref, test).Q


def test_ppd_changes_result_and_config() -> None:
    ref = hdr_scene(seed=10)
    test = noisy(ref, 0.02)
    a = hdrvdp2(test, ref, ppd=30.0)
    b = hdrvdp2(test, ref, ppd=pix_per_deg(21, (1920, 1080), 1))
    assert a.Q != b.Q
    assert a.config == "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=30 | protocol v1"
    assert b.config == "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=72.48987396 | protocol v1"
    assert HDRVDP_VERSION == "2.2.2"


def test_surround() -> None:
    ref = hdr_scene(seed=11)
    test = noisy(ref, 0.02)
    default = hdrvdp2(test, ref)
    bright = hdrvdp2(test, ref, surround=100.0)
    assert bright.Q != default.Q
    assert bright.config.endswith("| surround=100 | protocol v1")
    per_channel = hdrvdp2(test, ref, surround=(100.0, 100.0, 100.0))
    assert per_channel.Q == pytest.approx(bright.Q, abs=1e-9)
    geo = hdrvdp2(test, ref, surround="geomean")
    g = np.exp(np.log(ref.astype(np.float64)).mean(axis=(0, 1)))
    assert geo.Q == pytest.approx(hdrvdp2(test, ref, surround=tuple(g)).Q, abs=1e-4)
    with pytest.raises(ValueError, match="surround"):
        hdrvdp2(test, ref, surround=-3.0)


# ----------------------------------------------------------------------------- encodings
def test_xyz_encoding_equals_rgb_after_conversion() -> None:
    ref = hdr_scene(seed=12).astype(np.float64)
    test = noisy(ref, 0.02).astype(np.float64)
    to_xyz = np.linalg.inv(_XYZ_TO_RGB)
    a = hdrvdp2(test @ to_xyz.T, ref @ to_xyz.T, color_encoding="XYZ", dtype="float64")
    b = hdrvdp2(test, ref, color_encoding="rgb-bt.709", dtype="float64")
    assert a.Q == pytest.approx(b.Q, abs=1e-8)
    assert a.C_max == pytest.approx(b.C_max, rel=1e-8)
    assert a.config.split(" | ")[1] == "XYZ"


def test_srgb_display_is_a_100_nit_display() -> None:
    rng = np.random.default_rng(13)
    v_ref = rng.uniform(0, 1, (64, 64, 3))
    v_test = np.clip(v_ref + 0.02 * rng.standard_normal(v_ref.shape), 0, 1)

    def display(v: np.ndarray) -> np.ndarray:  # IEC 61966-2-1 EOTF, 99 cd/m^2 range + 1 cd/m^2 black
        return 99 * np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4) + 1

    a = hdrvdp2(v_test, v_ref, color_encoding="sRGB-display", dtype="float64")
    b = hdrvdp2(display(v_test), display(v_ref), color_encoding="rgb-bt.709", dtype="float64")
    assert a.Q == pytest.approx(b.Q, abs=1e-9)


def test_luma_display_and_luminance() -> None:
    rng = np.random.default_rng(14)
    v_ref = rng.uniform(0, 1, (48, 56))
    v_test = np.clip(v_ref + 0.03 * rng.standard_normal(v_ref.shape), 0, 1)
    a = hdrvdp2(v_test, v_ref, color_encoding="luma-display", dtype="float64")
    b = hdrvdp2(99 * v_test**2.2 + 1, 99 * v_ref**2.2 + 1, color_encoding="luminance", dtype="float64")
    assert a.Q == pytest.approx(b.Q, abs=1e-9)
    assert a.Q < 100
    # H x W x 1 is accepted too
    c = hdrvdp2(v_test[..., None], v_ref[..., None], color_encoding="luma-display", dtype="float64")
    assert c.Q == a.Q


# ----------------------------------------------------------------------------- bad input
def test_shape_mismatch() -> None:
    ref = hdr_scene()
    with pytest.raises(ImageError, match=r"shapes differ.*\(1, 3, 72, 88\).*\(1, 3, 72, 80\)"):
        hdrvdp2(ref, ref[:, :80])


def test_wrong_channel_count() -> None:
    ref = hdr_scene()
    with pytest.raises(ImageError, match=r"test: array of shape \(72, 88, 4\)"):
        hdrvdp2(np.concatenate([ref, ref[..., :1]], axis=-1), ref)
    with pytest.raises(ImageError, match=r"H x W x 1 or H x W"):
        hdrvdp2(ref, ref, color_encoding="luminance")
    with pytest.raises(ImageError, match=r"N x 3 x H x W"):
        hdrvdp2_batch(torch.ones(1, 72, 88, 3), torch.ones(1, 72, 88, 3))


def test_too_small() -> None:
    img = np.full((16, 40, 3), 100.0, np.float32)
    with pytest.raises(ImageError, match=r"16 x 40 pixels.*at least 17 x 17"):
        hdrvdp2(img, img)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(bad: float) -> None:
    ref = hdr_scene()
    test = ref.copy()
    test[3, 4, 1] = bad
    test[5, 6, 0] = bad
    with pytest.raises(ImageError, match=r"^test: 2 non-finite"):
        hdrvdp2(test, ref)
    with pytest.raises(ImageError, match=r"^ref: 2 non-finite"):
        hdrvdp2(ref, test)


def test_negative() -> None:
    ref = hdr_scene()
    test = ref.copy()
    test[0, 0, 2] = -0.25
    with pytest.raises(ImageError, match=r"test: negative values \(minimum -0.25\)"):
        hdrvdp2(test, ref)


def test_code_values_passed_as_cdm2() -> None:
    """HDR-VDP's plausibility check (hdrvdp.m warns when max(G) <= 1 cd/m^2) is an error here."""
    ldr = np.random.default_rng(15).uniform(0, 1, (40, 40, 3)).astype(np.float32)
    with pytest.raises(
        ImageError, match=r"maximum G value is 0\.9\d+ cd/m\^2 \(<= 1\).*not values scaled to \[0, 1\]"
    ):
        hdrvdp2(ldr, ldr)
    res = hdrvdp2(ldr * 0.9, ldr, check_values=False)  # a genuinely dark scene can opt out
    assert res.Q < 100


def test_cdm2_passed_as_code_values() -> None:
    img = hdr_scene()
    with pytest.raises(ImageError, match=r"values up to 5178.*for display encoding 'sRGB-display'"):
        hdrvdp2(img, img, color_encoding="sRGB-display")


def test_bad_arguments() -> None:
    img = hdr_scene()
    with pytest.raises(ValueError, match="color_encoding 'rgb'"):
        hdrvdp2(img, img, color_encoding="rgb")
    with pytest.raises(ValueError, match="ppd"):
        hdrvdp2(img, img, ppd=0.0)
    with pytest.raises(ValueError, match="dtype"):
        hdrvdp2(img, img, dtype="float16")
    assert config_string("xyz", 60) == "hdrvdp2 2.2.2-port | XYZ | ppd=60 | protocol v1"


# ----------------------------------------------------------------------------- devices
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:
    ref = hdr_scene(128, 160, seed=16)
    test = noisy(ref, 0.02)
    for dtype in ("float64", "float32"):
        cpu = hdrvdp2(test, ref, dtype=dtype)
        gpu = hdrvdp2(test, ref, dtype=dtype, device="cuda")
        assert abs(cpu.Q - gpu.Q) < (1e-8 if dtype == "float64" else 1e-3)
        assert abs(cpu.C_max - gpu.C_max) <= (1e-8 if dtype == "float64" else 1e-4) * cpu.C_max


@pytest.mark.slow
def test_full_hd_float32_matches_float64() -> None:
    """1080p exercises non-dyadic pyramid levels (135 -> 68) and a 17-row level (upConv edge case)."""
    ref = hdr_scene(1080, 1920, seed=17)
    test = noisy(ref, 0.01)
    a = hdrvdp2(test, ref, dtype="float32", return_maps=False)
    b = hdrvdp2(test, ref, dtype="float64", return_maps=False)
    assert abs(a.Q - b.Q) < 0.01
    assert abs(a.C_max - b.C_max) <= 1e-3 * b.C_max
