"""HDR-VDP 2.2.2 (Mantiuk et al. 2011, quality calibration of Narwaria et al. 2015) in PyTorch.

A port of the public MATLAB code, checked against its outputs (docs/porting-notes/hdrvdp2.md
lists every MATLAB behaviour matched and where). Inputs are absolute: cd/m^2 for the
``rgb-bt.709``, ``XYZ`` and ``luminance`` encodings, [0, 1] code values for ``sRGB-display`` and
``luma-display``; ``ppd`` is pixels per visual degree.

>>> from bench.metrics.hdrvdp.v2 import hdrvdp2, pix_per_deg
>>> res = hdrvdp2(test_cdm2, ref_cdm2, ppd=30.0)          # doctest: +SKIP
>>> res.Q, res.P_det, res.C_max, res.config               # doctest: +SKIP
"""

from bench.metrics.hdrvdp.v2.api import (
    DEFAULT_SURROUND,
    HDRVDP_VERSION,
    HDRVDPBatchResult,
    HDRVDPResult,
    config_string,
    hdrvdp2,
    hdrvdp2_batch,
    pix_per_deg,
)

__all__ = [
    "DEFAULT_SURROUND",
    "HDRVDP_VERSION",
    "HDRVDPBatchResult",
    "HDRVDPResult",
    "config_string",
    "hdrvdp2",
    "hdrvdp2_batch",
    "pix_per_deg",
]
