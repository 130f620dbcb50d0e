"""bench/perf/published.py: one case end to end on a small frame (rows in the bench.perf format)."""

from __future__ import annotations

import argparse

import pytest

from bench.perf import baselines as perf_baselines
from bench.perf import published


def test_rows_on_a_small_frame(monkeypatch, shared, tmp_path):
    monkeypatch.setenv("ITMN_DATA_MIRROR", str(shared / "data" / "mirror"))
    monkeypatch.setenv("ITMN_CACHE", str(tmp_path))  # the case's process fetches the weights here
    monkeypatch.setattr(perf_baselines, "SHAPE", (64, 96))
    monkeypatch.setattr(published, "CASES", {"lhdr": published.CASES["lhdr"]})
    rows = published.run(argparse.Namespace(quick=True))
    assert [r["name"] for r in rows] == ["lhdr 96x64 cpu time", "lhdr 96x64 forward memory"]
    assert rows[0]["unit"] == "s" and rows[0]["value"] > 0 and rows[0]["cpu_s"] > 0
    assert rows[1]["unit"] == "MiB" and rows[1]["value"] >= 0
    assert rows[1]["rss_peak_mib"] >= rows[1]["rss_loaded_mib"] > 50  # torch and a model are resident


def test_every_case_names_a_network_and_its_arguments():
    for module, kwargs in published.CASES.values():
        assert module in ("expandnet", "lhdr", "hdrtvdm") and isinstance(kwargs, dict)
    with pytest.raises(SystemExit):
        published.main(["--case", "nonexistent"])
