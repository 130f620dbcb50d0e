"""Calibrated parameters of HDR-VDP 3.0.7 (``hdrvdp_parse_options.m``), per task.

Every value is the MATLAB default of 3.0.7; names follow the MATLAB ``metric_par`` fields so
that the port reads side by side with the original. Units:

* luminance in cd/m^2, spatial frequency in cycles per visual degree (cpd), age in years;
* ``mask_*``, ``psych_func_slope``, ``si_sigma``, ``sensitivity_correction``: log10 of the
  model's exponents / gains / sizes (as in MATLAB);
* ``csf_lums``: adapting luminances (cd/m^2) at which the CSF was fitted.

The four tasks differ only in the block :data:`TASK_PARAMS` lists (``quality`` uses the
``side-by-side`` calibration; it differs in nothing but its name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bench.metrics.hdrvdp.common import MTF_PARAMS_A, MTF_PARAMS_B, MaskingExponents, tuple2d

#: the tasks of hdrvdp3() this port implements ('civdm' and 'simulate' are not ported)
TASKS = ("side-by-side", "flicker", "detection", "quality")


@dataclass(frozen=True)
class HDRVDP3Params(MaskingExponents):
    """``metric_par`` of HDR-VDP 3.0.7 for one task (only the fields the default path reads)."""

    task: str
    # --- task-dependent (hdrvdp_parse_options.m, "switch( task )")
    base_sensitivity_correction: float
    mask_self: float
    mask_xn: float
    mask_xo: float
    mask_q: float
    mask_p: float
    psych_func_slope: float
    do_sprob_sum: bool
    si_sigma: float
    do_robust_pdet: bool
    do_spatial_total_pooling: bool
    steerpyr_filter: str
    # --- common defaults
    age: float = 24.0
    do_aesl: bool = True  # age-related neural sensitivity loss (a factor of 1 at age <= 24)
    do_aod: bool = True  # aging optical density of the lens (Pokorny 1987)
    do_slum: bool = True  # light reduction by senile miosis (Watson & Yellott 2012 unified formula)
    aesl_slope_freq: float = -2.711
    aesl_base: float = -0.125539
    masking_norm: float = 0.0  # log10 of the L-p norm of the masking pool (p = 1)
    masking_pool_size: int = 3
    rod_sensitivity: float = 0.0
    csf_sa: tuple[float, ...] = (315.98, 6.7977, 1.6008, 0.25534)
    csf_sr: tuple[float, ...] = (1.1732, 1.32, 1.095, 0.5547, 2.9899, 1.8)
    # neural CSF refitted 19/04/2020: one row per adapting luminance in csf_lums, columns 2..5 used
    csf_params: tuple[tuple[float, ...], ...] = tuple2d(
        [
            [0.699404, 1.26181, 4.27832, 0.361902, 3.11914],
            [1.00865, 0.893585, 4.27832, 0.361902, 2.18938],
            [1.41627, 0.84864, 3.57253, 0.530355, 3.12486],
            [1.90256, 0.699243, 3.94545, 0.68608, 4.41846],
            [2.28867, 0.530826, 4.25337, 0.866916, 4.65117],
            [2.46011, 0.459297, 3.78765, 0.981028, 4.33546],
            [2.5145, 0.312626, 4.15264, 0.952367, 3.22389],
        ]
    )
    csf_lums: tuple[float, ...] = (0.0002, 0.002, 0.02, 0.2, 2.0, 20.0, 150.0)
    # optical MTF of the eye ('hdrvdp'): sum_k a_k exp(-b_k rho), rho in cpd
    mtf_params_a: tuple[float, ...] = MTF_PARAMS_A
    mtf_params_b: tuple[float, ...] = MTF_PARAMS_B
    # quality: hdrvdp3.m maps the Minkowski-pooled error to Q and Q_JOD with these constants
    quality_floor: float = -4.0
    quality_max: float = 10.0
    jod_pars: tuple[float, float] = (0.5200, 1.2812)
    minkowski_p: float = 0.8

    @property
    def sensitivity_correction(self) -> float:
        """log10 gain of the photoreceptor response (``base_sensitivity_correction``; no
        ``sensitivity_correction`` option and no age-related ``do_asl`` by default)."""
        return self.base_sensitivity_correction

    @property
    def do_mask_xn(self) -> bool:
        """Masking across neighbouring bands is skipped when its gain is below 10^-10."""
        return self.mask_xn > -10


# Fitted to LocVisVC using HDR-VDP-3.0.6 (24/05/2020); 'quality' uses the same numbers.
_SIDE_BY_SIDE = dict(
    base_sensitivity_correction=0.203943775672,
    mask_self=1.41846291721,
    mask_xn=0.136877512403,
    mask_xo=-50.0,
    mask_q=0.108934275615,
    mask_p=0.3424,
    do_sprob_sum=True,
    psych_func_slope=0.34,
    si_sigma=-0.502280453708,
    do_robust_pdet=True,
    do_spatial_total_pooling=False,
    steerpyr_filter="sp0Filters",
)

#: the task blocks of hdrvdp_parse_options.m (3.0.7)
TASK_PARAMS: dict[str, dict] = {
    "side-by-side": _SIDE_BY_SIDE,
    "quality": _SIDE_BY_SIDE,
    # fitted to the compression_flicker dataset (23/05/2020)
    "flicker": dict(
        base_sensitivity_correction=0.359225308021 + 0.14178269059,
        mask_self=1.48041073222,
        mask_xn=0.00886149078207,
        mask_xo=-50.0,
        mask_q=0.11339123107,
        mask_p=0.3424,
        do_sprob_sum=True,
        psych_func_slope=0.591472024776,
        si_sigma=-0.511779476487,
        do_robust_pdet=True,
        do_spatial_total_pooling=False,
        steerpyr_filter="sp0Filters",
    ),
    # fitted on complexfest, csfflat, foley (03/05/2020); the 4-orientation sp3 pyramid
    "detection": dict(
        base_sensitivity_correction=-1.0,
        mask_p=math.log10(2.2),
        psych_func_slope=math.log10(3.5),
        mask_self=1.73128,
        mask_xo=0.816109,
        mask_xn=-50.0,
        mask_q=0.290256,
        do_sprob_sum=False,
        si_sigma=-0.000502005,  # the common default (only S_max, which the port does not return, reads it)
        do_robust_pdet=False,
        do_spatial_total_pooling=True,
        steerpyr_filter="sp3Filters",
    ),
}

#: aliases hdrvdp3() accepts
TASK_ALIASES = {"sbs": "side-by-side"}


def canonical_task(task: str) -> str:
    """The task name as :data:`TASKS` spells it; ValueError listing them otherwise."""
    t = TASK_ALIASES.get(str(task).lower(), str(task).lower())
    if t not in TASK_PARAMS:
        raise ValueError(f"unknown task {task!r} (expected one of: {', '.join(TASKS)})")
    return t


def params_for(task: str, **overrides: float) -> HDRVDP3Params:
    """The default parameters of ``task``, with ``overrides`` (e.g. ``age``) applied."""
    t = canonical_task(task)
    par = HDRVDP3Params(task=t, **TASK_PARAMS[t])
    return replace(par, **overrides) if overrides else par
