"""Tone mapping operators (TMOs) that make the LDR inputs of the benchmark pairs (protocol v1, §2.4).

Every operator is a pure function ``tmo(hdr, **params) -> display_linear``:

* ``hdr``: float H x W x 3, **linear BT.709**, non-negative and finite. Relative or absolute
  (cd/m^2) values give the same result: every operator first normalises by a statistic of the
  image (log-average or percentile luminance), so a global gain cancels (up to the tiny ``delta``
  of the log-average).
* result: float32 H x W x 3 **display-linear** values in [0, 1] (1 = display white), BT.709.
  Values the curve pushes above 1 (saturated colours, highlights) are clipped: that is what a
  display does.

:func:`to_ldr` turns display-linear values into the benchmark's LDR: sRGB encoding (IEC 61966-2-1)
and 8-bit quantization, as float32 code values k/255.

Colour is handled as in the papers: luminance Y = 0.2126 R + 0.7152 G + 0.0722 B is mapped to
Y_out and every channel is scaled by Y_out / Y (black pixels stay black).

Operators (:data:`TMOS`):

``reinhard_global``
    Reinhard, Stark, Shirley, Ferwerda 2002, "Photographic tone reproduction for digital
    images", eqs. 1-4: L_m = a L / L_avg with L_avg = exp(mean(log(delta + L))), then
    L_d = L_m (1 + L_m / L_white^2) / (1 + L_m). Key a = 0.18, L_white = max L_m (the brightest
    pixel maps exactly to 1), delta = 1e-6 (as the HDR Toolbox's ``logMean``).
``reinhard_local``
    The same paper's dodging-and-burning operator (eqs. 5-9): Gaussian centre and surround
    responses V1(s) = L_m * R1(s), V2(s) = L_m * R2(s) with R_i(x, y, s) proportional to
    exp(-(x^2 + y^2) / (alpha_i s)^2), alpha_1 = 1 / (2 sqrt 2), alpha_2 = 1.6 alpha_1, i.e.
    Gaussian standard deviations sigma_1 = alpha_1 s / sqrt 2 = s / 4 and sigma_2 = 1.6 sigma_1;
    activity V(s) = (V1 - V2) / (2^phi a / s^2 + V1) at 8 scales s = 1.6^k, k = 0..7 (1 to 27
    pixels; the surround of the last reaches 43), phi = 8, epsilon = 0.05. Per pixel s_max is the
    largest scale of the run of scales, starting at the smallest, with |V(s)| < epsilon (the
    smallest scale when even that one is active); L_d = L_m / (1 + V1(s_max)).
``drago``
    Drago, Myszkowski, Annen, Chiba 2003, "Adaptive logarithmic mapping for displaying high
    contrast scenes", eq. 4 with bias b = 0.85 and L_dmax = 100 cd/m^2: world luminance is
    divided by the adaptation luminance L_wa = L_avg / (1 + b - 0.85)^5 (the paper's exposure
    adjustment, 1 at b = 0.85), then
    L_d = (L_dmax / 100) / log10(1 + L_wmax) * ln(1 + L_w) / ln(2 + 8 (L_w / L_wmax)^(ln b / ln 0.5)).
    With L_dmax = 100 the brightest pixel maps exactly to 1. The paper's final gamma is left to
    :func:`to_ldr` (sRGB).
``camera_clip``
    An exposure-and-clip camera: the exposure is chosen so that the 90th percentile of
    luminance maps to display white (so about 10% of the pixels saturate, the middle of the
    5-15% range used to make training data for single-image HDR reconstruction, e.g. Eilertsen
    et al. 2017), then every channel is clipped to [0, 1]. The display encoding is sRGB
    (:func:`to_ldr`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from itmn import colour
from itmn.errors import ImageError

#: delta of the log-average luminance (the HDR Toolbox's logMean uses the same value).
LOG_DELTA = 1e-6


# --------------------------------------------------------------------------- helpers
def _check_hdr(hdr: Any, name: str = "hdr") -> np.ndarray:
    """float64 copy of a finite, non-negative H x W x 3 array, or ImageError naming what is wrong."""
    arr = np.asarray(hdr)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ImageError(name, f"shape {arr.shape}", "H x W x 3 linear BT.709 RGB")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(name, f"empty image, shape {arr.shape}", "at least 1 x 1 pixels")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(name, f"dtype {arr.dtype}", "floating-point linear light")
    arr = arr.astype(np.float64)
    n_bad = int((~np.isfinite(arr)).sum())
    if n_bad:
        raise ImageError(name, f"{n_bad} non-finite values", "finite linear light")
    neg = arr < 0
    if neg.any():
        raise ImageError(
            name,
            f"{int(neg.sum())} negative values (smallest {float(arr.min()):.6g})",
            "non-negative linear light (clamp gamut-conversion negatives first)",
        )
    return arr


def log_average(lum: np.ndarray, delta: float = LOG_DELTA) -> float:
    """exp(mean(log(delta + L))): the log-average ("key") luminance, in the unit of ``lum``."""
    return float(np.exp(np.mean(np.log(delta + lum))))


def _apply_luminance(hdr: np.ndarray, lum_in: np.ndarray, lum_out: np.ndarray) -> np.ndarray:
    """Scale every channel by lum_out / lum_in (0 where lum_in is 0), clip to [0, 1], float32."""
    ratio = np.divide(lum_out, lum_in, out=np.zeros_like(lum_out), where=lum_in > 0)
    return np.clip(hdr * ratio[..., None], 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- operators
def reinhard_global(
    hdr: np.ndarray, *, key: float = 0.18, l_white: float | None = None, delta: float = LOG_DELTA
) -> np.ndarray:
    """Reinhard et al. 2002 global photographic operator (see the module docstring).

    Parameters
    ----------
    hdr: H x W x 3 linear BT.709, relative or cd/m^2 (non-negative, finite).
    key: the key ``a`` (mid-grey the log-average luminance maps to before compression).
    l_white: white point in scaled units (L_m); ``None`` = the largest L_m.
    delta: offset of the log-average, in the unit of ``hdr``.

    Returns display-linear float32 in [0, 1].
    """
    x = _check_hdr(hdr)
    lum = colour.luminance(x, "bt709")
    lm = key / log_average(lum, delta) * lum
    lw = float(lm.max()) if l_white is None else float(l_white)
    if lw <= 0:
        return np.zeros(x.shape, dtype=np.float32)
    ld = lm * (1.0 + lm / lw**2) / (1.0 + lm)
    return _apply_luminance(x, lum, ld)


def reinhard_scales(n_scales: int = 8, ratio: float = 1.6) -> np.ndarray:
    """Centre scales s (pixels) of the local operator: ratio^k, k = 0..n_scales-1."""
    return ratio ** np.arange(n_scales, dtype=np.float64)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """2-D Gaussian blur of a single-channel image: sampled kernel exp(-x^2 / (2 sigma^2)),
    radius ceil(4 sigma) (at least 1), normalised to sum 1, mirror ('reflect', d c b a | a b c d)
    boundary. Separable, float64."""
    from scipy.ndimage import gaussian_filter

    radius = max(1, math.ceil(4.0 * sigma))
    return gaussian_filter(np.asarray(img, dtype=np.float64), sigma, mode="reflect", radius=radius)


def reinhard_local(
    hdr: np.ndarray,
    *,
    key: float = 0.18,
    phi: float = 8.0,
    epsilon: float = 0.05,
    n_scales: int = 8,
    ratio: float = 1.6,
    delta: float = LOG_DELTA,
) -> np.ndarray:
    """Reinhard et al. 2002 local operator, "dodging and burning" (see the module docstring).

    Parameters
    ----------
    hdr: H x W x 3 linear BT.709, relative or cd/m^2 (non-negative, finite).
    key: the key ``a``.
    phi: sharpening parameter.
    epsilon: activity threshold of the scale selection.
    n_scales, ratio: centre scales ratio^0 .. ratio^(n_scales-1) pixels; the surround of scale s
        is the centre of scale ratio * s.
    delta: offset of the log-average, in the unit of ``hdr``.

    Returns display-linear float32 in [0, 1]. Blurs: :func:`gaussian_blur`.
    """
    x = _check_hdr(hdr)
    lum = colour.luminance(x, "bt709")
    lm = key / log_average(lum, delta) * lum
    scales = reinhard_scales(n_scales, ratio)
    alpha1 = 1.0 / (2.0 * math.sqrt(2.0))
    # sigma of R1 at scale s: the kernel exp(-r^2 / (alpha s)^2) is a Gaussian with sigma = alpha s / sqrt 2
    centres = [gaussian_blur(lm, alpha1 * s / math.sqrt(2.0)) for s in (*scales, scales[-1] * ratio)]
    v1_sel = centres[0].copy()
    searching = np.ones(lm.shape, dtype=bool)  # still inside the run of quiet scales
    for k, s in enumerate(scales):
        v1, v2 = centres[k], centres[k + 1]
        activity = (v1 - v2) / (2.0**phi * key / s**2 + v1)
        quiet = searching & (np.abs(activity) < epsilon)
        v1_sel[quiet] = v1[quiet]
        searching = quiet
    ld = lm / (1.0 + v1_sel)
    return _apply_luminance(x, lum, ld)


def drago(
    hdr: np.ndarray, *, bias: float = 0.85, l_dmax: float = 100.0, delta: float = LOG_DELTA
) -> np.ndarray:
    """Drago et al. 2003 adaptive logarithmic mapping (see the module docstring).

    Parameters
    ----------
    hdr: H x W x 3 linear BT.709, relative or cd/m^2 (non-negative, finite).
    bias: the bias b in (0, 1); 0.85 is the paper's recommended value.
    l_dmax: maximum display luminance in cd/m^2; the result is L_d / 100 cd/m^2, so 100 maps the
        brightest pixel to 1.
    delta: offset of the log-average, in the unit of ``hdr``.

    Returns display-linear float32 in [0, 1].
    """
    if not 0.0 < bias < 1.0:
        raise ValueError(f"drago: bias must be in (0, 1), got {bias}")
    x = _check_hdr(hdr)
    lum = colour.luminance(x, "bt709")
    l_wa = log_average(lum, delta) / (1.0 + bias - 0.85) ** 5
    lw = lum / l_wa
    lw_max = float(lw.max())
    if lw_max <= 0:
        return np.zeros(x.shape, dtype=np.float32)
    exponent = math.log(bias) / math.log(0.5)
    ld = (
        (l_dmax / 100.0)
        / math.log10(1.0 + lw_max)
        * np.log1p(lw)
        / np.log(2.0 + 8.0 * (lw / lw_max) ** exponent)
    )
    return _apply_luminance(x, lum, ld)


def camera_clip(hdr: np.ndarray, *, percentile: float = 90.0, level: float = 1.0) -> np.ndarray:
    """Exposure-and-clip camera (see the module docstring).

    Parameters
    ----------
    hdr: H x W x 3 linear BT.709, relative or cd/m^2 (non-negative, finite).
    percentile: luminance percentile (numpy linear interpolation) that sets the exposure.
    level: display-linear value that percentile maps to (1 = white).

    Returns display-linear float32 in [0, 1]: clip(hdr * level / P, 0, 1) per channel.
    """
    x = _check_hdr(hdr)
    lum = colour.luminance(x, "bt709")
    p = float(np.percentile(lum, percentile))
    if p <= 0:
        p = float(lum.max())
    if p <= 0:
        return np.zeros(x.shape, dtype=np.float32)
    return np.clip(x * (level / p), 0.0, 1.0).astype(np.float32)


#: The operators by name (``itmn data prepare`` writes ``ldr/<name>/``; test pairs use reinhard_global).
TMOS: dict[str, Callable[..., np.ndarray]] = {
    "reinhard_global": reinhard_global,
    "reinhard_local": reinhard_local,
    "drago": drago,
    "camera_clip": camera_clip,
}
#: The operator of the benchmark's test pairs (protocol v1 §2.4).
TEST_TMO = "reinhard_global"


def get_tmo(name: str) -> Callable[..., np.ndarray]:
    """The operator called ``name``; KeyError listing the valid names otherwise."""
    try:
        return TMOS[name]
    except KeyError:
        raise KeyError(f"unknown tone mapping operator {name!r}; valid names: {', '.join(TMOS)}") from None


# --------------------------------------------------------------------------- display encoding
def to_ldr(display_linear: np.ndarray, *, bits: int = 8) -> np.ndarray:
    """sRGB encoding and ``bits``-bit quantization of display-linear values in [0, 1].

    Returns float32 code values k / (2^bits - 1). Values outside [0, 1] (beyond 1e-6) are an
    error: the TMOs clip, so such input means a caller skipped tone mapping.
    """
    arr = np.asarray(display_linear)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ImageError("display_linear", f"shape {arr.shape}", "H x W x 3")
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < -1e-6 or hi > 1.0 + 1e-6:
        raise ImageError(
            "display_linear", f"values span [{lo:.6g}, {hi:.6g}]", "display-linear values in [0, 1]"
        )
    code = colour.srgb_encode(np.clip(arr.astype(np.float64), 0.0, 1.0))
    return colour.quantize(code, bits).astype(np.float32)


def tone_map(name: str, hdr: np.ndarray, **params: Any) -> np.ndarray:
    """``to_ldr(TMOS[name](hdr, **params))``: the 8-bit sRGB LDR image as float32 in [0, 1]."""
    return to_ldr(get_tmo(name)(hdr, **params))
