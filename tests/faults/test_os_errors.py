"""Operating-system errors (issue 12, class 3): one message naming the path and the reason, exit
status 1, and output locations checked before the work starts; a bug prints its traceback and
says where to report it.

Unwritable folders are made two ways: a read-only tmpfs (EROFS, even for root; needs root to
mount) and a folder of root's that the command, run as another user, may not write (EACCES;
needs root and setpriv, or tests run as a normal user). Each test skips with the reason when its
way is not available.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from itmn_faults_support import assert_one_line_error, leftovers, noisy_ldr, public_tree

from bench.cli.base import run
from itmn import hdrio
from itmn.errors import BUG_REPORT


def _score_inputs(root: Path, *, mismatched: bool = False) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    t, r = root / "test", root / "ref"
    t.mkdir(parents=True)
    r.mkdir(parents=True)
    for name in ("a", "b"):
        hdrio.write_exr(t / f"{name}.exr", (rng.random((16, 16, 3)) * 500 + 5).astype(np.float32))
        ref_name = "c" if mismatched and name == "b" else name
        hdrio.write_exr(r / f"{ref_name}.exr", (rng.random((16, 16, 3)) * 500 + 5).astype(np.float32))
    return t, r


def _ldr_folder(root: Path, n: int = 2) -> Path:
    d = root / "ldr"
    d.mkdir(parents=True)
    for i in range(n):
        hdrio.write_png(d / f"in{i}.png", noisy_ldr(i, 16, 16))
    return d


# --------------------------------------------------------------------------- score --out
def test_score_out_is_a_folder(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    t, r = _score_inputs(tmp_path)
    out = tmp_path / "results"
    out.mkdir()
    res = cli("itmn-bench", "score", "--test-dir", str(t), "--ref-dir", str(r), "--out", str(out), "--metric", "mpsnr")
    assert_one_line_error(res, str(out), "folder")
    assert list(out.iterdir()) == []


def test_score_out_is_checked_before_the_images(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The --out problem is found before the folders are even paired (b has no reference)."""
    t, r = _score_inputs(tmp_path, mismatched=True)
    out = tmp_path / "results"
    out.mkdir()
    res = cli("itmn-bench", "score", "--test-dir", str(t), "--ref-dir", str(r), "--out", str(out), "--metric", "mpsnr")
    assert_one_line_error(res, str(out), "folder")


def test_score_out_on_a_read_only_filesystem(cli, tmp_path: Path, readonly_dir: Path) -> None:  # type: ignore[no-untyped-def]
    t, r = _score_inputs(tmp_path)
    out = readonly_dir / "scores.csv"
    res = cli("itmn-bench", "score", "--test-dir", str(t), "--ref-dir", str(r), "--out", str(out), "--metric", "mpsnr")
    assert_one_line_error(res, str(readonly_dir), "read-only")
    assert "0/2" not in res.err  # no progress bar: checked before the work


def test_score_out_without_permission(cli, public_dir: Path, unprivileged: list[str]) -> None:  # type: ignore[no-untyped-def]
    t, r = _score_inputs(public_dir / "in")
    locked = public_dir / "locked"
    locked.mkdir(mode=0o755)
    public_tree(public_dir / "in")
    out = locked / "scores.csv"
    env = {"HOME": str(public_dir), "MPLCONFIGDIR": str(public_dir / "mpl")}
    if not unprivileged:
        locked.chmod(0o555)
    res = cli("itmn-bench", "score", "--test-dir", str(t), "--ref-dir", str(r), "--out", str(out), "--metric", "mpsnr",
              prefix=unprivileged, env=env)  # fmt: skip
    assert_one_line_error(res, str(locked), "permission denied")
    assert list(locked.iterdir()) == []


# --------------------------------------------------------------------------- itmn expand
def test_expand_folder_into_a_read_only_folder(cli, tmp_path: Path, readonly_dir: Path) -> None:  # type: ignore[no-untyped-def]
    src = _ldr_folder(tmp_path)
    res = cli("itmn", "expand", "--method", "akyuz", str(src), str(readonly_dir / "out"))
    assert_one_line_error(res, str(readonly_dir / "out"), "read-only")
    assert "expand akyuz" not in res.err  # stopped before the first image


def test_expand_one_image_into_a_read_only_folder(cli, tmp_path: Path, readonly_dir: Path) -> None:  # type: ignore[no-untyped-def]
    src = _ldr_folder(tmp_path, 1) / "in0.png"
    res = cli("itmn", "expand", "--method", "akyuz", str(src), str(readonly_dir / "out.exr"))
    assert_one_line_error(res, str(readonly_dir), "read-only")


def test_expand_without_permission_and_unreadable_input(cli, public_dir: Path, unprivileged: list[str]) -> None:  # type: ignore[no-untyped-def]
    src = _ldr_folder(public_dir / "in")
    public_tree(public_dir / "in")
    locked = public_dir / "locked"
    locked.mkdir(mode=0o755)
    if not unprivileged:
        locked.chmod(0o555)
    env = {"HOME": str(public_dir), "MPLCONFIGDIR": str(public_dir / "mpl")}
    res = cli("itmn", "expand", "--method", "akyuz", str(src), str(locked / "out"), prefix=unprivileged, env=env)
    assert_one_line_error(res, str(locked / "out"), "permission denied")
    # an input the user may not read: one line naming it
    secret = src / "in0.png"
    secret.chmod(0o000 if not unprivileged else 0o600)
    res = cli("itmn", "expand", "--method", "akyuz", str(secret), str(public_dir / "o.exr"), prefix=unprivileged, env=env)
    assert_one_line_error(res, str(secret), "permission denied")
    assert not (public_dir / "o.exr").exists()


# --------------------------------------------------------------------------- itmn data prepare, train
def test_prepare_with_a_write_protected_cache(cli, hdr_sources: Path, readonly_dir: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("itmn", "data", "prepare", "--dataset", str(hdr_sources), "--no-progress",
              env={"ITMN_CACHE": str(readonly_dir)})  # fmt: skip
    assert_one_line_error(res, str(readonly_dir), "read-only")
    assert "[1/3]" not in res.err  # checked before the first image was read


def test_prepare_without_permission(cli, hdr_sources: Path, public_dir: Path, unprivileged: list[str]) -> None:  # type: ignore[no-untyped-def]
    import shutil

    src = public_dir / "src"
    shutil.copytree(hdr_sources, src)
    public_tree(src)
    locked = public_dir / "locked"
    locked.mkdir(mode=0o755)
    if not unprivileged:
        locked.chmod(0o555)
    env = {"HOME": str(public_dir), "MPLCONFIGDIR": str(public_dir / "mpl"), "ITMN_CACHE": str(public_dir / "cache")}
    res = cli("itmn", "data", "prepare", "--dataset", str(src), "--out", str(locked / "prepared"), "--no-progress",
              prefix=unprivileged, env=env)  # fmt: skip
    assert_one_line_error(res, str(locked / "prepared"), "permission denied")
    assert "[1/3]" not in res.err


def test_train_into_a_read_only_folder(cli, readonly_dir: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("itmn", "train", "--config", "smoke", "--out", str(readonly_dir / "run"))
    assert_one_line_error(res, str(readonly_dir / "run"), "read-only")


def test_evaluate_into_a_read_only_results_folder(cli, prepared_small: Path, readonly_dir: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("itmn-bench", "evaluate", "--method", "akyuz", "--dataset", str(prepared_small), "--results",
              str(readonly_dir / "results"), "--no-progress")  # fmt: skip
    assert_one_line_error(res, str(readonly_dir / "results"), "read-only")
    assert leftovers(readonly_dir) == []


# --------------------------------------------------------------------------- expected vs unexpected
def _parser_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> argparse.ArgumentParser:
    name = f"handler_{abs(hash(body))}"
    (tmp_path / f"{name}.py").write_text(f"def handler(args):\n    {body}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(name, None)
    parser = argparse.ArgumentParser(prog="itmn")
    parser.set_defaults(handler=f"{name}:handler")
    return parser


def test_an_os_error_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser_for(tmp_path, monkeypatch, "raise PermissionError(13, 'Permission denied', '/data/x.exr')")
    assert run(parser, []) == 1
    err = capsys.readouterr().err
    assert err.strip() == "itmn: error: /data/x.exr: permission denied"


def test_a_bug_prints_its_traceback_and_where_to_report_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _parser_for(tmp_path, monkeypatch, "return {}['missing']")
    assert run(parser, []) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'missing'" in err
    assert err.strip().splitlines()[-1] == f"itmn: {BUG_REPORT}"


def test_bug_report_names_the_issue_tracker() -> None:
    assert "issue" in BUG_REPORT.lower() and "bug" in BUG_REPORT.lower()


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX only")
def test_the_file_size_limit_does_not_kill_the_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Without SIGXFSZ ignored, a write past ``ulimit -f`` kills the process without a word."""
    src = _ldr_folder(tmp_path, 1) / "in0.png"
    res = cli("itmn", "expand", "--method", "akyuz", str(src), str(tmp_path / "out.exr"), fsize=2000)
    assert_one_line_error(res, str(tmp_path / "out.exr"), "file-size limit")
    assert leftovers(tmp_path) == []


def test_a_damaged_scores_table_is_named_before_the_work(prepared_small: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bench.cli import main as bench_main

    results = tmp_path / "R"
    results.mkdir()
    (results / "scores.csv").write_bytes(b"\x00\xff\xfe garbage \x00")
    rc = bench_main(["evaluate", "--method", "akyuz", "--dataset", str(prepared_small), "--results", str(results),
                     "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert f"{results / 'scores.csv'}: not a scores table" in err
    assert not (results / "_work" / "predictions").exists()  # nothing computed first
