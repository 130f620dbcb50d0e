"""The iTMN generator: a 10-layer U-Net from LDR code values to PQ code values.

What the paper fixes (Sec. 3): a U-Net with 5 convolutions and 5 transposed convolutions, skip
connections, BatchNorm + LeakyReLU in each layer, a sigmoid at the last layer, no pooling.
Kernel sizes, widths and strides were in Fig. 1, which is lost; the defaults here are pix2pix's
(Isola et al. 2017): 4x4 kernels, stride 2, widths 64-128-256-512-512. Choices the text leaves
open, and the one made here (each is a constructor argument):

* ``norm_first=True``  BatchNorm also on the first encoder layer ("in each layer"; pix2pix
  omits it there).
* ``negative_slope=0.2`` LeakyReLU slope in encoder *and* decoder (pix2pix uses ReLU in the
  decoder; the paper says LeakyReLU in each layer).
* The last transposed convolution has no BatchNorm: normalizing a 3-channel output over the batch
  just before the sigmoid would fix the batch mean of the prediction.
* Skips: decoder layer i receives the concatenation of the previous decoder output and the encoder
  output of the same resolution (channel order: decoder first). The LDR input itself is not
  concatenated anywhere: a 5+5 U-Net has no layer at full resolution to receive it.
* ``input_skip``: with ``"none"`` (the literal reading) every output pixel is synthesized from
  half-resolution features, so pixel-level detail of the input cannot pass through and small
  networks trained briefly give over-smooth images. ``"inverse_srgb"`` adds a skip connection
  from the input to the output in the sigmoid's domain:
  ``out = sigmoid(h + logit(PQ(1000 * BT2020(sRGB^-1(ldr)))))``, where ``h`` is the last
  layer's output. The sigmoid stays the last activation; with ``h = 0`` the network outputs the
  plain inverse-sRGB expansion to 1000 cd/m^2 and learns a correction to it (the last layer is
  initialized to 0 in that case).

Input N x 3 x H x W LDR code values in [0, 1]; output N x 3 x H x W PQ (SMPTE ST 2084) code
values in [0, 1] of display-referred BT.2020 light. H and W must be multiples of 2**5 = 32
(:mod:`itmn.infer` pads arbitrary images).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from itmn.errors import ConfigError, ImageError


def _pad(kernel_size: int, stride: int) -> int:
    if (kernel_size - stride) % 2:
        raise ConfigError(
            f"kernel_size={kernel_size} with stride={stride}: kernel_size - stride must be even "
            "so that every layer exactly halves/doubles the size"
        )
    return (kernel_size - stride) // 2


class UNetGenerator(nn.Module):
    """U-Net generator of iTMN (see the module docstring for the architecture choices).

    Args:
        in_channels: channels of the LDR input (3).
        out_channels: channels of the HDR output (3).
        widths: feature maps of the 5 (or ``len(widths)``) encoder convolutions; the decoder mirrors them.
        kernel_size: square kernel of every (transposed) convolution.
        stride: stride of every (transposed) convolution (each halves / doubles the size).
        negative_slope: LeakyReLU slope.
        norm_first: BatchNorm on the first encoder layer too.
        input_skip: ``"none"`` or ``"inverse_srgb"`` (skip from the input to the output's
            pre-activation, see the module docstring).

    Example:
        >>> g = UNetGenerator(widths=(8, 16, 16, 32, 32))
        >>> g(torch.rand(2, 3, 64, 64)).shape
        torch.Size([2, 3, 64, 64])
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        widths: Sequence[int] = (64, 128, 256, 512, 512),
        kernel_size: int = 4,
        stride: int = 2,
        negative_slope: float = 0.2,
        norm_first: bool = True,
        input_skip: str = "none",
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) < 1 or min(widths) < 1:
            raise ConfigError(f"generator widths must be positive integers, got {widths}")
        if stride < 2:
            raise ConfigError(f"generator stride must be >= 2 (stride-2 down/up-sampling), got {stride}")
        pad = _pad(kernel_size, stride)
        self.depth = len(widths)
        self.stride = stride
        self.multiple = stride**self.depth

        self.encoder = nn.ModuleList()
        prev = in_channels
        for i, w in enumerate(widths):
            layers: list[nn.Module] = [nn.Conv2d(prev, w, kernel_size, stride, pad, bias=False)]
            if i > 0 or norm_first:
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.LeakyReLU(negative_slope))
            self.encoder.append(nn.Sequential(*layers))
            prev = w

        # Decoder layer j (j = 0 is the innermost) maps to the width of the encoder layer below it;
        # every layer but the innermost also receives the encoder skip of its input resolution.
        self.decoder = nn.ModuleList()
        targets = [*widths[-2::-1], out_channels]
        for j, w_out in enumerate(targets):
            w_in = widths[-1] if j == 0 else targets[j - 1] + widths[-1 - j]
            last = j == len(targets) - 1
            layers = [nn.ConvTranspose2d(w_in, w_out, kernel_size, stride, pad, bias=last)]
            if not last:
                layers += [nn.BatchNorm2d(w_out), nn.LeakyReLU(negative_slope)]
            self.decoder.append(nn.Sequential(*layers))
        self.out_act = nn.Sigmoid()
        if input_skip not in ("none", "inverse_srgb"):
            raise ConfigError(f"generator input_skip must be 'none' or 'inverse_srgb', got {input_skip!r}")
        self.input_skip = input_skip
        if input_skip == "inverse_srgb":
            last = self.decoder[-1][0]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, ldr: torch.Tensor) -> torch.Tensor:
        """LDR code values N x 3 x H x W in [0, 1] -> PQ code values N x 3 x H x W in [0, 1]."""
        if ldr.ndim != 4 or ldr.shape[-2] % self.multiple or ldr.shape[-1] % self.multiple:
            raise ImageError(
                None,
                f"generator input has shape {tuple(ldr.shape)}",
                f"N x C x H x W with H and W multiples of {self.multiple} (pad first, see itmn.infer)",
            )
        skips = []
        x = ldr
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)
        x = self.decoder[0](skips[-1])
        for j in range(1, self.depth):
            x = self.decoder[j](torch.cat([x, skips[-1 - j]], dim=1))
        if self.input_skip == "inverse_srgb":
            x = x + inverse_srgb_logit(ldr).to(x.dtype)
        return self.out_act(x)


#: the inverse-sRGB expansion's peak (protocol v1's display) and the logit's clamp
_SKIP_PEAK_CDM2 = 1000.0
_SKIP_EPS = 1e-4


def inverse_srgb_logit(ldr: torch.Tensor) -> torch.Tensor:
    """logit of the PQ code of the inverse-sRGB expansion of ``ldr`` to 1000 cd/m^2 in BT.2020
    (no gradient: it depends on the input only). Computed in float32 whatever the autocast."""
    from itmn import colour

    with torch.no_grad(), torch.autocast(ldr.device.type, enabled=False):
        lin = colour.srgb_decode(ldr.float()) * _SKIP_PEAK_CDM2
        code = colour.pq_encode(colour.bt709_to_bt2020(lin)).clamp(_SKIP_EPS, 1.0 - _SKIP_EPS)
        return torch.log(code) - torch.log1p(-code)
