"""MATLAB ``imresize(X, [rows cols])`` with its defaults (bicubic, antialiasing), in torch.

MATLAB resizes each dimension separately with a cubic convolution kernel (a = -0.5). When a
dimension shrinks (scale < 1) the kernel is stretched by 1/scale and scaled by ``scale``
(antialiasing). The output sample u (1-based) sits at ``u/scale + 0.5*(1 - 1/scale)`` in input
coordinates; taps beyond the border are mirrored with edge repetition (``[1:n, n:-1:1]``);
each row of weights is normalized to sum 1; the scale of a dimension is ``out/in``.

Weights are computed once per (in, out) length in float64 and cached; applying them is a gather
and a weighted sum along one axis (works on any device, no host synchronisation).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * (
        (ax > 1) & (ax <= 2)
    )


@lru_cache(maxsize=256)
def contributions(in_len: int, out_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MATLAB's ``contributions``: (indices, weights, raw indices), each out_len x P: output i =
    sum_j weights[i, j] * input[indices[i, j]] (0-based, mirrored into range). ``raw`` are the
    indices before mirroring. float64, zero-weight columns removed as MATLAB does."""
    scale = out_len / in_len
    width = 4.0
    if scale < 1:
        width = width / scale

        def kernel(x: np.ndarray) -> np.ndarray:
            return scale * _cubic(scale * x)
    else:
        kernel = _cubic
    u = np.arange(1, out_len + 1, dtype=np.float64) / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    p = int(math.ceil(width)) + 2
    raw = left[:, None] + np.arange(p)[None, :]
    w = kernel(u[:, None] - raw)
    w = w / w.sum(axis=1, keepdims=True)
    raw = raw.astype(np.int64) - 1  # MATLAB indices are 1-based
    aux = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    idx = aux[np.mod(raw, aux.size)]
    keep = np.any(w != 0, axis=0)
    return idx[:, keep], w[:, keep], raw[:, keep]


def _periodic(w: np.ndarray, raw: np.ndarray, max_period: int = 4) -> tuple[int, int] | None:
    """(period, stride) if the weight rows repeat with some period p (<= max_period) in the
    output while their raw start index advances by a fixed stride per period; else None.
    Dyadic shrinking (period 1) and doubling (period 2) are periodic."""
    n = w.shape[0]
    for p in range(1, max_period + 1):
        if n % p or n < 2 * p:
            continue
        shifts = raw[p:, 0] - raw[:-p, 0]
        if (
            np.all(shifts == shifts[0])
            and np.all(raw[p:] - raw[:-p] == shifts[0])
            and np.max(np.abs(w[p:] - w[:-p])) <= 1e-15 * np.max(np.abs(w))
        ):
            return p, int(shifts[0])
    return None


class _Axis:
    """Resize of one axis (``dim`` 0 = rows, 1 = columns of the last two dims)."""

    def __init__(self, dim: int, in_len: int, out_len: int, dtype: torch.dtype, device: torch.device):
        self.dim = dim
        idx, w, raw = contributions(in_len, out_len)
        per = _periodic(w, raw)
        self.out_len = out_len
        if per is None:
            self.mode = "gather"
            self.idx = torch.as_tensor(idx.reshape(-1), device=device)
            self.w = torch.as_tensor(w, dtype=dtype, device=device)
            return
        # periodic: mirror-extend the input over the raw index range once (a gather of
        # in + margins samples), then a strided convolution with `period` output channels
        self.mode = "conv"
        period, stride = per
        lo, hi = int(raw[:period].min()), int(raw[-period:].max())
        aux = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
        ext = aux[np.mod(np.arange(lo, hi + 1), aux.size)]
        self.idx = torch.as_tensor(ext, device=device)
        taps = np.zeros((period, raw.shape[1] + raw[:period, 0].max() - raw[:period, 0].min()))
        for ph in range(period):
            off = raw[ph, 0] - raw[:period, 0].min()
            taps[ph, off : off + raw.shape[1]] = w[ph]
        shape = (period, 1, taps.shape[1], 1) if dim == 0 else (period, 1, 1, taps.shape[1])
        self.kernel = torch.as_tensor(taps.reshape(shape), dtype=dtype, device=device)
        self.stride = (stride, 1) if dim == 0 else (1, stride)
        self.period = period
        self.start = int(raw[:period, 0].min()) - lo

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        axis = x.ndim - 2 + self.dim
        if self.mode == "gather":
            g = torch.index_select(x, axis, self.idx).unflatten(axis, tuple(self.w.shape))
            if self.dim == 0:  # ... x out x P x W
                return (g * self.w[:, :, None]).sum(dim=axis + 1)
            return (g * self.w).sum(dim=-1)  # ... x H x out x P
        lead = x.shape[:-2]
        xe = torch.index_select(x, axis, self.idx)
        xe = xe.reshape(-1, 1, xe.shape[-2], xe.shape[-1])
        if self.start:
            xe = xe.narrow(2 + self.dim, self.start, xe.shape[2 + self.dim] - self.start)
        y = F.conv2d(xe, self.kernel, stride=self.stride)  # B x period x m x W (or H x m)
        m = self.out_len // self.period
        y = y.narrow(2 + self.dim, 0, m)
        if self.dim == 0:
            y = y.permute(0, 2, 1, 3).reshape(-1, self.out_len, y.shape[-1])
        else:
            y = y.permute(0, 2, 3, 1).reshape(-1, y.shape[-2], self.out_len)
        return y.reshape(*lead, *y.shape[-2:])


class Resizer:
    """Resizes the last two dimensions of tensors from ``in_hw`` to ``out_hw`` like MATLAB imresize.

    Holds its weights on one device and dtype; build once and reuse. Exactly halving or doubling
    (and any scale whose weights repeat periodically) runs as a strided convolution, other
    scales as a gather and weighted sum; both apply MATLAB's weights and mirroring.
    """

    def __init__(
        self, in_hw: tuple[int, int], out_hw: tuple[int, int], dtype: torch.dtype, device: torch.device
    ):
        self.in_hw = tuple(in_hw)
        self.out_hw = tuple(out_hw)
        self.identity = self.in_hw == self.out_hw
        # MATLAB resizes the dimension with the smaller scale first (it only affects round-off).
        scales = [o / i for i, o in zip(self.in_hw, self.out_hw)]
        order = (0, 1) if scales[0] <= scales[1] else (1, 0)
        # at scale 1 the cubic kernel is the identity, so such an axis is skipped
        self._axes = [
            _Axis(d, self.in_hw[d], self.out_hw[d], dtype, torch.device(device))
            for d in order
            if self.in_hw[d] != self.out_hw[d]
        ]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ... x H_in x W_in -> ... x H_out x W_out."""
        for ax in self._axes:
            x = ax(x)
        return x
