"""Choosing the frames of a predicted bracket (the stopping rule) and merging them to radiance.

Stopping rule (:func:`stop_counts`). Endo et al.'s released inference code walks outward from the
input, separately towards darker and brighter frames, and stops at the first predicted frame in
which some pixel moved against the exposure direction by more than 64/255 compared with the
previous kept frame (a brighter frame may not be darker anywhere, and vice versa): such a frame is
the network failing, and so is anything after it. That rule is kept (``stop_threshold``), and two
rules that stop once frames stop carrying information are added, because the merge weights
saturated/black pixels by zero anyway and a frame that repeats its predecessor adds nothing:

* exhausted: the walk stops *after* a frame in which at least ``stop_exhausted_fraction`` of the
  pixels are saturated in every channel (>= 1 - ``stop_exhausted_level``; brighter frames) or black
  in every channel (<= level; darker frames). The frame itself is kept, its few informative pixels
  being the ones that most need it. An exhausted input stops the walk before the first frame.
* stalled: a frame whose mean absolute difference from the previous kept frame is below
  ``stop_min_change`` is rejected, and the walk stops.

Merge (:func:`merge_debevec`): Debevec & Malik 1997, eq. 6, with the known camera curve: per
channel, ``log E = sum_k w(z_k) (log f^-1(z_k) - log t_k) / sum_k w(z_k)`` with the triangle
weights ``w(z) = max(0, min(z - m, 1 - m - z))`` (zero at 0 and 1, like Debevec's hat and OpenCV
since opencv#24966), ``t_k = 2**ev_k``.

Guard (opencv#27392): where every frame of a pixel channel is saturated, or every one is black,
the weights sum to zero and the formula divides 0 by 0 (NaN) or, in the log domain, gives
-inf/inf. There the channel takes the estimate ``f^-1(z_k) / t_k`` of the single kept frame whose
code value is nearest to mid-grey 0.5 (ties: the darkest exposure for bright values, the brightest
for dark ones), i.e. the darkest frame for an all-saturated stack (a lower bound of the true
radiance) and the brightest for an all-black one. In the fallback, code values within the
weight margin of 0 or 1 are snapped to 0 or 1: a stack the output sigmoid cannot push below its
1e-3 clamp (an all-black input) merges to exactly 0, not to a tiny positive radiance that the
display scaling would stretch to 1000 cd/m^2. Estimates are
floored at :data:`RADIANCE_FLOOR` before the logarithm, so no log(0) enters a sum either.
The result is finite and non-negative for any input in [0, 1] (NaN inputs are rejected).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from baselines.drtm.camera import inverse_camera_response
from itmn.errors import ImageError

#: Per-frame radiance estimates are floored here before log (relative units; EV-0 saturation = 1).
RADIANCE_FLOOR = 1e-12
#: Weight sums at or below this count as zero (no usable frame).
WEIGHT_EPS = 1e-6


def triangle_weights(code: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
    """Debevec's hat ``max(0, min(z - margin, 1 - margin - z))`` of code values z in [0, 1]."""
    z = torch.clamp(code, 0.0, 1.0)
    return torch.clamp(torch.minimum(z - margin, 1.0 - margin - z), min=0.0)


def _exhausted_fraction(frame: torch.Tensor, direction: str, level: float) -> torch.Tensor:
    """Fraction (N,) of pixels saturated (up) / black (down) in all channels of N x 3 x H x W."""
    if direction == "up":
        dead = frame.amin(1) >= 1.0 - level
    else:
        dead = frame.amax(1) <= level
    return dead.flatten(1).float().mean(1)


def stop_counts(
    ldr: torch.Tensor,
    frames: torch.Tensor,
    direction: str,
    *,
    threshold: float = 64.0 / 255.0,
    exhausted_fraction: float = 0.999,
    exhausted_level: float = 1.0 / 255.0,
    min_change: float = 0.25 / 255.0,
) -> torch.Tensor:
    """How many frames (N,) of one network to keep, walking outward from the input.

    Args:
        ldr: input N x 3 x H x W (code values, [0, 1]).
        frames: the network's frames N x K x 3 x H x W, nearest exposure first.
        direction: ``"up"`` (frames get brighter) or ``"down"``.
        threshold, exhausted_fraction, exhausted_level, min_change: see the module docstring.
    Returns:
        int64 tensor of counts in [0, K]: frames 0 .. count-1 are kept.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")
    if frames.ndim != 5 or frames.shape[0] != ldr.shape[0] or frames.shape[2:] != ldr.shape[1:]:
        raise ImageError(
            "frames", f"shape {tuple(frames.shape)} for input {tuple(ldr.shape)}", "N x K x 3 x H x W"
        )
    sign = 1.0 if direction == "up" else -1.0
    prev = ldr
    alive = _exhausted_fraction(ldr, direction, exhausted_level) < exhausted_fraction
    count = torch.zeros(ldr.shape[0], dtype=torch.int64, device=ldr.device)
    for k in range(frames.shape[1]):
        frame = frames[:, k]
        backwards = (sign * (frame - prev) < -threshold).flatten(1).any(1)
        stalled = (frame - prev).abs().flatten(1).mean(1) < min_change
        keep = alive & ~backwards & ~stalled
        count += keep.long()
        alive = keep & (_exhausted_fraction(frame, direction, exhausted_level) < exhausted_fraction)
        prev = torch.where(keep.view(-1, 1, 1, 1), frame, prev)
    return count


def merge_debevec(
    frames: torch.Tensor,
    evs: Sequence[float] | torch.Tensor,
    curve: str,
    *,
    mask: torch.Tensor | None = None,
    margin: float = 0.0,
) -> torch.Tensor:
    """Relative linear radiance (N x 3 x H x W, >= 0, finite) of a bracket.

    Args:
        frames: N x F x 3 x H x W code values in [0, 1] (values outside are clipped).
        evs: F exposure values in stops (relative exposure time ``2**ev``).
        curve: the camera curve the frames were taken with (:mod:`baselines.drtm.camera`).
        mask: N x F booleans, frames to merge (None: all). Each image needs one kept frame.
        margin: triangle-weight margin (code value).
    Returns:
        Radiance in units where a pixel at EV 0 saturates at 1.
    """
    if frames.ndim != 5 or frames.shape[2] != 3:
        raise ImageError("frames", f"shape {tuple(frames.shape)}", "N x F x 3 x H x W")
    n, nf = frames.shape[:2]
    evs_t = torch.as_tensor(evs, dtype=frames.dtype, device=frames.device).reshape(-1)
    if evs_t.numel() != nf:
        raise ValueError(f"{evs_t.numel()} exposure values for {nf} frames")
    if torch.isnan(frames).any():
        raise ImageError("frames", f"{int(torch.isnan(frames).sum())} NaN code values", "values in [0, 1]")
    keep = torch.ones(n, nf, dtype=torch.bool, device=frames.device) if mask is None else mask.bool()
    if keep.shape != (n, nf):
        raise ValueError(f"mask has shape {tuple(keep.shape)}, expected {(n, nf)}")
    if not bool(keep.any(1).all()):
        raise ValueError(f"mask keeps no frame for images {torch.nonzero(~keep.any(1)).flatten().tolist()}")
    z = torch.clamp(frames, 0.0, 1.0)
    keep5 = keep.view(n, nf, 1, 1, 1)
    w = triangle_weights(z, margin) * keep5
    est = inverse_camera_response(z, curve) / torch.exp2(evs_t).view(1, nf, 1, 1, 1)
    log_est = torch.log(est.clamp_min(RADIANCE_FLOOR))
    wsum = w.sum(1)
    merged = torch.exp((w * log_est).sum(1) / wsum.clamp_min(WEIGHT_EPS))
    # Fallback frame: nearest to mid-grey among kept frames. The 1e-6 * rank term only breaks
    # exact ties (clipped frames): bright values prefer the darkest exposure, dark values the
    # brightest, i.e. the estimate closest to the unclipped truth.
    rank = torch.argsort(torch.argsort(evs_t)).to(frames.dtype).view(1, nf, 1, 1, 1)
    tie = torch.where(z >= 0.5, rank, (nf - 1) - rank)
    dist = torch.where(keep5, (z - 0.5).abs() + 1e-6 * tie, torch.full_like(z, 2.0))
    best = dist.argmin(1, keepdim=True)
    # Within the margin of 0 or 1 a code value means black or saturated: the fallback snaps it,
    # so that a stack the output sigmoid left at 1e-3 (an all-black input) merges to exactly 0.
    snapped = torch.where(
        z <= margin, torch.zeros_like(z), torch.where(z >= 1.0 - margin, torch.ones_like(z), z)
    )
    est_snapped = inverse_camera_response(snapped, curve) / torch.exp2(evs_t).view(1, nf, 1, 1, 1)
    fallback = torch.gather(est_snapped, 1, best).squeeze(1)
    return torch.where(wsum > WEIGHT_EPS, merged, fallback)
