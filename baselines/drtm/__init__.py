"""DrTM-style baseline: Endo, Kanamori, Mitani, "Deep reverse tone mapping", ACM TOG 36(6), 2017.

Two networks predict an exposure bracket (8 frames at 0.5 EV steps darker, 8 brighter) from one
LDR image; the bracket is cut by a stopping rule and merged to radiance with the known camera
curve. See docs/drtm.md for what is faithful to the paper and what is not.

Modules: :mod:`~baselines.drtm.config` (defaults, validation), :mod:`~baselines.drtm.camera`
(response curve), :mod:`~baselines.drtm.bracket` (training targets), :mod:`~baselines.drtm.nets`
(networks), :mod:`~baselines.drtm.merge` (stopping rule, robust merge),
:mod:`~baselines.drtm.model` (the trainer's contract), :mod:`~baselines.drtm.expander`
(``expand(ldr) -> hdr``).
"""

from baselines.drtm.config import DRTM_CPU, DRTM_DEFAULTS, DRTM_VERSION, DrtmConfig, resolve_config
from baselines.drtm.expander import DrtmExpander, expander_from_state, load_expander
from baselines.drtm.merge import merge_debevec, stop_counts, triangle_weights
from baselines.drtm.model import (
    Bracket,
    make_targets,
    predict_bracket,
    predict_hdr_pq,
    predict_radiance,
    relative_to_display,
    training_losses,
)
from baselines.drtm.nets import ExposureNet, build_nets, parameter_count

__all__ = [
    "DRTM_CPU",
    "DRTM_DEFAULTS",
    "DRTM_VERSION",
    "Bracket",
    "DrtmConfig",
    "DrtmExpander",
    "ExposureNet",
    "build_nets",
    "expander_from_state",
    "load_expander",
    "make_targets",
    "merge_debevec",
    "parameter_count",
    "predict_bracket",
    "predict_hdr_pq",
    "predict_radiance",
    "relative_to_display",
    "resolve_config",
    "stop_counts",
    "training_losses",
    "triangle_weights",
]
