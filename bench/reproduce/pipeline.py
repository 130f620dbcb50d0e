"""The whole reproduction: fetch+prepare -> train -> expand+score -> tables -> figures, every
stage resumable and recorded."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.reproduce.evaluation import evaluate_all, evaluate_targets, published_targets
from bench.reproduce.figures import write_figures
from bench.reproduce.options import LABELS, PUBLISHED_LABELS, REPO, Options, log
from bench.reproduce.stages import State, run_stage
from bench.reproduce.tables import write_tables
from bench.reproduce.training import train_all, training_specs


def reproduce(opts: Options) -> Path:
    from bench.columns import table_metrics
    from itmn.atomic import write_json
    from itmn.data.prepare import prepare_dataset
    from itmn.runinfo import collect_run_metadata

    t_start = time.perf_counter()
    log(f"{opts.table} with profile {opts.profile!r}: {opts.profile_reason}")
    log(f"work folder {opts.work_dir}, results {opts.results_dir}")
    # one record per table: the two tables share the work folder (runs, predictions, score cache)
    state = State(opts.work_dir / ("state.json" if opts.table == "table1" else f"state-{opts.table}.json"))

    def prepare() -> dict[str, Any]:
        rep = prepare_dataset(opts.dataset, cache=opts.cache, mirror=opts.mirror, progress=opts.progress)
        return {"_value": rep.out_dir, "did_work": bool(rep.prepared or rep.removed), "prepared": len(rep.prepared), "up_to_date": len(rep.up_to_date)}

    root: Path = run_stage(state, "fetch_prepare", prepare)
    specs = training_specs(opts, root)
    runs = run_stage(state, "train", lambda: {**(r := train_all(opts, specs)), "_value": r["runs"]})
    scores, metric_cfgs, method_cfgs = run_stage(state, "expand_score", lambda: evaluate_all(opts, root, runs))
    table_methods = list(dict.fromkeys(scores["method"]))
    if opts.leaderboard_methods:
        # the published networks (authors' weights): their own stage, so that choosing other
        # ones later rescores only them; their rows join scores.csv, never Table 1
        from itmn.data.dataset import PreparedDataset

        def score_published() -> dict[str, Any]:
            return evaluate_targets(opts, root, published_targets(opts, PreparedDataset(root).protocol))

        extra, extra_metric_cfgs, extra_cfgs = run_stage(state, "leaderboard_score", score_published)
        scores = pd.concat([scores, extra], ignore_index=True)
        metric_cfgs = {**metric_cfgs, **extra_metric_cfgs}
        method_cfgs = {**method_cfgs, **extra_cfgs}

    res = opts.results_dir
    res.mkdir(parents=True, exist_ok=True)
    from itmn.atomic import atomic_path

    # table1 keeps the plain names (CI compares results/smoke/scores.csv); table2 gets its own files
    prefix = "" if opts.table == "table1" else f"{opts.table}_"
    with atomic_path(res / f"{prefix}scores.csv") as tmp:
        scores.to_csv(tmp, index=False, float_format="%.10g")
    manifest = json.loads((root / "manifest.json").read_text())
    protocol = str(manifest.get("protocol", "v1"))
    note = (
        f"here: {scores['image'].nunique()} public HDR photographs (dataset {opts.dataset!r}, protocol {protocol}, "
        f"profile {opts.profile!r})."
    )
    files = run_stage(
        state, "tables",
        lambda: {"_value": write_tables(opts.table, res, scores, dataset_note=note, metrics=opts.metrics, methods=table_methods)},
    )  # fmt: skip
    if opts.table == "table1":
        # every method scored, Table 1's and the published ones, ranked and compared with iTMN
        from bench.leaderboard import write_leaderboard

        board = run_stage(
            state, "leaderboard",
            lambda: {"_value": write_leaderboard(
                res, scores, metrics=opts.metrics, dataset_note=note, configs=method_cfgs,
                labels={**LABELS, **PUBLISHED_LABELS},
            )},
        )  # fmt: skip
        files = {**files, **board}
    if opts.figures:
        methods = list(dict.fromkeys(scores["method"]))
        run_stage(state, "figures", lambda: {"_value": write_figures(opts, root, runs, methods)})

    meta = collect_run_metadata(
        opts.device,
        table=opts.table,
        profile=opts.profile,
        profile_reason=opts.profile_reason,
        dataset=opts.dataset,
        protocol_version=protocol,
        dataset_manifest_hash=manifest.get("hash") or manifest.get("source_manifest_sha256"),
        dataset_source_manifest_sha256=manifest.get("source_manifest_sha256"),
        test_images=sorted(scores["image"].unique()),
        seed={s.name: s.config.run.seed for s in specs},
        metric_configs=metric_cfgs,
        table_metrics=list(table_metrics(opts.metrics)),
        method_configs=method_cfgs,
        training_runs={s.name: {"run_dir": os.path.relpath(s.run_dir, REPO), "config_hash": __import__("itmn.train", fromlist=["config_hash"]).config_hash(s.config)} for s in specs},
        wall_seconds_per_stage={k: v.get("work_seconds") for k, v in state.data["stages"].items()},
        # commit (and dirty flag) of the code that did each stage's work, when recorded
        git_per_stage={k: v.get("work_git") for k, v in state.data["stages"].items()},
        wall_seconds_this_invocation=round(time.perf_counter() - t_start, 1),
        outputs=sorted(str(p.relative_to(res)) for p in files.values()),
        # where the predictions (<work_dir>/predictions/<method>/) and references are, for
        # `itmn-bench report` and anyone checking a number against its image
        work_dir=str(opts.work_dir),
        prepared_dataset=str(root),
    )
    write_json(res / f"{prefix}metadata.json", meta)
    if opts.report:
        # after everything else, so the report shows this run's files (both tables when Table 2
        # is reproduced beside Table 1); HDR-VDP-2 maps are cached, a rerun is cheap
        from bench.report import build_report

        log(f"writing the HTML report to {res / 'report'} ...")
        summary = build_report(res, res / "report", work=opts.work_dir, dataset=str(root), cache=opts.cache, progress=opts.progress)
        log(summary.describe())
    log(f"done in {time.perf_counter() - t_start:.0f} s: {res / (opts.table + '.md')}")
    return res

