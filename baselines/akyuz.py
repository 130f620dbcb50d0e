"""Linear expansion: Akyüz et al. 2007 (HDR Toolbox ``AkyuzEO``) and plain inverse gamma.

Paper: A. O. Akyüz, R. Fleming, B. E. Riecke, E. Reinhard, H. H. Bülthoff, "Do HDR displays
support LDR content? A psychophysical evaluation", ACM Trans. Graph. 26(3) (SIGGRAPH 2007). Its
finding — a simple linear contrast stretch of the LDR image is preferred to cleverer expansions —
is the operator ``AkyuzEO(img, maxOutput, a_gamma, gammaRemoval)`` of the HDR Toolbox::

    I     = img ** gamma                                 (linear)
    L     = 0.2126 R + 0.7152 G + 0.0722 B
    L_exp = k ((L - L_min) / (L_max - L_min)) ** a_gamma  (a_gamma = 1: linear)
    out_c = I_c * L_exp / L                              (0 where L = 0 or the ratio is NaN/Inf)

Toolbox behaviour kept: a single-colour image (L_max = L_min) gives 0/0 and therefore an all-zero
output, and the darkest pixels map to 0. Written from the algorithm (the toolbox is GPLv3).
"""

from __future__ import annotations

import numpy as np

from baselines import _eo_common as eo
from itmn.images import check_ldr

__all__ = ["akyuz_linear", "inverse_gamma"]


def akyuz_linear(
    img: np.ndarray, l_max: float = 1000.0, a_gamma: float = 1.0, gamma: float | None = 2.2
) -> np.ndarray:
    """Akyüz et al. 2007 linear expansion (HDR Toolbox ``AkyuzEO``).

    Parameters
    ----------
    img:
        H x W x 3 float32/float64 display code values in [0, 1].
    l_max:
        ``k``, the toolbox's ``maxOutput``: output luminance of the brightest pixel, cd/m^2 (> 0).
    a_gamma:
        Exponent of the normalized luminance (> 0); 1 is the linear expansion of the paper.
    gamma:
        Display gamma removed first; ``None`` if ``img`` is already linear.

    Returns
    -------
    H x W x 3 float64 linear RGB (BT.709 primaries), luminance in [0, l_max].

    Examples
    --------
    >>> grey = np.array([[[0.25] * 3, [0.5] * 3, [1.0] * 3]])   # linear input: gamma=None
    >>> akyuz_linear(grey, l_max=1000.0, gamma=None)[0, :, 1].round(6).tolist()
    [0.0, 333.333333, 1000.0]
    """
    ldr = check_ldr(img, name="img")
    if not (np.isfinite(l_max) and l_max > 0):
        raise ValueError(f"akyuz_linear: l_max = {l_max!r}; expected a luminance > 0 in cd/m^2")
    if not (np.isfinite(a_gamma) and a_gamma > 0):
        raise ValueError(f"akyuz_linear: a_gamma = {a_gamma!r}; expected a number > 0 (1 = linear)")
    eo.check_gamma(gamma)
    lin = eo.remove_gamma(ldr, gamma)
    lum = eo.luminance(lin)
    l_lo, l_hi = float(lum.min()), float(lum.max())
    if l_hi == l_lo:
        # 0/0 in the toolbox; RemoveSpecials makes every pixel 0.
        return np.zeros_like(lin)
    expanded = (lum - l_lo) / (l_hi - l_lo)
    if a_gamma != 1.0:
        np.power(expanded, a_gamma, out=expanded)
    expanded *= float(l_max)
    return eo.change_luminance(lin, lum, expanded)


def inverse_gamma(img: np.ndarray, gamma: float = 2.2) -> np.ndarray:
    """Plain inverse-gamma linearization ``img ** gamma``: relative linear RGB in [0, 1], float64.

    The simplest LDR-to-HDR "expansion": once the shared wrapper scales its peak luminance to
    1000 cd/m^2 it is a linear expansion of the linearized image (Akyüz et al. without the
    black-point shift). The acceptance criteria compare learned models against it.
    """
    ldr = check_ldr(img, name="img")
    if not (np.isfinite(gamma) and gamma > 0):
        raise ValueError(f"inverse_gamma: gamma = {gamma!r}; expected a number > 0")
    return eo.remove_gamma(ldr, gamma)
