"""The ΔE_ITP / ColorVideoVDP benchmark module (bench/perf/colour_metrics.py) on a small pair; the
full benchmark runs with ``python -m bench.perf --only colour_metrics``."""

from __future__ import annotations

import importlib.util

import pytest

from bench.perf import MODULES
from bench.perf.colour_metrics import cvvdp_rows, delta_e_itp_rows


def test_registered() -> None:
    assert "bench.perf.colour_metrics" in MODULES


def test_delta_e_itp_row_and_its_baseline_agree() -> None:
    (row,) = delta_e_itp_rows(quick=True, shapes=((48, 64),))
    assert row["name"] == "delta_e_itp 64x48 cpu" and row["unit"] == "s" and row["value"] > 0
    assert row["ratio"] == pytest.approx(row["value"] / row["baseline"])
    # the same pixels through colour-science: the same mean ΔE_ITP (the pair differs: > 0)
    assert row["delta_e_itp"] == pytest.approx(row["baseline_value"], abs=1e-9) and row["delta_e_itp"] > 0


@pytest.mark.skipif(importlib.util.find_spec("pycvvdp") is None, reason='cvvdp is not installed: pip install "itmn-bench[cvvdp]"')
def test_cvvdp_row() -> None:
    rows = cvvdp_rows(quick=True, shapes=((64, 64),))
    assert rows[0]["name"] == "cvvdp 64x64 cpu" and rows[0]["value"] > 0 and 0 < rows[0]["jod"] < 10
