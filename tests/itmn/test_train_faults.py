"""Missing or corrupt checkpoints and failed setups (issue 12, class 4 and class 7).

``itmn train --resume`` restarted from iteration 0 without a word when ``last.pt`` was missing
while intact ``iter_*.pt`` were there, overwriting ``log.csv`` and mixing old and new
checkpoints. It now resumes from the newest intact checkpoint and says so, or refuses with what
to do. A run that fails after it started says ``failed`` in run.json instead of ``running``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import itmn_train_test_support as ts  # registered by tests/itmn/conftest.py
import pytest

from itmn.errors import CheckpointError, ConfigError, ItmnError

ITERATIONS = 12


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    data = ts.session_dataset(tmp_path_factory)
    cfg = ts.tiny_config(data, **{"run.iterations": ITERATIONS, "run.checkpoint_every": 4, "run.keep_checkpoints": 3,
                                  "run.plots": False})  # fmt: skip
    run = ts.run_training(cfg, tmp_path_factory.mktemp("faults-train") / "reference")
    return cfg, run


def _killed_copy(reference: tuple[object, Path], tmp_path: Path, keep: tuple[int, ...]) -> Path:
    """The reference run as a kill after iteration ``max(keep)``'s checkpoint would leave it, minus
    last.pt: the newer periodic checkpoints gone, run.json saying 'running'."""
    _, ref = reference
    run = tmp_path / "run"
    shutil.copytree(ref, run)
    ck = run / "checkpoints"
    (ck / "last.pt").unlink()
    for p in ck.glob("iter_*.pt"):
        if int(p.stem.split("_")[1]) not in keep:
            p.unlink()
    info = json.loads((run / "run.json").read_text())
    info.update(status="running", iteration=max(keep) if keep else 0)
    info["sessions"][-1]["status"] = "running"
    (run / "run.json").write_text(json.dumps(info))
    return run


def _log(run: Path) -> list[list[str]]:
    return [line.split(",")[:-1] for line in (run / "log.csv").read_text().splitlines()]  # minus wall time


def test_missing_last_checkpoint_resumes_from_the_newest_intact_one(reference, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg, ref = reference
    run = _killed_copy(reference, tmp_path, keep=(4, 8))
    ts.run_training(cfg, run, resume=True)
    err = capsys.readouterr().err
    assert "last.pt: missing; resuming from the newest intact checkpoint iter_00000008.pt (iteration 8)" in err
    ts.assert_bit_identical(ts.state_dicts(run), ts.state_dicts(ref), "state")
    assert _log(run) == _log(ref)  # rows 9-12 of the killed run were dropped and written again
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["sessions"][-1]["start_iteration"] == 8


def test_missing_last_checkpoint_without_resume_is_refused_with_what_to_do(reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = reference
    run = _killed_copy(reference, tmp_path, keep=(4, 8))
    before = (run / "log.csv").read_bytes()
    with pytest.raises(ConfigError, match=r"last.pt: missing; the newest intact checkpoint is iter_00000008.pt .*--resume"):
        ts.run_training(cfg, run, resume=False)
    assert (run / "log.csv").read_bytes() == before


def test_corrupt_last_and_newest_checkpoints_resume_from_an_older_one(reference, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """last.pt is a hard link of the newest iter_*.pt: truncating one truncates both."""
    cfg, ref = reference
    run = _killed_copy(reference, tmp_path, keep=(4, 8))
    ck = run / "checkpoints"
    shutil.copyfile(ck / "iter_00000008.pt", ck / "last.pt")
    for name in ("last.pt", "iter_00000008.pt"):
        (ck / name).write_bytes((ck / name).read_bytes()[:-100])
    ts.run_training(cfg, run, resume=True)
    err = capsys.readouterr().err
    assert "resuming from the newest intact checkpoint iter_00000004.pt (iteration 4)" in err
    assert (ck / "iter_00000008.pt.corrupt").exists()  # kept for inspection, out of the rotation
    ts.assert_bit_identical(ts.state_dicts(run), ts.state_dicts(ref), "state")
    assert _log(run) == _log(ref)


def test_no_intact_checkpoint_after_progress_is_refused(reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = reference
    run = _killed_copy(reference, tmp_path, keep=(8,))
    (run / "checkpoints" / "iter_00000008.pt").write_bytes(b"ITMN-CHECKPOINT\ntruncated")
    before = (run / "log.csv").read_bytes()
    for resume in (True, False):
        with pytest.raises(CheckpointError, match=r"reached iteration 8 but has no intact checkpoint.*another --out"):
            ts.run_training(cfg, run, resume=resume)
    assert (run / "log.csv").read_bytes() == before


def test_finished_run_with_missing_last_checkpoint_is_reused(reference, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg, ref = reference
    run = _killed_copy(reference, tmp_path, keep=(4, 8, 12))
    ts.run_training(cfg, run, resume=False)
    assert "reusing it" in capsys.readouterr().err
    assert (run / "checkpoints" / "last.pt").is_file()
    assert json.loads((run / "run.json").read_text())["status"] == "finished"


def test_a_failed_run_says_failed_not_running(reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A training image that cannot be read (here: its PQ target deleted) stops the run after
    run.json was written; run.json must say 'failed' and why, not 'running'."""
    cfg, _ = reference
    data = tmp_path / "data"
    shutil.copytree(cfg.data.dataset, data)  # type: ignore[attr-defined]
    for f in (data / "pq").glob("*.npy"):
        f.unlink()
    bad = ts.tiny_config(data, **{"run.iterations": 4, "run.checkpoint_every": 2, "run.plots": False})
    with pytest.raises(ItmnError, match="missing from the prepared dataset"):
        ts.run_training(bad, tmp_path / "run")
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["status"] == "failed" and "missing from the prepared dataset" in info["error"]
    assert info["sessions"][-1]["status"] == "failed"
