"""Citation-ready tables rendered from per-image scores only (protocol v1 §5).

Nothing here reads a mean from anywhere but the per-image data: :func:`summarize` computes every
cell (mean, 95% bootstrap CI) from the rows it is given, and the renderers only format it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_mean_ci,
    holm_adjust,
    kendall_tau,
    paired_comparison,
    rank,
)


@dataclass(frozen=True)
class MetricColumn:
    """How a metric appears in a table. ``higher_is_better`` comes from the metric registry."""

    name: str
    label: str
    higher_is_better: bool
    digits: int


@dataclass(frozen=True)
class Ablation:
    full: str  # the complete model, e.g. "itmn"
    reduced: str  # the model without the component, e.g. "itmn-nodmse"
    component: str  # what was removed, e.g. "the dMSE loss"


DEFAULT_ABLATIONS = (
    Ablation("itmn", "itmn-nodmse", "the dMSE loss"),
    Ablation("itmn", "itmn-noadvreg", "the adversarial regularizer"),
)


def summarize(
    scores: pd.DataFrame,
    methods: Sequence[str],
    metrics: Sequence[MetricColumn],
    paper: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (method, metric): mean, 95% CI, n, excluded non-finite values, paper value
    and the difference reproduced - paper.

    ``scores`` is the per-image table (columns ``method``, ``image`` and one per metric);
    ``paper`` is indexed by method with one column per metric (missing -> NaN).
    """
    rows = []
    for method in methods:
        sub = scores[scores["method"] == method]
        if sub.empty:
            raise ValueError(f"no per-image scores for method {method!r}")
        for m in metrics:
            ci = bootstrap_mean_ci(sub[m.name].to_numpy(dtype=float))
            pv = float("nan")
            if paper is not None and method in paper.index and m.name in paper.columns:
                pv = float(paper.loc[method, m.name])
            rows.append(
                {
                    "method": method,
                    "metric": m.name,
                    "mean": ci.mean,
                    "ci_lo": ci.lo,
                    "ci_hi": ci.hi,
                    "n_images": ci.n,
                    "n_nonfinite": ci.n_nonfinite,
                    "paper": pv,
                    "diff": ci.mean - pv,
                }
            )
    return pd.DataFrame(rows)


def rankings(summary: pd.DataFrame, metrics: Sequence[MetricColumn]) -> pd.DataFrame:
    """Per metric: reproduced order, the paper's order (over methods with a paper value) and
    Kendall's tau between them."""
    rows = []
    for m in metrics:
        s = summary[summary["metric"] == m.name]
        repro = rank(dict(zip(s["method"], s["mean"])), higher_is_better=m.higher_is_better)
        with_paper = s[np.isfinite(s["paper"].to_numpy(dtype=float))]
        paper_order = rank(dict(zip(with_paper["method"], with_paper["paper"])), higher_is_better=m.higher_is_better)
        repro_common = [x for x in repro if x in paper_order]
        rows.append(
            {
                "metric": m.name,
                "reproduced_order": " > ".join(repro),
                "paper_order": " > ".join(paper_order),
                "kendall_tau": kendall_tau(repro_common, paper_order),
                "same_winner": bool(repro_common and paper_order and repro_common[0] == paper_order[0]),
            }
        )
    return pd.DataFrame(rows)


def ablation_directions(
    scores: pd.DataFrame,
    metrics: Sequence[MetricColumn],
    paper: pd.DataFrame | None = None,
    ablations: Sequence[Ablation] = DEFAULT_ABLATIONS,
) -> pd.DataFrame:
    """Does removing a component hurt? Paired per-image differences full - reduced (sign flipped
    for lower-is-better metrics, so positive always means "the full model is better"), their
    95% CI, and whether the paper shows the same direction; ``n`` pairs with finite values in
    both (the same numbers as :func:`paired_comparisons` gives for the pair (full, reduced))."""
    rows = []
    present = set(scores["method"])
    for ab in ablations:
        if ab.full not in present or ab.reduced not in present:
            continue
        for m in metrics:
            a, b = _aligned(scores, ab.full, ab.reduced, m.name)
            c = paired_comparison(a, b, higher_is_better=m.higher_is_better)
            ci = c.diff
            sign = 1.0 if m.higher_is_better else -1.0
            paper_gain = float("nan")
            if paper is not None and ab.full in paper.index and ab.reduced in paper.index and m.name in paper.columns:
                paper_gain = sign * float(paper.loc[ab.full, m.name] - paper.loc[ab.reduced, m.name])
            verdict = {"a": "hurts", "b": "helps"}.get(c.better, "inconclusive")
            rows.append(
                {
                    "component": ab.component,
                    "full": ab.full,
                    "reduced": ab.reduced,
                    "metric": m.name,
                    "gain_mean": ci.mean,
                    "gain_ci_lo": ci.lo,
                    "gain_ci_hi": ci.hi,
                    "removing_it": verdict,
                    "paper_gain": paper_gain,
                    "paper_says_removing_hurts": bool(paper_gain > 0) if np.isfinite(paper_gain) else None,
                    "agrees_with_paper": bool((verdict == "hurts") == (paper_gain > 0)) if np.isfinite(paper_gain) else None,
                    "n": ci.n,
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- paired comparisons
#: Columns of :func:`paired_comparisons` (and of ``<kind>_pairs.csv`` / ``leaderboard_pairs.csv``).
PAIR_COLUMNS = (
    "a", "b", "metric", "higher_is_better", "n", "n_excluded", "diff", "ci_lo", "ci_hi", "resolved", "better",
    "wilcoxon_stat", "wilcoxon_n", "wilcoxon_p", "wilcoxon_p_holm", "wilcoxon_variant",
)  # fmt: skip


def _aligned(scores: pd.DataFrame, a: str, b: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-image values of methods ``a`` and ``b`` on the union of their images, in image order;
    NaN where a method has no row for an image. ValueError on a repeated (method, image)."""
    cols = {}
    for method in (a, b):
        sub = scores.loc[scores["method"] == method, ["image", metric]]
        dup = sub["image"][sub["image"].duplicated()]
        if not dup.empty:
            raise ValueError(
                f"method {method!r} has more than one per-image score for image {dup.iloc[0]!r}; expected one row per "
                "(method, image)"
            )
        cols[method] = sub.set_index("image")[metric].astype(float)
    images = sorted(set(cols[a].index) | set(cols[b].index), key=str)
    return cols[a].reindex(images).to_numpy(), cols[b].reindex(images).to_numpy()


def paired_comparisons(
    scores: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    metrics: Sequence[MetricColumn],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """One row per (pair, metric) with :data:`PAIR_COLUMNS`: for the pair (a, b), the mean
    per-image difference oriented so that positive means ``a`` is better, its 95% bootstrap CI,
    ``n`` images with finite values of both (``n_excluded`` images of either had a missing or
    non-finite value of one), whether it is resolved at 95% (the CI excludes 0) and which method
    is then better, and the two-sided Wilcoxon signed-rank test (zero differences discarded; the
    variant used in ``wilcoxon_variant``). ``wilcoxon_p_holm`` is Holm-adjusted over the pairs
    of this call, per metric: one call is one family of comparisons (one table)."""
    rows = []
    for a, b in pairs:
        for m in metrics:
            c = paired_comparison(*_aligned(scores, a, b, m.name), higher_is_better=m.higher_is_better,
                                  resamples=resamples, seed=seed)  # fmt: skip
            rows.append(
                {
                    "a": a, "b": b, "metric": m.name, "higher_is_better": m.higher_is_better,
                    "n": c.n, "n_excluded": c.diff.n_nonfinite,
                    "diff": c.diff.mean, "ci_lo": c.diff.lo, "ci_hi": c.diff.hi,
                    "resolved": c.resolved, "better": {"a": a, "b": b}.get(c.better, ""),
                    "wilcoxon_stat": c.test.statistic, "wilcoxon_n": c.test.n, "wilcoxon_p": c.test.pvalue,
                    "wilcoxon_p_holm": float("nan"), "wilcoxon_variant": c.test.variant,
                }  # fmt: skip
            )
    out = pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
    for metric in dict.fromkeys(out["metric"]):
        sel = (out["metric"] == metric).to_numpy()
        out.loc[sel, "wilcoxon_p_holm"] = holm_adjust(out.loc[sel, "wilcoxon_p"].to_numpy(dtype=float))
    return out


# --------------------------------------------------------------------------- rendering
def _fmt(x: float, digits: int) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.{digits}f}"


def _fmt_signed(x: float, digits: int) -> str:
    """``x`` with its sign; a value that rounds to zero shows none (not "-0.00")."""
    if x is None or np.isnan(x):
        return "–"
    if np.isinf(x):
        return "+∞" if x > 0 else "-∞"
    text = f"{x:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def wide_table(summary: pd.DataFrame, methods: Sequence[str], metrics: Sequence[MetricColumn], labels: dict[str, str]) -> pd.DataFrame:
    """Machine-readable wide table (``table1.csv``): one row per method, per metric the mean,
    CI bounds, paper value, difference and ``<metric>_n`` (images with a finite value);
    ``n_images`` is the largest of those n."""
    rows = []
    for method in methods:
        row: dict[str, object] = {"method": method, "label": labels.get(method, method)}
        n_max = 0
        for m in metrics:
            r = summary[(summary["method"] == method) & (summary["metric"] == m.name)].iloc[0]
            row[f"{m.name}_mean"] = r["mean"]
            row[f"{m.name}_ci_lo"] = r["ci_lo"]
            row[f"{m.name}_ci_hi"] = r["ci_hi"]
            row[f"{m.name}_paper"] = r["paper"]
            row[f"{m.name}_diff"] = r["diff"]
            n_max = max(n_max, int(r["n_images"]))
            row["n_images"] = n_max  # keeps its place after the first metric's columns
            row[f"{m.name}_n"] = int(r["n_images"])
        rows.append(row)
    return pd.DataFrame(rows)


def render_markdown(
    summary: pd.DataFrame,
    methods: Sequence[str],
    metrics: Sequence[MetricColumn],
    labels: dict[str, str],
    inferred: set[str] | None = None,
) -> str:
    """A Markdown table: per method and metric, "mean [CI] n=…" (n: images with a finite value),
    the paper's value and the difference. Methods whose paper column attribution is an inference
    are marked with a dagger."""
    inferred = inferred or set()
    header = ["Method"]
    for m in metrics:
        arrow = "↑" if m.higher_is_better else "↓"
        header += [f"{m.label} {arrow} (95% CI)", "paper", "Δ"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for method in methods:
        name = labels.get(method, method) + (" †" if method in inferred else "")
        cells = [name]
        for m in metrics:
            r = summary[(summary["method"] == method) & (summary["metric"] == m.name)].iloc[0]
            d = m.digits
            cells.append(f"{_fmt(r['mean'], d)} [{_fmt(r['ci_lo'], d)}, {_fmt(r['ci_hi'], d)}] n={int(r['n_images'])}")
            cells.append(_fmt(r["paper"], d))
            cells.append(_fmt_signed(r["diff"], d))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


#: LaTeX for characters that are special to it or outside ASCII in labels and notes (one pass
#: over the characters, so an escape's own braces are never escaped again).
_TEX = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "Δ": r"$\Delta$", "α": r"$\alpha$", "λ": r"$\lambda$", "∞": r"$\infty$", "–": "--", "—": "---", "−": "-",
    "×": r"$\times$", "²": r"$^2$", "↑": r"$\uparrow$", "↓": r"$\downarrow$", "†": r"$^\dagger$", "≥": r"$\geq$",
    "≤": r"$\leq$", "’": "'",
}  # fmt: skip


def tex_escape(s: str) -> str:
    """``s`` as LaTeX text: special characters escaped, the Greek letters and symbols the tables
    use as math.

    >>> print(tex_escape("ΔE_ITP 100% & {x}"))
    $\\Delta$E\\_ITP 100\\% \\& \\{x\\}
    """
    return "".join(_TEX.get(ch, ch) for ch in s)


def render_latex(
    summary: pd.DataFrame,
    methods: Sequence[str],
    metrics: Sequence[MetricColumn],
    labels: dict[str, str],
    caption: str,
    label: str = "tab:itmn-repro",
    inferred: set[str] | None = None,
) -> str:
    """A booktabs LaTeX table (needs ``\\usepackage{booktabs}``): mean with CI and n, paper
    value, Δ; the best reproduced mean per metric in bold."""
    inferred = inferred or set()
    best: dict[str, str] = {}
    for m in metrics:
        s = summary[summary["metric"] == m.name]
        order = rank(dict(zip(s["method"], s["mean"])), higher_is_better=m.higher_is_better)
        best[m.name] = order[0]
    cols = "l" + "rrr" * len(metrics)
    out = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{{cols}}}", r"\toprule"]
    top = ["Method"] + [rf"\multicolumn{{3}}{{c}}{{{tex_escape(m.label)} $\{'uparrow' if m.higher_is_better else 'downarrow'}$}}" for m in metrics]
    out.append(" & ".join(top) + r" \\")
    out.append("".join(rf"\cmidrule(lr){{{2 + 3 * i}-{4 + 3 * i}}}" for i in range(len(metrics))))
    out.append(" & ".join([""] + ["ours (95\\% CI)", "paper", r"$\Delta$"] * len(metrics)) + r" \\")
    out.append(r"\midrule")
    for method in methods:
        name = tex_escape(labels.get(method, method)) + (r"$^\dagger$" if method in inferred else "")
        cells = [name]
        for m in metrics:
            r = summary[(summary["method"] == method) & (summary["metric"] == m.name)].iloc[0]
            d = m.digits
            mean = _fmt(r["mean"], d).replace("∞", r"$\infty$")
            if best[m.name] == method:
                mean = rf"\textbf{{{mean}}}"
            cells.append(rf"{mean} {{\scriptsize[{_fmt(r['ci_lo'], d)}, {_fmt(r['ci_hi'], d)}] $n{{=}}{int(r['n_images'])}$}}")
            cells.append(_fmt(r["paper"], d))
            cells.append(_fmt_signed(r["diff"], d))
        out.append(" & ".join(cells).replace("–", "--") + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}", rf"\label{{{label}}}", r"\end{table}"]
    return "\n".join(out) + "\n"


def summary_paragraph(
    summary: pd.DataFrame,
    ranks: pd.DataFrame,
    ablations: pd.DataFrame,
    metrics: Sequence[MetricColumn],
    labels: dict[str, str],
    *,
    dataset_note: str,
    what: str = "the ranking of the methods and the direction of the ablations",
) -> str:
    """A short generated text: what reproduced (winner, ranking agreement, ablation directions)
    and what did not, and why the absolute numbers are not expected to match. ``what`` says
    what can reproduce (e.g. the ordering of Table 2's settings)."""
    parts = [
        "The paper's dataset (2660 private HDR images) and its metric settings are not available, "
        f"so absolute values are not expected to match; {dataset_note} What can reproduce is {what}."
    ]
    for _, r in ranks.iterrows():
        m = next(x for x in metrics if x.name == r["metric"])
        order = [labels.get(x, x) for x in r["reproduced_order"].split(" > ")]
        paper_first = r["paper_order"].split(" > ")[0] if r["paper_order"] else ""
        verdict = "the same best method as the paper" if r["same_winner"] else (
            f"a different best method from the paper's {labels.get(paper_first, paper_first)}"
        )
        if not paper_first:  # a metric the paper does not report
            verdict = "the paper does not report this metric"
        tau = r["kendall_tau"]
        tau_s = f"Kendall's tau with the paper's order {tau:+.2f}" if np.isfinite(tau) else "no paper order"
        parts.append(f"{m.label}: best is {order[0]} — {verdict}; {tau_s}.")
    groups = ablations.groupby("component", sort=False) if not ablations.empty else []
    for component, grp in groups:
        hurts = [next(x.label for x in metrics if x.name == mn) for mn, v in zip(grp["metric"], grp["removing_it"]) if v == "hurts"]
        helps = [next(x.label for x in metrics if x.name == mn) for mn, v in zip(grp["metric"], grp["removing_it"]) if v == "helps"]
        agree = int(sum(1 for a in grp["agrees_with_paper"] if a is True))
        text = f"Removing {component}"
        if hurts:
            text += f" hurts {', '.join(hurts)}"
        if helps:
            text += ("; it " if hurts else " ") + f"improves {', '.join(helps)}"
        if not hurts and not helps:
            text += " makes no difference beyond the 95% CI on any metric"
        with_paper = sum(1 for a in grp["agrees_with_paper"] if a is not None)  # metrics the paper reports
        text += f" (the paper's direction is reproduced on {agree} of {with_paper} metrics)."
        parts.append(text)
    return " ".join(parts) + "\n"


# --------------------------------------------------------------------------- paired comparisons, rendered
def fmt_p(p: float) -> str:
    """A p-value for a table: three significant digits, ``<0.001`` below 0.001, ``–`` for NaN.

    >>> fmt_p(0.0625), fmt_p(0.81234), fmt_p(1e-5), fmt_p(float("nan"))
    ('0.0625', '0.812', '<0.001', '–')
    """
    if p is None or np.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3g}"


def _metric(metrics: Sequence[MetricColumn], name: str) -> MetricColumn:
    return next(m for m in metrics if m.name == name)


def _pair_name(r: pd.Series, labels: dict[str, str]) -> str:
    return f"{labels.get(r['a'], r['a'])} vs {labels.get(r['b'], r['b'])}"


def fmt_diff(x: float, digits: int, *, expand: bool = False) -> str:
    """A paired difference with its sign at ``digits`` decimals. With ``expand`` (used for
    resolved differences), one that is not 0 but would show as 0 gets two significant digits
    instead, so that a resolved difference of 3e-7 dB does not read as "0.00 [0.00, 0.00]"
    (unresolved ones round to 0: their last digits are noise).

    >>> fmt_diff(1.234, 2), fmt_diff(2.7e-7, 2), fmt_diff(2.7e-7, 2, expand=True), fmt_diff(-0.004, 2, expand=True)
    ('+1.23', '0.00', '+2.7e-07', '-0.004')
    """
    if expand and x is not None and np.isfinite(x) and x != 0 and float(f"{x:.{digits}f}") == 0:
        return f"{x:+.2g}"
    return _fmt_signed(x, digits)


def _diff_ci(r: pd.Series, digits: int, sep: str = ", ") -> tuple[str, str]:
    e = bool(r["resolved"])
    return (
        fmt_diff(r["diff"], digits, expand=e),
        f"[{fmt_diff(r['ci_lo'], digits, expand=e)}{sep}{fmt_diff(r['ci_hi'], digits, expand=e)}]",
    )


def render_pairs_markdown(pairs: pd.DataFrame, metrics: Sequence[MetricColumn], labels: dict[str, str]) -> str:
    """The paired comparisons (:func:`paired_comparisons`) as a Markdown table, one row per pair
    and metric: n, the mean difference (positive: the first-named method is better), its 95%
    CI, the Wilcoxon p-value raw and Holm-adjusted, the test variant, and the verdict."""
    header = ["Comparison (A vs B)", "Metric", "n", "Δ (+: A better)", "95% CI", "Wilcoxon p", "Holm p", "test", "resolved at 95%"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", "---", "---:", "---:", "---:", "---:", "---:", "---", "---"]) + "|"]
    for _, r in pairs.iterrows():
        m = _metric(metrics, r["metric"])
        diff, ci = _diff_ci(r, m.digits)
        verdict = f"yes: {labels.get(r['better'], r['better'])} better" if r["resolved"] else "no"
        cells = [
            _pair_name(r, labels), f"{m.label} {'↑' if m.higher_is_better else '↓'}", str(int(r["n"])), diff, ci,
            fmt_p(r["wilcoxon_p"]), fmt_p(r["wilcoxon_p_holm"]), str(r["wilcoxon_variant"]), verdict,
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _by_pair(rows: pd.DataFrame, metrics: Sequence[MetricColumn], labels: dict[str, str]) -> str:
    """"A vs B on M1, M2; A vs C on M1" for the given pair rows."""
    return "; ".join(
        f"{_pair_name(g.iloc[0], labels)} on {', '.join(_metric(metrics, x).label for x in g['metric'])}"
        for _, g in rows.groupby(["a", "b"], sort=False)
    )


#: Below this many pairs the percentile bootstrap CI is known to be too narrow (it under-covers),
#: so the generated text says that a resolution rests on few images.
SMALL_N = 10


def pairs_paragraph(
    pairs: pd.DataFrame, metrics: Sequence[MetricColumn], labels: dict[str, str], *, alpha: float = 0.05
) -> str:
    """Plain words for the paired comparisons: per pair, each metric's difference with its 95% CI,
    n and Wilcoxon p, and whether it is resolved at 95% (the CI excludes 0); then where the
    Wilcoxon test (Holm-adjusted) does not back a resolved difference or backs an unresolved one,
    and the caveats of a small n. Empty string when there are no pairs."""
    if pairs.empty:
        return ""
    level = round(100 * (1 - alpha))
    parts = [
        f"Paired per-image differences, A vs B, oriented so that positive means A is better; 95% percentile bootstrap "
        f"CI over images ({DEFAULT_RESAMPLES:,} resamples, seeded); a difference is resolved at {level}% when its CI "
        f"excludes 0. Beside it: the two-sided Wilcoxon signed-rank p-value (zero differences discarded), raw and "
        f"Holm-adjusted over the comparisons of this table per metric; the CIs are not adjusted."
    ]
    for _, grp in pairs.groupby(["a", "b"], sort=False):
        items = []
        for _, r in grp.iterrows():
            m = _metric(metrics, r["metric"])
            diff, ci = _diff_ci(r, m.digits, sep=" to ")
            verdict = "resolved" if r["resolved"] else "not resolved"
            if int(r["n"]) < 2:
                verdict = "not resolved (fewer than 2 images)"
            items.append(f"{m.label} {diff} (95% CI {ci[1:-1]}, n={int(r['n'])}, Wilcoxon p={fmt_p(r['wilcoxon_p'])}): {verdict}")
        parts.append(f"{_pair_name(grp.iloc[0], labels)}: " + "; ".join(items) + ".")
    res = pairs[pairs["resolved"]]
    if res.empty:
        parts.append(f"No difference is resolved at {level}%.")
    else:
        parts.append(f"Resolved at {level}%: {_by_pair(res, metrics, labels)}; every other difference is not.")
    p_holm = pairs["wilcoxon_p_holm"].to_numpy(dtype=float)
    backed = np.isfinite(p_holm) & (p_holm < alpha)
    unbacked = pairs[pairs["resolved"].to_numpy(dtype=bool) & ~backed]
    extra = pairs[~pairs["resolved"].to_numpy(dtype=bool) & backed]
    if not unbacked.empty:
        parts.append(
            f"The Wilcoxon test does not confirm (Holm-adjusted p ≥ {alpha:g}) {len(unbacked)} of the {len(res)} "
            "resolved differences: "
            + _by_pair(unbacked, metrics, labels)
            + "."
        )
    elif not res.empty:
        parts.append(f"The Wilcoxon test confirms every resolved difference (Holm-adjusted p < {alpha:g}).")
    if not extra.empty:
        parts.append(
            "The Wilcoxon test rejects a symmetric-about-zero difference where the CI includes 0 for: "
            + _by_pair(extra, metrics, labels)
            + " (typically a consistent shift on most images with an outlier)."
        )
    n_lo, n_hi = int(pairs["n"].min()), int(pairs["n"].max())
    if n_lo < SMALL_N:
        n_text = f"n = {n_lo}" if n_lo == n_hi else f"n = {n_lo} to {n_hi}"
        parts.append(
            f"With {n_text} images these results are provisional: the percentile bootstrap CI is too narrow with "
            f"fewer than about {SMALL_N} images"
            + (
                ", and with at most 5 non-zero differences the two-sided Wilcoxon test cannot give p below 0.05 "
                "(its smallest p is 2/2^n, 0.0625 at n = 5)"
                if int(pairs["wilcoxon_n"].min()) <= 5
                else ""
            )
            + "."
        )
    return " ".join(parts) + "\n"
