"""DrTM-style baseline: Endo, Kanamori, Mitani, "Deep reverse tone mapping", ACM TOG 36(6), 2017.

Two networks predict an exposure bracket (8 frames at 0.5 EV steps darker, 8 brighter) from one
LDR image; the bracket is cut by a stopping rule and merged to radiance with the known camera
curve. See docs/drtm.md for what is faithful to the paper and what is not.

Modules: :mod:`~baselines.drtm.config` (defaults, validation), :mod:`~baselines.drtm.camera`
(response curve), :mod:`~baselines.drtm.bracket` (training targets), :mod:`~baselines.drtm.nets`
(networks), :mod:`~baselines.drtm.merge` (stopping rule, robust merge),
:mod:`~baselines.drtm.model` (the trainer's contract), :mod:`~baselines.drtm.expander`
(``expand(ldr) -> hdr``), :mod:`~baselines.drtm.training` and :mod:`~baselines.drtm.task` (the
model kind ``drtm`` of the trainer, registered when this package is imported).

Importing the package is cheap (no torch): the names below load their module on first use
(PEP 562), so listing training configurations does not start torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from baselines.drtm import training as _training

#: public name -> the module that defines it
_LAZY = {
    "DRTM_CPU": "baselines.drtm.config",
    "DRTM_DEFAULTS": "baselines.drtm.config",
    "DRTM_VERSION": "baselines.drtm.config",
    "DrtmConfig": "baselines.drtm.config",
    "resolve_config": "baselines.drtm.config",
    "DrtmExpander": "baselines.drtm.expander",
    "expander_from_state": "baselines.drtm.expander",
    "load_expander": "baselines.drtm.expander",
    "merge_debevec": "baselines.drtm.merge",
    "stop_counts": "baselines.drtm.merge",
    "triangle_weights": "baselines.drtm.merge",
    "Bracket": "baselines.drtm.model",
    "make_targets": "baselines.drtm.model",
    "predict_bracket": "baselines.drtm.model",
    "predict_hdr_pq": "baselines.drtm.model",
    "predict_radiance": "baselines.drtm.model",
    "relative_to_display": "baselines.drtm.model",
    "training_losses": "baselines.drtm.model",
    "ExposureNet": "baselines.drtm.nets",
    "build_nets": "baselines.drtm.nets",
    "parameter_count": "baselines.drtm.nets",
}

__all__ = [
    "Bracket",
    "DRTM_CPU",
    "DRTM_DEFAULTS",
    "DRTM_VERSION",
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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


_training.register()
