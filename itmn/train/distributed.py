"""Devices, mixed precision and DistributedDataParallel under ``torchrun``.

``torchrun --nproc_per_node=N -m itmn.cli train ...`` sets ``RANK``, ``LOCAL_RANK`` and
``WORLD_SIZE``; :func:`detect` reads them and :func:`init` starts the process group (NCCL on
CUDA, gloo on CPU). Each rank builds the *global* batch of an iteration (it depends only on the
seed and the iteration) and keeps its contiguous slice, so the run is deterministic for a given
world size and resumes exactly. Only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from itmn.errors import ConfigError


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def detect() -> DistInfo:
    """Rank, world size and local rank from the torchrun environment (single process otherwise)."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError as exc:
        raise ConfigError(f"torchrun environment is malformed: {exc}") from None
    return DistInfo(rank=rank, world_size=world, local_rank=local)


def resolve_device(requested: str, dist: DistInfo) -> torch.device:
    """``auto`` -> ``cuda:<local rank>`` when CUDA is available, else ``cpu``."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(requested)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                f"run.device = {requested!r} but CUDA is not available (torch {torch.__version__})"
            )
        if dev.index is None:
            dev = torch.device("cuda", dist.local_rank % torch.cuda.device_count())
        torch.cuda.set_device(dev)
    elif dev.type != "cpu":
        raise ConfigError(f"run.device = {requested!r} (expected auto, cpu, cuda or cuda:N)")
    return dev


def init(dist: DistInfo, device: torch.device) -> None:
    """Start the default process group when running under torchrun with more than one process."""
    if not dist.enabled or torch.distributed.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend=backend, rank=dist.rank, world_size=dist.world_size)


def shutdown(dist: DistInfo) -> None:
    if dist.enabled and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def barrier(dist: DistInfo) -> None:
    if dist.enabled:
        torch.distributed.barrier()


def shard(batch: dict[str, Any], dist: DistInfo) -> dict[str, Any]:
    """This rank's contiguous slice of a global batch (tensors and lists sliced alike)."""
    if not dist.enabled:
        return batch
    n = len(batch["ldr"])
    if n % dist.world_size:
        raise ConfigError(f"run.batch_size = {n} is not divisible by the {dist.world_size} DDP processes")
    per = n // dist.world_size
    lo, hi = dist.rank * per, (dist.rank + 1) * per
    return {
        k: v[lo:hi] if hasattr(v, "__getitem__") and not isinstance(v, str) else v for k, v in batch.items()
    }


def any_flag(flag: bool, dist: DistInfo, device: torch.device) -> bool:
    """True on every rank when ``flag`` is true on any rank (a stop request seen by one process)."""
    if not dist.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return bool(t.item())


def mean_logs(logs: dict[str, float], dist: DistInfo, device: torch.device) -> dict[str, float]:
    """Average scalar logs over ranks (every rank holds the same keys)."""
    if not dist.enabled or not logs:
        return logs
    keys = sorted(logs)
    t = torch.tensor([float(logs[k]) for k in keys], device=device, dtype=torch.float64)
    torch.distributed.all_reduce(t)
    t /= dist.world_size
    return dict(zip(keys, t.tolist()))


# --------------------------------------------------------------------------- precision
def amp_dtype(mode: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype: ``auto`` = bf16 when the GPU supports it, else fp16; never on CPU."""
    if device.type != "cuda" or mode == "off":
        if mode in ("bf16", "fp16") and device.type != "cuda":
            raise ConfigError(f"run.amp = {mode!r} needs a CUDA device (device is {device})")
        return None
    if mode == "bf16":
        return torch.bfloat16
    if mode == "fp16":
        return torch.float16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    if dtype is None:
        yield
    else:
        with torch.autocast(device_type=device.type, dtype=dtype):
            yield
