"""Table 1 and Table 2 files (CSV, Markdown, LaTeX) rendered from the per-image scores only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bench.columns import metric_columns
from bench.reproduce.options import LABELS
from itmn.errors import ConfigError

#: The method every other one is compared with, per table: iTMN in Table 1; in Table 2 the
#: paper's setting alpha = 1e5, lambda = 1e4 (see :func:`reference_method`).
TABLE1_REFERENCE = "itmn"
TABLE2_REFERENCE = (1e5, 1e4)


def reference_method(kind: str) -> str:
    """The method name the paired comparisons of table ``kind`` compare against."""
    from bench import paper

    return TABLE1_REFERENCE if kind == "table1" else paper.table2_method_name(*TABLE2_REFERENCE)


def write_tables(
    kind: str,
    results_dir: Path,
    scores: pd.DataFrame,
    *,
    dataset_note: str,
    metrics: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Render ``<kind>.csv|md|tex``, ``<kind>_summary.csv`` and ``<kind>_pairs.csv`` in
    ``results_dir`` from the per-image ``scores`` only, with the ``metrics`` columns (default:
    the paper's three; see bench.columns), for ``methods`` in that order (default: every method
    in ``scores``, in order of appearance; pass Table 1's methods to leave others, e.g. the
    published ones of the leaderboard, out).

    Every mean comes with its 95% bootstrap CI and n; every method is compared with the
    table's reference (:func:`reference_method`) image by image (bench.tables.paired_comparisons:
    mean difference, CI, Wilcoxon p raw and Holm-adjusted), listed in ``<kind>_pairs.csv`` and in
    a section of the Markdown with a generated paragraph saying which differences are resolved."""
    from bench import paper, tables
    from bench.columns import check_scores_have, table_metrics
    from itmn.atomic import atomic_path

    if methods is None:
        methods = list(dict.fromkeys(scores["method"]))
    else:
        methods = list(dict.fromkeys(methods))
        unknown = [m for m in methods if not (scores["method"] == m).any()]
        if unknown:
            raise ConfigError(f"no per-image scores for method(s) {', '.join(unknown)} (have: {', '.join(dict.fromkeys(scores['method']))})")
        scores = scores[scores["method"].isin(methods)]
    check_scores_have(scores, table_metrics(metrics))
    columns = metric_columns(table_metrics(metrics))
    labels = dict(LABELS)
    if kind == "table1":
        p1 = paper.load_table1()
        paper_df, inferred = p1.values, {m for m in p1.values.index if p1.is_inferred(m)}
        caveat = paper.ATTRIBUTION_CAVEAT
    else:
        t2 = paper.load_table2()
        paper_df = pd.DataFrame(
            {m: t2[m].to_numpy() for m in paper.PAPER_METRICS},
            index=[paper.table2_method_name(a, lam) for a, lam in zip(t2["alpha"], t2["lambda"])],
        )
        labels.update({paper.table2_method_name(a, lam): f"α={a:.0e}, λ={lam:.0e}" for a, lam in zip(t2["alpha"], t2["lambda"])})
        inferred, caveat = set(), ""
    summary = tables.summarize(scores, methods, columns, paper_df)
    ranks = tables.rankings(summary, columns)
    abl = tables.ablation_directions(scores, columns, paper_df) if kind == "table1" else pd.DataFrame()
    what = (
        "the ranking of the methods and the direction of the ablations"
        if kind == "table1"
        else "the ordering of the alpha/lambda settings (in the paper, alpha=1e5 with lambda=1e4 is best on all three metrics)"
    )
    text = tables.summary_paragraph(summary, ranks, abl, columns, labels, dataset_note=dataset_note, what=what)
    ref = reference_method(kind)
    pairs = tables.paired_comparisons(scores, [(ref, m) for m in methods if m != ref] if ref in methods else [], columns)
    n_img = int(summary["n_images"].max())
    title = "Table 1: comparison of methods" if kind == "table1" else "Table 2: iTMN with different alpha/lambda"
    md = [f"# {title} (reproduced)\n", tables.render_markdown(summary, methods, columns, labels, inferred)]
    md.append(
        f"\nMeans over {n_img} test images with 95% bootstrap CIs; n = images with a finite value (non-finite ones, "
        "e.g. the infinite PSNR of a perfect prediction, are excluded and counted in the summary CSV); paper = the "
        "published value; Δ = reproduced − paper."
    )
    if inferred:
        md.append(f"† {caveat}")
    if "inverse-gamma" in methods:
        md.append("\\* Not in the paper: plain inverse-gamma expansion (LDR^2.2 scaled to 1000 cd/m²), the sanity baseline.")
    md.append("\n## Ranking per metric\n")
    md.append(ranks.to_markdown(index=False, floatfmt=".2f"))
    if not abl.empty:
        md.append("\n\n## Ablations: does removing a component hurt?\n")
        md.append("gain = full model − ablated model per image (positive: the full model is better), 95% bootstrap CI.\n")
        md.append(abl.to_markdown(index=False, floatfmt=".4g"))
    md.append("\n\n## What reproduced\n\n" + text)
    ref_label = labels.get(ref, ref)
    heading = ref_label if kind == "table1" else f"the paper's setting {ref_label}"
    md.append(f"\n## Paired comparisons with {heading}\n")
    if pairs.empty:
        md.append(f"{ref_label} is not among the methods of this table: no paired comparisons.\n")
    else:
        md.append(
            f"Per image, {ref_label} minus the other method (sign flipped for lower-is-better metrics), so Δ > 0 means "
            f"{ref_label} is better. n = images with finite values of both. Resolved at 95% = the 95% bootstrap CI of "
            "the mean difference excludes 0. Wilcoxon: two-sided signed-rank test (scipy.stats.wilcoxon, zero "
            "differences discarded, exact p up to 50 differences, by enumerating sign flips when |differences| tie "
            "(up to 13), else the normal approximation); Holm p: adjusted over this table's comparisons per metric.\n"
        )
        md.append(tables.render_pairs_markdown(pairs, columns, labels))
        md.append("\n" + tables.pairs_paragraph(pairs, columns, labels))
    out = {}
    targets = {
        f"{kind}.csv": tables.wide_table(summary, methods, columns, labels).to_csv(index=False, float_format="%.6g"),
        f"{kind}.md": "\n".join(md) + "\n",
        f"{kind}.tex": tables.render_latex(
            summary, methods, columns, labels,
            caption=f"{title}. Mean over {n_img} test images with 95\\% bootstrap CI; paper values beside. "
            + ("$^\\dagger$Column attribution inferred from the paper's text." if inferred else ""),
            label=f"tab:itmn-{kind}", inferred=inferred,
        ),  # fmt: skip
        f"{kind}_summary.csv": summary.to_csv(index=False, float_format="%.6g"),
        f"{kind}_pairs.csv": pairs.to_csv(index=False, float_format="%.6g"),
    }
    for fname, content in targets.items():
        with atomic_path(results_dir / fname) as tmp:
            tmp.write_text(content)
        out[fname] = results_dir / fname
    return out
