"""Expanding the test split with every method of a table and scoring the predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bench.reproduce.options import EXTRA_METHODS, LEARNED_VARIANTS, TABLE1_METHODS, Options, log


def method_targets(opts: Options, runs: dict[str, str]) -> list[Any]:
    from bench.evaluate import registered_target

    targets = []
    if opts.table == "table1":
        for m in (*TABLE1_METHODS, *EXTRA_METHODS):
            params: dict[str, Any] = {}
            if m in LEARNED_VARIANTS:
                params = {"checkpoint": runs[m], "device": None if opts.device == "auto" else opts.device}
            targets.append(registered_target(m, **params))
    else:
        for label, run in runs.items():
            targets.append(registered_target("itmn", label=label, checkpoint=run, device=None if opts.device == "auto" else opts.device))
    return targets


def evaluate_all(opts: Options, prepared_root: Path, runs: dict[str, str]) -> dict[str, Any]:
    from bench.evaluate import expand_split, score_split
    from itmn.data.dataset import PreparedDataset

    ds = PreparedDataset(prepared_root)
    names = ds.names("test")
    rows: list[dict[str, Any]] = []
    configs: dict[str, str] = {}
    method_configs: dict[str, str] = {}

    def files_state() -> set[tuple[str, int]]:
        dirs = [opts.work_dir / "predictions", opts.work_dir / "scores"]
        return {(str(f), f.stat().st_mtime_ns) for d in dirs if d.is_dir() for f in d.rglob("*") if f.is_file()}

    before = files_state()
    for target in method_targets(opts, runs):
        # predictions and scores are reused only while the method (configuration, weights, code)
        # and the dataset's files are unchanged; what is recomputed is logged
        preds = expand_split(target, ds, names, opts.work_dir / "predictions" / target.name, progress=opts.progress, log=log)
        r, c = score_split(target, preds, ds, opts.work_dir / "scores" / target.name, ppd=opts.ppd, progress=opts.progress,
                           log=log)  # fmt: skip
        rows += r
        configs.update(c)
        method_configs[target.name] = target.config
    return {
        "_value": (pd.DataFrame(rows), configs, method_configs),
        "n_images": len(names),
        "n_methods": len(method_configs),
        # a rerun that only read cached predictions and scores keeps the wall time of the real work
        "did_work": files_state() != before,
    }

