"""``fast_gauss.m`` and ``fast_conv_fft.m`` of HDR-VDP 3.0.7 in torch, batched over B x H x W.

``fast_gauss(X, sigma, do_norm, pad_value)`` has two paths, both reproduced:

* sigma >= 4.3 (pixels): the image is padded at the bottom and right only ('post') to
  2H x 2W -- with zeros, the edge value (``'replicate'``) or its mirror image (``'symmetric'``,
  used by the optics) -- transformed, multiplied by a Gaussian *sampled in frequency*
  ``exp(-(wx^2 + wy^2) sigma^2 / 2)`` (w in radians per sample, ``mod`` FFT order), inverted and
  cropped to the top-left H x W. Being a circular convolution on the padded grid, the top and
  left borders see the bottom/right padding through the wrap-around; that is matched here by
  doing exactly the same. ``do_norm = False`` divides the kernel by its mean (peak 1 in space).
* sigma < 4.3: ``imfilter(X, fspecial('gaussian', k, sigma), pad_value)`` with
  k = round(6 sigma) made odd: a correlation, 'same' size, zero or replicate padding. The 2-D
  kernel is the outer product of a 1-D Gaussian normalised to sum 1 (exactly separable), applied
  as two 1-D passes; ``do_norm = False`` scales it to a peak of 1.

Kernels and spectra are built once per (size, sigma, dtype, device) by :class:`Gauss`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

#: fast_gauss.m switches to the FFT at this sigma (pixels)
FFT_SIGMA = 4.3


def _freq_axis(n: int) -> np.ndarray:
    """``(mod(1/2 + (0:n-1)/n, 1) - 1/2) * 2 pi``: radians per sample of each FFT bin."""
    return (np.mod(0.5 + np.arange(n) / n, 1.0) - 0.5) * (2.0 * math.pi)


def gauss_spectrum(shape: tuple[int, int], sigma: float, do_norm: bool) -> np.ndarray:
    """The sampled Gaussian transfer function of fast_gauss.m on an FFT grid of ``shape`` (float64)."""
    wy = _freq_axis(shape[0])[:, None]
    wx = _freq_axis(shape[1])[None, :]
    k = np.exp(-0.5 * (wx**2 + wy**2) * sigma**2)
    if not do_norm:
        k = k / (k.sum() / k.size)
    return k


def matlab_round(x: float) -> int:
    """MATLAB ``round``: half away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def spatial_kernel(sigma: float, do_norm: bool) -> np.ndarray:
    """1-D factor g of ``fspecial('gaussian', k, sigma)`` = g g^T (k = round(6 sigma) made odd);
    with ``do_norm = False`` the 2-D kernel is divided by its centre value g_c^2 (g by g_c)."""
    k = matlab_round(sigma * 6)
    k = k + 1 - k % 2
    x = np.arange(k) - (k - 1) / 2.0
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    g = g / g.sum()
    if not do_norm:
        g = g / g[(k - 1) // 2]
    return g


def post_pad(x: torch.Tensor, out_hw: tuple[int, int], mode: str) -> torch.Tensor:
    """``padarray(X, out_hw - size(X), mode, 'post')`` for B x H x W: ``'zero'``, ``'replicate'``
    or ``'symmetric'`` (mirror with the edge repeated)."""
    h, w = x.shape[-2:]
    ph, pw = out_hw[0] - h, out_hw[1] - w
    if mode == "zero":
        return F.pad(x, (0, pw, 0, ph))
    if mode == "replicate":
        return F.pad(x[:, None], (0, pw, 0, ph), mode="replicate")[:, 0]
    if mode == "symmetric":
        if ph > h or pw > w:
            raise ValueError("symmetric post-padding by more than the image size is not supported")
        x = torch.cat([x, x[..., h - ph :, :].flip(-2)], dim=-2) if ph else x
        return torch.cat([x, x[..., w - pw :].flip(-1)], dim=-1) if pw else x
    raise ValueError(f"unknown padding {mode!r}")


def conv_fft_half(x: torch.Tensor, spec_half: torch.Tensor, pad: str) -> torch.Tensor:
    """``fast_conv_fft(X, fH, pad)`` for a real, even transfer function given as its half
    spectrum (2H x (W+1)): pad to 2H x 2W at the bottom/right, multiply, invert, crop H x W.

    The FFT is split by axis so that only the kept rows are inverted (same numbers as
    rfft2/irfft2 of the whole grid)."""
    h, w = x.shape[-2:]
    n = (spec_half.shape[-2], 2 * (spec_half.shape[-1] - 1))
    if pad == "zero":
        spec = torch.fft.fft(torch.fft.rfft(x, n=n[1], dim=-1), n=n[0], dim=-2)
    else:
        spec = torch.fft.rfft2(post_pad(x, n, pad))
    spec = spec * spec_half
    return torch.fft.irfft(torch.fft.ifft(spec, dim=-2)[..., :h, :], n=n[1], dim=-1)[..., :w]


class Gauss:
    """``fast_gauss(X, sigma, do_norm, pad)`` for images of one size, dtype and device."""

    def __init__(
        self,
        hw: tuple[int, int],
        sigma: float,
        do_norm: bool,
        pad: str,
        dtype: torch.dtype,
        device: torch.device,
    ):
        if pad not in ("zero", "replicate"):
            raise ValueError(f"fast_gauss padding must be 'zero' or 'replicate', got {pad!r}")
        self.hw, self.sigma, self.pad = tuple(hw), float(sigma), pad
        self.fft = self.sigma >= FFT_SIGMA
        if self.fft:
            n = (2 * hw[0], 2 * hw[1])
            k = gauss_spectrum(n, self.sigma, do_norm)[:, : hw[1] + 1]
            self.spec = torch.as_tensor(k, dtype=dtype, device=device)
        else:
            g = spatial_kernel(self.sigma, do_norm)
            self.half = g.size // 2
            t = torch.as_tensor(g, dtype=dtype, device=device)
            self.kr = t.view(1, 1, -1, 1)
            self.kc = t.view(1, 1, 1, -1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: B x H x W -> B x H x W."""
        if self.fft:
            return conv_fft_half(x, self.spec, self.pad)
        p = self.half
        y = x[:, None]
        mode = "constant" if self.pad == "zero" else "replicate"
        y = F.conv2d(F.pad(y, (0, 0, p, p), mode=mode), self.kr)
        y = F.conv2d(F.pad(y, (p, p, 0, 0), mode=mode), self.kc)
        return y[:, 0]
