"""Selectable metric columns (bench.columns, ``--metrics`` of evaluate and reproduce).

Without ``--metrics`` the tables are byte-identical to what they were before the option existed
(checked by hand on results/smoke and results/cpu; here: the default columns and scored set are
the old ones). With it, sort directions come from the registry: ΔE_ITP is an error, lower is
better, so its ranking is ascending, its arrow points down and the best (bold) value is the lowest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.columns import (
    TABLE_METRICS,
    check_scores_have,
    metric_columns,
    parse_metric_list,
    scored_metrics,
    table_metrics,
)
from bench.evaluate import DEFAULT_METRICS
from itmn.errors import ConfigError

METHODS = ("itmn", "huo", "ko", "itmn-nodmse", "itmn-noadvreg")


def _scores(rng: np.random.Generator) -> pd.DataFrame:
    """Per-image scores where huo has the best (lowest) ΔE_ITP and itmn the best HDR-VDP-2."""
    q = {"itmn": 60.0, "huo": 50.0, "ko": 45.0, "itmn-nodmse": 55.0, "itmn-noadvreg": 52.0}
    de = {"itmn": 8.0, "huo": 3.0, "ko": 6.0, "itmn-nodmse": 9.0, "itmn-noadvreg": 12.0}
    rows = []
    for m in METHODS:
        for i in range(6):
            rows.append({
                "method": m, "image": f"img{i}", "hdrvdp2": q[m] + rng.normal(0, 0.5), "mpsnr": 30.0 + rng.normal(0, 1),
                "ssim": 0.9 + rng.normal(0, 0.01), "delta_e_itp": de[m] + rng.normal(0, 0.2),
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_parse_metric_list() -> None:
    assert parse_metric_list(None) is None
    assert parse_metric_list("hdrvdp2,delta_e_itp") == ("hdrvdp2", "delta_e_itp")
    assert parse_metric_list(["ssim, mpsnr", "ssim", "cvvdp"]) == ("ssim", "mpsnr", "cvvdp")
    with pytest.raises(ConfigError, match="unknown metric 'psnr'; registered metrics: hdrvdp2"):
        parse_metric_list("mpsnr,psnr")
    with pytest.raises(ConfigError, match="at least one metric"):
        parse_metric_list(",")


def test_defaults_are_unchanged_and_selection_adds() -> None:
    assert table_metrics(None) == TABLE_METRICS == ("hdrvdp2", "mpsnr", "ssim")
    assert scored_metrics(None) == DEFAULT_METRICS
    assert scored_metrics(("ssim", "delta_e_itp")) == (*DEFAULT_METRICS, "delta_e_itp")
    assert table_metrics(("ssim", "delta_e_itp")) == ("ssim", "delta_e_itp")
    cols = {c.name: c for c in metric_columns(("hdrvdp2", "delta_e_itp", "cvvdp"))}
    assert (cols["hdrvdp2"].higher_is_better, cols["delta_e_itp"].higher_is_better, cols["cvvdp"].higher_is_better) == (
        True, False, True,
    )  # fmt: skip
    assert (cols["delta_e_itp"].label, cols["delta_e_itp"].digits) == ("ΔE_ITP", 2)


def test_tables_with_a_lower_is_better_column(tmp_path: Path, rng: np.random.Generator) -> None:
    from bench.reproduce import write_tables

    scores = _scores(rng)
    write_tables("table1", tmp_path, scores, dataset_note="synthetic.", metrics=("hdrvdp2", "delta_e_itp"))
    md = (tmp_path / "table1.md").read_text()
    assert "| Method | HDR-VDP-2 ↑ (95% CI) | paper | Δ | ΔE_ITP ↓ (95% CI) | paper | Δ |" in md
    assert "| delta_e_itp | huo > ko > itmn > itmn-nodmse > itmn-noadvreg |" in md
    assert "ΔE_ITP: best is Huo — the paper does not report this metric; no paper order." in md
    assert "mPSNR" not in md.split("## Ranking")[0]
    wide = pd.read_csv(tmp_path / "table1.csv").set_index("method")
    assert list(wide.columns[1:6]) == ["hdrvdp2_mean", "hdrvdp2_ci_lo", "hdrvdp2_ci_hi", "hdrvdp2_paper", "hdrvdp2_diff"]
    assert wide.loc["huo", "delta_e_itp_mean"] == pytest.approx(scores[scores["method"] == "huo"]["delta_e_itp"].mean())
    assert np.isnan(wide.loc["huo", "delta_e_itp_paper"])
    tex = (tmp_path / "table1.tex").read_text()
    assert r"\multicolumn{3}{c}{$\Delta$E\_ITP $\downarrow$}" in tex
    huo_row = next(line for line in tex.splitlines() if line.startswith("Huo"))
    assert r"\textbf{" in huo_row.split("&")[4]  # the lowest ΔE_ITP is the best, in bold
    # ablations: the sign is flipped for an error metric, so removing the adversarial
    # regularizer (ΔE_ITP 8 -> 12) "hurts"
    abl = [[c.strip() for c in x.split("|")] for x in md.split("## Ablations")[1].splitlines() if "| itmn" in x]
    row = next(r for r in abl if r[1:5] == ["the adversarial regularizer", "itmn", "itmn-noadvreg", "delta_e_itp"])
    assert row[8] == "hurts" and float(row[5]) == pytest.approx(4.0, abs=0.5) and row[9] == "nan"
    assert "Removing the adversarial regularizer hurts HDR-VDP-2, ΔE_ITP (the paper's direction is reproduced on 1 of 1 metrics)" in md

    write_tables("table1", tmp_path, scores, dataset_note="synthetic.")  # default columns
    assert "ΔE_ITP" not in (tmp_path / "table1.md").read_text()
    assert "| Method | HDR-VDP-2 ↑ (95% CI) | paper | Δ | mPSNR ↑ (95% CI)" in (tmp_path / "table1.md").read_text()


def test_missing_scores_are_named(rng: np.random.Generator) -> None:
    scores = _scores(rng)
    scores.loc[scores["method"] == "ko", "delta_e_itp"] = np.nan  # scored before it was selected
    with pytest.raises(ConfigError, match=r"no 'delta_e_itp' scores for method\(s\) ko in the per-image scores"):
        check_scores_have(scores, ("hdrvdp2", "delta_e_itp"))
    with pytest.raises(ConfigError, match=r"no 'cvvdp' scores for method\(s\) itmn, huo, ko"):
        check_scores_have(scores, ("cvvdp",))
    check_scores_have(scores, TABLE_METRICS)


def test_reproduce_option() -> None:
    from bench.cli.reproduce import build_parser, options_from_args

    args = build_parser().parse_args(["table1", "--profile", "smoke", "--metrics", "hdrvdp2,mpsnr", "--metrics", "delta_e_itp"])
    assert options_from_args(args, "table1").metrics == ("hdrvdp2", "mpsnr", "delta_e_itp")
    args = build_parser().parse_args(["table1", "--profile", "smoke"])
    assert options_from_args(args, "table1").metrics is None
    with pytest.raises(ConfigError, match="unknown metric"):
        options_from_args(build_parser().parse_args(["table1", "--profile", "smoke", "--metrics", "nope"]), "table1")
