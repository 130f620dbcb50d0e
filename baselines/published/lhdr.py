"""LHDR (Guo & Jiang, "LHDR: HDR reconstruction for legacy content using a lightweight DNN", ACCV 2022)
with its authors' released weights.

Architecture and inference as in AndreGuo/LHDR @ 5d8ce8c (``network.py``: ``LiteHDRNet(in_nc=3,
out_nc=3, nf=32, act_type='leakyrelu')``; ``test.py``), reimplemented here; module names match the
authors' state dict (``params.pth``) so it loads unchanged.

* Step 1, ``mlp``: per-pixel 1x1 convolutions 3 -> 32 -> 64 -> 32 -> 3 whose features are modulated
  (``f * scale + shift + f``) by vectors computed from the *colour condition*: the image resized to
  a quarter by OpenCV's bilinear ``resize``, three convolutions (the middle one four groups with
  1/3/5/7 kernels) and a spatial mean.
* Step 2, ``msnet``: an octave split into a full-resolution *detail* branch (a residual dense block)
  and a half-resolution *base* branch: a small U-Net whose encoder uses partial convolutions masked
  by the *highlight mask* (``(x - 1) / (0.9 - 1)`` clamped, a 1x1 convolution, 3x3 average pooling)
  and whose decoder is modulated by spatial feature transforms of the highlight mask.
  ``relu(base + detail)`` is the output. LeakyReLU slope 0.1 throughout.

Pre-processing as ``test.py``: ``x = float32(png / 255.0)``; highlight mask
``s_cond = clip((x - 0.9) / (1 - 0.9), 0, 1)``; colour condition
``c_cond = cv2.resize(x, (0, 0), fx=0.25, fy=0.25)`` (INTER_LINEAR); RGB order, 1 x 3 x H x W each.

Native output (reference/published/README.md): the network's raw output, H x W x 3 float32 RGB,
>= 0, non-linear (the authors' training targets are linear HDR raised to 0.45), relative. Their
script then divides by its maximum and raises to 1/0.45 ("linearize").

Sizes: the U-Net halves the base branch twice and doubles it back, so H and W must be multiples of
4 (:data:`MULTIPLE`); other sizes fail inside the authors' network. Here the image is padded at the
bottom and right by mirror reflection (edge pixel not repeated) to the next multiple of 4, the
authors' pre-processing and network run on the padded image, and the output is cropped back. An
image whose sides are multiples of 4 is not padded, so its output is the authors' exactly.
``tile > 0`` runs windows of ``tile`` pixels of the padded image with ``overlap`` pixels blended
linearly, every window given the whole padded image's colour condition (for images larger than
memory allows; the default 0 runs the whole image, as the authors do).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from baselines.published import _common, _layers
from baselines.published._layers import SLOPE, act

__all__ = ["MULTIPLE", "LiteHDRNet", "codes", "inputs", "load", "native", "preprocess", "run"]

#: H and W the network takes are multiples of this.
MULTIPLE = 4


class _QuadKernelConv(nn.Module):
    """Channels split in four groups convolved with 1x1, 3x3, 5x5, 7x7 kernels (``QuadGroupConvMultiK``)."""

    def __init__(self, nf: int) -> None:
        super().__init__()
        g = nf // 4
        self.group = g
        self.conv_group_1 = nn.Conv2d(g, g, 1, 1, 0)
        self.conv_group_2 = nn.Conv2d(g, g, 3, 1, 1)
        self.conv_group_3 = nn.Conv2d(g, g, 5, 1, 2)
        self.conv_group_4 = nn.Conv2d(g, g, 7, 1, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b, c, d = torch.split(x, self.group, dim=1)
        return torch.cat(
            [self.conv_group_1(a), self.conv_group_2(b), self.conv_group_3(c), self.conv_group_4(d)], dim=1
        )


class _MLP(_layers.ModulatedPointwise):
    """Step 1: per-pixel 1x1 convolutions in_nc -> nf -> 2 nf -> nf -> out_nc modulated by the
    colour condition's vector (``MLPNet``); its ``Channel_Condition``'s middle convolution is
    :class:`_QuadKernelConv`."""

    def __init__(self, in_nc: int, out_nc: int, nf: int) -> None:
        super().__init__(
            in_nc, [nf, 2 * nf, nf, out_nc], nf, lambda: _layers.ConditionVector(in_nc, nf, _QuadKernelConv)
        )


class _PartialConv(nn.Conv2d):
    """Partial convolution (Liu et al., ECCV 2018) with a multi-channel mask, as the authors use it.

    ``update = conv(mask, ones(out, in, k, k))`` (all input channels, groups ignored);
    ``ratio = k*k*in / (update + 1e-8) * clamp(update, 0, 1)``;
    ``out = ((conv(x * mask) - bias) * ratio + bias) * clamp(update, 0, 1)``; returns (out, clamped update).
    """

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        k = self.kernel_size
        with torch.no_grad():
            ones = torch.ones(self.out_channels, self.in_channels, k[0], k[1], dtype=x.dtype, device=x.device)
            update = F.conv2d(mask, ones, None, self.stride, self.padding, self.dilation, 1)
            ratio = (self.in_channels * k[0] * k[1]) / (update + 1e-8)
            update = torch.clamp(update, 0, 1)
            ratio = ratio * update
        raw = super().forward(x * mask)
        bias = self.bias.view(1, -1, 1, 1)  # type: ignore[union-attr]
        return ((raw - bias) * ratio + bias) * update, update


class _PConvBlock(nn.Module):
    """Residual block of two partial convolutions (``ResBlock2ConvPConv``); the mask is passed on."""

    def __init__(self, nf: int) -> None:
        super().__init__()
        self.pconv_1 = _PartialConv(nf, nf, 3, 1, 1, groups=4, bias=True)
        self.pconv_2 = _PartialConv(nf, nf, 3, 1, 1, bias=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fea, mask = self.pconv_1(x, mask)
        fea, mask = self.pconv_2(act(fea), mask)
        return act(fea) + x, mask


class _SFT(nn.Module):
    """Spatial feature transform: ``x * (scale(c) + 1) + shift(c)`` with two 1x1 convolutions each."""

    def __init__(self, nf: int) -> None:
        super().__init__()
        self.SFT_scale_conv1 = nn.Conv2d(nf, nf, 1)
        self.SFT_scale_conv2 = nn.Conv2d(nf, nf, 1)
        self.SFT_shift_conv1 = nn.Conv2d(nf, nf, 1)
        self.SFT_shift_conv2 = nn.Conv2d(nf, nf, 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale = self.SFT_scale_conv2(act(self.SFT_scale_conv1(cond)))
        shift = self.SFT_shift_conv2(act(self.SFT_shift_conv1(cond)))
        return x * (scale + 1) + shift


class _SFTBlock(nn.Module):
    """Residual block: SFT, grouped 3x3 convolution, SFT, 3x3 convolution (``ResBlock2ConvSFT``)."""

    def __init__(self, nf: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(nf, nf, 3, 1, 1, groups=4)
        self.conv2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.sft1 = _SFT(nf)
        self.sft2 = _SFT(nf)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        fea = act(self.conv1(self.sft1(x, cond)))
        fea = act(self.conv2(self.sft2(fea, cond)))
        return fea + x


class _OctaveSplit(nn.Module):
    """First octave convolution: full-resolution and half-resolution features (``OctConvFirst``)."""

    def __init__(self, in_nc: int, out_nc: int, k: int) -> None:
        super().__init__()
        low = out_nc // 2
        self.conv_h = nn.Conv2d(in_nc, out_nc - low, k, 1, (k - 1) // 2)
        self.conv_l = nn.Conv2d(in_nc, low, k, 2, (k - 1) // 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return act(self.conv_h(x)), act(self.conv_l(x))


class _ResDense(nn.Module):
    """Residual dense block of five 3x3 convolutions (``ResDenseBlock``)."""

    def __init__(self, nf: int) -> None:
        super().__init__()
        for i in range(1, 6):
            setattr(self, f"conv_{i}", nn.Conv2d(nf, nf, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        acc = x
        for i in range(1, 5):
            acc = acc + act(getattr(self, f"conv_{i}")(acc))
        return self.conv_5(acc) + x


class _HighlightMask(nn.Module):
    """``clamp((x - 1) / (t - 1), 0, 1)``: 1 at black, 0 from ``t`` up (``BrightMask(rest_valid=True)``)."""

    def __init__(self, threshold: float = 0.9) -> None:
        super().__init__()
        self.t = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp((x - 1) / (self.t - 1), min=0, max=1)


class _GlobalUNet(nn.Module):
    """The base branch (``GlobalUNetPConvSFT``), at half resolution."""

    def __init__(self, in_nc: int, nf: int) -> None:
        super().__init__()
        self.mask_est_pconv = nn.Sequential(_HighlightMask(0.9), nn.Conv2d(in_nc, nf, 1))
        self.recon_trunk_f = nn.ModuleList([_PConvBlock(nf) for _ in range(2)])
        self.down_conv = nn.Conv2d(nf, nf, 3, 2, 1)
        self.recon_trunk_mp = nn.ModuleList([_PConvBlock(nf) for _ in range(2)])
        self.recon_trunk_ms = nn.ModuleList([_SFTBlock(nf) for _ in range(2)])
        self.up_conv = nn.Sequential(nn.Conv2d(nf, nf * 4, 3, 1, 1), nn.PixelShuffle(2))
        self.recon_trunk_e = nn.ModuleList([_SFTBlock(nf) for _ in range(2)])
        self.cond_com = nn.Sequential(
            nn.Conv2d(in_nc, nf, 3, 1, 1),
            nn.LeakyReLU(SLOPE),
            nn.Conv2d(nf, nf, 3, 1, 1, groups=4),
            nn.LeakyReLU(SLOPE),
        )
        self.cond_1e = nn.Sequential(
            nn.Conv2d(nf, nf, 3, 2, 1, groups=4), nn.LeakyReLU(SLOPE), nn.Conv2d(nf, nf, 3, 1, 1)
        )
        self.cond_2 = nn.Sequential(
            nn.Conv2d(nf, nf, 3, 2, 1, groups=4), nn.LeakyReLU(SLOPE), nn.Conv2d(nf, nf, 3, 2, 1)
        )

    @staticmethod
    def _downscale(m: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(m, 3, 2, 1)  # nn.AvgPool2d(3, 2, 1): padding counted in the mean

    def forward(self, base: torch.Tensor, s_cond: torch.Tensor) -> torch.Tensor:
        mask = self._downscale(self.mask_est_pconv(s_cond))
        cond_com = self.cond_com(s_cond)
        cond_1e = self.cond_1e(cond_com)
        cond_2 = self.cond_2(cond_com)

        fea_1f = base
        for blk in self.recon_trunk_f:
            fea_1f, mask = blk(fea_1f, mask)
        fea_2f = act(self.down_conv(fea_1f))
        mask = self._downscale(mask)
        fea_2e = fea_2f
        for blk in self.recon_trunk_mp:
            fea_2e, mask = blk(fea_2e, mask)
        for sft in self.recon_trunk_ms:
            fea_2e = sft(fea_2e, cond_2)
        fea_1e = act(self.up_conv(fea_2e + fea_2f))
        for sft in self.recon_trunk_e:
            fea_1e = sft(fea_1e, cond_1e)
        return fea_1e + fea_1f + base


class _MultiScale(nn.Module):
    """Step 2 (``MultiScaleNet``): detail branch at full resolution, U-Net base branch at half."""

    def __init__(self, in_nc: int, out_nc: int, nf: int) -> None:
        super().__init__()
        self.decompose = _OctaveSplit(in_nc, nf * 2, 3)
        self.local_branch = _ResDense(nf)
        self.conv0 = nn.Conv2d(nf, out_nc, 3, 1, 1)
        self.global_branch = _GlobalUNet(in_nc, nf)
        self.upconv0 = nn.Sequential(nn.Conv2d(nf, out_nc * 4, 3, 1, 1), nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor, s_cond: torch.Tensor) -> torch.Tensor:
        detail, base = self.decompose(x)
        detail = act(self.conv0(self.local_branch(detail)))
        base = act(self.upconv0(self.global_branch(base, s_cond)))
        return F.relu(base + detail)


class LiteHDRNet(nn.Module):
    """LHDR's network: ``forward(img, s_cond, c_cond)`` (1 x 3 x H x W, H and W multiples of 4;
    c_cond any size) -> 1 x 3 x H x W non-linear relative HDR (>= 0)."""

    def __init__(self, in_nc: int = 3, out_nc: int = 3, nf: int = 32) -> None:
        super().__init__()
        self.mlp = _MLP(in_nc, out_nc, nf)
        self.msnet = _MultiScale(out_nc, out_nc, nf)

    def forward(self, img: torch.Tensor, s_cond: torch.Tensor, c_cond: torch.Tensor) -> torch.Tensor:
        return self.msnet(self.mlp(img, c_cond), s_cond)


def inputs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three float32 inputs test.py makes from H x W x 3 code values ``x`` in [0, 1]: the image,
    the highlight mask ``clip((x - 0.9) / (1 - 0.9), 0, 1)`` and the colour condition
    ``cv2.resize(x, (0, 0), fx=0.25, fy=0.25)`` (bilinear, round(H/4) x round(W/4))."""
    import cv2

    x = np.ascontiguousarray(x, dtype=np.float32)
    s_cond = np.clip((x - 0.9) / (1 - 0.9), 0, 1)
    h, w = x.shape[:2]
    if round(w * 0.25) >= 1 and round(h * 0.25) >= 1:
        c_cond = cv2.resize(x, (0, 0), fx=0.25, fy=0.25)
    else:  # fewer than 2 pixels on a side: OpenCV would make an empty image
        c_cond = cv2.resize(
            x, (max(1, round(w * 0.25)), max(1, round(h * 0.25))), interpolation=cv2.INTER_LINEAR
        )
    return x, s_cond, c_cond


def codes(img: np.ndarray) -> np.ndarray:
    """H x W x 3 RGB (uint8 as read from a PNG, or float code values) -> float32 code values in
    [0, 1] as test.py makes them (``png / 255.0``, then float32)."""
    return _common.codes_from_image(_common.check_image(img, "LHDR"))


def preprocess(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`inputs` of the image as given (no padding): what test.py feeds the network."""
    return inputs(codes(img))


def load(
    device: str | torch.device | None = "cpu", *, cache: str | Path | None = None, mirror: str | None = None
) -> LiteHDRNet:
    """LiteHDRNet with the released ``params.pth`` (fetched and verified), eval mode, float32."""
    dev = device if isinstance(device, torch.device) else _common.pick_device(device)
    return _common.load_model(LiteHDRNet, "lhdr", device=dev, cache=cache, mirror=mirror)


def run(net: LiteHDRNet, x: np.ndarray, *, tile: int = 0, overlap: int = 32) -> np.ndarray:
    """The authors' pipeline on H x W x 3 code values ``x`` (:func:`codes`): padded to multiples of 4,
    :func:`inputs`, the network (whole image, or blended windows when ``tile > 0``), cropped back.
    Returns H x W x 3 float32 (CPU numpy)."""
    _common.check_tiling("lhdr", tile, overlap, MULTIPLE)
    h, w = x.shape[:2]
    img_t, s_t, c_t = (_common.to_input(a, net) for a in inputs(_common.pad_reflect_np(x, MULTIPLE)))
    hp, wp = img_t.shape[-2:]

    def window(top: int, left: int, bottom: int, right: int) -> torch.Tensor:
        # windows of the padded image are multiples of 4 already (tile is); padding is a no-op then
        xs, (hh, ww) = _common.pad_reflect(img_t[..., top:bottom, left:right], MULTIPLE)
        ss, _ = _common.pad_reflect(s_t[..., top:bottom, left:right], MULTIPLE)
        return net(xs, ss, c_t)[..., :hh, :ww]

    with torch.no_grad():
        if tile == 0 or (hp <= tile and wp <= tile):
            y = window(0, 0, hp, wp)
        else:
            y = _common.blend_tiles(window, hp, wp, tile, overlap)
    return y[0, :, :h, :w].permute(1, 2, 0).float().cpu().numpy()


def native(
    img: np.ndarray,
    *,
    device: str | None = "cpu",
    tile: int = 0,
    overlap: int = 32,
    cache: str | Path | None = None,
    mirror: str | None = None,
) -> np.ndarray:
    """LHDR's native output for an H x W x 3 RGB image (uint8 as read from a PNG; float code values in
    [0, 1] also accepted): the raw network output, H x W x 3 float32 RGB, non-linear (0.45 exponent)
    relative HDR. Any size (padding stated in the module docstring). Weights from the cache or the
    mirror (``ITMN_DATA_MIRROR``)."""
    net = load(device, cache=cache, mirror=mirror)
    return run(net, codes(img), tile=tile, overlap=overlap)
