"""Loading a trained DrTM model and ``expand(ldr) -> hdr`` (baselines.drtm.expander)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from baselines.drtm import build_nets, load_expander, predict_radiance, relative_to_display
from itmn.errors import CheckpointError, ImageError

TINY = {"kind": "drtm", "width": 4, "n_levels": 4, "n_frames": 4, "ev_step": 1.0, "zero_init_last": False}


def _nets(seed: int = 0, cfg: dict[str, Any] = TINY) -> dict[str, torch.nn.Module]:
    torch.manual_seed(seed)
    nets = build_nets(cfg)
    with torch.no_grad():  # non-trivial running BatchNorm statistics, as after training
        for net in nets.values():
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm3d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 2.0)
    return nets


def _save(path: Path, nets: dict[str, torch.nn.Module], cfg: dict[str, Any] = TINY) -> Path:
    """A checkpoint in the shape load_for_inference returns: (config with "model", state dicts)."""
    torch.save({"config": {"model": cfg}, "state_dicts": {k: v.state_dict() for k, v in nets.items()}}, path)
    return path


def _loader(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    ck = torch.load(path, weights_only=True)
    return ck["config"], ck["state_dicts"]


def _ldr(seed: int = 0, shape: tuple[int, int] = (24, 40)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.round(255 * rng.uniform(0, 1, size=(*shape, 3))) / 255
    img[:4, :4] = 1.0
    return img.astype(np.float32)


def test_expand_equals_the_direct_computation(tmp_path: Path) -> None:
    nets = _nets()
    exp = load_expander(_save(tmp_path / "ck.pt", nets), "cpu", loader=_loader)
    ldr = _ldr()
    hdr = exp.expand(ldr)
    assert hdr.shape == ldr.shape and hdr.dtype == np.float32
    assert hdr.min() >= 0.005 and hdr.max() <= 1000.0
    for net in nets.values():
        net.eval()
    with torch.no_grad():
        lin = predict_radiance(nets, torch.from_numpy(ldr.transpose(2, 0, 1))[None], TINY)
        direct = relative_to_display(lin)[0].numpy().transpose(1, 2, 0)
    np.testing.assert_allclose(hdr, direct, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(exp.expand(ldr), hdr)  # deterministic
    assert exp.info["name"] == "drtm" and exp.info["learned"] and exp.info["params"]["width"] == 4
    assert exp.info["wrapper"] is not None
    assert "camera=srgb" in exp.config_string() and "protocol v1" in exp.config_string()
    bracket = exp.bracket(ldr)
    assert bracket.frames.shape == (1, 9, 3, 24, 40)


def test_expand_rejects_bad_ldr(tmp_path: Path) -> None:
    exp = load_expander(_save(tmp_path / "ck.pt", _nets()), "cpu", loader=_loader)
    with pytest.raises(ImageError, match=r"\[0, 255\].*expected display code values in \[0, 1\]"):
        exp.expand(_ldr() * 255)
    with pytest.raises(ImageError, match="H x W x 3"):
        exp.expand(np.zeros((8, 8), np.float32))
    bad = _ldr()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ImageError, match="1 NaN"):
        exp.expand(bad)


def test_checkpoint_errors(tmp_path: Path) -> None:
    nets = _nets()
    wrong = _save(tmp_path / "wrong.pt", nets, {**TINY, "width": 8})  # weights of width 4, config 8
    with pytest.raises(CheckpointError, match="wrong.pt: weights of network 'up' do not fit"):
        load_expander(wrong, "cpu", loader=_loader)
    torch.save(
        {"config": {"model": TINY}, "state_dicts": {"up": nets["up"].state_dict()}}, tmp_path / "half.pt"
    )
    with pytest.raises(CheckpointError, match="no weights for network 'down'"):
        load_expander(tmp_path / "half.pt", "cpu", loader=_loader)
    torch.save({"config": {"model": {"kind": "itmn"}}, "state_dicts": {}}, tmp_path / "itmn.pt")
    with pytest.raises(CheckpointError, match="model kind is 'itmn'"):
        load_expander(tmp_path / "itmn.pt", "cpu", loader=_loader)


def test_load_through_the_trainers_checkpoint_format(tmp_path: Path) -> None:
    from itmn.train import checkpoint as ckpt

    nets = _nets(1)
    payload = {
        "config": {"model": {"kind": "drtm", "options": {}}},
        "config_hash": "0123456789abcdef",
        "model_cfg": TINY,
        "kind": "drtm",
        "iteration": 7,
        "finished": False,
        "nets": {k: v.state_dict() for k, v in nets.items()},
    }
    path = ckpt.save_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt", payload)
    exp = load_expander(tmp_path / "run", "cpu")  # the run folder, as the registry passes it
    assert exp.info["iteration"] == 7 and exp.info["config_hash"] == "0123456789abcdef"
    assert exp.info["checkpoint"] == str(path)
    direct = load_expander(_save(tmp_path / "ck.pt", nets), "cpu", loader=_loader)
    np.testing.assert_array_equal(exp.expand(_ldr()), direct.expand(_ldr()))


def test_training_display_mapping_agrees_with_the_output_stage() -> None:
    """The torch mapping the DrTM model uses while training (relative_to_display) and the output
    stage every classical method shares (itmn.display.from_relative_bt709) compute the same."""
    from itmn.display import from_relative_bt709

    def torch_mapping(lin: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(np.ascontiguousarray(lin.transpose(2, 0, 1)))[None]
        return relative_to_display(t)[0].numpy().transpose(1, 2, 0)

    rng = np.random.default_rng(5)
    lin = rng.lognormal(0, 2, size=(16, 24, 3)).astype(np.float32)
    lin[0, 0] = [5e3, 0.0, 0.0]  # a saturated primary: clipped at 1000 after BT.2020 conversion
    np.testing.assert_allclose(torch_mapping(lin), from_relative_bt709(lin), rtol=2e-6)
    black = np.zeros((4, 4, 3), np.float32)
    np.testing.assert_allclose(torch_mapping(black), from_relative_bt709(black), rtol=1e-6)
