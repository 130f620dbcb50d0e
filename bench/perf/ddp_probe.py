"""DDP probe of :mod:`bench.perf.gpu_check` (item ``ddp``): the trainer's DDP code paths over a
process group of any size, one GPU included.

With one process the trainer (:mod:`itmn.train.distributed`) starts no process group and wraps
nothing in DistributedDataParallel, so on a one-GPU machine ``torchrun`` alone never runs NCCL.
This probe starts the group itself (NCCL on CUDA, gloo on CPU), builds the iTMN task of a
configuration with DDP forced on (:class:`ForcedDist`), runs a few training steps on fixed seeded
batches through the same calls the training loop makes (``shard``, ``step``, ``mean_logs``,
``any_flag``, ``barrier``), then the same steps from the same seed without DDP. With one process
the two are the same computation; with several, each rank normalizes its own slice (the
comparison is then only indicative).

:func:`probe` runs in the calling process (gpu_check does this: a one-process group on a free
local port); under ``torchrun`` the module joins the job and rank 0 writes the result::

    python -m torch.distributed.run --nproc_per_node=2 -m bench.perf.ddp_probe \\
        --config cfg.json --steps 5 --out probe.json
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import sys
from pathlib import Path
from typing import Any

import torch

from itmn.train import distributed as ddp


@dataclasses.dataclass(frozen=True)
class ForcedDist(ddp.DistInfo):
    """A :class:`~itmn.train.distributed.DistInfo` that says DDP is on whatever the world size."""

    @property
    def enabled(self) -> bool:
        return True


def _batch(cfg: Any, iteration: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + iteration)
    shape = (cfg.run.batch_size, 3, cfg.data.crop, cfg.data.crop)
    return {"ldr": torch.rand(shape, generator=g), "hdr": torch.rand(shape, generator=g)}


def run_steps(
    cfg: Any, dist: ddp.DistInfo, device: torch.device, steps: int
) -> tuple[list[dict[str, float]], bool]:
    """(per-step logs, whether the networks were wrapped in DDP) of ``steps`` iTMN steps."""
    from itmn.train.tasks import build_task

    amp = ddp.amp_dtype(cfg.run.amp, device)
    cl = cfg.run.channels_last == "on" or (cfg.run.channels_last == "auto" and device.type == "cuda")
    torch.manual_seed(cfg.run.seed)
    task = build_task(cfg, device, dist, amp, cl)
    task.train(True)
    wrapped = any(isinstance(m, torch.nn.parallel.DistributedDataParallel) for m in task.train_nets.values())
    out = []
    for it in range(steps):
        logs = task.step(ddp.shard(_batch(cfg, it), dist), it)
        logs = ddp.mean_logs({k: v for k, v in logs.items() if v is not None}, dist, device)
        ddp.any_flag(False, dist, device)
        ddp.barrier(dist)
        out.append({k: float(v) for k, v in logs.items()})
    return out, wrapped


def probe(cfg: Any, steps: int) -> dict[str, Any]:
    """Run the probe in this process. Under ``torchrun`` (``RANK``/``WORLD_SIZE`` set) it joins
    that job; otherwise it starts a one-process group of its own on a free local port. The group
    is destroyed afterwards. Returns the result (the same on every rank)."""
    info = ddp.detect()
    device = ddp.resolve_device(cfg.run.device, info)
    backend = "nccl" if device.type == "cuda" else "gloo"
    saved = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    if cfg.run.threads > 0:
        torch.set_num_threads(cfg.run.threads)
    if info.world_size > 1 or "MASTER_ADDR" in os.environ:
        torch.distributed.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)
    else:
        torch.distributed.init_process_group(
            backend=backend, init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1
        )
    try:
        forced = ForcedDist(rank=info.rank, world_size=info.world_size, local_rank=info.local_rank)
        with_ddp, wrapped = run_steps(cfg, forced, device, steps)
        plain, _ = run_steps(cfg, ddp.DistInfo(), device, steps)
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()
        torch.set_num_threads(saved[0])
        torch.use_deterministic_algorithms(saved[1])
    return {
        "backend": backend,
        "world_size": info.world_size,
        "device": str(device),
        "steps": steps,
        "amp": str(ddp.amp_dtype(cfg.run.amp, device)),
        "ddp_wrapped": wrapped,
        "ddp": with_ddp,
        "plain": plain,
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.perf.ddp_probe", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, required=True, help="a training configuration file (.json/.toml)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--out", type=Path, required=True, help="JSON result (written by rank 0)")
    args = p.parse_args(argv)

    from itmn.atomic import write_json
    from itmn.train.config import load_file

    res = probe(load_file(args.config), args.steps)
    if ddp.detect().is_main:
        write_json(args.out, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
