"""HDR image-quality metrics of protocol v1, with their settings written beside every number.

Pure functions (numpy in, float out; inputs H x W x 3, units in each docstring)::

    from bench.metrics import mpsnr, mpsnr_toolbox, ssim, pu21_psnr, pu21_ssim, pu21_encode, hdrvdp2
    mpsnr(test_bt709_cdm2, ref_bt709_cdm2)            # dB, MSE averaged over exposures
    ssim(test_pq, ref_pq, data_range=1.0)             # Wang 2004 on code values

The registry (:mod:`bench.metrics.registry`) wraps them with protocol v1's conversions and
metadata: ``get_metric``, ``list_metrics``, ``compute_metrics``, ``Metric``, ``MetricResult``.

``import bench.metrics`` is cheap: implementations (and torch) load on first use.

Several exported functions share their name with the submodule that defines them (``mpsnr``,
``ssim``, ``hdrvdp2``). The package attribute is a :class:`_FunctionModule`: calling it calls the
function, and attribute access goes to the submodule, so both ``from bench.metrics import mpsnr;
mpsnr(t, r)`` and ``import bench.metrics.mpsnr as m; m.MPSNRResult`` work. Python would otherwise
replace the function by the submodule the first time the submodule is imported.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from bench.metrics.registry import (
    Metric,
    MetricResult,
    compute_metrics,
    get_metric,
    list_metrics,
    register_metric,
)


class _FunctionModule:
    """Stands for both function ``func`` and submodule ``module`` of the same name."""

    __slots__ = ("_module_name", "_func_name")

    def __init__(self, module: str, func: str):
        object.__setattr__(self, "_module_name", module)
        object.__setattr__(self, "_func_name", func)

    def _module(self) -> types.ModuleType:
        return importlib.import_module(self._module_name)

    @property
    def __wrapped__(self) -> Any:  # lets inspect.signature / help show the function's signature
        return getattr(self._module(), self._func_name)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.__wrapped__.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module(), name)

    def __setattr__(self, name: str, value: Any) -> None:  # e.g. monkeypatching a module global
        setattr(self._module(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._module(), name)

    def __repr__(self) -> str:
        return f"<function {self._func_name} of module {self._module_name}>"


_SHADOWED = {
    "mpsnr": _FunctionModule("bench.metrics.mpsnr", "mpsnr"),
    "ssim": _FunctionModule("bench.metrics.ssim", "ssim"),
    "hdrvdp2": _FunctionModule("bench.metrics.hdrvdp2", "hdrvdp2"),
}

# name -> module that defines it (loaded on first access by __getattr__ below)
_LAZY = {
    "mpsnr_toolbox": "bench.metrics.mpsnr",
    "MPSNRResult": "bench.metrics.mpsnr",
    "ssim_torch": "bench.metrics.ssim",
    "pu21_encode": "bench.metrics.pu21",
    "pu21_psnr": "bench.metrics.pu21",
    "pu21_psnr_y": "bench.metrics.pu21",
    "pu21_ssim": "bench.metrics.pu21",
    "pix_per_deg": "bench.metrics.hdrvdp2",
    "HDRVDPResult": "bench.metrics.hdrvdp2",
}


class _Package(types.ModuleType):
    """Keeps the function stand-ins when the import system attaches a submodule of the same name."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


globals().update(_SHADOWED)
sys.modules[__name__].__class__ = _Package

__all__ = [
    "HDRVDPResult",
    "MPSNRResult",
    "Metric",
    "MetricResult",
    "compute_metrics",
    "get_metric",
    "hdrvdp2",
    "list_metrics",
    "mpsnr",
    "mpsnr_toolbox",
    "pix_per_deg",
    "pu21_encode",
    "pu21_psnr",
    "pu21_psnr_y",
    "pu21_ssim",
    "register_metric",
    "ssim",
    "ssim_torch",
]
