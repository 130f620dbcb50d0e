"""Psychophysical models of HDR-VDP 3.0.7 (pure numpy, float64; precomputed once per plan).

* :func:`cycdeg_grid` -- ``create_cycdeg_image.m`` (3.0.7's ``mod`` form): spatial frequency
  (cycles/degree) of every coefficient of an FFT of a given size, unshifted order.
* :func:`mtf` -- ``hdrvdp_mtf.m``: optical MTF of the eye (``'hdrvdp'`` or ``'none'``).
* :func:`ncsf` -- ``hdrvdp_ncsf.m``: neural contrast sensitivity at frequency rho (cpd) and
  adapting luminance (cd/m^2), divided by the MTF, 0 at rho <= 1e-4, times the age factor.
* :func:`photoreceptor_luts` -- ``create_pn_jnd`` of ``hdrvdp_visual_pathway.m``: cone and rod
  non-linearities, log10 luminance (2048 points on logspace(-5, 5)) -> response (JND units).
* :func:`pupil_d_unified` -- ``pupil_d_unified.m`` (Watson & Yellott 2012), for ``do_slum``.
"""

from __future__ import annotations

import math

import numpy as np

from bench.metrics.hdrvdp.v2.vision import matlab_linspace
from bench.metrics.hdrvdp.v3.params import HDRVDP3Params

#: sigma of the local adaptation Gaussian in degrees (hdrvdp_local_adapt.m: 10^-0.781367 * ppd pixels)
LOCAL_ADAPT_SIGMA_DEG = 10.0**-0.781367


def cycdeg_axis(n: int, pix_per_deg: float) -> np.ndarray:
    """``(mod(1/2 + (0:n-1)/n, 1) - 1/2) * nyquist * 2`` with nyquist = ppd / 2 (cpd)."""
    k0 = np.mod(0.5 + np.arange(n) / n, 1.0) - 0.5
    return k0 * (0.5 * pix_per_deg * 2.0)


def cycdeg_grid(shape: tuple[int, int], pix_per_deg: float) -> np.ndarray:
    """``create_cycdeg_image(shape, ppd)``: sqrt(fx^2 + fy^2) for an FFT of size ``shape``."""
    yy = cycdeg_axis(shape[0], pix_per_deg)[:, None]
    xx = cycdeg_axis(shape[1], pix_per_deg)[None, :]
    return np.sqrt(xx**2 + yy**2)


def mtf(rho: np.ndarray | float, par: HDRVDP3Params, kind: str = "hdrvdp") -> np.ndarray:
    """Optical MTF of the eye at ``rho`` (cpd): ``'hdrvdp'`` sum_k a_k exp(-b_k rho); ``'none'`` 1."""
    rho = np.asarray(rho, dtype=np.float64)
    if kind == "none":
        return np.ones_like(rho)
    if kind != "hdrvdp":
        raise ValueError(f"mtf {kind!r} is not ported (expected 'hdrvdp' or 'none')")
    out = np.zeros_like(rho)
    for a, b in zip(par.mtf_params_a, par.mtf_params_b):
        out = out + a * np.exp(-b * rho)
    return out


def aesl(rho: np.ndarray | float, par: HDRVDP3Params) -> np.ndarray:
    """``hdrvdp_aesl``: age-related loss of sensitivity, 10^(-10^slope log2(rho + 10^base) max(0, age - 24))."""
    gamma = 10.0**par.aesl_base
    return 10.0 ** (
        -(10.0**par.aesl_slope_freq * np.log2(np.asarray(rho) + gamma)) * max(0.0, par.age - 24.0)
    )


def ncsf_params(lum: np.ndarray | float, par: HDRVDP3Params) -> np.ndarray:
    """CSF parameters (n x 4) at adapting luminances ``lum`` (cd/m^2): ``interp1`` of columns 2..5
    over log10(csf_lums), log luminance clamped to that range."""
    lum_lut = np.log10(np.asarray(par.csf_lums, dtype=np.float64))
    log_lum = np.clip(np.log10(np.atleast_1d(np.asarray(lum, dtype=np.float64))), lum_lut[0], lum_lut[-1])
    tab = np.asarray(par.csf_params, dtype=np.float64)
    return np.stack([np.interp(log_lum, lum_lut, tab[:, k + 1]) for k in range(4)], axis=-1)


def ncsf(
    rho: np.ndarray | float, lum: np.ndarray | float, par: HDRVDP3Params, mtf_kind: str = "hdrvdp"
) -> np.ndarray:
    """``hdrvdp_ncsf(rho, lum)`` (one of rho / lum a scalar, or both of one length):

    S = p4 / sqrt((1 + (p1 rho)^p2) / (1 - exp(-(rho/7)^2))^p3) / MTF(rho), 0 at rho <= 1e-4,
    times :func:`aesl` (1 at age 24). float64.
    """
    p = ncsf_params(lum, par)
    rho = np.asarray(rho, dtype=np.float64)
    if p.shape[0] == 1:
        p = p[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 + (p[..., 0] * rho) ** p[..., 1]
        b = 1.0 / (1.0 - np.exp(-((rho / 7.0) ** 2))) ** p[..., 2]
        s = p[..., 3] * 1.0 / (a * b) ** 0.5
    s = s / mtf(rho, par, mtf_kind)
    s = np.where(rho <= 1e-4, 0.0, s)
    if par.do_aesl:
        s = s * aesl(rho, par)
    return s


def joint_rod_cone_sens(la: np.ndarray, par: HDRVDP3Params) -> np.ndarray:
    """``hdrvdp_joint_rod_cone_sens``: csf_sa(1) ((csf_sa(2)/la)^csf_sa(3) + 1)^-csf_sa(4)."""
    s = par.csf_sa
    return s[0] * ((s[1] / la) ** s[2] + 1.0) ** -s[3]


def rod_sens(la: np.ndarray, par: HDRVDP3Params) -> np.ndarray:
    """``hdrvdp_rod_sens``: exp(-|log10(la/peak)|^e / s) on each side of the peak, times 10^csf_sr(6)."""
    peak_l, low_s, low_exp, high_s, high_exp, sens = par.csf_sr
    out = np.zeros_like(la)
    hi = la > peak_l
    out[hi] = np.exp(-(np.abs(np.log10(la[hi] / peak_l)) ** high_exp) / high_s)
    out[~hi] = np.exp(-(np.abs(np.log10(la[~hi] / peak_l)) ** low_exp) / low_s)
    return out * 10.0**sens


def _cumtrapz(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    steps = np.diff(x) * (y[1:] + y[:-1]) / 2.0
    return np.concatenate([[0.0], np.cumsum(steps)])


def photoreceptor_luts(par: HDRVDP3Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y = log10 of logspace(-5, 5, 2048), cone LUT, rod LUT), float64.

    ``build_jndspace_from_S``: jnd = cumtrapz(Y, S ln 10). Cone sensitivity
    s_C = 0.5 interp1(c_l, max(s_A - s_R, 1e-3), min(2 c_l, c_l(end))) (linear in luminance).
    Both LUTs are multiplied by 10^sensitivity_correction, as MATLAB does after its cache.
    """
    c_l = 10.0 ** matlab_linspace(-5.0, 5.0, 2048)
    s_a = joint_rod_cone_sens(c_l, par)
    s_r = rod_sens(c_l, par) * 10.0**par.rod_sensitivity
    s_c = 0.5 * np.interp(np.minimum(c_l * 2.0, c_l[-1]), c_l, np.maximum(s_a - s_r, 1e-3))
    y = np.log10(c_l)
    gain = 10.0**par.sensitivity_correction
    cone = _cumtrapz(y, s_c * math.log(10.0)) * gain
    rod = _cumtrapz(y, s_r * math.log(10.0)) * gain
    return y, cone, rod


def pupil_d_unified(lum: np.ndarray, area_deg2: float, age: float) -> np.ndarray:
    """Pupil diameter (mm) of the unified formula (Watson & Yellott 2012) for luminance ``lum``
    (cd/m^2) over a field of ``area_deg2`` deg^2 at ``age``: Stanley-Davies diameter
    7.75 - 5.75 (F/846)^0.41 / ((F/846)^0.41 + 2), F = lum * area, plus
    (y - 28.58) (0.02132 - 0.009562 d_SD), y = age clamped to [20, 83]."""
    f = lum * area_deg2
    x = (f / 846.0) ** 0.41
    d_sd = 7.75 - 5.75 * (x / (x + 2.0))
    y = min(max(age, 20.0), 83.0)
    return d_sd + (y - 28.58) * (0.02132 - 0.009562 * d_sd)
