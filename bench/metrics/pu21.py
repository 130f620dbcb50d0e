"""PU21 perceptually uniform encoding (Mantiuk & Azimi 2021) and the PSNR/SSIM computed on it,
as in gfxdisp/pu21 @ 78340c0 (``pu21_encoder.m``, ``pu21_metric.m``; BSD-3-Clause).

Encoding of absolute luminance Y in cd/m^2 (values clamped to [0.005, 10000] first):

    V = max(p7 * (((p1 + p2 Y^p4) / (1 + p3 Y^p4))^p5 - p6), 0)

with the ``banding_glare`` parameters (the recommended default). 100 cd/m^2 maps to about 256,
so V has the scale of 8-bit code values. The metrics, as ``pu21_metric`` computes them:

* :func:`pu21_psnr` (``'PSNR'``): every colour channel encoded *as if it were luminance*, then
  PSNR with peak 256 over all three channels: 10 log10(256^2 / MSE).
* :func:`pu21_psnr_y` (``'PSNRY'``): the same on the encoded luminance.
* :func:`pu21_ssim` (``'SSIM'``): MATLAB ``ssim`` with ``'DynamicRange', 256`` on the encoded
  luminance: 11 x 11 Gaussian window, sigma 1.5, replicate padding, mean of the full map.

Luminance here is pu21's own ``get_luminance``: 0.212656 R + 0.715158 G + 0.072186 B (linear
BT.709). Inputs are H x W x 3 linear BT.709 in absolute cd/m^2. Arithmetic is float64.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from bench.metrics.validate import check_pair
from itmn.protocol import Protocol, get_protocol

PU21Type = Literal["banding", "banding_glare", "peaks", "peaks_glare"]

#: Parameters p1..p7 of ``pu21_encoder.m`` (updated 06/02/2020 there).
PU21_PARAMS: dict[str, tuple[float, ...]] = {
    "banding": (1.070275272, 0.4088273932, 0.153224308, 0.2520326168, 1.063512885, 1.14115047, 521.4527484),
    "banding_glare": (
        0.353487901, 0.3734658629, 8.277049286e-05, 0.9062562627, 0.09150303166, 0.9099517204, 596.3148142,
    ),
    "peaks": (1.043882782, 0.6459495343, 0.3194584211, 0.374025247, 1.114783422, 1.095360363, 384.9217577),
    "peaks_glare": (
        816.885024, 1479.463946, 0.001253215609, 0.9329636822, 0.06746643971, 1.573435413, 419.6006374,
    ),
}  # fmt: skip
#: Luminance range of the encoding in cd/m^2; values outside are clamped.
PU21_L_MIN = 0.005
PU21_L_MAX = 10000.0
#: Peak value used by pu21_metric's PSNR and dynamic range of its SSIM.
PU21_PEAK = 256.0
#: pu21_metric.m's get_luminance weights (its own rounding of the BT.709 Y row).
PU21_LUMA = (0.212656, 0.715158, 0.072186)


#: the gfxdisp/pu21 commit whose numbers the functions reproduce
PU21_COMMIT = "78340c0"


def config_string(which: Literal["psnr", "ssim"], protocol: str | Protocol | None = None) -> str:
    """``pu21_psnr pu21-78340c0 | banding_glare [0.005,10000] | rgb | peak 256 | protocol v1`` or the
    SSIM one (luminance, MATLAB's ssim window and padding, range 256)."""
    from bench.metrics.structural import SIGMA, WIN_SIZE

    head = [f"pu21_{which} pu21-{PU21_COMMIT}", f"banding_glare [{PU21_L_MIN:g},{PU21_L_MAX:g}]"]
    if which == "psnr":
        body = ["rgb", f"peak {PU21_PEAK:g}"]
    else:
        body = ["luminance", f"win {WIN_SIZE} sigma {SIGMA:g} replicate", f"range {PU21_PEAK:g}"]
    return " | ".join([*head, *body, get_protocol(protocol).tag])


def pu21_encode(y_cdm2: Any, *, kind: PU21Type = "banding_glare") -> np.ndarray:
    """PU21 encoding of absolute linear values in cd/m^2 (any shape) -> PU values (float64,
    about 0..600; 100 cd/m^2 -> ~256). Values are clamped to [0.005, 10000] cd/m^2 first."""
    p = _params(kind)
    y = np.clip(np.asarray(y_cdm2, dtype=np.float64), PU21_L_MIN, PU21_L_MAX)
    yp = y ** p[3]
    return np.maximum(p[6] * (((p[0] + p[1] * yp) / (1.0 + p[2] * yp)) ** p[4] - p[5]), 0.0)


def pu21_decode(v: Any, *, kind: PU21Type = "banding_glare") -> np.ndarray:
    """Inverse of :func:`pu21_encode`: PU values -> cd/m^2 (float64)."""
    p = _params(kind)
    vp = np.maximum(np.asarray(v, dtype=np.float64) / p[6] + p[5], 0.0) ** (1.0 / p[4])
    return (np.maximum(vp - p[0], 0.0) / (p[1] - p[2] * vp)) ** (1.0 / p[3])


def _params(kind: str) -> tuple[float, ...]:
    try:
        return PU21_PARAMS[kind]
    except KeyError:
        raise ValueError(f"unknown PU21 type {kind!r}; expected one of {sorted(PU21_PARAMS)}") from None


def pu21_luminance(rgb: np.ndarray) -> np.ndarray:
    """pu21_metric's luminance of linear BT.709 RGB (H x W x 3 -> H x W), same unit."""
    w = PU21_LUMA
    return rgb[..., 0] * w[0] + rgb[..., 1] * w[1] + rgb[..., 2] * w[2]


def _psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0.0 else 10.0 * math.log10(peak**2 / mse)


def _pair(test: Any, ref: Any) -> tuple[np.ndarray, np.ndarray]:
    return check_pair(test, ref, absolute=True)


def pu21_psnr(test: Any, ref: Any) -> float:
    """PU21-PSNR in dB: R, G and B each PU21-encoded as if luminance, peak 256, MSE over all
    channels (``pu21_metric(test, ref, 'PSNR')``). Inputs: H x W x 3 linear BT.709 cd/m^2.
    ``inf`` for identical encodings."""
    t, r = _pair(test, ref)
    return _psnr(pu21_encode(t), pu21_encode(r), PU21_PEAK)


def pu21_psnr_y(test: Any, ref: Any) -> float:
    """PU21-PSNR of the luminance only, in dB (``pu21_metric(test, ref, 'PSNRY')``)."""
    t, r = _pair(test, ref)
    return _psnr(pu21_encode(pu21_luminance(t)), pu21_encode(pu21_luminance(r)), PU21_PEAK)


def pu21_ssim(test: Any, ref: Any, *, device: Any = None) -> float:
    """PU21-SSIM (``pu21_metric(test, ref, 'SSIM')``): SSIM of the PU21-encoded luminance with
    dynamic range 256, 11 x 11 Gaussian window sigma 1.5, replicate padding (MATLAB ``ssim``),
    mean over every pixel. Inputs: H x W x 3 linear BT.709 cd/m^2. 1.0 for identical images."""
    from bench.metrics.structural import ssim

    t, r = _pair(test, ref)
    pt = pu21_encode(pu21_luminance(t))
    pr = pu21_encode(pu21_luminance(r))
    return ssim(pt, pr, data_range=PU21_PEAK, padding="replicate", device=device)
