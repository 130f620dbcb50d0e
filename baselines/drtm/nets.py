"""The up- and down-exposure networks of Endo et al. 2017 as pure ``nn.Module``s.

Architecture (as in the authors' released Chainer code, sizes for ``width=64, n_levels=9``):

* Encoder: ``n_levels`` 2D convolutions, 4x4, stride 2, padding 1, with
  ``width * min(2**i, 8)`` channels (64-128-256-512-512-512-512-512-512), BatchNorm on all but the
  first, LeakyReLU(0.2). A 512 x 512 input reaches 1 x 1.
* Decoder: ``n_levels`` 3D transposed convolutions over (frame, y, x). The bottleneck gets a frame
  axis of length 1; the first log2(n_frames) layers (4x4x4, stride 2) double frames and
  resolution (1 -> 2 -> 4 -> 8 frames), the others (3x4x4, stride (1, 2, 2)) double resolution
  only. BatchNorm + dropout (first ``n_dropout`` layers) + ReLU, except the last layer, which
  outputs 3 channels. Skip connections: before decoder layer i > 0, the encoder output of the
  same resolution is repeated along the frame axis and concatenated (decoder channels first).
* Output: ``sigmoid(h + r)``, where r is the residual reference of each frame (see below).

Residual (``residual`` in the config). The released code computes ``sigmoid(h + x)``: the input
code value x in [0, 1] is added to the last pre-activation, so h = 0 gives sigmoid(x) in
[0.5, 0.73], not the input; the addition acts as an extra skip, not as an identity. Here
(``"exposure"``, default) r_k = logit(b_k) with b_k = f(2**ev_k * f^-1(x)) the input re-exposed by
the frame's EV through the known camera curve f (clamped to [eps, 1 - eps]): with h = 0 the
networks output the physically correct bracket of an unclipped input, and the zero-initialized
last layer makes an untrained model the inverse-camera-curve expansion. ``"original"`` keeps
``sigmoid(h + x)``.

Deviations from the released code (each one a fix, see docs/drtm.md): no BatchNorm on the
innermost encoder layer (on a 1 x 1 map with batch size 1, as the authors trained, it normalizes
every channel to its bias and so erases the bottleneck in training); eval mode uses running
BatchNorm statistics (the released inference runs BatchNorm on the batch statistics of the single
test image); the input is replicate-padded to a multiple of ``2**n_levels`` and the output
cropped back, so any H x W works.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from baselines.drtm.bracket import frame_evs
from baselines.drtm.camera import exposure_shift
from baselines.drtm.config import DrtmConfig, resolve_config
from itmn.errors import ImageError


class _DecoderLayer(nn.Module):
    """3D transposed convolution (+ BatchNorm, explicit-generator dropout, ReLU unless last)."""

    def __init__(self, cin: int, cout: int, double_frames: bool, dropout: float, last: bool) -> None:
        super().__init__()
        kernel = (4, 4, 4) if double_frames else (3, 4, 4)
        stride = (2, 2, 2) if double_frames else (1, 2, 2)
        self.deconv = nn.ConvTranspose3d(cin, cout, kernel, stride, padding=1)
        self.bn = None if last else nn.BatchNorm3d(cout)
        self.dropout = 0.0 if last else dropout
        self.last = last

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        h = self.deconv(x)
        if self.last:
            return h
        h = self.bn(h)
        if self.training and self.dropout > 0:
            keep = torch.rand(h.shape, generator=generator, device=h.device, dtype=h.dtype) >= self.dropout
            h = h * keep / (1.0 - self.dropout)
        return F.relu(h)


class ExposureNet(nn.Module):
    """One bracket network: LDR N x 3 x H x W in [0, 1] -> frames N x K x 3 x H x W in (0, 1).

    Frame k (0-based) is at ``+(k + 1) * ev_step`` EV for ``direction="up"`` and at
    ``-(k + 1) * ev_step`` EV for ``"down"`` relative to the input.

    Args:
        cfg: model configuration (dict or :class:`DrtmConfig`).
        direction: ``"up"`` or ``"down"``.

    Example:
        >>> net = ExposureNet({"width": 4, "n_levels": 4, "n_frames": 4}, "up").eval()
        >>> net(torch.rand(1, 3, 20, 36)).shape
        torch.Size([1, 4, 3, 20, 36])
    """

    def __init__(self, cfg: dict | DrtmConfig, direction: str) -> None:
        super().__init__()
        self.cfg = c = resolve_config(cfg)
        self.direction = direction
        self.evs = frame_evs(c.n_frames, c.ev_step, direction)
        ch = c.channels
        enc: list[nn.Module] = []
        prev = 3
        for i, cout in enumerate(ch):
            layers: list[nn.Module] = [nn.Conv2d(prev, cout, 4, 2, 1)]
            if 0 < i < c.n_levels - 1:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(c.negative_slope))
            enc.append(nn.Sequential(*layers))
            prev = cout
        self.encoder = nn.ModuleList(enc)
        n_double = int(math.log2(c.n_frames))
        dec: list[nn.Module] = []
        for i in range(c.n_levels):
            last = i == c.n_levels - 1
            cin = ch[-1] if i == 0 else 2 * ch[c.n_levels - 1 - i]
            cout = 3 if last else ch[c.n_levels - 2 - i]
            dec.append(_DecoderLayer(cin, cout, i < n_double, c.dropout if i < c.n_dropout else 0.0, last))
        self.decoder = nn.ModuleList(dec)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """N(0, init_std) weights, zero biases, BatchNorm (1, 0); zero last layer if configured."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose3d):
                nn.init.normal_(m.weight, 0.0, self.cfg.init_std)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.cfg.zero_init_last:
            nn.init.zeros_(self.decoder[-1].deconv.weight)

    def reference(self, ldr: torch.Tensor) -> torch.Tensor:
        """The residual reference r (N x K x 3 x H x W) added to the last pre-activation."""
        c = self.cfg
        if c.residual == "original":
            return ldr.unsqueeze(1).expand(-1, c.n_frames, -1, -1, -1)
        evs = torch.as_tensor(self.evs, dtype=ldr.dtype, device=ldr.device).view(1, -1, 1, 1, 1)
        base = exposure_shift(ldr.unsqueeze(1), evs, c.camera).clamp(c.logit_eps, 1.0 - c.logit_eps)
        return torch.logit(base)

    def residual(self, ldr: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The networks' pre-activation h (N x K x 3 x H x W), before the reference is added."""
        if ldr.ndim != 4 or ldr.shape[1] != 3:
            raise ImageError("ldr", f"shape {tuple(ldr.shape)}", "N x 3 x H x W")
        n, _, hgt, wid = ldr.shape
        m = 2**self.cfg.n_levels
        pad_h, pad_w = (-hgt) % m, (-wid) % m
        x = F.pad(ldr, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else ldr
        feats = []
        for layer in self.encoder:
            x = layer(x)
            feats.append(x)
        h = feats[-1].unsqueeze(2)
        for i, layer in enumerate(self.decoder):
            if i > 0:
                skip = feats[self.cfg.n_levels - 1 - i].unsqueeze(2)
                h = torch.cat([h, skip.expand(-1, -1, h.shape[2], -1, -1)], dim=1)
            h = layer(h, generator)
        return h.permute(0, 2, 1, 3, 4)[..., :hgt, :wid]

    def forward(self, ldr: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Predicted frames N x K x 3 x H x W in (0, 1).

        ``generator`` draws the dropout masks in training mode (None: torch's global generator).
        """
        with torch.no_grad():
            ref = self.reference(ldr)
        return torch.sigmoid(self.residual(ldr, generator) + ref)


def build_nets(model_cfg: dict | DrtmConfig) -> dict[str, nn.Module]:
    """The two networks of the model: ``{"up": ExposureNet(..., "up"), "down": ...}``.

    Parameters are initialized from torch's global generator: seed it first for reproducible runs.
    """
    cfg = resolve_config(model_cfg)
    return {"up": ExposureNet(cfg, "up"), "down": ExposureNet(cfg, "down")}


def parameter_count(net: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
