"""Tables are computed from per-image data only; CIs bracket their means; rankings and ablation
directions follow the numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.stats import bootstrap_mean_ci, kendall_tau, paired_difference_ci, rank
from bench.tables import (
    MetricColumn,
    ablation_directions,
    rankings,
    render_latex,
    render_markdown,
    summarize,
    summary_paragraph,
    wide_table,
)

METRICS = [MetricColumn("q", "Q", True, 2), MetricColumn("err", "Err", False, 3)]


def _scores(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for method, (q, err) in {"a": (70.0, 0.1), "b": (60.0, 0.3), "c": (65.0, 0.2)}.items():
        for i in range(7):
            rows.append({"method": method, "image": f"img{i}", "q": q + rng.normal(0, 1), "err": err + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_bootstrap_ci_brackets_mean_and_is_seeded(rng: np.random.Generator) -> None:
    for n in (2, 5, 40):
        v = rng.lognormal(size=n)
        ci = bootstrap_mean_ci(v)
        assert ci.mean == pytest.approx(v.mean())
        assert ci.lo <= ci.mean <= ci.hi
        assert ci.lo < ci.hi
        assert bootstrap_mean_ci(v) == ci  # same seed -> same interval


def test_bootstrap_ci_width_shrinks_with_n(rng: np.random.Generator) -> None:
    small = bootstrap_mean_ci(rng.normal(size=10))
    large = bootstrap_mean_ci(rng.normal(size=1000))
    assert (large.hi - large.lo) < (small.hi - small.lo) / 3
    # the 95% CI of the mean of N(0,1) samples is about +-1.96/sqrt(n)
    assert large.hi - large.lo == pytest.approx(2 * 1.96 / np.sqrt(1000), rel=0.15)


def test_bootstrap_reports_nonfinite_instead_of_dropping_silently() -> None:
    ci = bootstrap_mean_ci([1.0, np.inf, 3.0])
    assert ci.n == 2 and ci.n_nonfinite == 1 and ci.mean == 2.0


def test_paired_difference_and_rank() -> None:
    ci = paired_difference_ci([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert ci.mean == 1.0 and ci.lo == ci.hi == 1.0
    assert rank({"x": 1.0, "y": 3.0, "z": np.nan}, higher_is_better=True) == ["y", "x", "z"]
    assert rank({"x": 1.0, "y": 3.0}, higher_is_better=False) == ["x", "y"]
    assert kendall_tau(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert kendall_tau(["a", "b", "c"], ["c", "b", "a"]) == -1.0


def test_summary_cells_come_from_per_image_rows(rng: np.random.Generator) -> None:
    scores = _scores(rng)
    paper = pd.DataFrame({"q": [73.0, 61.0], "err": [0.05, 0.5]}, index=["a", "b"])
    s = summarize(scores, ["a", "b", "c"], METRICS, paper)
    for (method, metric), grp in scores.melt(id_vars=["method", "image"], var_name="metric").groupby(["method", "metric"]):
        row = s[(s["method"] == method) & (s["metric"] == metric)].iloc[0]
        assert row["mean"] == pytest.approx(grp["value"].mean())
        assert row["ci_lo"] <= row["mean"] <= row["ci_hi"]
    a_q = s[(s["method"] == "a") & (s["metric"] == "q")].iloc[0]
    assert a_q["diff"] == pytest.approx(a_q["mean"] - 73.0)
    assert np.isnan(s[(s["method"] == "c") & (s["metric"] == "q")].iloc[0]["paper"])

    # changing one per-image value changes the table: nothing is cached or typed in
    scores2 = scores.copy()
    scores2.loc[(scores2["method"] == "a") & (scores2["image"] == "img0"), "q"] += 70.0
    s2 = summarize(scores2, ["a", "b", "c"], METRICS, paper)
    assert s2.iloc[0]["mean"] == pytest.approx(a_q["mean"] + 10.0)

    wide = wide_table(s, ["a", "b", "c"], METRICS, {"a": "A"})
    assert wide.loc[0, "q_mean"] == a_q["mean"] and wide.loc[0, "label"] == "A"

    md = render_markdown(s, ["a", "b", "c"], METRICS, {"a": "A"}, inferred={"b"})
    assert f"{a_q['mean']:.2f} [{a_q['ci_lo']:.2f}, {a_q['ci_hi']:.2f}]" in md
    assert "b †" in md and "73.00" in md
    tex = render_latex(s, ["a", "b", "c"], METRICS, {"a": "A"}, caption="cap")
    assert r"\textbf{" + f"{a_q['mean']:.2f}" + "}" in tex  # best Q is bold
    assert tex.count(r"\\") >= 5


def test_rankings_and_ablation_directions(rng: np.random.Generator) -> None:
    scores = _scores(rng).replace({"method": {"a": "itmn", "b": "itmn-nodmse", "c": "itmn-noadvreg"}})
    paper = pd.DataFrame({"q": [73.0, 56.0, 74.0], "err": [0.1, 0.2, 0.3]}, index=["itmn", "itmn-nodmse", "itmn-noadvreg"])
    methods = ["itmn", "itmn-nodmse", "itmn-noadvreg"]
    s = summarize(scores, methods, METRICS, paper)
    r = rankings(s, METRICS).set_index("metric")
    assert r.loc["q", "reproduced_order"] == "itmn > itmn-noadvreg > itmn-nodmse"
    assert r.loc["q", "paper_order"] == "itmn-noadvreg > itmn > itmn-nodmse"
    assert not r.loc["q", "same_winner"]
    assert r.loc["err", "reproduced_order"] == "itmn > itmn-noadvreg > itmn-nodmse"  # lower is better
    ab = ablation_directions(scores, METRICS, paper).set_index(["reduced", "metric"])
    assert ab.loc[("itmn-nodmse", "q"), "removing_it"] == "hurts"
    assert ab.loc[("itmn-nodmse", "err"), "removing_it"] == "hurts"  # err goes up: sign handled
    assert bool(ab.loc[("itmn-nodmse", "q"), "agrees_with_paper"])
    assert not ab.loc[("itmn-noadvreg", "q"), "paper_says_removing_hurts"]
    text = summary_paragraph(s, rankings(s, METRICS), ablation_directions(scores, METRICS, paper), METRICS, {}, dataset_note="x.")
    assert "Removing the dMSE loss hurts Q, Err" in text
