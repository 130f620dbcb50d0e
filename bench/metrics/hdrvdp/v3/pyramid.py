"""The steerable pyramid of HDR-VDP 3.0.7 (``hdrvdp_spyr.m`` on the matlabPyrTools bundled with
3.0.7, whose ``corrDn.m`` / ``upConv.m`` are plain MATLAB built on ``rconv2.m``; no MEX files) in
torch, batched over B x H x W.

* ``rconv2(large, filt)``: ``large`` mirrored about its edge samples (no edge repetition,
  (k-1)/2 samples each side) then ``conv2(., filt, 'valid')`` -- a true convolution.
* ``corrDn(im, filt, 'reflect1', step)``: ``rconv2`` with the filter flipped (a correlation),
  sampled at 0, step, 2 step, ... (size ceil(n / step)).
* ``upConv(im, filt, 'reflect1', step, [1 1], stop, res)``: ``im`` placed at 0, step, ... of a
  zero array of size ``stop`` (zero insertion), then ``rconv2`` of that with the filter, plus
  ``res``. Unlike the MEX code of 2.2.2's bundle, the mirror is applied to the zero-inserted
  signal itself, with no special rule near the edges.
* ``buildSpyr(im, height, filters)``: high-pass ``corrDn(im, hi0filt)``; ``lo = corrDn(im,
  lo0filt)``; per level the oriented bands ``corrDn(lo, bfilt_o)`` (band filters reshaped
  column-major from their 81-element columns), then ``lo = corrDn(lo, lofilt, [2 2])``; the last
  ``lo`` is the low-pass band. ``reconSpyr`` inverts it level by level with ``upConv``.
* Height (``hdrvdp_spyr.decompose``): min(ceil(log2(ppd)) - 2, maxPyrHt(size, size(lofilt))).

HDR-VDP 3 uses ``sp0Filters`` (one orientation; 7x7 lo0, 9x9 hi0 and band, 13x13 low-pass) for
side-by-side / flicker / quality, ``sp3Filters`` (four orientations; 9x9 lo0 and bands, 15x15 hi0,
17x17 low-pass) for detection. Filter numbers come from :mod:`pyrtools`, which carries the same
values as matlabPyrTools' sp0Filters.m / sp3Filters.m (checked equal to the 3.0.7 copies).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from bench.metrics.hdrvdp.common import embed_filter, fast_fft_len, load_filters, max_pyr_height, reflect_pad


def pyramid_height(hw: tuple[int, int], ppd: float, filters: str) -> int:
    """``min(ceil(log2(ppd)) - 2, maxPyrHt(size, size(lofilt)))`` (hdrvdp_spyr.decompose)."""
    k = load_filters(filters)["lofilt"].shape[0]
    return min(math.ceil(math.log2(ppd)) - 2, max_pyr_height(hw, k))


# Not v2.steerpyr's on purpose: 3.0.7's upConv is rconv2 of the zero-inserted signal (2.2.2: MEX edge rule)
class SteerablePyramid:
    """Build and reconstruct the pyramid of one image size / filter set / dtype / device, with
    direct convolutions (``conv2d``): the readable statement of the semantics, checked against
    :class:`FFTSteerablePyramid` (the metric's path) in the tests.

    Bands are returned as a list, finest first: high-pass (B x 1 x H x W), ``height`` oriented
    levels (B x O x h x w; level 0 at full size, then ceil halves) and the low-pass band
    (B x 1 x h x w) -- the order of HDR-VDP's band index b = 1 .. height + 2.
    """

    def __init__(
        self, hw: tuple[int, int], height: int, filters: str, dtype: torch.dtype, device: torch.device
    ):
        f = load_filters(filters)
        self.hw = tuple(hw)
        self.height = int(height)
        if self.height < 1:
            raise ValueError(f"a {hw[0]}x{hw[1]} image gives no pyramid level with {filters}")
        self.n_orient = f["bfilts"].shape[0]
        sizes = [self.hw]
        for _ in range(self.height):
            sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
        self.level_sizes = sizes[: self.height]
        self.lowpass_size = sizes[self.height]
        self.band_sizes = [self.hw, *self.level_sizes, self.lowpass_size]
        self.orientations = [1] + [self.n_orient] * self.height + [1]

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

        # analysis: correlation with the filter (conv2d); hi0 and lo0 share one call
        k0 = max(f["hi0filt"].shape[0], f["lo0filt"].shape[0])
        self.p0 = k0 // 2
        self.top = t(np.stack([embed_filter(f["hi0filt"], k0), embed_filter(f["lo0filt"], k0)]))[:, None]
        self.pb = f["bfilts"].shape[-1] // 2
        self.bands = t(f["bfilts"])[:, None]
        self.pl = f["lofilt"].shape[0] // 2
        self.lo = t(f["lofilt"])[None, None]
        # synthesis: true convolution = correlation with the flipped filter
        self.top_syn = t(
            np.stack([embed_filter(f["hi0filt"], k0), embed_filter(f["lo0filt"], k0)])[:, ::-1, ::-1]
        )[None]
        self.bands_syn = t(f["bfilts"][:, ::-1, ::-1])[None]
        self.lo_syn = t(f["lofilt"][::-1, ::-1])[None, None]
        for (h, w), k in ((self.level_sizes[-1], self.lo.shape[-1]), (self.hw, k0)):
            if h <= k // 2 or w <= k // 2:
                raise ValueError(f"a {hw[0]}x{hw[1]} image is too small for a {self.height}-level pyramid")

    def build(self, im: torch.Tensor) -> list[torch.Tensor]:
        """``buildSpyr(im, height, filters)``; im: B x H x W."""
        y = F.conv2d(reflect_pad(im[:, None], self.p0), self.top)
        out = [y[:, :1]]
        lo = y[:, 1:2]
        for _ in range(self.height):
            out.append(F.conv2d(reflect_pad(lo, self.pb), self.bands))
            lo = F.conv2d(reflect_pad(lo, self.pl), self.lo, stride=2)
        out.append(lo)
        return out

    def reconstruct(self, bands: list[torch.Tensor]) -> torch.Tensor:
        """``reconSpyr(pyr, pind, filters)`` (all levels and bands): B x H x W."""
        res = bands[-1]
        for lev in reversed(range(self.height)):
            lh, lw = self.level_sizes[lev]
            up = res.new_zeros(res.shape[0], 1, lh, lw)
            up[..., ::2, ::2] = res
            res = F.conv2d(reflect_pad(up, self.pl), self.lo_syn) + F.conv2d(
                reflect_pad(bands[lev + 1], self.pb), self.bands_syn
            )
        stacked = torch.cat([bands[0], res], dim=1)
        return F.conv2d(reflect_pad(stacked, self.p0), self.top_syn)[:, 0]


class FFTSteerablePyramid(SteerablePyramid):
    """The same pyramid with every filtering of a level done as a product of spectra (the metric's
    path: on CPU several times faster than ``conv2d`` in float32 and ~20x in float64).

    At a level of size h x w all filters are embedded, centred, in one k x k support (k: the
    largest filter of that stage) and the input is reflect-padded by P = k // 2 once; a filter
    padded with zeros gives the same output as the filter itself on the smaller padding. The
    spectra are taken on an L = fast_fft_len(h + 2P) grid: circular wrap-around only reaches
    outputs before index k - 1, and the crop starts there. Reconstruction adds the spectra of
    the zero-inserted low-pass and of every band before one inverse transform.
    """

    def __init__(
        self, hw: tuple[int, int], height: int, filters: str, dtype: torch.dtype, device: torch.device
    ):
        super().__init__(hw, height, filters, dtype, device)
        f = load_filters(filters)
        k0 = self.top.shape[-1]
        kl = max(f["lofilt"].shape[0], f["bfilts"].shape[-1])
        self.k0, self.kl = k0, kl
        h, w = self.hw
        self.top_len = (fast_fft_len(h + k0 - 1), fast_fft_len(w + k0 - 1))
        self.level_len = [(fast_fft_len(a + kl - 1), fast_fft_len(b + kl - 1)) for a, b in self.level_sizes]
        top = np.stack([embed_filter(f["hi0filt"], k0), embed_filter(f["lo0filt"], k0)])
        lev = np.concatenate(
            [np.stack([embed_filter(b, kl) for b in f["bfilts"]]), embed_filter(f["lofilt"], kl)[None]]
        )

        def spectra(filt: np.ndarray, n: tuple[int, int]) -> torch.Tensor:
            t = torch.as_tensor(np.ascontiguousarray(filt), dtype=dtype, device=device)
            return torch.fft.rfft2(t, s=n)

        # build: correlation = convolution with the flipped filter; reconstruction: convolution
        self._top_build = spectra(top[:, ::-1, ::-1], self.top_len)
        self._top_recon = spectra(top, self.top_len)
        self._lev_build = [spectra(lev[:, ::-1, ::-1], n) for n in self.level_len]
        self._lev_recon = [spectra(lev, n) for n in self.level_len]

    def build(self, im: torch.Tensor) -> list[torch.Tensor]:
        """``buildSpyr(im, height, filters)``; im: B x H x W."""
        h, w = self.hw
        k0, kl = self.k0, self.kl
        n = self.top_len
        xp = reflect_pad(im[:, None], k0 // 2)
        y = torch.fft.irfft2(torch.fft.rfft2(xp, s=n) * self._top_build, s=n)
        out = [y[:, :1, k0 - 1 : k0 - 1 + h, k0 - 1 : k0 - 1 + w]]
        lo = y[:, 1:2, k0 - 1 : k0 - 1 + h, k0 - 1 : k0 - 1 + w]
        no = self.n_orient
        for lev, (lh, lw) in enumerate(self.level_sizes):
            n = self.level_len[lev]
            xp = reflect_pad(lo, kl // 2)
            y = torch.fft.irfft2(torch.fft.rfft2(xp, s=n) * self._lev_build[lev], s=n)
            out.append(y[:, :no, kl - 1 : kl - 1 + lh, kl - 1 : kl - 1 + lw])
            lo = y[:, no : no + 1, kl - 1 : kl - 1 + lh : 2, kl - 1 : kl - 1 + lw : 2]
        out.append(lo)
        return out

    def reconstruct(self, bands: list[torch.Tensor]) -> torch.Tensor:
        """``reconSpyr(pyr, pind, filters)`` (all levels and bands): B x H x W."""
        kl, k0 = self.kl, self.k0
        no = self.n_orient
        res = bands[-1][:, 0]
        for lev in reversed(range(self.height)):
            lh, lw = self.level_sizes[lev]
            n = self.level_len[lev]
            up = res.new_zeros(res.shape[0], 1, lh, lw)
            up[..., ::2, ::2] = res[:, None]
            x = torch.cat([bands[lev + 1], up], dim=1)  # B x (O + 1) x lh x lw
            spec = (torch.fft.rfft2(reflect_pad(x, kl // 2), s=n) * self._lev_recon[lev][: no + 1]).sum(dim=1)
            res = torch.fft.irfft2(spec, s=n)[..., kl - 1 : kl - 1 + lh, kl - 1 : kl - 1 + lw]
        h, w = self.hw
        n = self.top_len
        x = reflect_pad(torch.stack([bands[0][:, 0], res], dim=1), k0 // 2)
        spec = (torch.fft.rfft2(x, s=n) * self._top_recon).sum(dim=1)
        return torch.fft.irfft2(spec, s=n)[..., k0 - 1 : k0 - 1 + h, k0 - 1 : k0 - 1 + w]
