"""The leaderboard: the paper's methods and the published ones under the same protocol, ranked per
metric, each compared image by image with iTMN (issue 14).

Everything is computed from the per-image scores (``scores.csv``: columns ``method``, ``image``
and one per metric) by :func:`build_leaderboard`; :func:`write_leaderboard` renders
``leaderboard.md``, ``leaderboard.csv`` (one row per method), ``leaderboard.tex`` (booktabs) and
``leaderboard_pairs.csv`` (the paired statistics, columns :data:`bench.tables.PAIR_COLUMNS`).
Means come with their 95% bootstrap CI and n; the comparison with the reference is the paired
per-image difference *method − reference*, oriented so that positive means the method is better
(the metric registry's direction), with its 95% bootstrap CI, the two-sided Wilcoxon signed-rank
p-value, raw and Holm-adjusted over all the leaderboard's comparisons per metric, and "resolved at
95%" when the CI excludes 0 (docs/statistics.md). Table 1 stays the paper's six methods
(:func:`bench.reproduce.write_tables`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.reproduce.options import EXTRA_METHODS, LABELS, PUBLISHED_LABELS, PUBLISHED_METHODS, TABLE1_METHODS
from bench.tables import (
    MetricColumn,
    _fmt,
    fmt_diff,
    fmt_p,
    paired_comparisons,
    pairs_paragraph,
    render_pairs_markdown,
    summarize,
    tex_escape,
)
from itmn.errors import ConfigError

GROUP_PAPER = "paper's methods"
GROUP_PUBLISHED = "published, authors' weights"
GROUP_SANITY = "sanity baseline"
GROUP_OTHER = "other"
#: Groups in the order the default method list follows, with the short names of the LaTeX table.
GROUPS = {GROUP_PAPER: "paper", GROUP_PUBLISHED: "published", GROUP_SANITY: "baseline", GROUP_OTHER: "other"}
DEFAULT_REFERENCE = "itmn"


def method_group(method: str) -> str:
    """The leaderboard group of a registered method name: the paper's Table 1 methods, the
    published methods run with their authors' weights, the sanity baseline, or other.

    >>> method_group("huo"), method_group("expandnet"), method_group("inverse-gamma"), method_group("mine")
    ("paper's methods", "published, authors' weights", 'sanity baseline', 'other')
    """
    if method in TABLE1_METHODS:
        return GROUP_PAPER
    if method in PUBLISHED_METHODS:
        return GROUP_PUBLISHED
    if method in EXTRA_METHODS:
        return GROUP_SANITY
    return GROUP_OTHER


def default_methods(scores: pd.DataFrame) -> list[str]:
    """Every method in ``scores``: the paper's (Table 1's order), the published ones, the sanity
    baseline, then any other in order of appearance."""
    present = list(dict.fromkeys(scores["method"]))
    known = [m for m in (*TABLE1_METHODS, *PUBLISHED_METHODS, *EXTRA_METHODS) if m in present]
    return known + [m for m in present if m not in known]


@dataclass(frozen=True)
class Leaderboard:
    """A leaderboard computed from per-image scores.

    ``methods`` in board order (rank on the first metric; NaN means last; ties keep the given
    order); ``summary`` one row per (method, metric) as :func:`bench.tables.summarize` gives
    (mean, CI, n); ``ranks[metric][method]`` the competition rank (equal means share a rank,
    None for a NaN mean); ``pairs`` the paired comparisons (method, reference), empty when the
    reference has no scores."""

    methods: list[str]
    metrics: list[MetricColumn]
    summary: pd.DataFrame
    ranks: dict[str, dict[str, int | None]]
    pairs: pd.DataFrame
    reference: str

    def cell(self, method: str, metric: str) -> pd.Series:
        s = self.summary
        return s[(s["method"] == method) & (s["metric"] == metric)].iloc[0]

    def pair(self, method: str, metric: str) -> pd.Series | None:
        p = self.pairs
        sel = p[(p["a"] == method) & (p["metric"] == metric)]
        return None if sel.empty else sel.iloc[0]


def _competition_ranks(means: dict[str, float], higher_is_better: bool) -> dict[str, int | None]:
    finite = {k: v for k, v in means.items() if np.isfinite(v)}
    out: dict[str, int | None] = {k: None for k in means}
    for k, v in finite.items():
        better = sum(1 for w in finite.values() if (w > v if higher_is_better else w < v))
        out[k] = better + 1
    return out


def build_leaderboard(
    scores: pd.DataFrame,
    *,
    methods: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    reference: str = DEFAULT_REFERENCE,
) -> Leaderboard:
    """Rank ``methods`` (default :func:`default_methods`) on the ``metrics`` columns (default: the
    paper's three, bench.columns) from the per-image ``scores`` and compare each with
    ``reference`` image by image. ConfigError for a method without scores or a metric column
    without values."""
    from bench.columns import check_scores_have, metric_columns, table_metrics

    if methods is None:
        names = default_methods(scores)
    else:
        names = list(dict.fromkeys(methods))
        unknown = [m for m in names if not (scores["method"] == m).any()]
        if unknown:
            raise ConfigError(
                f"no per-image scores for method(s) {', '.join(unknown)} "
                f"(the scores have: {', '.join(dict.fromkeys(scores['method']))})"
            )
    if not names:
        raise ConfigError("the per-image scores have no methods: nothing to rank")
    scores = scores[scores["method"].isin(names)]
    check_scores_have(scores, table_metrics(metrics))
    columns = metric_columns(table_metrics(metrics))
    summary = summarize(scores, names, columns)
    ranks = {}
    for m in columns:
        s = summary[summary["metric"] == m.name]
        ranks[m.name] = _competition_ranks(dict(zip(s["method"], s["mean"].astype(float))), m.higher_is_better)
    first = ranks[columns[0].name]
    order = sorted(names, key=lambda k: (first[k] is None, first[k] or 0, names.index(k)))
    pairs = paired_comparisons(scores, [(m, reference) for m in order if m != reference] if reference in names else [], columns)
    return Leaderboard(order, columns, summary, ranks, pairs, reference)


# --------------------------------------------------------------------------- formatting
def _num(x: float, digits: int, signed: bool = False, expand: bool = False) -> str:
    return fmt_diff(x, digits, expand=expand) if signed else _fmt(x, digits)


def _mean_cell(r: pd.Series, digits: int) -> tuple[str, str]:
    return _num(r["mean"], digits), f"[{_num(r['ci_lo'], digits)}, {_num(r['ci_hi'], digits)}]"


def leaderboard_table(
    board: Leaderboard, labels: Mapping[str, str] | None = None, configs: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The machine-readable leaderboard (``leaderboard.csv``): one row per method in board order
    with ``rank`` (on the first metric), ``method``, ``label``, ``group``; per metric
    ``<m>_rank``, ``_mean``, ``_ci_lo``, ``_ci_hi``, ``_n``, ``_n_nonfinite`` and the comparison
    with the reference ``<m>_vs_<ref>_diff``, ``_ci_lo``, ``_ci_hi``, ``_n``, ``_p``,
    ``_p_holm``, ``_resolved`` (positive diff: the method is better; empty for the reference);
    ``config`` (empty when not given)."""
    labels = {**LABELS, **PUBLISHED_LABELS, **(labels or {})}
    first = board.metrics[0].name
    rows = []
    for method in board.methods:
        row: dict[str, object] = {
            "rank": board.ranks[first][method], "method": method, "label": labels.get(method, method),
            "group": method_group(method),
        }  # fmt: skip
        for m in board.metrics:
            c = board.cell(method, m.name)
            row[f"{m.name}_rank"] = board.ranks[m.name][method]
            for k in ("mean", "ci_lo", "ci_hi"):
                row[f"{m.name}_{k}"] = c[k]
            row[f"{m.name}_n"] = int(c["n_images"])
            row[f"{m.name}_n_nonfinite"] = int(c["n_nonfinite"])
            p = board.pair(method, m.name)
            pre = f"{m.name}_vs_{board.reference}"
            for k, src in (("diff", "diff"), ("ci_lo", "ci_lo"), ("ci_hi", "ci_hi"), ("n", "n"), ("p", "wilcoxon_p"),
                           ("p_holm", "wilcoxon_p_holm"), ("resolved", "resolved")):  # fmt: skip
                row[f"{pre}_{k}"] = None if p is None else p[src]
        row["config"] = (configs or {}).get(method, "")
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in out.columns:  # ranks and n stay integers where present (pandas would make them floats)
        if col == "rank" or col.endswith(("_rank", "_n", "_n_nonfinite")):
            out[col] = out[col].astype("Int64")
    return out


def _vs_cell(p: pd.Series | None, digits: int, reference_label: str, is_reference: bool) -> str:
    if is_reference:
        return "reference"
    if p is None:
        return "–"
    e = bool(p["resolved"])
    text = (
        f"{_num(p['diff'], digits, True, e)} [{_num(p['ci_lo'], digits, True, e)}, {_num(p['ci_hi'], digits, True, e)}] "
        f"p={fmt_p(p['wilcoxon_p'])}"
    )
    return text + (" resolved" if p["resolved"] else "")


def render_leaderboard_markdown(
    board: Leaderboard,
    labels: Mapping[str, str] | None = None,
    *,
    dataset_note: str,
    configs: Mapping[str, str] | None = None,
) -> str:
    """``leaderboard.md``: the ranked table (per metric: mean [95% CI] n=…, rank, and the paired
    comparison with the reference), the order per metric, the paired comparisons with their
    generated paragraph, the groups and each method's configuration string."""
    labels = {**LABELS, **PUBLISHED_LABELS, **(labels or {})}
    ref = board.reference
    ref_label = labels.get(ref, ref)
    has_ref = not board.pairs.empty
    header = ["#", "Method", "Group"]
    align = ["---:", "---", "---"]
    for m in board.metrics:
        header.append(f"{m.label} {'↑' if m.higher_is_better else '↓'} (95% CI)")
        align.append("---:")
        if has_ref:
            header.append(f"vs {ref_label}")
            align.append("---:")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    first = board.metrics[0].name
    for method in board.methods:
        rank = board.ranks[first][method]
        cells = [str(rank) if rank is not None else "–", labels.get(method, method), method_group(method)]
        for m in board.metrics:
            c = board.cell(method, m.name)
            mean, ci = _mean_cell(c, m.digits)
            r = board.ranks[m.name][method]
            cells.append(f"{mean} {ci} n={int(c['n_images'])} (#{r if r is not None else '–'})")
            if has_ref:
                cells.append(_vs_cell(board.pair(method, m.name), m.digits, ref_label, method == ref))
        lines.append("| " + " | ".join(cells) + " |")
    out = [
        "# Leaderboard: the paper's methods and published ones under the same protocol\n",
        "\n".join(lines) + "\n",
        f"Ranked by {board.metrics[0].label} (# = rank on it; (#k) = rank on each metric). Each mean is over the "
        "test images with its 95% percentile bootstrap CI; n = images with a finite value. "
        + (
            f"\"vs {ref_label}\": the mean per-image difference method − {ref_label} (sign flipped for "
            f"lower-is-better metrics: positive means better than {ref_label}) with its 95% bootstrap CI and the "
            "two-sided Wilcoxon signed-rank p; \"resolved\" when that CI excludes 0. "
            if has_ref
            else f"{ref_label} has no scores here: no paired comparisons. "
        )
        + dataset_note,
        "\n## Order per metric\n",
        "\n".join(
            f"- {m.label} {'↑' if m.higher_is_better else '↓'}: "
            + " > ".join(
                labels.get(k, k) for k in sorted(board.methods, key=lambda k: (board.ranks[m.name][k] is None, board.ranks[m.name][k] or 0))
            )
            for m in board.metrics
        )
        + "\n",
    ]
    if has_ref:
        out += [
            f"\n## Paired comparisons with {ref_label}\n",
            f"A = the method, B = {ref_label}; Δ > 0 means the method is better than {ref_label}. Holm p: adjusted "
            "over all comparisons of the leaderboard per metric. Wilcoxon: scipy.stats.wilcoxon, two-sided, zero "
            "differences discarded; the test column names how the p-value was computed.\n",
            render_pairs_markdown(board.pairs, board.metrics, labels),
            "\n" + pairs_paragraph(board.pairs, board.metrics, labels),
        ]
    out.append("\n## Methods")
    for group in GROUPS:
        members = [m for m in board.methods if method_group(m) == group]
        if not members:
            continue
        out.append(f"\n{group[0].upper() + group[1:]}:\n")
        for method in members:
            cfg = (configs or {}).get(method)
            out.append(f"- {labels.get(method, method)} (`{method}`)" + (f": `{cfg}`" if cfg else ""))
    if not configs:
        out.append("\n(No configuration strings were given; they are in the run's metadata.json, `method_configs`.)")
    return "\n".join(out) + "\n"


def _stack(top: str, bottom: str) -> str:
    """A cell of two right-aligned lines, the second in script size (keeps the table narrow)."""
    return rf"\begin{{tabular}}{{@{{}}r@{{}}}}{top}\\[-1pt]{{\scriptsize {bottom}}}\end{{tabular}}"


def render_leaderboard_latex(
    board: Leaderboard,
    labels: Mapping[str, str] | None = None,
    *,
    configs: Mapping[str, str] | None = None,
    caption: str = "",
    label: str = "tab:itmn-leaderboard",
) -> str:
    """``leaderboard.tex``: a booktabs ``table*`` (needs ``\\usepackage{booktabs,graphicx}``; shrunk
    to the text width when wider), one row per
    method in board order with rank, group, per metric the mean with its CI and n (best in bold)
    and the paired difference from the reference (``*``: resolved at 95%); the configuration
    strings listed under the table. Labels, captions' generated parts and configurations are
    escaped (:func:`bench.tables.tex_escape`); ``caption`` is LaTeX as given."""
    labels = {**LABELS, **PUBLISHED_LABELS, **(labels or {})}
    ref = board.reference
    ref_label = tex_escape(labels.get(ref, ref))
    has_ref = not board.pairs.empty
    per = 2 if has_ref else 1
    cols = "rll" + "r" * (per * len(board.metrics))
    out = [
        r"\begin{table*}[t]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
        # shrunk to the text width only when wider (graphicx's \resizebox defines \width inside)
        r"\resizebox{\ifdim\width>\textwidth\textwidth\else\width\fi}{!}{%",
        rf"\begin{{tabular}}{{{cols}}}", r"\toprule",
    ]  # fmt: skip
    top = ["", "", ""] + [
        rf"\multicolumn{{{per}}}{{c}}{{{tex_escape(m.label)} {tex_escape('↑' if m.higher_is_better else '↓')}}}"
        for m in board.metrics
    ]
    out.append(" & ".join(top) + r" \\")
    out.append("".join(rf"\cmidrule(lr){{{4 + per * i}-{3 + per * (i + 1)}}}" for i in range(len(board.metrics))))
    sub = [r"\#", "Method", "Group"] + (["mean (95\\% CI)", rf"$\Delta$ vs {ref_label}"] if has_ref else ["mean (95\\% CI)"]) * len(board.metrics)
    out.append(" & ".join(sub) + r" \\")
    out.append(r"\midrule")
    first = board.metrics[0].name
    for method in board.methods:
        rank = board.ranks[first][method]
        cells = [str(rank) if rank is not None else "--", tex_escape(labels.get(method, method)), GROUPS[method_group(method)]]
        for m in board.metrics:
            c = board.cell(method, m.name)
            mean, ci = _mean_cell(c, m.digits)
            mean = tex_escape(mean)
            if board.ranks[m.name][method] == 1:
                mean = rf"\textbf{{{mean}}}"
            cells.append(_stack(mean, rf"{tex_escape(ci)} $n{{=}}{int(c['n_images'])}$"))
            if has_ref:
                p = board.pair(method, m.name)
                if method == ref or p is None:
                    cells.append("--")
                else:
                    e = bool(p["resolved"])
                    d = tex_escape(_num(p["diff"], m.digits, True, e)) + ("$^{*}$" if e else "")
                    lo, hi = _num(p["ci_lo"], m.digits, True, e), _num(p["ci_hi"], m.digits, True, e)
                    cells.append(_stack(d, rf"{tex_escape(f'[{lo}, {hi}]')} $p{{=}}{tex_escape(fmt_p(p['wilcoxon_p']))}$"))
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}}"]
    generated = (
        f"Mean over the test images with 95\\% bootstrap CI and n; best per metric in bold; ranked by "
        f"{tex_escape(board.metrics[0].label)}. Groups: paper = the paper's methods, published = published methods "
        "with their authors' weights, baseline = sanity baseline."
    )
    if has_ref:
        generated += (
            f" $\\Delta$ vs {ref_label}: mean per-image difference (positive: better than {ref_label}) with its 95\\% "
            "bootstrap CI and the two-sided Wilcoxon signed-rank $p$; $^{*}$: the CI excludes 0."
        )
    out.append(rf"\caption{{{(caption + ' ') if caption else ''}{generated}}}")
    out.append(rf"\label{{{label}}}")
    if configs:
        items = [
            rf"\textbf{{{tex_escape(labels.get(m, m))}}}: \texttt{{{tex_escape(configs[m])}}}" for m in board.methods if configs.get(m)
        ]
        out.append(r"\par\smallskip{\footnotesize\raggedright\textit{Configurations.} " + "; ".join(items) + r".\par}")
    out.append(r"\end{table*}")
    return "\n".join(out) + "\n"


def write_leaderboard(
    results_dir: Path,
    scores: pd.DataFrame,
    *,
    methods: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    dataset_note: str,
    configs: Mapping[str, str] | None = None,
    reference: str = DEFAULT_REFERENCE,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``leaderboard.md``, ``leaderboard.csv``, ``leaderboard.tex`` and
    ``leaderboard_pairs.csv`` into ``results_dir`` (each atomically) from the per-image
    ``scores``; ``configs`` maps method -> configuration string (the run metadata's
    ``method_configs``). Returns file name -> path. The same input gives byte-identical files
    (seeded bootstrap, exact or deterministic tests, fixed formats)."""
    from itmn.atomic import atomic_path

    board = build_leaderboard(scores, methods=methods, metrics=metrics, reference=reference)
    targets = {
        "leaderboard.md": render_leaderboard_markdown(board, labels, dataset_note=dataset_note, configs=configs),
        "leaderboard.csv": leaderboard_table(board, labels, configs).to_csv(index=False, float_format="%.6g"),
        "leaderboard.tex": render_leaderboard_latex(board, labels, configs=configs, caption="Leaderboard."),
        "leaderboard_pairs.csv": board.pairs.to_csv(index=False, float_format="%.6g"),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, content in targets.items():
        with atomic_path(results_dir / name) as tmp:
            tmp.write_text(content)
        out[name] = results_dir / name
    return out


def read_scores(path: Path) -> pd.DataFrame:
    """Per-image scores from a ``scores.csv``; ConfigError naming the file when it is missing or
    lacks the ``method`` and ``image`` columns."""
    if not path.is_file():
        raise ConfigError(f"{path}: no per-image scores file (expected a scores.csv written by a reproduction or evaluate)")
    scores = pd.read_csv(path)
    missing = [c for c in ("method", "image") if c not in scores.columns]
    if missing:
        raise ConfigError(f"{path}: no column(s) {', '.join(missing)}; expected per-image scores with method, image and one column per metric")
    return scores


def leaderboard_from_results(
    results_dir: Path,
    *,
    out: Path | None = None,
    scores_file: Path | None = None,
    methods: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    reference: str = DEFAULT_REFERENCE,
) -> dict[str, Path]:
    """Render the leaderboard of a results folder: scores from ``scores_file`` (default
    ``<results_dir>/scores.csv``), configuration strings and the dataset note from
    ``<results_dir>/metadata.json`` when it exists (``method_configs``, ``test_images``,
    ``dataset``, ``profile``), files into ``out`` (default ``results_dir``)."""
    import json

    scores = read_scores(scores_file or results_dir / "scores.csv")
    meta_path = results_dir / "metadata.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    n_images = scores["image"].nunique()
    note = f"Here: {n_images} test images"
    if meta.get("dataset") is not None:
        note += f" (dataset {meta['dataset']!r}" + (f", profile {meta['profile']!r}" if meta.get("profile") else "") + ")"
    note += "."
    configs = {str(k): str(v) for k, v in (meta.get("method_configs") or {}).items()}
    return write_leaderboard(
        out or results_dir, scores, methods=methods, metrics=metrics, dataset_note=note, configs=configs or None,
        reference=reference,
    )  # fmt: skip
