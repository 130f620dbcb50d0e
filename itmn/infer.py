"""Inference with a trained iTMN generator: padding, seamless tiling, PQ decoding, loading.

:func:`load_expander` returns an :class:`ItmnExpander` whose ``expand(ldr)`` maps an H x W x 3
LDR image (display code values in [0, 1]) to display-referred linear BT.2020 light in cd/m^2,
clipped to the protocol's display range [0.005, 1000] (protocol section 3). The generator
predicts PQ code values; decoding is the output stage every method shares,
:func:`itmn.display.from_pq`.

Large images (4K and up by default) are processed in overlapping tiles: the image is padded
(reflect) to a multiple of 32, cut into tiles whose corners lie on the 32-pixel grid (so every
tile sees the same stride phase as the whole image), and the tiles are blended with smooth
weights that are zero in a margin along inner tile edges (where zero padding of the convolutions
makes a tile differ most from the whole-image result) and rise with a raised cosine. BatchNorm is
in eval mode, so a pixel's result does not depend on what else is in the batch or tile.
tests/itmn/test_infer.py states the tiled-vs-untiled difference achieved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from itmn.display import from_pq
from itmn.errors import CheckpointError
from itmn.images import check_ldr

#: Images with more pixels than this are tiled by default (a 4K frame has 8.3 Mpx).
AUTO_TILE_PIXELS = 4_200_000
VARIANTS = ("itmn", "nodmse", "noadvreg")


# --------------------------------------------------------------------------- pure helpers
def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad N x C x H x W on the bottom/right to multiples of ``multiple`` (reflect; replicate
    where the image is too small to reflect)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def pq_to_display(code: np.ndarray) -> np.ndarray:
    """PQ code values (H x W x 3, BT.2020) -> cd/m^2 clipped to the display range (the shared
    output stage, :func:`itmn.display.from_pq`)."""
    return from_pq(np.asarray(code, dtype=np.float32))


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold eval-mode BatchNorm layers that follow a (transposed) convolution in an
    ``nn.Sequential`` into that convolution (in place; returns ``model``). Same function up to
    float rounding, one pass over memory less per layer."""
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if not isinstance(conv, nn.Conv2d | nn.ConvTranspose2d) or not isinstance(bn, nn.BatchNorm2d):
                continue
            if conv.groups != 1 or bn.running_var is None:
                continue
            with torch.no_grad():
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                shape = [1, -1, 1, 1] if isinstance(conv, nn.ConvTranspose2d) else [-1, 1, 1, 1]
                conv.weight.mul_(scale.reshape(shape))
                bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                new_bias = (bias - bn.running_mean) * scale + bn.bias
                conv.bias = nn.Parameter(new_bias)
            seq[i + 1] = nn.Identity()
    return model


def _ramp(length: int, start_inner: bool, end_inner: bool, overlap: int) -> torch.Tensor:
    """1-D blending weight of a tile: along an inner edge, 0 over a margin of overlap/4, then a
    raised cosine up to 1 over overlap/2; 1 along image borders."""
    w = torch.ones(length, dtype=torch.float64)
    margin, rise = overlap // 4, max(overlap - 2 * (overlap // 4), 1)
    t = (torch.arange(rise, dtype=torch.float64) + 0.5) / rise
    ramp = torch.cat([torch.zeros(margin, dtype=torch.float64), 0.5 - 0.5 * torch.cos(math.pi * t)])
    ramp = ramp[:length]
    if start_inner:
        w[: len(ramp)] = torch.minimum(w[: len(ramp)], ramp)
    if end_inner:
        w[length - len(ramp) :] = torch.minimum(w[length - len(ramp) :], ramp.flip(0))
    return w


def _starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)
    return sorted(set(starts))


def predict_tiled(
    net: nn.Module, x: torch.Tensor, tile: int = 1024, overlap: int = 128, multiple: int = 32
) -> torch.Tensor:
    """Run ``net`` (N x 3 x H x W -> N x C x H x W, eval mode) over ``x`` in overlapping tiles.

    ``tile`` and ``overlap`` are rounded up to multiples of ``multiple`` (the generator's total
    stride); tile corners lie on that grid. Returns the blended output, same H x W as ``x``.
    """
    tile = max(multiple, -(-tile // multiple) * multiple)
    overlap = min(-(-overlap // multiple) * multiple, tile - multiple)
    h, w = x.shape[-2:]
    xp = pad_to_multiple(x, multiple)
    hp, wp = xp.shape[-2:]
    if hp <= tile and wp <= tile:
        return net(xp)[..., :h, :w]
    step = tile - overlap
    ys, xs = _starts(hp, tile, step), _starts(wp, tile, step)
    out: torch.Tensor | None = None
    norm = torch.zeros(1, 1, hp, wp, dtype=torch.float64, device=x.device)
    for y0 in ys:
        th = min(tile, hp - y0)
        wy = _ramp(th, y0 > 0, y0 + th < hp, overlap)
        for x0 in xs:
            tw = min(tile, wp - x0)
            wx = _ramp(tw, x0 > 0, x0 + tw < wp, overlap)
            pred = net(xp[..., y0 : y0 + th, x0 : x0 + tw]).to(torch.float64)
            if out is None:
                out = torch.zeros(x.shape[0], pred.shape[1], hp, wp, dtype=torch.float64, device=x.device)
            wt = (wy[:, None] * wx[None, :]).to(x.device)
            out[..., y0 : y0 + th, x0 : x0 + tw] += pred * wt
            norm[..., y0 : y0 + th, x0 : x0 + tw] += wt
    assert out is not None
    return (out / norm).to(x.dtype)[..., :h, :w]


# --------------------------------------------------------------------------- expander
class ItmnExpander:
    """``expand(ldr) -> hdr`` with a trained generator (see the module docstring).

    Attributes:
        info: name, variant, checkpoint, iteration, finished, config hash, device, tiling.
        net: the generator (eval mode; BatchNorm folded unless ``fold_bn=False``).
    """

    def __init__(
        self,
        net: nn.Module,
        info: dict[str, Any],
        device: str | torch.device | None = None,
        *,
        tile: int | None = None,
        overlap: int = 128,
        channels_last: bool = True,
        fold_bn: bool = True,
    ) -> None:
        if device in (None, "auto"):
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        net = net.eval()
        if fold_bn:
            fold_batchnorm(net)
        self.channels_last = channels_last
        self.net = net.to(
            self.device, memory_format=torch.channels_last if channels_last else torch.contiguous_format
        )
        self.multiple = int(getattr(net, "multiple", 32))
        self.tile, self.overlap = tile, overlap
        self.info = {
            **info,
            "device": str(self.device),
            "tile": tile if tile is not None else "auto",
            "overlap": overlap,
        }

    def _tiled(self, h: int, w: int) -> int | None:
        if self.tile is None:
            return 1024 if h * w > AUTO_TILE_PIXELS else None
        return self.tile or None

    def _input(self, arr: np.ndarray) -> torch.Tensor:
        """H x W x 3 -> 1 x 3 x H x W; an HWC array *is* channels_last memory, so no copy on CPU."""
        x = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None]
        return (x if self.channels_last else x.contiguous()).to(self.device)

    def expand_pq(self, ldr: Any) -> np.ndarray:
        """LDR H x W x 3 in [0, 1] -> PQ code values H x W x 3 in [0, 1] (BT.2020)."""
        arr = check_ldr(ldr).astype(np.float32, copy=False)
        h, w = arr.shape[:2]
        tile = self._tiled(h, w)
        with torch.inference_mode():
            if tile:
                y = predict_tiled(
                    self.net, self._input(arr), tile=tile, overlap=self.overlap, multiple=self.multiple
                )
            else:  # pad in numpy (same reflect rule as pad_to_multiple) to keep the channels_last layout
                ph, pw = (-h) % self.multiple, (-w) % self.multiple
                mode = "reflect" if ph < h and pw < w else "edge"
                y = self.net(self._input(np.pad(arr, ((0, ph), (0, pw), (0, 0)), mode=mode)))[..., :h, :w]
        return np.ascontiguousarray(y[0].permute(1, 2, 0).float().cpu().numpy())

    def expand(self, ldr: Any) -> np.ndarray:
        """LDR H x W x 3 display code values in [0, 1] -> linear BT.2020 cd/m^2 in [0.005, 1000]."""
        return pq_to_display(self.expand_pq(ldr))

    def expand_many(self, images: Iterable[Any]) -> Iterable[np.ndarray]:
        """Expand images one after another (any sizes; a generator, so a folder streams)."""
        for img in images:
            yield self.expand(img)

    def __call__(self, ldr: Any) -> np.ndarray:
        return self.expand(ldr)


def variant_of(config: dict[str, Any]) -> str:
    """``itmn``, ``nodmse``, ``noadvreg`` or ``nodmse+noadvreg`` from a run configuration dict."""
    loss = config.get("loss", {})
    parts = []
    if float(loss.get("alpha", 1.0)) == 0.0:
        parts.append("nodmse")
    if not loss.get("adversarial", True):
        parts.append("noadvreg")
    return "+".join(parts) or "itmn"


def load_expander(
    checkpoint: str | Path,
    device: str | torch.device | None = None,
    variant: str | None = None,
    **options: Any,
) -> ItmnExpander:
    """An :class:`ItmnExpander` from a run folder or checkpoint file.

    ``variant`` (``itmn`` | ``nodmse`` | ``noadvreg``) is checked against the checkpoint's
    configuration: loading, say, a NoDMSE run as ``itmn`` raises :class:`CheckpointError`
    (a mislabelled model would put wrong numbers in a table). ``options`` go to
    :class:`ItmnExpander` (``tile``, ``overlap``, ``channels_last``, ``fold_bn``). An unfinished
    run loads (its iteration is in ``info``) with a warning.
    """
    from itmn.models import UNetGenerator
    from itmn.train.checkpoint import load_for_inference

    config, state_dicts = load_for_inference(checkpoint)
    where = config["train"]["checkpoint"]
    model_cfg = config["model"]
    if model_cfg.get("kind") != "itmn":
        raise CheckpointError(
            f"{where}: model kind is {model_cfg.get('kind')!r}, expected 'itmn' (use the drtm method)"
        )
    found = variant_of(config)
    if variant is not None:
        if variant not in VARIANTS:
            raise CheckpointError(f"variant {variant!r} is not one of {VARIANTS}")
        if found != variant:
            raise CheckpointError(
                f"{where}: checkpoint is a {found!r} run (loss.alpha={config['loss']['alpha']}, "
                f"loss.adversarial={config['loss']['adversarial']}) but was loaded as {variant!r}"
            )
    net = UNetGenerator(**model_cfg["generator"])
    try:
        net.load_state_dict(state_dicts["generator"])
    except (KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{where}: generator weights do not fit its configuration: {exc}") from None
    if not config["train"]["finished"]:
        import warnings

        warnings.warn(
            f"{where}: run not finished (iteration {config['train']['iteration']} of "
            f"{config['run']['iterations']}); using its last checkpoint",
            stacklevel=2,
        )
    info = {
        "name": "itmn" if found == "itmn" else f"itmn-{found}",
        "variant": found,
        "checkpoint": where,
        "config_name": config.get("name"),
        "config_hash": config["train"]["config_hash"],
        "iteration": config["train"]["iteration"],
        "finished": config["train"]["finished"],
    }
    return ItmnExpander(net, info, device, **options)
