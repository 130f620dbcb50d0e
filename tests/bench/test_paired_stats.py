"""Paired comparisons (bench.stats.paired_comparison, bench.tables.paired_comparisons): the
Wilcoxon p-values against scipy and against a brute-force enumeration of sign flips written here,
the orientation of the difference, the "resolved at 95%" decision on data built to be clearly
different or indistinguishable, n with missing and non-finite values, Holm's adjustment against
hand-computed values, and the mean CI half-width."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bench.stats import (
    EXACT_MAX_N_TIES,
    bootstrap_mean_ci,
    holm_adjust,
    mean_ci_half_width,
    paired_comparison,
    wilcoxon_signed_rank,
)
from bench.tables import MetricColumn, ablation_directions, paired_comparisons, pairs_paragraph

Q = MetricColumn("q", "Q", True, 2)  # higher is better
ERR = MetricColumn("err", "Err", False, 3)  # lower is better


def _brute_force_p(d: np.ndarray) -> float:
    """Two-sided signed-rank p by enumerating all 2^n sign assignments of the ranks of |d| (mid-ranks
    for ties, zeros dropped first): the share of assignments whose min(R+, R-) is at most the
    observed one. Independent of scipy except for rankdata's mid-ranks."""
    d = d[d != 0]
    r = sps.rankdata(np.abs(d))
    total = r.sum()
    observed = min(r[d > 0].sum(), r[d < 0].sum())
    hits = 0
    for signs in itertools.product((0, 1), repeat=d.size):
        rp = float(np.dot(signs, r))
        hits += min(rp, total - rp) <= observed + 1e-9
    return hits / 2**d.size


def test_wilcoxon_exact_against_scipy_and_enumeration(rng: np.random.Generator) -> None:
    for n in (6, 9, 12):
        x, y = rng.normal(size=n), rng.normal(0.5, 1, size=n)
        t = wilcoxon_signed_rank(x - y)
        assert t.variant == "exact" and t.n == n and t.n_zero == 0
        assert t.pvalue == pytest.approx(sps.wilcoxon(x, y).pvalue, rel=1e-12)  # scipy's own default call
        assert t.pvalue == pytest.approx(_brute_force_p(x - y), rel=1e-12)
    # hand-made: ranks 1..6 with only rank 1 negative -> T = 1; assignments with T <= 1:
    # R+ in {0, 1, 20, 21}: 4 of 64
    t = wilcoxon_signed_rank([1.5, -0.5, 2.0, 3.0, 0.0, 4.0, 2.5])
    assert (t.statistic, t.pvalue, t.n, t.n_zero) == (1.0, 4 / 64, 6, 1)


def test_wilcoxon_ties_zeros_small_and_large_n(rng: np.random.Generator) -> None:
    d = np.array([1.0, 2.0, 2.0, -1.0, 3.0, 0.0, 0.0, 3.0, -2.0, 4.0])  # ties among |d|, two zeros
    t = wilcoxon_signed_rank(d)
    assert t.variant == "exact (permutation, ties)" and (t.n, t.n_zero) == (8, 2)
    assert t.pvalue == pytest.approx(_brute_force_p(d), rel=1e-12)
    # more tied differences than the enumeration allows: the tie-corrected normal approximation
    big = np.round(rng.normal(0.3, 1, size=EXACT_MAX_N_TIES + 30), 1)
    t = wilcoxon_signed_rank(big)
    assert t.variant == "normal approximation (tie-corrected)"
    assert t.pvalue == pytest.approx(sps.wilcoxon(big[big != 0], method="asymptotic").pvalue, rel=1e-12)
    many = rng.normal(0.2, 1, size=80)  # no ties, n > 50
    assert wilcoxon_signed_rank(many).variant == "normal approximation"
    # no test possible
    z = wilcoxon_signed_rank([0.0, 0.0, 0.0])
    assert (z.pvalue, z.n, z.n_zero, z.variant) == (1.0, 0, 3, "no test: all differences zero")
    e = wilcoxon_signed_rank([])
    assert np.isnan(e.pvalue) and e.variant == "no test: no pairs"
    one = wilcoxon_signed_rank([2.0])
    assert one.pvalue == 1.0 and one.p_min == 1.0
    assert wilcoxon_signed_rank([1.0, 2.0, 3.0, 4.0, 5.0]).p_min == 0.0625
    assert wilcoxon_signed_rank([1.0, 2.0, 3.0, 4.0, 5.0]).pvalue == 0.0625  # the most extreme outcome at n=5
    with pytest.raises(ValueError, match="finite"):
        wilcoxon_signed_rank([1.0, np.inf])


def test_orientation_and_ci_of_a_hand_made_pair() -> None:
    a = [3.0, 4.0, 5.0, 6.0, 7.0, 9.0]
    b = [1.0, 2.0, 2.5, 3.0, 3.5, 4.0]  # a - b = 2, 2, 2.5, 3, 3.5, 5: mean 3
    c = paired_comparison(a, b)
    assert (c.n, c.diff.mean, c.resolved, c.better) == (6, 3.0, True, "a")
    # every resampled mean lies between the smallest and largest difference
    assert 2.0 <= c.diff.lo < 3.0 < c.diff.hi <= 5.0
    assert c.diff == bootstrap_mean_ci(np.subtract(a, b))  # the same seeded resampling as the table means
    assert c.test.pvalue == 2 / 64 and c.test.variant == "exact (permutation, ties)"  # |d| = 2 twice
    # for an error metric (lower is better) the same numbers mean b is better: the sign flips
    e = paired_comparison(a, b, higher_is_better=False)
    assert (e.diff.mean, e.diff.lo, e.diff.hi, e.better) == (-3.0, -c.diff.hi, -c.diff.lo, "b")
    assert e.test.pvalue == c.test.pvalue
    # a CI that collapses onto 0 resolves nothing; nor does a single image
    same = paired_comparison([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert not same.resolved and same.better == "" and same.test.variant == "no test: all differences zero"
    assert not paired_comparison([5.0], [1.0]).resolved
    with pytest.raises(ValueError, match="equal lengths"):
        paired_comparison([1.0, 2.0], [1.0])


def _scores(rng: np.random.Generator, n: int = 20) -> pd.DataFrame:
    """"good" beats "base" by 5 +- 1 on every image; "twin" differs from "base" by noise that is
    exactly symmetric (each image's +e has a -e partner), so its mean difference is 0."""
    base_q, base_err = rng.normal(60, 5, size=n), rng.uniform(0.1, 0.3, size=n)
    e = rng.normal(0, 1, size=n // 2)
    noise = np.concatenate([e, -e])
    rows = []
    for i in range(n):
        img = f"img{i:02d}"
        rows.append({"method": "base", "image": img, "q": base_q[i], "err": base_err[i]})
        rows.append({"method": "good", "image": img, "q": base_q[i] + 5 + rng.normal(0, 1), "err": base_err[i] - 0.05})
        rows.append({"method": "twin", "image": img, "q": base_q[i] + noise[i], "err": base_err[i] + noise[i] / 100})
    return pd.DataFrame(rows)


def test_resolved_decision_on_constructed_data(rng: np.random.Generator) -> None:
    scores = _scores(rng)
    pairs = paired_comparisons(scores, [("good", "base"), ("twin", "base")], [Q, ERR]).set_index(["a", "metric"])
    good = pairs.loc[("good", "q")]
    assert good["resolved"] and good["better"] == "good" and good["n"] == 20 and good["n_excluded"] == 0
    assert good["ci_lo"] > 3.0 and good["wilcoxon_p"] < 1e-4 and good["wilcoxon_p_holm"] < 0.05
    assert good["wilcoxon_variant"] == "exact"
    # lower error is better: "good" has 0.05 less error on every image -> positive, resolved
    assert pairs.loc[("good", "err"), "diff"] == pytest.approx(0.05) and pairs.loc[("good", "err"), "better"] == "good"
    twin = pairs.loc[("twin", "q")]
    assert abs(twin["diff"]) < 1e-12 and not twin["resolved"] and twin["better"] == ""
    assert twin["ci_lo"] < 0 < twin["ci_hi"] and twin["wilcoxon_p"] > 0.5
    # Holm over the two pairs of each metric: the larger p is multiplied by 1, the smaller by 2
    for metric in ("q", "err"):
        p = pairs.xs(metric, level="metric")
        small, large = sorted(p["wilcoxon_p"])
        assert sorted(p["wilcoxon_p_holm"]) == pytest.approx([min(1, 2 * small), max(min(1, 2 * small), large)])
    text = pairs_paragraph(pairs.reset_index(), [Q, ERR], {"good": "Good", "base": "Base", "twin": "Twin"})
    assert "Good vs Base: Q +" in text and "n=20" in text
    assert "Twin vs Base: Q 0.00 (95% CI -" in text and "): not resolved" in text
    assert "Resolved at 95%: Good vs Base on Q, Err; every other difference is not." in text
    assert "The Wilcoxon test confirms every resolved difference" in text
    assert "provisional" not in text  # n = 20


def test_n_with_missing_and_nonfinite_values(rng: np.random.Generator) -> None:
    scores = _scores(rng, n=10)
    scores = scores[~((scores["method"] == "good") & (scores["image"] == "img03"))]  # image missing for one method
    scores.loc[(scores["method"] == "base") & (scores["image"] == "img05"), "q"] = np.inf  # e.g. a perfect PSNR
    scores.loc[(scores["method"] == "good") & (scores["image"] == "img07"), "q"] = np.nan
    extra = pd.DataFrame([{"method": "good", "image": "only_good", "q": 1.0, "err": 0.1}])  # no partner
    scores = pd.concat([scores, extra], ignore_index=True)
    row = paired_comparisons(scores, [("good", "base")], [Q]).iloc[0]
    assert (row["n"], row["n_excluded"]) == (7, 4)  # 11 images in either, 4 without two finite values
    g = scores[scores["method"] == "good"].set_index("image")["q"]
    b = scores[scores["method"] == "base"].set_index("image")["q"]
    kept = [f"img{i:02d}" for i in range(10) if i not in (3, 5, 7)]
    assert row["diff"] == pytest.approx((g[kept] - b[kept]).mean())
    assert row["wilcoxon_p"] == pytest.approx(sps.wilcoxon(g[kept], b[kept]).pvalue)
    dup = pd.concat([scores, scores.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one per-image score for image 'img00'"):
        paired_comparisons(dup, [("base", "good")], [Q])


def test_ablations_use_the_paired_statistics(rng: np.random.Generator) -> None:
    scores = _scores(rng).replace({"method": {"base": "itmn", "good": "itmn-nodmse", "twin": "itmn-noadvreg"}})
    abl = ablation_directions(scores, [Q, ERR]).set_index(["reduced", "metric"])
    pairs = paired_comparisons(scores, [("itmn", "itmn-nodmse"), ("itmn", "itmn-noadvreg")], [Q, ERR])
    pairs = pairs.set_index(["b", "metric"])
    for key in abl.index:
        assert abl.loc[key, "gain_mean"] == pairs.loc[key, "diff"]
        assert (abl.loc[key, "gain_ci_lo"], abl.loc[key, "gain_ci_hi"]) == (pairs.loc[key, "ci_lo"], pairs.loc[key, "ci_hi"])
        assert abl.loc[key, "n"] == pairs.loc[key, "n"] == 20
    assert abl.loc[("itmn-nodmse", "q"), "removing_it"] == "helps"  # the reduced model is the better one here
    assert abl.loc[("itmn-noadvreg", "q"), "removing_it"] == "inconclusive"


def test_holm_against_hand_values() -> None:
    # p sorted: 0.005 (x4), 0.01 (x3), 0.02 (x2), 0.04 (x1) -> 0.02, 0.03, 0.04, 0.04 (monotone)
    got = holm_adjust([0.04, 0.005, 0.02, 0.01])
    assert got.tolist() == pytest.approx([0.04, 0.02, 0.04, 0.03])
    assert holm_adjust([0.3, 0.6]).tolist() == pytest.approx([0.6, 0.6])
    assert holm_adjust([0.5, 0.9, np.nan]).tolist()[:2] == pytest.approx([1.0, 1.0])
    assert np.isnan(holm_adjust([np.nan])[0]) and holm_adjust([]).size == 0


def test_mean_ci_half_width(rng: np.random.Generator) -> None:
    small = _scores(rng, n=10)
    large = _scores(rng, n=200)
    hw_small = mean_ci_half_width(small, ["q", "err"])
    hw_large = mean_ci_half_width(large, ["q", "err"])
    by_hand = np.mean([
        (ci.hi - ci.lo) / 2
        for ci in (bootstrap_mean_ci(small.loc[small["method"] == m, "q"].to_numpy()) for m in ("base", "good", "twin"))
    ])  # fmt: skip
    assert hw_small["q"] == pytest.approx(by_hand, rel=1e-12)
    assert hw_large["q"] < hw_small["q"] / 2.5  # ~ 1/sqrt(n): sqrt(20) = 4.5
    # the 95% CI of a mean of n values with sd s is about +-1.96 s / sqrt(n)
    sd = large.groupby("method")["q"].std()
    assert hw_large["q"] == pytest.approx(float(np.mean(1.96 * sd / np.sqrt(200))), rel=0.1)
    only_base = mean_ci_half_width(small, ["q"], methods=["base"])["q"]
    assert only_base == pytest.approx((lambda c: (c.hi - c.lo) / 2)(bootstrap_mean_ci(small.loc[small["method"] == "base", "q"].to_numpy())))
    with pytest.raises(ValueError, match="no column 'psnr'"):
        mean_ci_half_width(small, ["psnr"])
    with pytest.raises(ValueError, match="no per-image scores for method"):
        mean_ci_half_width(small, ["q"], methods=["nope"])


def test_a_tiny_resolved_difference_is_not_shown_as_zero() -> None:
    from bench.tables import render_pairs_markdown

    q = np.linspace(50.0, 60.0, 8)
    scores = pd.DataFrame(
        [{"method": "a", "image": f"i{i}", "q": v + 3e-7 * (1 + i / 100)} for i, v in enumerate(q)]
        + [{"method": "b", "image": f"i{i}", "q": v} for i, v in enumerate(q)]
    )
    pairs = paired_comparisons(scores, [("a", "b")], [Q])
    assert bool(pairs.iloc[0]["resolved"])
    md = render_pairs_markdown(pairs, [Q], {})
    row = next(line for line in md.splitlines() if line.startswith("| a vs b |")).split(" | ")
    assert row[3] == "+3.1e-07" and row[4].startswith("[+3") and row[4].endswith("e-07]")  # not "0.00 [0.00, 0.00]"
