"""Checkpoint files: round trip, refusal of truncated/corrupt/foreign files, compatibility checks,
RNG state, loading for inference (itmn.train.checkpoint)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from itmn.errors import CheckpointError
from itmn.models import UNetGenerator
from itmn.train import checkpoint as ckpt


def _payload(net: torch.nn.Module) -> dict:
    return {
        "config": {"name": "x", "model": {"kind": "itmn"}},
        "config_hash": "a" * 64,
        "model_cfg": {"kind": "itmn", "generator": {"widths": [4, 8]}, "discriminator": None},
        "kind": "itmn",
        "iteration": 3,
        "finished": False,
        "nets": {"generator": net.state_dict()},
        "architecture": ckpt.architecture({"generator": net}),
        "rng": ckpt.rng_state(),
    }


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, torch.nn.Module]:
    torch.manual_seed(0)
    net = UNetGenerator(widths=(4, 8))
    path = ckpt.save_checkpoint(tmp_path / "checkpoints" / "last.pt", _payload(net))
    return path, net


def test_round_trip(saved: tuple[Path, torch.nn.Module]) -> None:
    path, net = saved
    ck = ckpt.read_checkpoint(path)
    assert ck["iteration"] == 3
    for k, v in net.state_dict().items():
        assert torch.equal(ck["nets"]["generator"][k], v)
    assert not list(path.parent.glob(".*tmp"))  # no temporary file left behind


def test_truncated_file_is_refused(saved: tuple[Path, torch.nn.Module]) -> None:
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        CheckpointError,
        match=r"last.pt: truncated or padded checkpoint: payload has \d+ bytes, header says \d+",
    ):
        ckpt.read_checkpoint(path)
    path.write_bytes(data[:20])
    with pytest.raises(CheckpointError, match="truncated checkpoint header"):
        ckpt.read_checkpoint(path)


def test_corrupt_file_is_refused(saved: tuple[Path, torch.nn.Module]) -> None:
    path, _ = saved
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01  # one flipped bit inside the payload
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="last.pt: corrupt checkpoint: sha256"):
        ckpt.read_checkpoint(path)


def test_foreign_and_missing_files_are_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pt"
    torch.save({"a": 1}, plain)
    with pytest.raises(CheckpointError, match="plain.pt: not an itmn checkpoint"):
        ckpt.read_checkpoint(plain)
    with pytest.raises(CheckpointError, match="nothing.pt: checkpoint not found"):
        ckpt.read_checkpoint(tmp_path / "nothing.pt")
    with pytest.raises(CheckpointError, match="run folder has no checkpoint"):
        ckpt.find_checkpoint(tmp_path)


def test_architecture_mismatch_names_the_parameter(saved: tuple[Path, torch.nn.Module]) -> None:
    path, net = saved
    ck = ckpt.read_checkpoint(path)
    other = UNetGenerator(widths=(4, 16))
    with pytest.raises(
        CheckpointError,
        match=r"architecture mismatch .*generator\.encoder\.1\.0\.weight: checkpoint \[8, 4, 4, 4\] vs model \[16, 4, 4, 4\]",
    ):
        ckpt.check_compatible(ck, path, "a" * 64, ck["config"], {"generator": other})
    ckpt.check_compatible(ck, path, "a" * 64, ck["config"], {"generator": net})  # same: accepted
    with pytest.raises(CheckpointError, match="another configuration"):
        ckpt.check_compatible(ck, path, "b" * 64, ck["config"], {"generator": net})


def test_rng_state_round_trip() -> None:
    state = ckpt.rng_state()
    a = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002 - the legacy global state is what is saved
    ckpt.set_rng_state(state)
    b = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def test_load_for_inference_from_folder_and_file(saved: tuple[Path, torch.nn.Module]) -> None:
    path, net = saved
    for where in (path, path.parent.parent):
        config, sds = ckpt.load_for_inference(where)
        assert config["model"]["kind"] == "itmn" and config["model"]["generator"] == {"widths": [4, 8]}
        assert config["train"]["iteration"] == 3 and config["train"]["finished"] is False
        assert set(sds) == {"generator"}
        assert torch.equal(sds["generator"]["encoder.0.0.weight"], net.state_dict()["encoder.0.0.weight"])
