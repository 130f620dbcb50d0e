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
    """Resize of one axis (``dim`` 0 = rows, 1 = columns of the last two dims).

    Modes: ``gather`` (any scale: gather P taps per output, weighted sum); for periodic weights
    (exact halving, doubling, 1/2^k) the input is mirror-extended once and then either
    ``slices`` (CPU: a weighted sum of strided row slices, columns via a transposed copy) or
    ``conv`` (other devices: one strided convolution with a channel per phase).
    """

    def __init__(
        self, dim: int, in_len: int, out_len: int, dtype: torch.dtype, device: torch.device, mode: str | None
    ):
        self.dim = dim
        idx, w, raw = contributions(in_len, out_len)
        per = _periodic(w, raw)
        self.out_len = out_len
        if per is None or mode == "gather":
            self.mode = "gather"
            self.idx = torch.as_tensor(idx.reshape(-1), device=device)
            self.w = torch.as_tensor(w, dtype=dtype, device=device)
            return
        self.mode = mode or ("slices" if device.type == "cpu" else "conv")
        period, stride = per
        lo, hi = int(raw[:period].min()), int(raw[-period:].max())
        aux = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
        self.idx = torch.as_tensor(aux[np.mod(np.arange(lo, hi + 1), aux.size)], device=device)
        self.period, self.stride = period, stride
        self.count = out_len // period  # outputs per phase
        # phase ph reads ext[off_ph + stride*k + t] with weight w[ph, t]
        self.offsets = [int(raw[ph, 0]) - lo for ph in range(period)]
        self.weights = [w[ph].tolist() for ph in range(period)]
        taps = np.zeros((period, max(self.offsets) + raw.shape[1]))
        for ph in range(period):
            taps[ph, self.offsets[ph] : self.offsets[ph] + raw.shape[1]] = w[ph]
        shape = (period, 1, taps.shape[1], 1) if dim == 0 else (period, 1, 1, taps.shape[1])
        self.kernel = torch.as_tensor(taps.reshape(shape), dtype=dtype, device=device)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        axis = x.ndim - 2 + self.dim
        if self.mode == "gather":
            g = torch.index_select(x, axis, self.idx).unflatten(axis, tuple(self.w.shape))
            if self.dim == 0:  # ... x out x P x W
                return (g * self.w[:, :, None]).sum(dim=axis + 1)
            return (g * self.w).sum(dim=-1)  # ... x H x out x P
        if self.mode == "slices":
            if self.dim == 1:
                xt = x.transpose(-1, -2).contiguous()
                return self._rows(xt).transpose(-1, -2).contiguous()
            return self._rows(x)
        lead = x.shape[:-2]
        xe = torch.index_select(x, axis, self.idx)
        xe = xe.reshape(-1, 1, xe.shape[-2], xe.shape[-1])
        st = (self.stride, 1) if self.dim == 0 else (1, self.stride)
        y = F.conv2d(xe, self.kernel, stride=st).narrow(2 + self.dim, 0, self.count)
        if self.dim == 0:  # B x period x m x W -> B x (m*period) x W
            y = y.permute(0, 2, 1, 3).reshape(-1, self.out_len, y.shape[-1])
        else:
            y = y.permute(0, 2, 3, 1).reshape(-1, y.shape[-2], self.out_len)
        return y.reshape(*lead, *y.shape[-2:])

    def _rows(self, x: torch.Tensor) -> torch.Tensor:
        xe = torch.index_select(x, x.ndim - 2, self.idx)
        span = self.stride * (self.count - 1) + 1
        phases = []
        for off, wts in zip(self.offsets, self.weights):
            acc = xe[..., off : off + span : self.stride, :] * wts[0]
            for t in range(1, len(wts)):
                acc.add_(xe[..., off + t : off + t + span : self.stride, :], alpha=wts[t])
            phases.append(acc)
        if self.period == 1:
            return phases[0]
        return torch.stack(phases, dim=-2).flatten(-3, -2)


class Resizer:
    """Resizes the last two dimensions of tensors from ``in_hw`` to ``out_hw`` like MATLAB imresize.

    Holds its weights on one device and dtype; build once and reuse. Exactly halving or doubling
    (and any scale whose weights repeat periodically) runs as strided sums, other scales as a
    gather and weighted sum; all modes apply MATLAB's weights and mirroring.
    """

    def __init__(
        self,
        in_hw: tuple[int, int],
        out_hw: tuple[int, int],
        dtype: torch.dtype,
        device: torch.device | str,
        mode: str | None = None,
    ):
        """``mode``: None (automatic), or force ``gather`` / ``slices`` / ``conv`` (tests)."""
        self.in_hw = tuple(in_hw)
        self.out_hw = tuple(out_hw)
        self.identity = self.in_hw == self.out_hw
        # MATLAB resizes the dimension with the smaller scale first (it only affects round-off).
        scales = [o / i for i, o in zip(self.in_hw, self.out_hw)]
        order = (0, 1) if scales[0] <= scales[1] else (1, 0)
        # at scale 1 the cubic kernel is the identity, so such an axis is skipped
        self._axes = [
            _Axis(d, self.in_hw[d], self.out_hw[d], dtype, torch.device(device), mode)
            for d in order
            if self.in_hw[d] != self.out_hw[d]
        ]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ... x H_in x W_in -> ... x H_out x W_out."""
        for ax in self._axes:
            x = ax(x)
        return x


def band_resizers(
    hw: tuple[int, int], sizes: list[tuple[int, int]], dtype: torch.dtype, device: torch.device
) -> tuple[list[Resizer], list[Resizer | None], list[Resizer | None]]:
    """The resizers of a pyramid's bands of ``sizes`` (finest first) in both HDR-VDP ports: the
    full image -> each band (adapting luminance, difference mask), the next finer band -> each band
    and the next coarser band -> each band (masking by neighbours); None where there is no
    neighbour."""
    n = len(sizes)
    to_band = [Resizer(hw, s, dtype, device) for s in sizes]
    from_finer: list[Resizer | None] = [None] + [
        Resizer(sizes[b - 1], sizes[b], dtype, device) for b in range(1, n)
    ]
    from_coarser: list[Resizer | None] = [
        Resizer(sizes[b + 1], sizes[b], dtype, device) for b in range(n - 1)
    ]
    return to_band, from_finer, from_coarser + [None]
