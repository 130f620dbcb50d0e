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
    # 8-bit: every value is the float32 rounding of k/255 for an integer k in 0..255 (what
    # read_ldr gives for an 8-bit file). k is recovered in float64, where float32(k/255) * 255 is
    # within 2e-5 of k, so rint finds it exactly.
    codes = np.rint(img.astype(np.float64) * 255.0)
    assert codes.min() >= 0 and codes.max() <= 255
    assert np.array_equal((codes / 255.0).astype(np.float32), img), "bench_image is not 8-bit k/255"
    assert (img == 1.0).all(axis=2).sum() >= 200 * 400
