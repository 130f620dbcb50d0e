"""The training loop in-process: run folder, reuse of finished runs, interruption and resume,
refusal of foreign checkpoints, validation isolation, ablations, schedule, a model kind of another
package."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import itmn_train_test_support as ts  # registered by tests/conftest.py
import numpy as np
import pytest
import torch
from torch import nn

from itmn.errors import CheckpointError, ConfigError
from itmn.train import config_hash
from itmn.train import trainer as trainer_mod
from itmn.train.checkpoint import read_checkpoint
from itmn.train.trainer import TrainingInterrupted, lr_factor


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ts.session_dataset(tmp_path_factory)


@pytest.fixture(scope="module")
def reference(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted tiny iTMN run (validation at the end only)."""
    return ts.run_training(ts.tiny_config(dataset), tmp_path_factory.mktemp("ref") / "run")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_run_folder(reference: Path, dataset: Path) -> None:
    info = json.loads((reference / "run.json").read_text())
    assert info["status"] == "finished" and info["iteration"] == 12 and info["iterations"] == 12
    assert info["seed"] == 0 and info["config_hash"] == config_hash(ts.tiny_config(dataset))
    for key in ("command_line", "git", "versions", "device", "wall_time_s", "iterations_per_s", "sessions"):
        assert key in info, key
    assert info["iterations_per_s"] > 0 and info["sessions"][-1]["status"] == "finished"
    cfg = json.loads((reference / "config.json").read_text())
    assert cfg["model"]["generator"]["widths"] == [4, 8, 8, 8, 8]
    rows = _rows(reference / "log.csv")
    assert [int(r["iteration"]) for r in rows] == list(range(1, 13))
    assert list(rows[0]) == [
        "iteration",
        "content",
        "mse",
        "dmse",
        "alpha",
        "adv_g",
        "adv_d",
        "g_loss",
        "d_loss",
        "lr",
        "time",
    ]
    r = rows[0]
    assert float(r["content"]) == pytest.approx(float(r["mse"]) + 1e5 * float(r["dmse"]), rel=1e-5)
    assert float(r["g_loss"]) == pytest.approx(1e4 * float(r["content"]) + float(r["adv_g"]), rel=1e-5)
    assert float(r["adv_d"]) == pytest.approx(-float(r["d_loss"]))
    val = _rows(reference / "val.csv")
    assert (
        [v["iteration"] for v in val] == ["12"]
        and float(val[0]["mpsnr"]) > 0
        and 0 < float(val[0]["ssim"]) <= 1
    )
    assert {p.name for p in (reference / "plots").iterdir()} >= {
        "content_loss.png",
        "adversarial.png",
        "validation.png",
    }
    ck = read_checkpoint(reference / "checkpoints" / "last.pt")
    assert ck["finished"] and ck["iteration"] == 12 and set(ck["nets"]) == {"generator", "discriminator"}
    assert [p.name for p in (reference / "checkpoints").glob("iter_*.pt")] == [
        "iter_00000012.pt"
    ]  # keep_checkpoints=1


def test_finished_run_is_reused(reference: Path, dataset: Path) -> None:
    before = (reference / "log.csv").stat().st_mtime_ns
    assert ts.run_training(ts.tiny_config(dataset, **{"run.checkpoint_every": 6}), reference) == reference
    assert (reference / "log.csv").stat().st_mtime_ns == before
    from itmn.train import is_finished

    assert is_finished(reference, ts.tiny_config(dataset))
    assert not is_finished(reference, ts.tiny_config(dataset, **{"run.seed": 3}))


def test_other_configuration_is_refused(reference: Path, dataset: Path) -> None:
    with pytest.raises(CheckpointError, match=r"another configuration .*optim\.lr: 0\.0001 vs 0\.001"):
        ts.run_training(ts.tiny_config(dataset, **{"optim.lr": 1e-3}), reference)


class _StopAfter(trainer_mod._StopFlag):
    """A stop flag that 'receives' SIGTERM after ``n`` polls (no real signal in-process)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self._n, self._polls = n, 0

    @property  # type: ignore[override]
    def signum(self) -> int:
        self._polls += 1
        return int(signal.SIGTERM) if self._polls > self._n else 0

    @signum.setter
    def signum(self, value: int) -> None:
        pass


def test_interrupt_then_resume_is_bit_identical(reference: Path, dataset: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    run = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(
            trainer_mod, "_StopFlag", lambda: _StopAfter(4)
        )  # the 5th poll (after iteration 5) sees the signal
        with pytest.raises(TrainingInterrupted, match="stopped by SIGTERM after iteration 5 of 12"):
            ts.run_training(ts.tiny_config(dataset), run)
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "interrupted" and info["iteration"] == 5
    assert read_checkpoint(run / "checkpoints" / "last.pt")["iteration"] == 5
    with pytest.raises(ConfigError, match="pass --resume"):
        ts.run_training(ts.tiny_config(dataset), run, resume=False)
    ts.run_training(ts.tiny_config(dataset), run, resume=True)
    ts.assert_bit_identical(ts.state_dicts(run), ts.state_dicts(reference))
    rows = _rows(run / "log.csv")
    assert [int(r["iteration"]) for r in rows] == list(range(1, 13))
    ref_rows = _rows(reference / "log.csv")
    assert [r["content"] for r in rows] == [r["content"] for r in ref_rows]
    sessions = json.loads((run / "run.json").read_text())["sessions"]
    assert [s["status"] for s in sessions] == ["interrupted", "finished"]


def test_validation_does_not_change_training(reference: Path, dataset: Path, tmp_path: Path) -> None:
    run = ts.run_training(ts.tiny_config(dataset, **{"run.val_every": 1, "data.val_images": 2}), tmp_path / "v")
    ts.assert_bit_identical(ts.state_dicts(run), ts.state_dicts(reference))
    assert len(_rows(run / "val.csv")) == 12


def test_noadvreg_builds_no_discriminator(dataset: Path, tmp_path: Path) -> None:
    run = ts.run_training(
        ts.tiny_config(dataset, **{"loss.adversarial": False, "run.iterations": 3}), tmp_path / "n"
    )
    ck = read_checkpoint(run / "checkpoints" / "last.pt")
    assert set(ck["nets"]) == {"generator"} and set(ck["optimizers"]) == {"generator"}
    rows = _rows(run / "log.csv")
    assert all(r["adv_g"] == "" and r["adv_d"] == "" for r in rows)
    assert float(rows[0]["g_loss"]) == pytest.approx(1e4 * float(rows[0]["content"]), rel=1e-6)


def test_nodmse_content_is_mse(dataset: Path, tmp_path: Path) -> None:
    run = ts.run_training(ts.tiny_config(dataset, **{"loss.alpha": 0.0, "run.iterations": 2}), tmp_path / "d")
    for r in _rows(run / "log.csv"):
        assert float(r["content"]) == float(r["mse"]) and float(r["dmse"]) > 0


def test_step_schedule(dataset: Path, tmp_path: Path) -> None:
    cfg = ts.tiny_config(
        dataset, **{"run.iterations": 8, "schedule.milestones": (0.5, 0.75), "schedule.gamma": 0.5}
    )
    assert [lr_factor(cfg, i) for i in range(8)] == [1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25]
    run = ts.run_training(cfg, tmp_path / "s")
    assert [float(r["lr"]) for r in _rows(run / "log.csv")] == [
        1e-4 * f for f in (1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25)
    ]


# --------------------------------------------------------------------------- another model kind
class _Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(0.5))
        self.multiple = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.w


def _two_net_kind() -> Any:
    """A model kind of 'another package' with two one-parameter 'networks'. The up loss also
    depends on the down network, whose own loss has zero gradient: if the trainer stepped the
    down network on anything but its own loss, its weight would move."""
    from itmn.train.kinds import ModelKind
    from itmn.train.tasks import Task

    defaults = {"width": 64, "gain": 1.0}

    class TwoNets(Task):
        kind = "twonets"

        def __init__(self, config: Any, device: Any, dist: Any, amp: Any, channels_last: bool) -> None:
            super().__init__(config, device, dist, amp, channels_last)
            self.model_cfg = {**defaults, **config.model.options, "kind": "twonets"}
            assert self.model_cfg["width"] == 3  # defaults merged with model.options
            for name in ("up", "down"):
                self._add(name, _Scale(), config.optim.lr)

        def step(self, batch: dict, iteration: int) -> dict:
            x, y = self._tensor(batch["ldr"]), self._tensor(batch["hdr"])
            for opt in self.optimizers.values():
                opt.zero_grad(set_to_none=True)
            up = ((self.nets["up"](x) - y) ** 2).mean() + (self.nets["down"](x) ** 2).mean()
            down = 0.0 * self.nets["down"](x).sum()
            self._apply("up", up, inputs=list(self.nets["up"].parameters()), retain_graph=True)
            self._apply("down", down, inputs=list(self.nets["down"].parameters()))
            return {"loss_up": float(up.detach()), "loss_down": float(down.detach()), "mean_ldr": float(x.mean())}

        def predict_pq(self, ldr: torch.Tensor) -> torch.Tensor:
            return self.nets["up"](self._tensor(ldr)).clamp(0, 1)

        @property
        def pad_multiple(self) -> int:
            return 1

        def resolved_options(self) -> dict[str, Any] | None:
            return {k: v for k, v in self.model_cfg.items() if k != "kind"}

    return ModelKind("twonets", "two scalar networks (test)", TwoNets, provider="tests")


def test_a_registered_model_kind_trains_through_the_same_trainer(dataset: Path, tmp_path: Path) -> None:
    from itmn.train import kinds

    kinds.register_model_kind(_two_net_kind(), replace=True)
    try:
        cfg = ts.tiny_config(dataset, **{"model.kind": "twonets", "model.options": {"width": 3},
                                          "loss.adversarial": False, "optim.name": "adam", "optim.lr": 0.05,
                                          "run.iterations": 6})  # fmt: skip
        run = ts.run_training(cfg, tmp_path / "two")
    finally:
        kinds.unregister_model_kind("twonets")
    ck = read_checkpoint(run / "checkpoints" / "last.pt")
    assert set(ck["nets"]) == {"up", "down"} and set(ck["optimizers"]) == {"up", "down"}
    assert float(ck["nets"]["up"]["w"]) != 0.5  # stepped on its own loss
    assert float(ck["nets"]["down"]["w"]) == 0.5  # its own loss has no gradient
    assert ck["model_cfg"] == {"width": 3, "gain": 1.0, "kind": "twonets"}
    saved = json.loads((run / "config.json").read_text())
    assert saved["model"]["options"] == {"width": 3, "gain": 1.0}  # resolved options are recorded
    rows = _rows(run / "log.csv")
    assert list(rows[0]) == ["iteration", "loss_up", "loss_down", "mean_ldr", "lr", "time"] and len(rows) == 6
    assert (run / "val.csv").exists()
    from itmn.train.checkpoint import load_for_inference

    config, sds = load_for_inference(run)
    assert config["model"] == {"width": 3, "gain": 1.0, "kind": "twonets"} and set(sds) == {"up", "down"}


def test_an_unknown_model_kind_is_refused_with_the_registered_ones(dataset: Path) -> None:
    from itmn.train.config import validate

    with pytest.raises(ConfigError, match="unknown model kind 'nosuch'; registered kinds: itmn"):
        validate(ts.tiny_config(dataset, **{"model.kind": "nosuch"}))


def test_corrupt_last_checkpoint_is_refused_with_a_hint(dataset: Path, tmp_path: Path) -> None:
    """Without resume, a corrupt last.pt (and the iter_*.pt it is a hard link of) is refused
    naming the newest intact checkpoint; with resume the run continues from it (issue 12:
    tests/itmn/test_train_faults.py)."""
    cfg = ts.tiny_config(
        dataset, **{"run.iterations": 4, "run.checkpoint_every": 2, "run.keep_checkpoints": 2}
    )
    run = ts.run_training(cfg, tmp_path / "c")
    last = run / "checkpoints" / "last.pt"
    last.write_bytes(last.read_bytes()[:-10])
    with pytest.raises(
        ConfigError,
        match=r"last.pt: truncated .* the newest intact checkpoint is iter_00000002.pt .* --resume",
    ):
        ts.run_training(cfg, run, resume=False)


def test_a_run_folder_is_trained_by_one_process_at_a_time(tmp_path: Path) -> None:
    """While one process holds a run folder, a second trainer is refused with the holder's pid;
    the lock goes away with its holder (also after SIGKILL: the kernel drops flock locks)."""
    import fcntl
    import os

    from itmn.train.trainer import _run_lock

    out = tmp_path / "run"
    with _run_lock(out, True):
        assert (out / ".lock").read_text() == str(os.getpid())
        with open(out / ".lock") as other:  # a second open file description, as another process has
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = (
            "import sys\nfrom pathlib import Path\nfrom itmn.train.trainer import _run_lock\n"
            f"with _run_lock(Path({str(out)!r}), True): pass\n"
        )
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert res.returncode != 0 and f"pid {os.getpid()}" in res.stderr
        assert "ItmnError" in res.stderr or "another process" in res.stderr
    # released: now the other process gets it
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]


def test_paper_profile_model_trains_on_cpu(dataset: Path, tmp_path: Path) -> None:
    """The paper-size generator and discriminator (the `paper` profile's networks, meant for a GPU)
    go through two real iterations on the CPU with small crops: the architecture, the losses and
    the checkpoint of the paper configuration work before anyone rents a GPU for 80,000
    iterations. (AMP and channels_last are CUDA-only and not exercised here.)"""
    from itmn.train.config import set_value
    from itmn.train.profiles import get_profile

    paper = get_profile("paper")
    cfg = ts.tiny_config(dataset)
    cfg.model = paper.model  # the paper's networks, unchanged
    cfg.loss = paper.loss
    for k, v in {"data.crop": 64, "run.batch_size": 2, "run.iterations": 2, "run.checkpoint_every": 2}.items():
        set_value(cfg, k, v)
    run = ts.run_training(cfg, tmp_path / "paper-cpu")
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["iteration"] == 2
    nets = read_checkpoint(run / "checkpoints" / "last.pt")["nets"]
    n_gen = sum(t.numel() for t in nets["generator"].values())
    # pix2pix-size U-Net (widths 64-128-256-512-512, 4x4 kernels): tens of millions of parameters
    assert n_gen > 10_000_000, n_gen
    rows = _rows(run / "log.csv")
    assert rows and all(float(r["content"]) == float(r["content"]) for r in rows)  # finite, logged


def test_itmn_step_under_bf16_autocast_and_channels_last(dataset: Path) -> None:
    """The mixed-precision path the trainer takes on CUDA (autocast + channels_last), exercised on
    the CPU with bf16 autocast, which CPU torch supports: both steps run, losses stay finite, both
    networks learn. The fp16 GradScaler and the CUDA kernels themselves need a GPU and are not
    covered here."""
    from itmn.train.distributed import DistInfo
    from itmn.train.tasks import build_task

    cfg = ts.tiny_config(dataset)
    torch.manual_seed(0)
    task = build_task(cfg, torch.device("cpu"), DistInfo(), torch.bfloat16, True)
    assert all(
        p.is_contiguous(memory_format=torch.channels_last) for p in task.nets["generator"].parameters() if p.ndim == 4
    )
    before = {n: [p.detach().clone() for p in net.parameters()] for n, net in task.nets.items()}
    g = torch.Generator().manual_seed(1)
    batch = {"ldr": torch.rand(2, 3, 32, 32, generator=g), "hdr": torch.rand(2, 3, 32, 32, generator=g)}
    task.train()
    for it in range(2):
        logs = task.step(batch, it)
        finite = [v for v in logs.values() if isinstance(v, float)]
        assert finite and all(np.isfinite(finite)), logs
    for name, net in task.nets.items():
        changed = any(not torch.equal(a, b) for a, b in zip(before[name], net.parameters()))
        assert changed, f"{name} did not change under bf16 autocast"
