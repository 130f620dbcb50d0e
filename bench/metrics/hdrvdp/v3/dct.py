"""Filtering with mirror (``'symmetric'``) padding by DCT, in torch.

``fast_conv_fft(X, fH, 'symmetric')`` of HDR-VDP pads the image to 2H x 2W with its mirror
image (edge repeated), multiplies the FFT by a real transfer function that is even along each
axis (the eye's MTF, a function of |frequency|) and crops the top-left H x W. A half-sample
symmetric signal filtered by such a function stays half-sample symmetric, and on its first
N samples the operation is exactly

    y = DCT-III( DCT-II(x) * fH[0:H, 0:W] ) / (H W)  (unnormalised DCTs, per axis),

so the 2H x 2W transforms and the padded copy are not needed: the same numbers in exact
arithmetic on a quarter of the grid. torch has no DCT; each 1-D transform is one real FFT of
length N with Makhoul's reordering (J. Makhoul, "A fast cosine transform in one and two
dimensions", IEEE TASSP 28(1), 1980).
"""

from __future__ import annotations

import math

import torch


def _twiddle(n: int, dtype: torch.dtype, device: torch.device, sign: float) -> torch.Tensor:
    """exp(sign * i pi k / (2n)) for k = 0 .. n // 2 (complex)."""
    k = torch.arange(n // 2 + 1, dtype=torch.float64, device=device)
    ang = sign * math.pi * k / (2 * n)
    return torch.polar(torch.ones_like(ang), ang).to(
        torch.complex128 if dtype == torch.float64 else torch.complex64
    )


def dct2_last(x: torch.Tensor) -> torch.Tensor:
    """Unnormalised DCT-II along the last dimension: C[k] = sum_n x[n] cos(pi k (2n + 1) / 2N)."""
    n = x.shape[-1]
    v = torch.cat([x[..., ::2], x[..., 1::2].flip(-1)], dim=-1)
    a = torch.fft.rfft(v, dim=-1) * _twiddle(n, x.dtype, x.device, -1.0)
    # C[k] = Re(A[k]) for k <= N/2; C[N - k] = -Im(A[k]) for 0 < k < N - N/2
    tail = -a.imag[..., 1 : n - n // 2].flip(-1)
    return torch.cat([a.real, tail], dim=-1)


def idct2_last(c: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`dct2_last` (a DCT-III scaled by 1/N along the last dimension):
    x[n] = (C[0] + 2 sum_{k>0} C[k] cos(pi k (2n + 1) / 2N)) / N."""
    n = c.shape[-1]
    half = n // 2 + 1
    # V[k] = (C[k] - i C[N - k]) exp(i pi k / 2N), C[N] = 0; v = ifft(V) is real
    c_rev = torch.cat([torch.zeros_like(c[..., :1]), c[..., 1:].flip(-1)], dim=-1)[..., :half]
    spec = torch.complex(c[..., :half], -c_rev) * _twiddle(n, c.dtype, c.device, 1.0)
    v = torch.fft.irfft(spec, n=n, dim=-1)
    out = torch.empty_like(v)
    m = (n + 1) // 2
    out[..., ::2] = v[..., :m]
    out[..., 1::2] = v[..., m:].flip(-1)
    return out


def dct2d(x: torch.Tensor) -> torch.Tensor:
    """Unnormalised 2-D DCT-II of the last two dimensions."""
    return dct2_last(dct2_last(x).transpose(-1, -2)).transpose(-1, -2)


def idct2d(c: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`dct2d`."""
    return idct2_last(idct2_last(c).transpose(-1, -2)).transpose(-1, -2)


def symmetric_filter(x: torch.Tensor, transfer: torch.Tensor) -> torch.Tensor:
    """``fast_conv_fft(X, fH, 'symmetric')`` for B x H x W images and a real transfer function
    even along each axis, given as its first H x W samples ``fH[0:H, 0:W]`` of the 2H x 2W grid."""
    return idct2d(dct2d(x) * transfer)
