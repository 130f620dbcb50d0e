"""The iTMN discriminator: convolution-BatchNorm-LeakyReLU blocks, then fully connected layers.

The paper (Sec. 3) fixes only the block types; the sizes were in the lost Fig. 1. Defaults here:
four 4x4 stride-2 convolutions with 64-128-256-512 feature maps (BatchNorm on every block,
LeakyReLU 0.2), an adaptive average pooling to ``pool x pool`` (4 x 4) so that the same network
works for any crop size (the training crop and full 512 x 512 images alike), then fully
connected layers 8192 -> 1024 -> 1 with LeakyReLU between them.

The discriminator is unconditional, as eq. (3) is: it sees an HDR image (PQ code values,
N x 3 x H x W) and returns one logit per image, N x 1. ``sigmoid(logit)`` is D(x) of the paper;
in the paper's sign convention D(x) -> 1 means "generated" (see :mod:`itmn.losses`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from itmn.errors import ConfigError


class Discriminator(nn.Module):
    """Conv-BN-LeakyReLU blocks, adaptive average pooling, FC layers; returns logits N x 1.

    Args:
        in_channels: channels of the HDR input (3).
        widths: feature maps of the convolution blocks.
        fc: widths of the hidden fully connected layers (the last layer, of width 1, is added).
        kernel_size: square kernel of every convolution; stride ``stride``.
        negative_slope: LeakyReLU slope (convolution blocks and FC layers).
        pool: side of the adaptive average pooling before the FC layers.

    Example:
        >>> d = Discriminator(widths=(8, 16), fc=(32,), pool=2)
        >>> d(torch.rand(5, 3, 48, 80)).shape
        torch.Size([5, 1])
    """

    def __init__(
        self,
        in_channels: int = 3,
        widths: Sequence[int] = (64, 128, 256, 512),
        fc: Sequence[int] = (1024,),
        kernel_size: int = 4,
        stride: int = 2,
        negative_slope: float = 0.2,
        pool: int = 4,
    ) -> None:
        super().__init__()
        widths, fc = tuple(int(w) for w in widths), tuple(int(f) for f in fc)
        if not widths or min(widths) < 1 or (fc and min(fc) < 1) or pool < 1:
            raise ConfigError(f"discriminator sizes must be positive: widths={widths}, fc={fc}, pool={pool}")
        pad = max((kernel_size - stride) // 2, 0)
        blocks: list[nn.Module] = []
        prev = in_channels
        for w in widths:
            blocks += [
                nn.Conv2d(prev, w, kernel_size, stride, pad, bias=False),
                nn.BatchNorm2d(w),
                nn.LeakyReLU(negative_slope),
            ]
            prev = w
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(pool)
        head: list[nn.Module] = [nn.Flatten()]
        prev = widths[-1] * pool * pool
        for f in fc:
            head += [nn.Linear(prev, f), nn.LeakyReLU(negative_slope)]
            prev = f
        head.append(nn.Linear(prev, 1))
        self.head = nn.Sequential(*head)

    def forward(self, hdr: torch.Tensor) -> torch.Tensor:
        """HDR PQ code values N x 3 x H x W -> logits N x 1 (D(x) = sigmoid(logit))."""
        return self.head(self.pool(self.features(hdr)))
