"""HDRTVDM / LSN (Guo et al., "Learning a practical SDR-to-HDRTV up-conversion using new dataset and
degradation models", CVPR 2023) with its authors' released weights.

Architecture and inference as in AndreGuo/HDRTVDM @ 886e102 (``method/network.py``: ``TriSegNet()``;
``method/test.py``), reimplemented here (without einops); module names match the authors' state
dicts (``method/params.pth``, ``params_3DM.pth``, ``params_DaVinci.pth``) so they load unchanged.

The input x (BT.709 SDR code values in [0, 1]) is split by luminance
``Y = 0.2627 R + 0.6780 G + 0.0593 B`` (BT.2020 weights, as the authors write them) into three
parts: ``x * clamp(Y / 0.7611, 0, 1)`` (bright), ``x * clamp((Y - 1) / (0.7611 - 1), 0, 1)`` (dark)
and x itself (mid). Bright and dark each go through a small Restormer (dim 16, one transformer
block per level, three levels; multi-Dconv transposed attention over channels, gated-Dconv
feed-forward with expansion 2, layer norm with bias over channels); the mid part through 1x1
convolutions 3 -> 32 -> 64 -> 64 -> 32 -> 3 modulated (``f * scale + shift + f``) by vectors
computed from the 8x8-average-pooled image (three stride-2 convolutions and a spatial mean). The
output is the sum of the three: PQ-encoded BT.2020 (HDR10) code values, nominally in [0, 1],
*not clamped* by the network.

Pre-processing as ``test.py``: ``x = float32(png / 255.0)``, RGB, 1 x 3 x H x W. The authors run
the network in float16 (``net.half()``, input ``.half()``); here float16 is used on CUDA
(``precision="auto"``) and float32 on CPU, where the reference outputs were computed
(reference/published/README.md). Their script writes ``round(output * 65535)`` as a 16-bit TIFF.

Native output: the network's output as it is, H x W x 3 float32 RGB (PQ code values, BT.2020).

Sizes: the Restormers down-sample twice by pixel unshuffle, so H and W must be multiples of 4
(:data:`MULTIPLE`), and at least 8 (the prior's 8 x 8 pooling). Other sizes are padded at the bottom and right by mirror reflection (edge pixel
not repeated) to the next multiple of 4, the network runs on the padded image (its global parts,
the attention and the 8x8 prior, see the few mirrored rows too) and the output is cropped back.
Sides that are multiples of 4 are not padded, so the output is the authors' exactly. ``tile > 0`` runs windows
of ``tile`` pixels blended over ``overlap`` pixels, every window given the whole image's 8x8 prior;
the channel attention then sees one window at a time, so tiled outputs differ from whole-image
ones (for images larger than memory allows; the default 0 runs the whole image).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from baselines.published import _common, _layers

__all__ = ["MULTIPLE", "WEIGHTS_KEYS", "TriSegNet", "load", "native", "preprocess", "run"]

#: H and W the network takes are multiples of this.
MULTIPLE = 4
#: ... and at least this (the 8 x 8 average pooling of the prior needs one 8 x 8 block).
MINIMUM = 8
#: The released weights files, by the authors' stem.
WEIGHTS_KEYS = {"params": "hdrtvdm", "params_3DM": "hdrtvdm-3dm", "params_DaVinci": "hdrtvdm-davinci"}
_T_B = 0.7611  # thresholds of the luminance segmentation (both 0.7611 in TriSegNet)
_T_D = 0.7611


# --------------------------------------------------------------------------- mid branch
class _ModulatedPointwise(_layers.ModulatedPointwise):
    """1x1 convolutions in_nc -> nf -> 2 nf -> 2 nf -> nf -> out_nc modulated by the vector of the
    8x8-pooled image (``PWConv_Cond``); its ``Cond_Trunk``'s middle convolution is 3x3, stride 2,
    four groups."""

    def __init__(self, in_nc: int, out_nc: int, nf: int) -> None:
        def trunk() -> nn.Module:
            return _layers.ConditionVector(in_nc, nf, lambda c: nn.Conv2d(c, c, 3, 2, 1, groups=4))

        super().__init__(in_nc, [nf, 2 * nf, 2 * nf, nf, out_nc], nf, trunk)


# --------------------------------------------------------------------------- Restormer (small)
class _ChannelLayerNorm(nn.Module):
    """Layer norm over channels at each pixel, with bias (``WithBias_LayerNorm`` on b (hw) c), eps 1e-5."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.permute(0, 2, 3, 1)
        mu = t.mean(-1, keepdim=True)
        var = t.var(-1, keepdim=True, unbiased=False)
        return ((t - mu) / torch.sqrt(var + 1e-5) * self.weight + self.bias).permute(0, 3, 1, 2)


class _LayerNorm(nn.Module):
    """Holder with the authors' attribute name (``LayerNorm.body``)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.body = _ChannelLayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class _GatedFeedForward(nn.Module):
    """Gated-Dconv feed-forward: 1x1 to 2 hidden, depthwise 3x3, ``gelu(a) * b``, 1x1 back."""

    def __init__(self, dim: int, expansion: float) -> None:
        super().__init__()
        hidden = int(dim * expansion)
        self.project_in = nn.Conv2d(dim, hidden * 2, 1, bias=False)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, 1, 1, groups=hidden * 2, bias=False)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(a) * b)


class _TransposedAttention(nn.Module):
    """Multi-Dconv head transposed attention: softmax of the heads' channel-by-channel cosine
    similarities (over all pixels) times a learned temperature, applied to v."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.num_heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, 3, 1, 1, groups=dim * 3, bias=False)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.num_heads, c // self.num_heads, h * w) for t in (q, k, v))
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(dim=-1)
        return self.project_out((attn @ v).reshape(b, c, h, w))


class _TransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, expansion: float) -> None:
        super().__init__()
        self.norm1 = _LayerNorm(dim)
        self.attn = _TransposedAttention(dim, heads)
        self.norm2 = _LayerNorm(dim)
        self.ffn = _GatedFeedForward(dim, expansion)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class _PatchEmbed(nn.Module):
    def __init__(self, in_c: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_c, dim, 3, 1, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class _Resample(nn.Module):
    """3x3 convolution then pixel (un)shuffle by 2 (``Downsample`` / ``Upsample``)."""

    def __init__(self, dim: int, down: bool) -> None:
        super().__init__()
        out = dim // 2 if down else dim * 2
        self.body = nn.Sequential(
            nn.Conv2d(dim, out, 3, 1, 1, bias=False), nn.PixelUnshuffle(2) if down else nn.PixelShuffle(2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class _Restormer(nn.Module):
    """The authors' reduced Restormer: dim 16, blocks [1, 1, 1], heads [1, 2, 4], expansion 2."""

    def __init__(self, dim: int = 16, expansion: float = 2.0) -> None:
        super().__init__()
        self.patch_embed = _PatchEmbed(3, dim)
        self.encoder_level1 = nn.Sequential(_TransformerBlock(dim, 1, expansion))
        self.down1_2 = _Resample(dim, down=True)
        self.encoder_level2 = nn.Sequential(_TransformerBlock(dim * 2, 2, expansion))
        self.down2_3 = _Resample(dim * 2, down=True)
        self.latent = nn.Sequential(_TransformerBlock(dim * 4, 4, expansion))
        self.up3_2 = _Resample(dim * 4, down=False)
        self.reduce_chan_level2 = nn.Conv2d(dim * 4, dim * 2, 1, bias=False)
        self.decoder_level2 = nn.Sequential(_TransformerBlock(dim * 2, 2, expansion))
        self.up2_1 = _Resample(dim * 2, down=False)
        self.decoder_level1 = nn.Sequential(_TransformerBlock(dim * 2, 1, expansion))
        self.output = nn.Conv2d(dim * 2, 3, 3, 1, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        enc1 = self.encoder_level1(self.patch_embed(x))
        enc2 = self.encoder_level2(self.down1_2(enc1))
        latent = self.latent(self.down2_3(enc2))
        dec2 = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(latent), enc2], 1)))
        dec1 = self.decoder_level1(torch.cat([self.up2_1(dec2), enc1], 1))
        return self.output(dec1)


# --------------------------------------------------------------------------- whole network
def _luma(x: torch.Tensor) -> torch.Tensor:
    return 0.2627 * x[:, 0, :, :] + 0.6780 * x[:, 1, :, :] + 0.0593 * x[:, 2, :, :]


class TriSegNet(nn.Module):
    """HDRTVDM's network: 1 x 3 x H x W SDR in [0, 1] (H, W multiples of 4) -> PQ BT.2020 code values.

    ``forward(x, prior=None)``: ``prior`` is the 8x8-average-pooled image the mid branch is
    conditioned on; None computes it from ``x`` (the authors' network); a tile passes the whole
    image's.
    """

    def __init__(self, nf: int = 32) -> None:
        super().__init__()
        self.mid_branch = _ModulatedPointwise(3, 3, nf)
        self.bright_branch = _Restormer(nf // 2, 2.0)
        self.dark_branch = _Restormer(nf // 2, 2.0)

    @staticmethod
    def prior(x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 8, 8)

    def forward(self, x: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        if prior is None:
            prior = self.prior(x)
        y = _luma(x)
        bright = torch.clamp(y / _T_B, min=0, max=1).unsqueeze(1)
        dark = torch.clamp((y - 1) / (_T_D - 1), min=0, max=1).unsqueeze(1)
        bright_out = self.bright_branch(x * bright)
        dark_out = self.dark_branch(x * dark)
        mid_out = self.mid_branch(x, prior)
        return mid_out + bright_out + dark_out


def preprocess(img: np.ndarray) -> np.ndarray:
    """H x W x 3 RGB (uint8 as read, or float code values) -> float32 H x W x 3 in [0, 1] as test.py."""
    return _common.codes_from_image(_common.check_image(img, "HDRTVDM"))


def _resolve_precision(precision: str, dev: torch.device) -> str:
    if precision == "auto":
        return "float16" if dev.type == "cuda" else "float32"
    if precision not in ("float32", "float16"):
        raise ValueError(f"precision={precision!r}: expected auto, float32 or float16")
    return precision


def load(
    weights: str = "params",
    device: str | torch.device | None = "cpu",
    *,
    precision: str = "auto",
    cache: str | Path | None = None,
    mirror: str | None = None,
) -> TriSegNet:
    """TriSegNet with released weights ``weights`` (``params``, ``params_3DM``, ``params_DaVinci``),
    eval mode, in float16 on CUDA and float32 on CPU (``precision="auto"``)."""
    if weights not in WEIGHTS_KEYS:
        raise ValueError(f"weights={weights!r}: expected one of {', '.join(WEIGHTS_KEYS)}")
    dev = device if isinstance(device, torch.device) else _common.pick_device(device)
    dtype = _resolve_precision(precision, dev)
    return _common.load_model(
        TriSegNet, WEIGHTS_KEYS[weights], device=dev, dtype=dtype, cache=cache, mirror=mirror
    )


def run(net: TriSegNet, x: np.ndarray, *, tile: int = 0, overlap: int = 32) -> np.ndarray:
    """The network on a preprocessed H x W x 3 input, padded to multiples of 4 and cropped back (or
    in blended tiles when ``tile > 0``), in the network's dtype; returns H x W x 3 float32."""
    _common.check_tiling("hdrtvdm", tile, overlap, MULTIPLE)
    t = _common.to_input(x, net)
    h, w = t.shape[-2:]
    with torch.no_grad():
        if tile == 0 or (h <= tile and w <= tile):
            tp, (hh, ww) = _common.pad_reflect(t, MULTIPLE, MINIMUM)
            y = net(tp)[..., :hh, :ww]
        else:
            full, _ = _common.pad_reflect(t, MULTIPLE, MINIMUM)
            prior = TriSegNet.prior(full)

            def window(top: int, left: int, bottom: int, right: int) -> torch.Tensor:
                tp, (hh, ww) = _common.pad_reflect(t[..., top:bottom, left:right], MULTIPLE, MINIMUM)
                return net(tp, prior)[..., :hh, :ww]

            y = _common.blend_tiles(window, h, w, tile, overlap)
    return y[0].permute(1, 2, 0).float().cpu().numpy()


def native(
    img: np.ndarray,
    weights: str = "params",
    *,
    device: str | None = "cpu",
    precision: str = "auto",
    tile: int = 0,
    overlap: int = 32,
    cache: str | Path | None = None,
    mirror: str | None = None,
) -> np.ndarray:
    """HDRTVDM's native output for an H x W x 3 RGB image (uint8 as read from a PNG; float code values
    in [0, 1] also accepted): the network output as it is, H x W x 3 float32 RGB, PQ-encoded BT.2020
    code values (not clamped). ``weights``: ``params`` (default), ``params_3DM``, ``params_DaVinci``.
    Float32 on CPU, float16 on CUDA (``precision="auto"``). Weights from the cache or the mirror."""
    net = load(weights, device, precision=precision, cache=cache, mirror=mirror)
    return run(net, preprocess(img), tile=tile, overlap=overlap)
