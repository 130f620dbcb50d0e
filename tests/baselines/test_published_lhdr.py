"""LHDR with the authors' weights against the authors' own outputs (reference/published/lhdr:
AndreGuo/LHDR @ 5d8ce8c, test.py's inputs, ``LiteHDRNet(...)((x, s_cond, c_cond))`` on the PNGs
cropped top-left to multiples of 16, torch 2.13.0 CPU float32, one thread; see its README), and
the handling of sizes the network cannot take."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines.published import lhdr

INPUTS = ("oexr_bonita", "oexr_desk", "oexr_goldengate", "ph_lebombo")
TOL = 1e-4  # reference README, float32 on CPU


def _native(weights_source: dict[str, str]):
    return lambda img: lhdr.native(img, device="cpu", **weights_source)


@pytest.mark.calibration
@pytest.mark.parametrize("name", INPUTS)
def test_native_output_equals_the_authors_on_their_crop(
    name, weights_source, eo_png, authors_output, diff_on_authors_crop
):
    img, ref = eo_png(name), authors_output("lhdr", name, "lhdr_raw")
    assert ref.shape[:2] == (img.shape[0] // 16 * 16, img.shape[1] // 16 * 16)  # what the README says
    assert float(diff_on_authors_crop(_native(weights_source), "lhdr", "lhdr_raw", name).max()) <= TOL


@pytest.mark.calibration
@pytest.mark.parametrize("name", ["oexr_bonita", "ph_lebombo"])
def test_any_size_is_padded_and_cropped_back(name, weights_source, diff_on_authors_crop):
    """The reference crop less 2 rows and 3 columns (not multiples of 4): padded by reflection to the
    reference's size, run, cropped back. Away from the padded edge it is the reference (the few
    mirrored rows enter only the global colour condition: <= 5e-4 measured); a crop misplaced by
    one pixel would differ by ~0.5."""
    diff = diff_on_authors_crop(_native(weights_source), "lhdr", "lhdr_raw", name, trim=(2, 3))
    assert float(diff[:-16, :-16].max()) <= 2e-3
    assert float(diff.max()) <= 2e-2


@pytest.mark.calibration
def test_full_size_inputs_keep_their_size(weights_source, eo_png):
    img = eo_png("oexr_bonita")  # 384 x 254: 254 fails inside the authors' network
    out = lhdr.native(img, device="cpu", **weights_source)
    assert out.shape == img.shape and np.isfinite(out).all() and out.min() >= 0.0


def test_inputs_are_the_authors():
    x = np.zeros((8, 12, 3), np.float32)
    x[..., 0] = np.linspace(0, 1, 12, dtype=np.float32)
    img, s_cond, c_cond = lhdr.inputs(x)
    assert np.array_equal(img, x)
    expected = np.clip((x - np.float32(0.9)) / np.float32(0.1), 0, 1)
    np.testing.assert_allclose(s_cond, expected, atol=1e-6)
    assert s_cond[..., 0].max() == 1.0 and (s_cond[..., 0][x[..., 0] <= 0.9] == 0).all()
    assert c_cond.shape == (2, 3, 3) and c_cond.dtype == np.float32


@pytest.mark.parametrize(("h", "w"), [(16, 24), (17, 30), (9, 9)])
def test_opencv_quarter_resize_is_the_mean_of_the_two_central_pixels(h, w, rng):
    """What test.py's ``cv2.resize(x, (0, 0), fx=0.25, fy=0.25)`` computes, checked against an
    independent formula: output size round(H/4) x round(W/4); OpenCV maps output pixel j to input
    position 4 j + 1.5 (half-pixel centres, scale 1/fx), i.e. the mean of pixels 4j+1 and 4j+2 on
    each axis, the upper one clamped to the last pixel."""
    x = rng.random((h, w, 3), dtype=np.float32)
    _, _, c = lhdr.inputs(x)
    oh, ow = round(h / 4), round(w / 4)
    assert c.shape == (oh, ow, 3)

    def axis_weights(n_in: int, n_out: int) -> np.ndarray:
        m = np.zeros((n_out, n_in))
        for j in range(n_out):
            lo, hi = min(4 * j + 1, n_in - 1), min(4 * j + 2, n_in - 1)
            m[j, lo] += 0.5
            m[j, hi] += 0.5
        return m

    mine = np.einsum("ai,ijc,bj->abc", axis_weights(h, oh), x.astype(np.float64), axis_weights(w, ow))
    np.testing.assert_allclose(c, mine, atol=2e-7)


@pytest.fixture(scope="module")
def random_net() -> lhdr.LiteHDRNet:
    torch.manual_seed(0)
    return lhdr.LiteHDRNet().eval()


@pytest.mark.parametrize(("h", "w"), [(1, 1), (5, 7), (37, 53), (20, 8)])
def test_sizes_the_network_cannot_take_come_back_whole(random_net, h, w, rng):
    x = rng.random((h, w, 3), dtype=np.float32)
    out = lhdr.run(random_net, x)
    assert out.shape == (h, w, 3) and np.isfinite(out).all()


def test_multiples_of_four_are_not_padded(random_net, rng):
    x = rng.random((24, 36, 3), dtype=np.float32)
    out = lhdr.run(random_net, x)
    with torch.no_grad():
        direct = random_net(*(torch.from_numpy(a.transpose(2, 0, 1).copy())[None] for a in lhdr.inputs(x)))
    # equal up to rounding: run() feeds the network channels-last (another convolution kernel)
    np.testing.assert_allclose(out, direct[0].permute(1, 2, 0).numpy(), rtol=0, atol=1e-5)


def test_one_tile_covering_the_image_is_the_whole_image(random_net, rng):
    x = rng.random((40, 60, 3), dtype=np.float32)
    np.testing.assert_array_equal(lhdr.run(random_net, x, tile=64, overlap=16), lhdr.run(random_net, x))


def test_tiles_blend_to_a_close_result(random_net, rng):
    """Windows share the whole image's colour condition; what differs is the U-Net's view near the
    window edges, which the blending hides: the tiled output stays close to the whole-image one."""
    from scipy.ndimage import gaussian_filter

    x = np.clip(gaussian_filter(rng.random((100, 120, 3)), (3, 3, 0)) * 1.5, 0, 1).astype(np.float32)
    whole = lhdr.run(random_net, x)
    tiled = lhdr.run(random_net, x, tile=64, overlap=16)
    assert tiled.shape == whole.shape
    assert float(np.abs(tiled - whole).mean()) <= 0.02 * float(np.abs(whole).mean())


def test_bad_tiling_is_refused(random_net):
    from itmn.errors import ConfigError

    with pytest.raises(ConfigError, match="multiple of 4"):
        lhdr.run(random_net, np.zeros((8, 8, 3), np.float32), tile=66)
    with pytest.raises(ConfigError, match="overlap"):
        lhdr.run(random_net, np.zeros((8, 8, 3), np.float32), tile=64, overlap=40)
