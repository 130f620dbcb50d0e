"""ColorVideoVDP (Mantiuk et al., SIGGRAPH 2024) through the ``cvvdp`` package, on protocol v1's
display. Optional: ``pip install "itmn-bench[cvvdp]"``; registered as ``cvvdp`` (JOD, higher is
better, 10 = no visible difference), computed only when asked for by name.

The display model is explicit (none of cvvdp's named displays is the protocol's):

* photometry: cvvdp's ``vvdp_display_photo_eotf`` with colour space ``BT.2020-linear``, i.e. the
  input is linear BT.2020 display light in absolute cd/m^2 (what protocol v1 methods output);
  peak 1000 cd/m^2; black level 0.005 cd/m^2, given to cvvdp as the contrast 1000 / 0.005 =
  200000:1; ambient light 0 lux, so no reflected light is added and 0.005 cd/m^2 is the
  effective black, as in the protocol (``k_refl`` stays cvvdp's 0.005, which does nothing at
  0 lux). With a linear EOTF cvvdp clips each channel to [max(0.005, black), peak] =
  [0.005, 1000] cd/m^2, the protocol display's range.
* geometry: a 512 x 512-pixel area viewed from 0.6 m, with the pixel pitch chosen so that the
  centre has ``ppd`` pixels per visual degree: pitch = 2 d tan(0.5 deg / ppd). At protocol v1's
  30 ppd: pitch 0.349 mm, a 178.7 mm square, 9.95-inch diagonal; cvvdp's ``get_ppd()`` returns 30
  (to 1e-12). For still images cvvdp uses only the ppd at the centre (its eccentricity code is
  for foveated video), so any image size is evaluated at that ppd, as HDR-VDP-2 is.
* parameters: the package's own files (``cvvdp_parameters.json``, whose version is in the
  configuration string), passed as ``config_paths`` so that a ``$CVVDP_PATH`` cannot swap them.

Images go to cvvdp as float32 H x W x 3 (it takes float32, float16 or uint8), one frame, on the
CPU unless a device is given. Nothing is downloaded at run time: cvvdp reads its JSON files and
CSF tables from inside the package (only its machine-learning variants ``cvvdp_ml_*``, not used
here, fetch weights from Hugging Face).

torchvision: cvvdp imports ``torchvision.transforms`` when it is imported (it uses its pure-torch
``GaussianBlur``). A torchvision wheel whose C++ operators cannot load against the installed
torch (e.g. PyPI's CUDA build of torchvision 0.28 beside the CPU build of torch 2.13) fails to
import with "operator torchvision::nms does not exist" (pytorch/vision#9085: the fake-kernel
registrations of ``nms``/``qnms`` are not guarded by the operators' availability). In that case,
and only then, :func:`import_cvvdp` defines the schemas of those two operators, without kernels,
and imports again: torchvision's Python code then loads, ``torchvision.ops.nms`` still says that
its C++ operators are missing, and ColorVideoVDP's computation is unchanged (``extras`` notes it).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from itmn.errors import ConfigError
from itmn.protocol import DISPLAY_V1, Protocol, get_protocol

if TYPE_CHECKING:
    import torch

INSTALL_HINT = 'pip install "itmn-bench[cvvdp]"'

#: The protocol's display (itmn.protocol) as ColorVideoVDP sees it.
PEAK_CDM2 = DISPLAY_V1.peak_cdm2
BLACK_CDM2 = DISPLAY_V1.black_cdm2
AMBIENT_LUX = 0.0
K_REFL = 0.005  # cvvdp's default reflectivity; no effect at 0 lux
COLORSPACE = "BT.2020-linear"
#: Viewing geometry: a 512 x 512 display area seen from 0.6 m; the pixel pitch follows from ppd.
DISPLAY_RESOLUTION = (512, 512)
VIEWING_DISTANCE_M = 0.6


@dataclass(frozen=True)
class DisplayModel:
    """The display ColorVideoVDP simulates: photometry (cd/m^2, lux) and geometry (pixels, m)."""

    peak_cdm2: float = PEAK_CDM2
    black_cdm2: float = BLACK_CDM2
    ambient_lux: float = AMBIENT_LUX
    k_refl: float = K_REFL
    colorspace: str = COLORSPACE
    resolution: tuple[int, int] = DISPLAY_RESOLUTION
    distance_m: float = VIEWING_DISTANCE_M
    ppd: float = 30.0

    @property
    def contrast(self) -> float:
        """Peak / black, the form cvvdp takes the black level in."""
        return self.peak_cdm2 / self.black_cdm2

    @property
    def pixel_pitch_m(self) -> float:
        """Pitch giving ``ppd`` pixels per degree at the centre: 2 d tan(0.5 deg / ppd)."""
        return 2.0 * self.distance_m * math.tan(math.radians(0.5 / self.ppd))

    @property
    def diagonal_inches(self) -> float:
        w, h = self.resolution
        return self.pixel_pitch_m * math.hypot(w, h) / 0.0254


def installed_version() -> str | None:
    """Version of the installed ``cvvdp`` distribution (None when absent); does not import it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cvvdp")
    except PackageNotFoundError:
        return None


def parameters_version() -> str | None:
    """``version`` of the package's ``cvvdp_parameters.json`` (the calibration used); None when
    cvvdp is absent. Reads the file without importing cvvdp (or torch)."""
    data_dir = _data_dir()
    if data_dir is None:
        return None
    try:
        with open(f"{data_dir}/cvvdp_parameters.json") as fh:
            return str(json.load(fh).get("version"))
    except (OSError, ValueError):
        return None


def _data_dir() -> str | None:
    mod = sys.modules.get("pycvvdp")
    try:
        spec = mod.__spec__ if mod is not None else importlib.util.find_spec("pycvvdp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return f"{list(spec.submodule_search_locations)[0]}/vvdp_data"


def config_string(ppd: float | None = None, protocol: str | Protocol | None = None) -> str:
    """The configuration string of a result: cvvdp's version and every display parameter."""
    proto = get_protocol(protocol)
    ver = installed_version()
    impl = f"{ver} (parameters {parameters_version()})" if ver else "(not installed)"
    d = DisplayModel()
    w, h = d.resolution
    ppd_text = f"{(proto.display.ppd if ppd is None else ppd):.10g}"
    return (
        f"cvvdp {impl} | {d.colorspace} cd/m^2 | peak {d.peak_cdm2:g} black {d.black_cdm2:g} "
        f"(contrast {d.contrast:.0f}:1) | ambient {d.ambient_lux:g} lux | {w}x{h} px at {d.distance_m:g} m, "
        f"ppd={ppd_text} | still image, JOD | {proto.tag}"
    )


# --------------------------------------------------------------------------- importing cvvdp
_TORCHVISION_STUB: Any = None  # the torch.library fragment holding the nms/qnms schemas, if defined


def torchvision_workaround_applied() -> bool:
    """True when :func:`import_cvvdp` had to define torchvision's nms/qnms schemas (module docstring)."""
    return _TORCHVISION_STUB is not None


def import_cvvdp() -> Any:
    """The ``pycvvdp`` module; ConfigError saying how to install it when it is absent."""
    try:
        import pycvvdp
    except ModuleNotFoundError as exc:
        if exc.name in ("pycvvdp", "cvvdp"):
            raise ConfigError(f"metric 'cvvdp' needs the optional package cvvdp (ColorVideoVDP): {INSTALL_HINT}") from None
        raise ConfigError(
            f"cvvdp is installed but cannot be imported: {exc}; reinstall it with {INSTALL_HINT}"
        ) from exc
    except RuntimeError as exc:
        if "torchvision::" not in str(exc) or torchvision_workaround_applied():
            raise ConfigError(f"cvvdp is installed but cannot be imported: {exc}") from exc
        _define_torchvision_schemas()
        for name in [m for m in sys.modules if m.split(".")[0] in ("torchvision", "pycvvdp")]:
            del sys.modules[name]
        try:
            import pycvvdp
        except Exception as exc2:  # noqa: BLE001 - reported with the original cause
            raise ConfigError(
                f"cvvdp is installed but torchvision cannot be imported ({exc}; after defining its "
                f"nms/qnms schemas: {exc2}); install the torchvision build matching torch {_torch_version()}"
            ) from exc2
    return pycvvdp


def _define_torchvision_schemas() -> None:
    import torch

    global _TORCHVISION_STUB
    lib = torch.library.Library("torchvision", "FRAGMENT")  # kept alive in a global: dropping it undefines
    for op in ("nms", "qnms"):
        lib.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _TORCHVISION_STUB = lib


def _torch_version() -> str:
    import torch

    return torch.__version__


# --------------------------------------------------------------------------- the metric
@dataclass(frozen=True)
class CVVDPResult:
    """One ColorVideoVDP score: ``jod`` (10 = identical), cvvdp's own description of the display
    (``info``), and the configuration string."""

    jod: float
    info: str
    config: str


def build_metric(display: DisplayModel | None = None, device: str | None = None) -> Any:
    """A ``pycvvdp.cvvdp`` object for ``display`` (protocol v1's by default) on ``device`` (cpu)."""
    return _build_metric(display or DisplayModel(), device or "cpu")


@lru_cache(maxsize=4)
def _build_metric(display: DisplayModel, device: str) -> Any:
    import torch

    pycvvdp = import_cvvdp()
    paths = [_data_dir()]
    photometry = pycvvdp.vvdp_display_photo_eotf(
        display.peak_cdm2,
        contrast=display.contrast,
        source_colorspace=display.colorspace,
        E_ambient=display.ambient_lux,
        k_refl=display.k_refl,
        name="itmn-protocol-v1",
        config_paths=paths,
    )
    photometry.short_name = "itmn-protocol-v1"
    geometry = pycvvdp.vvdp_display_geometry(
        display.resolution, distance_m=display.distance_m, diagonal_size_inches=display.diagonal_inches
    )
    if abs(geometry.get_ppd() - display.ppd) > 1e-9 * display.ppd:
        raise ConfigError(f"cvvdp display geometry gives {geometry.get_ppd()} ppd, expected {display.ppd}")
    return pycvvdp.cvvdp(
        display_photometry=photometry,
        display_geometry=geometry,
        config_paths=paths,
        device=torch.device(device),
        quiet=True,
    )


def colorvideovdp(
    test_cdm2: np.ndarray | torch.Tensor,
    ref_cdm2: np.ndarray | torch.Tensor,
    *,
    ppd: float = 30.0,
    device: str | None = None,
) -> CVVDPResult:
    """ColorVideoVDP JOD of ``test_cdm2`` against ``ref_cdm2``: H x W x 3 linear BT.2020 display
    light in absolute cd/m^2 (numpy or torch), shown on protocol v1's display (module docstring)
    at ``ppd`` pixels per degree. ``device``: torch device for cvvdp (default cpu)."""
    metric = build_metric(DisplayModel(ppd=float(ppd)), device)
    t, r = (_as_float32_hwc(x, name) for x, name in ((test_cdm2, "test"), (ref_cdm2, "reference")))
    if t.shape != r.shape:
        raise ValueError(f"test image has shape {tuple(t.shape)} but the reference has {tuple(r.shape)}")
    import torch

    with torch.no_grad():
        q, _ = metric.predict(t, r, dim_order="HWC")
    config = config_string(float(ppd))
    return CVVDPResult(jod=float(q), info=metric.get_info_string(), config=config)


def _as_float32_hwc(x: Any, name: str) -> Any:
    if hasattr(x, "detach"):  # a torch tensor: keep its device
        import torch

        out = x.detach().to(torch.float32)
    else:
        out = np.ascontiguousarray(x, dtype=np.float32)
    if out.ndim != 3 or out.shape[-1] != 3:
        raise ValueError(f"{name} image must be H x W x 3, got shape {tuple(out.shape)}")
    return out
