"""ΔE_ITP, the colour difference of ITU-R BT.2124-0 (2019), on protocol v1's display.

Input: H x W x 3 linear BT.2020 display light in absolute cd/m^2 (1 = 1 cd/m^2), test and
reference. Per pixel:

1. the display: each channel is clipped to the display's range [black, peak] = [0.005, 1000]
   cd/m^2 (protocol v1 section 2: a 1000-nit BT.2020 display with a 0.005 cd/m^2 black level;
   method outputs and references already lie in it, so this only changes other inputs, and the
   clipped values are counted);
2. LMS = M1 · RGB with ITU-R BT.2100-2 Table 6's RGB -> LMS matrix (integers / 4096);
3. L'M'S' = the SMPTE ST 2084 (PQ) inverse EOTF of each of L, M, S in cd/m^2 (peak 10000,
   :func:`itmn.colour.pq_encode`, which calls colour-science);
4. (I, Ct, Cp) = M2 · L'M'S' with BT.2100-2 Table 6's L'M'S' -> ICtCp matrix;
5. BT.2124 eq. (1)-(2): T = 0.5 Ct, P = Cp, ΔE_ITP = 720 sqrt(ΔI^2 + ΔT^2 + ΔP^2).

ΔE_ITP = 1 is about one just-noticeable difference in the most critical adaptation state. The
value reported (and registered as ``delta_e_itp``) is the **mean over pixels**, the aggregate
HDR-TV papers (HDRTVNet, HDRTVDM, ...) report; :func:`delta_e_itp` also returns the per-pixel map
and its median, 95th percentile and maximum.

Why the ICtCp conversion is written out here (two BT.2100 matrix products around
:func:`itmn.colour.pq_encode`, the suite's one PQ, which calls colour-science's ST 2084) rather
than ``colour.RGB_to_ICtCp``: it keeps ``colour.difference.delta_E_ITP(colour.RGB_to_ICtCp(t),
colour.RGB_to_ICtCp(r))`` an independent check of this module (tests/bench/test_deltaeitp.py:
per-pixel agreement to 1e-6 on real and synthetic pairs), and skips colour-science's generic
array machinery (the PQ power functions dominate either way; ``nox -s perf`` times both).
Scaling, checked: colour-science's ``RGB_to_ICtCp`` (0.4.x, method "Dolby 2016" = "ITU-R
BT.2100-2 PQ") also takes absolute cd/m^2: its ``L_p=10000`` is ST 2084's normalisation, not a
scene scale (a 100 cd/m^2 grey gives I = PQ(100) = 0.508078). Arithmetic is float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.metrics.validate import Source, check_pair
from itmn.protocol import DISPLAY_V1, Protocol, get_protocol

#: ITU-R BT.2100-2, Table 6: linear BT.2020 RGB -> LMS (integer coefficients / 4096).
M_RGB_TO_LMS = np.array([[1688, 2146, 262], [683, 2951, 462], [99, 309, 3688]], dtype=np.float64) / 4096.0
#: ITU-R BT.2100-2, Table 6: PQ-encoded L'M'S' -> I, Ct, Cp (integer coefficients / 4096).
M_LMS_P_TO_ICTCP = (
    np.array([[2048, 2048, 0], [6610, -13613, 7003], [17933, -17390, -543]], dtype=np.float64) / 4096.0
)
#: BT.2124: ΔE_ITP = SCALE * sqrt(ΔI^2 + ΔT^2 + ΔP^2), with T = T_WEIGHT * Ct.
SCALE = 720.0
T_WEIGHT = 0.5

#: The protocol's display (itmn.protocol): peak and black level in cd/m^2.
DISPLAY_PEAK_CDM2 = DISPLAY_V1.peak_cdm2
DISPLAY_BLACK_CDM2 = DISPLAY_V1.black_cdm2


def config_string(protocol: str | Protocol | None = None) -> str:
    """``delta_e_itp bt2124 | ictcp pq bt2020 | peak 1000 black 0.005 (clip per channel) | mean over
    pixels | protocol v1``, from the protocol's display."""
    proto = get_protocol(protocol)
    d = proto.display
    return " | ".join(
        ["delta_e_itp bt2124", f"ictcp {d.encoding} {d.primaries}",
         f"peak {d.peak_cdm2:g} black {d.black_cdm2:g} (clip per channel)", "mean over pixels", proto.tag]
    )  # fmt: skip


@dataclass(frozen=True)
class DeltaEITPResult:
    """ΔE_ITP of one pair: ``mean`` over pixels (the reported value), the H x W ``map`` (float64),
    and how many channel values of each image the display clipped to [black, peak]."""

    mean: float
    map: np.ndarray
    n_display_clipped_test: int
    n_display_clipped_ref: int

    def summary(self) -> dict[str, Any]:
        """Secondary numbers: median, 95th percentile and maximum of the map, clip counts."""
        return {
            "median": float(np.median(self.map)),
            "p95": float(np.percentile(self.map, 95.0)),
            "max": float(self.map.max()),
            "n_display_clipped_test": self.n_display_clipped_test,
            "n_display_clipped_ref": self.n_display_clipped_ref,
        }


def ictcp(rgb2020_cdm2: np.ndarray) -> np.ndarray:
    """ICtCp (BT.2100-2, PQ) of H x W x 3 linear BT.2020 display light in absolute cd/m^2
    (float64, H x W x 3: I, Ct, Cp). LMS above 10000 cd/m^2 is clipped by the PQ encoding."""
    from itmn import colour

    rgb = np.asarray(rgb2020_cdm2, dtype=np.float64)
    lms = colour.apply_matrix(rgb, M_RGB_TO_LMS)
    return colour.apply_matrix(np.asarray(colour.pq_encode(lms), dtype=np.float64), M_LMS_P_TO_ICTCP)


def delta_e_itp_map(test_ictcp: np.ndarray, ref_ictcp: np.ndarray) -> np.ndarray:
    """Per-pixel BT.2124 ΔE_ITP between two ICtCp images (H x W x 3 -> H x W, float64)."""
    d = np.asarray(test_ictcp, dtype=np.float64) - np.asarray(ref_ictcp, dtype=np.float64)
    d[..., 1] *= T_WEIGHT
    return SCALE * np.sqrt(np.einsum("...c,...c->...", d, d))


def display_clip(
    rgb_cdm2: np.ndarray, peak: float = DISPLAY_PEAK_CDM2, black: float = DISPLAY_BLACK_CDM2
) -> tuple[np.ndarray, int]:
    """Channel values clipped to the display's range [black, peak] cd/m^2, and how many changed."""
    n = int(np.count_nonzero((rgb_cdm2 < black) | (rgb_cdm2 > peak)))
    return np.clip(rgb_cdm2, black, peak), n


def delta_e_itp(
    test_cdm2: Any,
    ref_cdm2: Any,
    *,
    peak: float = DISPLAY_PEAK_CDM2,
    black: float = DISPLAY_BLACK_CDM2,
    test_source: Source = None,
    ref_source: Source = None,
    check: bool = True,
) -> DeltaEITPResult:
    """BT.2124 ΔE_ITP of ``test_cdm2`` against ``ref_cdm2`` (H x W x 3 linear BT.2020, absolute
    cd/m^2) shown on a display with range [``black``, ``peak``] cd/m^2 (protocol v1: 0.005 and
    1000). Returns the mean over pixels with the per-pixel map; see the module docstring.
    ``check=False`` skips the input checks (finite, non-negative, absolute, same shape) for
    callers that made them already (the metric registry).

    >>> grey = np.full((4, 4, 3), 100.0)
    >>> round(delta_e_itp(grey * 2.0, grey).mean, 4)  # 720 * (PQ(200) - PQ(100))
    51.1595
    """
    if not 0.0 <= black < peak <= 10000.0:
        raise ValueError(f"display range must satisfy 0 <= black < peak <= 10000 cd/m^2, got [{black}, {peak}]")
    if check:
        t, r = check_pair(test_cdm2, ref_cdm2, test_source=test_source, ref_source=ref_source, absolute=True)
    else:
        t, r = np.asarray(test_cdm2, dtype=np.float64), np.asarray(ref_cdm2, dtype=np.float64)
    t, n_t = display_clip(t, peak, black)
    r, n_r = display_clip(r, peak, black)
    dmap = delta_e_itp_map(ictcp(t), ictcp(r))
    return DeltaEITPResult(float(dmap.mean()), dmap, n_t, n_r)
