"""The output stage every method shares (protocol section 3): a method's native output -> the
protocol's display, linear BT.2020 cd/m^2 clipped to the display's range.

A method's ``expand(ldr)`` returns display-referred linear BT.2020 in cd/m^2, clipped to the
protocol's display range [0.005, 1000]. Two routes lead there:

* classical operators produce relative linear BT.709: :func:`from_relative_bt709` scales the
  maximum luminance (0.2126 R + 0.7152 G + 0.0722 B) to 1000 cd/m^2 — the paper's "luminance set
  to 1000 nits as the original HDR" — converts to BT.2020 and clips;
* learned models predict PQ code values (BT.2020) in [0, 1]: :func:`from_pq` decodes and clips;
* published networks whose output is relative HDR (ExpandNet, LHDR):
  :func:`from_relative_bt709_percentile` applies the rule the reference images themselves are
  made with (protocol §2.3, :func:`itmn.data.prepare.to_display`): the 99.9th percentile of
  luminance at the display peak, clip, BT.2020, clip. Networks predicting PQ that may leave
  [0, 1] (HDRTVDM) use ``from_pq(..., out_of_range="clip")``.

Both return the image, and with ``return_stats=True`` also an :class:`ExpandStats` saying how
many values the clip changed, so that evaluation code can record it next to every score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, overload

import numpy as np

from itmn import colour
from itmn.errors import ImageError
from itmn.protocol import DISPLAY_V1, Display, get_protocol

__all__ = [
    "BLACK_CDM2",
    "PEAK_CDM2",
    "ExpandStats",
    "clip_display",
    "from_pq",
    "from_relative_bt709",
    "from_relative_bt709_percentile",
    "stats_from_output",
]

#: Display peak of protocol v1 in cd/m^2 (a 1000-nit display, as in the paper).
PEAK_CDM2 = DISPLAY_V1.peak_cdm2
#: Display black level of protocol v1 in cd/m^2 (log-domain metrics need positive values).
BLACK_CDM2 = DISPLAY_V1.black_cdm2
DISPLAY_V1_PERCENTILE = get_protocol("v1").reference_percentile
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


#: Percentile of luminance that the reference preparation puts at the display peak (protocol §2.3).
REFERENCE_PERCENTILE = DISPLAY_V1_PERCENTILE


@overload
def from_relative_bt709_percentile(
    lin: np.ndarray,
    *,
    percentile: float = ...,
    scale: float | None = ...,
    return_stats: Literal[False] = ...,
    name: str = ...,
    display: Display = ...,
) -> np.ndarray: ...
@overload
def from_relative_bt709_percentile(
    lin: np.ndarray,
    *,
    percentile: float = ...,
    scale: float | None = ...,
    return_stats: Literal[True],
    name: str = ...,
    display: Display = ...,
) -> tuple[np.ndarray, ExpandStats]: ...
def from_relative_bt709_percentile(
    lin: np.ndarray,
    *,
    percentile: float = REFERENCE_PERCENTILE,
    scale: float | None = None,
    return_stats: bool = False,
    name: str = "relative BT.709 image",
    display: Display = DISPLAY_V1,
) -> np.ndarray | tuple[np.ndarray, ExpandStats]:
    """Relative linear BT.709 (H x W x 3, >= 0) -> BT.2020 cd/m^2 in [0.005, 1000] by the rule the
    protocol's reference images are made with (:func:`itmn.data.prepare.to_display`).

    Scaled (float64) so that the ``percentile`` (99.9) of luminance ``0.2126 R + 0.7152 G +
    0.0722 B`` (numpy's linear interpolation) is 1000 cd/m^2 -- or by ``scale`` when given (e.g.
    1000 for "1.0 is the display peak") -- then clipped to [0.005, 1000], converted to BT.2020 and
    clipped again, float32. The same image through this function and through ``to_display`` agrees
    exactly except at the black level, which is the next float32 above 0.005 here (see
    :attr:`itmn.protocol.Display.black_f32`). Clip counts are those of the first (BT.709) clip, where the rule cuts; the
    second is a no-op up to rounding. When the percentile is 0 (more than 0.1% of the pixels
    black, the rest not) the maximum luminance is used instead, and an all-black image becomes the
    black level, as in :func:`from_relative_bt709`.

    >>> img = np.ones((100, 100, 3)); img[0, 0] = 4.0  # one pixel in 10000 above the percentile
    >>> out = from_relative_bt709_percentile(img)
    >>> round(float(out[5, 5, 1]), 3), round(float(out[0, 0, 1]), 3)
    (1000.0, 1000.0)
    >>> round(float(from_relative_bt709_percentile(img * 0.5, scale=1000.0)[5, 5, 1]), 3)
    500.0
    """
    if not 0.0 < percentile <= 100.0:
        raise ValueError(f"percentile={percentile!r}: expected a number in (0, 100]")
    arr = _check_linear(lin, name)
    x = np.asarray(arr, dtype=np.float64)
    lum = colour.luminance(x, "bt709")
    route = "relative-bt709-scale" if scale is not None else f"relative-bt709-p{percentile:g}"
    if scale is not None:
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"scale={scale!r}: expected a positive number (cd/m^2 per unit)")
        anchor = float(lum.max())
    else:
        anchor = float(np.percentile(lum, percentile))
        if not anchor > 0:
            anchor = float(lum.max())
            route += "(max: percentile is 0)"
        if anchor == 0.0:
            out = np.full(arr.shape, display.black_f32, dtype=np.float32)
            stats = ExpandStats(route, arr.size, arr.size, 0, 0.0, 0.0, all_black=True)
            return (out, stats) if return_stats else out
        scale = display.peak_cdm2 / anchor
    x = x * scale
    lo, hi = display.black_cdm2, display.peak_cdm2
    n_low = int(np.count_nonzero(x < lo * (1.0 - _CLIP_RTOL)))
    n_high = int(np.count_nonzero(x > hi * (1.0 + _CLIP_RTOL)))
    bt2020 = colour.bt709_to_bt2020(np.clip(x, lo, hi))
    out, _, _ = clip_display(bt2020, display)
    stats = ExpandStats(route, arr.size, n_low, n_high, float(scale), anchor)
    return (out, stats) if return_stats else out


@overload
def from_pq(
    code: np.ndarray,
    *,
    return_stats: Literal[False] = ...,
    name: str = ...,
    out_of_range: Literal["error", "clip"] = ...,
    display: Display = ...,
) -> np.ndarray: ...
@overload
def from_pq(
    code: np.ndarray,
    *,
    return_stats: Literal[True],
    name: str = ...,
    out_of_range: Literal["error", "clip"] = ...,
    display: Display = ...,
) -> tuple[np.ndarray, ExpandStats]: ...
def from_pq(
    code: np.ndarray,
    *,
    return_stats: bool = False,
    name: str = "PQ image",
    out_of_range: Literal["error", "clip"] = "error",
    display: Display = DISPLAY_V1,
) -> np.ndarray | tuple[np.ndarray, ExpandStats]:
    """PQ (SMPTE ST 2084) code values of BT.2020 RGB, H x W x 3 in [0, 1] -> cd/m^2 in [0.005, 1000].

    Decoded with :func:`itmn.colour.pq_decode` and clipped to the display range; float32 out.
    Code values outside [0, 1] are refused (a sigmoid output never leaves it) unless
    ``out_of_range="clip"`` (a network with an unbounded output, e.g. HDRTVDM): then they are
    clipped to [0, 1] first, which changes nothing the display clip would not (code 0 decodes to 0,
    code 1 to 10000 cd/m^2), so the clip counts stay exact. NaN/Inf are always refused.

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
    if out_of_range not in ("error", "clip"):
        raise ValueError(f"out_of_range={out_of_range!r}: expected 'error' or 'clip'")
    if (lo < 0.0 or hi > 1.0) and out_of_range == "error":
        raise ImageError(None, f"{name} values span [{lo:.6g}, {hi:.6g}]", "PQ code values in [0, 1]")
    lin = colour.pq_decode(np.clip(arr.astype(np.float64), 0.0, 1.0))
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
