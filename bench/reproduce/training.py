"""The training runs a table needs and how they are trained: one after another in this process,
or in parallel subprocesses (one torch thread each on CPU profiles), each resumable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import baselines  # noqa: F401  (registers the drtm model kind and its training variants)
from bench.reproduce.options import LEARNED_VARIANTS, LR_SWEEP, Options, log
from itmn.errors import ItmnError

#: metrics the trainer logs to val.csv (the metric registry's names)
VALIDATION_METRICS = ("mpsnr", "ssim")


@dataclass
class RunSpec:
    name: str  # label used in tables (method name, or a Table 2 setting)
    config: Any  # itmn.train.TrainConfig
    run_dir: Path


def training_specs(opts: Options, prepared_root: Path) -> list[RunSpec]:
    """The training runs a table needs, each with its configuration and run folder."""
    from bench.paper import TABLE2_SETTINGS, table2_method_name
    from itmn.train import config_hash, get_profile
    from itmn.train.config import apply_overrides, set_value

    def make(variant: str, label: str, extra: dict[str, Any]) -> RunSpec:
        cfg = get_profile(f"{variant}-{opts.profile}")
        set_value(cfg, "data.dataset", str(prepared_root))
        set_value(cfg, "run.device", opts.device)
        for key, value in extra.items():
            set_value(cfg, key, value)
        cfg = apply_overrides(cfg, opts.set_overrides)
        h = config_hash(cfg)[:10]
        run_dir = opts.work_dir / "runs" / f"{variant}-{opts.profile}-{_slug(extra)}{h}"
        if not run_dir.exists():
            # the same configuration under another name (Table 2's alpha=1e5/lambda=1e4 is Table 1's
            # iTMN): reuse that run, finished or not, instead of training it twice
            same = sorted(p for p in run_dir.parent.glob(f"*-{h}") if p.is_dir()) if run_dir.parent.is_dir() else []
            if same:
                run_dir = same[0]
        return RunSpec(label, cfg, run_dir)

    specs: list[RunSpec] = []
    if opts.table == "table1":
        for method, variant in LEARNED_VARIANTS.items():
            specs.append(make(variant, method, {}))
        if opts.lr_sweep:
            for lr in LR_SWEEP:
                # Fig. 2(i) only needs the start of the curves: half the iterations
                half = max(1, get_profile(f"itmn-{opts.profile}").run.iterations // 2)
                specs.append(make("itmn", f"itmn-lr{lr:.0e}", {"optim.lr": lr, "schedule.kind": "constant", "run.iterations": half}))
    else:
        for alpha, lam in TABLE2_SETTINGS:
            specs.append(make("itmn", table2_method_name(alpha, lam), {"loss.alpha": alpha, "loss.lam": lam}))
    return specs


def _slug(extra: dict[str, Any]) -> str:
    if not extra:
        return ""
    parts = []
    for k, v in extra.items():
        key = k.split(".")[-1]
        parts.append(f"{key}{v:.0e}" if isinstance(v, float) else f"{key}{v}")
    return "-".join(parts).replace("+", "") + "-"


def train_all(opts: Options, specs: list[RunSpec]) -> dict[str, Any]:
    """Train every run that is not finished; reuse finished ones. With ``opts.jobs > 1`` runs
    are trained in parallel subprocesses (CPU profiles use one torch thread each)."""
    from itmn.train import is_finished

    # longest first, so that parallel jobs finish together (the DrTM model is the slowest)
    todo = sorted((s for s in specs if not is_finished(s.run_dir, s.config)), key=_expected_cost, reverse=True)
    for s in specs:
        if s not in todo:
            log(f"reusing finished run {s.run_dir.name} for {s.name}")
    if not todo:
        return {"did_work": False, "runs": {s.name: str(s.run_dir) for s in specs}}
    if opts.jobs <= 1:
        from bench.metrics.registry import metric_functions
        from itmn.train import run_training

        for s in todo:
            log(f"training {s.name} -> {s.run_dir}")
            run_training(s.config, s.run_dir, resume=True, validation_metrics=metric_functions(VALIDATION_METRICS))
    else:
        _train_parallel(opts, todo)
    failed = [s.name for s in todo if not is_finished(s.run_dir, s.config)]
    if failed:
        raise ItmnError(f"training did not finish for {', '.join(failed)}; see train.log in their run folders")
    return {"did_work": True, "runs": {s.name: str(s.run_dir) for s in specs}}


def _expected_cost(spec: RunSpec) -> float:
    """Relative cost of a run: iterations x (about 8x per iteration for the DrTM-style model,
    measured on the cpu profile: ~1.2 it/s against ~9 it/s for iTMN)."""
    return spec.config.run.iterations * (8.0 if spec.config.model.kind == "drtm" else 1.0)


def _train_parallel(opts: Options, todo: list[RunSpec]) -> None:
    from tqdm import tqdm

    from itmn.atomic import write_json
    from itmn.train.config import to_dict

    pending = list(todo)
    running: list[tuple[RunSpec, subprocess.Popen, Any]] = []
    total = sum(s.config.run.iterations for s in todo)
    bar = tqdm(total=total, desc=f"train {len(todo)} runs ({opts.jobs} at a time)", unit="it", disable=not opts.progress)
    done_iters: dict[str, int] = {}
    try:
        while pending or running:
            while pending and len(running) < opts.jobs:
                s = pending.pop(0)
                s.run_dir.mkdir(parents=True, exist_ok=True)
                cfg_file = s.run_dir / "requested_config.json"
                cfg_dict = to_dict(s.config)
                cfg_dict["run"]["progress"] = False  # one bar in the parent instead (not part of the hash)
                write_json(cfg_file, cfg_dict)
                cmd = [sys.executable, "-m", "bench.cli.itmn_cli", "train", "--config", str(cfg_file), "--out", str(s.run_dir), "--resume"]
                logf = open(s.run_dir / "train.log", "ab")  # noqa: SIM115 - closed below
                env = dict(os.environ)
                log(f"training {s.name} in a subprocess -> {s.run_dir} (log: train.log)")
                running.append((s, subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env), logf))
            time.sleep(2.0)
            for item in list(running):
                s, proc, logf = item
                it = _last_iteration(s.run_dir)
                bar.update(max(0, it - done_iters.get(s.name, 0)))
                done_iters[s.name] = max(it, done_iters.get(s.name, 0))
                if proc.poll() is not None:
                    logf.close()
                    running.remove(item)
                    if proc.returncode != 0:
                        tail = (s.run_dir / "train.log").read_text(errors="replace")[-2000:]
                        raise ItmnError(f"training {s.name} failed (exit {proc.returncode}); end of {s.run_dir / 'train.log'}:\n{tail}")
    except BaseException:
        for _, proc, logf in running:
            proc.terminate()  # the trainer checkpoints on SIGTERM
            proc.wait(timeout=120)
            logf.close()
        raise
    finally:
        bar.close()


def _last_iteration(run_dir: Path) -> int:
    p = run_dir / "log.csv"
    if not p.is_file():
        return 0
    try:
        with open(p, "rb") as fh:
            fh.seek(max(0, p.stat().st_size - 4096))
            last = fh.read().decode(errors="replace").strip().splitlines()[-1]
        return int(float(last.split(",")[0]))
    except (ValueError, IndexError, OSError):
        return 0

