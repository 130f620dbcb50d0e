"""The known camera response used to synthesize and to merge brackets.

A frame taken with relative exposure time ``t = 2**ev`` of a scene with relative linear radiance
``E`` (BT.709, any positive scale) has code values ``z = f(t * E)``, where ``f`` clips to [0, 1]
(sensor saturation) and then applies the response curve:

* ``"srgb"``: the IEC 61966-2-1 encoding (``itmn.colour.srgb_encode``: linear segment
  12.92 x below 0.0031308, else 1.055 x^(1/2.4) - 0.055). The test LDRs of protocol v1 are sRGB
  encoded, so with this curve an untrained residual model reproduces the protocol's inverse
  sRGB expansion exactly.
* ``"gamma2.2"``: ``z = x^(1/2.2)``, the pure power law often used as a generic camera curve.

Endo et al. synthesized their training stacks with several measured response curves (from the
DoRF database) so that the network saw varied cameras; here the curve is fixed and known, which
is what lets the merge invert it exactly (:mod:`baselines.drtm.merge`).

All functions take and return torch tensors of any shape; they are pure and differentiable where
the curve is (not at 0 for the power laws, so the networks only ever apply them to inputs that
need no gradient).
"""

from __future__ import annotations

import torch

from itmn import colour
from itmn.errors import ConfigError

_GAMMA = 2.2


def _check(curve: str) -> None:
    if curve not in ("srgb", "gamma2.2"):
        raise ConfigError(f"camera curve {curve!r} is not known (expected 'srgb' or 'gamma2.2')")


def camera_response(radiance: torch.Tensor, curve: str) -> torch.Tensor:
    """Code values in [0, 1] of relative linear radiance (already multiplied by the exposure time).

    Radiance above 1 saturates to code value 1, negative radiance clips to 0.
    """
    _check(curve)
    x = torch.clamp(radiance, 0.0, 1.0)
    code = colour.srgb_encode(x) if curve == "srgb" else torch.pow(x, 1.0 / _GAMMA)
    # Saturation is exactly 1 (float32 sRGB gives 1.055 - 0.055 = 0.99999994).
    return torch.where(x >= 1.0, torch.ones_like(code), code)


def inverse_camera_response(code: torch.Tensor, curve: str) -> torch.Tensor:
    """Relative linear radiance in [0, 1] (times the exposure time) of code values (clipped to [0, 1])."""
    _check(curve)
    z = torch.clamp(code, 0.0, 1.0)
    if curve == "srgb":
        return colour.srgb_decode(z)
    return torch.pow(z, _GAMMA)


def exposure_shift(code: torch.Tensor, ev: float | torch.Tensor, curve: str) -> torch.Tensor:
    """The frame the camera would have recorded ``ev`` stops brighter (negative: darker):
    ``f(2**ev * f^-1(code))``. Saturated code values stay saturated when brightened and
    become ``f(2**ev)`` when darkened: the information lost by clipping is not invented here."""
    gain = torch.exp2(torch.as_tensor(ev, dtype=code.dtype, device=code.device))
    return camera_response(inverse_camera_response(code, curve) * gain, curve)
