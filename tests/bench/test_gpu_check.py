"""The GPU check (bench/perf/gpu_check.py) in its --tiny CPU form, as CI runs it, and its runner:
one failing item is reported without losing the others, the report is on disk after every item,
items that do not fit the budget are skipped with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.perf import gpu_check as gc

REPO = Path(__file__).resolve().parents[2]


def _learned_methods() -> list[str]:
    from baselines.registry import list_methods

    return [m.name for m in list_methods() if m.learned]


@pytest.mark.slow
def test_tiny_check_on_cpu(tmp_path: Path) -> None:
    out = tmp_path / "perf-gpu.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.perf.gpu_check", "--device", "cpu", "--tiny", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["format"] == gc.FORMAT and report["finished"] is True
    meta = report["metadata"]
    assert meta["torch"] and meta["device_name"] and "commit" in meta["git"] and meta["tiny"] is True
    items = report["items"]
    assert list(items) == list(gc.ITEM_NAMES)
    for name, r in items.items():
        assert r["status"] in ("pass", "skipped"), (name, r.get("error"), r.get("traceback"))
        assert r["criterion"] if r["status"] == "pass" else r["reason"], name
        assert r["seconds"] >= 0
    assert set(report["summary"]["pass"]) | set(report["summary"]["skipped"]) == set(gc.ITEM_NAMES)

    train = items["train"]
    run = train["runs"]["off"]
    assert run["ok"] and run["losses_finite"] and run["iterations"] == train["iterations"]
    assert run["iterations_per_s_steady"] > 0
    assert train["runs"]["bf16"]["status"] == "skipped" and "CUDA" in train["runs"]["bf16"]["reason"]
    kill = train["kill_resume"]
    assert kill["ok"] and kill["bit_identical_to_uninterrupted"] is True
    assert 0 < kill["checkpoint_iteration_at_kill"] == kill["resumed_from"] < train["iterations"]
    assert kill["final_iteration"] == train["iterations"] and kill["log_iterations_once"]
    assert kill["sessions"][0]["status"].startswith("killed") and kill["sessions"][-1]["status"] == "finished"

    proj = items["projection"]
    assert set(proj["rates"]) == {"itmn", "nodmse", "noadvreg", "drtm"}
    assert proj["projected_hours_4_models"] == pytest.approx(sum(proj["projected_hours"].values()), rel=1e-2)
    assert any(c["file"] == "README.md" for c in proj["readme_claims"])

    ddp = items["ddp"]
    assert ddp["backend"] == "gloo" and ddp["runs"]["torchrun"]["world_size"] == ddp["nproc"] == 2
    assert ddp["mean_content_rel_diff"] <= gc.DDP_REL_TOL
    assert ddp["probe"]["ok"] and ddp["probe"]["ddp_wrapped"] and ddp["probe"]["worst_rel_diff"] <= 1e-6

    vdp = items["hdrvdp2"]
    assert len(vdp["comparisons"]) == 2 * 2  # two pairs, two ppd values
    assert all(c["cpu_float32"]["ok"] for c in vdp["comparisons"])
    assert vdp["timing"]["batch"] == 8 and vdp["timing"]["batch_per_pair_s"] > 0

    inf = items["inference"]
    assert inf["paper_generator"]["output_finite"] and inf["paper_generator"]["frames_per_s"] > 0
    methods = inf["methods"]
    assert set(methods) == set(_learned_methods())  # every learned method of the registry, and only those
    for name, m in methods.items():
        assert m["status"] == "ok" or (m["status"] == "skipped" and m["reason"]), (name, m)
    for name in ("itmn", "itmn-nodmse", "itmn-noadvreg", "drtm"):
        assert methods[name]["status"] == "ok" and "untrained" in methods[name]["weights"]

    md = out.with_suffix(".md").read_text()
    for name in gc.ITEM_NAMES:
        assert f"| {name} | **" in md


def _tiny_settings(tmp_path: Path, budget: float = 300.0) -> gc.Settings:
    return gc.make_settings("cpu", True, budget, tmp_path / "work", None)


def test_a_failing_item_is_reported_and_the_others_kept(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    seen_on_disk: dict = {}

    def broken(ctx: gc.Context) -> dict:
        raise RuntimeError("deliberately broken item")

    def second(ctx: gc.Context) -> dict:
        # the report on disk already holds the failed item: a check killed now keeps it
        seen_on_disk.update(json.loads(out.read_text()))
        return gc.item_hdrvdp2(ctx)  # a real item, run after the failure

    report = gc.run_check(_tiny_settings(tmp_path), out, items={"train": broken, "hdrvdp2": second})
    assert seen_on_disk["finished"] is False
    assert seen_on_disk["items"]["train"]["status"] == "fail"
    on_disk = json.loads(out.read_text())
    assert on_disk == json.loads(json.dumps(gc._jsonable(report)))
    train, vdp = on_disk["items"]["train"], on_disk["items"]["hdrvdp2"]
    assert train["status"] == "fail" and "deliberately broken item" in train["error"]
    assert "RuntimeError" in train["traceback"]
    assert vdp["status"] == "pass" and vdp["comparisons"]
    assert on_disk["summary"] == {"pass": ["hdrvdp2"], "fail": ["train"], "skipped": []}
    md = out.with_suffix(".md").read_text()
    assert (
        "| train | **fail** |" in md and "deliberately broken item" in md and "| hdrvdp2 | **pass** |" in md
    )


def test_items_that_do_not_fit_the_budget_are_skipped_with_the_reason(tmp_path: Path) -> None:
    ran = []

    def item(ctx: gc.Context) -> dict:
        ran.append(1)
        return {"status": "pass", "criterion": "-"}

    out = tmp_path / "r.json"
    report = gc.run_check(_tiny_settings(tmp_path, budget=0.0), out, items={"train": item, "ddp": item})
    assert not ran
    for r in report["items"].values():
        assert r["status"] == "skipped" and "budget" in r["reason"]
    report = gc.run_check(_tiny_settings(tmp_path), out, only=["ddp"], items={"train": item, "ddp": item})
    assert list(report["items"]) == ["ddp"] and report["items"]["ddp"]["status"] == "pass"


def test_command_line_refuses_unknown_items(tmp_path: Path) -> None:
    assert gc.main(["--device", "cpu", "--only", "train,nonsense", "--out", str(tmp_path / "x.json")]) == 2
    assert not (tmp_path / "x.json").exists()


def test_steady_rate_leaves_out_the_warm_up() -> None:
    # 2 s of warm-up for the first iteration, then 10 iterations/s
    rows = [{"iteration": float(i), "time": 2.0 + 0.1 * (i - 1)} for i in range(1, 21)]
    assert gc.steady_rate(rows) == pytest.approx(10.0)
    assert gc.steady_rate(rows[:2]) is None
    assert gc.all_finite([{"iteration": 1.0, "content": 1.0, "adv_g": None}])
    assert not gc.all_finite([{"iteration": 1.0, "content": float("nan")}])


def test_readme_claims_and_stated_hours(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Title\n\nThe `paper` profile takes about 9 hours on one H100.\nIt runs the `cpu` profile in 20 "
        "minutes.\n\n| `paper` | 512 | 6 hours |\n\n```sh\nnox -s reproduce_table1 # `paper` 3 days\n```\n"
    )
    claims = gc.readme_claims(tmp_path)
    assert claims == [
        {"file": "README.md", "sentence": "The `paper` profile takes about 9 hours on one H100."}
    ]
    assert gc.claimed_hours(claims) == 9.0
    assert gc.claimed_hours([{"file": "x", "sentence": "`paper` on a GPU takes 90 minutes"}]) == 1.5
    assert gc.claimed_hours([{"file": "x", "sentence": "The `paper` profile (Fig. 2 h) on a GPU"}]) is None
    # the repository's own README is read (what the projection is set beside)
    assert any(c["file"] == "README.md" and "`paper`" in c["sentence"] for c in gc.readme_claims())


def test_vdp_tolerances() -> None:
    ref = {"Q": 70.0, "P_det": 0.5, "C_max": 2.0}
    assert gc._vdp_close({"Q": 70.009, "P_det": 0.5004, "C_max": 2.0019}, ref, f64=False)
    assert not gc._vdp_close({"Q": 70.011, "P_det": 0.5, "C_max": 2.0}, ref, f64=False)
    assert not gc._vdp_close({"Q": 70.0, "P_det": 0.5, "C_max": 2.0021}, ref, f64=False)
    assert not gc._vdp_close({"Q": 70.0, "P_det": 0.5006, "C_max": 2.0}, ref, f64=False)
    assert not gc._vdp_close({"Q": 70.0 + 1e-6, "P_det": 0.5, "C_max": 2.0}, ref, f64=True)
    saturated = {"Q": 60.0, "P_det": 1.0, "C_max": 500.0}
    assert gc._vdp_close({"Q": 60.0, "P_det": 1.0 - 1e-7, "C_max": 500.0}, saturated, f64=False)


def test_generated_pairs_without_a_calibration_folder() -> None:
    pairs, source = gc.calibration_pairs(None, 2)
    assert len(pairs) == 2 and "generated" in source and not pairs[0]["reference_scores"]
    assert pairs[1]["test"].shape == (97, 131, 3)


def test_commit_passed_in_when_the_tree_has_no_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import itmn.runinfo

    monkeypatch.setattr(itmn.runinfo, "git_commit", lambda repo=None: {"commit": None, "dirty": None})
    monkeypatch.setenv("ITMN_GIT_COMMIT", "0123abcd-dirty")
    meta = gc._metadata(_tiny_settings(tmp_path))
    assert meta["git"] == {"commit": "0123abcd", "dirty": True, "source": "ITMN_GIT_COMMIT"}
