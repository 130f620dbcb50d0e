"""Huo et al. 2014, physiological inverse tone mapping, as the HDR Toolbox's ``HuoPhysEO`` computes it.

Paper: Y. Huo, F. Yang, L. Dong, V. Brost, "Physiological inverse tone mapping based on retina
response", The Visual Computer 30(5), 2014. Toolbox: ``HuoPhysEO(img, maxOutput, hou_n,
gammaRemoval)`` (commit 8169abe, 2018-07-02; unchanged at HEAD 5375d05). Written from the
algorithm; porting notes in docs/porting-notes/eo.md.

With ``I = img ** gamma`` (linear) and ``L = 0.2126 R + 0.7152 G + 0.0722 B``::

    sigma_l = exp(mean(log(L + delta)))                       (log mean over all pixels, zeros included)
    L_s     = BF(BF(L; s_s=16, s_r=0.3); s_s=10, s_r=0.1)     (bilateral grid, edge range [0, 1])
    L_exp   = (L / max L) * ((l_peak L_s)^n + (l_peak sigma_l)^n)^(1/n)
    out_c   = I_c * L_exp / L                                 (0 where L = 0)

Output is linear RGB (BT.709 primaries) at the toolbox's scale: ``l_peak`` is *not* the output
maximum (the reference outputs peak at 845-1257 for l_peak = 1000), and the output is exactly
proportional to ``l_peak`` (``((p a)^n + (p b)^n)^(1/n) = p (a^n + b^n)^(1/n)``).
"""

from __future__ import annotations

import numpy as np

from baselines import _eo_common as eo
from baselines.bilateral import filter_unchecked
from itmn.images import check_ldr

__all__ = [
    "HUO_BILATERAL_PASSES",
    "LOGMEAN_DELTA_2018",
    "LOGMEAN_DELTA_2018Q1",
    "check_params",
    "huo_physiological",
]

#: (sigma_s in pixels, sigma_r in relative luminance) of the two bilateral passes, as in the paper.
HUO_BILATERAL_PASSES = ((16.0, 0.3), (10.0, 0.1))
#: logMean's delta in the toolbox since 2018-03-27 (and at commit 8169abe / HEAD).
LOGMEAN_DELTA_2018 = 1e-6
#: logMean's delta in the toolbox state 2017-12-26 .. 2018-03-27.
LOGMEAN_DELTA_2018Q1 = 1e-3


def huo_physiological(
    img: np.ndarray,
    l_peak: float,
    n: float = 0.86,
    gamma: float | None = 2.2,
    *,
    logmean_delta: float = LOGMEAN_DELTA_2018,
) -> np.ndarray:
    """Expand an LDR image with Huo et al.'s retina-response operator (HDR Toolbox ``HuoPhysEO``).

    Parameters
    ----------
    img:
        H x W x 3 float32/float64 display code values in [0, 1].
    l_peak:
        The toolbox's ``maxOutput`` in cd/m^2 (> 0). It scales the output linearly; it is not the
        output maximum.
    n:
        Huo's ``n`` (> 0), the share of the range given to highlights vs. shadows (paper: 0.86).
    gamma:
        Display gamma removed first (``img ** gamma``); ``None`` if ``img`` is already linear.
    logmean_delta:
        ``delta`` of the log mean ``exp(mean(log(L + delta)))``: 1e-6 (toolbox 2018+, default) or
        1e-3 (toolbox 2017-12-26 .. 2018-03-27).
    Returns
    -------
    H x W x 3 float64 linear RGB (BT.709 primaries), relative luminance scaled by ``l_peak``.

    Examples
    --------
    >>> ramp = np.repeat(np.linspace(0.0, 1.0, 12)[None, :, None], 3, axis=2).repeat(4, axis=0)
    >>> out = huo_physiological(ramp, 1000.0)
    >>> bool(out[0, 0].max() == 0.0), bool(np.all(np.diff(out[0, :, 1]) > 0))
    (True, True)
    """
    ldr = check_ldr(img, name="img")
    check_params(l_peak, n, gamma, logmean_delta)
    lin = eo.remove_gamma(ldr, gamma)
    lum = eo.luminance(lin)
    max_l = float(lum.max())
    if max_l == 0.0:
        # The toolbox divides 0 by 0 here and RemoveSpecials turns every pixel into 0.
        return np.zeros_like(lin)
    sigma_l = float(np.exp(np.mean(np.log(lum + logmean_delta))))

    smooth = lum
    for sigma_s, sigma_r in HUO_BILATERAL_PASSES:
        smooth = filter_unchecked(smooth, smooth, 0.0, 1.0, sigma_s, sigma_r, has_nan=False)

    # ((l_peak L_s)^n + (l_peak sigma_l)^n)^(1/n), computed in place (order as in the toolbox).
    expanded = np.multiply(smooth, float(l_peak), out=smooth)
    eo.power(expanded, n, out=expanded)
    expanded += (float(l_peak) * sigma_l) ** n
    eo.power(expanded, 1.0 / n, out=expanded)
    expanded *= lum / max_l
    return eo.change_luminance(lin, lum, expanded)


def check_params(l_peak: float, n: float, gamma: float | None, logmean_delta: float) -> None:
    """ValueError naming the parameter unless every value is usable (the method registry checks
    them once when a method is built, not per image)."""
    if not (np.isfinite(l_peak) and l_peak > 0):
        raise ValueError(f"huo_physiological: l_peak = {l_peak!r}; expected a peak luminance > 0 in cd/m^2")
    if not (np.isfinite(n) and n > 0):
        raise ValueError(f"huo_physiological: n = {n!r}; expected a number > 0 (the paper uses 0.86)")
    if not (np.isfinite(logmean_delta) and logmean_delta > 0):
        raise ValueError(f"huo_physiological: logmean_delta = {logmean_delta!r}; expected > 0 (1e-6 or 1e-3)")
    eo.check_gamma(gamma)
