"""The CI score-regression comparison: drifts beyond tolerance and missing rows are reported."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.regression import compare_scores, format_report, tolerance_for


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": ["huo", "huo", "itmn", "itmn"],
            "image": ["a", "b", "a", "b"],
            "hdrvdp2": [60.0, 61.0, 50.0, 51.0],
            "mpsnr": [20.0, np.inf, 10.0, 11.0],
            "ssim": [0.9, 0.8, 0.5, 0.6],
        }
    )


def test_identical_scores_agree() -> None:
    assert compare_scores(_frame(), _frame()).empty
    assert format_report(compare_scores(_frame(), _frame())) == "scores agree with the expected file"


def test_drift_is_reported_per_metric() -> None:
    actual = _frame()
    actual.loc[0, "hdrvdp2"] += 1e-3  # classical: beyond 1e-6 relative
    actual.loc[2, "mpsnr"] += 5e-4  # learned: within 1e-3 relative of 10.0
    actual.loc[3, "ssim"] += 0.01  # learned: beyond
    p = compare_scores(actual, _frame())
    assert sorted(zip(p["method"], p["image"], p["metric"])) == [("huo", "a", "hdrvdp2"), ("itmn", "b", "ssim")]
    report = format_report(p)
    assert "2 score(s) differ" in report and "reproduce_table1 -- --profile smoke" in report


def test_missing_rows_and_infinities() -> None:
    actual = _frame().iloc[:3].copy()
    p = compare_scores(actual, _frame())
    assert list(p["problem"]) == ["missing in the new run"]
    actual = _frame()
    actual.loc[1, "mpsnr"] = 99.0  # inf expected
    assert list(compare_scores(actual, _frame())["metric"]) == ["mpsnr"]


def test_tolerances() -> None:
    assert tolerance_for("huo").rel < tolerance_for("itmn").rel
    assert tolerance_for("drtm") == tolerance_for("itmn-nodmse")
