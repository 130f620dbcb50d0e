"""Reproduce the paper's Table 1 (methods) and Table 2 (alpha/lambda sweep) end to end.

    python -m bench.reproduce table1 [--profile smoke|cpu|paper] [--dataset NAME|PATH] [--mirror DIR|URL]
    nox -s reproduce_table1 -- --profile smoke

Stages: fetch+prepare -> train the learned methods -> expand the test split with every method
-> score -> tables -> figures. Every stage is resumable:

* prepare is incremental (``itmn data prepare``);
* a training run lives in ``<work>/<slug>/runs/<name>-<config hash>``: a finished run with the
  same configuration is reused, an unfinished one resumed from its last checkpoint;
* predictions are written atomically (an existing file is complete) and scores are cached per
  image, keyed by the prediction's sha256 and the metric configuration strings;
* tables and figures are regenerated from the per-image scores.

Results go to ``<results>/<slug>/`` (``scores.csv``, ``metadata.json``, ``table1.{csv,md,tex}``;
for Table 2 ``table2_scores.csv``, ``table2_metadata.json``, ``table2.{csv,md,tex}``,
``figures/``), large intermediate files (runs, predictions, score cache) to ``<work>/<slug>/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from itmn.errors import ItmnError

REPO = Path(__file__).resolve().parent.parent

#: Table 1's methods in the paper's column order (see results/paper/table1.csv), then the
#: sanity baseline the acceptance criteria compare learned models against (not in the paper).
TABLE1_METHODS = ("itmn", "huo", "ko", "drtm", "itmn-nodmse", "itmn-noadvreg")
EXTRA_METHODS = ("inverse-gamma",)
#: method name -> training variant (itmn.train.profiles.VARIANTS)
LEARNED_VARIANTS = {"itmn": "itmn", "itmn-nodmse": "nodmse", "itmn-noadvreg": "noadvreg", "drtm": "drtm"}
LABELS = {
    "itmn": "iTMN",
    "itmn-nodmse": "NoDMSE",
    "itmn-noadvreg": "NoAdvReg",
    "huo": "Huo",
    "ko": "KO",
    "drtm": "DrTM-style",
    "inverse-gamma": "Inverse gamma*",
}
#: Fig. 2 (i): the learning rates compared (the main run is the 1e-4 step-decay one)
LR_SWEEP = (1e-3, 1e-6)
TABLE_METRICS = ("hdrvdp2", "mpsnr", "ssim")
METRIC_DIGITS = {"hdrvdp2": 2, "mpsnr": 2, "ssim": 4, "mpsnr_toolbox": 2, "pu21_psnr": 2, "pu21_ssim": 4, "hdrvdp3": 3}


def log(msg: str) -> None:
    print(f"[reproduce] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- options
@dataclass
class Options:
    table: str  # "table1" | "table2"
    profile: str
    profile_reason: str
    dataset: str = "default"
    mirror: str | None = None
    cache: str | None = None
    work: Path = REPO / "work"
    results: Path = REPO / "results"
    device: str = "auto"
    jobs: int = 1
    figures: bool = True
    lr_sweep: bool = True
    progress: bool = True
    ppd: float = 30.0
    set_overrides: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        if self.dataset == "default":
            return self.profile
        from itmn.data.registry import folder_dataset_name, resolve_dataset

        ds = resolve_dataset(self.dataset)
        name = ds.name if hasattr(ds, "files") else folder_dataset_name(self.dataset)
        return f"{self.profile}-{name}"

    @property
    def work_dir(self) -> Path:
        return self.work / self.slug

    @property
    def results_dir(self) -> Path:
        return self.results / self.slug


def choose_profile(requested: str | None) -> tuple[str, str]:
    """The profile to use and why (printed): ``paper`` on a CUDA machine, else ``cpu``."""
    if requested:
        return requested, "requested with --profile"
    import torch

    if torch.cuda.is_available():
        return "paper", f"a CUDA GPU is present ({torch.cuda.get_device_name(0)})"
    return "cpu", "no CUDA GPU found (pass --profile paper to force the paper's setting)"


# --------------------------------------------------------------------------- state
class State:
    """``<work>/<slug>/state.json``: per stage, whether it finished and how long it took (the
    last time it did work), so a rerun after a crash says what it skips."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {"stages": {}}

    def record(self, stage: str, seconds: float, **info: Any) -> None:
        from itmn.runinfo import write_json_atomic

        prev = self.data["stages"].get(stage, {})
        entry = {"finished": True, "last_seconds": round(seconds, 2), **info}
        # keep the wall time of the run that did the work, not of a rerun that found it done
        entry["work_seconds"] = round(seconds, 2) if info.get("did_work", True) else prev.get("work_seconds", round(seconds, 2))
        # and the code that did it: a rerun on a newer commit that finds the stage done keeps the old record
        if info.get("did_work", True):
            from itmn.runinfo import git_commit

            entry["work_git"] = git_commit()
        elif "work_git" in prev:
            entry["work_git"] = prev["work_git"]
        self.data["stages"][stage] = entry
        write_json_atomic(self.path, self.data)


def run_stage(state: State, name: str, fn: Callable[[], dict[str, Any] | None]) -> Any:
    log(f"stage {name} ...")
    t0 = time.perf_counter()
    info = fn() or {}
    dt = time.perf_counter() - t0
    state.record(name, dt, **{k: v for k, v in info.items() if not k.startswith("_")})
    done = "did work" if info.get("did_work", True) else "already done"
    log(f"stage {name}: {done} ({dt:.1f} s)")
    return info.get("_value")


# --------------------------------------------------------------------------- training
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
        from itmn.train import run_training

        for s in todo:
            log(f"training {s.name} -> {s.run_dir}")
            run_training(s.config, s.run_dir, resume=True)
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

    from itmn.runinfo import write_json_atomic
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
                write_json_atomic(cfg_file, cfg_dict)
                cmd = [sys.executable, "-m", "itmn.cli", "train", "--config", str(cfg_file), "--out", str(s.run_dir), "--resume"]
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


# --------------------------------------------------------------------------- evaluation
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
        preds = expand_split(target, ds, names, opts.work_dir / "predictions" / target.name, progress=opts.progress)
        r, c = score_split(target, preds, ds, opts.work_dir / "scores" / target.name, ppd=opts.ppd, progress=opts.progress)
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


# --------------------------------------------------------------------------- tables
def metric_columns(names: Sequence[str] = TABLE_METRICS) -> list[Any]:
    from bench.metrics.registry import get_metric
    from bench.tables import MetricColumn

    cols = []
    for n in names:
        m = get_metric(n)
        cols.append(MetricColumn(n, getattr(m, "display_name", None) or _METRIC_LABELS.get(n, n), m.higher_is_better, METRIC_DIGITS.get(n, 3)))
    return cols


_METRIC_LABELS = {"hdrvdp2": "HDR-VDP-2", "mpsnr": "mPSNR", "ssim": "SSIM", "mpsnr_toolbox": "mPSNR (toolbox)", "pu21_psnr": "PU21-PSNR", "pu21_ssim": "PU21-SSIM", "hdrvdp3": "HDR-VDP-3 (JOD)"}


def write_tables(kind: str, results_dir: Path, scores: pd.DataFrame, *, dataset_note: str) -> dict[str, Path]:
    """Render ``<kind>.csv|md|tex`` in ``results_dir`` from the per-image ``scores`` only."""
    from bench import paper, tables
    from itmn.hdrio import atomic_path

    metrics = metric_columns()
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
    summary = tables.summarize(scores, methods, metrics, paper_df)
    ranks = tables.rankings(summary, metrics)
    abl = tables.ablation_directions(scores, metrics, paper_df) if kind == "table1" else pd.DataFrame()
    what = (
        "the ranking of the methods and the direction of the ablations"
        if kind == "table1"
        else "the ordering of the alpha/lambda settings (in the paper, alpha=1e5 with lambda=1e4 is best on all three metrics)"
    )
    text = tables.summary_paragraph(summary, ranks, abl, metrics, labels, dataset_note=dataset_note, what=what)
    n_img = int(summary["n_images"].max())
    title = "Table 1: comparison of methods" if kind == "table1" else "Table 2: iTMN with different alpha/lambda"
    md = [f"# {title} (reproduced)\n", tables.render_markdown(summary, methods, metrics, labels, inferred)]
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
        f"{kind}.csv": tables.wide_table(summary, methods, metrics, labels).to_csv(index=False, float_format="%.6g"),
        f"{kind}.md": "\n".join(md) + "\n",
        f"{kind}.tex": tables.render_latex(
            summary, methods, metrics, labels,
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


# --------------------------------------------------------------------------- figures
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
    out.append(figures.save_figure(figures.comparison_grid(names, ref, preds, LABELS), fig_dir / f"{stem}_comparison.png"))
    out.append(figures.save_figure(figures.comparison_grid(names, ref, preds, LABELS, false_colour=True), fig_dir / f"{stem}_false_colour.png"))
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


# --------------------------------------------------------------------------- main
def reproduce(opts: Options) -> Path:
    from itmn.data.prepare import prepare_dataset
    from itmn.runinfo import collect_run_metadata, write_json_atomic

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

    res = opts.results_dir
    res.mkdir(parents=True, exist_ok=True)
    from itmn.hdrio import atomic_path

    # table1 keeps the plain names (CI compares results/smoke/scores.csv); table2 gets its own files
    prefix = "" if opts.table == "table1" else f"{opts.table}_"
    with atomic_path(res / f"{prefix}scores.csv") as tmp:
        scores.to_csv(tmp, index=False, float_format="%.10g")
    note = f"here: {scores['image'].nunique()} public HDR photographs (dataset {opts.dataset!r}, profile {opts.profile!r})."
    files = run_stage(state, "tables", lambda: {"_value": write_tables(opts.table, res, scores, dataset_note=note)})
    if opts.figures:
        methods = list(dict.fromkeys(scores["method"]))
        run_stage(state, "figures", lambda: {"_value": write_figures(opts, root, runs, methods)})

    manifest = json.loads((root / "manifest.json").read_text())
    meta = collect_run_metadata(
        opts.device,
        table=opts.table,
        profile=opts.profile,
        profile_reason=opts.profile_reason,
        dataset=opts.dataset,
        dataset_manifest_hash=manifest.get("hash") or manifest.get("source_manifest_sha256"),
        dataset_source_manifest_sha256=manifest.get("source_manifest_sha256"),
        test_images=sorted(scores["image"].unique()),
        seed={s.name: s.config.run.seed for s in specs},
        metric_configs=metric_cfgs,
        method_configs=method_cfgs,
        training_runs={s.name: {"run_dir": os.path.relpath(s.run_dir, REPO), "config_hash": __import__("itmn.train", fromlist=["config_hash"]).config_hash(s.config)} for s in specs},
        wall_seconds_per_stage={k: v.get("work_seconds") for k, v in state.data["stages"].items()},
        # commit (and dirty flag) of the code that did each stage's work, when recorded
        git_per_stage={k: v.get("work_git") for k, v in state.data["stages"].items()},
        wall_seconds_this_invocation=round(time.perf_counter() - t_start, 1),
        outputs=sorted(str(p.relative_to(res)) for p in files.values()),
    )
    write_json_atomic(res / f"{prefix}metadata.json", meta)
    log(f"done in {time.perf_counter() - t_start:.0f} s: {res / (opts.table + '.md')}")
    return res


def build_parser(prog: str = "python -m bench.reproduce") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p, with_table=True)
    return p


def add_arguments(p: argparse.ArgumentParser, *, with_table: bool) -> None:
    if with_table:
        p.add_argument("table", choices=("table1", "table2"), help="which table of the paper to reproduce")
    p.add_argument("--profile", choices=("smoke", "cpu", "paper"), default=None,
                   help="training size (default: paper with a CUDA GPU, else cpu; see `itmn profiles`)")
    p.add_argument("--dataset", default="default", help="registered dataset name or a folder of .exr/.hdr/.pfm files (default: default)")
    p.add_argument("--mirror", default=None, help="local folder or URL mirroring the dataset's upstream files (or $ITMN_DATA_MIRROR)")
    p.add_argument("--cache", default=None, help="cache folder for downloads and prepared data (or $ITMN_CACHE)")
    p.add_argument("--work", type=Path, default=REPO / "work", help="folder for runs, predictions and the score cache (default: ./work)")
    p.add_argument("--results", type=Path, default=REPO / "results", help="results root; tables go to <results>/<profile>/ (default: ./results)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--jobs", type=int, default=None, help="training runs in parallel (default: 2 on CPU profiles with 2+ cores, else 1)")
    p.add_argument("--set", dest="set_overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a training configuration key for every run (e.g. run.iterations=100)")
    p.add_argument("--no-figures", dest="figures", action="store_false", help="skip the figures")
    p.add_argument("--no-lr-sweep", dest="lr_sweep", action="store_false", help="skip the Fig. 2(i) learning-rate runs")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")


def options_from_args(args: argparse.Namespace, table: str) -> Options:
    profile, reason = choose_profile(args.profile)
    jobs = args.jobs
    if jobs is None:
        jobs = 2 if profile != "paper" and (os.cpu_count() or 1) >= 2 else 1
    return Options(
        table=table, profile=profile, profile_reason=reason, dataset=args.dataset, mirror=args.mirror,
        cache=args.cache, work=args.work.resolve(), results=args.results.resolve(), device=args.device, jobs=jobs,
        figures=args.figures, lr_sweep=args.lr_sweep and table == "table1", progress=args.progress,
        set_overrides=args.set_overrides,
    )  # fmt: skip


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM/SIGHUP -> SystemExit, so that the training subprocesses are told to checkpoint and
    stop (see _train_parallel) instead of being left running without their parent."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    args = build_parser().parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_sigterm)
    try:
        reproduce(options_from_args(args, args.table))
    except ItmnError as exc:
        print(f"reproduce: error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        print(f"reproduce: stopped by a signal; rerun the same command to continue (exit {exc.code})", file=sys.stderr)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
