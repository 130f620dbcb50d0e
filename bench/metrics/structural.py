"""SSIM (Wang et al. 2004) in torch: batched, differentiable, usable on a GPU.

For each channel, with Gaussian-weighted local statistics (window ``win_size`` x ``win_size``,
standard deviation ``sigma`` pixels, weights normalized to sum 1):

    SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)),
    C1 = (K1 L)^2, C2 = (K2 L)^2, L = data_range,

where s_x^2 = E[x^2] - mu_x^2 etc. (population statistics, no N/(N-1) factor). The score is
the mean of the SSIM map over pixels and channels.

Border handling (``padding``):

* ``"valid"`` (protocol v1 ``ssim``): only windows that lie entirely inside the image, so the map
  is (H - win_size + 1) x (W - win_size + 1). This is what Wang's ``ssim_index.m`` does
  (``filter2(..., 'valid')``) and equals scikit-image's ``structural_similarity`` with
  ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``: scikit-image filters with
  reflect padding but then averages only the map cropped by (win_size - 1) / 2 = 5 pixels per side,
  whose windows never touch the padding (tests/bench/test_ssim.py checks the agreement).
* ``"replicate"``: every pixel, with the image extended by repeating its edge pixels; this is
  MATLAB's ``ssim`` (``imfilter(..., 'replicate')``) as re-implemented for gfxdisp/pu21 and
  is what :func:`bench.metrics.pu21.pu21_ssim` uses.

Wang's later ``ssim.m`` (2009) first downsamples images larger than 256 pixels; that is not done
here (protocol v1 names the 2004 index). torch is imported when a function runs, not with the
module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from itmn.errors import ImageError
from itmn.protocol import Protocol, get_protocol

if TYPE_CHECKING:
    import torch

Padding = Literal["valid", "replicate"]

#: Protocol v1 SSIM settings (Wang et al. 2004).
WIN_SIZE = 11
SIGMA = 1.5
K1 = 0.01
K2 = 0.03


def config_string(
    inputs: str, *, padding: Padding = "valid", data_range: float = 1.0, protocol: str | Protocol | None = None
) -> str:
    """``ssim wang2004 | pq-bt2020 | win 11 sigma 1.5 | k1 0.01 k2 0.03 | data_range 1 | valid |
    protocol v1``; ``inputs`` names what the index is computed on (e.g. ``pq-bt2020``)."""
    return " | ".join(
        ["ssim wang2004", inputs, f"win {WIN_SIZE} sigma {SIGMA:g}", f"k1 {K1:g} k2 {K2:g}",
         f"data_range {data_range:g}", padding, get_protocol(protocol).tag]
    )  # fmt: skip


def gaussian_window(
    win_size: int = WIN_SIZE, sigma: float = SIGMA, *, dtype: Any = None, device: Any = None
) -> torch.Tensor:
    """1-D Gaussian weights exp(-x^2 / (2 sigma^2)), x = -(win_size-1)/2 .. (win_size-1)/2,
    normalized to sum 1 (the 2-D window is its outer product, as MATLAB's
    ``fspecial('gaussian', 11, 1.5)``)."""
    import torch

    if win_size < 1 or win_size % 2 == 0:
        raise ValueError(f"win_size must be a positive odd number, got {win_size}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    x = torch.arange(win_size, dtype=torch.float64) - (win_size - 1) / 2
    g = torch.exp(-(x**2) / (2.0 * sigma**2))
    g = g / g.sum()
    return g.to(dtype=dtype or torch.float64, device=device)


def _check_tensors(x: torch.Tensor, y: torch.Tensor, win_size: int, padding: str) -> None:
    if x.shape != y.shape:
        raise ImageError(
            None, f"test has shape {tuple(x.shape)} but reference has shape {tuple(y.shape)}", "equal shapes"
        )
    if x.ndim != 4:
        raise ImageError(None, f"tensor has shape {tuple(x.shape)}", "N x C x H x W")
    if not x.is_floating_point():
        raise ImageError(None, f"tensor has dtype {x.dtype}", "a floating-point tensor")
    if padding not in ("valid", "replicate"):
        raise ValueError(f"padding must be 'valid' or 'replicate', got {padding!r}")
    h, w = x.shape[-2:]
    if padding == "valid" and (h < win_size or w < win_size):
        raise ImageError(
            None,
            f"image of {h} x {w} pixels is smaller than the {win_size} x {win_size} SSIM window",
            f"at least {win_size} x {win_size} pixels (or padding='replicate')",
        )


def ssim_map(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    data_range: float,
    padding: Padding = "valid",
    win_size: int = WIN_SIZE,
    sigma: float = SIGMA,
    k1: float = K1,
    k2: float = K2,
) -> torch.Tensor:
    """Per-pixel SSIM map of two N x C x H x W tensors (same dtype and device).

    ``data_range``: the dynamic range L of the values (1 for PQ code values in [0, 1], 255 for
    8-bit, 256 for PU21 values); required because it sets C1 and C2. Returns N x C x H' x W'
    with H' = H - win_size + 1 for ``"valid"`` and H' = H for ``"replicate"``.
    """
    import torch
    import torch.nn.functional as F

    _check_tensors(x, y, win_size, padding)
    if not data_range > 0:
        raise ValueError(f"data_range must be > 0, got {data_range}")
    n, c, h, w = x.shape
    g = gaussian_window(win_size, sigma, dtype=x.dtype, device=x.device)
    # One grouped convolution filters all five statistics of all channels at once.
    stack = torch.cat([x, y, x * x, y * y, x * y], dim=1)
    if padding == "replicate":
        r = (win_size - 1) // 2
        stack = F.pad(stack, (r, r, r, r), mode="replicate")
    groups = stack.shape[1]
    stack = F.conv2d(stack, g.view(1, 1, 1, -1).expand(groups, 1, 1, win_size), groups=groups)
    stack = F.conv2d(stack, g.view(1, 1, -1, 1).expand(groups, 1, win_size, 1), groups=groups)
    mu_x, mu_y, e_xx, e_yy, e_xy = stack.split(c, dim=1)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    num = (2.0 * mu_xy + c1) * (2.0 * (e_xy - mu_xy) + c2)
    den = (mu_xx + mu_yy + c1) * ((e_xx - mu_xx) + (e_yy - mu_yy) + c2)
    return num / den


def ssim_torch(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    data_range: float,
    padding: Padding = "valid",
    win_size: int = WIN_SIZE,
    sigma: float = SIGMA,
    k1: float = K1,
    k2: float = K2,
) -> torch.Tensor:
    """SSIM of each image of a batch: N x C x H x W tensors -> N values (mean over channels and
    pixels of :func:`ssim_map`). Differentiable; keeps dtype and device."""
    m = ssim_map(x, y, data_range=data_range, padding=padding, win_size=win_size, sigma=sigma, k1=k1, k2=k2)
    return m.mean(dim=(1, 2, 3))


def ssim(
    test: Any,
    ref: Any,
    *,
    data_range: float,
    padding: Padding = "valid",
    device: Any = None,
    dtype: Any = None,
) -> Any:
    """SSIM (Wang et al. 2004, 11 x 11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03).

    Parameters
    ----------
    test, ref:
        numpy H x W x C or H x W arrays (returns a float), or torch N x C x H x W tensors
        (returns a tensor of N values). Protocol v1 passes PQ code values of BT.2020 in [0, 1].
    data_range:
        dynamic range L of the values (required: 1 for PQ codes).
    padding:
        ``"valid"`` (protocol, = scikit-image) or ``"replicate"`` (MATLAB ``ssim``); see the
        module docstring.
    device, dtype:
        where and in which precision numpy inputs are computed (default CPU, float64). Tensors
        keep theirs.

    >>> a = np.linspace(0, 1, 16 * 16 * 3).reshape(16, 16, 3)
    >>> ssim(a, a, data_range=1.0)
    1.0
    """
    import torch

    if isinstance(test, torch.Tensor) or isinstance(ref, torch.Tensor):
        if not (isinstance(test, torch.Tensor) and isinstance(ref, torch.Tensor)):
            raise TypeError("test and ref must both be numpy arrays or both torch tensors")
        return ssim_torch(test, ref, data_range=data_range, padding=padding)
    t, r = (_to_nchw(a, name) for a, name in ((test, "test image"), (ref, "reference image")))
    if t.shape != r.shape:
        raise ImageError(
            None,
            f"test image has shape {np.shape(test)} but the reference image has shape {np.shape(ref)}",
            "test and reference of the same size",
        )
    dt = dtype or torch.float64
    tt = torch.from_numpy(t).to(device=device, dtype=dt)
    rr = torch.from_numpy(r).to(device=device, dtype=dt)
    return float(ssim_torch(tt, rr, data_range=data_range, padding=padding)[0])


def _to_nchw(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(None, f"{name} has shape {np.shape(a)}", "H x W x C or H x W")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(None, f"{name} has dtype {arr.dtype}", "floating-point values")
    n_bad = int((~np.isfinite(arr)).sum())
    if n_bad:
        raise ImageError(None, f"{name} has {n_bad} non-finite values", "finite values")
    return np.ascontiguousarray(arr.transpose(2, 0, 1)[None], dtype=np.float64)
