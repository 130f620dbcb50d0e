"""Camera curve, bracket synthesis and EV-0 alignment of the DrTM baseline (baselines.drtm.camera,
baselines.drtm.bracket). Expected values are computed independently: the sRGB formulas are
written out here from IEC 61966-2-1 in numpy, and the bracket values by hand (see comments)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from itmn_test_support import srgb_eotf, srgb_oetf  # registered by tests/conftest.py

from baselines.drtm.bracket import align_exposure, frame_evs, pq_to_radiance, synthesize_bracket
from baselines.drtm.camera import camera_response, exposure_shift, inverse_camera_response
from itmn.errors import ConfigError


def test_bracket_synthesis_hand_computed_gamma22() -> None:
    # Channel radiances R=0.125, G=0.3, B=0 at EV 0; frames at EV +1, +2, +3, -1, -6.
    # Expected 8-bit codes computed by hand: round(255 * min(1, 2**ev * E) ** (1 / 2.2)),
    # e.g. R at +1: 0.25 ** (1/2.2) = 0.53252 -> 135.79 -> 136; G at +2: 1.2 saturates -> 255.
    expected = (
        np.array(
            [
                [136, 186, 255, 72, 15],  # R = 0.125
                [202, 255, 255, 108, 22],  # G = 0.3
                [0, 0, 0, 0, 0],  # B = 0
            ]
        ).T
        / 255.0
    )
    rad = torch.tensor([0.125, 0.3, 0.0], dtype=torch.float64).view(1, 3, 1, 1)
    frames = synthesize_bracket(rad, [1, 2, 3, -1, -6], "gamma2.2", bits=8)
    assert frames.shape == (1, 5, 3, 1, 1)
    np.testing.assert_allclose(frames[0, :, :, 0, 0].numpy(), expected, atol=1e-12)


def test_bracket_synthesis_unquantized_matches_srgb_formula(rng: np.random.Generator) -> None:
    rad = rng.uniform(0, 2, size=(2, 3, 4, 5))
    evs = [-2.0, -0.5, 0.0, 1.5]
    frames = synthesize_bracket(torch.from_numpy(rad), evs, "srgb", bits=0).numpy()
    for k, ev in enumerate(evs):
        np.testing.assert_allclose(frames[:, k], srgb_oetf(2.0**ev * rad), rtol=1e-12, atol=1e-12)


def test_camera_response_inverse_and_clipping() -> None:
    z = torch.linspace(0, 1, 256, dtype=torch.float64)
    for curve in ("srgb", "gamma2.2"):
        np.testing.assert_allclose(camera_response(inverse_camera_response(z, curve), curve), z, atol=1e-12)
    np.testing.assert_allclose(inverse_camera_response(z, "srgb").numpy(), srgb_eotf(z.numpy()), rtol=1e-12)
    # Saturation: radiance above 1 and below 0 clip.
    assert camera_response(torch.tensor([3.0, -1.0]), "srgb").tolist() == [1.0, 0.0]
    with pytest.raises(ConfigError, match="'linear'"):
        camera_response(z, "linear")


def test_exposure_shift_keeps_saturation_and_darkens_it_to_f_of_gain() -> None:
    z = torch.tensor([1.0, 0.0, 0.5], dtype=torch.float64)
    up = exposure_shift(z, 1.0, "gamma2.2")
    down = exposure_shift(z, -1.0, "gamma2.2")
    assert up[0] == 1.0 and up[1] == 0.0
    assert down[0] == pytest.approx(0.5 ** (1 / 2.2), abs=1e-12)  # clipped at 1, then halved
    assert up[2] == pytest.approx(min(1.0, 2 * 0.5**2.2) ** (1 / 2.2), abs=1e-12)
    assert torch.equal(exposure_shift(z, 0.0, "gamma2.2"), z)


def test_frame_evs() -> None:
    assert frame_evs(8, 0.5, "up") == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    assert frame_evs(2, 1.0, "down") == [-1.0, -2.0]
    with pytest.raises(ValueError, match="sideways"):
        frame_evs(2, 1.0, "sideways")


def test_pq_to_radiance_against_colour_science() -> None:
    import colour

    pq = torch.tensor([[0.0, 0.25], [0.5, 0.7518]], dtype=torch.float64)
    img = torch.stack([pq, pq * 0.9, pq * 0.8]).unsqueeze(0)  # 1 x 3 x 2 x 2, BT.2020 codes
    lin2020 = colour.models.eotf_ST2084(img[0].permute(1, 2, 0).numpy())
    m = colour.matrix_RGB_to_RGB(
        colour.RGB_COLOURSPACES["ITU-R BT.2020"], colour.RGB_COLOURSPACES["ITU-R BT.709"]
    )
    expected = np.clip(lin2020 @ m.T, 0, None)
    got = pq_to_radiance(img)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-6)


def test_align_exposure_recovers_known_scale(rng: np.random.Generator) -> None:
    # The LDR is the sRGB camera frame of the radiance at a known exposure, 8-bit quantized, with
    # a quarter of the pixels saturated (they must not bias the estimate).
    rad = rng.lognormal(mean=0.0, sigma=1.5, size=(2, 3, 32, 32))
    scales = np.array([0.05, 0.4])
    ldr = np.round(255 * srgb_oetf(rad * scales[:, None, None, None])) / 255
    s = align_exposure(torch.from_numpy(ldr), torch.from_numpy(rad), "srgb")
    np.testing.assert_allclose(s.numpy(), scales, rtol=0.01)


def test_align_exposure_fallbacks() -> None:
    rad = torch.rand(2, 3, 8, 8, dtype=torch.float64) + 0.1
    rad[1, :, 0, 0] = 50.0
    ldr = torch.zeros_like(rad)  # black LDR: no usable pixel -> brightest luminance maps to 1
    s = align_exposure(ldr, rad, "srgb")
    y_max = (0.2126 * rad[:, 0] + 0.7152 * rad[:, 1] + 0.0722 * rad[:, 2]).flatten(1).amax(1)
    np.testing.assert_allclose(s.numpy(), 1.0 / y_max.numpy(), rtol=1e-12)
