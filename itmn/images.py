"""What a valid image array is: one set of checks used by I/O, methods, metrics and training.

Every check raises :class:`itmn.errors.ImageError` naming the source (file or array), what was seen
and what was expected. Nothing is repaired silently: :func:`check_finite` zeroes non-finite values
only when asked to (``sanitize``) and returns how many it changed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from itmn.errors import ImageError

__all__ = [
    "check_absolute_luminance",
    "check_finite",
    "check_ldr",
    "check_nonnegative",
    "check_rgb_array",
    "count_nonfinite",
]

Source = str | Path | None


def check_rgb_array(img: Any, source: Source = None, *, name: str = "image") -> np.ndarray:
    """Check that ``img`` is a non-empty H x W x 3 floating-point array; return it as float32."""
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        got = f"shape {arr.shape}"
        if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 1):
            got += " (a single-channel image)"
        elif arr.ndim == 3 and arr.shape[-1] == 4:
            got += " (4 channels: RGBA or CMYK?)"
        raise ImageError(source, f"{name} has {got}", "H x W x 3 RGB")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(source, f"{name} is empty: shape {arr.shape}", "at least 1 x 1 pixels")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(
            source, f"{name} has integer dtype {arr.dtype}", "floating-point linear values (convert first)"
        )
    return arr.astype(np.float32, copy=False)


def count_nonfinite(img: np.ndarray) -> tuple[int, int, int]:
    """(number of NaN, of +Inf, of -Inf) values."""
    return int(np.isnan(img).sum()), int(np.isposinf(img).sum()), int(np.isneginf(img).sum())


def check_finite(img: np.ndarray, source: Source = None, *, sanitize: bool = False) -> int:
    """Raise ImageError when ``img`` holds NaN/Inf; with ``sanitize`` set them to 0 in place instead.

    Returns the number of values set to 0.
    """
    n_nan, n_pinf, n_ninf = count_nonfinite(img)
    total = n_nan + n_pinf + n_ninf
    if total and not sanitize:
        raise ImageError(
            source,
            f"{total} non-finite values ({n_nan} NaN, {n_pinf} +Inf, {n_ninf} -Inf)",
            "finite values; pass --sanitize to set them to 0 and report how many",
        )
    if total:
        img[~np.isfinite(img)] = 0.0
    return total


def check_nonnegative(img: np.ndarray, source: Source = None, *, what: str = "image") -> None:
    """Raise ImageError when ``img`` has negative values, naming how many and the smallest."""
    neg = img < 0
    if neg.any():
        raise ImageError(
            source,
            f"{what} has {int(neg.sum())} negative values (smallest {float(img.min()):.6g})",
            "non-negative linear light",
        )


#: The brightest a display can show: PQ's ceiling (SMPTE ST 2084), cd/m^2. Display-referred
#: values above it are not display light (wrong units, a scene-referred file, a bad pixel).
PLAUSIBLE_PEAK_CDM2 = 10000.0


def check_absolute_luminance(img: np.ndarray, source: Source = None) -> None:
    """Reject input that looks like [0, 1] code values where absolute cd/m^2 are expected, and
    warn (:class:`~itmn.errors.ItmnWarning`) about values above :data:`PLAUSIBLE_PEAK_CDM2`.

    A display-referred HDR image whose brightest pixel is at most 1 cd/m^2 is implausible; such
    an array is almost always a normalized or display-encoded image passed by mistake. One above
    10000 cd/m^2 is scored (metrics that encode with PQ clip it), but the user is told.
    """
    peak = float(np.max(img)) if img.size else 0.0
    if peak > PLAUSIBLE_PEAK_CDM2:
        import warnings

        from itmn.errors import ItmnWarning

        n = int(np.count_nonzero(img > PLAUSIBLE_PEAK_CDM2))
        warnings.warn(
            ItmnWarning(
                f"{source if source is not None else '<array>'}: {n} value(s) above {PLAUSIBLE_PEAK_CDM2:g} cd/m^2, the "
                f"most a display shows (PQ's maximum), up to {peak:.6g} cd/m^2; is it display-referred absolute "
                "luminance? (scored as given; PQ-based metrics clip such values)"
            ),
            stacklevel=2,
        )
    if peak <= 1.0:
        raise ImageError(
            source,
            f"values lie in [{float(np.min(img)):.4g}, {peak:.4g}]; this looks like normalized [0, 1] "
            "code values, not luminance",
            "absolute linear luminance in cd/m^2 (e.g. a 1000-nit HDR image peaks near 1000)",
        )



def check_ldr(ldr: Any, source: Source = None, *, name: str = "LDR input") -> np.ndarray:
    """An LDR image: a non-empty floating-point H x W x 3 array of finite display code values in
    [0, 1]. Returns it as float32 (float64 input stays float64: the classical operators compute in
    double, as the HDR Toolbox does); ImageError naming ``source``/``name`` otherwise.

    >>> check_ldr(np.full((2, 2, 3), 0.5, dtype=np.float32)).dtype
    dtype('float32')
    """
    arr = np.asarray(ldr)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        hint = (
            " (a single-channel image; replicate it to RGB)"
            if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 1)
            else " (4 channels: drop the alpha channel first)"
            if arr.ndim == 3 and arr.shape[-1] == 4
            else ""
        )
        raise ImageError(source, f"{name} has shape {arr.shape}{hint}", "H x W x 3 display code values")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(source, f"{name} is empty: shape {arr.shape}", "at least 1 x 1 pixels")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(
            source, f"{name} has dtype {arr.dtype}", "floating-point code values in [0, 1] (divide 8-bit by 255)"
        )
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
        raise ImageError(
            source, f"{name} has {n_nan} NaN and {n_inf} infinite values", "finite code values in [0, 1]"
        )
    if lo < 0.0 or hi > 1.0:
        raise ImageError(source, f"{name} values span [{lo:.6g}, {hi:.6g}]", "display code values in [0, 1]")
    return arr if arr.dtype == np.float64 else arr.astype(np.float32, copy=False)
