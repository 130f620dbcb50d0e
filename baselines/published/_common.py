"""What the three published networks share: input checks, devices, padding, blended tiles, models.

Nothing here changes what a network computes on an input it accepts; padding and tiles exist only
for sizes the network cannot take or images too large for memory, and each use is stated by the
caller.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from itmn.errors import ConfigError, ImageError

if TYPE_CHECKING:
    import torch

__all__ = [
    "blend_tiles",
    "check_image",
    "codes_from_image",
    "pad_amounts",
    "pad_reflect",
    "pad_reflect_np",
    "pick_device",
    "tile_starts",
]


def check_image(img: np.ndarray, name: str) -> np.ndarray:
    """An H x W x 3 RGB image: uint8 (8-bit codes), uint16 (16-bit codes) or floating point code values
    in [0, 1]. Returns it as given (checked)."""
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageError(None, f"input of {name} has shape {arr.shape}", "H x W x 3 RGB")
    if arr.dtype in (np.uint8, np.uint16):
        return arr
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(
            None, f"input of {name} has dtype {arr.dtype}", "uint8 RGB or float code values in [0, 1]"
        )
    lo, hi = float(arr.min()), float(arr.max())
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0.0 or hi > 1.0:
        raise ImageError(None, f"input of {name} spans [{lo:.6g}, {hi:.6g}]", "code values in [0, 1]")
    return arr


def codes_from_image(arr: np.ndarray) -> np.ndarray:
    """Float32 code values in [0, 1] as the LHDR/HDRTVDM scripts make them: ``imread(...) / (2**bits - 1)``
    in float64, then ``astype('float32')``; float input is taken as code values already."""
    if arr.dtype == np.uint8:
        return (arr / 255.0).astype(np.float32)
    if arr.dtype == np.uint16:
        return (arr / 65535.0).astype(np.float32)
    return np.ascontiguousarray(arr, dtype=np.float32)


def pick_device(device: str | None) -> torch.device:
    """``device`` as given, or CUDA when available else CPU (``None``/``auto``)."""
    import torch

    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: CUDA is not available here (use cpu or auto)")
    return dev


def pad_amounts(h: int, w: int, multiple: int, minimum: int = 1) -> tuple[int, int]:
    """Rows and columns to add at the bottom and right so both sides are multiples of ``multiple``
    and at least ``minimum`` (itself rounded up to a multiple)."""
    low = -(-minimum // multiple) * multiple
    return max((-h) % multiple, low - h), max((-w) % multiple, low - w)


def pad_reflect(x: torch.Tensor, multiple: int, minimum: int = 1) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad N x C x H x W at the bottom and right by mirror reflection (edge pixel not repeated,
    numpy's ``reflect``; repeated reflection when the pad exceeds the side) to multiples of
    ``multiple`` (and at least ``minimum``). Returns the padded tensor and the original (H, W)."""
    import torch

    h, w = x.shape[-2:]
    ph, pw = pad_amounts(h, w, multiple, minimum)
    if ph == 0 and pw == 0:
        return x, (h, w)
    rows = _reflect_index(h, h + ph)
    cols = _reflect_index(w, w + pw)
    out = x.index_select(-2, torch.as_tensor(rows, device=x.device)).index_select(
        -1, torch.as_tensor(cols, device=x.device)
    )
    return out, (h, w)


def pad_reflect_np(x: np.ndarray, multiple: int) -> np.ndarray:
    """H x W x C numpy version of :func:`pad_reflect` (same mirror rule), returning the padded array."""
    h, w = x.shape[:2]
    ph, pw = pad_amounts(h, w, multiple)
    if ph == 0 and pw == 0:
        return x
    return np.ascontiguousarray(x[_reflect_index(h, h + ph)][:, _reflect_index(w, w + pw)])


def _reflect_index(n: int, total: int) -> np.ndarray:
    """Indices 0..total-1 into a side of length n, mirrored without repeating the edge (period 2n-2)."""
    i = np.arange(total)
    if n == 1:
        return np.zeros(total, dtype=np.int64)
    period = 2 * n - 2
    m = i % period
    return np.where(m < n, m, period - m).astype(np.int64)


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of ``tile`` pixels covering ``n`` pixels with at least ``overlap``
    pixels shared by neighbours; the last tile ends at ``n``. One tile when ``n <= tile``."""
    if n <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, n - tile, step))
    starts.append(n - tile)
    return starts


def _ramp(size: int, overlap: int, taper_start: bool, taper_end: bool) -> np.ndarray:
    """Blending weights along one side of a tile: linear from ~0 to 1 over ``overlap`` pixels at
    each side shared with a neighbour, 1 elsewhere (always > 0)."""
    w = np.ones(size, dtype=np.float64)
    if overlap > 0:
        r = (np.arange(size) + 0.5) / overlap
        if taper_start:
            w = np.minimum(w, r)
        if taper_end:
            w = np.minimum(w, r[::-1])
    return w


def blend_tiles(
    run: Callable[[int, int, int, int], torch.Tensor],
    h: int,
    w: int,
    tile: int,
    overlap: int,
) -> torch.Tensor:
    """Assemble a 1 x 3 x H x W output from tiles: ``run(top, left, bottom, right)`` returns the
    network's 1 x 3 x (bottom-top) x (right-left) output for that window of the input; windows of
    ``tile`` pixels overlap by ``overlap`` and are averaged with linear ramps across the overlaps
    (a partition of unity, so a network whose output does not depend on the window gives the
    whole-image result exactly up to rounding)."""
    import torch

    tops, lefts = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    acc: torch.Tensor | None = None
    wsum: torch.Tensor | None = None
    for i, top in enumerate(tops):
        bottom = min(top + tile, h)
        wy = _ramp(bottom - top, overlap, i > 0, i < len(tops) - 1)
        for j, left in enumerate(lefts):
            right = min(left + tile, w)
            wx = _ramp(right - left, overlap, j > 0, j < len(lefts) - 1)
            out = run(top, left, bottom, right).float()
            if acc is None:
                acc = torch.zeros((1, out.shape[1], h, w), dtype=torch.float32, device=out.device)
                wsum = torch.zeros((1, 1, h, w), dtype=torch.float32, device=out.device)
            weight = torch.as_tensor(np.outer(wy, wx), dtype=torch.float32, device=out.device)[None, None]
            acc[..., top:bottom, left:right] += out * weight
            wsum[..., top:bottom, left:right] += weight  # type: ignore[index]
    assert acc is not None and wsum is not None
    return acc / wsum


def check_tiling(name: str, tile: int, overlap: int, multiple: int) -> None:
    """``tile`` 0 (whole image) or a multiple of ``multiple`` >= 64; 0 <= overlap < tile / 2."""
    if tile == 0:
        return
    if tile < 64 or tile % multiple:
        raise ConfigError(
            f"{name}: tile={tile}: expected 0 (whole image) or a multiple of {multiple} of at least 64 pixels"
        )
    if not 0 <= overlap < tile // 2:
        raise ConfigError(f"{name}: overlap={overlap}: expected 0 <= overlap < tile/2 = {tile // 2} pixels")


def to_input(a: np.ndarray, net: Any) -> torch.Tensor:
    """H x W x C numpy -> 1 x C x H x W tensor on the network's device and dtype, channels-last."""
    import torch

    p = next(net.parameters())
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]
    return t.to(device=p.device, dtype=p.dtype).contiguous(memory_format=torch.channels_last)


# --------------------------------------------------------------------------- model cache
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cached_model(
    builder: Callable[[], Any],
    weights_name: str,
    cache: str | None,
    mirror: str | None,
    device: str,
    dtype: str,
) -> Any:
    import torch

    from baselines.published.weights import WEIGHTS, load_state_dict

    net = builder()
    net.load_state_dict(load_state_dict(WEIGHTS[weights_name], cache, mirror), strict=True)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    # channels-last: 1.6-2x faster on CPU for these small-channel networks (depthwise and grouped
    # convolutions above all), outputs equal to the NCHW ones within 1e-5 (tests compare with the
    # authors' NCHW outputs)
    return net.to(device=torch.device(device), dtype=getattr(torch, dtype), memory_format=torch.channels_last)


def load_model(
    builder: Callable[[], Any],
    weights_name: str,
    *,
    device: torch.device,
    dtype: str = "float32",
    cache: str | Path | None = None,
    mirror: str | None = None,
) -> Any:
    """``builder()`` with the released weights ``weights_name`` loaded (strict keys), in eval mode,
    on ``device`` in ``dtype``. Models are kept per (weights, device, dtype, cache, mirror), so
    repeated calls do not re-read the file; treat the returned network as read-only."""
    from baselines.published.weights import sources
    from itmn import paths

    cache, mirror = sources(cache, mirror)
    cache_key = str(paths.cache_dir(cache))
    with _LOCK:
        return _cached_model(builder, weights_name, cache_key, mirror, str(device), dtype)


def clear_model_cache() -> None:
    """Forget loaded models (tests that swap the cache or mirror)."""
    _cached_model.cache_clear()
