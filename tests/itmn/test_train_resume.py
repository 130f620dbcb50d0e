"""Kill-and-resume: a seeded CPU training run killed with SIGKILL (after a checkpoint, and at a
random moment) or stopped with SIGTERM, then resumed, ends with weights, optimizer states and
logs bit-identical to an uninterrupted run. Every run is a separate ``itmn train`` process.

The random moment is drawn from a seed, DEFAULT_KILL_SEED unless ``ITMN_KILL_SEED=<int>`` is set
(to replay a failure or to explore others); the test prints it and every assertion names it. The
seed fixes the moment as a fraction of the uninterrupted run's duration, measured in the same
session, so a replay kills at the same point of the run up to the machine's timing noise."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import itmn_train_test_support as ts  # registered by tests/conftest.py
import pytest

from itmn.train.config import to_dict

ENTRY = Path(ts.__file__).resolve()
ITERATIONS = 40
DEFAULT_KILL_SEED = 271828


def _kill_seed() -> int:
    """``ITMN_KILL_SEED`` when set (an integer), else DEFAULT_KILL_SEED."""
    raw = os.environ.get("ITMN_KILL_SEED", "").strip()
    if not raw:
        return DEFAULT_KILL_SEED
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"ITMN_KILL_SEED must be an integer, got {raw!r}") from None


def _itmn_train(config: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ENTRY), "train", "--config", str(config), "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data = ts.session_dataset(tmp_path_factory)
    root = tmp_path_factory.mktemp("resume")
    cfg = ts.tiny_config(data, **{"run.iterations": ITERATIONS, "run.checkpoint_every": 4, "data.val_images": 1,
                                  "run.plots": False})  # fmt: skip
    cfg_file = root / "tiny.json"
    cfg_file.write_text(json.dumps(to_dict(cfg)))
    t0 = time.perf_counter()
    rc, err = _finish(_itmn_train(cfg_file, root / "reference"))
    assert rc == 0, err
    return {
        "config": cfg_file,
        "root": root,
        "reference": root / "reference",
        "seconds": time.perf_counter() - t0,
    }


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"training exited before writing {path}: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < end, f"no {path} after {timeout} s"
        time.sleep(0.01)


def _resume_and_compare(setup: dict, run: Path, context: str = "") -> None:
    """Resume ``run`` and compare it with the reference; ``context`` starts every failure message."""
    at = f"[{context}] " if context else ""
    rc, err = _finish(_itmn_train(setup["config"], run, "--resume"))
    assert rc == 0, at + err
    ts.assert_bit_identical(ts.state_dicts(run), ts.state_dicts(setup["reference"]), at + "state")
    ref_log = [line.split(",")[:-1] for line in (setup["reference"] / "log.csv").read_text().splitlines()]
    log = [line.split(",")[:-1] for line in (run / "log.csv").read_text().splitlines()]
    # every loss of every iteration, minus the wall-clock column
    assert log == ref_log, at + "log.csv differs"
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["iteration"] == ITERATIONS, at + str(info)


def test_sigkill_after_a_checkpoint(setup: dict) -> None:
    run = setup["root"] / "killed"
    proc = _itmn_train(setup["config"], run)
    _wait_for(run / "checkpoints" / "last.pt", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = ts.state_dicts(run)["iteration"]
    assert killed_at < ITERATIONS, "the run finished before it could be killed; make it longer"
    assert json.loads((run / "run.json").read_text())["status"] == "running"  # no chance to say anything
    _resume_and_compare(setup, run)
    sessions = json.loads((run / "run.json").read_text())["sessions"]
    assert sessions[0]["status"].startswith("killed") and sessions[1]["status"] == "finished"


@pytest.mark.slow
def test_sigkill_at_a_random_moment(setup: dict) -> None:
    seed = _kill_seed()
    fraction = random.Random(seed).random()
    delay = fraction * setup["seconds"]
    replay = (f"ITMN_KILL_SEED={seed}: killed after {delay:.2f} s, {fraction:.3f} of the "
              f"uninterrupted run's {setup['seconds']:.2f} s")  # fmt: skip
    print(replay)
    run = setup["root"] / f"random-{seed}"
    proc = _itmn_train(setup["config"], run)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    print(f"last checkpoint: "
          f"{ts.state_dicts(run)['iteration'] if (run / 'checkpoints' / 'last.pt').exists() else None}")  # fmt: skip
    _resume_and_compare(setup, run, replay)


@pytest.mark.slow
def test_sigterm_writes_a_checkpoint_and_says_so(setup: dict) -> None:
    run = setup["root"] / "terminated"
    proc = _itmn_train(setup["config"], run)
    _wait_for(run / "checkpoints" / "last.pt", proc)
    proc.send_signal(signal.SIGTERM)
    rc, err = _finish(proc)
    if rc == 0:
        pytest.skip("the run finished before SIGTERM arrived")
    assert rc == 128 + signal.SIGTERM, err
    assert "SIGTERM received" in err and "continue with --resume" in err
    info = json.loads((run / "run.json").read_text())
    stopped = ts.state_dicts(run)["iteration"]
    assert info["status"] == "interrupted" and info["iteration"] == stopped < ITERATIONS
    _resume_and_compare(setup, run)
