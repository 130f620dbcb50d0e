"""Speed of ΔE_ITP and ColorVideoVDP (``python -m bench.perf --only colour_metrics``).

Rows (format of :mod:`bench.perf`), seconds per image pair at 512 x 512 and 1920 x 1080, on the
synthetic pair of :func:`bench.perf.metrics.bench_pair` (BT.709 cd/m^2, 2% noise):

* ``delta_e_itp``: the registry's metric (input checks, BT.709 -> BT.2020, display clip, ICtCp,
  map, mean), against colour-science's ``delta_E_ITP(RGB_to_ICtCp(.))`` on the same BT.2020
  pixels in the same run (the computation alone, no checks); the two values are recorded;
* ``cvvdp`` (when the optional package is installed): the registry's metric on the CPU, the
  first call (imports, display model, CSF tables) reported as ``warmup_s``; on a CUDA machine
  also ``colorvideovdp(..., device="cuda")``. No baseline: nothing else computes it here.

Times are the best of ``repeats`` calls, wall clock, with the process CPU time of that call; the
machine is shared, so the 1-minute load average is recorded with each row.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

SHAPES = ((512, 512), (1080, 1920))


def _best(fn: Callable[[], float], repeats: int) -> tuple[float, float, float]:
    """(best wall s, its CPU s, the value of the last call)."""
    best = (float("inf"), float("inf"))
    value = float("nan")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if wall < best[0]:
            best = (wall, cpu)
    return best[0], best[1], value


def _row(name: str, wall: float, cpu: float, repeats: int, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "value": wall, "unit": "s", "cpu_s": cpu, "repeats": repeats}
    row.update(extra)
    if row.get("baseline"):
        row["ratio"] = wall / row["baseline"]
    row["load_average_1min"] = os.getloadavg()[0]
    return row


def _registry_value(metric: Any, test: np.ndarray, ref: np.ndarray) -> float:
    return metric(test, ref, primaries="bt709").value


def _colour_science_delta_e_itp(cs: Any, t2020: np.ndarray, r2020: np.ndarray) -> float:
    method = "ITU-R BT.2100-2 PQ"
    i_t = cs.models.RGB_to_ICtCp(t2020, method=method)
    return float(np.mean(cs.difference.delta_E_ITP(i_t, cs.models.RGB_to_ICtCp(r2020, method=method))))


def _gpu_jod(t: Any, r: Any) -> float:
    from bench.metrics.colorvideovdp import colorvideovdp

    return colorvideovdp(t, r, device="cuda").jod  # a float: the call has finished


def delta_e_itp_rows(quick: bool, shapes: tuple[tuple[int, int], ...] = SHAPES) -> list[dict[str, Any]]:
    import colour as cs

    from bench.metrics.registry import get_metric
    from bench.perf.metrics import bench_pair
    from itmn import colour

    metric = get_metric("delta_e_itp")
    rows = []
    for h, w in shapes:
        reps = 2 if quick else (10 if h == 512 else 4)
        test, ref = bench_pair(h, w)
        wall, cpu, value = _best(partial(_registry_value, metric, test, ref), reps)
        t20, r20 = (
            np.clip(colour.convert_primaries(x.astype(np.float64), "bt709", "bt2020"), 0.005, 1000.0)
            for x in (test, ref)
        )
        base, _, base_value = _best(partial(_colour_science_delta_e_itp, cs, t20, r20), reps)
        rows.append(
            _row(
                f"delta_e_itp {w}x{h} cpu",
                wall,
                cpu,
                reps,
                baseline=base,
                baseline_name="colour-science delta_E_ITP(RGB_to_ICtCp) on the same pixels, same run",
                delta_e_itp=value,
                baseline_value=base_value,
            )
        )
    return rows


def cvvdp_rows(quick: bool, shapes: tuple[tuple[int, int], ...] = SHAPES) -> list[dict[str, Any]]:
    if importlib.util.find_spec("pycvvdp") is None:
        print('[perf] cvvdp rows skipped: cvvdp is not installed (pip install "itmn-bench[cvvdp]")')
        return []
    import torch

    from bench.metrics.registry import get_metric
    from bench.perf.metrics import bench_pair

    metric = get_metric("cvvdp")
    rows = []
    for h, w in shapes:
        test, ref = bench_pair(h, w)
        t0 = time.perf_counter()
        metric(test, ref, primaries="bt709")
        warmup = time.perf_counter() - t0
        reps = 1 if quick else (5 if h == 512 else 2)
        wall, cpu, value = _best(partial(_registry_value, metric, test, ref), reps)
        rows.append(
            _row(f"cvvdp {w}x{h} cpu", wall, cpu, reps, warmup_s=warmup, jod=value, torch_threads=torch.get_num_threads())
        )
        if torch.cuda.is_available():
            from itmn import colour

            t20, r20 = (
                torch.from_numpy(colour.convert_primaries(x, "bt709", "bt2020")).to("cuda") for x in (test, ref)
            )
            _gpu_jod(t20, r20)  # warm-up
            g_wall, g_cpu, g_value = _best(partial(_gpu_jod, t20, r20), 20)
            rows.append(
                _row(
                    f"cvvdp {w}x{h} cuda",
                    g_wall,
                    g_cpu,
                    20,
                    baseline=wall,
                    baseline_name="cvvdp cpu, same run",
                    jod=g_value,
                    device=torch.cuda.get_device_name(),
                )
            )
    return rows


def run(args: argparse.Namespace) -> list[dict]:
    quick = bool(getattr(args, "quick", False))
    return delta_e_itp_rows(quick) + cvvdp_rows(quick)
