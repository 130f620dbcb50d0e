"""Damaged files the suite reads (bad input, not bugs): one line naming the file, no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.cli import main as bench_main
from itmn.errors import ItmnError


@pytest.mark.parametrize("content", [b"\x00\xff\xfe\x00", b"[1, 2, 3]"], ids=["binary", "a-list"])
def test_a_damaged_prepared_dataset_is_named(prepared_small: Path, tmp_path: Path, content: bytes, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "prepared"
    shutil.copytree(prepared_small, data)
    (data / "splits.json").write_bytes(content)
    rc = bench_main(["evaluate", "--method", "akyuz", "--dataset", str(data), "--results", str(tmp_path / "R"),
                     "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and str(data) in err, err


def test_a_damaged_crosscheck_cases_file_is_named(tmp_path: Path) -> None:
    from bench.crosscheck import read_pairs

    (tmp_path / "cases.json").write_text("{not json")
    with pytest.raises(ItmnError, match=r"cases.json: not valid JSON"):
        read_pairs(tmp_path)


def test_a_damaged_stage_record_is_checked_again(tmp_path: Path) -> None:
    """The reproduction's state.json is a record; a damaged one means: check every stage again."""
    from bench.reproduce.stages import State

    (tmp_path / "state.json").write_bytes(b"\x00garbage")
    assert State(tmp_path / "state.json").data == {"stages": {}}
