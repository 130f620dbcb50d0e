"""Psychophysical models of HDR-VDP 2.2.2 (pure numpy, float64; precomputed once and cached).

* :func:`cycdeg_grid` -- ``create_cycdeg_image.m``: spatial frequency (cycles/degree) of every
  FFT coefficient of an image of a given size.
* :func:`mtf` -- ``hdrvdp_mtf.m``: optical modulation transfer function of the eye.
* :func:`ncsf` -- ``hdrvdp_ncsf.m``: neural contrast sensitivity at frequency rho (cpd) and
  adapting luminance (cd/m^2).
* :func:`photoreceptor_luts` -- ``create_pn_jnd`` of ``hdrvdp_visual_pathway.m``: the cone and
  rod non-linearities as lookup tables from log10 luminance (2048 points on logspace(-5, 5)) to
  response in JND units.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bench.metrics.hdrvdp.common import (
    matlab_linspace,
    mtf_sum,
    ncsf_from_params,
    ncsf_params,
    photoreceptor_sensitivities,
)
from bench.metrics.hdrvdp.v2.params import DEFAULT_PARAMS, HDRVDPParams


def cycdeg_grid(shape: tuple[int, int], pix_per_deg: float) -> np.ndarray:
    """Frequency in cycles per degree of each coefficient of an FFT of size ``shape`` (rows, cols),
    in the unshifted FFT order, as ``create_cycdeg_image`` builds it (float64)."""
    nyquist = 0.5 * pix_per_deg

    def axis(n: int) -> np.ndarray:
        half = n // 2
        step = nyquist / half
        if n % 2:
            return np.concatenate(
                [matlab_linspace(0, nyquist, half + 1), matlab_linspace(-nyquist, -step, half)]
            )
        return np.concatenate(
            [matlab_linspace(0, nyquist - step, half), matlab_linspace(-nyquist, -step, half)]
        )

    yy = axis(shape[0])[:, None]
    xx = axis(shape[1])[None, :]
    return np.sqrt(xx**2 + yy**2)


def mtf(rho: np.ndarray, par: HDRVDPParams = DEFAULT_PARAMS) -> np.ndarray:
    """Optical MTF of the eye at spatial frequency ``rho`` (cpd): sum_k a_k exp(-b_k rho)."""
    return mtf_sum(rho, par.mtf_params_a, par.mtf_params_b)


def ncsf(rho: np.ndarray | float, lum: np.ndarray | float, par: HDRVDPParams = DEFAULT_PARAMS) -> np.ndarray:
    """``hdrvdp_ncsf(rho, lum)``: one of rho/lum is a scalar or both broadcast; returns float64."""
    p = ncsf_params(lum, par.csf_lums, par.csf_params)  # (n, 4)
    rho = np.asarray(rho, dtype=np.float64)
    if p.shape[0] == 1:
        return ncsf_from_params(rho, p[0])
    return ncsf_from_params(rho, p)


# Not v3's JND integration on purpose: 2.2.2 integrates 1/(L/S) L ln 10 (3.0.7: S ln 10; other round-off)
def _jnd_space(log_l: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``build_jndspace_from_S``: cumulative trapezoid of dL = S ln(10) over log10 luminance."""
    lum = 10.0**log_l
    thr = lum / s
    dl = 1.0 / thr * lum * np.log(10.0)
    steps = np.diff(log_l) * (dl[1:] + dl[:-1]) / 2.0
    return np.concatenate([[0.0], np.cumsum(steps)])


@lru_cache(maxsize=4)
def photoreceptor_luts(par: HDRVDPParams = DEFAULT_PARAMS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log10 luminance grid Y, cone LUT, rod LUT), 2048 points each, float64, read-only.

    The LUTs already include ``sensitivity_correction`` (MATLAB multiplies pn.jnd by it after
    reading the cache).
    """
    y, s_c, s_r = photoreceptor_sensitivities(par.csf_sa, par.csf_sr_par, par.rod_sensitivity)
    cone = _jnd_space(y, s_c) * par.sensitivity_correction
    rod = _jnd_space(y, s_r) * par.sensitivity_correction
    for a in (y, cone, rod):
        a.setflags(write=False)
    return y, cone, rod
