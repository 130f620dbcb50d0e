"""Input checks shared by every metric: one place decides what a valid image pair is.

All checks raise :class:`itmn.errors.ImageError` naming the file (when known), the array
("test image" / "reference image"), what was seen and what was expected. Nothing is clamped or
repaired here: a metric that clips (e.g. gamut-conversion negatives) does so itself and reports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from itmn.errors import ImageError

Source = str | Path | None


def as_float64_image(img: Any, source: Source = None, *, name: str = "image") -> np.ndarray:
    """Check that ``img`` is a finite floating-point H x W x 3 array and return it as float64
    (a copy only when needed).

    float64 is kept on purpose: the MATLAB originals compute in double, and the 8-bit rounding
    decisions of mPSNR differ from MATLAB's if the arithmetic is done in float32.
    """
    from itmn.images import check_finite, check_rgb_array

    arr = np.asarray(img)
    check_rgb_array(arr, source, name=name)
    out = np.asarray(arr, dtype=np.float64)
    check_finite(out, source)
    return out


def check_pair(
    test: Any,
    ref: Any,
    *,
    test_source: Source = None,
    ref_source: Source = None,
    nonnegative: bool = True,
    absolute: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (test, reference) pair and return both as float64 arrays.

    Parameters
    ----------
    test, ref:
        H x W x 3 floating-point arrays.
    test_source, ref_source:
        File names for the error messages (``None`` for in-memory arrays).
    nonnegative:
        Reject negative values (linear light cannot be negative).
    absolute:
        Reject images whose peak is at most 1, i.e. [0, 1] code values or normalized images
        passed where absolute luminance in cd/m^2 is expected.

    Raises
    ------
    ImageError
        wrong rank/channels/dtype, empty images, mismatched shapes, NaN/Inf, negative values,
        or (with ``absolute``) a peak of at most 1 cd/m^2.
    """
    from itmn.images import check_nonnegative

    t = as_float64_image(test, test_source, name="test image")
    r = as_float64_image(ref, ref_source, name="reference image")
    if t.shape != r.shape:
        where = f" ({ref_source})" if ref_source is not None else ""
        raise ImageError(
            test_source,
            f"test image has shape {t.shape} but the reference image{where} has shape {r.shape}",
            "test and reference of the same size",
        )
    for arr, src, what in ((t, test_source, "test image"), (r, ref_source, "reference image")):
        if nonnegative:
            check_nonnegative(arr, src, what=what)
        if absolute:
            _check_absolute(arr, src, what)
    return t, r


def _check_absolute(arr: np.ndarray, source: Source, what: str) -> None:
    from itmn.images import check_absolute_luminance

    try:
        check_absolute_luminance(arr, source)
    except ImageError as exc:  # re-raise naming which of the two images it was
        raise ImageError(source, f"{what}: {exc.problem}", exc.expected) from None
