"""The HDR-VDP-3 benchmark module (bench/perf/hdrvdp3.py): registration, one measurement, the
same-run original row when the original is not configured. The full benchmark runs with
``python -m bench.perf --only hdrvdp3``."""

from __future__ import annotations

import pytest

from bench.perf import MODULES
from bench.perf.hdrvdp3 import OCTAVE_512_S, TARGET_RATIO, _measure, octave_same_run


def test_registered_and_target() -> None:
    assert "bench.perf.hdrvdp3" in MODULES
    assert TARGET_RATIO == 5.0 and OCTAVE_512_S > 1.0


def test_one_measurement() -> None:
    cfg = {"shape": (48, 48), "dtype": "float32", "device": "cpu", "threads": 1, "repeats": 1}
    m = _measure(cfg)
    assert 0 < m["wall"] < 60 and m["cpu"] > 0 and m["peak_mem_mb"] >= 0
    assert m["Q"] < 10  # Q_JOD: the bench pair differs
    assert m["threads"] == 1


def test_no_original_no_same_run_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ITMN_HDRVDP3_PATH", raising=False)
    assert octave_same_run(quick=True) is None
