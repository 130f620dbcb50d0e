"""The figures of a reproduction: Fig. 2 comparison grids and the training curves of Fig. 2(h)/(i)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.reproduce.options import LABELS, LR_SWEEP, PUBLISHED_LABELS, Options


def write_figures(opts: Options, prepared_root: Path, runs: dict[str, str], methods: Sequence[str]) -> list[Path]:
    from bench import figures
    from itmn.data.dataset import PreparedDataset
    from itmn.hdrio import read_hdr

    ds = PreparedDataset(prepared_root)
    names = ds.names("test")[:2]
    fig_dir = opts.results_dir / "figures"
    out: list[Path] = []
    ref = {n: ds.load_hdr(n) for n in names}
    preds: dict[str, dict[str, Any]] = {}
    for m in methods:
        d = opts.work_dir / "predictions" / m
        preds[m] = {}
        for n in names:
            preds[m][n] = read_hdr(d / f"{n}.exr", out_primaries="bt2020")[0]  # written as BT.2020
    stem = "fig2" if opts.table == "table1" else "table2"
    labels = {**LABELS, **PUBLISHED_LABELS}
    out.append(figures.save_figure(figures.comparison_grid(names, ref, preds, labels), fig_dir / f"{stem}_comparison.png"))
    out.append(figures.save_figure(figures.comparison_grid(names, ref, preds, labels, false_colour=True), fig_dir / f"{stem}_false_colour.png"))
    curves = {k: pd.read_csv(Path(v) / "log.csv") for k, v in runs.items() if (Path(v) / "log.csv").is_file()}
    col = "content"
    if opts.table == "table1":
        h = {LABELS.get(k, k): curves[k] for k in ("itmn", "itmn-noadvreg") if k in curves}
        if h:
            out.append(figures.save_figure(
                figures.convergence_plot(h, column=col, title="Fig. 2(h): content loss with / without the adversarial regularizer", ylabel="content loss $L_G$", smooth=9),
                fig_dir / "fig2h_convergence.png"))  # fmt: skip
        i = {}
        for k in ("itmn", *(f"itmn-lr{lr:.0e}" for lr in LR_SWEEP)):
            if k in curves:
                i[_lr_label(Path(runs[k]))] = curves[k]
        if len(i) > 1:
            out.append(figures.save_figure(
                figures.convergence_plot(i, column=col, title="Fig. 2(i): content loss for different learning rates", ylabel="content loss $L_G$", smooth=9),
                fig_dir / "fig2i_learning_rate.png"))  # fmt: skip
    else:
        out.append(figures.save_figure(
            figures.convergence_plot(curves, column=col, title="Table 2 settings: content loss", ylabel="content loss $L_G$", smooth=9),
            fig_dir / "table2_convergence.png"))  # fmt: skip
    return out


def _lr_label(run_dir: Path) -> str:
    cfg = json.loads((run_dir / "config.json").read_text())
    lr, kind = cfg["optim"]["lr"], cfg["schedule"]["kind"]
    return f"lr {lr:.0e}, " + ("step decay" if kind == "step" else kind)

