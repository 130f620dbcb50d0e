"""The HDR-VDP-2 benchmark module (bench/perf/metrics.py): its inputs, one measurement, the Octave
timing it cites. The full benchmark runs with ``python -m bench.perf --only metrics``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.perf import MODULES
from bench.perf.metrics import OCTAVE_512_S, TARGET_512_S, _measure, _row, bench_pair, octave_256_times


def test_registered_and_target() -> None:
    assert "bench.perf.metrics" in MODULES
    assert TARGET_512_S == pytest.approx(1.73 / 5)
    assert OCTAVE_512_S == 1.73


def test_bench_pair_is_hdr_in_cdm2() -> None:
    test, ref = bench_pair(64, 96)
    assert test.shape == ref.shape == (64, 96, 3) and test.dtype == np.float32
    lum = ref[..., 1]
    assert lum.min() > 0.01 and lum.max() > 1000  # absolute cd/m^2, passes HDR-VDP's check
    assert not np.array_equal(test, ref)
    t2, r2 = bench_pair(64, 96)
    assert np.array_equal(t2, test) and np.array_equal(r2, ref)  # seeded


def test_one_measurement_and_row() -> None:
    cfg = {"shape": (48, 48), "dtype": "float32", "device": "cpu", "threads": None, "repeats": 1}
    m = _measure(cfg)
    assert 0 < m["wall"] < 60 and m["cpu"] > 0 and m["peak_mem_mb"] >= 0
    assert m["Q"] < 100  # the pair differs
    row = _row("x", m, cfg, 2.0, "b", None)
    assert row["ratio"] == pytest.approx(m["wall"] / 2.0)
    assert row["unit"] == "s" and row["baseline"] == 2.0


def test_octave_times_from_shared(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITMN_SHARED", str(shared))
    times = octave_256_times()
    assert len(times) == 24 and all(0.3 < t < 1.0 for t in times)
    monkeypatch.delenv("ITMN_SHARED")
    assert octave_256_times() == []
