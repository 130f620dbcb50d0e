"""Radiance merge and stopping rule of the DrTM baseline (baselines.drtm.merge).

The merge must (1) recover a known radiance from a bracket made with the same camera curve, exactly
without quantization and within an independently computed quantization bound with it, and
(2) stay finite and non-negative on the stacks that break the plain Debevec formula (opencv
issue #27392: every frame saturated or every frame black -> zero total weight -> 0/0)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from itmn_test_support import srgb_eotf  # registered by tests/conftest.py

from baselines.drtm.bracket import synthesize_bracket
from baselines.drtm.merge import merge_debevec, stop_counts, triangle_weights

EVS = [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0]  # darkest first


def radiance_grid(n: int = 40) -> torch.Tensor:
    """Radiances from 2**-6 to 2**3.5: each is unclipped in at least one frame of EVS."""
    r = torch.logspace(-6, 3.5, n * 3, base=2.0, dtype=torch.float64)
    return r.view(1, 3, n, 1)


def test_triangle_weights_zero_at_ends() -> None:
    z = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    assert triangle_weights(z).tolist() == [0.0, 0.25, 0.5, 0.25, 0.0]
    assert triangle_weights(z, 0.25).tolist() == [0.0, 0.0, 0.25, 0.0, 0.0]


@pytest.mark.parametrize("curve", ["srgb", "gamma2.2"])
def test_merge_recovers_radiance_exactly_without_quantization(curve: str) -> None:
    rad = radiance_grid()
    frames = synthesize_bracket(rad, EVS, curve, bits=0)
    merged = merge_debevec(frames, EVS, curve, margin=0.0)
    np.testing.assert_allclose(merged.numpy(), rad.numpy(), rtol=1e-9)


def test_merge_within_quantization_bound_8bit() -> None:
    rad = radiance_grid()
    frames = synthesize_bracket(rad, EVS, "srgb", bits=8)
    merged = merge_debevec(frames, EVS, "srgb", margin=0.0).numpy()
    # Independent bound: the merge is a weighted mean of log estimates, so its log error is at most
    # the weighted mean of each frame's worst log error over its quantization interval +-1/510.
    z = frames.numpy()
    w = np.clip(np.minimum(z, 1 - z), 0, None)
    t = 2.0 ** np.array(EVS).reshape(1, -1, 1, 1, 1)
    lo = srgb_eotf(z - 0.5 / 255) / t
    hi = srgb_eotf(z + 0.5 / 255) / t
    true = rad.numpy()[:, None]
    err_k = np.maximum(
        np.abs(np.log(np.maximum(lo, 1e-300)) - np.log(true)), np.abs(np.log(hi) - np.log(true))
    )
    bound = (w * err_k).sum(1) / w.sum(1)
    err = np.abs(np.log(merged) - np.log(rad.numpy()))
    assert np.all(err <= bound + 1e-12)
    assert err.max() < 0.02  # and the bound is tight enough to mean something: < 2 % everywhere


def _naive_debevec(frames: np.ndarray, evs: list[float]) -> np.ndarray:
    """The unguarded formula (what opencv#27392 reports): sum w * log(E_k) / sum w."""
    w = np.minimum(frames, 1 - frames)
    t = 2.0 ** np.array(evs).reshape(1, -1, 1, 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp((w * np.log(srgb_eotf(frames) / t)).sum(1) / w.sum(1))


def test_merge_saturated_black_and_flat_stacks_are_finite() -> None:
    nf = len(EVS)
    saturated = torch.ones(1, nf, 3, 4, 4)
    black = torch.zeros(1, nf, 3, 4, 4)
    flat = torch.full((1, nf, 3, 4, 4), 0.5)  # one colour in every frame (inconsistent stack)
    # The failure case itself: the naive formula gives NaN on both saturated and black stacks.
    assert np.isnan(_naive_debevec(saturated.numpy(), EVS)).all()
    assert np.isnan(_naive_debevec(black.numpy(), EVS)).all()
    out_sat = merge_debevec(saturated, EVS, "srgb")
    out_black = merge_debevec(black, EVS, "srgb")
    out_flat = merge_debevec(flat, EVS, "srgb")
    for out in (out_sat, out_black, out_flat):
        assert torch.isfinite(out).all() and (out >= 0).all()
    # Saturated everywhere: the darkest frame's estimate f^-1(1) / 2**-4 = 16, a lower bound.
    assert torch.allclose(out_sat, torch.full_like(out_sat, 16.0))
    assert torch.equal(out_black, torch.zeros_like(out_black))
    # Flat 0.5: geometric mean of the estimates f^-1(0.5) / 2**ev (equal weights).
    expected = srgb_eotf(np.array(0.5)) * 2.0 ** -np.mean(EVS)
    assert torch.allclose(out_flat, torch.full_like(out_flat, float(expected)), rtol=1e-5)


def test_merge_channel_saturated_in_every_frame_and_random_clipped_stacks() -> None:
    g = torch.Generator().manual_seed(3)
    frames = torch.rand(2, len(EVS), 3, 8, 8, generator=g)
    frames[frames > 0.8] = 1.0  # many values clipped
    frames[frames < 0.2] = 0.0
    frames[0, :, 0] = 1.0  # red saturated in every frame
    frames[1, :, 2, :4] = 0.0  # blue black in every frame on half of the image
    out = merge_debevec(frames, EVS, "gamma2.2")
    assert torch.isfinite(out).all() and (out >= 0).all()
    assert torch.allclose(out[0, 0], torch.full_like(out[0, 0], 16.0))
    assert torch.equal(out[1, 2, :4], torch.zeros_like(out[1, 2, :4]))


def test_merge_ignores_masked_frames_and_rejects_empty_masks() -> None:
    rad = radiance_grid(8)
    frames = synthesize_bracket(rad, EVS, "srgb", bits=0)
    garbage = frames.clone()
    garbage[:, 2] = torch.rand_like(garbage[:, 2])
    mask = torch.ones(1, len(EVS), dtype=torch.bool)
    mask[0, 2] = False
    np.testing.assert_allclose(merge_debevec(garbage, EVS, "srgb", mask=mask).numpy(), rad.numpy(), rtol=1e-9)
    with pytest.raises(ValueError, match="keeps no frame for images \\[0\\]"):
        merge_debevec(frames, EVS, "srgb", mask=torch.zeros(1, len(EVS), dtype=torch.bool))


def test_merge_rejects_nan_and_bad_shapes() -> None:
    frames = torch.full((1, 2, 3, 2, 2), 0.5)
    frames[0, 0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="1 NaN"):
        merge_debevec(frames, [0.0, 1.0], "srgb")
    with pytest.raises(ValueError, match="3 exposure values for 2 frames"):
        merge_debevec(torch.full((1, 2, 3, 2, 2), 0.5), [0.0, 1.0, 2.0], "srgb")


# --------------------------------------------------------------------------- stopping rule
def _stack(step: float = 0.1, n_frames: int = 4, size: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """An input at 0.1 and a well-behaved up stack: each frame ``step`` brighter than the previous."""
    ldr = torch.full((1, 3, size, size), 0.1)
    frames = torch.stack([torch.full((1, 3, size, size), 0.1 + step * (k + 1)) for k in range(n_frames)], 1)
    return ldr, frames.clamp(0, 1)


def test_stop_keeps_every_frame_of_a_monotone_stack() -> None:
    ldr, frames = _stack(0.1)
    assert stop_counts(ldr, frames, "up").tolist() == [4]
    # Read as a down stack, it goes the wrong way; the original rule tolerates 64/255 per frame...
    assert stop_counts(ldr, frames, "down").tolist() == [4]
    # ... but not a step of 0.26 > 64/255, already in the first frame.
    ldr, frames = _stack(0.26, n_frames=3)
    assert stop_counts(ldr, frames, "up").tolist() == [3]
    assert stop_counts(ldr, frames, "down").tolist() == [0]


def test_stop_on_one_pixel_going_backwards_by_more_than_threshold() -> None:
    ldr, frames = _stack()
    frames[0, 2, 1, 3, 3] = frames[0, 1, 1, 3, 3] - 65 / 255  # frame 2 darker than frame 1 at one pixel
    assert stop_counts(ldr, frames, "up").tolist() == [2]
    frames[0, 2, 1, 3, 3] = frames[0, 1, 1, 3, 3] - 63 / 255  # within the threshold: kept
    assert stop_counts(ldr, frames, "up").tolist() == [4]


def test_stop_after_exhausted_frame_and_on_stalled_frame() -> None:
    ldr, frames = _stack()
    frames[0, 1] = 1.0  # frame 1 saturated everywhere: kept, nothing after it
    assert stop_counts(ldr, frames, "up").tolist() == [2]
    ldr, frames = _stack()
    frames[0, 1:] = 1.0  # frames 1-3 saturated but for pixel (0, 0): 35/36 < 0.999 saturated
    frames[0, 1:, :, 0, 0] = torch.tensor([0.5, 0.7, 0.9]).view(3, 1)
    assert stop_counts(ldr, frames, "up", exhausted_fraction=0.999).tolist() == [4]
    assert stop_counts(ldr, frames, "up", exhausted_fraction=0.95).tolist() == [2]
    ldr, frames = _stack()
    frames[0, 2] = frames[0, 1]  # frame 2 repeats frame 1: rejected
    assert stop_counts(ldr, frames, "up").tolist() == [2]


def test_stop_down_direction_and_per_image_counts() -> None:
    ldr = torch.full((3, 3, 4, 4), 0.8)
    frames = torch.stack([torch.full((3, 3, 4, 4), 0.8 - 0.15 * (k + 1)) for k in range(4)], 1).clamp(0, 1)
    frames[1, 1, 0, 0, 0] = 0.65 + 0.26  # image 1: frame 1 brighter than frame 0 by 0.26 > 64/255
    ldr[2] = 0.0  # image 2: input already black everywhere -> no darker frame
    assert stop_counts(ldr, frames, "down").tolist() == [4, 1, 0]


def test_black_within_margin_merges_to_zero_and_displays_black() -> None:
    # What the networks output for an all-black input: every frame at the 1e-3 clamp of the output
    # reference. Without snapping, the fallback gives f^-1(1e-3) / 2**4 > 0, which the display
    # scaling (max luminance -> 1000 cd/m^2) would turn into a uniformly white image.
    from baselines.drtm.model import relative_to_display

    frames = torch.full((1, len(EVS), 3, 4, 4), 1e-3)
    out = merge_debevec(frames, EVS, "srgb", margin=0.5 / 255)
    assert torch.equal(out, torch.zeros_like(out))
    assert torch.equal(relative_to_display(out), torch.full_like(out, 0.005))
    # Without a margin the same stack is a (very dark) grey, as Debevec's formula says.
    assert (merge_debevec(frames, EVS, "srgb", margin=0.0) > 0).all()
