"""Kovaleski & Oliveira 2014, as the HDR Toolbox's ``KovaleskiOliveiraEO`` computes it (two versions).

Paper: R. P. Kovaleski, M. M. Oliveira, "High-quality reverse tone mapping for a wide range of
exposures", SIBGRAPI 2014. Toolbox: ``[imgOut, e_map] = KovaleskiOliveiraEO(img, type_content,
ko_sigma_s, ko_sigma_r, ko_display_min, ko_display_max, gammaRemoval)``. Written from the
algorithm; porting notes in docs/porting-notes/eo.md.

With ``I = img ** gamma`` (linear), ``L = 0.2126 R + 0.7152 G + 0.0722 B``::

    t     = (254/255)^gamma for still images, (230/255)^gamma for video
    M     = 1 where max(I_R, I_G, I_B) > t, else 0              (saturated pixels)
    E     = crossBF(M; edge L in [0, 1], s_s = sigma_s, s_r = sigma_r^gamma)
    map   = 3 E + 1              variant "2017" (toolbox before 2019-08-12), in [1, 4]
          = (3 E + 1) / 4        variant "2019" (toolbox 2019-08-12 and later), in [1/4, 1]
    L_exp = (L (d_max - d_min) + d_min) * map
    out_c = I_c * L_exp / L      (0 where L = 0)

The 2019 output is the 2017 output divided by 4 exactly. The iTMN paper (2018) was written when
the toolbox computed the 2017 variant, hence the default. Output luminance peaks at 4 d_max (2017)
or d_max (2019); a single channel can exceed that where one primary dominates
(``out_c <= map (d_max - d_min + d_min / w_c)`` with w_c the channel's luminance weight).
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np

from baselines import _eo_common as eo
from baselines.bilateral import filter_unchecked
from itmn.images import check_ldr

__all__ = ["KO_THRESHOLDS", "KO_VARIANTS", "check_params", "kovaleski_oliveira"]

#: Saturation thresholds on display code values, before gamma removal.
KO_THRESHOLDS = {"image": 254.0 / 255.0, "video": 230.0 / 255.0}
#: Brightness-map versions: "2017" = 3E+1 (toolbox before 2019-08-12), "2019" = (3E+1)/4.
KO_VARIANTS = ("2017", "2019")


@overload
def kovaleski_oliveira(
    img: np.ndarray,
    mode: Literal["image", "video"] = ...,
    sigma_s: float = ...,
    sigma_r: float = ...,
    d_min: float = ...,
    d_max: float = ...,
    gamma: float | None = ...,
    variant: Literal["2017", "2019"] = ...,
    *,
    return_map: Literal[False] = ...,
) -> np.ndarray: ...
@overload
def kovaleski_oliveira(
    img: np.ndarray,
    mode: Literal["image", "video"] = ...,
    sigma_s: float = ...,
    sigma_r: float = ...,
    d_min: float = ...,
    d_max: float = ...,
    gamma: float | None = ...,
    variant: Literal["2017", "2019"] = ...,
    *,
    return_map: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...
def kovaleski_oliveira(
    img: np.ndarray,
    mode: Literal["image", "video"] = "image",
    sigma_s: float = 150.0,
    sigma_r: float = 25.0 / 255.0,
    d_min: float = 0.3,
    d_max: float = 1200.0,
    gamma: float | None = 2.2,
    variant: Literal["2017", "2019"] = "2017",
    *,
    return_map: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Expand an LDR image with Kovaleski & Oliveira's operator (HDR Toolbox ``KovaleskiOliveiraEO``).

    Parameters
    ----------
    img:
        H x W x 3 float32/float64 display code values in [0, 1].
    mode:
        ``"image"`` (saturation threshold 254/255) or ``"video"`` (230/255).
    sigma_s:
        Spatial sigma of the cross bilateral filter in pixels (paper: 150 for HD content).
    sigma_r:
        Range sigma in display code values (paper: 25/255); raised to ``gamma`` like the image.
    d_min, d_max:
        Display black and white levels in cd/m^2 (0 <= d_min < d_max; paper 0.3 and 1200).
    gamma:
        Display gamma removed first (``img ** gamma``, also applied to the threshold and
        ``sigma_r``); ``None`` if ``img`` is already linear.
    variant:
        ``"2017"`` (brightness map 3E+1 in [1, 4], default) or ``"2019"`` ((3E+1)/4 in [0.25, 1]).
    return_map:
        Also return the brightness map (the toolbox's ``e_map``).
    Returns
    -------
    H x W x 3 float64 linear RGB (BT.709 primaries) in cd/m^2 of the toolbox's display model, or
    ``(out, e_map)`` with ``e_map`` H x W float64 when ``return_map``.

    Examples
    --------
    >>> img = np.full((8, 8, 3), 0.5)
    >>> img[2:4, 2:4] = 1.0                     # a saturated patch
    >>> out, e_map = kovaleski_oliveira(img, d_max=1000.0, return_map=True)
    >>> float(e_map.min()) >= 1.0, float(e_map.max()) <= 4.0, float(e_map[2, 2]) > float(e_map[7, 7])
    (True, True, True)
    """
    ldr = check_ldr(img, name="img")
    which = check_params(mode, sigma_s, sigma_r, d_min, d_max, gamma, variant)
    threshold = KO_THRESHOLDS[mode]
    lin = eo.remove_gamma(ldr, gamma)
    if gamma is not None:
        threshold = threshold**gamma
        sigma_r = sigma_r**gamma
    lum = eo.luminance(lin)

    brightest = np.maximum(np.maximum(lin[..., 0], lin[..., 1]), lin[..., 2])
    mask = (brightest > threshold).astype(np.float64)
    e_map = filter_unchecked(mask, lum, 0.0, 1.0, float(sigma_s), float(sigma_r), has_nan=False)
    e_map *= 3.0
    e_map += 1.0
    if which == "2019":
        e_map /= 4.0

    expanded = lum * (d_max - d_min)
    expanded += d_min
    expanded *= e_map
    out = eo.change_luminance(lin, lum, expanded)
    return (out, e_map) if return_map else out


def check_params(
    mode: str,
    sigma_s: float,
    sigma_r: float,
    d_min: float,
    d_max: float,
    gamma: float | None,
    variant: object,
) -> str:
    """ValueError naming the parameter unless every value is usable; returns the variant as a string."""
    if mode not in KO_THRESHOLDS:
        raise ValueError(f"kovaleski_oliveira: mode = {mode!r}; expected one of {sorted(KO_THRESHOLDS)}")
    v = str(variant)
    if v not in KO_VARIANTS:
        raise ValueError(
            f"kovaleski_oliveira: variant = {variant!r}; expected '2017' (map 3E+1) or '2019' (map (3E+1)/4)"
        )
    for name, val in (("sigma_s", sigma_s), ("sigma_r", sigma_r)):
        if not (np.isfinite(val) and val > 0):
            raise ValueError(f"kovaleski_oliveira: {name} = {val!r}; expected a number > 0")
    if not (np.isfinite(d_min) and np.isfinite(d_max) and 0 <= d_min < d_max):
        raise ValueError(
            f"kovaleski_oliveira: d_min = {d_min!r}, d_max = {d_max!r}; expected 0 <= d_min < d_max (cd/m^2)"
        )
    eo.check_gamma(gamma)
    return v
