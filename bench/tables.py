"""Citation-ready tables rendered from per-image scores only (protocol v1 §5).

Nothing here reads a mean from anywhere but the per-image data: :func:`summarize` computes every
cell (mean, 95% bootstrap CI) from the rows it is given, and the renderers only format it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.stats import bootstrap_mean_ci, kendall_tau, paired_difference_ci, rank


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
    95% CI, and whether the paper shows the same direction."""
    rows = []
    present = set(scores["method"])
    for ab in ablations:
        if ab.full not in present or ab.reduced not in present:
            continue
        full = scores[scores["method"] == ab.full].set_index("image")
        red = scores[scores["method"] == ab.reduced].set_index("image")
        images = sorted(set(full.index) & set(red.index))
        for m in metrics:
            sign = 1.0 if m.higher_is_better else -1.0
            ci = paired_difference_ci(
                sign * full.loc[images, m.name].to_numpy(float), sign * red.loc[images, m.name].to_numpy(float)
            )
            paper_gain = float("nan")
            if paper is not None and ab.full in paper.index and ab.reduced in paper.index and m.name in paper.columns:
                paper_gain = sign * float(paper.loc[ab.full, m.name] - paper.loc[ab.reduced, m.name])
            if ci.lo > 0:
                verdict = "hurts"
            elif ci.hi < 0:
                verdict = "helps"
            else:
                verdict = "inconclusive"
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
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- rendering
def _fmt(x: float, digits: int) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.{digits}f}"


def _fmt_signed(x: float, digits: int) -> str:
    if x is None or np.isnan(x):
        return "–"
    return f"{x:+.{digits}f}"


def wide_table(summary: pd.DataFrame, methods: Sequence[str], metrics: Sequence[MetricColumn], labels: dict[str, str]) -> pd.DataFrame:
    """Machine-readable wide table (``table1.csv``): one row per method, per metric the mean,
    CI bounds, paper value and difference."""
    rows = []
    for method in methods:
        row: dict[str, object] = {"method": method, "label": labels.get(method, method)}
        for m in metrics:
            r = summary[(summary["method"] == method) & (summary["metric"] == m.name)].iloc[0]
            row[f"{m.name}_mean"] = r["mean"]
            row[f"{m.name}_ci_lo"] = r["ci_lo"]
            row[f"{m.name}_ci_hi"] = r["ci_hi"]
            row[f"{m.name}_paper"] = r["paper"]
            row[f"{m.name}_diff"] = r["diff"]
            row["n_images"] = int(r["n_images"])
        rows.append(row)
    return pd.DataFrame(rows)


def render_markdown(
    summary: pd.DataFrame,
    methods: Sequence[str],
    metrics: Sequence[MetricColumn],
    labels: dict[str, str],
    inferred: set[str] | None = None,
) -> str:
    """A Markdown table: per method and metric, "mean [CI]", the paper's value and the difference.
    Methods whose paper column attribution is an inference are marked with a dagger."""
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
            cells.append(f"{_fmt(r['mean'], d)} [{_fmt(r['ci_lo'], d)}, {_fmt(r['ci_hi'], d)}]")
            cells.append(_fmt(r["paper"], d))
            cells.append(_fmt_signed(r["diff"], d))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _tex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("Δ", r"$\Delta$")):
        s = s.replace(a, b)
    return s


def render_latex(
    summary: pd.DataFrame,
    methods: Sequence[str],
    metrics: Sequence[MetricColumn],
    labels: dict[str, str],
    caption: str,
    label: str = "tab:itmn-repro",
    inferred: set[str] | None = None,
) -> str:
    """A booktabs LaTeX table (needs ``\\usepackage{booktabs}``): mean with CI, paper value, Δ;
    the best reproduced mean per metric in bold."""
    inferred = inferred or set()
    best: dict[str, str] = {}
    for m in metrics:
        s = summary[summary["metric"] == m.name]
        order = rank(dict(zip(s["method"], s["mean"])), higher_is_better=m.higher_is_better)
        best[m.name] = order[0]
    cols = "l" + "rrr" * len(metrics)
    out = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{{cols}}}", r"\toprule"]
    top = ["Method"] + [rf"\multicolumn{{3}}{{c}}{{{_tex_escape(m.label)} $\{'uparrow' if m.higher_is_better else 'downarrow'}$}}" for m in metrics]
    out.append(" & ".join(top) + r" \\")
    out.append("".join(rf"\cmidrule(lr){{{2 + 3 * i}-{4 + 3 * i}}}" for i in range(len(metrics))))
    out.append(" & ".join([""] + ["ours (95\\% CI)", "paper", r"$\Delta$"] * len(metrics)) + r" \\")
    out.append(r"\midrule")
    for method in methods:
        name = _tex_escape(labels.get(method, method)) + (r"$^\dagger$" if method in inferred else "")
        cells = [name]
        for m in metrics:
            r = summary[(summary["method"] == method) & (summary["metric"] == m.name)].iloc[0]
            d = m.digits
            mean = _fmt(r["mean"], d).replace("∞", r"$\infty$")
            if best[m.name] == method:
                mean = rf"\textbf{{{mean}}}"
            cells.append(rf"{mean} {{\scriptsize[{_fmt(r['ci_lo'], d)}, {_fmt(r['ci_hi'], d)}]}}")
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
