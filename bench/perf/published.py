"""1080p CPU time and peak memory of the published networks (``python -m bench.perf --only published``).

One row of time and one of memory per case: ExpandNet (the authors' patch-wise ``predict(x, 256)``
and the whole-image forward), LHDR and HDRTVDM (whole image, and in 512-pixel tiles), each on the
1920 x 1080 8-bit frame of :func:`bench.perf.baselines.bench_image`, float32, torch's default
thread count, through ``native()`` (pre-processing included, the display mapping not).

How memory is measured, and why: each case runs in a fresh Python process, which reports its
resident set once the model is loaded (``/proc/self/statm``) and its resident-set high-water mark
(``getrusage(RUSAGE_SELF).ru_maxrss``) after the forward pass; the row's value is the difference,
the memory the forward pass itself needed (the peak total is kept beside it; for a small image
the high-water mark of importing and loading can exceed the forward's, so the value is an upper
bound there). tracemalloc cannot be used: torch allocates
tensors in C++, outside Python's allocator, so tracemalloc sees almost nothing of them; and the
high-water mark is per process, hence one process per case. Time is one run (wall clock and
process CPU time) after loading, without a warm-up (a 1080p frame takes long enough that the
first-call setup of the convolution kernels is a small part; a warm-up would double the run).
The machine may be shared: the load average is recorded with each row.

Rows are skipped (with a message) when the weights are neither cached nor in the mirror.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

#: name -> (module, keyword arguments of native())
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "expandnet predict256": ("expandnet", {"tiled": True}),
    "expandnet whole-image": ("expandnet", {"tiled": False}),
    "lhdr": ("lhdr", {}),
    "lhdr tile=512": ("lhdr", {"tile": 512, "overlap": 32}),
    "hdrtvdm": ("hdrtvdm", {}),
    "hdrtvdm tile=512": ("hdrtvdm", {"tile": 512, "overlap": 32}),
}


def _maxrss_mib() -> float:
    import resource

    # Linux reports kilobytes (macOS bytes; this benchmark documents Linux numbers)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _rss_now_mib() -> float:
    """Current resident set size (Linux /proc/self/statm); the high-water mark elsewhere."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return _maxrss_mib()


def measure(case: str, shape: tuple[int, int]) -> dict[str, Any]:
    """Run one case in this process: {"wall_s", "cpu_s", "rss_loaded_mib", "rss_peak_mib", ...}."""
    import importlib
    import time

    import numpy as np
    import torch

    from bench.perf.baselines import bench_image

    module, kwargs = CASES[case]
    mod = importlib.import_module(f"baselines.published.{module}")
    img = bench_image()
    if img.shape[:2] != shape:
        img = img[: shape[0], : shape[1]]
    img8 = np.rint(img * 255.0).astype(np.uint8)
    mod.load(device="cpu")  # fetch, verify and build the model before measuring
    rss_loaded = _rss_now_mib()
    t, c = time.perf_counter(), time.process_time()
    out = mod.native(img8, device="cpu", **kwargs)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    assert out.shape == img8.shape and np.isfinite(out).all()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_loaded_mib": rss_loaded,
        "rss_peak_mib": _maxrss_mib(),
        "threads": torch.get_num_threads(),
        "shape": list(img8.shape[:2]),
    }


def _run_case(case: str, shape: tuple[int, int]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.perf.published", "--case", case, "--shape", f"{shape[0]}x{shape[1]}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"{case}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
        )
    return json.loads(lines[-1])


def run(args: argparse.Namespace) -> list[dict]:
    from baselines.published.weights import WEIGHTS, cached_state
    from bench.perf.baselines import SHAPE
    from itmn import paths

    if paths.data_mirror() is None and any(cached_state(w) != "verified" for w in WEIGHTS.values()):
        print("[perf] published: skipped (weights not cached and no ITMN_DATA_MIRROR)", file=sys.stderr)
        return []
    rows = []
    for case in CASES:
        try:
            m = _run_case(case, SHAPE)
        except RuntimeError as exc:
            print(f"[perf] published: {exc}", file=sys.stderr)
            continue
        size = f"{m['shape'][1]}x{m['shape'][0]}"
        common = {"threads": m["threads"], "load_average_1min": os.getloadavg()[0], "device": "cpu"}
        rows.append(
            {
                "name": f"{case} {size} cpu time",
                "value": m["wall_s"],
                "unit": "s",
                "cpu_s": m["cpu_s"],
                **common,
            }
        )
        rows.append(
            {
                "name": f"{case} {size} forward memory",
                "value": m["rss_peak_mib"] - m["rss_loaded_mib"],
                "unit": "MiB",
                "rss_peak_mib": m["rss_peak_mib"],
                "rss_loaded_mib": m["rss_loaded_mib"],
                "method": "ru_maxrss high-water mark after the forward minus resident set after loading, fresh process",
                **common,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.perf.published", description="run one case (internal)")
    p.add_argument("--case", required=True, choices=list(CASES))
    p.add_argument("--shape", default="1080x1920", help="HxW")
    args = p.parse_args(argv)
    h, w = (int(v) for v in args.shape.split("x"))
    print(json.dumps(measure(args.case, (h, w))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
