"""Spectral part of HDR-VDP 3.0.7: display emission spectra, the ITU-R RGB -> native display RGB
matrix (``hdrvdp_iturgb2native.m``), the aging lens filter (``do_aod``) and the matrix from
native display RGB (or luminance) to L, M, S cone and rod responses (the "photoreceptor
spectral sensitivity" section of ``hdrvdp_visual_pathway.m``).

Channel values are absolute: cd/m^2 per display primary. Matrices are float64 numpy; rows of
``channels_to_lmsr`` are the input channels, columns L, M, S, rod, so that ``lmsr = rgb @ M``.

The tables (Smith-Pokorny 1975 cone fundamentals in log10 units, CIE 1951 scotopic luminous
efficiency, CIE 1931 colour matching functions, display emission spectra, D65) ship in
``tables/`` with HDR-VDP 3.0.7's licence.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.interpolate import PchipInterpolator

from bench.metrics.hdrvdp.common import LAMBDA_NM, cone_rod_spectra, load_table, resample_spectrum

#: maximum luminous efficacy (lm/W) hdrvdp multiplies every spectral integral by
KM = 683.002

#: the 'rgb_display' spectra of HDR-VDP 3.0.7 (data/emission_spectra_<name>.csv)
DISPLAYS = ("led-lcd-srgb", "led-lcd-wcg", "oled", "crt", "ccfl-lcd")

# hdrvdp_iturgb2native.m: ITU-R RGB -> XYZ, as written there (4 digits)
_ITU_TO_XYZ = {
    "rgb-bt.709": np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]),
    "rgb-bt.2020": np.array([[0.6370, 0.1446, 0.1689], [0.2627, 0.6780, 0.0593], [0.0000, 0.0281, 1.0610]]),
    "xyz": np.eye(3),
}

# hdrvdp_visual_pathway.m, do_aod: optical density of the lens (Pokorny et al. 1987)
_AOD_LAMBDA = np.arange(400.0, 651.0, 10.0)
_AOD_TL1 = np.array(
    [0.600, 0.510, 0.433, 0.377, 0.327, 0.295, 0.267, 0.233, 0.207, 0.187, 0.167, 0.147, 0.133]
    + [0.120, 0.107, 0.093, 0.080, 0.067, 0.053, 0.040, 0.033, 0.027, 0.020, 0.013, 0.007, 0.000]
)
_AOD_TL2 = np.array([1.000, 0.583, 0.300, 0.116, 0.033, 0.005] + [0.0] * 20)


def _table(name: str) -> np.ndarray:
    return load_table("bench.metrics.hdrvdp.v3", name)


# Not v2's on purpose: the rgb_display spectra of 3.0.7 (and the message naming them)
@lru_cache(maxsize=8)
def emission_spectra(name: str) -> np.ndarray:
    """Emission spectra on :data:`LAMBDA_NM`: a display of :data:`DISPLAYS` (420 x 3, R G B) or
    ``d65`` (420 x 1, the spectrum of single-channel luminance images)."""
    if name == "d65":
        return resample_spectrum(_table("d65.csv"))
    if name not in DISPLAYS:
        raise ValueError(f"unknown rgb_display {name!r} (expected one of: {', '.join(DISPLAYS)})")
    return resample_spectrum(_table(f"emission_spectra_{name}.csv"))


def lens_transmission(age: float) -> np.ndarray:
    """``do_aod``: transmission of the aging lens relative to a 32-year-old's... as MATLAB writes
    it: 10^-(OD(age) - OD_y) with OD = TL1 (1 + 0.02 (age - 32)) + TL2 up to 60 years, then
    TL1 (1.56 + 0.0667 (age - 60)) + TL2; OD_y = TL1 + TL2; interpolated with pchip at the
    wavelengths clamped to [400, 650] nm. 420 values on :data:`LAMBDA_NM`."""
    od_y = _AOD_TL1 + _AOD_TL2
    if age <= 60:
        od = _AOD_TL1 * (1 + 0.02 * (age - 32)) + _AOD_TL2
    else:
        od = _AOD_TL1 * (1.56 + 0.0667 * (age - 60)) + _AOD_TL2
    lam = np.clip(LAMBDA_NM, _AOD_LAMBDA[0], _AOD_LAMBDA[-1])
    return 10.0 ** -PchipInterpolator(_AOD_LAMBDA, od - od_y)(lam)


@lru_cache(maxsize=16)
def itu_to_native(encoding: str, display: str) -> np.ndarray:
    """``hdrvdp_iturgb2native(encoding, IMG_E)``: 3 x 3 matrix from linear ITU-R RGB (or XYZ) to
    the native RGB of ``display`` (``native = M @ rgb``), for the display's emission spectra as
    loaded (no lens filter). The native->XYZ matrix integrates the CIE 1931 CMFs against the
    spectra (trapz over :data:`LAMBDA_NM`, times 683.002) and is normalised so that its Y row
    sums to 1."""
    cmf = resample_spectrum(_table("ciexyz31.csv"))
    emis = emission_spectra(display)
    native_to_xyz = np.empty((3, 3))
    for r in range(3):
        for c in range(3):
            native_to_xyz[r, c] = np.trapezoid(cmf[:, r] * emis[:, c], LAMBDA_NM) * KM
    native_to_xyz /= native_to_xyz[1].sum()
    m = np.linalg.solve(native_to_xyz, _ITU_TO_XYZ[encoding])  # M_native2XYZ \ M_iturgb2xyz
    m.setflags(write=False)
    return m


# Not v2's on purpose: 3.0.7 multiplies by 683.002, filters by the aging lens and normalises L + M
@lru_cache(maxsize=16)
def channels_to_lmsr(spectra: str, age: float = 24.0, aod: bool = True) -> np.ndarray:
    """M_img_lmsr: n_channels x 4, ``M[l, k] = trapz(lambda, S_k .* E_l * 683.002)`` with the
    emission E filtered by the aging lens when ``aod``, then divided by the sum of its L and M
    columns, so that an input of all ones gives L + M = 1. ``spectra``: a display name
    (3 channels) or ``d65`` (1 channel; a display's channels would be summed). float64."""
    sens = cone_rod_spectra("bench.metrics.hdrvdp.v3")
    emis = emission_spectra(spectra)
    if aod:
        emis = emis * lens_transmission(age)[:, None]
    m = np.empty((emis.shape[1], 4))
    for k in range(4):
        for ch in range(emis.shape[1]):
            m[ch, k] = np.trapezoid(sens[:, k] * emis[:, ch] * KM, LAMBDA_NM)
    m /= m[:, :2].sum()
    m.setflags(write=False)
    return m
