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

from bench.metrics.hdrvdp.v2.params import DEFAULT_PARAMS, HDRVDPParams


def matlab_linspace(a: float, b: float, n: int) -> np.ndarray:
    """MATLAB ``linspace``: ``[a + (0:n-2)*(b-a)/(n-1), b]`` (n = 1 gives ``b``)."""
    if n < 1:
        return np.zeros(0)
    if n == 1:
        return np.array([float(b)])
    out = a + np.arange(n) * ((b - a) / (n - 1))
    out[-1] = b
    return out


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
    out = np.zeros_like(rho, dtype=np.float64)
    for a, b in zip(par.mtf_params_a, par.mtf_params_b):
        out = out + a * np.exp(-b * rho)
    return out


def ncsf_params(lum: np.ndarray, par: HDRVDPParams = DEFAULT_PARAMS) -> np.ndarray:
    """CSF shape parameters (n x 4) for adapting luminances ``lum`` (cd/m^2): linear interpolation
    over log10(csf_lums), clamped to the fitted range."""
    lum_lut = np.log10(np.asarray(par.csf_lums))
    log_lum = np.clip(np.log10(np.atleast_1d(np.asarray(lum, dtype=np.float64))), lum_lut[0], lum_lut[-1])
    tab = par.csf_params_array()
    return np.stack([np.interp(log_lum, lum_lut, tab[:, k + 1]) for k in range(4)], axis=-1)


def ncsf_from_params(rho: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Neural CSF for frequency ``rho`` (cpd) with parameters ``p[..., 0:4]`` (broadcast):

    S = p4 / sqrt( (1 + (p1 rho)^p2) / (1 - exp(-(rho/7)^2))^p3 )

    S(0) = 0 (MATLAB reaches it through 1/Inf).
    """
    with np.errstate(divide="ignore"):
        a = 1.0 + (p[..., 0] * rho) ** p[..., 1]
        b = 1.0 / (1.0 - np.exp(-((rho / 7.0) ** 2))) ** p[..., 2]
        return p[..., 3] * 1.0 / (a * b) ** 0.5


def ncsf(rho: np.ndarray | float, lum: np.ndarray | float, par: HDRVDPParams = DEFAULT_PARAMS) -> np.ndarray:
    """``hdrvdp_ncsf(rho, lum)``: one of rho/lum is a scalar or both broadcast; returns float64."""
    p = ncsf_params(lum, par)  # (n, 4)
    rho = np.asarray(rho, dtype=np.float64)
    if p.shape[0] == 1:
        return ncsf_from_params(rho, p[0])
    return ncsf_from_params(rho, p)


def joint_rod_cone_sens(la: np.ndarray, par: HDRVDPParams = DEFAULT_PARAMS) -> np.ndarray:
    """``hdrvdp_joint_rod_cone_sens``: absolute sensitivity at adapting luminance ``la`` (cd/m^2)."""
    s = par.csf_sa
    return s[0] * ((s[1] / la) ** s[2] + 1.0) ** -s[3]


def rod_sens(la: np.ndarray, par: HDRVDPParams = DEFAULT_PARAMS) -> np.ndarray:
    """``hdrvdp_rod_sens``: rod sensitivity at adapting luminance ``la`` (cd/m^2)."""
    peak_l, low_s, low_exp, high_s, high_exp, sens = par.csf_sr_par
    out = np.zeros_like(la)
    hi = la > peak_l
    out[hi] = np.exp(-(np.abs(np.log10(la[hi] / peak_l)) ** high_exp) / high_s)
    out[~hi] = np.exp(-(np.abs(np.log10(la[~hi] / peak_l)) ** low_exp) / low_s)
    return out * 10.0**sens


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
    c_l = 10.0 ** matlab_linspace(-5.0, 5.0, 2048)  # logspace(-5, 5, 2048)
    s_a = joint_rod_cone_sens(c_l, par)
    s_r = rod_sens(c_l, par) * 10.0**par.rod_sensitivity
    s_c = 0.5 * np.interp(np.minimum(c_l * 2.0, c_l[-1]), c_l, np.maximum(s_a - s_r, 1e-3))
    y = np.log10(c_l)
    cone = _jnd_space(y, s_c) * par.sensitivity_correction
    rod = _jnd_space(y, s_r) * par.sensitivity_correction
    for a in (y, cone, rod):
        a.setflags(write=False)
    return y, cone, rod
