"""One prepared check of the GPU paths: the ``paper`` training profile with AMP and channels_last,
kill and resume, DDP, HDR-VDP-2 on the device, inference speed (issue 16).

``python -m bench.perf.gpu_check [--device cpu|cuda] [--tiny] [--out FILE] [--budget-s S]``
(``nox -s gpu_check -- ...``). Five items, each a function returning a dict of measured numbers,
a ``status`` (``pass`` / ``fail`` / ``skipped``), the ``criterion`` it was judged by, and the
error text when it raised; one failing item never loses the others' results. The JSON (and a
short Markdown summary beside it, same name with ``.md``) is rewritten atomically after every
item, so a run killed half-way keeps what it measured.

1. ``train``: the ``paper`` profile (512x512 crops, batch 6, paper-size networks) trained for 200
   iterations with each AMP setting the profile can use on CUDA (bf16, which ``run.amp = auto``
   picks on a GPU that has it, and fp16 with a GradScaler), channels_last: iterations/s, peak
   memory, all losses finite. Then a real kill: an ``itmn train`` subprocess of the same
   configuration is SIGKILLed once a checkpoint exists and resumed in a new subprocess, which
   must continue at the checkpoint's iteration and log every iteration exactly once. On CPU the
   resumed run must also be bit-identical to the uninterrupted one (the trainer's resume
   guarantee); CUDA runs are not bit-reproducible, so there the iteration and finite losses are
   checked and the final-loss difference is reported.
2. ``projection``: wall time of the full paper profile (iTMN, NoDMSE, NoAdvReg and the
   DrTM-style model, 80,000 iterations each; plus the two half-length learning-rate runs that
   ``reproduce_table1`` adds) from iterations/s measured here for each model, beside what the
   README says about the paper profile.
3. ``ddp``: ``torchrun`` with one process per visible GPU (NCCL; on CPU two gloo processes), 50
   iterations, losses compared with a single-process run of the same seed. With one process the
   trainer builds no process group, so a probe (:mod:`bench.perf.ddp_probe`) also runs the
   trainer's iTMN task with DistributedDataParallel forced on over a one-process NCCL (gloo)
   group and compares its losses with the same steps without DDP.
4. ``hdrvdp2``: the calibration pairs (``--calibration``, default
   ``$ITMN_SHARED/reference/metrics-synthetic``) on the device against the CPU float64 path
   within the calibration tolerances; seconds per 1920x1080 pair alone and in a batch of 8
   (goal <= 50 ms per pair on CUDA).
5. ``inference``: the paper generator on 3840x2160 frames (fp16 autocast on CUDA) in frames/s,
   and every learned method of the method registry at 1920x1080. Methods that need a training
   checkpoint get a seeded network of the paper profile's architecture after one training
   iteration on synthetic data (untrained: speed only, said in the output); methods that load
   published weights are included when registered and skipped, with the loader's message, when
   their weights are not available.

``--tiny`` shrinks every size (tiny widths, 64x64 crops, a few iterations, small frames) so that
the same code runs in CI on 2 CPU cores in about a minute; the GPU run then executes code that CI
has run. Training data is a synthetic folder of HDR images prepared by ``itmn data prepare``'s
code (no download: the device machine has no network). ``--budget-s`` bounds the whole check:
an item whose usual duration no longer fits is skipped with the reason. docs/gpu-check.md says
how to run it on a lent GPU machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as _dt
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import baselines  # noqa: F401  (registers the drtm model kind and its variants with the trainer)

REPO = Path(__file__).resolve().parents[2]
FORMAT = "itmn-gpu-check/1"
DEFAULT_OUT = Path("results/perf/perf-gpu.json")
#: --tiny results go to an ignored folder, so a CI-size run never replaces the committed GPU report.
DEFAULT_OUT_TINY = Path("results/_scratch/perf-gpu-tiny.json")
DEFAULT_BUDGET_S = 480.0  # the issue's limit: 8 minutes on one H100/H200
#: How ``itmn train`` is started in a subprocess (moves with the CLI: one place to change).
TRAIN_CLI = ("-m", "bench.cli.itmn_cli", "train")
#: HDR-VDP-2 calibration tolerances (tests/bench/test_hdrvdp2_calibration.py): Q absolute, C_max
#: relative, P_det absolute where the reference is not saturated; float64 regression bound.
Q_TOL, CMAX_RTOL, PDET_TOL, F64_TOL = 0.01, 1e-3, 5e-4, 1e-8
VDP_TARGET_S = 0.050  # goal per 1920x1080 pair on CUDA
PPD72 = 72.489873956798149  # hdrvdp_pix_per_deg(21, [1920 1080], 1)
#: DDP vs single process: the mean content loss over the run may differ by this fraction. With
#: several processes each BatchNorm normalizes its own slice of the batch, so the runs are not
#: the same computation; measured on CPU (2 gloo processes, --tiny, 6 iterations): see
#: docs/gpu-check.md. With one process the computation is the same up to CUDA nondeterminism.
DDP_REL_TOL = 0.10
#: Forced-DDP probe (one process) vs the same steps without DDP: same computation.
PROBE_REL_TOL = {"cpu": 1e-6, "cuda": 2e-2}
#: The README files whose sentences about the ``paper`` profile are quoted beside the projection.
CLAIM_FILES = ("README.md", "docs/training.md")
PAPER_ITERATIONS_FALLBACK = 80_000
SUBPROCESS_MIN_S = 30.0

#: Configuration keys every run of the check sets (bookkeeping that would only cost time).
COMMON_OVERRIDES: dict[str, Any] = {
    "data.val_images": 1,
    "run.val_every": 0,
    "run.progress": False,
    "run.tensorboard": False,
    "run.plots": False,
    "run.keep_checkpoints": 1,
    "run.log_every": 10,
}
#: --tiny: the paper profile shrunk (tiny networks, 64x64 crops, one thread for determinism).
TINY_OVERRIDES: dict[str, Any] = {
    "data.crop": 64,
    "run.batch_size": 2,
    "run.threads": 1,
    "model.generator.widths": (4, 8, 8, 8, 8),
    "model.discriminator.widths": (4, 8),
    "model.discriminator.fc": (8,),
    "model.discriminator.pool": 2,
}
TINY_DRTM = {"model.options": {"width": 4, "n_levels": 5}}


# --------------------------------------------------------------------------- settings
@dataclasses.dataclass(frozen=True)
class Settings:
    """Sizes and options of one check (:func:`make_settings`)."""

    device: str  #: "cpu" | "cuda"
    tiny: bool
    budget_s: float
    work: Path
    calibration: Path | None
    nproc: int  #: DDP processes
    train_overrides: dict[str, Any]
    dataset_size: int = 512  #: side of the synthetic prepared images
    dataset_images: int = 5  #: 4 train, 1 test (folder split rule)
    train_iterations: int = 200
    kill_checkpoint_every: int = 50
    ddp_iterations: int = 50
    ddp_batch: int = 6
    probe_steps: int = 5
    rate_steps: int = 20  #: timed steps per model for the projection (at most)
    rate_max_s: float = 8.0  #: ... or fewer (at least 3) once this many seconds have passed
    vdp_frame: tuple[int, int] = (1080, 1920)
    vdp_batch: int = 8
    vdp_repeats: int = 10
    vdp_pairs: int = 0  #: calibration pairs compared (0 = all)
    big_frame: tuple[int, int] = (2160, 3840)
    big_tile: int | None = None  #: None = ItmnExpander's automatic tiling (1024/128 at 4K)
    hd_frame: tuple[int, int] = (1080, 1920)
    infer_repeats: int = 5


def make_settings(
    device: str, tiny: bool, budget_s: float, work: Path, calibration: Path | None, nproc: int | None = None
) -> Settings:
    """The full configuration (GPU) or the ``--tiny`` one (CI on CPU)."""
    if nproc is None:
        nproc = _visible_gpus() if device == "cuda" else 2
    nproc = max(1, nproc)
    if tiny:
        return Settings(
            device,
            True,
            budget_s,
            work,
            calibration,
            nproc,
            dict(TINY_OVERRIDES),
            dataset_size=64,
            train_iterations=40,
            kill_checkpoint_every=4,
            ddp_iterations=6,
            ddp_batch=2 * nproc,
            probe_steps=3,
            rate_steps=3,
            rate_max_s=2.0,
            vdp_frame=(108, 192),
            vdp_repeats=2,
            vdp_pairs=2,
            big_frame=(96, 192),
            big_tile=64,
            hd_frame=(108, 192),
            infer_repeats=1,
        )
    batch = 6 if 6 % nproc == 0 else nproc * math.ceil(6 / nproc)
    return Settings(device, False, budget_s, work, calibration, nproc, {}, ddp_batch=batch)


def _visible_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


#: Items in order, with the seconds each usually takes (full GPU run, --tiny on 2 CPU cores). An
#: item is skipped when the budget left is below its entry.
ITEM_NAMES = ("train", "projection", "ddp", "hdrvdp2", "inference")
MIN_SECONDS = {
    "train": (60.0, 10.0),
    "projection": (25.0, 3.0),
    "ddp": (45.0, 12.0),
    "hdrvdp2": (25.0, 4.0),
    "inference": (45.0, 8.0),
}


# --------------------------------------------------------------------------- context
class Context:
    """What the items share: settings, deadline, results so far, lazily made data."""

    def __init__(self, settings: Settings, deadline: float) -> None:
        self.s = settings
        self.deadline = deadline
        self.results: dict[str, dict[str, Any]] = {}
        self._dataset: Path | None = None
        self._checkpoints: dict[str, Path] = {}

    @property
    def cuda(self) -> bool:
        return self.s.device == "cuda"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def dataset(self) -> Path:
        """A synthetic prepared dataset (made once per check)."""
        if self._dataset is None:
            self._dataset = synthetic_dataset(
                self.s.work / "data", self.s.dataset_size, self.s.dataset_images, seed=0
            )
        return self._dataset

    def config(self, variant: str = "itmn", **extra: Any) -> Any:
        """``<variant>-paper`` with the check's settings and ``extra`` dotted-key overrides."""
        from itmn.train import get_profile
        from itmn.train.config import set_value, validate

        cfg = get_profile("paper" if variant == "itmn" else f"{variant}-paper")
        values = {**COMMON_OVERRIDES, **self.s.train_overrides}
        if self.s.tiny and variant == "drtm":
            values.update(TINY_DRTM)
        values.update({"data.dataset": str(self.dataset()), "run.device": self.s.device})
        values.update(extra)
        for key, value in values.items():
            set_value(cfg, key, value, source="gpu_check")
        cfg.name = f"gpu-check-{variant}"
        validate(cfg)
        return cfg

    def seeded_checkpoint(self, variant: str) -> Path:
        """A run folder of ``<variant>-paper``'s architecture after one training iteration (seed 0)
        on the synthetic data: an untrained network for speed measurements."""
        if variant not in self._checkpoints:
            from itmn.train import run_training

            cfg = self.config(
                variant, **{"run.iterations": 1, "run.batch_size": 2, "run.checkpoint_every": 1}
            )
            with _quiet_stderr():
                self._checkpoints[variant] = run_training(cfg, self.s.work / "seeded" / variant, resume=True)
        return self._checkpoints[variant]


# --------------------------------------------------------------------------- synthetic data
def synthetic_hdr(size: int, rng: np.random.Generator) -> np.ndarray:
    """A size x size x 3 float32 linear BT.709 HDR image (relative units): a smooth random
    log-luminance field over 3.5 decades with fine texture, tint and two bright highlights."""
    from scipy.ndimage import gaussian_filter

    base = gaussian_filter(rng.standard_normal((size, size, 3)), sigma=(size / 8, size / 8, 0))
    base = (base - base.min()) / (np.ptp(base) + 1e-12)
    texture = gaussian_filter(rng.standard_normal((size, size, 1)), sigma=(1.0, 1.0, 0))
    img = 10.0 ** (-1.0 + 3.5 * base + 0.1 * texture)
    yy, xx = np.mgrid[:size, :size]
    for _ in range(2):
        cy, cx = rng.integers(0, size, 2)
        img += 3000.0 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (size / 24) ** 2))[..., None]
    return img.astype(np.float32)


def synthetic_dataset(root: Path, size: int, n_images: int, seed: int = 0) -> Path:
    """Write ``n_images`` synthetic EXR files under ``root/source`` and prepare them with
    ``itmn data prepare``'s code into ``root/prepared`` (size x size pairs, two operators).
    Returns the prepared folder (reused when already complete)."""
    from itmn import hdrio
    from itmn.data.prepare import PrepareParams, prepare_dataset

    src, out = root / "source", root / "prepared"
    rng = np.random.default_rng(seed)
    for i in range(n_images):
        img = synthetic_hdr(size, rng)
        path = src / f"synthetic{i:02d}.exr"
        if not path.exists():
            hdrio.write_exr(path, img)
    # two operators (the test pairs' and the cheapest) keep preparation short; training draws from both
    params = PrepareParams(size=size, tmos=("reinhard_global", "camera_clip"))
    prepare_dataset(src, out=out, params=params, progress=False, log=lambda _m: None)
    return out


def synthetic_frame(h: int, w: int, seed: int = 0) -> np.ndarray:
    """An h x w x 3 float32 LDR frame in [0, 1]: smooth colour waves with a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.linspace(0, 1, h)[:, None, None], np.linspace(0, 1, w)[None, :, None]
    img = (
        0.5 + 0.45 * np.sin(6 * x + 3 * y + np.array([0.0, 1.0, 2.0])) + 0.03 * rng.standard_normal((h, w, 3))
    )
    return np.clip(img, 0, 1).astype(np.float32)


# --------------------------------------------------------------------------- small helpers
@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Keep the trainer's per-run chatter out of the check's output."""
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):
        yield


def _child_env() -> dict[str, str]:
    """Environment of the subprocesses: the repository importable (the device machine runs the
    tree without installing it)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _sub_timeout(ctx: Context) -> float:
    """Time-out of a subprocess: the budget left, but at least SUBPROCESS_MIN_S (an item that was
    started is given the chance to finish rather than failing on a few seconds)."""
    return max(ctx.remaining(), SUBPROCESS_MIN_S)


def _release_cuda_cache(device: str) -> None:
    """Return this process's cached CUDA memory before subprocesses use the same GPU."""
    if device == "cuda":
        import torch

        torch.cuda.empty_cache()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_config(cfg: Any, path: Path) -> Path:
    from itmn.atomic import write_json
    from itmn.train.config import to_dict

    return write_json(path, to_dict(cfg))


def _run(cmd: list[str], timeout: float, log: Path) -> subprocess.CompletedProcess:
    """Run ``cmd`` (output to ``log``); a time-out kills it and says so in the exception."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, env=_child_env(), start_new_session=True
        )
        try:
            proc.wait(timeout=max(timeout, 1.0))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise RuntimeError(
                f"{' '.join(cmd[:6])} ... did not finish in {timeout:.0f} s (budget); killed"
            ) from None
    return subprocess.CompletedProcess(cmd, proc.returncode)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(path: Path, n: int = 2500) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def read_log(run_dir: Path) -> list[dict[str, float | None]]:
    """log.csv of a run as rows of floats (empty cells -> None)."""
    rows = []
    with open(run_dir / "log.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append({k: (float(v) if v not in ("", None) else None) for k, v in r.items()})
    return rows


def loss_columns(rows: list[dict[str, float | None]]) -> list[str]:
    skip = {"iteration", "lr", "time", "alpha"}
    return [k for k in (rows[0] if rows else {}) if k not in skip]


def all_finite(rows: list[dict[str, float | None]]) -> bool:
    return bool(rows) and all(
        v is None or math.isfinite(v) for r in rows for k, v in r.items() if k in loss_columns(rows)
    )


def steady_rate(rows: list[dict[str, float | None]]) -> float | None:
    """Iterations/s from log.csv's wall-clock column, leaving out the first tenth (warm-up:
    cuDNN autotuning, allocator growth)."""
    pts = [
        (r["iteration"], r["time"])
        for r in rows
        if r.get("iteration") is not None and r.get("time") is not None
    ]
    if len(pts) < 3:
        return None
    skip = max(1, len(pts) // 10)
    (i0, t0), (i1, t1) = pts[skip], pts[-1]
    return (i1 - i0) / (t1 - t0) if t1 > t0 else None


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-30)


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def _reset_peak(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def _peak_mb(device: str) -> float | None:
    if device != "cuda":
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def _timed(fn: Callable[[], Any], device: str, repeats: int) -> tuple[float, float]:
    """(median, best) seconds of ``fn`` over ``repeats`` calls after one warm-up call."""
    fn()
    _sync(device)
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(min(times))


def skipped(reason: str, **extra: Any) -> dict[str, Any]:
    return {"status": "skipped", "reason": reason, **extra}


# --------------------------------------------------------------------------- item 1: training
def item_train(ctx: Context) -> dict[str, Any]:
    """The paper profile with each AMP setting, then a real SIGKILL and resume."""
    from itmn.train import run_training
    from itmn.train.checkpoint import read_checkpoint

    s = ctx.s
    total = s.train_iterations
    amps = ["bf16", "fp16"] if ctx.cuda else ["off"]
    out: dict[str, Any] = {
        "criterion": (
            f"{total} iterations of the paper profile per AMP setting finish with every logged loss finite"
            " (and the requested AMP/channels_last in run.json); a SIGKILLed run resumes at its"
            " checkpoint's iteration, logs each iteration once and finishes"
            + ("; on CPU bit-identical to the uninterrupted run" if not ctx.cuda else "")
        ),
        "iterations": total,
        "runs": {},
    }
    if not ctx.cuda:
        out["runs"]["bf16"] = out["runs"]["fp16"] = skipped(
            "run.amp bf16/fp16 need CUDA (ConfigError on CPU)"
        )
    ok = True
    reference: dict[str, Path] = {}
    for amp in amps:
        cfg = ctx.config(
            "itmn",
            **{
                "run.iterations": total,
                "run.amp": amp,
                "run.channels_last": "on",
                "run.checkpoint_every": total,
            },
        )
        run_dir = s.work / f"train-{amp}"
        _reset_peak(s.device)
        t0 = time.perf_counter()
        with _quiet_stderr():
            run_training(cfg, run_dir, resume=False)
        wall = time.perf_counter() - t0
        info = json.loads((run_dir / "run.json").read_text())
        rows = read_log(run_dir)
        ck = read_checkpoint(run_dir / "checkpoints" / "last.pt")
        last = rows[-1] if rows else {}
        want_amp = {"off": "off", "bf16": "bfloat16", "fp16": "float16"}[amp]
        run = {
            "amp": info.get("amp"),
            "channels_last": info.get("channels_last"),
            "status": info.get("status"),
            "iterations": info.get("iteration"),
            "wall_s": round(wall, 2),
            "iterations_per_s_steady": _round(steady_rate(rows), 3),
            "iterations_per_s_session": info.get("iterations_per_s"),
            "peak_memory_mb": _peak_mb(s.device),
            "losses_finite": all_finite(rows),
            "final": {k: last.get(k) for k in ("content", "mse", "dmse", "g_loss", "d_loss")},
            "parameters": info.get("parameters"),
        }
        if amp == "fp16":
            run["grad_scaler_scale"] = {
                n: float(sd.get("scale", float("nan"))) for n, sd in ck["scalers"].items() if sd
            }
        run["ok"] = bool(
            run["losses_finite"]
            and run["status"] == "finished"
            and run["iterations"] == total
            and run["amp"] == want_amp
            and run["channels_last"] is True
        )
        ok &= run["ok"]
        out["runs"][amp] = run
        reference[amp] = run_dir
    kill_amp = amps[0]
    out["kill_resume"] = kill = _kill_and_resume(ctx, kill_amp, reference[kill_amp])
    ok &= kill["ok"]
    out["status"] = "pass" if ok else "fail"
    return out


def _kill_and_resume(ctx: Context, amp: str, reference: Path) -> dict[str, Any]:
    from itmn.train.checkpoint import read_checkpoint

    s = ctx.s
    total = s.train_iterations
    cfg = ctx.config(
        "itmn",
        **{
            "run.iterations": total,
            "run.amp": amp,
            "run.channels_last": "on",
            "run.checkpoint_every": s.kill_checkpoint_every,
        },
    )
    cfg_file = _write_config(cfg, s.work / "kill" / "config.json")
    _release_cuda_cache(s.device)
    run_dir = s.work / "kill" / "run"
    cmd = [sys.executable, *TRAIN_CLI, "--config", str(cfg_file), "--out", str(run_dir)]
    res: dict[str, Any] = {"amp": amp, "checkpoint_every": s.kill_checkpoint_every, "signal": "SIGKILL"}
    log = s.work / "kill" / "first.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, env=_child_env(), start_new_session=True
        )
    last = run_dir / "checkpoints" / "last.pt"
    end = time.monotonic() + _sub_timeout(ctx)
    try:
        while not last.exists():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"training exited (rc {proc.returncode}) before its first checkpoint: {_tail(log)}"
                )
            if time.monotonic() > end:
                raise RuntimeError("no checkpoint before the budget ran out")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        _kill_group(proc)
    res["killed_rc"] = proc.returncode
    killed_at = int(read_checkpoint(last)["iteration"])
    res["checkpoint_iteration_at_kill"] = killed_at
    logged_before = len(read_log(run_dir)) if (run_dir / "log.csv").exists() else 0
    res["iterations_logged_before_kill"] = logged_before
    if killed_at >= total:
        res.update(ok=False, error=f"the run finished ({killed_at} iterations) before it could be killed")
        return res
    t0 = time.perf_counter()
    done = _run([*cmd, "--resume"], _sub_timeout(ctx), s.work / "kill" / "resume.log")
    res["resume_wall_s"] = round(time.perf_counter() - t0, 2)
    res["resume_rc"] = done.returncode
    if done.returncode != 0:
        res.update(
            ok=False, error=f"resume failed (rc {done.returncode}): {_tail(s.work / 'kill' / 'resume.log')}"
        )
        return res
    info = json.loads((run_dir / "run.json").read_text())
    sessions = info.get("sessions", [])
    rows = read_log(run_dir)
    its = [int(r["iteration"]) for r in rows]
    res.update(
        resumed_from=sessions[-1].get("start_iteration") if sessions else None,
        sessions=[{k: x.get(k) for k in ("start_iteration", "end_iteration", "status")} for x in sessions],
        final_iteration=info.get("iteration"),
        status=info.get("status"),
        log_iterations_once=its == list(range(1, total + 1)),
        losses_finite=all_finite(rows),
    )
    ok = (
        res["resumed_from"] == killed_at
        and res["final_iteration"] == total
        and res["status"] == "finished"
        and res["log_iterations_once"]
        and res["losses_finite"]
    )
    ref_rows = read_log(reference)
    if ref_rows and rows:
        res["final_content_vs_uninterrupted_rel"] = _rel(rows[-1]["content"], ref_rows[-1]["content"])
    if not ctx.cuda:
        same = _same_state(run_dir, reference)
        res["bit_identical_to_uninterrupted"] = same
        ok = ok and same
    else:
        res["bit_identical_to_uninterrupted"] = "not expected on CUDA (cuDNN autotuning, atomics)"
    res["ok"] = bool(ok)
    return res


def _same_state(a: Path, b: Path) -> bool:
    import torch

    from itmn.train.checkpoint import read_checkpoint

    ca, cb = (read_checkpoint(p / "checkpoints" / "last.pt") for p in (a, b))

    def eq(x: Any, y: Any) -> bool:
        if isinstance(x, torch.Tensor):
            return (
                isinstance(y, torch.Tensor)
                and x.dtype == y.dtype
                and x.shape == y.shape
                and torch.equal(x, y)
            )
        if isinstance(x, dict):
            return isinstance(y, dict) and x.keys() == y.keys() and all(eq(x[k], y[k]) for k in x)
        if isinstance(x, list | tuple):
            return isinstance(y, list | tuple) and len(x) == len(y) and all(eq(p, q) for p, q in zip(x, y))
        return x == y

    return all(eq(ca[k], cb[k]) for k in ("nets", "optimizers", "iteration"))


# --------------------------------------------------------------------------- item 2: projection
VARIANT_LABELS = {"itmn": "iTMN", "nodmse": "NoDMSE", "noadvreg": "NoAdvReg", "drtm": "DrTM-style"}


def task_rate(cfg: Any, device: str, steps: int, max_s: float = float("inf")) -> tuple[float, int]:
    """(iterations/s, steps timed) of the trainer's task for ``cfg`` on a fixed random batch (no
    data loading, no logging), with the AMP and channels_last the configuration resolves to:
    ``steps`` steps after two warm-up steps, or fewer (at least 3) once ``max_s`` has passed."""
    import torch

    from itmn.train import distributed as ddp
    from itmn.train.tasks import build_task

    dev = torch.device(device)
    saved = torch.get_num_threads(), torch.backends.cudnn.benchmark
    try:
        if cfg.run.threads > 0:
            torch.set_num_threads(cfg.run.threads)
        torch.backends.cudnn.benchmark = dev.type == "cuda"
        amp = ddp.amp_dtype(cfg.run.amp, dev)
        cl = cfg.run.channels_last == "on" or (cfg.run.channels_last == "auto" and dev.type == "cuda")
        torch.manual_seed(cfg.run.seed)
        task = build_task(cfg, dev, ddp.DistInfo(), amp, cl)
        task.train(True)
        g = torch.Generator().manual_seed(0)
        shape = (cfg.run.batch_size, 3, cfg.data.crop, cfg.data.crop)
        batch = {"ldr": torch.rand(shape, generator=g), "hdr": torch.rand(shape, generator=g)}
        for i in range(2):
            task.step(batch, i)
        _sync(device)
        t0 = time.perf_counter()
        done = 0
        while done < steps and (done < 3 or time.perf_counter() - t0 < max_s):
            task.step(batch, done)
            done += 1
        _sync(device)
        return done / (time.perf_counter() - t0), done
    finally:
        torch.set_num_threads(saved[0])
        torch.backends.cudnn.benchmark = saved[1]


def _paragraphs(text: str) -> list[str]:
    """Prose paragraphs of a Markdown text (headings, tables, comments and code left out)."""
    paras: list[str] = []
    cur: list[str] = []
    fence = False
    for line in [*text.splitlines(), ""]:
        s = line.strip()
        if s.startswith("```"):
            fence = not fence
        if fence or s.startswith("```") or not s or s.startswith(("#", "|", "<!--")):
            if cur:
                paras.append(" ".join(cur))
                cur = []
            continue
        cur.append(s)
    return paras


def readme_claims(root: Path = REPO) -> list[dict[str, str]]:
    """Sentences of the README (and docs/training.md) about running the ``paper`` profile
    (naming it and the GPU, a duration, or whether it was run), verbatim."""
    out = []
    for rel in CLAIM_FILES:
        path = root / rel
        if not path.is_file():
            continue
        for para in _paragraphs(path.read_text()):
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z`(])", para):
                if re.search(r"`paper`|paper profile", sentence) and re.search(
                    r"GPU|CUDA|hours?\b|minutes?\b|days?\b|has not been run", sentence
                ):
                    out.append({"file": rel, "sentence": sentence.strip()})
    return out


def claimed_hours(claims: list[dict[str, str]]) -> float | None:
    """A wall time stated in those sentences (hours), if any."""
    unit = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}
    for c in claims:
        m = re.search(r"(\d+(?:\.\d+)?)\s*(minute|hour|day)s?\b", c["sentence"])
        if m:
            return float(m.group(1)) * unit[m.group(2)]
    return None


def item_projection(ctx: Context) -> dict[str, Any]:
    """Projected wall time of the full paper profile from speeds measured here."""
    from itmn.train import get_profile

    s = ctx.s
    paper_iters = get_profile("paper").run.iterations or PAPER_ITERATIONS_FALLBACK
    rates: dict[str, Any] = {}
    for variant in VARIANT_LABELS:
        amp = "auto" if ctx.cuda else "off"
        cfg = ctx.config(variant, **{"run.amp": amp, "run.channels_last": "auto"})
        rate, steps = task_rate(cfg, s.device, s.rate_steps, s.rate_max_s)
        rates[variant] = {
            "iterations_per_s": round(rate, 3),
            "steps_timed": steps,
            "crop": cfg.data.crop,
            "batch": cfg.run.batch_size,
            "iterations": get_profile("paper" if variant == "itmn" else f"{variant}-paper").run.iterations,
        }
    # the trainer's own rate (data loading, logging) against the bare task: applied to every model
    train = ctx.results.get("train", {}).get("runs", {})
    trainer_rate = next(
        (
            r.get("iterations_per_s_steady")
            for r in train.values()
            if isinstance(r, dict) and r.get("iterations_per_s_steady")
        ),
        None,
    )
    factor = trainer_rate / rates["itmn"]["iterations_per_s"] if trainer_rate else 1.0
    factor = min(factor, 1.0)
    hours = {v: r["iterations"] / (r["iterations_per_s"] * factor) / 3600 for v, r in rates.items()}
    four = sum(hours.values())
    lr_sweep = 2 * (paper_iters // 2) / (rates["itmn"]["iterations_per_s"] * factor) / 3600
    claims = readme_claims()
    claim = claimed_hours(claims)
    out: dict[str, Any] = {
        "criterion": (
            "every model's speed measured (finite, > 0); projected time <= the README's stated time "
            "when it states one"
        ),
        "paper_iterations": paper_iters,
        "rates": rates,
        "trainer_overhead_factor": round(factor, 3),
        "trainer_overhead_from": "item train (log.csv steady rate / bare task rate)"
        if trainer_rate
        else "not measured (item train did not run): 1.0",
        "projected_hours": {v: round(h, 3) for v, h in hours.items()},
        "projected_hours_4_models": round(four, 3),
        "projected_hours_reproduce_table1": round(four + lr_sweep, 3),
        "reproduce_table1_note": (
            "adds Fig. 2(i)'s two half-length iTMN learning-rate runs; validation and checkpoints "
            "not included"
        ),
        "readme_claims": claims,
        "readme_hours": claim,
        "note": (
            "--tiny: tiny networks on CPU; the projection is of nothing real"
            if s.tiny
            else f"measured at the paper profile's sizes on {s.device}"
        ),
    }
    ok = all(math.isfinite(r["iterations_per_s"]) and r["iterations_per_s"] > 0 for r in rates.values())
    if claim is not None:
        out["within_readme_claim"] = four <= claim
        ok = ok and four <= claim
    out["status"] = "pass" if ok else "fail"
    return out


# --------------------------------------------------------------------------- item 3: DDP
def item_ddp(ctx: Context) -> dict[str, Any]:
    """torchrun (NCCL on CUDA, gloo on CPU) against a single process; the forced-DDP probe."""
    s = ctx.s
    n = s.nproc
    extra = {
        "run.iterations": s.ddp_iterations,
        "run.batch_size": s.ddp_batch,
        "run.checkpoint_every": s.ddp_iterations,
    }
    if ctx.cuda:
        extra["run.amp"] = "auto"
    cfg = ctx.config("itmn", **extra)
    cfg_file = _write_config(cfg, s.work / "ddp" / "config.json")
    _release_cuda_cache(s.device)
    out: dict[str, Any] = {
        "criterion": (
            f"both runs finish with finite losses, run.json world_size = {n}, and the mean content loss over "
            f"the {s.ddp_iterations} iterations differs by <= {DDP_REL_TOL:.0%}; probe (DDP forced on, one "
            f"process) vs the same steps without DDP: every loss within {PROBE_REL_TOL[s.device]:g} relative"
        ),
        "backend": "nccl" if ctx.cuda else "gloo",
        "nproc": n,
        "iterations": s.ddp_iterations,
        "batch": s.ddp_batch,
    }
    if n == 1:
        out["note"] = (
            "one process: the trainer starts no process group and wraps nothing in DDP for world size 1; "
            "the probe below exercises the DDP code paths over a one-process group"
        )
    runs = {}
    budget = _sub_timeout(ctx)
    ddp_dir, single_dir = s.work / "ddp" / "torchrun", s.work / "ddp" / "single"
    t0 = time.perf_counter()
    cmd = _torchrun_cmd(n, [*TRAIN_CLI, "--config", str(cfg_file), "--out", str(ddp_dir)])
    rc = _run(cmd, budget, s.work / "ddp" / "torchrun.log").returncode
    runs["torchrun"] = {"rc": rc, "wall_s": round(time.perf_counter() - t0, 2)}
    if rc != 0:
        raise RuntimeError(f"torchrun failed (rc {rc}): {_tail(s.work / 'ddp' / 'torchrun.log')}")
    t0 = time.perf_counter()
    rc = _run(
        [sys.executable, *TRAIN_CLI, "--config", str(cfg_file), "--out", str(single_dir)],
        _sub_timeout(ctx),
        s.work / "ddp" / "single.log",
    ).returncode
    runs["single"] = {"rc": rc, "wall_s": round(time.perf_counter() - t0, 2)}
    if rc != 0:
        raise RuntimeError(f"single-process run failed (rc {rc}): {_tail(s.work / 'ddp' / 'single.log')}")
    for name, d in (("torchrun", ddp_dir), ("single", single_dir)):
        info = json.loads((d / "run.json").read_text())
        rows = read_log(d)
        runs[name].update(
            world_size=info.get("world_size"),
            status=info.get("status"),
            iterations=info.get("iteration"),
            losses_finite=all_finite(rows),
            iterations_per_s_steady=_round(steady_rate(rows), 3),
            mean_content=float(np.mean([r["content"] for r in rows])),
            first_content=rows[0]["content"],
            last_content=rows[-1]["content"],
        )
    out["runs"] = runs
    rel = _rel(runs["torchrun"]["mean_content"], runs["single"]["mean_content"])
    out["mean_content_rel_diff"] = rel
    out["first_content_rel_diff"] = _rel(runs["torchrun"]["first_content"], runs["single"]["first_content"])
    ok = (
        all(r["status"] == "finished" and r["losses_finite"] for r in runs.values())
        and runs["torchrun"]["world_size"] == n
        and rel <= DDP_REL_TOL
    )
    out["probe"] = probe = _probe(ctx)
    ok = ok and probe["ok"]
    out["status"] = "pass" if ok else "fail"
    return out


def _torchrun_cmd(nproc: int, module_args: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={nproc}",
        f"--master_port={_free_port()}",
        *module_args,
    ]


def _probe(ctx: Context) -> dict[str, Any]:
    """The forced-DDP probe (:mod:`bench.perf.ddp_probe`) in this process, one-process group."""
    from bench.perf.ddp_probe import probe

    s = ctx.s
    extra = {
        "run.batch_size": 2 if s.tiny else 6,
        "run.amp": "auto" if ctx.cuda else "off",
        "run.channels_last": "auto",
    }
    res = probe(ctx.config("itmn", **extra), s.probe_steps)
    tol = PROBE_REL_TOL[s.device]
    worst = 0.0
    for a, b in zip(res["ddp"], res["plain"]):
        for k, v in b.items():
            if v is not None and a.get(k) is not None and math.isfinite(v):
                worst = max(worst, _rel(a[k], v) if abs(v) > 1e-12 else abs(a[k] - v))
    finite = all(v is None or math.isfinite(v) for row in res["ddp"] + res["plain"] for v in row.values())
    return {
        **res,
        "worst_rel_diff": worst,
        "tolerance": tol,
        "ok": bool(finite and worst <= tol and res["ddp_wrapped"]),
    }


# --------------------------------------------------------------------------- item 4: HDR-VDP-2
def calibration_pairs(folder: Path | None, limit: int) -> tuple[list[dict[str, Any]], str]:
    """(pairs, source): rows of ``reference_scores.csv`` with their arrays, or generated pairs
    when no calibration folder is available."""
    if folder is not None and (folder / "reference_scores.csv").is_file():
        with open(folder / "reference_scores.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if limit:
            prefer = [r for r in rows if r["pair"] in ("A_noise", "C_noise")]
            rows = (prefer + [r for r in rows if r not in prefer])[:limit]
        pairs = []
        for r in rows:
            ref = {}
            for ppd, sfx in ((30.0, "ppd30"), (PPD72, "ppd72")):
                if f"hdrvdp222_Q_{sfx}" in r:
                    ref[ppd] = {
                        k: float(r[f"hdrvdp222_{c}_{sfx}"])
                        for k, c in (("Q", "Q"), ("P_det", "Pdet"), ("C_max", "Cmax"))
                    }
            pairs.append(
                {
                    "name": r["pair"],
                    "test": np.load(folder / r["test_file"]),
                    "ref": np.load(folder / r["reference_file"]),
                    "reference_scores": ref,
                }
            )
        return (
            pairs,
            f"calibration pairs of {folder} (reference_scores.csv: HDR-VDP 2.2.2 under GNU Octave 7.3)",
        )
    from bench.perf.metrics import bench_pair

    pairs = []
    for name, (h, w) in (("generated-64x96", (64, 96)), ("generated-97x131", (97, 131)))[: limit or 2]:
        test, ref = bench_pair(h, w, seed=1)
        pairs.append({"name": name, "test": test, "ref": ref, "reference_scores": {}})
    return pairs, "generated pairs (no calibration folder: pass --calibration or set ITMN_SHARED)"


def _vdp_close(a: dict[str, float], ref: dict[str, float], f64: bool) -> bool:
    ok = abs(a["Q"] - ref["Q"]) <= Q_TOL and abs(a["C_max"] - ref["C_max"]) <= CMAX_RTOL * ref["C_max"]
    ok = ok and (
        abs(a["P_det"] - ref["P_det"]) <= PDET_TOL if ref["P_det"] < 1 - 1e-9 else a["P_det"] >= 1 - 1e-6
    )
    if f64:
        ok = ok and all(
            abs(a[k] - ref[k]) <= F64_TOL * max(abs(ref[k]), 1.0) for k in ("Q", "P_det", "C_max")
        )
    return bool(ok)


def item_hdrvdp2(ctx: Context) -> dict[str, Any]:
    """Calibration agreement on the device; time per pair alone and in a batch."""
    import torch

    from bench.metrics.hdrvdp.v2 import hdrvdp2, hdrvdp2_batch

    s = ctx.s
    pairs, source = calibration_pairs(s.calibration, s.vdp_pairs)
    paths = [("cuda", "float32"), ("cuda", "float64")] if ctx.cuda else [("cpu", "float32")]
    checks = []
    ok = True
    for p in pairs:
        for ppd in (30.0, PPD72):
            base = hdrvdp2(p["test"], p["ref"], ppd=ppd, dtype="float64", device="cpu", return_maps=False)
            b = {"Q": base.Q, "P_det": base.P_det, "C_max": base.C_max}
            row: dict[str, Any] = {"pair": p["name"], "ppd": round(ppd, 6), "cpu_float64": b}
            if ppd in p["reference_scores"]:
                r = p["reference_scores"][ppd]
                row["cpu_float64_vs_original_dQ"] = abs(b["Q"] - r["Q"])
            for dev, dt in paths:
                res = hdrvdp2(p["test"], p["ref"], ppd=ppd, dtype=dt, device=dev, return_maps=False)
                a = {"Q": res.Q, "P_det": res.P_det, "C_max": res.C_max}
                close = _vdp_close(a, b, f64=dt == "float64")
                row[f"{dev}_{dt}"] = {
                    **a,
                    "dQ": a["Q"] - b["Q"],
                    "C_max_rel": _rel(a["C_max"], b["C_max"]),
                    "ok": close,
                }
                ok &= close
            checks.append(row)
    out: dict[str, Any] = {
        "criterion": (
            f"{' and '.join(f'{d} {t}' for d, t in paths)} vs the CPU float64 path on every pair and ppd: "
            f"|dQ| <= {Q_TOL}, C_max within {CMAX_RTOL:g} relative, P_det within {PDET_TOL:g} (unsaturated)"
            f"; float64 paths also within {F64_TOL:g}"
        ),
        "pairs_source": source,
        "comparisons": checks,
    }
    # timing: device-resident inputs, Q only (return_maps=False), one host sync per call
    h, w = s.vdp_frame
    from bench.perf.metrics import bench_pair

    test, ref = bench_pair(h, w)
    dev = s.device
    t1 = torch.from_numpy(np.ascontiguousarray(test.transpose(2, 0, 1)))[None].to(dev)
    r1 = torch.from_numpy(np.ascontiguousarray(ref.transpose(2, 0, 1)))[None].to(dev)
    _reset_peak(dev)
    alone_med, alone_best = _timed(
        lambda: float(hdrvdp2_batch(t1, r1, return_maps=False).Q[0]), dev, s.vdp_repeats
    )
    peak_alone = _peak_mb(dev)
    n = s.vdp_batch
    tn, rn = t1.expand(n, -1, -1, -1).contiguous(), r1.expand(n, -1, -1, -1).contiguous()
    _reset_peak(dev)
    batch_med, batch_best = _timed(
        lambda: hdrvdp2_batch(tn, rn, return_maps=False).Q.cpu(), dev, max(1, s.vdp_repeats // 3)
    )
    peak_batch = _peak_mb(dev)
    host_med, _ = _timed(
        lambda: hdrvdp2(test, ref, device=dev, return_maps=True).Q, dev, max(1, s.vdp_repeats // 3)
    )
    timing = {
        "frame": f"{w}x{h}",
        "dtype": "float32",
        "device": dev,
        "alone_s": {"median": alone_med, "best": alone_best},
        "alone_peak_memory_mb": peak_alone,
        "batch": n,
        "batch_s": {"median": batch_med, "best": batch_best},
        "batch_per_pair_s": batch_med / n,
        "batch_peak_memory_mb": peak_batch,
        "numpy_api_with_maps_s": host_med,
        "numpy_api_note": "hdrvdp2() on host arrays with maps returned: transfers and map copies included",
    }
    if ctx.cuda and not s.tiny:
        timing["goal_s_per_pair"] = VDP_TARGET_S
        timing["goal_met_alone"] = alone_med <= VDP_TARGET_S
        timing["goal_met_batch"] = batch_med / n <= VDP_TARGET_S
    else:
        timing["goal_note"] = f"the <= {VDP_TARGET_S * 1e3:.0f} ms goal applies to CUDA at 1920x1080"
    out["timing"] = timing
    out["status"] = "pass" if ok else "fail"
    return out


# --------------------------------------------------------------------------- item 5: inference
def seeded_paper_generator(seed: int = 0) -> Any:
    """The paper profile's generator, seeded, with non-trivial BatchNorm statistics (as after
    training) so that folding them is exercised."""
    import torch

    from itmn.models import UNetGenerator
    from itmn.train import get_profile

    g = get_profile("paper").model.generator
    torch.manual_seed(seed)
    net = UNetGenerator(**{f.name: getattr(g, f.name) for f in dataclasses.fields(g)})
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def _variant_of_method(name: str) -> str | None:
    """Training variant of a learned method that is trained by this suite (None otherwise)."""
    from bench.reproduce import LEARNED_VARIANTS

    return LEARNED_VARIANTS.get(name)


def item_inference(ctx: Context) -> dict[str, Any]:
    """The paper generator on 4K frames; every learned method of the registry at 1080p."""
    import torch

    from itmn.infer import ItmnExpander
    from itmn.train import distributed as ddp

    s = ctx.s
    dev = s.device
    h, w = s.big_frame
    frame = synthetic_frame(h, w)
    amp = torch.float16 if ctx.cuda else None
    exp = ItmnExpander(
        seeded_paper_generator(), {"name": "paper generator (seeded, untrained)"}, dev, tile=s.big_tile
    )

    def expand() -> np.ndarray:
        with ddp.autocast(torch.device(dev), amp):
            return exp.expand_pq(frame)

    _reset_peak(dev)
    pq = expand()
    med, best = _timed(expand, dev, s.infer_repeats)
    peak = _peak_mb(dev)
    ref32 = exp.expand_pq(frame) if amp is not None else pq
    big: dict[str, Any] = {
        "frame": f"{w}x{h}",
        "dtype": "float16 (autocast)" if amp else "float32",
        "tiling": exp._tiled(h, w) or "none",
        "overlap": exp.overlap,
        "s_per_frame": med,
        "best_s": best,
        "frames_per_s": 1.0 / med,
        "peak_memory_mb": peak,
        "output_finite": bool(np.isfinite(pq).all()),
        "output_in_pq_range": bool(pq.min() >= 0 and pq.max() <= 1),
        "max_abs_diff_vs_float32_pq": float(np.abs(pq - ref32).max()),
        "path": "ItmnExpander.expand_pq (host frame in, host PQ out; BatchNorm folded, channels_last)",
    }
    if ctx.cuda:  # the network alone on a device-resident frame, untiled
        from itmn.infer import pad_to_multiple

        x = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None].to(dev)
        x = pad_to_multiple(x, 32).contiguous(memory_format=torch.channels_last)

        def net_only() -> None:
            with torch.inference_mode(), ddp.autocast(torch.device(dev), amp):
                exp.net(x)

        _reset_peak(dev)
        n_med, _ = _timed(net_only, dev, s.infer_repeats)
        big["network_only_untiled"] = {
            "s_per_frame": n_med,
            "frames_per_s": 1.0 / n_med,
            "peak_memory_mb": _peak_mb(dev),
        }
    out: dict[str, Any] = {
        "criterion": (
            "paper generator output finite and in [0, 1] PQ; every learned method of the registry either "
            "expands the frame (output checked by the registry: finite, in the display range) or is skipped "
            "with its loader's reason"
        ),
        "paper_generator": big,
        "methods": {},
    }
    ok = big["output_finite"] and big["output_in_pq_range"]
    ok &= _learned_methods(ctx, out["methods"])
    out["status"] = "pass" if ok else "fail"
    return out


def _learned_methods(ctx: Context, out: dict[str, Any]) -> bool:
    from baselines.registry import REQUIRED, get_method, list_methods
    from itmn.errors import ItmnError

    s = ctx.s
    h, w = s.hd_frame
    frame = synthetic_frame(h, w, seed=1)
    ok = True
    for info in list_methods():
        if not info.learned:
            continue
        name = info.name
        if ctx.remaining() < (15.0 if ctx.cuda else 2.0):
            out[name] = skipped("budget exhausted")
            continue
        params = {p.name: p for p in info.params}
        kwargs: dict[str, Any] = {}
        weights = "published weights (the method's own loader)"
        if "device" in params:
            kwargs["device"] = s.device
        if "checkpoint" in params and params["checkpoint"].default is REQUIRED:
            variant = _variant_of_method(name)
            if variant is None:
                out[name] = skipped("needs a checkpoint and is not trained by this suite's profiles")
                continue
            kwargs["checkpoint"] = str(ctx.seeded_checkpoint(variant))
            weights = (
                f"seeded (seed 0) {variant}-paper architecture"
                f"{' (--tiny sizes)' if s.tiny else ''} after 1 training iteration on synthetic data: "
                "untrained"
            )
        missing = [p for p, spec in params.items() if spec.default is REQUIRED and p not in kwargs]
        if missing:
            out[name] = skipped(f"required parameters this check cannot supply: {', '.join(missing)}")
            continue
        try:
            method = get_method(name, **kwargs)
        except (ItmnError, OSError, ImportError) as exc:  # weights not available, optional module missing
            out[name] = skipped(f"could not be loaded: {exc}")
            continue
        try:
            _reset_peak(s.device)
            hdr = method.expand(frame)
            med, best = _timed(lambda m=method: m.expand(frame), s.device, max(1, s.infer_repeats - 2))
            out[name] = {
                "status": "ok",
                "frame": f"{w}x{h}",
                "s_per_frame": med,
                "best_s": best,
                "frames_per_s": 1.0 / med,
                "peak_memory_mb": _peak_mb(s.device),
                "weights": weights,
                "version": method.info.version,
                "output_finite": bool(np.isfinite(hdr).all()),
            }
        except Exception as exc:  # noqa: BLE001 - reported per method; the others still run
            out[name] = {"status": "fail", "error": f"{type(exc).__name__}: {exc}", "weights": weights}
            ok = False
    return ok


# --------------------------------------------------------------------------- runner
ITEMS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "train": item_train,
    "projection": item_projection,
    "ddp": item_ddp,
    "hdrvdp2": item_hdrvdp2,
    "inference": item_inference,
}


def _round(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def run_check(
    settings: Settings,
    out: Path,
    only: list[str] | None = None,
    items: dict[str, Callable[[Context], dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Run the items (all, or ``only``) in order within the budget; rewrite ``out`` (JSON) and its
    ``.md`` summary after each. Returns the report."""
    items = ITEMS if items is None else items
    t_start = time.monotonic()
    ctx = Context(settings, t_start + settings.budget_s)
    report = {
        "format": FORMAT,
        "finished": False,
        "metadata": _metadata(settings),
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(settings).items()
        },
        "items": {},
    }
    _write(report, out)
    col = 0 if settings.device == "cuda" and not settings.tiny else 1
    import torch

    threads = torch.get_num_threads()
    if settings.tiny and settings.device == "cpu":
        # one intra-op thread, as the CPU profiles: on shared 2-core machines two threads were up
        # to 8x slower under load (docs/training.md)
        torch.set_num_threads(1)
    try:
        _run_items(ctx, report, out, items, only, col)
    finally:
        torch.set_num_threads(threads)
    report["finished"] = True
    report["wall_s"] = round(time.monotonic() - t_start, 2)
    report["summary"] = {
        st: [n for n, r in report["items"].items() if r["status"] == st] for st in ("pass", "fail", "skipped")
    }
    _write(report, out)
    return report


def _run_items(
    ctx: Context,
    report: dict[str, Any],
    out: Path,
    items: dict[str, Callable[[Context], dict[str, Any]]],
    only: list[str] | None,
    col: int,
) -> None:
    settings = ctx.s
    for name in items:
        if only and name not in only:
            continue
        need = MIN_SECONDS.get(name, (0.0, 0.0))[col]
        left = ctx.remaining()
        print(f"[gpu_check] {name}: starting ({left:.0f} s of the budget left)", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        if left < need:
            res = skipped(
                f"{left:.0f} s of the {settings.budget_s:.0f} s budget left, the item usually needs "
                f"{need:.0f} s"
            )
        else:
            try:
                res = items[name](ctx)
            except Exception as exc:  # noqa: BLE001 - one failing item must not lose the others
                res = {
                    "status": "fail",
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc()[-4000:],
                }
        res.setdefault("status", "fail")
        res["seconds"] = round(time.perf_counter() - t0, 2)
        res["finished_utc"] = _now()
        ctx.results[name] = res
        report["items"][name] = res
        _write(report, out)
        print(
            f"[gpu_check] {name}: {res['status']} in {res['seconds']:.1f} s"
            + (f" ({res.get('reason') or res.get('error')})" if res["status"] != "pass" else ""),
            file=sys.stderr,
            flush=True,
        )


def _metadata(settings: Settings) -> dict[str, Any]:
    from itmn.runinfo import collect_run_metadata

    meta = collect_run_metadata(device=settings.device, check="gpu_check", tiny=settings.tiny)
    given = os.environ.get("ITMN_GIT_COMMIT", "").strip()
    if meta["git"].get("commit") is None and given:
        # the device machine receives the tree without .git: the commit comes with it
        # (.whl/COMMIT, written by bench.perf.device_wheels: '<sha>' or '<sha>-dirty')
        meta["git"] = {
            "commit": given.removesuffix("-dirty"),
            "dirty": given.endswith("-dirty"),
            "source": "ITMN_GIT_COMMIT",
        }
    import torch

    meta["device_name"] = torch.cuda.get_device_name() if settings.device == "cuda" else meta["device"]["cpu"]
    meta["torch"] = torch.__version__
    return meta


def _write(report: dict[str, Any], out: Path) -> None:
    from itmn.atomic import atomic_path, write_json

    write_json(out, _jsonable(report))
    with atomic_path(out.with_suffix(".md")) as tmp:
        tmp.write_text(markdown(report))


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    return x


# --------------------------------------------------------------------------- Markdown
def _f(x: Any, nd: int = 3) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{nd}g}"
    return "—" if x is None else str(x)


def _ms(x: Any) -> str:
    return f"{1e3 * x:.1f} ms" if isinstance(x, float) else "—"


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(report: dict[str, Any]) -> str:
    """The short summary written beside the JSON."""
    meta = report.get("metadata", {})
    st = report.get("settings", {})
    lines = [
        "# GPU check" + (" (--tiny)" if st.get("tiny") else ""),
        "",
        f"Device: {meta.get('device_name')} · torch {meta.get('torch')} · commit "
        f"{(meta.get('git') or {}).get('commit') or 'unknown'} · {meta.get('created_utc')} · "
        f"budget {st.get('budget_s')} s"
        + ("" if report.get("finished") else " · **unfinished (the check was stopped or is running)**"),
        "",
        "| item | status | seconds | criterion / reason |",
        "|---|---|---|---|",
    ]
    items = report.get("items", {})
    for name, r in items.items():
        why = r.get("reason") or r.get("error") or r.get("criterion", "")
        lines.append(
            _row(name, f"**{r.get('status')}**", _f(r.get("seconds")), why.splitlines()[0] if why else "")
        )
    for name, render in (
        ("train", _md_train),
        ("projection", _md_projection),
        ("ddp", _md_ddp),
        ("hdrvdp2", _md_vdp),
        ("inference", _md_infer),
    ):
        r = items.get(name)
        if r and r.get("status") != "skipped" and not r.get("error"):
            try:
                lines += ["", *render(r)]
            except Exception as exc:  # noqa: BLE001 - a summary must never hide the JSON
                lines += ["", f"({name}: summary not rendered: {exc})"]
    return "\n".join(lines) + "\n"


def _md_train(r: dict[str, Any]) -> list[str]:
    out = [
        f"## 1. Paper profile, {r['iterations']} iterations",
        "",
        "| AMP | it/s (steady) | it/s (session) | peak memory | losses finite | ok |",
        "|---|---|---|---|---|---|",
    ]
    for amp, x in r["runs"].items():
        if x.get("status") == "skipped":
            out.append(f"| {amp} | skipped: {x['reason']} | | | | |")
            continue
        out.append(
            f"| {amp} | {_f(x['iterations_per_s_steady'])} | {_f(x['iterations_per_s_session'])} | "
            f"{_f(x['peak_memory_mb'], 5)} MB | {_f(x['losses_finite'])} | {_f(x['ok'])} |"
        )
    k = r.get("kill_resume", {})
    out += [
        "",
        f"Kill and resume ({k.get('amp')}): SIGKILL with a checkpoint at iteration "
        f"{k.get('checkpoint_iteration_at_kill')} ({k.get('iterations_logged_before_kill')} logged), "
        f"resumed from {k.get('resumed_from')}, finished at "
        f"{k.get('final_iteration')}; each iteration logged once: {_f(k.get('log_iterations_once'))}; "
        f"bit-identical to the uninterrupted run: {_f(k.get('bit_identical_to_uninterrupted'))}; "
        f"ok: {_f(k.get('ok'))}",
    ]
    return out


def _md_projection(r: dict[str, Any]) -> list[str]:
    out = [
        "## 2. Projected wall time of the paper profile",
        "",
        "| model | it/s | iterations | hours |",
        "|---|---|---|---|",
    ]
    for v, x in r["rates"].items():
        out.append(
            _row(
                VARIANT_LABELS.get(v, v),
                _f(x["iterations_per_s"]),
                f"{x['iterations']:,}",
                _f(r["projected_hours"][v]),
            )
        )
    out += [
        "",
        f"4 models: **{_f(r['projected_hours_4_models'])} h**; as `reproduce_table1` runs it (plus the two "
        f"half-length learning-rate runs): {_f(r['projected_hours_reproduce_table1'])} h "
        "(trainer overhead factor "
        f"{_f(r['trainer_overhead_factor'])}; validation and checkpoints not included). {r['note']}.",
        "",
        "The README says: "
        + (
            " / ".join(f"“{c['sentence']}” ({c['file']})" for c in r["readme_claims"])
            or "nothing about the paper profile"
        )
        + ("" if r.get("readme_hours") is not None else " — no wall time is stated."),
    ]
    return out


def _md_ddp(r: dict[str, Any]) -> list[str]:
    out = [
        f"## 3. DDP ({r['backend']}, {r['nproc']} process(es), {r['iterations']} iterations)",
        "",
        "| run | world size | it/s | mean content loss | finite |",
        "|---|---|---|---|---|",
    ]
    for name, x in r["runs"].items():
        out.append(
            _row(
                name,
                x.get("world_size"),
                _f(x.get("iterations_per_s_steady")),
                _f(x.get("mean_content"), 6),
                _f(x.get("losses_finite")),
            )
        )
    p = r.get("probe", {})
    out += [
        "",
        f"Mean content loss relative difference {_f(r['mean_content_rel_diff'])} "
        f"(tolerance {DDP_REL_TOL:g}). "
        f"Forced-DDP probe ({p.get('backend')}, {p.get('steps')} steps): worst relative difference "
        f"{_f(p.get('worst_rel_diff'))} (tolerance {_f(p.get('tolerance'))}), ok: {_f(p.get('ok'))}.",
    ]
    if r.get("note"):
        out += ["", r["note"]]
    return out


def _md_vdp(r: dict[str, Any]) -> list[str]:
    out = ["## 4. HDR-VDP-2 on the device", "", f"Pairs: {r['pairs_source']}.", ""]
    first = r["comparisons"][0] if r["comparisons"] else {}
    keys = [k for k, v in first.items() if isinstance(v, dict) and k != "cpu_float64"]
    out += [
        "| pair | ppd | Q (cpu float64) | " + " | ".join(f"dQ {k}" for k in keys) + " | ok |",
        "|---|---|---|" + "---|" * len(keys) + "---|",
    ]
    for c in r["comparisons"]:
        out.append(
            f"| {c['pair']} | {_f(c['ppd'], 4)} | {_f(c['cpu_float64']['Q'], 8)} | "
            + " | ".join(_f(c[k]["dQ"], 2) for k in keys)
            + f" | {_f(all(c[k]['ok'] for k in keys))} |"
        )
    t = r["timing"]
    goal = (
        f"; goal ≤ {_ms(t['goal_s_per_pair'])}: alone {_f(t['goal_met_alone'])}, "
        f"batch {_f(t['goal_met_batch'])}"
        if "goal_s_per_pair" in t
        else f" ({t.get('goal_note', '')})"
    )
    out += [
        "",
        f"Time per {t['frame']} pair ({t['device']}, {t['dtype']}): alone {_ms(t['alone_s']['median'])}, "
        f"in a batch of {t['batch']} {_ms(t['batch_per_pair_s'])} per pair{goal}; peak memory alone "
        f"{_f(t['alone_peak_memory_mb'], 5)} MB, batch {_f(t['batch_peak_memory_mb'], 5)} MB.",
    ]
    return out


def _md_infer(r: dict[str, Any]) -> list[str]:
    b = r["paper_generator"]
    out = [
        "## 5. Inference",
        "",
        f"Paper generator, {b['frame']}, {b['dtype']}, tiles {b['tiling']}: "
        f"**{_f(b['frames_per_s'])} frames/s** "
        f"({_ms(b['s_per_frame'])} per frame, peak {_f(b['peak_memory_mb'], 5)} MB; max |PQ diff| vs float32 "
        f"{_f(b['max_abs_diff_vs_float32_pq'])})"
        + (
            f"; network alone, untiled: {_f(b['network_only_untiled']['frames_per_s'])} frames/s"
            if "network_only_untiled" in b
            else ""
        )
        + ".",
        "",
        "| method | frames/s | s per frame | weights |",
        "|---|---|---|---|",
    ]
    for name, x in r["methods"].items():
        if x.get("status") == "ok":
            out.append(
                _row(f"{name} ({x['frame']})", _f(x["frames_per_s"]), _f(x["s_per_frame"]), x["weights"])
            )
        else:
            out.append(f"| {name} | {x.get('status')} | | {x.get('reason') or x.get('error')} |")
    return out


# --------------------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.perf.gpu_check",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Items: " + ", ".join(ITEM_NAMES) + ". See docs/gpu-check.md.",
    )
    p.add_argument(
        "--device", choices=("cpu", "cuda"), default=None, help="default: cuda when available, else cpu"
    )
    p.add_argument("--tiny", action="store_true", help="tiny sizes (CI on CPU, about a minute)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"JSON report (Markdown beside it); default {DEFAULT_OUT}, with --tiny {DEFAULT_OUT_TINY}",
    )
    p.add_argument(
        "--budget-s",
        type=float,
        default=DEFAULT_BUDGET_S,
        help=f"seconds for the whole check; items that no longer fit are skipped "
        f"(default {DEFAULT_BUDGET_S:g})",
    )
    p.add_argument(
        "--only",
        default=None,
        metavar="ITEM[,ITEM]",
        help="run only these items (" + ",".join(ITEM_NAMES) + ")",
    )
    p.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="folder with reference_scores.csv and cases/ "
        "(default: $ITMN_SHARED/reference/metrics-synthetic)",
    )
    p.add_argument(
        "--nproc", type=int, default=None, help="DDP processes (default: visible GPUs on CUDA, 2 on CPU)"
    )
    p.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temporary folder, removed)"
    )
    p.add_argument("--keep-work", action="store_true", help="keep the scratch folder (run folders, logs)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        print(
            f"gpu_check: --device cuda but CUDA is not available (torch {torch.__version__})", file=sys.stderr
        )
        return 2
    only = [x.strip() for x in args.only.split(",")] if args.only else None
    unknown = sorted(set(only or []) - set(ITEM_NAMES))
    if unknown:
        print(
            f"gpu_check: unknown item(s) {', '.join(unknown)}; items: {', '.join(ITEM_NAMES)}",
            file=sys.stderr,
        )
        return 2
    calib = args.calibration
    if calib is None and os.environ.get("ITMN_SHARED"):
        calib = Path(os.environ["ITMN_SHARED"]) / "reference" / "metrics-synthetic"
    work = args.work or Path(tempfile.mkdtemp(prefix="itmn-gpu-check-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = make_settings(device, args.tiny, args.budget_s, work.resolve(), calib, args.nproc)
    out = (args.out or (DEFAULT_OUT_TINY if args.tiny else DEFAULT_OUT)).resolve()
    try:
        report = run_check(settings, out, only)
    finally:
        if not args.keep_work and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(report))
    print(f"[gpu_check] wrote {out} and {out.with_suffix('.md')}", file=sys.stderr)
    return 0 if not report["summary"]["fail"] else 1


if __name__ == "__main__":
    sys.exit(main())
