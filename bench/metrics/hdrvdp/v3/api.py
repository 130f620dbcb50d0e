"""Public entry points of the HDR-VDP 3.0.7 port: :func:`hdrvdp3` (one pair, numpy or torch,
H x W x C) and :func:`hdrvdp3_batch` (torch, N x C x H x W, any device). Both go through
:func:`bench.metrics.hdrvdp.v3.pipeline.compute`.

Tasks (``task``), as hdrvdp3.m defines them: ``side-by-side`` (two images shown side by side),
``flicker`` (shown in the same place, swapped every 0.5 s), ``detection`` (HDR-VDP-2's
multiple-alternative forced choice) and ``quality`` (Q and Q_JOD; the side-by-side calibration).

Colour encodings (``color_encoding``), values in absolute cd/m^2:

* ``rgb-bt.709``: linear RGB with BT.709 primaries, mapped to the native RGB of the display
  ``rgb_display`` (default ``led-lcd-srgb``) by hdrvdp_iturgb2native, values below 1e-6 clamped;
* ``rgb-bt.2020``: linear RGB with BT.2020 primaries, the same way on ``oled`` by default;
* ``rgb-native``: the display's own linear RGB (default ``led-lcd-srgb``), no conversion;
* ``XYZ``: absolute CIE 1931 XYZ (Y in cd/m^2), converted like the ITU encodings (``oled``);
* ``luminance``: one channel of absolute luminance (D65 spectrum).

``ppd`` is the angular resolution in pixels per visual degree
(:func:`bench.metrics.hdrvdp.v2.pix_per_deg` computes it as hdrvdp_pix_per_deg.m does).
"""

from __future__ import annotations

import math
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
from bench.metrics.hdrvdp.v3.params import canonical_task, params_for
from bench.metrics.hdrvdp.v3.pipeline import HDRVDP3Maps, compute, get_plan
from bench.metrics.hdrvdp.v3.spectral import DISPLAYS, itu_to_native
from itmn.errors import ImageError
from itmn.protocol import Protocol, get_protocol

#: Version of the original MATLAB code this package ports, and what its hdrvdp_version() returns.
HDRVDP3_VERSION = "3.0.7"
HDRVDP3_VERSION_NUMBER = 3.07

#: name (lower case) -> (canonical name, channels, default rgb_display)
_ENCODINGS = {
    "rgb-bt.709": ("rgb-bt.709", 3, "led-lcd-srgb"),
    "rgb-bt.2020": ("rgb-bt.2020", 3, "oled"),
    "rgb-native": ("rgb-native", 3, "led-lcd-srgb"),
    "xyz": ("XYZ", 3, "oled"),
    "luminance": ("luminance", 1, None),
}
ENCODINGS = tuple(v[0] for v in _ENCODINGS.values())
#: out-of-gamut clamp of the converted images (fix_out_of_gamut in hdrvdp3.m)
GAMUT_MIN = 1e-6
MTF_KINDS = ("hdrvdp", "none")
#: smallest image side (pixels) accepted before the pyramid's own check (3.0.7 takes 16, 2.2.2 17)
MIN_SIDE = 16


def hdrvdp_version() -> float:
    """What ``hdrvdp_version()`` of the ported original returns (3.07)."""
    return HDRVDP3_VERSION_NUMBER


@dataclass(frozen=True)
class HDRVDP3Result:
    """Result of :func:`hdrvdp3` for one image pair.

    * ``Q`` -- quality correlate: 10 for identical images, lower is worse (can be negative).
    * ``Q_JOD`` -- Q in just-objectionable differences: 10 for identical images; 1 JOD less means
      75% of observers prefer the reference.
    * ``P_det`` -- probability of detecting a difference (0..1; side-by-side, flicker and quality
      take the maximum of a Gaussian-blurred probability map, so identical images give about
      -1e-5, as in the original).
    * ``C_max`` -- maximum threshold-normalised contrast (1 = detection threshold).
    * ``P_map``, ``C_map`` -- per-pixel maps H x W (None unless requested).
    * ``task``, ``config`` -- the task and the configuration string to quote with the numbers.
    """

    Q: float
    Q_JOD: float
    P_det: float
    C_max: float
    P_map: np.ndarray | None = field(repr=False)
    C_map: np.ndarray | None = field(repr=False)
    task: str
    config: str


@dataclass
class HDRVDP3BatchResult:
    """Result of :func:`hdrvdp3_batch`: tensors on the input's device. ``Q``, ``Q_JOD``,
    ``P_det``, ``C_max``: N (float64); ``P_map``, ``C_map``: N x H x W (None unless requested)."""

    Q: torch.Tensor
    Q_JOD: torch.Tensor
    P_det: torch.Tensor
    C_max: torch.Tensor
    P_map: torch.Tensor | None
    C_map: torch.Tensor | None
    task: str
    config: str


@dataclass(frozen=True)
class _Options:
    task: str
    encoding: str
    n_channels: int
    display: str  # emission spectra of the native channels ('d65' for luminance)
    surround: str | float  # 'none', 'mean' or cd/m^2
    age: float
    mtf: str
    sensitivity_correction: float


def _options(
    task: str,
    color_encoding: str,
    rgb_display: str | None,
    surround: str | float,
    age: float,
    mtf: str,
    sensitivity_correction: float,
) -> _Options:
    t = canonical_task(task)
    try:
        enc, n_ch, default_display = _ENCODINGS[str(color_encoding).lower()]
    except KeyError:
        raise ValueError(
            f"unknown color_encoding {color_encoding!r} (expected one of: {', '.join(ENCODINGS)})"
        ) from None
    if n_ch == 1:
        if rgb_display is not None:
            raise ValueError("rgb_display applies to 3-channel encodings; luminance uses the D65 spectrum")
        display = "d65"
    else:
        display = rgb_display or default_display
        if display not in DISPLAYS:
            raise ValueError(f"unknown rgb_display {display!r} (expected one of: {', '.join(DISPLAYS)})")
    if isinstance(surround, str):
        if surround not in ("none", "mean"):
            raise ValueError(f"surround must be 'none', 'mean' or a luminance in cd/m^2, got {surround!r}")
    elif not (isinstance(surround, int | float) and math.isfinite(surround) and surround > 0):
        raise ValueError(
            f"surround must be 'none', 'mean' or one positive luminance in cd/m^2, got {surround!r} "
            "(a per-channel vector fails in hdrvdp_determine_padding.m of 3.0.7, so it is not offered)"
        )
    if not (isinstance(age, int | float) and math.isfinite(age) and age > 0):
        raise ValueError(f"age must be a positive number of years, got {age!r}")
    if mtf not in MTF_KINDS:
        raise ValueError(f"mtf must be one of {MTF_KINDS} ('cie99' is not ported), got {mtf!r}")
    if not math.isfinite(sensitivity_correction):
        raise ValueError(f"sensitivity_correction must be finite, got {sensitivity_correction!r}")
    return _Options(
        t,
        enc,
        n_ch,
        display,
        surround if isinstance(surround, str) else float(surround),
        float(age),
        mtf,
        float(sensitivity_correction),
    )


def config_string(
    task: str = "quality",
    color_encoding: str = "rgb-bt.709",
    ppd: float = 30.0,
    *,
    rgb_display: str | None = None,
    surround: str | float = "none",
    age: float = 24.0,
    mtf: str = "hdrvdp",
    sensitivity_correction: float = 0.0,
    protocol: str | Protocol | None = None,
) -> str:
    """``hdrvdp3 3.0.7-port | quality | rgb-bt.709 | ppd=30 | protocol v1``; options that differ
    from the original's defaults are added before the protocol."""
    o = _options(task, color_encoding, rgb_display, surround, age, mtf, sensitivity_correction)
    return _config(o, ppd, protocol)


def _config(o: _Options, ppd: float, protocol: str | Protocol | None = None) -> str:
    parts = [f"hdrvdp3 {HDRVDP3_VERSION}-port", o.task, o.encoding, f"ppd={ppd:.10g}"]
    default_display = _ENCODINGS[o.encoding.lower()][2]
    if o.n_channels == 3 and o.display != default_display:
        parts.append(f"rgb_display={o.display}")
    if o.surround != "none":
        parts.append(f"surround={o.surround if isinstance(o.surround, str) else f'{o.surround:.6g}'}")
    if o.age != 24.0:
        parts.append(f"age={o.age:g}")
    if o.mtf != "hdrvdp":
        parts.append(f"mtf={o.mtf}")
    if o.sensitivity_correction != 0.0:
        parts.append(f"sensitivity_correction={o.sensitivity_correction:g}")
    parts.append(get_protocol(protocol).tag)
    return " | ".join(parts)


def hdrvdp3(
    test: np.ndarray | torch.Tensor,
    ref: np.ndarray | torch.Tensor,
    *,
    task: str = "quality",
    color_encoding: str = "rgb-bt.709",
    ppd: float = 30.0,
    rgb_display: str | None = None,
    surround: str | float = "none",
    age: float = 24.0,
    mtf: str = "hdrvdp",
    sensitivity_correction: float = 0.0,
    dtype: str = "float32",
    device: str | torch.device | None = None,
    return_maps: bool = True,
    check_values: bool = True,
    backend: str = "native",
) -> HDRVDP3Result:
    """HDR-VDP 3.0.7 of one test image against its reference.

    test, ref: H x W x 3 (H x W or H x W x 1 for ``luminance``) numpy arrays or torch tensors,
    channel last, absolute cd/m^2 in ``color_encoding``. task: ``side-by-side``, ``flicker``,
    ``detection`` or ``quality``. ppd: pixels per visual degree. Options of the original:
    ``rgb_display`` (emission spectra: led-lcd-srgb, led-lcd-wcg, oled, crt, ccfl-lcd; default
    by encoding), ``surround`` ('none' = mirror the image, 'mean' = geometric mean of each
    reference channel, or cd/m^2), ``age`` (years, default 24), ``mtf`` ('hdrvdp' or 'none'),
    ``sensitivity_correction`` (log10 units added to the task's calibration).
    dtype: ``float32`` (default, fast) or ``float64`` (validation path).
    check_values: reject test images whose maximum (G channel, or the luminance) is <= 1 cd/m^2
    -- hdrvdp3.m's "very low physical values" warning, made an error; pass False for a
    genuinely dark scene.

    backend: ``"native"`` (this port) or ``"octave"`` / ``"matlab"`` to run the user's copy of
    the original HDR-VDP 3.0.7 (``ITMN_HDRVDP3_PATH``; docs/backends.md (HDR-VDP 3.0.7)) with its default
    options in double precision (the options above must then be left at their defaults).

    >>> ref = np.full((64, 64, 3), 100.0)
    >>> r = hdrvdp3(ref, ref)
    >>> r.Q, r.Q_JOD
    (10.0, 10.0)
    """
    o = _options(task, color_encoding, rgb_display, surround, age, mtf, sensitivity_correction)
    t = to_chw(test, "test", o.encoding, o.n_channels)
    r = to_chw(ref, "ref", o.encoding, o.n_channels)
    if backend != "native":
        return _original(t, r, ppd, o, backend, return_maps, check_values)
    return first_result(
        HDRVDP3Result, _batch(o, t[None], r[None], ppd, dtype, device, return_maps, check_values)
    )


def _original(
    t: torch.Tensor,
    r: torch.Tensor,
    ppd: float,
    o: _Options,
    backend: str,
    return_maps: bool,
    check_values: bool,
) -> HDRVDP3Result:
    from itmn.originals import BackendError, check_backend_name, hdrvdp3_original

    check_backend_name(backend)
    default = _options(o.task, o.encoding, None, "none", 24.0, "hdrvdp", 0.0)
    if o != default:
        raise BackendError(
            "the original HDR-VDP 3 runs with its default options only (rgb_display, surround, age, mtf, sensitivity_correction)"
        )
    _check_ppd(ppd)
    check_pair(t[None], r[None], o.n_channels, o.encoding, MIN_SIDE)
    _check_values(t[None], r[None], o, check_values)
    res = hdrvdp3_original(
        to_hwc(t),
        to_hwc(r),
        task=o.task,
        ppd=ppd,
        color_encoding=o.encoding,
        backend=backend,
        return_maps=return_maps,
    )
    return HDRVDP3Result(
        Q=res["Q"],
        Q_JOD=res["Q_JOD"],
        P_det=res["P_det"],
        C_max=res["C_max"],
        P_map=res["P_map"],
        C_map=res["C_map"],
        task=o.task,
        config=res["config"],
    )


def hdrvdp3_batch(
    test: torch.Tensor,
    ref: torch.Tensor,
    *,
    task: str = "quality",
    color_encoding: str = "rgb-bt.709",
    ppd: float = 30.0,
    rgb_display: str | None = None,
    surround: str | float = "none",
    age: float = 24.0,
    mtf: str = "hdrvdp",
    sensitivity_correction: float = 0.0,
    dtype: str | torch.dtype | None = None,
    device: str | torch.device | None = None,
    return_maps: bool = False,
    check_values: bool = True,
) -> HDRVDP3BatchResult:
    """HDR-VDP 3.0.7 of N pairs at once: test, ref are N x C x H x W tensors (C = 3, or 1 for
    ``luminance``) in absolute cd/m^2. Computed on ``device`` (default: the tensors' device) in
    ``dtype`` (default float32, or float64 for float64 inputs). Results stay on the device."""
    o = _options(task, color_encoding, rgb_display, surround, age, mtf, sensitivity_correction)
    return _batch(o, test, ref, ppd, dtype, device, return_maps, check_values)


def _batch(
    o: _Options,
    test: torch.Tensor,
    ref: torch.Tensor,
    ppd: float,
    dtype: str | torch.dtype | None,
    device: str | torch.device | None,
    return_maps: bool,
    check_values: bool,
) -> HDRVDP3BatchResult:
    """:func:`hdrvdp3_batch` with its options checked (:func:`_options`)."""
    _check_ppd(ppd)
    tdt = torch_dtype(dtype, test)
    dev = torch.device(device) if device is not None else test.device
    check_pair(test, ref, o.n_channels, o.encoding, MIN_SIDE)
    test = test.to(device=dev, dtype=tdt)
    ref = ref.to(device=dev, dtype=tdt)
    _check_values(test, ref, o, check_values)
    surr = None
    if o.surround == "mean":  # hdrvdp_determine_padding: geomean of each channel of the input reference
        surr = torch.exp(torch.log(ref.double()).mean(dim=(-2, -1))).to(tdt)
    elif not isinstance(o.surround, str):
        surr = torch.full(ref.shape[:2], o.surround, dtype=tdt, device=dev)
    test, ref = _encode(test, o), _encode(ref, o)
    par = params_for(
        o.task,
        age=o.age,
        base_sensitivity_correction=params_for(o.task).base_sensitivity_correction + o.sensitivity_correction,
    )
    try:
        plan = get_plan(
            tuple(test.shape[-2:]),
            ppd,
            par,
            o.display,
            "symmetric" if surr is None else "constant",
            o.mtf,
            tdt,
            dev,
        )
    except ValueError as exc:
        raise ImageError(
            "test/ref",
            f"image of {test.shape[-2]} x {test.shape[-1]} pixels at ppd {ppd:g}: {exc}",
            "a larger image",
        ) from None
    with no_tf32():
        res: HDRVDP3Maps = compute(plan, test, ref, surr)
    return HDRVDP3BatchResult(
        Q=res.Q,
        Q_JOD=res.Q_JOD,
        P_det=res.P_det,
        C_max=res.C_max,
        P_map=res.P_map if return_maps else None,
        C_map=res.C_map if return_maps else None,
        task=o.task,
        config=_config(o, ppd),
    )


# ----------------------------------------------------------------------------- helpers
def _check_ppd(ppd: float) -> None:
    if not (isinstance(ppd, int | float) and math.isfinite(ppd) and ppd > 4):
        raise ValueError(
            f"ppd must be a number of pixels per degree above 4 (one pyramid level), got {ppd!r}"
        )


def _check_values(test: torch.Tensor, ref: torch.Tensor, o: _Options, plausibility: bool) -> None:
    """:func:`bench.metrics.hdrvdp.common.check_image_values`; the plausibility probe is the G channel,
    or the luminance (check_if_values_plausible of hdrvdp3.m)."""
    probe = test[:, 1 if o.n_channels == 3 else 0].amax(dim=(-2, -1)) if plausibility else None
    what = "luminance" if o.n_channels == 1 else "G value"
    check_image_values(test, ref, o.encoding, probe, what)


def _encode(x: torch.Tensor, o: _Options) -> torch.Tensor:
    """ITU RGB / XYZ -> native display RGB (``hdrvdp_colorspace_transform`` with
    ``hdrvdp_iturgb2native``), then values below 1e-6 raised to 1e-6 (``fix_out_of_gamut``)."""
    key = {"rgb-bt.709": "rgb-bt.709", "rgb-bt.2020": "rgb-bt.2020", "XYZ": "xyz"}.get(o.encoding)
    if key is None:
        return x
    m = torch.tensor(itu_to_native(key, o.display), dtype=x.dtype, device=x.device)
    return torch.clamp(torch.einsum("ij,njhw->nihw", m, x), min=GAMUT_MIN)
