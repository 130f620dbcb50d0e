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

from bench.metrics.hdrvdp.v2.pipeline import HDRVDPMaps, compute, get_plan
from itmn.errors import ImageError
from itmn.protocol import Protocol, get_protocol

#: Version of the original MATLAB code this package ports.
HDRVDP_VERSION = "2.2.2"
#: Default surround luminance of HDR-VDP 2.2.2 (cd/m^2).
DEFAULT_SURROUND = 1e-5

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
    return HDRVDPResult(
        Q=float(out.Q[0]),
        P_det=float(out.P_det[0]),
        C_max=float(out.C_max[0]),
        P_map=None if out.P_map is None else out.P_map[0].cpu().numpy(),
        C_map=None if out.C_map is None else out.C_map[0].cpu().numpy(),
        config=out.config,
    )


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
    _check_pair(t[None], r[None], n_ch, enc)  # the same input checks as the native code
    _check_values(t[None], r[None], enc, absolute, check_values)
    # back to channel-last for the original (H x W x C, or H x W for one channel)
    def hwc(x: torch.Tensor) -> np.ndarray:
        a = x.detach().cpu().double().numpy()
        return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)

    res = hdrvdp2_original(hwc(t), hwc(r), ppd=ppd, color_encoding=enc, backend=backend, return_maps=return_maps)
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
    _check_pair(test, ref, n_ch, enc)
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


def torch_dtype(dtype: str | torch.dtype | None, like: torch.Tensor) -> torch.dtype:
    if dtype is None:
        return torch.float64 if like.dtype == torch.float64 else torch.float32
    table = {
        "float32": torch.float32,
        "float64": torch.float64,
        torch.float32: torch.float32,
        torch.float64: torch.float64,
    }
    if dtype not in table:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return table[dtype]


def to_chw(img: np.ndarray | torch.Tensor, name: str, enc: str, n_ch: int) -> torch.Tensor:
    """H x W x C (or H x W for one channel) numpy/torch -> C x H x W tensor (dtype kept if float)."""
    x = img if isinstance(img, torch.Tensor) else torch.from_numpy(np.asarray(img))
    if x.ndim == 2 and n_ch == 1:
        x = x[..., None]
    if x.ndim != 3 or x.shape[-1] != n_ch:
        raise ImageError(
            name,
            f"array of shape {tuple(x.shape)} for color encoding {enc!r}",
            f"H x W x {n_ch}" + (" or H x W" if n_ch == 1 else ""),
        )
    if not (x.is_floating_point() or x.dtype in (torch.uint8, torch.int16, torch.int32, torch.int64)):
        raise ImageError(name, f"array of dtype {x.dtype}", "a real-valued (float) array")
    if not x.is_floating_point():
        x = x.double()
    return x.permute(2, 0, 1)


def _check_pair(test: torch.Tensor, ref: torch.Tensor, n_ch: int, enc: str) -> None:
    for name, x in (("test", test), ("ref", ref)):
        if not isinstance(x, torch.Tensor):
            raise ImageError(name, f"object of type {type(x).__name__}", "a torch tensor N x C x H x W")
        if x.ndim != 4 or x.shape[1] != n_ch:
            raise ImageError(
                name, f"tensor of shape {tuple(x.shape)} for color encoding {enc!r}", f"N x {n_ch} x H x W"
            )
        if not x.is_floating_point():
            raise ImageError(name, f"tensor of dtype {x.dtype}", "a floating-point tensor")
    if test.shape != ref.shape:
        raise ImageError(
            "test/ref", f"shapes differ: test {tuple(test.shape)}, ref {tuple(ref.shape)}", "equal shapes"
        )
    h, w = test.shape[-2:]
    if h < 17 or w < 17:
        raise ImageError(
            "test/ref", f"image of {h} x {w} pixels", "at least 17 x 17 (one steerable-pyramid level)"
        )


def _check_values(
    test: torch.Tensor, ref: torch.Tensor, enc: str, absolute: bool, plausibility: bool
) -> None:
    """Non-finite and negative values are errors; so are display code values outside [0, 1]
    and, when ``plausibility``, cd/m^2 test images whose maximum (G channel for RGB, as in
    hdrvdp.m) is <= 1: hdrvdp.m's "very low physical values" warning, since such images are
    "most probably not scaled in absolute units". One host synchronisation per call."""
    rows = [torch.stack(torch.aminmax(x)) for x in (test, ref)]
    probe = None
    if absolute and plausibility:
        if enc == "XYZ":  # hdrvdp.m checks G after its XYZ -> RGB conversion
            g_row = torch.as_tensor(_XYZ_TO_RGB[1], dtype=test.dtype).to(test.device)
            probe = torch.einsum("c,nchw->nhw", g_row, test).amax(dim=(-2, -1))
        else:
            probe = test[:, 1 if enc == "rgb-bt.709" else 0].amax(dim=(-2, -1))
        rows.append(torch.stack([probe.amin(), probe.argmin().to(probe.dtype)]))
    vals = torch.stack(rows).double().cpu().tolist()
    for (lo, hi), name, x in zip(vals, ("test", "ref"), (test, ref)):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            bad = int((~torch.isfinite(x)).sum())
            raise ImageError(name, f"{bad} non-finite (NaN/Inf) values", "finite values")
        if lo < 0:
            raise ImageError(name, f"negative values (minimum {lo:.6g})", f"non-negative values for {enc!r}")
        if not absolute and hi > 1:
            raise ImageError(
                name,
                f"values up to {hi:.6g} for display encoding {enc!r}",
                "code values in [0, 1] (not 0-255)",
            )
    if probe is not None and vals[2][0] <= 1:
        peak, idx = vals[2][0], int(vals[2][1])
        what = {"luminance": "luminance", "rgb-bt.709": "G value"}.get(enc, "G value after XYZ->RGB")
        where = f" of image {idx} in the batch" if test.shape[0] > 1 else ""
        raise ImageError(
            "test",
            f"maximum {what}{where} is {peak:.6g} cd/m^2 (<= 1) for {enc!r}; "
            f"values range {vals[0][0]:.6g}..{vals[0][1]:.6g}",
            "absolute luminance in cd/m^2, not values scaled to [0, 1] (HDR-VDP's plausibility "
            "check; pass check_values=False for a genuinely dark scene)",
        )


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


class no_tf32:
    """Disable TF32 in cuDNN convolutions and matmuls (defaults may allow it) while computing."""

    def __enter__(self) -> None:
        self._cudnn = torch.backends.cudnn.allow_tf32
        self._mm = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False

    def __exit__(self, *exc: object) -> None:
        torch.backends.cudnn.allow_tf32 = self._cudnn
        torch.backends.cuda.matmul.allow_tf32 = self._mm
