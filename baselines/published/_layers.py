"""Layers that HDRTVDM and LHDR share (both by the same authors, AndreGuo/HDRTVDM and AndreGuo/LHDR):
the leaky ReLU of ``act_type='leakyrelu'`` and the per-pixel 1x1 convolutions modulated by a vector
computed from a small condition image. Attribute names are the authors', so their state dicts load
unchanged; each network gives its own widths and middle convolution."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

#: LeakyReLU slope of the authors' ``act_type='leakyrelu'`` (both networks).
SLOPE = 0.1


def act(x: torch.Tensor) -> torch.Tensor:
    """The networks' activation: leaky ReLU with slope :data:`SLOPE`."""
    return F.leaky_relu(x, SLOPE)


class ConditionVector(nn.Module):
    """Condition image -> one nf-vector: ``conv1`` (3x3, stride 2, nf/2 channels), ``conv2``
    (``middle(nf // 2)``, the network's own), ``conv3`` (3x3, stride 2, nf channels), each followed
    by :func:`act`, then the spatial mean (HDRTVDM ``Cond_Trunk``, LHDR ``Channel_Condition``)."""

    def __init__(self, in_nc: int, nf: int, middle: Callable[[int], nn.Module]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_nc, nf // 2, 3, 2, 1)
        self.conv2 = middle(nf // 2)
        self.conv3 = nn.Conv2d(nf // 2, nf, 3, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return act(self.conv3(act(self.conv2(act(self.conv1(x)))))).mean(dim=(2, 3))


class ModulatedPointwise(nn.Module):
    """1x1 convolutions ``in_nc -> widths[0] -> ... -> widths[-1]`` (``conv1``, ``conv2``, ...); the
    output f of each becomes ``act(f * scale + shift + f)`` with ``scale`` and ``shift`` linear maps
    (``cond_scale<i>``, ``cond_shift<i>``) of ``cond_net(condition)``, an nf-vector per image
    (HDRTVDM ``PWConv_Cond``, LHDR ``MLPNet``). ``cond_net`` builds the condition network, in the
    authors' order: after the convolutions, before the linear maps."""

    def __init__(self, in_nc: int, widths: Sequence[int], nf: int, cond_net: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.n_layers = len(widths)
        for i, (ci, co) in enumerate(zip([in_nc, *widths[:-1]], widths), start=1):
            setattr(self, f"conv{i}", nn.Conv2d(ci, co, 1, 1))
        self.cond_net = cond_net()
        for i, co in enumerate(widths, start=1):
            setattr(self, f"cond_scale{i}", nn.Linear(nf, co))
        for i, co in enumerate(widths, start=1):
            setattr(self, f"cond_shift{i}", nn.Linear(nf, co))

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        cond = self.cond_net(condition)
        out = x
        for i in range(1, self.n_layers + 1):
            out = getattr(self, f"conv{i}")(out)
            scale = getattr(self, f"cond_scale{i}")(cond)[:, :, None, None]
            shift = getattr(self, f"cond_shift{i}")(cond)[:, :, None, None]
            out = act(out * scale + shift + out)
        return out
