"""Table 1 and Table 2 files (CSV, Markdown, LaTeX) rendered from the per-image scores only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bench.columns import metric_columns
from bench.reproduce.options import LABELS


def write_tables(
    kind: str, results_dir: Path, scores: pd.DataFrame, *, dataset_note: str, metrics: Sequence[str] | None = None
) -> dict[str, Path]:
    """Render ``<kind>.csv|md|tex`` in ``results_dir`` from the per-image ``scores`` only, with the
    ``metrics`` columns (default: the paper's three; see bench.columns)."""
    from bench import paper, tables
    from bench.columns import check_scores_have, table_metrics
    from itmn.atomic import atomic_path

    check_scores_have(scores, table_metrics(metrics))
    columns = metric_columns(table_metrics(metrics))
    methods = list(dict.fromkeys(scores["method"]))
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
    n_img = int(summary["n_images"].max())
    title = "Table 1: comparison of methods" if kind == "table1" else "Table 2: iTMN with different alpha/lambda"
    md = [f"# {title} (reproduced)\n", tables.render_markdown(summary, methods, columns, labels, inferred)]
    md.append(f"\nMeans over {n_img} test images with 95% bootstrap CIs; paper = the published value; Δ = reproduced − paper.")
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
    }
    for fname, content in targets.items():
        with atomic_path(results_dir / fname) as tmp:
            tmp.write_text(content)
        out[fname] = results_dir / fname
    return out
