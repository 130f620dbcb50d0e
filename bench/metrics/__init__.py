"""HDR image-quality metrics of the protocol, with their settings written beside every number.

Pure functions (numpy in, float out; inputs H x W x 3, units in each docstring)::

    from bench.metrics import mpsnr, mpsnr_toolbox, ssim, pu21_psnr, pu21_ssim, pu21_encode, hdrvdp2
    mpsnr(test_bt709_cdm2, ref_bt709_cdm2)            # dB, MSE averaged over exposures
    ssim(test_pq, ref_pq, data_range=1.0)             # Wang 2004 on code values

The registry (:mod:`bench.metrics.registry`) wraps them with the protocol's conversions and
metadata: ``get_metric``, ``list_metrics``, ``compute_metrics``, ``Metric``, ``MetricResult``.

Implementations: :mod:`~bench.metrics.exposure_psnr` (mPSNR), :mod:`~bench.metrics.structural`
(SSIM), :mod:`~bench.metrics.pu21`, :mod:`~bench.metrics.hdrvdp.v2` (HDR-VDP 2.2.2),
:mod:`~bench.metrics.hdrvdp.v3` (HDR-VDP 3.0.7). Their module
names differ from the functions' so that importing a module never replaces a function of this
package. ``import bench.metrics`` is cheap: implementations (and torch) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from bench.metrics.registry import (
    Metric,
    MetricResult,
    compute_metrics,
    get_metric,
    list_metrics,
    register_metric,
)

# name -> module that defines it (loaded on first access, PEP 562)
_LAZY = {
    "mpsnr": "bench.metrics.exposure_psnr",
    "mpsnr_toolbox": "bench.metrics.exposure_psnr",
    "MPSNRResult": "bench.metrics.exposure_psnr",
    "ssim": "bench.metrics.structural",
    "ssim_torch": "bench.metrics.structural",
    "pu21_encode": "bench.metrics.pu21",
    "pu21_psnr": "bench.metrics.pu21",
    "pu21_psnr_y": "bench.metrics.pu21",
    "pu21_ssim": "bench.metrics.pu21",
    "hdrvdp2": "bench.metrics.hdrvdp.v2",
    "pix_per_deg": "bench.metrics.hdrvdp.v2",
    "HDRVDPResult": "bench.metrics.hdrvdp.v2",
    "hdrvdp3": "bench.metrics.hdrvdp.v3",
    "HDRVDP3Result": "bench.metrics.hdrvdp.v3",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "HDRVDP3Result",
    "HDRVDPResult",
    "MPSNRResult",
    "Metric",
    "MetricResult",
    "compute_metrics",
    "get_metric",
    "hdrvdp2",
    "hdrvdp3",
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
