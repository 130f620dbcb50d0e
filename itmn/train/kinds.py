"""Model kinds the trainer can train: a name, how to build the task that owns the networks and
their step (:class:`itmn.train.tasks.Task`), and the checks a configuration of that kind must
pass. ``itmn`` (the generator and discriminator of this package) is built in; other packages
register theirs (e.g. the baselines package registers its models when imported), so the trainer names no
competitor.

Importing this module does not import torch; a kind's ``build_task`` imports what it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from itmn.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from itmn.train.config import TrainConfig
    from itmn.train.distributed import DistInfo
    from itmn.train.tasks import Task

#: build_task(config, device, dist, amp dtype or None, channels_last) -> Task
TaskFactory = Callable[["TrainConfig", "torch.device", "DistInfo", "torch.dtype | None", bool], "Task"]


@dataclass(frozen=True)
class ModelKind:
    """A trainable model kind.

    Attributes:
        name: the value of ``model.kind``.
        description: one line for listings.
        build_task: makes the task (networks, optimizers, one step) for a configuration.
        check: extra checks of a configuration of this kind (ConfigError naming the key), or None.
        provider: the package that registered it (for messages).
    """

    name: str
    description: str
    build_task: TaskFactory = field(repr=False)
    check: Callable[[TrainConfig], None] | None = field(default=None, repr=False)
    provider: str = "itmn"


_KINDS: dict[str, ModelKind] = {}


def register_model_kind(kind: ModelKind, *, replace: bool = False) -> ModelKind:
    """Add a model kind (``replace`` to overwrite one, e.g. in tests)."""
    if kind.name in _KINDS and not replace and _KINDS[kind.name] is not kind:
        raise ConfigError(f"model kind {kind.name!r} is already registered (by {_KINDS[kind.name].provider})")
    _KINDS[kind.name] = kind
    return kind


def unregister_model_kind(name: str) -> ModelKind:
    """Remove and return a registered kind (``itmn`` cannot be removed)."""
    if name == "itmn":
        raise ConfigError("the built-in model kind 'itmn' cannot be unregistered")
    kind = get_model_kind(name)
    del _KINDS[name]
    return kind


def get_model_kind(name: str) -> ModelKind:
    """The registered kind ``name``; ConfigError listing the registered kinds otherwise."""
    try:
        return _KINDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown model kind {name!r}; registered kinds: {', '.join(_KINDS)} (a kind provided by another "
            "package is registered when that package is imported; the itmn command imports them all)"
        ) from None


def model_kinds() -> list[str]:
    """Names of the registered kinds, in registration order."""
    return list(_KINDS)


def _build_itmn(config: Any, device: Any, dist: Any, amp: Any, channels_last: bool) -> Task:
    from itmn.train.tasks import ItmnTask

    return ItmnTask(config, device, dist, amp, channels_last)


def _check_itmn(config: TrainConfig) -> None:
    mult = config.model.generator.stride ** len(config.model.generator.widths)
    if config.data.crop % mult:
        raise ConfigError(
            f"{config.name}: data.crop = {config.data.crop} (expected a multiple of {mult}, "
            f"the generator's total stride)"
        )


register_model_kind(
    ModelKind(
        "itmn",
        "iTMN: U-Net generator (+ discriminator) of itmn.models, alternating optimization (eq. 4)",
        _build_itmn,
        _check_itmn,
    )
)
