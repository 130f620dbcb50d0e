"""Spectral part of HDR-VDP 2.2.2: from display RGB (or luminance) to L, M, S cone and rod
responses (``load_spectral_resp.m`` and the "photoreceptor spectral sensitivity" section of
``hdrvdp_visual_pathway.m``).

Input channel values are absolute: cd/m^2 per display primary. The matrix rows are the input
channels, the columns L, M, S and rod (R) responses, so that ``lmsr = rgb @ M``; L + M is the
adapting luminance (cd/m^2-like units of the model).

The tables (Smith-Pokorny 1975 cone fundamentals in log10 units, CIE 1951 scotopic luminous
efficiency, display emission spectra, D65) ship in ``tables/`` with their ISC licence.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.interpolate import PchipInterpolator

#: Wavelength grid of load_spectral_resp.m: linspace(360, 780, (780-360)/1) -> 420 points, step 420/419 nm.
LAMBDA_NM = np.linspace(360.0, 780.0, 420)

DISPLAYS = ("ccfl-lcd", "led-lcd", "crt")


def _table(name: str) -> np.ndarray:
    """A comma-separated table from the package's ``tables`` folder as float64 (first column: nm)."""
    with resources.files("bench.metrics.hdrvdp.v2").joinpath("tables").joinpath(name).open("r") as fh:
        data = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    return data


def resample_spectrum(table: np.ndarray) -> np.ndarray:
    """``interp1(D(:,1), D(:,k), lambda, 'pchip', 0)`` for every column k > 1.

    Shape-preserving piecewise cubic (Fritsch-Carlson derivatives with MATLAB's end conditions,
    which SciPy's PchipInterpolator implements), zero outside the table's wavelength range.
    Returns a 420 x (columns - 1) array.
    """
    x = table[:, 0]
    out = np.zeros((LAMBDA_NM.size, table.shape[1] - 1))
    inside = (LAMBDA_NM >= x[0]) & (LAMBDA_NM <= x[-1])
    for k in range(1, table.shape[1]):
        out[inside, k - 1] = PchipInterpolator(x, table[:, k], extrapolate=False)(LAMBDA_NM[inside])
    return out


@lru_cache(maxsize=1)
def photoreceptor_sensitivities() -> np.ndarray:
    """L, M, S cone and rod spectral sensitivities on :data:`LAMBDA_NM` (420 x 4, linear units).

    As in MATLAB, the log10 cone table's zero fill outside 380-825 nm is replaced by the smallest
    value of the whole resampled table before exponentiation.
    """
    lmsr = resample_spectrum(_table("log_cone_smith_pokorny_1975.csv"))
    lmsr[lmsr == 0] = lmsr.min()
    lmsr = 10.0**lmsr
    rod = resample_spectrum(_table("cie_scotopic_lum.txt"))
    return np.concatenate([lmsr, rod], axis=1)


@lru_cache(maxsize=8)
def emission_spectra(name: str) -> np.ndarray:
    """Emission spectra on :data:`LAMBDA_NM`: ``ccfl-lcd`` / ``led-lcd`` / ``crt`` (420 x 3, R G B)
    or ``d65`` (420 x 1, used for single-channel luminance images)."""
    if name == "d65":
        return resample_spectrum(_table("d65.csv"))
    if name not in DISPLAYS:
        raise ValueError(f"unknown display emission spectra {name!r} (expected one of {DISPLAYS} or 'd65')")
    return resample_spectrum(_table(f"emission_spectra_{name}.csv"))


@lru_cache(maxsize=8)
def channels_to_lmsr(spectra: str) -> np.ndarray:
    """M_img_lmsr: n_channels x 4 matrix, ``M[l, k] = trapz(lambda, S_k * E_l)``.

    ``spectra`` is a display name (3 channels) or ``d65`` (1 channel). float64, read-only.
    """
    sens = photoreceptor_sensitivities()
    emis = emission_spectra(spectra)
    m = np.empty((emis.shape[1], 4))
    for k in range(4):
        for ch in range(emis.shape[1]):
            m[ch, k] = np.trapezoid(sens[:, k] * emis[:, ch], LAMBDA_NM)
    m.setflags(write=False)
    return m
