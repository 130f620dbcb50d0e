"""HDR-VDP 3.0.7 (Mantiuk et al.; Mantiuk & Ramponi 2018 age model; UPIQ quality calibration) in
PyTorch.

A port of the public MATLAB code, checked against its outputs under GNU Octave
(docs/porting-notes/hdrvdp3.md lists every MATLAB behaviour matched and where). Inputs are
absolute cd/m^2; ``ppd`` is pixels per visual degree; ``task`` one of side-by-side, flicker,
detection, quality.

>>> from bench.metrics.hdrvdp.v3 import hdrvdp3
>>> res = hdrvdp3(test_cdm2, ref_cdm2, task="quality", ppd=30.0)      # doctest: +SKIP
>>> res.Q_JOD, res.Q, res.P_det, res.config                              # doctest: +SKIP
"""

from bench.metrics.hdrvdp.v3.api import (
    ENCODINGS,
    HDRVDP3_VERSION,
    HDRVDP3_VERSION_NUMBER,
    HDRVDP3BatchResult,
    HDRVDP3Result,
    config_string,
    hdrvdp3,
    hdrvdp3_batch,
    hdrvdp_version,
)
from bench.metrics.hdrvdp.v3.params import TASKS
from bench.metrics.hdrvdp.v3.spectral import DISPLAYS

__all__ = [
    "DISPLAYS",
    "ENCODINGS",
    "HDRVDP3_VERSION",
    "HDRVDP3_VERSION_NUMBER",
    "HDRVDP3BatchResult",
    "HDRVDP3Result",
    "TASKS",
    "config_string",
    "hdrvdp3",
    "hdrvdp3_batch",
    "hdrvdp_version",
]
