"""The training loop: run folder, resume, signals, logging, validation, checkpoints.

:func:`run_training` is the whole of ``itmn train``. Resume guarantee: a seeded CPU run killed at
any point (even SIGKILL) and resumed with ``resume=True`` ends with weights bit-identical to an
uninterrupted run, because (1) the batch of iteration k depends only on (seed, k)
(``PairDataset.batch_for_iteration``), (2) a checkpoint holds networks, optimizers, AMP scalers,
every RNG state and the iteration, written atomically, (3) the learning rate is a pure function of
the iteration, (4) ``torch.use_deterministic_algorithms(True)`` on CPU, (5) validation runs in
eval mode inside ``fork_rng`` and changes nothing. (Bit-identity needs the same software, thread
count and hardware; the resume test runs both runs on one machine.)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import random
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from itmn.atomic import link_or_copy, write_json
from itmn.errors import CheckpointError, ConfigError, ItmnError, OutputError
from itmn.runinfo import collect_run_metadata
from itmn.train import checkpoint as ckpt
from itmn.train import distributed as ddp
from itmn.train.config import TrainConfig, config_hash, to_dict, validate
from itmn.train.logs import CsvLog, TensorBoard, plot_run
from itmn.train.tasks import Task, build_task
from itmn.train.validation import MetricFn

#: Minimum seconds between plot refreshes during training.
PLOT_INTERVAL_S = 300.0


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT/SIGTERM arrived: the current step was finished and a checkpoint written."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


def lr_factor(config: TrainConfig, iteration: int) -> float:
    """Learning-rate multiplier for (0-based) ``iteration``: ``gamma ** (milestones passed)``."""
    s = config.schedule
    if s.kind == "constant":
        return 1.0
    passed = sum(iteration >= round(m * config.run.iterations) for m in s.milestones)
    return s.gamma**passed


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class _StopFlag:
    """SIGINT/SIGTERM set a flag the loop checks after each iteration; a second SIGINT aborts."""

    def __init__(self) -> None:
        self.signum = 0
        self._old: dict[int, Any] = {}

    def install(self) -> None:
        if not _in_main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum and signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl-C: leave now, the last checkpoint stays valid
        self.signum = signum
        print(f"\n[itmn train] {signal.Signals(signum).name} received: finishing this iteration and "
              "writing a checkpoint (Ctrl-C again to abort without one)", file=sys.stderr, flush=True)  # fmt: skip

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


# --------------------------------------------------------------------------- data
def open_data(config: TrainConfig) -> tuple[Any, Any, Path]:
    """(train PairDataset, PreparedDataset, root) of ``data.dataset`` (contract: itmn.data)."""
    from itmn.data.dataset import PairDataset, PreparedDataset
    from itmn.data.registry import resolve_prepared

    root = Path(resolve_prepared(config.data.dataset, cache=config.data.cache))
    prepared = PreparedDataset(root)
    tmos = list(config.data.tmos) if config.data.tmos is not None else None
    train = PairDataset(
        root, "train", config.data.crop, tmos=tmos, flips=config.data.flips, seed=config.run.seed
    )
    return train, prepared, root


# --------------------------------------------------------------------------- run
def run_training(
    config: TrainConfig,
    out_dir: str | Path,
    resume: bool = True,
    *,
    validation_metrics: Mapping[str, MetricFn] | None = None,
) -> Path:
    """Train ``config`` in ``out_dir`` and return the run folder.

    ``validation_metrics`` (name -> ``fn(test, ref) -> float`` on BT.2020 cd/m^2 images) are the
    scores logged to ``val.csv`` on the validation images; the caller chooses them (the command
    line passes the metric registry's mpsnr and ssim). None: no validation.

    * Finished run with the same :func:`config_hash` in ``out_dir``: nothing is trained, the folder
      is returned (so reproduction scripts reuse it).
    * Unfinished run: continued from ``checkpoints/last.pt`` when ``resume`` is true; refused
      (ConfigError) otherwise, so nothing is overwritten by accident.
    * A checkpoint of another configuration or architecture, or a corrupt one: CheckpointError.

    SIGINT/SIGTERM: the current iteration finishes, a checkpoint is written, run.json says
    ``interrupted`` and :class:`TrainingInterrupted` is raised.
    """
    validate(config)
    out = Path(out_dir)
    dist = ddp.detect()
    device = ddp.resolve_device(config.run.device, dist)
    ddp.init(dist, device)
    # Process-wide torch settings the run changes; restored so a library caller is left as it was.
    saved = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.benchmark,
    )
    try:
        with _run_lock(out, dist.is_main):
            return _Run(config, out, dist, device, validation_metrics or {}).execute(resume)
    finally:
        torch.set_num_threads(saved[0])
        torch.use_deterministic_algorithms(saved[1])
        torch.backends.cudnn.benchmark = saved[2]
        ddp.shutdown(dist)


@contextlib.contextmanager
def _run_lock(out: Path, is_main: bool) -> Iterator[None]:
    """Hold an exclusive lock on ``<run>/.lock`` while training, so that two processes (a
    forgotten background run, a second reproduction) never write the same run folder. The
    kernel releases the lock when the process dies, even by SIGKILL, so a killed run can be
    resumed at once. Only rank 0 of a DDP job locks (the ranks share the folder)."""
    if not is_main:
        yield
        return
    import fcntl

    try:
        out.mkdir(parents=True, exist_ok=True)
        fh = open(out / ".lock", "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise OutputError.from_oserror(out, exc) from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise ItmnError(f"run folder {out} is being trained by another process (pid {holder}); "
                            "wait for it or stop it, then resume") from None  # fmt: skip
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


class _Run:
    def __init__(
        self, config: TrainConfig, out: Path, dist: ddp.DistInfo, device: torch.device,
        metrics: Mapping[str, MetricFn],
    ) -> None:  # fmt: skip
        self.config, self.out, self.dist, self.device = config, out, dist, device
        self.metrics = dict(metrics)
        self.ckpt_dir = out / "checkpoints"
        self.main = dist.is_main
        self.stop = _StopFlag()
        self.log: CsvLog | None = None
        self.val_log: CsvLog | None = None
        self.tb: TensorBoard | None = None
        self.run_info: dict[str, Any] = {}
        self._last_plot = time.perf_counter()

    # ----------------------------------------------------------------- setup
    def _setup_torch(self) -> None:
        cfg = self.config.run
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        if self.device.type == "cpu":
            torch.use_deterministic_algorithms(True)
        else:
            torch.backends.cudnn.benchmark = True
        random.seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)  # noqa: NPY002 - seeds code that uses the legacy global state
        torch.manual_seed(cfg.seed)

    def execute(self, resume: bool) -> Path:
        cfg_dict = to_dict(self.config)
        self.hash = config_hash(self.config)
        existing, last, problem = self._resume_point()
        if existing is not None:
            ckpt.check_config(existing, last, self.hash, cfg_dict)
            if existing.get("finished"):
                if self.main:
                    if problem:
                        print(f"[itmn train] {problem}; {last.name} holds the finished run", file=sys.stderr)
                        link_or_copy(last, self.ckpt_dir / ckpt.LAST)
                    print(f"[itmn train] {self.out}: finished run with the same configuration "
                          f"(hash {self.hash[:12]}, {existing['iteration']} iterations) -- reusing it", file=sys.stderr)  # fmt: skip
                    self._repair_finished(existing)
                return self.out
            if not resume:
                where = (f"{problem}; the newest intact checkpoint is {last.name} (iteration {existing['iteration']})"
                         if problem else f"checkpoint at iteration {existing['iteration']}")  # fmt: skip
                raise ConfigError(
                    f"{self.out}: holds an unfinished run ({where}); pass --resume to continue it from there, "
                    "or choose another --out folder"
                )
            if problem and self.main:
                print(f"[itmn train] {problem}; resuming from the newest intact checkpoint {last.name} "
                      f"(iteration {existing['iteration']})", file=sys.stderr)  # fmt: skip
                self._set_aside_corrupt(existing_path=last)

        self._setup_torch()
        amp = ddp.amp_dtype(self.config.run.amp, self.device)
        cl = self.config.run.channels_last == "on" or (
            self.config.run.channels_last == "auto" and self.device.type == "cuda"
        )
        task = build_task(self.config, self.device, self.dist, amp, cl)
        options = task.resolved_options()
        if options is not None:  # config.json says what was built
            cfg_dict["model"]["options"] = options
        self.cfg_dict = cfg_dict
        train_ds, prepared, root = open_data(self.config)

        start, wall = 0, 0.0
        if existing is None and self.main and (self.out / "run.json").exists():
            print(f"[itmn train] {self.out}: the earlier run stopped before its first checkpoint; "
                  "starting again from iteration 0", file=sys.stderr)  # fmt: skip
        if existing is not None:
            ckpt.check_compatible(existing, last, self.hash, cfg_dict, task.nets)
            start, wall = self._restore(existing, task)
        del existing

        from itmn.train.validation import Validator

        validator = (
            Validator(prepared, self.config.data.val_tmo, self.metrics, self.config.data.val_images)
            if self.main
            else None
        )
        try:
            if self.main:
                self._open_outputs(start, task, validator, root, amp, cl, train_ds, prepared)
            self.stop.install()
            try:
                self._loop(task, train_ds, validator, start, wall)
            finally:
                self.stop.restore()
                for log in (self.log, self.val_log):
                    if log:
                        log.close()
                if self.tb:
                    self.tb.close()
        except TrainingInterrupted:
            raise
        except BaseException as exc:  # run.json must not keep saying "running" (later read as "killed")
            self._record_failure(exc)
            raise
        return self.out

    def _record_failure(self, exc: BaseException) -> None:
        """Mark the run and this session ``failed`` (``aborted`` for a second Ctrl-C) in run.json,
        with the error, when run.json was written by this session."""
        if not self.main or not self.run_info:
            return
        status = "aborted" if isinstance(exc, KeyboardInterrupt) else "failed"
        error = f"{type(exc).__name__}: {exc}"
        self.session.update(ended_utc=_now(), status=status, error=error)
        self.run_info.update(status=status, error=error)
        with contextlib.suppress(OSError, ItmnError):  # e.g. the full disk that caused the failure
            write_json(self.out / "run.json", self.run_info)

    def _resume_point(self) -> tuple[dict[str, Any] | None, Path, str | None]:
        """(checkpoint, its file, what was wrong) to continue from: ``last.pt`` when it verifies,
        else the newest periodic ``iter_*.pt`` that verifies (``last.pt`` may be missing, or
        corrupt together with the periodic file it is a hard link of), with the problem in
        words. (None, last.pt, None) for a fresh run folder. A run that got further than any
        intact checkpoint shows (run.json records a checkpointed iteration, or only corrupt
        checkpoints are left) is refused with what to do: restarting from iteration 0 would
        silently overwrite its log and mix old and new checkpoints."""
        last = self.ckpt_dir / ckpt.LAST
        problem = None
        if last.exists():
            try:
                return ckpt.read_checkpoint(last), last, None
            except CheckpointError as exc:
                problem = str(exc)
        elif self.ckpt_dir.is_dir() and any(self.ckpt_dir.glob("iter_*.pt")):
            problem = f"{last}: missing"
        self._corrupt: list[Path] = [last] if problem and last.exists() else []
        for p in sorted(self.ckpt_dir.glob("iter_*.pt"), reverse=True) if self.ckpt_dir.is_dir() else []:
            try:
                return ckpt.read_checkpoint(p), p, problem
            except CheckpointError:
                self._corrupt.append(p)
        info = _read_json(self.out / "run.json")
        reached = int(info.get("iteration") or 0) if isinstance(info.get("iteration"), int) else 0
        if problem or self._corrupt or reached > 0:
            found = ", ".join(p.name for p in self._corrupt) or "none"
            raise CheckpointError(
                f"{self.out}: holds a run that reached iteration {reached or '?'} but has no intact checkpoint to "
                f"continue from ({problem or 'checkpoints/ is empty'}; corrupt: {found}); training again would "
                "restart from iteration 0 and overwrite its log -- delete the folder or choose another --out folder"
            )
        return None, last, None

    def _set_aside_corrupt(self, existing_path: Path) -> None:
        """Rename the corrupt checkpoints found by :meth:`_resume_point` to ``*.corrupt`` (kept for
        inspection; out of the way of the periodic-checkpoint rotation)."""
        for p in getattr(self, "_corrupt", []):
            if p != existing_path and p.exists():
                os.replace(p, p.with_name(p.name + ".corrupt"))
                print(f"[itmn train] set aside the corrupt {p.name} as {p.name}.corrupt", file=sys.stderr)

    def _repair_finished(self, ck: dict[str, Any]) -> None:
        """A process killed after writing its final checkpoint but before updating run.json (or
        plotting) left a finished run that says 'running': complete the bookkeeping."""
        info = _read_json(self.out / "run.json")
        if info.get("status") == "finished":
            return
        for s in info.get("sessions", []):
            if s.get("status") == "running":
                s["status"] = "killed after its final checkpoint (bookkeeping completed by a later call)"
        info.update(status="finished", iteration=int(ck["iteration"]), wall_time_s=round(float(ck.get("wall_time_s", 0.0)), 3),
                    last_checkpoint=f"checkpoints/{ckpt.LAST}", finished_utc=_now())  # fmt: skip
        write_json(self.out / "run.json", info)
        if self.config.run.plots:
            plot_run(self.out)

    def _restore(self, ck: dict[str, Any], task: Task) -> tuple[int, float]:
        for name, net in task.nets.items():
            net.load_state_dict(ck["nets"][name])
        for name, opt in task.optimizers.items():
            opt.load_state_dict(ck["optimizers"][name])
        for name, scaler in task.scalers.items():
            if ck.get("scalers", {}).get(name):
                scaler.load_state_dict(ck["scalers"][name])
        ckpt.set_rng_state(ck["rng"])
        if self.main:
            print(f"[itmn train] resuming {self.out} from iteration {ck['iteration']}", file=sys.stderr)
        return int(ck["iteration"]), float(ck.get("wall_time_s", 0.0))

    def _open_outputs(self, start: int, task: Task, validator: Any, root: Path, amp: Any, cl: bool,
                      train_ds: Any, prepared: Any) -> None:  # fmt: skip
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.out / "config.json", self.cfg_dict)
        old = _read_json(self.out / "run.json")
        sessions = old.get("sessions", [])
        for s in sessions:
            if s.get("status") == "running":
                s["status"] = f"killed (no clean shutdown; the run restarted from iteration {start})"
        self.session = {"started_utc": _now(), "start_iteration": start, "status": "running",
                        "command_line": [Path(sys.argv[0]).name, *sys.argv[1:]]}  # fmt: skip
        sessions.append(self.session)
        self.tb = TensorBoard(self.out / "tensorboard", self.config.run.tensorboard)
        self.run_info = collect_run_metadata(
            device=str(self.device),
            seed=self.config.run.seed,
            config_name=self.config.name,
            config_hash=self.hash,
            kind=self.config.model.kind,
            status="running",
            iteration=start,
            iterations=self.config.run.iterations,
            wall_time_s=0.0,
            iterations_per_s=None,
            world_size=self.dist.world_size,
            amp=str(amp).replace("torch.", "") if amp else "off",
            channels_last=cl,
            deterministic_algorithms=self.device.type == "cpu",
            torch_threads=torch.get_num_threads(),
            parameters={name: sum(p.numel() for p in net.parameters()) for name, net in task.nets.items()},
            dataset={"name": self.config.data.dataset, "root": str(root),
                     "train_images": len(list(prepared.names("train"))), "test_images": len(list(prepared.names("test")))},
            validation=validator.status if validator else "rank 0 only",
            tensorboard=self.tb.status,
            last_checkpoint=None,
            sessions=sessions,
        )  # fmt: skip
        self.run_info["created_utc"] = old.get("created_utc", self.run_info["created_utc"])
        write_json(self.out / "run.json", self.run_info)
        columns = ["iteration", *(task.log_columns or ()), "lr", "time"]
        self.log = CsvLog(self.out / "log.csv", columns)
        self._log_start = start
        if task.log_columns is not None:
            self.log.open(start)
        if validator is not None and validator.enabled:
            self.val_log = CsvLog(self.out / "val.csv", validator.columns()).open(start)
        if validator is not None and not validator.enabled:
            print(f"[itmn train] validation {validator.status}", file=sys.stderr)

    # ----------------------------------------------------------------- loop
    def _loop(self, task: Task, train_ds: Any, validator: Any, start: int, wall0: float) -> None:
        cfg = self.config.run
        total = cfg.iterations
        bar = None
        if self.main and cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=start, desc=self.config.name, unit="it", dynamic_ncols=True)
        t_session = time.perf_counter()
        task.train(True)
        k = start
        try:
            for it in range(start, total):
                lr = task.set_lr_factor(lr_factor(self.config, it))
                batch = ddp.shard(train_ds.batch_for_iteration(it, cfg.batch_size), self.dist)
                logs = task.step(batch, it)
                k = it + 1
                wall = wall0 + time.perf_counter() - t_session
                if self.dist.enabled:
                    logs = {
                        **logs,
                        **ddp.mean_logs(
                            {a: b for a, b in logs.items() if b is not None}, self.dist, self.device
                        ),
                    }
                if self.main:
                    self._log_row(k, logs, lr, wall, task)
                    if bar is not None:
                        bar.update(1)
                        if k % cfg.log_every == 0 or k == total:
                            bar.set_postfix(_postfix(logs), refresh=False)
                stop = ddp.any_flag(bool(self.stop.signum), self.dist, self.device)
                if (cfg.val_every and k % cfg.val_every == 0 and k < total) or k == total:
                    self._validate(k, task, validator)
                if k % cfg.checkpoint_every == 0 or k == total or stop:
                    self._checkpoint(task, k, wall, finished=k == total, session_start=(start, t_session))
                if stop and k < total:
                    self._maybe_plot(force=True)
                    self._finish("interrupted", k, wall, start, t_session)
                    signum = self.stop.signum or signal.SIGTERM
                    raise TrainingInterrupted(
                        f"{self.out}: stopped by {signal.Signals(signum).name} after iteration {k} of {total}; "
                        f"checkpoint written -- continue with --resume", signum)  # fmt: skip
            wall = wall0 + time.perf_counter() - t_session
            if self.main:
                self._maybe_plot(force=True)
                self._finish("finished", k, wall, start, t_session)
        finally:
            if bar is not None:
                bar.close()

    def _log_row(self, k: int, logs: dict[str, Any], lr: float, wall: float, task: Task) -> None:
        assert self.log is not None
        if not self.log.is_open:  # a task without fixed columns: known after the first step
            self.log.columns = ["iteration", *logs.keys(), "lr", "time"]
            self.log.open(self._log_start)
        row = {"iteration": k, **logs, "lr": lr, "time": round(wall, 3)}
        self.log.write(row)
        if self.tb and k % self.config.run.log_every == 0:
            self.tb.scalars(k, {**logs, "lr": lr})

    def _validate(self, k: int, task: Task, validator: Any) -> None:
        if self.dist.enabled:
            ddp.barrier(self.dist)
        if self.main and validator is not None and validator.enabled:
            res = validator.run(
                task.predict_pq, list(task.nets.values()), task.pad_multiple, self.device.type == "cuda"
            )
            assert self.val_log is not None
            self.val_log.write({"iteration": k, **res})
            self.val_log.flush()
            self.run_info["last_validation"] = {"iteration": k, **res}
            if self.tb:
                self.tb.scalars(k, res, prefix="val")
            print(f"[itmn train] validation @ {k}: " + ", ".join(
                f"{m}={res[m]:.4g}" for m in validator.metric_names), file=sys.stderr)  # fmt: skip
            if k < self.config.run.iterations:
                self._maybe_plot()
        if self.dist.enabled:
            ddp.barrier(self.dist)

    def _maybe_plot(self, force: bool = False) -> None:
        """Refresh plots/ at most every PLOT_INTERVAL_S during training (matplotlib is slow), and
        always at the end or on interruption."""
        if not self.main:
            return
        now = time.perf_counter()
        if self.config.run.plots and (force or now - self._last_plot >= PLOT_INTERVAL_S):
            if self.log:
                self.log.flush()
            plot_run(self.out)
            self._last_plot = now

    def _checkpoint(
        self, task: Task, k: int, wall: float, finished: bool, session_start: tuple[int, float]
    ) -> None:
        if self.main:
            payload = {
                "format": "itmn-checkpoint",
                "config": self.cfg_dict,
                "config_hash": self.hash,
                "model_cfg": task.model_cfg,
                "kind": task.kind,
                "iteration": k,
                "finished": finished,
                "nets": {n: net.state_dict() for n, net in task.nets.items()},
                "optimizers": {n: o.state_dict() for n, o in task.optimizers.items()},
                "scalers": {n: s.state_dict() for n, s in task.scalers.items()},
                "architecture": ckpt.architecture(task.nets),
                "rng": ckpt.rng_state(),
                "wall_time_s": wall,
                "world_size": self.dist.world_size,
            }
            if self.log:
                self.log.flush()
            keep = self.config.run.keep_checkpoints
            last = self.ckpt_dir / ckpt.LAST
            if keep > 0:
                periodic = ckpt.save_checkpoint(self.ckpt_dir / f"iter_{k:08d}.pt", payload)
                link_or_copy(periodic, last)
                old = sorted(self.ckpt_dir.glob("iter_*.pt"))[:-keep]
                for f in old:
                    f.unlink()
            else:
                ckpt.save_checkpoint(last, payload)
            start, t0 = session_start
            self.run_info.update(iteration=k, wall_time_s=round(wall, 3), last_checkpoint=str(last.relative_to(self.out)),
                                 iterations_per_s=_rate(k - start, time.perf_counter() - t0))  # fmt: skip
            write_json(self.out / "run.json", self.run_info)
            if not finished:
                self._maybe_plot()
        if self.dist.enabled:
            ddp.barrier(self.dist)

    def _finish(self, status: str, k: int, wall: float, start: int, t0: float) -> None:
        if not self.main:
            return
        rate = _rate(k - start, time.perf_counter() - t0)
        self.session.update(ended_utc=_now(), end_iteration=k, status=status, iterations_per_s=rate)
        self.run_info.update(status=status, iteration=k, wall_time_s=round(wall, 3), iterations_per_s=rate,
                             finished_utc=_now() if status == "finished" else None)  # fmt: skip
        write_json(self.out / "run.json", self.run_info)
        if status == "finished":
            print(f"[itmn train] finished {k} iterations in {wall:.1f} s ({rate} it/s this session): {self.out}",
                  file=sys.stderr)  # fmt: skip


def _rate(n: int, seconds: float) -> float | None:
    return round(n / seconds, 4) if n > 0 and seconds > 0 else None


def _postfix(logs: dict[str, Any]) -> dict[str, str]:
    return {
        k: f"{v:.3g}"
        for k, v in logs.items()
        if isinstance(v, float) and k in ("content", "adv_g", "adv_d", "loss_up", "loss_down")
    }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def is_finished(run_dir: str | Path, config: TrainConfig | None = None) -> bool:
    """True when ``run_dir`` holds a finished run (run.json status and a final checkpoint), of
    ``config`` if given (same :func:`config_hash`)."""
    run_dir = Path(run_dir)
    info = _read_json(run_dir / "run.json")
    if info.get("status") != "finished" or not (run_dir / "checkpoints" / ckpt.LAST).is_file():
        return False
    if config is not None and info.get("config_hash") != config_hash(config):
        return False
    try:
        return bool(ckpt.read_checkpoint(run_dir / "checkpoints" / ckpt.LAST).get("finished"))
    except CheckpointError:
        return False
