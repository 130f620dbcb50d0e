"""Colour maths used everywhere in the suite (protocol v1, section 1).

One module, so that matrices and transfer functions are never re-derived in several places.

* Arrays are linear RGB, channel-last (H x W x 3) for numpy and channel-first (N x 3 x H x W)
  for torch; every function that takes both says so.
* PQ (SMPTE ST 2084) maps absolute luminance in cd/m^2 (0..10000) to code values in [0, 1].
* The numpy paths of the transfer functions call colour-science; the torch paths are written
  out (colour-science has no torch backend) and tested against colour-science.

colour-science and torch are imported lazily: each takes seconds to import and most commands
need only the constants below (torch is used only when a tensor is passed in).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

if TYPE_CHECKING:
    import torch

Primaries = Literal["bt709", "bt2020"]
ArrayT = TypeVar("ArrayT", np.ndarray, "torch.Tensor")


def _is_tensor(x: object) -> bool:
    """True for a torch.Tensor. torch is not imported here (it takes seconds): an object can only
    be a tensor if its caller has imported torch already."""
    torch_mod = sys.modules.get("torch")
    return torch_mod is not None and isinstance(x, torch_mod.Tensor)


#: Protocol v1 luminance weights (rounded BT.709 Y row), used for all scaling decisions.
LUMA_709 = (0.2126, 0.7152, 0.0722)
#: BT.2020 luminance weights (ITU-R BT.2020, Table 4).
LUMA_2020 = (0.2627, 0.6780, 0.0593)

# ITU-R BT.2087-0, eq. (4) and its inverse; checked against colour-science's
# matrix_RGB_to_RGB(BT.709, BT.2020) in tests/itmn/test_colour.py.
M_709_TO_2020 = np.array(
    [
        [0.627403895934699, 0.329283038377884, 0.043313065687417],
        [0.069097289358232, 0.919540395075459, 0.011362315566309],
        [0.016391438875150, 0.088013307877226, 0.895595253247624],
    ]
)
M_2020_TO_709 = np.linalg.inv(M_709_TO_2020)

#: CIE 1931 xy chromaticities in OpenEXR attribute order (red x,y, green x,y, blue x,y, white x,y).
CHROMATICITIES: dict[str, tuple[float, ...]] = {
    "bt709": (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290),
    "bt2020": (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290),
}

# SMPTE ST 2084 constants.
_PQ_M1 = 2610.0 / 16384.0
_PQ_M2 = 2523.0 / 4096.0 * 128.0
_PQ_C1 = 3424.0 / 4096.0
_PQ_C2 = 2413.0 / 4096.0 * 32.0
_PQ_C3 = 2392.0 / 4096.0 * 32.0
PQ_PEAK = 10000.0


def _matrix(src: Primaries, dst: Primaries) -> np.ndarray:
    if src not in ("bt709", "bt2020") or dst not in ("bt709", "bt2020"):
        raise ValueError(f"primaries must be 'bt709' or 'bt2020', got src={src!r}, dst={dst!r}")
    if src == dst:
        return np.eye(3)
    return M_709_TO_2020 if src == "bt709" else M_2020_TO_709


def apply_matrix(img: ArrayT, m: np.ndarray) -> ArrayT:
    """Multiply every pixel's RGB by the 3x3 matrix ``m``.

    numpy: H x W x 3 (channel last); torch: N x 3 x H x W or 3 x H x W (channel first).
    The dtype of the input is kept.
    """
    if _is_tensor(img):
        import torch

        mt = torch.as_tensor(m, dtype=img.dtype, device=img.device)
        if img.shape[-3] != 3:
            raise ValueError(f"expected a channel-first tensor with 3 channels, got shape {tuple(img.shape)}")
        return torch.einsum("ij,...jhw->...ihw", mt, img)
    if img.shape[-1] != 3:
        raise ValueError(f"expected a channel-last array with 3 channels, got shape {img.shape}")
    return (img @ m.T.astype(img.dtype, copy=False)).astype(img.dtype, copy=False)


def convert_primaries(img: ArrayT, src: Primaries, dst: Primaries) -> ArrayT:
    """Linear RGB from ``src`` to ``dst`` primaries (same D65 white). Negative results are kept;
    the caller decides whether to clip (and counts what it clips, protocol v1 section 2)."""
    if src == dst:
        return img
    return apply_matrix(img, _matrix(src, dst))


def bt709_to_bt2020(img: ArrayT) -> ArrayT:
    return convert_primaries(img, "bt709", "bt2020")


def bt2020_to_bt709(img: ArrayT) -> ArrayT:
    return convert_primaries(img, "bt2020", "bt709")


def luminance(img: ArrayT, primaries: Primaries = "bt709") -> ArrayT:
    """Relative/absolute luminance Y of linear RGB (same unit as the input).

    For ``bt709`` the protocol's rounded weights 0.2126, 0.7152, 0.0722 are used.
    numpy: H x W x 3 -> H x W; torch: ... x 3 x H x W -> ... x H x W.
    """
    if primaries not in ("bt709", "bt2020"):
        raise ValueError(f"primaries must be 'bt709' or 'bt2020', got {primaries!r}")
    w = LUMA_709 if primaries == "bt709" else LUMA_2020
    if _is_tensor(img):
        return w[0] * img[..., 0, :, :] + w[1] * img[..., 1, :, :] + w[2] * img[..., 2, :, :]
    return (w[0] * img[..., 0] + w[1] * img[..., 1] + w[2] * img[..., 2]).astype(img.dtype, copy=False)


def primaries_matrix(chromaticities: tuple[float, ...] | None, dst: Primaries = "bt709") -> np.ndarray:
    """3x3 matrix taking linear RGB with the given chromaticities (OpenEXR attribute order:
    red x,y, green x,y, blue x,y, white x,y) to linear RGB with ``dst`` primaries (D65).

    The white point is adapted to D65 with the Bradford transform when it differs.
    ``None`` means the file declared nothing, i.e. Rec.709 primaries and D65 (OpenEXR's default).
    Chromaticities within 5e-4 of ``dst``'s give the identity, so files that store the standard
    values in float32 are not converted at all.
    """
    if dst not in ("bt709", "bt2020"):
        raise ValueError(f"dst primaries must be 'bt709' or 'bt2020', got {dst!r}")
    c = np.asarray(CHROMATICITIES["bt709"] if chromaticities is None else chromaticities, dtype=np.float64)
    if c.shape != (8,):
        raise ValueError(f"chromaticities must have 8 numbers (rx ry gx gy bx by wx wy), got {c.tolist()}")
    primaries_xy = c[:6].reshape(3, 2)
    collinear = abs(np.linalg.det(np.column_stack([primaries_xy, np.ones(3)]))) < 1e-9
    if not np.all(np.isfinite(c)) or np.any(c[1::2] == 0) or c[7] <= 0 or collinear:
        # y = 0 makes XYZ infinite; collinear primaries span no gamut (imaginary primaries such
        # as ACES AP0's blue, y < 0, are fine)
        raise ValueError(f"chromaticities {c.tolist()} are not valid xy primaries and white point")
    target = np.asarray(CHROMATICITIES[dst])
    if np.allclose(c, target, atol=5e-4):
        return np.eye(3)
    for name, known in CHROMATICITIES.items():
        if np.allclose(c, known, atol=5e-4):  # exact standard matrices for the standard primaries
            return _matrix(name, dst)  # type: ignore[arg-type]
    import colour  # lazy: slow import

    src_primaries, src_white = c[:6].reshape(3, 2), c[6:]
    d65 = target[6:]
    npm_src = colour.normalised_primary_matrix(src_primaries, src_white)
    npm_dst = colour.normalised_primary_matrix(target[:6].reshape(3, 2), d65)
    xyz_src_to_d65 = np.eye(3)
    if not np.allclose(src_white, d65, atol=5e-4):
        xyz_src_to_d65 = colour.adaptation.matrix_chromatic_adaptation_VonKries(
            colour.xy_to_XYZ(src_white), colour.xy_to_XYZ(d65), transform="Bradford"
        )
    return np.linalg.inv(npm_dst) @ xyz_src_to_d65 @ npm_src


def primaries_matrix_to_bt709(chromaticities: tuple[float, ...] | None) -> np.ndarray:
    """3x3 matrix from RGB with the given chromaticities to linear BT.709 (see :func:`primaries_matrix`)."""
    return primaries_matrix(chromaticities, "bt709")


def _safe_pow(x: torch.Tensor, p: float) -> torch.Tensor:
    """``x ** p`` for x >= 0 whose gradient at x = 0 is 0 instead of inf/NaN.

    ``torch.pow(0, p)`` with 0 < p < 1 has an infinite derivative, and inside ``torch.where`` the
    unused branch still propagates ``inf * 0 = NaN`` into the gradient; a network output that
    reaches exactly 0 (a saturated sigmoid) would then poison every weight.
    """
    import torch

    pos = x > 0
    return torch.where(pos, torch.pow(torch.where(pos, x, torch.ones_like(x)), p), torch.zeros_like(x))


# --------------------------------------------------------------------------- PQ (ST 2084)
def pq_encode(luminance_cdm2: ArrayT) -> ArrayT:
    """Inverse EOTF of SMPTE ST 2084: absolute cd/m^2 (clipped to [0, 10000]) -> code value in [0, 1].

    >>> round(float(pq_encode(np.array(1000.0))), 4)
    0.7518
    """
    if _is_tensor(luminance_cdm2):
        import torch

        y = torch.clamp(luminance_cdm2 / PQ_PEAK, 0.0, 1.0)
        ym = _safe_pow(y, _PQ_M1)
        return torch.pow((_PQ_C1 + _PQ_C2 * ym) / (1.0 + _PQ_C3 * ym), _PQ_M2)
    import colour

    y = np.clip(np.asarray(luminance_cdm2, dtype=np.float64), 0.0, PQ_PEAK)
    out = colour.models.eotf_inverse_ST2084(y, L_p=PQ_PEAK)
    return np.asarray(out).astype(_float_out(luminance_cdm2), copy=False)


def pq_decode(code: ArrayT) -> ArrayT:
    """EOTF of SMPTE ST 2084: code value in [0, 1] (clipped) -> absolute cd/m^2."""
    if _is_tensor(code):
        import torch

        e = torch.clamp(code, 0.0, 1.0)
        em = _safe_pow(e, 1.0 / _PQ_M2)
        num = torch.clamp(em - _PQ_C1, min=0.0)
        return PQ_PEAK * torch.pow(num / (_PQ_C2 - _PQ_C3 * em), 1.0 / _PQ_M1)
    import colour

    e = np.clip(np.asarray(code, dtype=np.float64), 0.0, 1.0)
    out = colour.models.eotf_ST2084(e, L_p=PQ_PEAK)
    return np.asarray(out).astype(_float_out(code), copy=False)


# --------------------------------------------------------------------------- HLG (BT.2100)
def hlg_decode(code: np.ndarray, peak_cdm2: float = 1000.0, black_cdm2: float = 0.0) -> np.ndarray:
    """HLG EOTF of ITU-R BT.2100 (inverse OETF, then the OOTF with system gamma for ``peak_cdm2``):
    non-linear signal in [0, 1], channel last, BT.2020 RGB -> display light in cd/m^2."""
    import colour

    e = np.clip(np.asarray(code, dtype=np.float64), 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # colour-science evaluates both np.where branches
        out = colour.models.eotf_BT2100_HLG(e, L_B=black_cdm2, L_W=peak_cdm2, method="ITU-R BT.2100-2")
    return np.asarray(out).astype(_float_out(code), copy=False)


def hlg_encode(display_cdm2: np.ndarray, peak_cdm2: float = 1000.0, black_cdm2: float = 0.0) -> np.ndarray:
    """Inverse of :func:`hlg_decode`: BT.2020 display light in cd/m^2 -> HLG signal in [0, 1]."""
    import colour

    f = np.clip(np.asarray(display_cdm2, dtype=np.float64), 0.0, peak_cdm2)
    with np.errstate(invalid="ignore", divide="ignore"):  # colour-science evaluates both np.where branches
        out = colour.models.eotf_inverse_BT2100_HLG(
            f, L_B=black_cdm2, L_W=peak_cdm2, method="ITU-R BT.2100-2"
        )
    return np.clip(np.asarray(out), 0.0, 1.0).astype(_float_out(display_cdm2), copy=False)


# --------------------------------------------------------------------------- sRGB (IEC 61966-2-1)
def srgb_encode(linear: ArrayT) -> ArrayT:
    """sRGB inverse EOTF (piecewise, 0.0031308 / 12.92 / 2.4): linear [0,1] (clipped) -> code value [0,1]."""
    if _is_tensor(linear):
        import torch

        x = torch.clamp(linear, 0.0, 1.0)
        return torch.where(x <= 0.0031308, 12.92 * x, 1.055 * _safe_pow(x, 1.0 / 2.4) - 0.055)
    import colour

    x = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.asarray(colour.models.eotf_inverse_sRGB(x)).astype(_float_out(linear), copy=False)


def srgb_decode(code: ArrayT) -> ArrayT:
    """sRGB EOTF: code value in [0,1] (clipped) -> linear [0,1]."""
    if _is_tensor(code):
        import torch

        v = torch.clamp(code, 0.0, 1.0)
        return torch.where(v <= 0.04045, v / 12.92, torch.pow((v + 0.055) / 1.055, 2.4))
    import colour

    v = np.clip(np.asarray(code, dtype=np.float64), 0.0, 1.0)
    return np.asarray(colour.models.eotf_sRGB(v)).astype(_float_out(code), copy=False)


def quantize(code: ArrayT, bits: int) -> ArrayT:
    """Quantize code values in [0,1] to ``bits`` bits and return them rescaled to [0,1]
    (round half to even on the exact product, as an integer cast of np.rint would)."""
    levels = float(2**bits - 1)
    if _is_tensor(code):
        import torch

        return torch.round(torch.clamp(code, 0.0, 1.0) * levels) / levels
    return (np.rint(np.clip(code, 0.0, 1.0) * levels) / levels).astype(_float_out(code), copy=False)


def _float_out(x: object) -> np.dtype:
    dt = getattr(x, "dtype", None)
    if dt is not None and np.issubdtype(dt, np.floating):
        return dt
    return np.dtype(np.float64)
