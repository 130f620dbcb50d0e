"""HDR-VDP 2.2.2 port against the original MATLAB code, one case per reference row.

Golden values: ../shared/reference/metrics-synthetic/reference_scores.csv and
../shared/reference/metrics-real/reference_scores.csv, produced by running HDR-VDP 2.2.2
(github mtntruong/LRT-HDR @ e18e83b, Metrics/hdrvdp-2.2.2, ``hdrvdp_version()`` = 2.22) under
GNU Octave 7.3 as ``hdrvdp(test, ref, 'rgb-bt.709', ppd)`` with default options, ppd = 30 and
hdrvdp_pix_per_deg(21, [1920 1080], 1) (see the READMEs there; the MEX pyramid was compiled
from the original C sources).

Tolerances:
* acceptance (metrics-synthetic README), both dtypes: Q 0.01 absolute, C_max 1e-3 relative;
  P_det 5e-4 absolute where the reference is not saturated (P_det < 1 - 1e-9). 5e-4 is what the
  C_max tolerance implies: dP = ln(2) (1 - P) C dC/C <= 0.37 * 1e-3 for any C.
* float64 regression bound: Q 1e-8 absolute, C_max and P_det 1e-8 (relative / absolute). The
  float64 path is the same double-precision algorithm as the reference and agrees to ~1e-12
  (measured: worst |dQ| 4e-12, C_max 4e-12 relative); a tight bound catches slips (a resize
  weight, an edge rule) that would hide under 0.01.
* float32 (the default path): measured worst |dQ| 4.5e-4, C_max 2.6e-4 relative (A_local,
  ppd 30), within the acceptance tolerances above.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from itmn_test_support import reference_rows  # registered by tests/conftest.py

from bench.metrics.hdrvdp.v2 import hdrvdp2, pix_per_deg

SYN = "reference/metrics-synthetic"
REAL = "reference/metrics-real"
PPD72 = 72.489873956798149
Q_TOL, CMAX_RTOL, PDET_TOL = 0.01, 1e-3, 5e-4
F64_TOL = 1e-8


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/bench/conftest.py


def _check(test: np.ndarray, ref: np.ndarray, ppd: float, q: float, p_det: float, c_max: float) -> None:
    for dtype in ("float64", "float32"):
        res = hdrvdp2(test, ref, ppd=ppd, dtype=dtype, return_maps=False)
        where = f"{dtype} ppd={ppd:g}: Q {res.Q!r} vs {q!r}, P_det {res.P_det!r} vs {p_det!r}, C_max {res.C_max!r} vs {c_max!r}"
        assert abs(res.Q - q) <= Q_TOL, where
        assert abs(res.C_max - c_max) <= CMAX_RTOL * c_max, where
        if p_det < 1 - 1e-9:
            assert abs(res.P_det - p_det) <= PDET_TOL, where
        else:
            assert res.P_det >= 1 - 1e-6, where
        if dtype == "float64":
            assert abs(res.Q - q) <= F64_TOL, where
            assert abs(res.C_max - c_max) <= F64_TOL * max(c_max, 1e-300), where
            assert abs(res.P_det - p_det) <= F64_TOL, where


def test_ppd72_is_the_reference_value() -> None:
    assert pix_per_deg(21, (1920, 1080), 1) == pytest.approx(PPD72, rel=1e-15)


@pytest.mark.calibration
@pytest.mark.parametrize("row", reference_rows(f"{SYN}/reference_scores.csv", ("pair",)))
def test_synthetic_reference_scores(shared: Path, row: dict) -> None:
    base = shared / SYN
    test, ref = np.load(base / row["test_file"]), np.load(base / row["reference_file"])
    assert test.shape == (int(row["height"]), int(row["width"]), 3)
    for ppd, sfx in ((30.0, "ppd30"), (PPD72, "ppd72")):
        q, p, c = (float(row[f"hdrvdp222_{k}_{sfx}"]) for k in ("Q", "Pdet", "Cmax"))
        assert math.isfinite(q)
        _check(test, ref, ppd, q, p, c)


@pytest.mark.calibration
@pytest.mark.parametrize("row", reference_rows(f"{REAL}/reference_scores.csv", ("image", "variant")))
def test_real_reference_scores(shared: Path, row: dict) -> None:
    base = shared / REAL
    test, ref = np.load(base / row["test_file"]), np.load(base / row["ref_file"])
    _check(test, ref, 30.0, float(row["Q30"]), float(row["Pdet30"]), float(row["Cmax30"]))
