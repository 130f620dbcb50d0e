"""CI regression on metric scores: the seeded ``smoke`` reproduction of Table 1, killed mid-way and
rerun, must finish without redoing completed stages and give the per-image scores committed in
results/smoke/scores.csv (tolerances in bench/regression.py).

Regenerate the expected file after an intended change with
``nox -s reproduce_table1 -- --profile smoke`` and commit results/smoke/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.regression import compare_scores, format_report

REPO = Path(__file__).resolve().parent.parent
EXPECTED = REPO / "results" / "smoke" / "scores.csv"


def _cmd(work: Path, results: Path, mirror: Path) -> list[str]:
    return [sys.executable, "-m", "bench.reproduce", "table1", "--profile", "smoke", "--work", str(work),
            "--results", str(results), "--mirror", str(mirror), "--no-progress"]  # fmt: skip


def _finished_runs(work: Path) -> list[str]:
    out = []
    for run in (work / "smoke" / "runs").glob("*"):
        try:
            if json.loads((run / "run.json").read_text()).get("status") == "finished":
                out.append(run.name)
        except (OSError, json.JSONDecodeError):
            pass
    return out


@pytest.mark.slow  # a whole seeded reproduction, twice: 270 s on the 2 shared cores (100 s of CPU)
def test_smoke_reproduction_resumes_and_matches_expected_scores(tmp_path: Path, mirror: Path) -> None:
    work, results = tmp_path / "work", tmp_path / "results"
    env = {**os.environ}
    env.setdefault("ITMN_CACHE", str(tmp_path / "cache"))  # CI sets a shared cache

    # 1) start, and SIGKILL the whole process group once a training run has finished
    proc = subprocess.Popen(_cmd(work, results, mirror), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None and not _finished_runs(work):
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_after = _finished_runs(work)
    assert killed_after, f"no training run finished before the kill: {proc.stderr.read().decode()[-3000:]}"
    state = json.loads((work / "smoke" / "state.json").read_text())
    assert state["stages"]["fetch_prepare"]["finished"]

    # 2) rerun to the end: completed stages and runs are not redone
    rerun = subprocess.run(_cmd(work, results, mirror), env=env, capture_output=True, text=True, timeout=1500)
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    log = rerun.stderr
    assert "stage fetch_prepare: already done" in log
    for name in killed_after:
        assert f"reusing finished run {name}" in log, log[-3000:]

    # 3) tables come from the per-image data
    scores = pd.read_csv(results / "smoke" / "scores.csv")
    table = pd.read_csv(results / "smoke" / "table1.csv").set_index("method")
    means = scores.groupby("method")[["hdrvdp2", "mpsnr", "ssim"]].mean()
    for method, row in means.iterrows():
        for metric in ("hdrvdp2", "mpsnr", "ssim"):
            assert table.loc[method, f"{metric}_mean"] == pytest.approx(row[metric], rel=1e-5)
    meta = json.loads((results / "smoke" / "metadata.json").read_text())
    for key in ("git", "versions", "device", "seed", "protocol_version", "metric_configs", "dataset_manifest_hash", "wall_seconds_per_stage"):
        assert meta.get(key) is not None, key
    for fig in ("fig2_comparison.png", "fig2_false_colour.png", "fig2h_convergence.png", "fig2i_learning_rate.png"):
        assert (results / "smoke" / "figures" / fig).is_file(), fig

    # the HTML report is written at the end, with every test image's pixels (predictions found
    # through the work folder recorded in the metadata)
    assert meta["work_dir"] == str(work.resolve() / "smoke")
    report = results / "smoke" / "report"
    assert (report / "index.html").is_file()
    assert sorted(p.name for p in (report / "data").glob("img-*.js")) == [f"img-{i:03d}.js" for i in range(scores["image"].nunique())]

    # the leaderboard ranks the same methods (the smoke profile scores no published network)
    board = pd.read_csv(results / "smoke" / "leaderboard.csv")
    assert set(board["method"]) == set(table.index)
    assert (results / "smoke" / "leaderboard.md").is_file() and (results / "smoke" / "leaderboard.tex").is_file()

    # 4) the scores agree with the committed expected file
    problems = compare_scores(scores, pd.read_csv(EXPECTED))
    assert problems.empty, format_report(problems)
