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

from bench.metrics.hdrvdp.common import mtf_sum, ncsf_from_params, ncsf_params, photoreceptor_sensitivities
from bench.metrics.hdrvdp.v3.params import HDRVDP3Params

#: sigma of the local adaptation Gaussian in degrees (hdrvdp_local_adapt.m: 10^-0.781367 * ppd pixels)
LOCAL_ADAPT_SIGMA_DEG = 10.0**-0.781367


# Not v2's cycdeg_grid on purpose: 3.0.7's create_cycdeg_image is the mod form (2.2.2: linspace pieces)
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
    return mtf_sum(rho, par.mtf_params_a, par.mtf_params_b)


def aesl(rho: np.ndarray | float, par: HDRVDP3Params) -> np.ndarray:
    """``hdrvdp_aesl``: age-related loss of sensitivity, 10^(-10^slope log2(rho + 10^base) max(0, age - 24))."""
    gamma = 10.0**par.aesl_base
    return 10.0 ** (
        -(10.0**par.aesl_slope_freq * np.log2(np.asarray(rho) + gamma)) * max(0.0, par.age - 24.0)
    )


def ncsf(
    rho: np.ndarray | float, lum: np.ndarray | float, par: HDRVDP3Params, mtf_kind: str = "hdrvdp"
) -> np.ndarray:
    """``hdrvdp_ncsf(rho, lum)`` (one of rho / lum a scalar, or both of one length):

    S = p4 / sqrt((1 + (p1 rho)^p2) / (1 - exp(-(rho/7)^2))^p3) / MTF(rho), 0 at rho <= 1e-4,
    times :func:`aesl` (1 at age 24). float64.
    """
    p = ncsf_params(lum, par.csf_lums, par.csf_params)
    rho = np.asarray(rho, dtype=np.float64)
    if p.shape[0] == 1:
        p = p[0]
    s = ncsf_from_params(rho, p) / mtf(rho, par, mtf_kind)  # 3.0.7 only: / MTF, the zero, the age factor
    s = np.where(rho <= 1e-4, 0.0, s)
    if par.do_aesl:
        s = s * aesl(rho, par)
    return s


def _cumtrapz(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    steps = np.diff(x) * (y[1:] + y[:-1]) / 2.0
    return np.concatenate([[0.0], np.cumsum(steps)])


def photoreceptor_luts(par: HDRVDP3Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y = log10 of logspace(-5, 5, 2048), cone LUT, rod LUT), float64.

    ``build_jndspace_from_S``: jnd = cumtrapz(Y, S ln 10). Cone sensitivity
    s_C = 0.5 interp1(c_l, max(s_A - s_R, 1e-3), min(2 c_l, c_l(end))) (linear in luminance).
    Both LUTs are multiplied by 10^sensitivity_correction, as MATLAB does after its cache.
    """
    y, s_c, s_r = photoreceptor_sensitivities(par.csf_sa, par.csf_sr, par.rod_sensitivity)
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
