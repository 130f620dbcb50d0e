"""ExpandNet (Marnerides, Bashford-Rogers, Hatchett, Debattista, Eurographics 2018) with its authors'
released weights.

Architecture and inference as in dmarnerides/hdr-expandnet @ 2b47572 (``model.py``, ``expand.py``),
reimplemented here; parameter names match the authors' state dict (``weights.pth``) so it loads
unchanged. Three branches on the same input: *local* (two 3x3 convolutions, 128 features),
*dilated* (``mid_net``, four 3x3 convolutions with dilation 2, 64 features) and *global*
(``glob_net``: the image resized to 256 x 256, six stride-2 convolutions and a 4x4 convolution to
one 64-vector); the three are concatenated (256 channels) and fused by two 1x1 convolutions and a
sigmoid. SELU after every convolution except the last of each branch.

Pre-processing as ``expand.py``: ``x = float32(image)``, then ``map_range``: the image's own
[min, max] (all channels together) mapped linearly to [0, 1] (numpy's ``interp``). RGB order.

Native output (reference/published/README.md): the sigmoid's H x W x 3 float32 RGB in [0, 1],
relative linear HDR, BT.709 primaries. ``tiled=True`` is the authors' ``predict(x, 256)`` (what
``expand.py`` runs: the global feature from the whole image, local and dilated branches on 256 x 256
patches with 20 pixels overlap, each patch's central part kept); ``tiled=False`` the whole-image
``forward``. The two agree up to rounding away from the image border (the part of a patch that
is kept lies at least 10 pixels inside it, beyond the 8-pixel reach of the dilated branch) and
differ near it, where ``predict`` zero-pads the *input* by 10 pixels while ``forward`` zero-pads
every layer.

The authors' script then divides by the output's own range (``map_range(prediction, 0, 1)``) and
writes a Radiance file; that normalization is the ``output="authors"`` variant of the method in
the registry, not part of the native output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from baselines.published import _common

__all__ = ["GLOBAL_SIZE", "OVERLAP", "PATCH", "ExpandNet", "load", "map_range", "native", "preprocess"]

#: The authors' default patch size of ``predict`` (``--patch_size`` of expand.py).
PATCH = 256
#: Overlap of neighbouring patches in ``predict`` (fixed in the authors' code).
OVERLAP = 20
#: Side of the resized image the global branch sees.
GLOBAL_SIZE = 256


def _conv_selu(c_in: int, c_out: int, k: int, stride: int, pad: int, dil: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, pad, dil), nn.SELU())


class ExpandNet(nn.Module):
    """The network; input 1 x 3 x H x W RGB in [0, 1] (after :func:`map_range`), any H, W >= 1."""

    def __init__(self) -> None:
        super().__init__()
        self.local_net = nn.Sequential(_conv_selu(3, 64, 3, 1, 1), _conv_selu(64, 128, 3, 1, 1))
        self.mid_net = nn.Sequential(
            _conv_selu(3, 64, 3, 1, 2, 2),
            _conv_selu(64, 64, 3, 1, 2, 2),
            _conv_selu(64, 64, 3, 1, 2, 2),
            nn.Conv2d(64, 64, 3, 1, 2, 2),
        )
        self.glob_net = nn.Sequential(
            _conv_selu(3, 64, 3, 2, 1),
            *[_conv_selu(64, 64, 3, 2, 1) for _ in range(5)],
            nn.Conv2d(64, 64, 4, 1, 0),
        )
        self.end_net = nn.Sequential(_conv_selu(256, 64, 1, 1, 0), nn.Conv2d(64, 3, 1, 1, 0), nn.Sigmoid())

    def global_features(self, x: torch.Tensor) -> torch.Tensor:
        """N x 64 x 1 x 1 from the whole image resized (bilinear, half-pixel centres) to 256 x 256."""
        small = F.interpolate(x, (GLOBAL_SIZE, GLOBAL_SIZE), mode="bilinear", align_corners=False)
        return self.glob_net(small)

    def fuse(self, x: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
        """Local and dilated branches on ``x``, the given global features broadcast, then the 1x1 fusion."""
        local = self.local_net(x)
        mid = self.mid_net(x)
        n, _, h, w = local.shape
        return self.end_net(torch.cat((local, mid, glob.expand(n, glob.shape[1], h, w)), dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Whole-image inference (the authors' ``forward``)."""
        return self.fuse(x, self.global_features(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, patch_size: int = PATCH) -> torch.Tensor:
        """The authors' patch-wise inference ``predict(x, patch_size)`` for 1 x 3 x H x W input.

        The input is zero-padded by ``OVERLAP / 2`` on every side; patches of ``patch_size`` start
        every ``patch_size - OVERLAP`` pixels of the padded image; each patch's output without its
        ``OVERLAP / 2`` border is written to the output at the patch's start. Returns 1 x 3 x H x W.
        """
        if patch_size <= OVERLAP:
            raise ValueError(f"patch_size={patch_size}: must exceed the overlap of {OVERLAP} pixels")
        half = OVERLAP // 2
        step = patch_size - OVERLAP
        glob = self.global_features(x)
        h, w = x.shape[-2:]
        xp = F.pad(x, (half, half, half, half))
        ph, pw = h + OVERLAP, w + OVERLAP
        out = torch.empty((x.shape[0], 3, h, w), dtype=x.dtype, device=x.device)
        for top in range(0, ph, step):
            rows = min(step, h - top)
            if rows <= 0:  # a last patch lying in the padding only: it writes nothing
                continue
            for left in range(0, pw, step):
                cols = min(step, w - left)
                if cols <= 0:
                    continue
                res = self.fuse(
                    xp[..., top : min(top + patch_size, ph), left : min(left + patch_size, pw)], glob
                )
                out[..., top : top + rows, left : left + cols] = res[
                    ..., half : half + rows, half : half + cols
                ]
        return out


def map_range(x: np.ndarray) -> np.ndarray:
    """The authors' ``map_range(x)``: [x.min(), x.max()] -> [0, 1] linearly (numpy ``interp``,
    computed in float64), returned in ``x``'s dtype. A constant image becomes all ones (what
    ``interp`` returns for equal end points)."""
    return np.interp(x, [x.min(), x.max()], [0.0, 1.0]).astype(x.dtype)


def preprocess(img: np.ndarray) -> np.ndarray:
    """H x W x 3 RGB (uint8/uint16 codes or float code values) -> H x W x 3 float32 network input
    in [0, 1]: ``map_range(float32(img))`` as expand.py does."""
    arr = _common.check_image(img, "ExpandNet")
    return map_range(np.asarray(arr, dtype=np.float32))


def load(
    device: str | torch.device | None = "cpu", *, cache: str | Path | None = None, mirror: str | None = None
) -> ExpandNet:
    """ExpandNet with the released ``weights.pth`` (fetched and verified; see ``weights``), eval mode."""
    dev = device if isinstance(device, torch.device) else _common.pick_device(device)
    return _common.load_model(ExpandNet, "expandnet", device=dev, cache=cache, mirror=mirror)


def run(net: ExpandNet, x: np.ndarray, *, tiled: bool = True, patch_size: int = PATCH) -> np.ndarray:
    """The network on a preprocessed H x W x 3 float32 input; returns H x W x 3 float32 (CPU numpy)."""
    t = _common.to_input(x, net)
    with torch.no_grad():
        y = net.predict(t, patch_size) if tiled else net(t)
    return y[0].permute(1, 2, 0).float().cpu().numpy()


def native(
    img: np.ndarray,
    tiled: bool = True,
    *,
    patch_size: int = PATCH,
    device: str | None = "cpu",
    cache: str | Path | None = None,
    mirror: str | None = None,
) -> np.ndarray:
    """ExpandNet's native output for an H x W x 3 RGB image (uint8 as read from a PNG; float code
    values in [0, 1] also accepted): H x W x 3 float32 RGB in [0, 1], relative linear HDR.

    ``tiled=True``: the authors' ``predict(x, 256)`` (``patch_size``); ``tiled=False``: the
    whole-image forward. Weights from the cache or the mirror (``ITMN_DATA_MIRROR``).
    """
    net = load(device, cache=cache, mirror=mirror)
    return run(net, preprocess(img), tiled=tiled, patch_size=patch_size)


def describe() -> dict[str, Any]:
    """Provenance of this implementation (for run records)."""
    return {"code": "dmarnerides/hdr-expandnet @ 2b47572 (reimplemented)", "weights": "weights.pth"}
