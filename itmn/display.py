"""The output stage every method shares (protocol section 3): a method's native output -> the
protocol's display, linear BT.2020 cd/m^2 clipped to the display's range.

A method's ``expand(ldr)`` returns display-referred linear BT.2020 in cd/m^2, clipped to the
protocol's display range [0.005, 1000]. Two routes lead there:

* classical operators produce relative linear BT.709: :func:`from_relative_bt709` scales the
  maximum luminance (0.2126 R + 0.7152 G + 0.0722 B) to 1000 cd/m^2 — the paper's "luminance set
  to 1000 nits as the original HDR" — converts to BT.2020 and clips;
* learned models predict PQ code values (BT.2020) in [0, 1]: :func:`from_pq` decodes and clips.

Both return the image, and with ``return_stats=True`` also an :class:`ExpandStats` saying how
many values the clip changed, so that evaluation code can record it next to every score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, overload

import numpy as np

from itmn import colour
from itmn.errors import ImageError
from itmn.protocol import DISPLAY_V1, Display

__all__ = [
    "BLACK_CDM2",
    "PEAK_CDM2",
    "ExpandStats",
    "clip_display",
    "from_pq",
    "from_relative_bt709",
    "stats_from_output",
]

#: Display peak of protocol v1 in cd/m^2 (a 1000-nit display, as in the paper).
PEAK_CDM2 = DISPLAY_V1.peak_cdm2
#: Display black level of protocol v1 in cd/m^2 (log-domain metrics need positive values).
BLACK_CDM2 = DISPLAY_V1.black_cdm2
# A value counts as clipped when the clip moves it by more than this (relative; ~8 float32 ulp).
_CLIP_RTOL = 1e-6


@dataclass(frozen=True)
class ExpandStats:
    """What the output stage did to one image.

    ``n_values`` counts array values (pixels x 3 channels). ``n_clipped_low`` / ``n_clipped_high``
    count values raised to the black level / lowered to the peak by more than 1 ppm (so that the
    luminance peak, which lands on 1000 +- rounding, is not counted). ``scale`` is the factor from the
    method's own unit to cd/m^2 (``None`` for PQ input, 0 for an all-black image). ``source_peak``
    is the maximum luminance (relative input) or maximum code value (PQ input) before scaling.
    ``exact`` is False when the counts were inferred from an already clipped output (values lying
    exactly on a bound), as for a learned model that clips internally.
    """

    route: str
    n_values: int
    n_clipped_low: int
    n_clipped_high: int
    scale: float | None
    source_peak: float
    all_black: bool = False
    exact: bool = True

    @property
    def frac_clipped_low(self) -> float:
        return self.n_clipped_low / self.n_values if self.n_values else 0.0

    @property
    def frac_clipped_high(self) -> float:
        return self.n_clipped_high / self.n_values if self.n_values else 0.0

    @property
    def frac_clipped(self) -> float:
        return (self.n_clipped_low + self.n_clipped_high) / self.n_values if self.n_values else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON/CSV), with the fractions added."""
        d = asdict(self)
        d.update(
            frac_clipped_low=self.frac_clipped_low,
            frac_clipped_high=self.frac_clipped_high,
            frac_clipped=self.frac_clipped,
        )
        return d


@overload
def from_relative_bt709(
    lin: np.ndarray, *, return_stats: Literal[False] = ..., name: str = ..., display: Display = ...
) -> np.ndarray: ...
@overload
def from_relative_bt709(
    lin: np.ndarray, *, return_stats: Literal[True], name: str = ..., display: Display = ...
) -> tuple[np.ndarray, ExpandStats]: ...
def from_relative_bt709(
    lin: np.ndarray,
    *,
    return_stats: bool = False,
    name: str = "relative BT.709 image",
    display: Display = DISPLAY_V1,
) -> np.ndarray | tuple[np.ndarray, ExpandStats]:
    """Relative linear BT.709 (H x W x 3, >= 0) -> linear BT.2020 cd/m^2 in [0.005, 1000], float32.

    The image is scaled so that its maximum luminance ``0.2126 R + 0.7152 G + 0.0722 B`` is 1000
    cd/m^2, converted to BT.2020 (itmn.colour) and clipped to [0.005, 1000]. Channels brighter than
    the luminance peak (saturated primaries) are what the upper clip catches. An all-black image
    (maximum luminance 0) becomes the black level everywhere, without NaN.

    Raises :class:`itmn.errors.ImageError` for a wrong shape, NaN/Inf or negative values (a
    classical operator never produces them; if one does, that is a bug to see, not to clip).

    >>> img = np.zeros((1, 2, 3)); img[0, 1] = 0.5
    >>> from_relative_bt709(img)[0, :, 1].tolist()
    [0.005000000353902578, 1000.0]
    """
    arr = _check_linear(lin, name)
    peak = float(colour.luminance(arr, "bt709").max())
    if peak == 0.0:
        out = np.full(arr.shape, display.black_f32, dtype=np.float32)
        stats = ExpandStats("relative-bt709", arr.size, arr.size, 0, 0.0, 0.0, all_black=True)
        return (out, stats) if return_stats else out
    scale = display.peak_cdm2 / peak
    bt2020 = colour.bt709_to_bt2020(arr * scale)
    out, n_low, n_high = clip_display(bt2020, display)
    stats = ExpandStats("relative-bt709", arr.size, n_low, n_high, scale, peak)
    return (out, stats) if return_stats else out


@overload
def from_pq(
    code: np.ndarray, *, return_stats: Literal[False] = ..., name: str = ..., display: Display = ...
) -> np.ndarray: ...
@overload
def from_pq(
    code: np.ndarray, *, return_stats: Literal[True], name: str = ..., display: Display = ...
) -> tuple[np.ndarray, ExpandStats]: ...
def from_pq(
    code: np.ndarray, *, return_stats: bool = False, name: str = "PQ image", display: Display = DISPLAY_V1
) -> np.ndarray | tuple[np.ndarray, ExpandStats]:
    """PQ (SMPTE ST 2084) code values of BT.2020 RGB, H x W x 3 in [0, 1] -> cd/m^2 in [0.005, 1000].

    Decoded with :func:`itmn.colour.pq_decode` and clipped to the display range; float32 out.
    Code values outside [0, 1] are refused (a sigmoid output never leaves it), as are NaN/Inf.

    >>> [round(float(v), 3) for v in from_pq(np.array([[[0.0, 0.5, 1.0]]]))[0, 0]]
    [0.005, 92.246, 1000.0]
    """
    arr = np.asarray(code)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.size == 0:
        raise ImageError(None, f"{name} has shape {arr.shape}", "non-empty H x W x 3 PQ code values")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(None, f"{name} has dtype {arr.dtype}", "floating-point PQ code values in [0, 1]")
    lo, hi = float(arr.min()), float(arr.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ImageError(
            None, f"{name} has {int((~np.isfinite(arr)).sum())} NaN/Inf values", "finite PQ code values"
        )
    if lo < 0.0 or hi > 1.0:
        raise ImageError(None, f"{name} values span [{lo:.6g}, {hi:.6g}]", "PQ code values in [0, 1]")
    lin = colour.pq_decode(arr.astype(np.float64))
    out, n_low, n_high = clip_display(lin, display)
    stats = ExpandStats("pq", arr.size, n_low, n_high, None, hi)
    return (out, stats) if return_stats else out


def stats_from_output(hdr: np.ndarray, route: str = "model", display: Display = DISPLAY_V1) -> ExpandStats:
    """Clip counts inferred from an output that is already clipped (values exactly on a bound).

    For a learned expander that decodes and clips internally; ``exact`` is False because a value
    may lie on a bound without having been clipped.
    """
    lo, hi = display.black_f32, display.peak_f32
    return ExpandStats(
        route,
        int(hdr.size),
        int(np.count_nonzero(hdr <= lo)),
        int(np.count_nonzero(hdr >= hi)),
        None,
        float(hdr.max()) if hdr.size else 0.0,
        exact=False,
    )


def _check_linear(lin: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(lin)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.size == 0:
        raise ImageError(None, f"{name} has shape {arr.shape}", "non-empty H x W x 3 linear RGB")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(None, f"{name} has dtype {arr.dtype}", "floating-point linear RGB")
    lo, hi = float(arr.min()), float(arr.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        n_bad = int((~np.isfinite(arr)).sum())
        raise ImageError(None, f"{name} has {n_bad} NaN/Inf values", "finite relative linear RGB")
    if lo < 0.0:
        raise ImageError(
            None,
            f"{name} has {int((arr < 0).sum())} negative values (smallest {lo:.6g})",
            "non-negative linear RGB",
        )
    return arr


def clip_display(img: np.ndarray, display: Display = DISPLAY_V1) -> tuple[np.ndarray, int, int]:
    """Clip to the display's [black, peak] and count what changed: (float32 image, n raised to the
    black level, n lowered to the peak); bounds as float32 (:attr:`Display.black_f32`)."""
    # Only changes larger than float32 resolution count: the luminance peak itself lands on
    # 1000 +- a few ulp and is not "clipped".
    n_low = int(np.count_nonzero(img < display.black_cdm2 * (1.0 - _CLIP_RTOL)))
    n_high = int(np.count_nonzero(img > display.peak_cdm2 * (1.0 + _CLIP_RTOL)))
    out = img.astype(np.float32)
    np.clip(out, display.black_f32, display.peak_f32, out=out)
    return out, n_low, n_high
