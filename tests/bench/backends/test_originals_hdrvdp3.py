"""The HDR-VDP 3 port against the original HDR-VDP 3.0.7, run through the Octave (or MATLAB) bridge.

Needs the original code, which the suite never ships; skipped, saying how to enable it, unless::

    export ITMN_HDRVDP3_PATH=/path/to/hdrvdp-3.0.7      # prepared as docs/backends.md (HDR-VDP 3.0.7) says
    export ITMN_ORIGINALS_BACKEND=octave                # or matlab (default octave)
    nox -s octave

It also reruns rows of results/reference/hdrvdp3/reference_scores.csv (made with the same code
under Octave 7.3 through this bridge), which checks the bridge and the user's copy end to end.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

BACKEND = os.environ.get("ITMN_ORIGINALS_BACKEND", "octave")
REPO = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.octave, pytest.mark.originals]


def _need_hdrvdp3() -> Path:
    raw = os.environ.get("ITMN_HDRVDP3_PATH")
    if not raw:
        pytest.skip(
            "HDR-VDP 3.0.7 not configured: set ITMN_HDRVDP3_PATH to your copy (the folder with hdrvdp3.m; "
            "under Octave add utils/geomean.m, see docs/backends.md (HDR-VDP 3.0.7)) to run this check"
        )
    return Path(raw)


def _reference_rows() -> list[dict[str, str]]:
    import csv
    import io

    path = REPO / "results" / "reference" / "hdrvdp3" / "reference_scores.csv"
    text = "".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(text)))


# one row per task and encoding, on both sets and both image sizes, default options
CASES = (
    "A_noise|quality|rgb-bt.709|30",
    "C_noise|side-by-side|rgb-bt.709|30",
    "A_local|flicker|rgb-bt.709|30",
    "A_blur|detection|rgb-bt.709|30",
    "oexr_desk__noise|quality|rgb-bt.2020|30",
    "ph_moonless_golf__ldr|quality|luminance|30",
)


@pytest.mark.parametrize("case", CASES)
def test_original_reproduces_the_committed_reference_and_the_port_agrees(shared, case):
    _need_hdrvdp3()
    from bench.metrics.hdrvdp.v3 import hdrvdp3

    row = next(r for r in _reference_rows() if r["case"] == case)
    base = shared / ("reference/metrics-synthetic" if row["set"] == "synthetic" else "reference/metrics-real")
    test, ref = np.load(base / row["test_file"]), np.load(base / row["reference_file"])
    if row["input"] == "Y709":
        test, ref = (
            0.2126 * x[..., 0].astype(np.float64) + 0.7152 * x[..., 1] + 0.0722 * x[..., 2]
            for x in (test, ref)
        )
    kw = dict(
        task=row["task"], color_encoding=row["color_encoding"], ppd=float(row["ppd"]), return_maps=False
    )
    org = hdrvdp3(test, ref, backend=BACKEND, **kw)
    for key in ("Q", "Q_JOD", "P_det", "C_max"):
        want = float(row[key])
        assert abs(getattr(org, key) - want) <= 1e-6 * max(1.0, abs(want)), (
            case,
            key,
            getattr(org, key),
            want,
        )
    nat = hdrvdp3(test, ref, dtype="float64", **kw)
    assert abs(nat.Q_JOD - org.Q_JOD) <= 0.01 and abs(nat.P_det - org.P_det) <= 1e-3, (case, nat, org)


def test_crosscheck_of_hdrvdp3_passes_on_the_built_in_pairs():
    _need_hdrvdp3()
    from bench.crosscheck import crosscheck_metrics, synthetic_pairs

    checks = crosscheck_metrics(synthetic_pairs(), ["hdrvdp3"], BACKEND)
    assert len(checks) == 3 * 4  # Q_JOD, Q, P_det, C_max per pair
    bad = [c for c in checks if not c.ok]
    assert not bad, bad
