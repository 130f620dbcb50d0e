"""Hidden files (issue 12, class 6): one rule for every folder reader.

The suite's own writers leave hidden temporary files (``.<name>.<random>.tmp.<ext>``) when a
process is killed mid-write; ``itmn expand`` tried to read them and aborted while ``score``
skipped them. Every reader now lists a folder with :func:`itmn.paths.list_folder`: hidden files,
sub-folders and other extensions are skipped and reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from itmn_faults_support import hdr_field, noisy_ldr

from itmn import hdrio

LEFTOVER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR truncated"  # what a killed PNG write leaves


def _ldr_folder(root: Path) -> Path:
    d = root / "ldr"
    d.mkdir()
    for i in range(2):
        hdrio.write_png(d / f"in{i}.png", noisy_ldr(i, 16, 16))
    (d / ".in0.k2j3h4.tmp.png").write_bytes(LEFTOVER)
    (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (d / "notes.txt").write_text("not an image")
    return d


def test_expand_skips_hidden_files_and_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = _ldr_folder(tmp_path)
    out = tmp_path / "out"
    res = cli("itmn", "expand", "--method", "akyuz", str(src), str(out))
    assert res.rc == 0, res.err
    assert sorted(p.name for p in out.glob("*.exr")) == ["in0.exr", "in1.exr"]
    assert ".in0.k2j3h4.tmp.png" in res.err and ".DS_Store" in res.err and "hidden" in res.err
    assert "notes.txt" in res.err


def test_crosscheck_ldr_folder_skips_hidden_files(tmp_path: Path) -> None:
    from bench.crosscheck import read_ldr_folder

    names = [name for name, _ in read_ldr_folder(_ldr_folder(tmp_path))]
    assert names == ["in0", "in1"]


def test_score_folders_report_hidden_files_the_same_way(tmp_path: Path) -> None:
    from bench.metrics.inputs import pair_folders
    from itmn.paths import HIDDEN_REASON

    t, r = tmp_path / "t", tmp_path / "r"
    for d in (t, r):
        d.mkdir()
        hdrio.write_exr(d / "a.exr", (hdr_field(0) * 10).astype(np.float32))
    (t / ".a.x1y2.tmp.exr").write_bytes(b"v/1\x01")
    pairs, ignored = pair_folders(t, r)
    assert [s for s, _, _ in pairs] == ["a"]
    assert ignored == [t / ".a.x1y2.tmp.exr"]
    from itmn.paths import list_folder

    assert list_folder(t, (".exr",)).skipped == [(t / ".a.x1y2.tmp.exr", HIDDEN_REASON)]


def test_folder_dataset_reports_hidden_files(tmp_path: Path) -> None:
    from itmn.data.registry import FolderDataset

    src = tmp_path / "src"
    src.mkdir()
    hdrio.write_exr(src / "a.exr", hdr_field(0))
    (src / ".a.x1y2.tmp.exr").write_bytes(b"v/1\x01")
    (src / "splits.json").write_text('{"train": ["a"], "test": []}')
    images, ignored = FolderDataset(src).listing()
    assert list(images) == ["a"]
    assert [p.name for p, _ in ignored] == [".a.x1y2.tmp.exr"]  # reported, splits.json is not


def test_predictions_folder_uses_the_same_rule(tmp_path: Path) -> None:
    """A hidden leftover is not a prediction; two files for one image are an error, not a guess."""
    from bench.evaluate import predictions_target
    from itmn.errors import ItmnError

    d = tmp_path / "preds"
    d.mkdir()
    hdrio.write_exr(d / "img0.exr", hdr_field(0))
    (d / ".img1.abc.tmp.exr").write_bytes(b"v/1\x01")
    target = predictions_target(d)
    assert sorted(target.prediction_files()) == ["img0"]
    np.save(d / "img0.npy", hdr_field(0))
    with pytest.raises(ItmnError, match=r"img0.exr and img0.npy"):
        predictions_target(d).prediction_files()
