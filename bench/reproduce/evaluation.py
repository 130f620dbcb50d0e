"""Expanding the test split with every method of a table and scoring the predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bench.reproduce.options import EXTRA_METHODS, LEARNED_VARIANTS, TABLE1_METHODS, Options, log


def method_targets(opts: Options, runs: dict[str, str], protocol: str | None = None) -> list[Any]:
    """The methods of the table: Table 1's (learned ones from their runs) or Table 2's settings."""
    from bench.evaluate import registered_target

    device = None if opts.device == "auto" else opts.device
    targets = []
    if opts.table == "table1":
        for m in (*TABLE1_METHODS, *EXTRA_METHODS):
            params: dict[str, Any] = {}
            if m in LEARNED_VARIANTS:
                params = {"checkpoint": runs[m], "device": device}
            targets.append(registered_target(m, protocol=protocol, **params))
    else:
        for label, run in runs.items():
            targets.append(registered_target("itmn", label=label, checkpoint=run, device=device, protocol=protocol))
    return targets


def published_targets(opts: Options, protocol: str | None = None) -> list[Any]:
    """The published networks of the leaderboard, with their authors' weights: fetched first
    (verified) from the reproduction's cache and mirror (``--cache``, ``--mirror``), so that a
    missing file is said before any image is expanded."""
    from baselines.published import weights
    from bench.evaluate import registered_target

    weights.configure(cache=opts.cache, mirror=opts.mirror)
    for m in opts.leaderboard_methods:
        if m in weights.WEIGHTS:  # --leaderboard may also name a method without weights
            log(f"weights of {m}: {weights.resolve(weights.WEIGHTS[m], log=log)}")
    device = None if opts.device == "auto" else opts.device
    return [registered_target(m, device=device, protocol=protocol) for m in opts.leaderboard_methods]


def evaluate_all(opts: Options, prepared_root: Path, runs: dict[str, str]) -> dict[str, Any]:
    """Expand and score the table's methods (see :func:`evaluate_targets`)."""
    from itmn.data.dataset import PreparedDataset

    protocol = PreparedDataset(prepared_root).protocol
    return evaluate_targets(opts, prepared_root, method_targets(opts, runs, protocol))


def evaluate_targets(opts: Options, prepared_root: Path, targets: list[Any]) -> dict[str, Any]:
    """Expand the test split with every target and score the predictions (both cached per image)."""
    from bench.columns import scored_metrics
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
    for target in targets:
        # predictions and scores are reused only while the method (configuration, weights, code)
        # and the dataset's files are unchanged; what is recomputed is logged
        preds = expand_split(target, ds, names, opts.work_dir / "predictions" / target.name, progress=opts.progress, log=log)
        r, c = score_split(
            target, preds, ds, opts.work_dir / "scores" / target.name, metrics=scored_metrics(opts.metrics), ppd=opts.ppd,
            progress=opts.progress, log=log,
        )  # fmt: skip
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

