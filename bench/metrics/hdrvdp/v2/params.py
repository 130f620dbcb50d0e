"""Calibrated parameters of HDR-VDP 2.2.2 (``hdrvdp_parse_options.m`` defaults).

Every value is the MATLAB default; names follow the MATLAB ``metric_par`` fields so that the
port can be read side by side with the original. Units:

* luminance in cd/m^2, spatial frequency in cycles per visual degree (cpd);
* ``mask_*``, ``psych_func_slope``: log10 of the model's exponents / gains (as in MATLAB);
* ``csf_lums``: adapting luminances (cd/m^2) at which the CSF was fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bench.metrics.hdrvdp.common import MTF_PARAMS_A, MTF_PARAMS_B, MaskingExponents, tuple2d

_DALY_PEAK_CONTRAST_SENS = 0.006894596  # peak contrast of Daly's CSF at 30 cd/m^2


@dataclass(frozen=True)
class HDRVDPParams(MaskingExponents):
    """The default ``metric_par`` of HDR-VDP 2.2.2 (only the fields the default path reads)."""

    sensitivity_correction: float = _DALY_PEAK_CONTRAST_SENS / 10.0**-2.4
    mask_p: float = 0.544068
    mask_self: float = 0.189065
    mask_xo: float = 0.449199
    mask_xn: float = 1.52512
    mask_q: float = 0.49576
    psych_func_slope: float = math.log10(3.5)
    # joint rod-cone sensitivity (csf_sa) and rod sensitivity (csf_sr_par)
    csf_sa: tuple[float, ...] = (30.162, 4.0627, 1.6596, 0.2712)
    csf_sr_par: tuple[float, ...] = (1.1732, 1.1478, 1.2167, 0.5547, 2.9899, 1.1414)
    rod_sensitivity: float = 0.0
    # neural CSF: one row per adapting luminance in csf_lums; columns 2..5 are used
    csf_params: tuple[tuple[float, ...], ...] = tuple2d(
        [
            [0.0160737, 0.991265, 3.74038, 0.50722, 4.46044],
            [0.383873, 0.800889, 3.54104, 0.682505, 4.94958],
            [0.929301, 0.476505, 4.37453, 0.750315, 5.28678],
            [1.29776, 0.405782, 4.40602, 0.935314, 5.61425],
            [1.49222, 0.334278, 3.79542, 1.07327, 6.4635],
            [1.46213, 0.394533, 2.7755, 1.16577, 7.45665],
        ]
    )
    csf_lums: tuple[float, ...] = (0.002, 0.02, 0.2, 2.0, 20.0, 150.0)
    # optical MTF of the eye: sum_k a_k exp(-b_k rho), rho in cpd
    mtf_params_a: tuple[float, ...] = MTF_PARAMS_A
    mtf_params_b: tuple[float, ...] = MTF_PARAMS_B
    # quality pooling (Narwaria et al. 2015 calibration); frequencies in cpd, descending
    quality_band_freq: tuple[float, ...] = (60, 30, 15, 7.5, 3.75, 1.875, 0.9375, 0.4688, 0.2344, 0.1172)
    quality_band_w: tuple[float, ...] = (0, 0.2832, 0.2832, 0.2142, 0.2690, 0.0398, 0.0003, 0.0003, 0, 0)
    quality_epsilon: float = 1e-12
    # display the 'rgb-bt.709' / 'XYZ' / 'sRGB-display' encodings are assumed to be shown on
    rgb_display: str = "ccfl-lcd"

    def csf_params_array(self) -> np.ndarray:
        return np.asarray(self.csf_params, dtype=np.float64)


DEFAULT_PARAMS = HDRVDPParams()
