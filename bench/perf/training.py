"""Training and inference speed of iTMN (``python -m bench.perf --only training``).

Rows (format of :mod:`bench.perf`), each with a baseline measured in the same run:

* ``train <profile> (cpu)``: iterations/s of the ``smoke`` and ``cpu`` profiles (one full
  alternating iteration: generator step, generator forward on G_{k+1}, discriminator step) with
  the profile's thread count (1), against torch's default thread count. The batch is a fixed
  random batch of the profile's size, so data loading is not timed. ``ratio`` = value / baseline
  (> 1: the profile's setting is faster).
* ``train paper (cuda)``: iterations/s of the ``paper`` profile with AMP + channels_last against
  fp32 eager (only when CUDA is available).
* ``infer 1920x1080 paper generator``: seconds for one 1080p frame through the paper-size
  generator as :class:`itmn.infer.ItmnExpander` runs it (BatchNorm folded, channels_last,
  inference mode), against the plain eval-mode module in NCHW. ``ratio`` = value / baseline
  (< 1: faster). Target <= 2 s on 2 CPU cores.
* ``infer 1920x1080 tiled``: the same frame in 512-pixel tiles (overlap 128) against untiled.

Times are the best of ``repeats`` runs (wall clock, and process CPU time); the machine may be
shared, so the load average is recorded with each row.
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

INFER_TARGET_S = 2.0
FRAME = (1080, 1920)


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def _task(
    profile: str, device: torch.device, amp: torch.dtype | None, channels_last: bool
) -> tuple[Any, dict]:
    from itmn.train.distributed import DistInfo
    from itmn.train.profiles import get_profile
    from itmn.train.tasks import build_task

    config = get_profile(profile)
    torch.manual_seed(0)
    task = build_task(config, device, DistInfo(), amp, channels_last)
    g = torch.Generator().manual_seed(0)
    shape = (config.run.batch_size, 3, config.data.crop, config.data.crop)
    batch = {"ldr": torch.rand(shape, generator=g), "hdr": torch.rand(shape, generator=g)}
    return task, batch


def train_rate(profile: str, threads: int, steps: int, device: str = "cpu", amp: torch.dtype | None = None,
               channels_last: bool = False) -> tuple[float, float]:  # fmt: skip
    """(iterations/s wall, iterations/s of process CPU time) of ``profile`` with ``threads`` threads."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        dev = torch.device(device)
        task, batch = _task(profile, dev, amp, channels_last)
        for i in range(2):  # warm-up (allocator, oneDNN primitives)
            task.step(batch, i)

        def run() -> None:
            for i in range(steps):
                task.step(batch, i)
            if dev.type == "cuda":
                torch.cuda.synchronize()

        wall, cpu = _best(run, 1)
        return steps / wall, steps / cpu
    finally:
        torch.set_num_threads(saved)


def _paper_generator() -> torch.nn.Module:
    from itmn.models import UNetGenerator

    torch.manual_seed(0)
    g = UNetGenerator()
    for m in g.modules():  # non-trivial BatchNorm statistics, as after training
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    return g.eval()


def frame(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = FRAME
    y, x = np.linspace(0, 1, h)[:, None, None], np.linspace(0, 1, w)[None, :, None]
    img = (
        0.5 + 0.45 * np.sin(6 * x + 3 * y + np.array([0.0, 1.0, 2.0])) + 0.03 * rng.standard_normal((h, w, 3))
    )
    return np.clip(img, 0, 1).astype(np.float32)


def run(args: argparse.Namespace) -> list[dict]:
    from itmn.infer import ItmnExpander, pad_to_multiple

    quick = bool(getattr(args, "quick", False))
    rows: list[dict] = []
    default_threads = torch.get_num_threads()
    for profile, steps in (("smoke", 10 if quick else 30), ("cpu", 3 if quick else 10)):
        value, value_cpu = train_rate(profile, 1, steps)
        base, base_cpu = train_rate(profile, default_threads, steps)
        rows.append({
            "name": f"train {profile} (cpu, 1 thread)", "value": value, "unit": "it/s", "cpu_it_per_s": value_cpu,
            "baseline": base, "baseline_cpu_it_per_s": base_cpu,
            "baseline_name": f"torch default threads ({default_threads}), same run", "ratio": value / base,
            "steps": steps, "load_average_1min": os.getloadavg()[0],
        })  # fmt: skip
    if torch.cuda.is_available():
        steps = 5 if quick else 20
        amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        value, _ = train_rate("paper", default_threads, steps, "cuda", amp, True)
        base, _ = train_rate("paper", default_threads, steps, "cuda", None, False)
        rows.append({
            "name": "train paper (cuda, AMP + channels_last)", "value": value, "unit": "it/s", "baseline": base,
            "baseline_name": "fp32 eager NCHW, same run", "ratio": value / base, "steps": steps,
            "device": torch.cuda.get_device_name(),
        })  # fmt: skip

    repeats = 1 if quick else 3
    img = frame()
    plain = _paper_generator()
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]

    def plain_forward() -> np.ndarray:
        with torch.no_grad():
            return plain(pad_to_multiple(x, 32))[0, :, : FRAME[0], : FRAME[1]].numpy()

    fast = ItmnExpander(copy.deepcopy(plain), {"name": "bench"}, "cpu", tile=0)
    tiled = ItmnExpander(copy.deepcopy(plain), {"name": "bench"}, "cpu", tile=512, overlap=128)
    ref = plain_forward().transpose(1, 2, 0)
    agree = float(np.abs(fast.expand_pq(img) - ref).max())
    agree_tiled = float(np.abs(tiled.expand_pq(img) - ref).max())
    wall, cpu = _best(lambda: fast.expand_pq(img), repeats)
    base, base_cpu = _best(plain_forward, repeats)
    rows.append({
        "name": "infer 1920x1080 paper generator (cpu)", "value": wall, "unit": "s", "cpu_s": cpu,
        "baseline": base, "baseline_cpu_s": base_cpu,
        "baseline_name": "eval-mode module, NCHW, BatchNorm unfolded, same run", "ratio": wall / base,
        "target": f"<= {INFER_TARGET_S} s", "max_abs_difference_pq": agree, "threads": default_threads,
        "repeats": repeats, "load_average_1min": os.getloadavg()[0],
    })  # fmt: skip
    # the generator the cpu profile trains (what `reproduce_table1 --profile cpu` produces), same frame
    from itmn.models import UNetGenerator
    from itmn.train.profiles import get_profile

    gcfg = get_profile("cpu").model.generator
    torch.manual_seed(0)
    small = UNetGenerator(**{k: getattr(gcfg, k) for k in gcfg.__dataclass_fields__}).eval()
    small_fast = ItmnExpander(small, {"name": "bench-cpu"}, "cpu", tile=0)
    s_wall, s_cpu = _best(lambda: small_fast.expand_pq(img), repeats)
    rows.append({
        "name": "infer 1920x1080 cpu-profile generator (cpu)", "value": s_wall, "unit": "s", "cpu_s": s_cpu,
        "baseline": wall, "baseline_name": "paper generator, optimized path, same run", "ratio": s_wall / wall,
        "target": f"<= {INFER_TARGET_S} s", "widths": list(gcfg.widths), "repeats": repeats,
        "load_average_1min": os.getloadavg()[0],
    })  # fmt: skip
    t_wall, t_cpu = _best(lambda: tiled.expand_pq(img), repeats)
    rows.append({
        "name": "infer 1920x1080 tiled 512/128 (cpu)", "value": t_wall, "unit": "s", "cpu_s": t_cpu,
        "baseline": wall, "baseline_name": "untiled optimized path, same run", "ratio": t_wall / wall,
        "max_abs_difference_pq": agree_tiled, "repeats": repeats, "load_average_1min": os.getloadavg()[0],
    })  # fmt: skip
    return rows
