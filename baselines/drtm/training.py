"""The DrTM-style model as a model kind of the trainer (:mod:`itmn.train.kinds`): how its task is
built (:mod:`baselines.drtm.task`) and its training variant (``drtm-<profile>``).

:func:`register` is called when :mod:`baselines.drtm` is imported; it imports neither torch nor
the networks (the task is built lazily).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from baselines.drtm.config import DRTM_DEFAULTS

if TYPE_CHECKING:
    import torch

    from itmn.train.config import TrainConfig
    from itmn.train.distributed import DistInfo
    from itmn.train.tasks import Task

KIND = "drtm"


def model_options(config: TrainConfig) -> dict[str, Any]:
    """``{"kind": "drtm", **DRTM_DEFAULTS, **model.options}``: the dict given to ``build_nets``."""
    cfg = {**DRTM_DEFAULTS, **dict(config.model.options)}
    cfg["kind"] = KIND
    return cfg


def build_task(
    config: TrainConfig, device: torch.device, dist: DistInfo, amp: torch.dtype | None, channels_last: bool
) -> Task:
    """The trainer's task for a ``drtm`` configuration (:class:`baselines.drtm.task.DrtmTask`)."""
    from baselines.drtm.task import DrtmTask

    return DrtmTask(config, device, dist, amp, channels_last)


def register() -> None:
    """Register the ``drtm`` model kind and the ``drtm-<profile>`` training variants."""
    from itmn.train.kinds import ModelKind, register_model_kind
    from itmn.train.profiles import Variant, register_variant

    register_model_kind(
        ModelKind(
            KIND,
            "DrTM-style model (Endo et al. 2017): two exposure networks, merged bracket",
            build_task,
            provider="baselines.drtm",
        ),
        replace=True,
    )
    register_variant(
        Variant(
            KIND,
            "DrTM-style model (Endo et al. 2017, baselines.drtm): two exposure networks, Adam, "
            "constant learning rate",
            {"model.kind": KIND, "loss.adversarial": False, "optim.name": "adam", "optim.lr": 2e-4,
             "optim.betas": (0.5, 0.999), "schedule.kind": "constant"},
            per_profile={
                # DRTM_CPU sizes; 1000 iterations keep it near the ~7 min of the others
                # (it runs at ~1.3 it/s on one core, against ~9 it/s for iTMN)
                "cpu": {"model.options": {"width": 16, "n_levels": 6}, "run.iterations": 1000},
                "smoke": {"model.options": {"width": 4, "n_levels": 5}},
            },
        ),
        replace=True,
    )
