"""Steerable pyramid of matlabPyrTools (``buildSpyr`` / ``reconSpyr`` with ``sp3Filters`` and
``reflect1`` edges) in torch, batched over N x H x W.

* ``corrDn(im, filt, 'reflect1', step)`` is a correlation of the image mirrored about its edge
  pixels (no edge repetition), sampled at 0, step, 2*step, ... -- i.e. reflect padding by half
  the filter size followed by ``conv2d`` with stride ``step``. Output size ceil(n / step).
* ``upConv(im, filt, 'reflect1', step, [1 1], stop)`` inserts step-1 zeros between samples,
  mirrors that signal about its edge samples and convolves it with the filter (at the borders
  this is not the transpose of corrDn). Done as ``conv_transpose2d`` of an extended input.
* Height ``'auto'`` = ``maxPyrHt(size, size(lofilt))``: how many times the image can be halved
  (floor) while staying at least 17 x 17 (the low-pass filter size).

Two implementations of the same operators: :class:`SteerablePyramidSP3` with direct
convolutions (``conv2d``; short, a readable statement of the semantics) and
:class:`FFTSteerablePyramid`, used by the metric, which performs every filtering of a level as a
product of spectra on a grid large enough that no circular wrap-around reaches the output
(several times faster on CPU for these 9 to 17 tap filters; fine on GPU too).

Filter coefficients come from :mod:`pyrtools` (``sp3_filters``), which carries the same numbers
as matlabPyrTools' sp3Filters.m. Band filters are reshaped column-major, as MATLAB does.
The pyramid is checked against ``pyrtools.pyramids.SteerablePyramidSpace`` in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from bench.metrics.hdrvdp.common import embed_filter, fast_fft_len, load_filters, max_pyr_height, reflect_pad


def sp3_filters() -> dict[str, np.ndarray]:
    """lo0filt (9x9), hi0filt (15x15), lofilt (17x17), bfilts (4 x 9 x 9, MATLAB orientation)."""
    return load_filters("sp3Filters")


def corr_dn(x: torch.Tensor, filt: torch.Tensor, step: int = 1) -> torch.Tensor:
    """``corrDn`` with reflect1 edges. x: N x 1 x H x W; filt: K x 1 x k x k (K output channels).
    Returns N x K x ceil(H/step) x ceil(W/step)."""
    p = filt.shape[-1] // 2
    return F.conv2d(reflect_pad(x, p), filt, stride=step)


@lru_cache(maxsize=64)
def _upsample_extension(n: int, out_len: int, k: int) -> tuple[int, np.ndarray, np.ndarray | None]:
    """Extension of an n-sample signal for ``upConv`` by 2 onto ``out_len`` samples with a
    filter of length ``k`` (odd): (left, index, weight) such that the zero-inserted upsampling
    of ``weight * x[index]`` (which starts ``left`` samples before x) is what the C code
    convolves.

    The C code (convolve.c / edges.c, reflect1, EXPAND) places the filter at every input sample
    and folds taps that fall outside the result back about the edge sample. That is a
    convolution of the upsampled signal extended by mirroring about its edge samples: about the
    first sample it mirrors x itself; about the last it mirrors x when out_len is odd and
    repeats the edge (half-sample mirror) when out_len is even. One exception: a sample whose
    filter placement is handled as a left-edge case gets no mirror about the right edge, and
    vice versa; that only changes the result when out_len <= k (e.g. a 17-pixel pyramid level
    with the 17-tap low-pass filter), and the weights reproduce it.
    """
    c = k // 2
    if n != (out_len + 1) // 2:
        raise ValueError(f"upConv by 2 from {n} to {out_len} samples is not supported")
    left = (c + 1) // 2
    right = (out_len - 1 + c + 1) // 2 - (n - 1)
    pos = np.arange(-left, n + right)
    last = 2 * (n - 1) if out_len % 2 else 2 * n - 1
    src = np.where(pos < 0, -pos, pos)
    src = np.where(src > n - 1, last - src, src)
    if src.min() < 0 or src.max() > n - 1:
        raise ValueError(f"signal of {n} samples too short for a filter of {k} taps")
    placement = 2 * src - c  # where the C code puts the filter's first tap for that sample
    weight = np.ones(pos.size)
    weight[(pos < 0) & (placement > 0)] = 0.0
    weight[(pos > n - 1) & (placement < max(1, out_len - k))] = 0.0
    return left, src, (None if weight.all() else weight)


def up_conv(x: torch.Tensor, filt: torch.Tensor, out_hw: tuple[int, int], step: int = 1) -> torch.Tensor:
    """Sum over the K input channels of ``upConv(x_k, filt_k, 'reflect1', [step step], [1 1], out_hw)``.

    matlabPyrTools' upConv inserts step-1 zeros between samples, extends that signal by
    mirroring about its edge samples and convolves it with the filter (at the borders this is
    not the transpose of corrDn); see :func:`_upsample_extension`.
    x: N x K x h x w; filt: K x 1 x k x k; returns N x 1 x out_hw.
    """
    k = filt.shape[-1]
    c = k // 2
    if step == 1:
        if min(out_hw) <= k:
            raise ValueError(f"upConv of a {tuple(out_hw)} image with a {k}x{k} filter is not supported")
        w = filt.flip(-1, -2).transpose(0, 1)  # 1 x K x k x k, convolution = flipped correlation
        return F.conv2d(F.pad(x, (c, c, c, c), mode="reflect"), w)
    if step != 2:
        raise ValueError(f"upConv step {step} not supported (the pyramid uses 1 and 2)")
    top, ridx, rw = _upsample_extension(x.shape[-2], out_hw[0], k)
    lft, cidx, cw = _upsample_extension(x.shape[-1], out_hw[1], k)
    xe = x.index_select(-2, torch.as_tensor(ridx, device=x.device))
    xe = xe.index_select(-1, torch.as_tensor(cidx, device=x.device))
    if rw is not None:
        xe = xe * torch.as_tensor(rw, dtype=x.dtype, device=x.device)[:, None]
    if cw is not None:
        xe = xe * torch.as_tensor(cw, dtype=x.dtype, device=x.device)
    z = F.conv_transpose2d(xe, filt, stride=2)
    r0 = c + 2 * top
    c0 = c + 2 * lft
    return z[..., r0 : r0 + out_hw[0], c0 : c0 + out_hw[1]]


@dataclass
class SteerablePyramid:
    """Bands of one pyramid, batched: ``highpass`` N x H x W; ``bands[level]`` N x 4 x h x w
    (level 0 at full size, halved (ceil) at each level); ``lowpass`` N x h x w."""

    highpass: torch.Tensor
    bands: list[torch.Tensor]
    lowpass: torch.Tensor


class SteerablePyramidSP3:
    """Direct-convolution pyramid: sp3 filters on one device/dtype, :meth:`build`, :meth:`reconstruct`."""

    def __init__(self, dtype: torch.dtype, device: torch.device | str | None = None):
        f = sp3_filters()

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(a, dtype=dtype, device=device)

        self.lo0 = t(f["lo0filt"])[None, None]
        self.hi0 = t(f["hi0filt"])[None, None]
        self.lo = t(f["lofilt"])[None, None]
        self.bands = t(f["bfilts"])[:, None]
        self.n_orient = self.bands.shape[0]

    def build(self, im: torch.Tensor, height: int | None = None) -> SteerablePyramid:
        """``buildSpyr(im, height or 'auto', 'sp3Filters')`` for im: N x H x W."""
        if height is None:
            height = max_pyr_height(tuple(im.shape[-2:]), self.lo.shape[-1])
        x = im[:, None]
        hi0 = corr_dn(x, self.hi0)[:, 0]
        lo = corr_dn(x, self.lo0)
        bands = []
        for _ in range(height):
            bands.append(corr_dn(lo, self.bands))
            lo = corr_dn(lo, self.lo, step=2)
        return SteerablePyramid(hi0, bands, lo[:, 0])

    def reconstruct(self, pyr: SteerablePyramid) -> torch.Tensor:
        """``reconSpyr(pyr, pind, 'sp3Filters')`` (all levels and bands): N x H x W."""
        res = pyr.lowpass[:, None]
        for band in reversed(pyr.bands):
            hw = tuple(band.shape[-2:])
            res = up_conv(res, self.lo, hw, step=2) + up_conv(band, self.bands, hw)
        hw = tuple(pyr.highpass.shape[-2:])
        out = up_conv(res, self.lo0, hw) + up_conv(pyr.highpass[:, None], self.hi0, hw)
        return out[:, 0]


def _zero_insert(x: torch.Tensor) -> torch.Tensor:
    """Upsample the last two dims by 2 with zeros between samples: n -> 2n - 1."""
    h, w = x.shape[-2:]
    u = x.new_zeros(*x.shape[:-2], 2 * h - 1, 2 * w - 1)
    u[..., ::2, ::2] = x
    return u


# Not v3.pyramid's on purpose: 2.2.2's MEX upConv has its own edge rule (_upsample_extension), sp3 only
class FFTSteerablePyramid:
    """The sp3 / reflect1 steerable pyramid of one image size, by FFT (the metric's path).

    For a level of size h x w the input is reflect-padded by P (7 at the top, 8 below), its
    spectrum on an L = fast_fft_len(h + 2P) grid is multiplied by the spectra of the (flipped)
    filters, and each output is cropped where the linear convolution lands; no wrap-around can
    reach the crop because L >= h + 2P. Reconstruction adds the spectra of all inputs of a level
    (low-pass upsampled by zero insertion, band filters) before one inverse transform, with the
    inputs placed so that their outputs coincide. Filter spectra are computed once here.
    """

    P_TOP, P_LEVEL = 7, 8

    def __init__(self, hw: tuple[int, int], dtype: torch.dtype, device: torch.device | str | None = None):
        f = sp3_filters()
        self.hw = tuple(hw)
        self.height = max_pyr_height(self.hw)
        if self.height < 1:
            raise ValueError(f"image of {hw[0]}x{hw[1]} pixels is too small for the pyramid (needs 17x17)")
        self.dtype = dtype
        self.device = device
        sizes = [self.hw]
        for _ in range(self.height):
            sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
        self.level_sizes = sizes[: self.height]  # size of lo0 at each level (bands have this size)
        self.lowpass_size = sizes[self.height]
        h, w = self.hw
        self.top_len = (fast_fft_len(h + 2 * self.P_TOP), fast_fft_len(w + 2 * self.P_TOP))
        self.level_len = [
            (fast_fft_len(a + 2 * self.P_LEVEL), fast_fft_len(b + 2 * self.P_LEVEL))
            for a, b in self.level_sizes
        ]
        top = np.stack([embed_filter(f["hi0filt"], 15), embed_filter(f["lo0filt"], 15)])
        lev = np.concatenate([np.stack([embed_filter(b, 17) for b in f["bfilts"]]), f["lofilt"][None]])
        # build: correlation = convolution with the flipped filter; reconstruction: convolution
        self._top_build = self._spectra(top[:, ::-1, ::-1], self.top_len)
        self._top_recon = self._spectra(top, self.top_len)
        self._lev_build = [self._spectra(lev[:, ::-1, ::-1], n) for n in self.level_len]
        self._lev_recon = [self._spectra(lev, n) for n in self.level_len]
        # low-pass extension for upConv by 2 onto each level (index and 0/1 weight tensors)
        coarse = [*self.level_sizes[1:], self.lowpass_size]
        self._ext = [
            (self._extension(c[0], f[0]), self._extension(c[1], f[1]))
            for c, f in zip(coarse, self.level_sizes)
        ]

    def _extension(self, n: int, out_len: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        _, idx, weight = _upsample_extension(n, out_len, 17)
        idx_t = torch.as_tensor(idx, device=self.device)
        w_t = None if weight is None else torch.as_tensor(weight, dtype=self.dtype, device=self.device)
        return idx_t, w_t

    def _spectra(self, filters: np.ndarray, n: tuple[int, int]) -> torch.Tensor:
        t = torch.as_tensor(np.ascontiguousarray(filters), dtype=self.dtype, device=self.device)
        return torch.fft.rfft2(t, s=n)

    def build(self, im: torch.Tensor) -> SteerablePyramid:
        """``buildSpyr(im, 'auto', 'sp3Filters')``; im: B x H x W."""
        h, w = self.hw
        n = self.top_len
        xp = F.pad(im[:, None], (self.P_TOP,) * 4, mode="reflect")
        y = torch.fft.irfft2(torch.fft.rfft2(xp, s=n) * self._top_build, s=n)
        # output i of a filter of half-size c (7 here: lo0 is embedded in 15x15) padded by P
        # lands at i + P + c
        hi0 = y[:, 0, 14 : 14 + h, 14 : 14 + w]
        lo = y[:, 1:2, 14 : 14 + h, 14 : 14 + w]
        bands = []
        for lev, (lh, lw) in enumerate(self.level_sizes):
            n = self.level_len[lev]
            xp = F.pad(lo, (self.P_LEVEL,) * 4, mode="reflect")
            y = torch.fft.irfft2(torch.fft.rfft2(xp, s=n) * self._lev_build[lev], s=n)
            bands.append(y[:, :4, 16 : 16 + lh, 16 : 16 + lw])  # 9-tap filters embedded in 17x17
            lo = y[:, 4:5, 16 : 16 + lh : 2, 16 : 16 + lw : 2]
        return SteerablePyramid(hi0, bands, lo[:, 0])

    def reconstruct(self, pyr: SteerablePyramid) -> torch.Tensor:
        """``reconSpyr(pyr, pind, 'sp3Filters')``: B x H x W."""
        res = pyr.lowpass
        for lev in reversed(range(self.height)):
            lh, lw = self.level_sizes[lev]
            n = self.level_len[lev]
            (ridx, rw), (cidx, cw) = self._ext[lev]
            xe = res.index_select(-2, ridx).index_select(-1, cidx)
            if rw is not None:
                xe = xe * rw[:, None]
            if cw is not None:
                xe = xe * cw
            # the upsampled low-pass starts 2*top = 8 samples before the output and the bands
            # are reflect-padded by 8 (their 9 taps embedded in 17): with the 17-tap spectra,
            # output sample j of every term lands at j + 16. Samples of u past h + 16 never
            # reach the crop, so they are dropped (they would wrap around).
            u = _zero_insert(xe[:, None])[..., : lh + 16, : lw + 16]
            bp = F.pad(pyr.bands[lev], (8,) * 4, mode="reflect")
            spec = torch.fft.rfft2(bp, s=n) * self._lev_recon[lev][:4]
            spec = spec.sum(dim=1) + torch.fft.rfft2(u[:, 0], s=n) * self._lev_recon[lev][4]
            res = torch.fft.irfft2(spec, s=n)[..., 16 : 16 + lh, 16 : 16 + lw]
        h, w = self.hw
        n = self.top_len
        # res: lo0filt (9 taps embedded in 15) and the high-pass band: both padded by 7
        a = F.pad(torch.stack([pyr.highpass, res], dim=1), (self.P_TOP,) * 4, mode="reflect")
        spec = (torch.fft.rfft2(a, s=n) * self._top_recon).sum(dim=1)
        return torch.fft.irfft2(spec, s=n)[..., 14 : 14 + h, 14 : 14 + w]
