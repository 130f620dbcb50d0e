"""Multi-exposure PSNR (mPSNR) of Munkberg et al. 2006, as computed by the HDR Toolbox.

Both images are "photographed" at a series of exposures c (integer stops) with a virtual
camera

    T(X, c) = clamp(round(255 * (2^c X)^(1/2.2)), 0, 255)      (per channel, MATLAB rounding)

and the 8-bit results are compared:

    mPSNR = 10 log10(255^2 / MSE),   MSE = mean over the kept exposures of mean_pixels (T_ref - T_test)^2

The exposures are chosen as HDR Toolbox ``Metrics/mPSNR.m`` (banterle/HDR_Toolbox @ 5375d05)
does: c runs over the integers from -round(log2 Lmax) to -round(log2 Lmin), where Lmin and Lmax
are the smallest and largest *positive* luminance (0.2126 R + 0.7152 G + 0.0722 B) of the two
images together (a one-exposure range is widened by one stop on each side); an exposure is kept
when the mean of the tone-mapped reference (all pixels and channels, divided by 255) is strictly
inside (0.1, 0.9).

:func:`mpsnr` averages the MSE over the kept exposures (Munkberg's definition).
:func:`mpsnr_toolbox` reproduces the toolbox's published computation, which sums the MSEs
(``mse_acc / length(eMax)`` divides by 1), so it is 10 log10(n) dB lower for n kept exposures.
Papers that used the HDR Toolbox report the latter.

Inputs are linear RGB in absolute cd/m^2 (protocol v1: BT.709 primaries). All arithmetic is in
float64, as MATLAB's double: in float32 the rounding decisions, and so the MSEs, differ.
See docs/porting-notes/mpsnr-ssim-pu21.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from bench.metrics.validate import check_pair
from itmn import colour
from itmn.errors import ImageError
from itmn.protocol import Protocol, get_protocol

#: Display gamma of the virtual camera (the toolbox's ``invGamma = 1.0 / 2.2``).
GAMMA = 2.2
#: An exposure is kept when the tone-mapped reference mean lies strictly inside this interval.
KEEP_MEAN_RANGE = (0.1, 0.9)

Variant = Literal["mean", "toolbox"]


@dataclass(frozen=True)
class ExposureStats:
    """One exposure of the series.

    c: exposure in stops (the image is multiplied by 2^c); mean_tm_ref: mean of the tone-mapped
    reference divided by 255, in [0, 1]; kept: whether the toolbox uses this exposure;
    mse: mean squared difference of the 8-bit tone-mapped images (code values 0..255 squared),
    ``None`` where it was not computed.
    """

    c: int
    mean_tm_ref: float
    kept: bool
    mse: float | None


@dataclass(frozen=True)
class MPSNRResult:
    """An mPSNR value (dB) with the exposures that produced it.

    ``e_min``/``e_max``/``n_exposures`` are the toolbox's returned range (smallest and largest
    kept exposure) and the number of kept exposures; ``search_range`` is the automatic range that
    was searched; ``exposures`` has one :class:`ExposureStats` per exposure of ``search_range``.
    ``float(result)`` is the value.
    """

    value: float
    variant: Variant
    e_min: int
    e_max: int
    n_exposures: int
    search_range: tuple[int, int]
    exposures: tuple[ExposureStats, ...]

    def __float__(self) -> float:
        return self.value

    def summary(self) -> dict[str, Any]:
        """The scalar facts to write beside the value (e_min, e_max, n_exposures, search range)."""
        return {
            "e_min": self.e_min,
            "e_max": self.e_max,
            "n_exposures": self.n_exposures,
            "search_lo": self.search_range[0],
            "search_hi": self.search_range[1],
        }


#: how each variant is named in its configuration string, and how its MSE is aggregated
_CONFIG_HEAD = {"mean": "mpsnr munkberg2006", "toolbox": "mpsnr_toolbox hdrtoolbox-5375d05"}
_MSE_AGGREGATE = {"mean": "mean", "toolbox": "summed"}


def config_string(variant: Literal["mean", "toolbox"] = "mean", protocol: str | Protocol | None = None) -> str:
    """``mpsnr munkberg2006 | exposures toolbox-auto (0.1,0.9) | mse mean | protocol v1`` (or the
    HDR Toolbox variant with the summed MSE)."""
    lo, hi = KEEP_MEAN_RANGE
    return " | ".join(
        [_CONFIG_HEAD[variant], f"exposures toolbox-auto ({lo:g},{hi:g})", f"mse {_MSE_AGGREGATE[variant]}",
         get_protocol(protocol).tag]
    )  # fmt: skip


def matlab_round(x: np.ndarray | float) -> np.ndarray:
    """MATLAB's ``round``: to the nearest integer, halves away from zero (numpy's ``rint`` rounds
    halves to even). Exact for all finite doubles: ``a - floor(a)`` is computed without error."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    f = np.floor(a)
    return np.copysign(f + (a - f >= 0.5), x)


def tone_map_8bit(img: np.ndarray, c: int) -> np.ndarray:
    """The virtual camera: clamp(round(255 (2^c img)^(1/2.2)), 0, 255), float64 code values.

    ``img``: non-negative linear RGB (any unit; mPSNR uses cd/m^2), converted to float64. The
    operations are done in the toolbox's order, ``round(255 * (img * 2^c) .^ (1/2.2))``, so the
    rounding matches MATLAB's; MATLAB ``round`` of a non-negative x is floor(x) + (frac >= 0.5).
    """
    v = np.asarray(img, dtype=np.float64) * (2.0**c)
    np.power(v, 1.0 / GAMMA, out=v)
    v *= 255.0
    out = np.floor(v)
    np.subtract(v, out, out=v)  # fractional part, exact
    out += v >= 0.5
    return np.clip(out, 0.0, 255.0, out=out)


def auto_exposure_range(test: np.ndarray, ref: np.ndarray) -> tuple[int, int]:
    """The toolbox's automatic exposure range (c_lo, c_hi), both inclusive, in stops.

    c_lo = -round(log2 Lmax), c_hi = -round(log2 Lmin) with Lmin/Lmax the smallest/largest
    positive luminance over both images (MATLAB ``round``). A single exposure is widened to
    (c - 1, c + 1), as the toolbox does. Raises ImageError when neither image has a pixel of
    positive luminance.
    """
    lum = [colour.luminance(np.asarray(im, dtype=np.float64), "bt709") for im in (ref, test)]
    positive = [y[y > 0] for y in lum]
    if not any(p.size for p in positive):
        raise ImageError(
            None,
            "neither the test nor the reference image has a pixel of positive luminance",
            "at least one pixel with luminance > 0 to choose mPSNR's exposures",
        )
    lmin = min(float(p.min()) for p in positive if p.size)
    lmax = max(float(p.max()) for p in positive if p.size)
    c_lo = -int(matlab_round(math.log2(lmax)))
    c_hi = -int(matlab_round(math.log2(lmin)))
    if c_lo == c_hi:
        c_lo, c_hi = c_lo - 1, c_hi + 1
    return c_lo, c_hi


def exposure_series(
    test: np.ndarray,
    ref: np.ndarray,
    exposure_range: tuple[int, int] | None = None,
    *,
    mse_for_all: bool = False,
) -> tuple[tuple[int, int], tuple[ExposureStats, ...]]:
    """Tone-map both images at every exposure of the range and say which exposures are kept.

    ``test``/``ref``: H x W x 3 non-negative linear RGB (validated here). ``exposure_range``: (c_lo, c_hi),
    inclusive; the automatic range when ``None``. The MSE is computed for kept exposures, and for
    all of them with ``mse_for_all`` (for inspection and tests). Returns (range, stats).
    """
    t, r = check_pair(test, ref)
    return _exposure_series(t, r, exposure_range, mse_for_all)


def _exposure_series(
    test: np.ndarray, ref: np.ndarray, exposure_range: tuple[int, int] | None, mse_for_all: bool
) -> tuple[tuple[int, int], tuple[ExposureStats, ...]]:
    c_lo, c_hi = exposure_range if exposure_range is not None else auto_exposure_range(test, ref)
    if c_hi < c_lo:
        raise ValueError(f"exposure range must have c_lo <= c_hi, got ({c_lo}, {c_hi})")
    lo, hi = KEEP_MEAN_RANGE
    stats = []
    for c in range(c_lo, c_hi + 1):
        tm_ref = tone_map_8bit(ref, c)
        mean = float(np.mean(tm_ref / 255.0))
        kept = lo < mean < hi
        mse = None
        if kept or mse_for_all:
            mse = float(np.mean((tm_ref - tone_map_8bit(test, c)) ** 2))
        stats.append(ExposureStats(c=c, mean_tm_ref=mean, kept=kept, mse=mse))
    return (c_lo, c_hi), tuple(stats)


def _psnr_255(mse: float) -> float:
    return math.inf if mse == 0.0 else 20.0 * math.log10(255.0 / math.sqrt(mse))


def mpsnr_details(
    test: Any,
    ref: Any,
    *,
    variant: Variant = "mean",
    exposure_range: tuple[int, int] | None = None,
) -> MPSNRResult:
    """mPSNR in dB with the exposures used; see the module docstring for the definition.

    Parameters
    ----------
    test, ref:
        H x W x 3 linear RGB, non-negative and finite (protocol v1: BT.709, cd/m^2). The order
        matters: exposures are kept according to the *reference*.
    variant:
        ``"mean"`` (MSE averaged over exposures, Munkberg 2006) or ``"toolbox"`` (MSE summed,
        the HDR Toolbox's published value).
    exposure_range:
        (c_lo, c_hi) in stops, inclusive; the toolbox's automatic range when ``None``.

    Returns
    -------
    MPSNRResult; ``value`` is ``inf`` when the tone-mapped images agree at every kept exposure.

    Raises
    ------
    ImageError
        invalid images, or no exposure of the range keeps the reference's mean inside (0.1, 0.9)
        (the toolbox returns -1 there; a number that is not a PSNR is not returned here).
    """
    if variant not in ("mean", "toolbox"):
        raise ValueError(f"variant must be 'mean' or 'toolbox', got {variant!r}")
    t, r = check_pair(test, ref)
    search, stats = _exposure_series(t, r, exposure_range, mse_for_all=False)
    kept = [s for s in stats if s.kept]
    if not kept:
        raise ImageError(
            None,
            f"no exposure c in [{search[0]}, {search[1]}] gives a tone-mapped reference mean strictly "
            f"inside {KEEP_MEAN_RANGE} (means: {', '.join(f'{s.mean_tm_ref:.3g}' for s in stats)})",
            "a reference image with some visible detail at one of the exposures",
        )
    total = math.fsum(s.mse for s in kept)  # type: ignore[misc]
    mse = total if variant == "toolbox" else total / len(kept)
    return MPSNRResult(
        value=_psnr_255(mse),
        variant=variant,
        e_min=kept[0].c,
        e_max=kept[-1].c,
        n_exposures=len(kept),
        search_range=search,
        exposures=stats,
    )


@overload
def mpsnr(test: Any, ref: Any, *, return_details: Literal[False] = ...) -> float: ...
@overload
def mpsnr(test: Any, ref: Any, *, return_details: Literal[True]) -> MPSNRResult: ...
def mpsnr(test: Any, ref: Any, *, return_details: bool = False) -> float | MPSNRResult:
    """mPSNR in dB with the MSE averaged over the kept exposures (Munkberg et al. 2006).

    ``test``/``ref``: H x W x 3 linear BT.709 in cd/m^2. With ``return_details`` an
    :class:`MPSNRResult` (value, exposure range used, per-exposure MSEs) is returned.

    >>> ref = np.full((4, 4, 3), 100.0); ref[0, 0] = 10.0
    >>> mpsnr(ref, ref)
    inf
    """
    res = mpsnr_details(test, ref, variant="mean")
    return res if return_details else res.value


@overload
def mpsnr_toolbox(test: Any, ref: Any, *, return_details: Literal[False] = ...) -> float: ...
@overload
def mpsnr_toolbox(test: Any, ref: Any, *, return_details: Literal[True]) -> MPSNRResult: ...
def mpsnr_toolbox(test: Any, ref: Any, *, return_details: bool = False) -> float | MPSNRResult:
    """mPSNR in dB as published by the HDR Toolbox (``mPSNR(ref, test)``): MSE *summed* over
    the kept exposures, i.e. ``mpsnr - 10 log10(n_exposures)``. Same inputs as :func:`mpsnr`."""
    res = mpsnr_details(test, ref, variant="toolbox")
    return res if return_details else res.value
