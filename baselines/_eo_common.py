"""Steps shared by the classical expansion operators (HDR Toolbox semantics, checked input).

The input check the toolbox lacks (its ``checkIn01`` only fails when an image has values both
below 0 and above 1) is :func:`itmn.images.check_ldr`.
* :func:`remove_gamma` — ``img .^ gammaRemoval`` in float64, with an exact lookup table for
  8-bit-quantized input (``np.power`` on float64 is the slowest step of every operator).
* :func:`change_luminance` — the toolbox's ``ChangeLuminance`` + ``RemoveSpecials``.
"""

from __future__ import annotations

import numpy as np
import torch

from itmn import colour

__all__ = ["change_luminance", "check_gamma", "luminance", "power", "remove_gamma"]


def check_gamma(gamma: float | None) -> None:
    """``gamma`` must be None (input already linear) or a finite number > 0."""
    if gamma is not None and not (np.isfinite(gamma) and gamma > 0):
        raise ValueError(
            f"gamma = {gamma!r}; expected a number > 0, or None for input that is already linear"
        )


def remove_gamma(img: np.ndarray, gamma: float | None) -> np.ndarray:
    """``img ** gamma`` as float64 (``gamma=None``: a float64 copy, the toolbox's gammaRemoval <= 0).

    When every value is exactly ``k / 255`` in the array's dtype (8-bit LDR read as floats), the
    result is gathered from a 256-entry table of the same powers: identical values, ~4x faster.
    """
    if gamma is None:
        return img.astype(np.float64)
    levels = np.arange(256, dtype=img.dtype) / img.dtype.type(255)
    codes = np.add(np.multiply(img, img.dtype.type(255)), img.dtype.type(0.5)).astype(np.uint8)
    if np.array_equal(np.take(levels, codes), img):
        table = np.power(levels.astype(np.float64), float(gamma))
        return np.take(table, codes)
    return power(img.astype(np.float64), float(gamma))


def power(x: np.ndarray, exponent: float, out: np.ndarray | None = None) -> np.ndarray:
    """``x ** exponent`` for float64 ``x >= 0``, computed by torch (SIMD, ~2x faster than numpy's
    scalar ``pow`` on float64; within ~1 ulp of it). ``out`` may be ``x`` itself."""
    xt = torch.from_numpy(np.ascontiguousarray(x))
    if out is None:
        return torch.pow(xt, exponent).numpy()
    torch.pow(xt, exponent, out=torch.from_numpy(out))
    return out


def luminance(img: np.ndarray) -> np.ndarray:
    """Toolbox ``lum``: 0.2126 R + 0.7152 G + 0.0722 B (the protocol's BT.709 weights), H x W."""
    return colour.luminance(img, "bt709")


def change_luminance(img: np.ndarray, l_old: np.ndarray, l_new: np.ndarray) -> np.ndarray:
    """Toolbox ``ChangeLuminance(img, Lold, Lnew)``: ``img_c * Lnew / Lold`` per channel, NaN/Inf -> 0.

    Computed as ``img_c * (Lnew / Lold)`` (one division per pixel instead of three; differs from
    the toolbox's ``(img_c * Lnew) / Lold`` by at most an ulp or two). Where ``l_old`` is 0 the
    toolbox divides by zero and ``RemoveSpecials`` writes 0; the same 0 is produced here.
    """
    ratio = np.zeros_like(l_new)
    np.divide(l_new, l_old, out=ratio, where=l_old > 0)
    if not np.isfinite(ratio).all():  # l_old subnormal: the toolbox's Inf -> RemoveSpecials -> 0
        ratio[~np.isfinite(ratio)] = 0.0
    return np.multiply(img, ratio[..., None])
