"""Training of iTMN, and of any model kind another package registers, from a typed configuration.

Public API::

    from itmn.train import TrainConfig, get_profile, run_training, config_hash
    cfg = get_profile("nodmse-cpu")
    run_dir = run_training(cfg, "runs/nodmse-cpu", resume=True)

Modules: :mod:`~itmn.train.config` (dataclasses, overrides, hash), :mod:`~itmn.train.profiles`
(named configurations), :mod:`~itmn.train.tasks` (one iteration of each model kind),
:mod:`~itmn.train.trainer` (loop, resume, signals), :mod:`~itmn.train.checkpoint`,
:mod:`~itmn.train.logs`, :mod:`~itmn.train.validation`, :mod:`~itmn.train.distributed`,
:mod:`~itmn.train.kinds` (model kinds). The command line is :mod:`bench.cli.train`. Importing
this package does not import torch; :func:`run_training` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from itmn.train.config import TrainConfig, config_hash
from itmn.train.profiles import get_profile, profile_names

__all__ = ["TrainConfig", "config_hash", "get_profile", "is_finished", "profile_names", "run_training"]


def run_training(
    config: TrainConfig,
    out_dir: str | Path,
    resume: bool = True,
    *,
    validation_metrics: Mapping[str, Callable[[Any, Any], float]] | None = None,
) -> Path:
    """Train ``config`` in ``out_dir`` (see :func:`itmn.train.trainer.run_training`)."""
    from itmn.train.trainer import run_training as _run

    return _run(config, out_dir, resume=resume, validation_metrics=validation_metrics)


def is_finished(run_dir: str | Path, config: TrainConfig | None = None) -> bool:
    """Whether ``run_dir`` holds a finished run (of ``config``, if given)."""
    from itmn.train.trainer import is_finished as _is_finished

    return _is_finished(run_dir, config)
