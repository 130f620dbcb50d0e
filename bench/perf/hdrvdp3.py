"""Speed and memory of the HDR-VDP-3 port (``python -m bench.perf --only hdrvdp3``).

Rows (format of :mod:`bench.perf`): seconds per image pair of ``hdrvdp3`` (task ``quality``,
``rgb-bt.709``, 30 ppd) at 512 x 512 -- float32 (the default) with torch's default thread count
and with one thread, float64 (the validation path) -- and at 1920 x 1080, against

* the original HDR-VDP 3.0.7 under GNU Octave timed **in the same run** through the bridge, when
  ``ITMN_HDRVDP3_PATH`` names a copy (docs/backends.md (HDR-VDP 3.0.7)) and Octave is installed: the
  bridge call minus an empty call (Octave start-up and MAT-file exchange), best of a few. Issue
  15's target: the port at least 5x faster at 512 x 512. Without the original the 512 x 512 rows
  are compared with :data:`OCTAVE_512_S`, the time measured on the development machine;
* the float64 path measured in the same run;
* a CUDA row per size when ``torch.cuda.is_available()``.

The machinery -- a fresh subprocess per configuration so that its peak resident memory is its
own, best of ``repeats`` calls after a warm-up, CPU time and the 1-minute load average with
each row -- is that of :mod:`bench.perf.metrics` (see its notes on threads on a busy machine).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.perf.metrics import _row, run_isolated, time_metric, time_original

#: the original HDR-VDP 3.0.7 under GNU Octave 7.3, 512 x 512 bench pair, on the 2 shared cores of
#: the development machine (bridge call minus empty call, best of 3, load average 7.7; measured by
#: this module on 2026-11-30; used only when the original is not configured for a same-run
#: measurement)
OCTAVE_512_S = 5.56
TARGET_RATIO = 5.0


def _measure(cfg: dict[str, Any]) -> dict[str, Any]:
    """Runs in a subprocess: time and peak memory of one configuration (``Q`` is Q_JOD here: the
    column name is shared with the HDR-VDP-2 rows)."""
    from bench.metrics.hdrvdp.v3 import hdrvdp3
    from bench.metrics.hdrvdp.v3.pyramid import load_filters

    load_filters("sp0Filters")  # imports pyrtools: not part of the metric's working memory

    def metric(test: Any, ref: Any, dtype: str, device: str) -> float:
        return hdrvdp3(test, ref, task="quality", dtype=dtype, device=device, return_maps=True).Q_JOD

    return time_metric(cfg, metric)


def _hdrvdp3_original() -> Callable[[np.ndarray, np.ndarray], float]:
    from bench.metrics.hdrvdp.v3 import hdrvdp3

    return lambda test, ref: hdrvdp3(test, ref, task="quality", backend="octave", return_maps=False).Q_JOD


def octave_same_run(quick: bool) -> tuple[float, float, str] | None:
    """(seconds, Q_JOD, how) of the original HDR-VDP 3.0.7 on the 512 x 512 bench pair under
    GNU Octave, through the bridge, minus an empty call (:func:`bench.perf.metrics.time_original`);
    None when ``ITMN_HDRVDP3_PATH`` is unset or the engine fails (said on stdout)."""
    return time_original("hdrvdp3", "ITMN_HDRVDP3_PATH", _hdrvdp3_original, "original HDR-VDP 3", quick)


def run(args: argparse.Namespace) -> list[dict]:
    import torch

    quick = bool(getattr(args, "quick", False))
    reps = 2 if quick else 7

    def cfg(shape, dtype, device="cpu", threads=None, repeats=reps):
        return {"shape": shape, "dtype": dtype, "device": device, "threads": threads, "repeats": repeats}

    # the original first, then the port, back to back (the machine's load drifts)
    octave = octave_same_run(quick)
    c32, c1, c64 = (
        cfg((512, 512), "float32"),
        cfg((512, 512), "float32", threads=1),
        cfg((512, 512), "float64"),
    )
    m32, m1, m64 = run_isolated(_measure, c32), run_isolated(_measure, c1), run_isolated(_measure, c64)
    if octave is not None:
        base, q_orig, how = octave
        base_name = f"original HDR-VDP 3.0.7 via {how}, same run"
    else:
        base, q_orig = OCTAVE_512_S, None
        base_name = f"original HDR-VDP 3.0.7, Octave 7.3, 2 cores, 512x512 (constant {OCTAVE_512_S} s)"
    target = f"<= {base / TARGET_RATIO:.3g} s ({TARGET_RATIO:g}x faster)"
    rows = []
    for name, m, c, tgt in (
        ("hdrvdp3 512x512 float32 cpu", m32, c32, target),
        ("hdrvdp3 512x512 float32 cpu, 1 thread", m1, c1, target),
        ("hdrvdp3 512x512 float64 cpu (validation path)", m64, c64, None),
    ):
        row = _row(name, m, c, base, base_name, tgt)
        row["speedup_vs_original"] = base / m["wall"]
        if q_orig is not None:
            row["original_Q_JOD"] = q_orig
            row["dQ_JOD_vs_original"] = m["Q"] - q_orig
        rows.append(row)
    rows.append(
        _row("hdrvdp3 512x512 float32 cpu vs float64", m32, c32, m64["wall"], "float64 path, same run", None)
    )
    rows[-1]["dQ_JOD_vs_float64"] = m32["Q"] - m64["Q"]

    hd = (1080, 1920)
    c_hd = cfg(hd, "float32", repeats=1 if quick else 3)
    m_hd = run_isolated(_measure, c_hd)
    if quick:
        scaled = base * (hd[0] * hd[1]) / (512 * 512)
        rows.append(
            _row(
                "hdrvdp3 1920x1080 float32 cpu",
                m_hd,
                c_hd,
                scaled,
                "512x512 original scaled by pixel count",
                None,
            )
        )
    else:
        c_hd64 = cfg(hd, "float64", repeats=1)
        m_hd64 = run_isolated(_measure, c_hd64)
        rows.append(_row("hdrvdp3 1920x1080 float64 cpu", m_hd64, c_hd64, m_hd64["wall"], "itself", None))
        rows.append(
            _row("hdrvdp3 1920x1080 float32 cpu", m_hd, c_hd, m_hd64["wall"], "float64 path, same run", None)
        )

    if torch.cuda.is_available():
        for shape, cpu_m in (((512, 512), m32), (hd, m_hd)):
            cg = cfg(shape, "float32", device="cuda", repeats=20)
            mg = run_isolated(_measure, cg)
            rows.append(
                _row(
                    f"hdrvdp3 {shape[1]}x{shape[0]} float32 cuda",
                    mg,
                    cg,
                    cpu_m["wall"],
                    "float32 cpu, same run",
                    None,
                )
            )
            rows[-1]["dQ_JOD_vs_cpu"] = mg["Q"] - cpu_m["Q"]
    for r in rows:
        r["metric_value"] = "Q_JOD"
    return rows
