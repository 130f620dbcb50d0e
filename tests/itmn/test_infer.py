"""Inference: padding, BatchNorm folding, seamless tiling, the expander and its checkpoint checks
(itmn.infer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from itmn.errors import CheckpointError, ImageError
from itmn.infer import ItmnExpander, fold_batchnorm, load_expander, pad_to_multiple, predict_tiled, variant_of
from itmn.models import UNetGenerator
from itmn.train import checkpoint as ckpt
from itmn.train.config import config_hash, set_value, to_dict
from itmn.train.profiles import get_profile

#: Largest |tiled - untiled| in PQ code values accepted by the tiling test (measured: see the test).
TILE_BOUND = 5e-4


def _generator(seed: int = 0, widths: tuple[int, ...] = (8, 16, 16, 32, 32)) -> nn.Module:
    """A generator with random weights and random BatchNorm running statistics, in eval mode."""
    torch.manual_seed(seed)
    g = UNetGenerator(widths=widths)
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return g.eval()


def _image(h: int, w: int, seed: int = 1) -> torch.Tensor:
    """A smooth image with edges (not noise), N x 3 x H x W in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w] / max(h, w)
    img = np.stack([0.5 + 0.4 * np.sin(6 * xx + 3 * c) * np.cos(5 * yy) for c in range(3)])
    img[:, h // 3 : h // 2, w // 4 : w // 2] = 0.95
    img += 0.02 * rng.standard_normal(img.shape)
    return torch.from_numpy(np.clip(img, 0, 1).astype(np.float32))[None]


def test_pad_to_multiple() -> None:
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).reshape(2, 3, 5, 7)
    y = pad_to_multiple(x, 4)
    assert y.shape == (2, 3, 8, 8)
    assert torch.equal(y[..., :5, :7], x)
    assert torch.equal(y[..., 5, :7], x[..., 3, :])  # reflect (row 4 mirrored around the edge)
    assert pad_to_multiple(x[..., :4, :4], 4).shape == (2, 3, 4, 4)  # already a multiple: unchanged
    tiny = torch.rand(1, 3, 2, 2)
    assert pad_to_multiple(tiny, 32).shape == (1, 3, 32, 32)  # too small to reflect: replicate


def test_fold_batchnorm_keeps_the_function() -> None:
    g = _generator()
    x = _image(64, 96)
    with torch.no_grad():
        ref = g(x)
        folded = fold_batchnorm(_generator())
        assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
        out = folded(x)
    assert float((out - ref).abs().max()) < 1e-5


def test_tiling_is_seamless() -> None:
    """Tiled (64 px tiles, 32 px overlap: many inner edges) vs whole-image inference on a 200 x 330
    image with a random-weight generator. Measured max |difference|: 1.8e-4 PQ code values (a
    fifth of one 10-bit code step, 1/1023); bound TILE_BOUND = 5e-4."""
    g = _generator()
    x = _image(200, 330)
    with torch.no_grad():
        whole = g(pad_to_multiple(x, 32))[..., :200, :330]
        tiled = predict_tiled(g, x, tile=64, overlap=32)
        one_tile = predict_tiled(g, x, tile=512, overlap=32)
    assert tiled.shape == whole.shape == x.shape
    diff = float((tiled - whole).abs().max())
    print(f"max |tiled - untiled| = {diff:.3g}")
    assert diff < TILE_BOUND
    assert torch.equal(one_tile, whole)  # one tile = the plain forward pass


def test_larger_overlap_is_closer() -> None:
    g = _generator(3)
    x = _image(160, 192, seed=4)
    with torch.no_grad():
        whole = g(x)
        small = float((predict_tiled(g, x, tile=96, overlap=32) - whole).abs().max())
        large = float((predict_tiled(g, x, tile=96, overlap=64) - whole).abs().max())
    assert large <= small


def _expander(**kw: object) -> ItmnExpander:
    return ItmnExpander(_generator(), {"name": "itmn"}, "cpu", **kw)


def test_expand_range_shape_and_tiling() -> None:
    exp = _expander(tile=64, overlap=32)
    ldr = _image(70, 101)[0].numpy().transpose(1, 2, 0)
    hdr = exp.expand(ldr)
    assert hdr.shape == (70, 101, 3) and hdr.dtype == np.float32
    assert float(hdr.min()) >= 0.005 and float(hdr.max()) <= 1000.0
    untiled = _expander(tile=0).expand(ldr)
    assert float(np.abs(untiled - hdr).max()) < 1000.0 * 0.05  # same image, different route
    assert len(list(exp.expand_many([ldr, ldr[:40, :50]]))) == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((8, 8, 3), dtype=np.uint8), "dtype uint8"),
        (np.full((8, 8, 3), 1.5, dtype=np.float32), r"span \[1.5, 1.5\]"),
        (np.zeros((8, 8), dtype=np.float32), r"shape \(8, 8\)"),
        (np.full((8, 8, 3), np.nan, dtype=np.float32), "192 NaN"),
    ],
)
def test_expand_rejects_bad_input(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        _expander().expand(bad)


def _write_run(root: Path, name: str) -> Path:
    """A run folder with a checkpoint of profile ``name`` (tiny generator, no training)."""
    config = get_profile(name)
    set_value(config, "model.generator.widths", (8, 16, 16, 32, 32))
    torch.manual_seed(0)
    g = UNetGenerator(widths=(8, 16, 16, 32, 32))
    cfg = to_dict(config)
    ckpt.save_checkpoint(
        root / "checkpoints" / "last.pt",
        {
            "config": cfg,
            "config_hash": config_hash(config),
            "model_cfg": {"kind": "itmn", "generator": cfg["model"]["generator"], "discriminator": None},
            "kind": "itmn",
            "iteration": config.run.iterations,
            "finished": True,
            "nets": {"generator": g.state_dict()},
            "architecture": ckpt.architecture({"generator": g}),
        },
    )
    return root


def test_load_expander_checks_the_variant(tmp_path: Path) -> None:
    nodmse = _write_run(tmp_path / "nodmse", "nodmse-smoke")
    exp = load_expander(nodmse, device="cpu", variant="nodmse")
    assert exp.info["variant"] == "nodmse" and exp.info["name"] == "itmn-nodmse" and exp.info["finished"]
    assert load_expander(nodmse, device="cpu").info["variant"] == "nodmse"  # no check requested
    with pytest.raises(CheckpointError, match="is a 'nodmse' run .* loaded as 'itmn'"):
        load_expander(nodmse, device="cpu", variant="itmn")
    with pytest.raises(CheckpointError, match="variant 'gan'"):
        load_expander(nodmse, device="cpu", variant="gan")
    noadv = _write_run(tmp_path / "noadv", "noadvreg-smoke")
    assert load_expander(noadv, device="auto", variant="noadvreg").info["variant"] == "noadvreg"
    assert variant_of(to_dict(get_profile("smoke"))) == "itmn"


def test_load_expander_refuses_other_models(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "r", "smoke")
    data = ckpt.read_checkpoint(run / "checkpoints" / "last.pt")
    data["model_cfg"] = {"kind": "drtm", "width": 4}
    ckpt.save_checkpoint(run / "checkpoints" / "last.pt", data)
    with pytest.raises(CheckpointError, match="model kind is 'drtm'"):
        load_expander(run, device="cpu")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_expander(tmp_path, device="cpu")
