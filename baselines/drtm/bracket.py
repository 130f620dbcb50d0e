"""Training targets: exposure brackets synthesized from the HDR training images.

Pipeline for one batch of :class:`itmn.data.dataset.PairDataset` (``ldr`` and ``hdr``, both
N x 3 x H x W in [0, 1]):

1. ``hdr`` PQ code values (BT.2020, cd/m^2) -> linear BT.709 cd/m^2 (:func:`pq_to_radiance`;
   negatives from the gamut conversion clipped to 0).
2. EV 0 (:func:`align_exposure`): the exposure ``s`` (one per image) at which the camera frame
   ``f(s * E)`` matches the tone-mapped LDR best, i.e. the median over well-exposed pixels of
   ``log Y(f^-1(ldr)) - log Y(E)``. Endo et al. used every frame of a synthetic stack as the input
   in turn; here the input is the dataset's LDR, so EV 0 is defined by it.
3. Frame k of the up (down) network: ``f(2**(+k*step) * s * E)`` (``2**(-k*step)``), quantized
   to ``target_bits`` (:func:`synthesize_bracket`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from baselines.drtm.camera import camera_response, inverse_camera_response
from itmn import colour
from itmn.errors import ImageError

#: Fewer well-exposed pixels than this and EV 0 is aligned on every pixel with positive luminance.
MIN_ALIGN_PIXELS = 16


def frame_evs(n_frames: int, ev_step: float, direction: str) -> list[float]:
    """Exposure values (stops relative to the input) of the frames of one network, nearest first.

    >>> frame_evs(4, 0.5, "down")
    [-0.5, -1.0, -1.5, -2.0]
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")
    sign = 1.0 if direction == "up" else -1.0
    return [sign * ev_step * k for k in range(1, n_frames + 1)]


def check_batch_images(x: torch.Tensor, name: str) -> None:
    """Raise ImageError unless ``x`` is a finite N x 3 x H x W floating tensor."""
    if x.ndim != 4 or x.shape[1] != 3:
        raise ImageError(f"batch[{name!r}]", f"shape {tuple(x.shape)}", "N x 3 x H x W")
    if not x.is_floating_point():
        raise ImageError(f"batch[{name!r}]", f"dtype {x.dtype}", "a floating-point tensor")
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ImageError(f"batch[{name!r}]", f"{bad} non-finite values", "finite code values in [0, 1]")


def pq_to_radiance(hdr_pq: torch.Tensor) -> torch.Tensor:
    """PQ code values of BT.2020 light (N x 3 x H x W, [0, 1]) -> linear BT.709 cd/m^2 (>= 0)."""
    return torch.clamp(colour.bt2020_to_bt709(colour.pq_decode(hdr_pq)), min=0.0)


def align_exposure(
    ldr: torch.Tensor, radiance: torch.Tensor, curve: str, *, lo: float = 0.05, hi: float = 0.95
) -> torch.Tensor:
    """Exposure scale ``s`` (N,) that puts the camera frame ``f(s * radiance)`` at the LDR's exposure.

    ``log s`` is the median of ``log Y(f^-1(ldr)) - log Y(radiance)`` over pixels whose three LDR
    channels lie in (lo, hi) (neither clipped nor in the noisy blacks). With fewer than
    :data:`MIN_ALIGN_PIXELS` such pixels, every pixel with positive luminance in both is used;
    with none (a black LDR), ``s`` maps the brightest luminance of ``radiance`` to 1.

    Args:
        ldr: N x 3 x H x W display code values in [0, 1].
        radiance: N x 3 x H x W linear BT.709 (any unit, e.g. cd/m^2).
        curve: camera curve name (:mod:`baselines.drtm.camera`).
    Returns:
        N positive scales (float, same dtype as ``radiance``).
    """
    y_ldr = colour.luminance(inverse_camera_response(ldr, curve), "bt709").flatten(1)
    y_hdr = colour.luminance(radiance, "bt709").flatten(1)
    positive = (y_ldr > 0) & (y_hdr > 0)
    well = positive & (ldr.amin(1) > lo).flatten(1) & (ldr.amax(1) < hi).flatten(1)
    use = torch.where((well.sum(1, keepdim=True) >= MIN_ALIGN_PIXELS), well, positive)
    ratio = torch.log(y_ldr.clamp_min(1e-30)) - torch.log(y_hdr.clamp_min(1e-30))
    log_s = torch.nanmedian(torch.where(use, ratio, torch.full_like(ratio, float("nan"))), dim=1).values
    fallback = -torch.log(y_hdr.amax(1).clamp_min(1e-30))
    log_s = torch.where(use.any(1), log_s, fallback)
    return torch.exp(log_s)


def synthesize_bracket(
    radiance: torch.Tensor, evs: Sequence[float], curve: str, *, bits: int = 8
) -> torch.Tensor:
    """Frames ``f(2**ev * radiance)`` for each ``ev``, quantized to ``bits`` bits (0: not quantized).

    Args:
        radiance: N x 3 x H x W relative linear radiance at EV 0 (1 = saturation at EV 0).
        evs: exposure values in stops.
    Returns:
        N x K x 3 x H x W code values in [0, 1], K = len(evs), in the order of ``evs``.
    """
    gains = torch.exp2(torch.as_tensor(list(evs), dtype=radiance.dtype, device=radiance.device))
    frames = camera_response(radiance.unsqueeze(1) * gains.view(1, -1, 1, 1, 1), curve)
    return colour.quantize(frames, bits) if bits else frames
