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

import numpy as np

from bench.metrics.hdrvdp.common import LAMBDA_NM, cone_rod_spectra, load_table, resample_spectrum

DISPLAYS = ("ccfl-lcd", "led-lcd", "crt")


def _table(name: str) -> np.ndarray:
    return load_table("bench.metrics.hdrvdp.v2", name)


# Not v3's on purpose: the displays of 2.2.2 (and the message naming them)
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
    sens = cone_rod_spectra("bench.metrics.hdrvdp.v2")
    emis = emission_spectra(spectra)
    m = np.empty((emis.shape[1], 4))
    for k in range(4):
        for ch in range(emis.shape[1]):
            m[ch, k] = np.trapezoid(sens[:, k] * emis[:, ch], LAMBDA_NM)
    m.setflags(write=False)
    return m
