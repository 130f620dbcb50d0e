"""Native vs the original MATLAB code, through the Octave (or MATLAB) bridge.

These are the only tests that validate metrics or operators through the bridge, so they need
the original code, which the suite never ships. They run when you point the suite at your copies
and are skipped otherwise, saying how to enable them:

    export ITMN_HDRVDP_PATH=/path/to/hdrvdp-2.2.2        # HDR-VDP 2.2.2 (see docs/backends.md for Octave)
    export ITMN_HDRTOOLBOX_PATH=/path/to/HDR_Toolbox     # banterle/HDR_Toolbox
    export ITMN_PU21_PATH=/path/to/pu21/matlab           # gfxdisp/pu21
    export ITMN_ORIGINALS_BACKEND=octave                 # or matlab (default octave)
    nox -s octave

They also compare the original's scores with the reference scores in
../shared/reference/*/reference_scores.csv (made with the same original code under Octave 7.3),
which checks the bridge itself end to end.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BACKEND = os.environ.get("ITMN_ORIGINALS_BACKEND", "octave")


def _need(env: str, what: str) -> Path:
    raw = os.environ.get(env)
    if not raw:
        pytest.skip(f"{what} not configured: set {env} to your copy to run this check (docs/backends.md)")
    return Path(raw)


def _cases(shared: Path, kind: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    root = shared / "reference" / kind
    spec = json.loads((root / "cases" / "cases.json").read_text()) if kind == "metrics-synthetic" else None
    table = pd.read_csv(root / "reference_scores.csv")
    out = []
    for row in table.itertuples():
        if spec is not None and row.pair not in spec:
            continue
        out.append((row.pair, np.load(root / row.test_file), np.load(root / row.reference_file)))
    return out


pytestmark = [pytest.mark.octave, pytest.mark.originals]


@pytest.mark.parametrize("ppd", [30.0, 72.489873956798149])
def test_hdrvdp_original_matches_reference_and_native(shared, ppd):
    _need("ITMN_HDRVDP_PATH", "HDR-VDP 2.2.2")
    from bench.metrics import hdrvdp2

    ref_scores = pd.read_csv(shared / "reference" / "metrics-synthetic" / "reference_scores.csv").set_index(
        "pair"
    )
    col = "ppd30" if ppd == 30.0 else "ppd72"
    for name, test, ref in _cases(shared, "metrics-synthetic")[:4]:
        org = hdrvdp2(test, ref, ppd=ppd, backend=BACKEND, return_maps=False)
        nat = hdrvdp2(test, ref, ppd=ppd, dtype="float64", return_maps=False)
        want = float(ref_scores.loc[name, f"hdrvdp222_Q_{col}"])
        assert abs(org.Q - want) <= 1e-6 * max(1.0, abs(want)), (name, org.Q, want)
        assert abs(nat.Q - org.Q) <= 0.01, (name, nat.Q, org.Q)


def test_mpsnr_toolbox_original_matches_native(shared):
    _need("ITMN_HDRTOOLBOX_PATH", "HDR Toolbox")
    from bench.metrics.registry import get_metric

    m = get_metric("mpsnr_toolbox")
    for name, test, ref in _cases(shared, "metrics-synthetic"):
        nat = m(test, ref, "bt709")
        org = m(test, ref, "bt709", backend=BACKEND)
        if math.isinf(nat.value):
            assert nat.value == org.value, name
            continue
        assert abs(nat.value - org.value) <= 1e-6, (name, nat.value, org.value)
        assert (nat.extras["e_min"], nat.extras["e_max"]) == (org.extras["e_min"], org.extras["e_max"])


def test_pu21_original_matches_native(shared):
    """pu21_ssim needs MATLAB's ssim (Image Processing Toolbox), which Octave lacks: MATLAB only."""
    _need("ITMN_PU21_PATH", "PU21")
    from bench.metrics.registry import get_metric

    checks = [("pu21_psnr", 1e-6)] + ([("pu21_ssim", 1e-4)] if BACKEND == "matlab" else [])
    for name, test, ref in _cases(shared, "metrics-synthetic")[1:4]:
        for metric, tol in checks:
            m = get_metric(metric)
            nat, org = m(test, ref, "bt709"), m(test, ref, "bt709", backend=BACKEND)
            assert abs(nat.value - org.value) <= tol, (name, metric, nat.value, org.value)


@pytest.mark.parametrize("method", ["huo", "ko-2019"])
def test_toolbox_operators_original_match_native(shared, method):
    """HEAD of the HDR Toolbox computes the 2019 KO variant; a pre-2019 copy needs method 'ko'."""
    _need("ITMN_HDRTOOLBOX_PATH", "HDR Toolbox")
    from bench.crosscheck import crosscheck_methods, read_ldr_folder

    images = read_ldr_folder(shared / "reference" / "eo" / "inputs")
    checks = crosscheck_methods(images[:2], [method], BACKEND)
    bad = [c for c in checks if not c.ok]
    assert not bad, bad
