"""DistributedDataParallel on CPU (gloo) under ``torchrun --nproc_per_node=2``: the run finishes,
only rank 0 writes, and two DDP runs of the same configuration end bit-identical (each rank takes
its slice of the global batch of an iteration, so sharding keeps determinism)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import itmn_train_test_support as ts  # registered by tests/conftest.py
import pytest

from itmn.train.config import to_dict


def _torchrun(config: Path, out: Path, port: int) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port", str(port),
        str(Path(ts.__file__).resolve()), "train", "--config", str(config), "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.slow
def test_ddp_two_processes_gloo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    data = ts.session_dataset(tmp_path_factory)
    cfg = ts.tiny_config(
        data, **{"run.iterations": 6, "run.checkpoint_every": 3, "run.batch_size": 4, "run.plots": False}
    )
    cfg_file = tmp_path / "ddp.json"
    cfg_file.write_text(json.dumps(to_dict(cfg)))
    runs = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        proc = _torchrun(cfg_file, out, 29613 + i)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append(out)
    info = json.loads((runs[0] / "run.json").read_text())
    assert info["status"] == "finished" and info["world_size"] == 2
    lines = (runs[0] / "log.csv").read_text().splitlines()
    assert len(lines) == 1 + 6  # one header, one row per iteration: rank 1 wrote nothing
    assert not list(runs[0].glob("**/*.tmp"))
    ts.assert_bit_identical(ts.state_dicts(runs[0]), ts.state_dicts(runs[1]), "ddp")


def test_batch_size_must_split_over_ranks() -> None:
    import torch

    from itmn.errors import ConfigError
    from itmn.train.distributed import DistInfo, shard

    batch = {"ldr": torch.zeros(6, 3, 4, 4), "hdr": torch.ones(6, 3, 4, 4), "name": list("abcdef")}
    part = shard(batch, DistInfo(rank=1, world_size=3))
    assert part["name"] == ["c", "d"] and part["ldr"].shape[0] == 2
    with pytest.raises(ConfigError, match="not divisible by the 4 DDP processes"):
        shard(batch, DistInfo(rank=0, world_size=4))
