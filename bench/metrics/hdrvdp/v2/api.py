"""Public entry points of the HDR-VDP 2.2.2 port: :func:`hdrvdp2` (one pair, numpy or torch,
H x W x C) and :func:`hdrvdp2_batch` (torch, N x C x H x W, any device), plus
:func:`pix_per_deg`. Both go through :func:`bench.metrics.hdrvdp.v2.pipeline.compute`.

Units (``color_encoding``):

* ``rgb-bt.709``: linear RGB, absolute cd/m^2 per channel (treated, as in HDR-VDP 2.2.2, as the
  emission of a CCFL-backlit LCD; no BT.709 matrix is applied);
* ``XYZ``: absolute CIE 1931 XYZ, Y in cd/m^2 (converted to linear sRGB primaries first);
* ``luminance``: one channel of absolute luminance in cd/m^2 (D65 spectrum);
* ``sRGB-display``: sRGB code values in [0, 1] shown on a 100 cd/m^2 display with a
  1 cd/m^2 black level (L = 99 * sRGB_EOTF(V) + 1);
* ``luma-display``: one channel of luma in [0, 1] on a gamma-2.2 display, L = 99 V^2.2 + 1.

``ppd`` is the angular resolution in pixels per visual degree; ``surround`` the luminance
(cd/m^2) assumed outside the image (HDR-VDP 2.2.2 default 1e-5; ``"geomean"`` for the
geometric mean of each reference channel, MATLAB's -1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from bench.metrics.hdrvdp.common import (
    check_image_values,
    check_pair,
    first_result,
    no_tf32,
    to_chw,
    to_hwc,
    torch_dtype,
)
from bench.metrics.hdrvdp.v2.pipeline import HDRVDPMaps, compute, get_plan
from itmn.protocol import Protocol, get_protocol

#: Version of the original MATLAB code this package ports.
HDRVDP_VERSION = "2.2.2"
#: Default surround luminance of HDR-VDP 2.2.2 (cd/m^2).
DEFAULT_SURROUND = 1e-5
#: smallest image side (pixels): one level of the sp3 pyramid (its 17-tap low-pass filter)
MIN_SIDE = 17

_ENCODINGS = {
    # name (lower case) -> (canonical name, channels, absolute units?)
    "luminance": ("luminance", 1, True),
    "luma-display": ("luma-display", 1, False),
    "srgb-display": ("sRGB-display", 3, False),
    "rgb-bt.709": ("rgb-bt.709", 3, True),
    "xyz": ("XYZ", 3, True),
}

# hdrvdp.m xyz2rgb: XYZ -> linear sRGB (BT.709 primaries, D65), as written there.
_XYZ_TO_RGB = np.array(
    [
        [3.240708, -1.537259, -0.498570],
        [-0.969257, 1.875995, 0.041555],
        [0.055636, -0.203996, 1.057069],
    ]
)


@dataclass(frozen=True)
class HDRVDPResult:
    """Result of :func:`hdrvdp2` for one image pair.

    * ``Q`` -- quality correlate: 100 for identical images, lower is worse (can be negative).
    * ``P_det`` -- probability of detecting a difference anywhere (0..1).
    * ``C_max`` -- maximum of ``C_map``; 1 corresponds to the detection threshold (P = 0.5).
    * ``P_map`` -- per-pixel probability of detection, H x W (None if maps were not requested).
    * ``C_map`` -- per-pixel threshold-normalised contrast after spatial pooling, H x W.
    * ``config`` -- configuration string to quote with the numbers.
    """

    Q: float
    P_det: float
    C_max: float
    P_map: np.ndarray | None = field(repr=False)
    C_map: np.ndarray | None = field(repr=False)
    config: str


@dataclass
class HDRVDPBatchResult:
    """Result of :func:`hdrvdp2_batch`: tensors on the input's device. ``Q``, ``P_det``,
    ``C_max``: N (float64); ``P_map``, ``C_map``: N x H x W (None unless requested)."""

    Q: torch.Tensor
    P_det: torch.Tensor
    C_max: torch.Tensor
    P_map: torch.Tensor | None
    C_map: torch.Tensor | None
    config: str


def pix_per_deg(diagonal_inches: float, resolution: Sequence[int], distance_m: float) -> float:
    """Pixels per visual degree of a display (``hdrvdp_pix_per_deg.m``).

    diagonal_inches: display diagonal (inches); resolution: (width, height) in pixels;
    distance_m: viewing distance (metres). Uses the vertical field of view.

    >>> round(pix_per_deg(21, (1920, 1080), 1), 6)
    72.489874
    """
    width, height = resolution
    if diagonal_inches <= 0 or distance_m <= 0 or width <= 0 or height <= 0:
        raise ValueError(
            f"pix_per_deg needs positive sizes, got diagonal={diagonal_inches} in, "
            f"resolution={tuple(resolution)}, distance={distance_m} m"
        )
    ar = width / height
    height_mm = math.sqrt((diagonal_inches * 25.4) ** 2 / (1 + ar**2))
    height_deg = 2 * math.degrees(math.atan(0.5 * height_mm / (distance_m * 1000)))
    return height / height_deg


def config_string(
    color_encoding: str,
    ppd: float,
    surround: float | str | Sequence[float] = DEFAULT_SURROUND,
    protocol: str | Protocol | None = None,
) -> str:
    """``hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=30 | protocol v1`` (surround added when not the default)."""
    enc = _canonical_encoding(color_encoding)[0]
    parts = [f"hdrvdp2 {HDRVDP_VERSION}-port", enc, f"ppd={ppd:.10g}"]
    if not (isinstance(surround, int | float) and float(surround) == DEFAULT_SURROUND):
        parts.append(f"surround={_surround_repr(surround)}")
    parts.append(get_protocol(protocol).tag)
    return " | ".join(parts)


def hdrvdp2(
    test: np.ndarray | torch.Tensor,
    ref: np.ndarray | torch.Tensor,
    *,
    ppd: float = 30.0,
    color_encoding: str = "rgb-bt.709",
    surround: float | str | Sequence[float] = DEFAULT_SURROUND,
    dtype: str = "float32",
    device: str | torch.device | None = None,
    return_maps: bool = True,
    check_values: bool = True,
    backend: str = "native",
) -> HDRVDPResult:
    """HDR-VDP 2.2.2 of one test image against its reference.

    test, ref: H x W x 3 (or H x W / H x W x 1 for ``luminance`` and ``luma-display``) numpy
    arrays or torch tensors, channel last, in the units of ``color_encoding`` (absolute cd/m^2
    for ``rgb-bt.709``, ``XYZ``, ``luminance``; code values in [0, 1] for the display
    encodings). ppd: pixels per visual degree (see :func:`pix_per_deg`). dtype: ``float32``
    (default, fast) or ``float64`` (validation path, agrees with MATLAB to many digits).
    check_values: reject cd/m^2 inputs whose test maximum is <= 1 (HDR-VDP's own "very low
    physical values" check, made an error here); pass False for genuinely dark scenes.

    backend: ``"native"`` (this port, default), or ``"octave"`` / ``"matlab"`` to run the
    user's copy of the original HDR-VDP 2.2.2 (folder in ``ITMN_HDRVDP_PATH``; see
    :mod:`itmn.originals`). The original runs in double precision with its default options;
    ``surround``, ``dtype`` and ``device`` apply to the native code only.

    >>> ref = np.full((64, 64, 3), 100.0)
    >>> hdrvdp2(ref, ref).Q
    100.0
    """
    enc, n_ch, _ = _canonical_encoding(color_encoding)
    t = to_chw(test, "test", enc, n_ch)
    r = to_chw(ref, "ref", enc, n_ch)
    if backend != "native":
        return _hdrvdp2_original(t, r, ppd, enc, backend, surround, return_maps, check_values)
    out = hdrvdp2_batch(
        t[None],
        r[None],
        ppd=ppd,
        color_encoding=enc,
        surround=surround,
        dtype=dtype,
        device=device,
        return_maps=return_maps,
        check_values=check_values,
    )
    return first_result(HDRVDPResult, out)


def _hdrvdp2_original(
    t: torch.Tensor,
    r: torch.Tensor,
    ppd: float,
    enc: str,
    backend: str,
    surround: float | str | Sequence[float],
    return_maps: bool,
    check_values: bool,
) -> HDRVDPResult:
    from itmn.originals import BackendError, check_backend_name, hdrvdp2_original

    check_backend_name(backend)
    if surround is not DEFAULT_SURROUND and surround != DEFAULT_SURROUND:
        raise BackendError("surround: the original HDR-VDP runs with its default options only (surround 1e-5)")
    if not (math.isfinite(ppd) and ppd > 0):
        raise ValueError(f"ppd must be a positive number of pixels per degree, got {ppd!r}")
    _, n_ch, absolute = _canonical_encoding(enc)
    check_pair(t[None], r[None], n_ch, enc, MIN_SIDE)  # the same input checks as the native code
    _check_values(t[None], r[None], enc, absolute, check_values)
    # back to channel-last for the original (H x W x C, or H x W for one channel)
    res = hdrvdp2_original(
        to_hwc(t), to_hwc(r), ppd=ppd, color_encoding=enc, backend=backend, return_maps=return_maps
    )
    return HDRVDPResult(
        Q=res["Q"], P_det=res["P_det"], C_max=res["C_max"], P_map=res["P_map"], C_map=res["C_map"], config=res["config"]
    )


def hdrvdp2_batch(
    test: torch.Tensor,
    ref: torch.Tensor,
    *,
    ppd: float = 30.0,
    color_encoding: str = "rgb-bt.709",
    surround: float | str | Sequence[float] = DEFAULT_SURROUND,
    dtype: str | torch.dtype | None = None,
    device: str | torch.device | None = None,
    return_maps: bool = False,
    check_values: bool = True,
) -> HDRVDPBatchResult:
    """HDR-VDP 2.2.2 of N pairs at once: test, ref are N x C x H x W tensors (C = 3, or 1 for
    the single-channel encodings) in the units of ``color_encoding``. Computed on ``device``
    (default: the tensors' device) in ``dtype`` (default: float32, or float64 when the
    inputs are float64). Results stay on the device; no host synchronisation in the model.
    """
    enc, n_ch, absolute = _canonical_encoding(color_encoding)
    tdt = torch_dtype(dtype, test)
    dev = torch.device(device) if device is not None else test.device
    check_pair(test, ref, n_ch, enc, MIN_SIDE)
    test = test.to(device=dev, dtype=tdt)
    ref = ref.to(device=dev, dtype=tdt)
    _check_values(test, ref, enc, absolute, check_values)
    test = _encode(test, enc)
    ref = _encode(ref, enc)
    surr = _surround(surround, ref)
    if not math.isfinite(ppd) or ppd <= 0:
        raise ValueError(f"ppd must be a positive number of pixels per degree, got {ppd}")
    spectra = "d65" if n_ch == 1 else "ccfl-lcd"
    plan = get_plan((int(test.shape[-2]), int(test.shape[-1])), ppd, spectra, tdt, dev)
    with no_tf32():
        res: HDRVDPMaps = compute(plan, test, ref, surr)
    return HDRVDPBatchResult(
        Q=res.Q,
        P_det=res.P_det,
        C_max=res.C_max,
        P_map=res.P_map if return_maps else None,
        C_map=res.C_map if return_maps else None,
        config=config_string(enc, ppd, surround),
    )


# ----------------------------------------------------------------------------- helpers
def _canonical_encoding(name: str) -> tuple[str, int, bool]:
    try:
        return _ENCODINGS[str(name).lower()]
    except KeyError:
        names = ", ".join(v[0] for v in _ENCODINGS.values())
        raise ValueError(f"unknown color_encoding {name!r} (expected one of: {names})") from None


def _check_values(
    test: torch.Tensor, ref: torch.Tensor, enc: str, absolute: bool, plausibility: bool
) -> None:
    """:func:`bench.metrics.hdrvdp.common.check_image_values`: display code values must lie in
    [0, 1]; the plausibility probe (cd/m^2 encodings) is the G channel for RGB, as in hdrvdp.m,
    after its XYZ -> RGB conversion for XYZ."""
    probe = None
    if absolute and plausibility:
        if enc == "XYZ":  # hdrvdp.m checks G after its XYZ -> RGB conversion
            g_row = torch.as_tensor(_XYZ_TO_RGB[1], dtype=test.dtype).to(test.device)
            probe = torch.einsum("c,nchw->nhw", g_row, test).amax(dim=(-2, -1))
        else:
            probe = test[:, 1 if enc == "rgb-bt.709" else 0].amax(dim=(-2, -1))
    what = {"luminance": "luminance", "rgb-bt.709": "G value"}.get(enc, "G value after XYZ->RGB")
    check_image_values(test, ref, enc, probe, what, display_codes=not absolute)


def _encode(x: torch.Tensor, enc: str) -> torch.Tensor:
    """Apply the colour encoding's display model / colour conversion (hdrvdp.m)."""
    if enc == "luma-display":
        return 99.0 * x**2.2 + 1.0
    if enc == "sRGB-display":
        lin = torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
        return 99.0 * lin + 1.0
    if enc == "XYZ":
        m = torch.as_tensor(_XYZ_TO_RGB, dtype=x.dtype, device=x.device)
        return torch.einsum("ij,njhw->nihw", m, x)
    return x


def _surround(surround: float | str | Sequence[float], ref: torch.Tensor) -> torch.Tensor:
    """Surround luminance per image and channel (N x C, in the units of the encoded images).
    ``"geomean"`` (MATLAB's -1): geometric mean of each channel of each reference image."""
    n, n_ch = ref.shape[:2]
    if isinstance(surround, str) or (isinstance(surround, int | float) and surround == -1):
        if surround not in ("geomean", -1):
            raise ValueError(
                f"surround must be cd/m^2, a per-channel sequence or 'geomean', got {surround!r}"
            )
        return torch.exp(torch.log(ref).mean(dim=(-2, -1)))
    vals = [float(v) for v in (surround if isinstance(surround, Sequence) else [surround])]
    if len(vals) == 1:
        vals = vals * n_ch
    if len(vals) != n_ch or not all(math.isfinite(v) and v > 0 for v in vals):
        raise ValueError(f"surround must be positive cd/m^2 (one value or {n_ch}), got {surround!r}")
    if all(v == vals[0] for v in vals):  # no host-to-device copy for the usual scalar
        return torch.full((n, n_ch), vals[0], dtype=ref.dtype, device=ref.device)
    return torch.tensor(vals, dtype=ref.dtype, device=ref.device).expand(n, n_ch)


def _surround_repr(surround: float | str | Sequence[float]) -> str:
    if isinstance(surround, str):
        return surround
    if isinstance(surround, int | float):
        return "geomean" if surround == -1 else f"{float(surround):.6g}"
    return "(" + ",".join(f"{float(v):.6g}" for v in surround) + ")"
