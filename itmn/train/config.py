"""Typed training configuration: nested dataclasses, file loading, ``key=value`` overrides, hash.

A configuration is a :class:`TrainConfig` (sections ``data``, ``model``, ``loss``, ``optim``,
``schedule``, ``run``). It is built from a named profile (:mod:`itmn.train.profiles`) or a
JSON/TOML file, then changed with ``--set section.key=value`` overrides whose values are parsed
and checked against the field's type. The run folder keeps it as ``config.json``.

:func:`config_hash` identifies what a run computes: it covers every field except the label
``name`` and the bookkeeping fields in :data:`NON_SEMANTIC` (how often to log, validate or
checkpoint, progress bar, TensorBoard), so a finished run can be recognised and reused whatever
it was called and however often it wrote checkpoints.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itmn.errors import ConfigError
from itmn.typed import coerce


@dataclass
class DataConfig:
    """What to train on. ``dataset``: a registry name or the path of a prepared dataset
    (``itmn.data.registry.resolve_prepared``); training uses its ``train`` split, validation its
    ``val`` split (when it has none, the ``test`` split, for monitoring only:
    ``itmn.train.validation``) with the ``val_tmo`` LDR inputs at full size."""

    dataset: str = "default"
    crop: int = 512  #: training crop side in pixels (multiple of 32 for the generator)
    tmos: tuple[str, ...] | None = None  #: training TMOs; None = every TMO of the prepared dataset
    flips: bool = True  #: random horizontal flips (seeded, part of the batch of an iteration)
    val_tmo: str = "reinhard_global"
    val_images: int = 0  #: validate on the first N validation images (0 = all)
    cache: str | None = None  #: cache root for resolving registry names (None: $ITMN_CACHE or default)


@dataclass
class GeneratorConfig:
    """:class:`itmn.models.UNetGenerator` arguments (pix2pix-like defaults; Fig. 1 is lost)."""

    widths: tuple[int, ...] = (64, 128, 256, 512, 512)
    kernel_size: int = 4
    stride: int = 2
    negative_slope: float = 0.2
    norm_first: bool = True
    input_skip: str = "inverse_srgb"  #: "inverse_srgb" | "none" (see itmn.models.generator)


@dataclass
class DiscriminatorConfig:
    """:class:`itmn.models.Discriminator` arguments."""

    widths: tuple[int, ...] = (64, 128, 256, 512)
    fc: tuple[int, ...] = (1024,)
    kernel_size: int = 4
    stride: int = 2
    negative_slope: float = 0.2
    pool: int = 4


@dataclass
class ModelConfig:
    """``kind``: a registered model kind (:mod:`itmn.train.kinds`): ``itmn`` (the generator and
    discriminator of this package, configured by ``generator`` and ``discriminator``) or a kind
    another package registered, configured by ``options`` (a dict over that kind's defaults)."""

    kind: str = "itmn"
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class LossConfig:
    """Eq. (1)-(3): ``lam`` weighs the content loss, ``alpha`` the dMSE term (0 = NoDMSE);
    ``adversarial=False`` drops the regularizer and the discriminator (NoAdvReg).
    ``adv_form``: ``minimax`` (the paper, eq. 3) or ``nonsaturating``."""

    lam: float = 1e4
    alpha: float = 1e5
    #: fraction of run.iterations trained with alpha = 0 before the dMSE term is switched on
    #: (0 = the paper; see docs/training.md "Short runs" for why the CPU profiles use it)
    alpha_warmup: float = 0.0
    adversarial: bool = True
    adv_form: str = "minimax"


@dataclass
class OptimConfig:
    """Optimizer of every network. ``name``: ``rmsprop`` (paper) or ``adam``. ``d_lr``: the
    discriminator's learning rate (None = ``lr``). ``grad_clip``: max gradient norm (0 = off)."""

    name: str = "rmsprop"
    lr: float = 1e-4
    d_lr: float | None = None
    rmsprop_alpha: float = 0.99
    momentum: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    grad_clip: float = 0.0


@dataclass
class ScheduleConfig:
    """Step decay: the learning rate is multiplied by ``gamma`` at each milestone, given as a
    fraction of ``run.iterations`` (so the schedule scales with the profile). ``kind``: ``step``
    or ``constant``."""

    kind: str = "step"
    milestones: tuple[float, ...] = (0.5, 0.75)
    gamma: float = 0.1


@dataclass
class RunConfig:
    """Length, seed, devices and bookkeeping of a run."""

    iterations: int = 80_000
    batch_size: int = 6  #: global batch (split over DDP ranks)
    seed: int = 0
    device: str = "auto"  #: auto | cpu | cuda | cuda:N
    amp: str = "auto"  #: auto (bf16/fp16 on CUDA, off on CPU) | off | bf16 | fp16
    channels_last: str = "auto"  #: auto (on CUDA) | on | off
    threads: int = 0  #: torch intra-op threads on CPU (0 = torch's default)
    checkpoint_every: int = 2000
    keep_checkpoints: int = 3  #: periodic checkpoints kept besides last.pt (0 = only last.pt)
    log_every: int = 50
    val_every: int = 5000  #: 0 = validate only at the end
    progress: bool = True
    tensorboard: bool = True
    plots: bool = True  #: write plots/ (at the end, on interruption, and every 5 min)


@dataclass
class TrainConfig:
    name: str = "paper"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    run: RunConfig = field(default_factory=RunConfig)


#: Fields that change how a run is observed, not what it computes (left out of config_hash).
NON_SEMANTIC = frozenset(
    {
        "name",
        "data.val_images",
        "data.cache",
        "run.checkpoint_every",
        "run.keep_checkpoints",
        "run.log_every",
        "run.val_every",
        "run.progress",
        "run.tensorboard",
        "run.plots",
    }
)


# --------------------------------------------------------------------------- dict <-> dataclass
def to_dict(config: TrainConfig) -> dict[str, Any]:
    """Plain JSON-able dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def valid_keys(cls: type = TrainConfig, prefix: str = "") -> list[str]:
    """Every dotted key of a config class, e.g. ``model.generator.widths``."""
    out: list[str] = []
    for f in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[f.name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            out += valid_keys(hint, f"{prefix}{f.name}.")
        else:
            out.append(f"{prefix}{f.name}")
    return out


def from_dict(
    data: dict[str, Any], base: TrainConfig | None = None, *, source: str = "config"
) -> TrainConfig:
    """Build a config from a nested dict, on top of ``base`` (default: the dataclass defaults).

    Unknown keys and ill-typed values raise :class:`ConfigError` naming ``source``, the key, the
    value seen and what was expected.
    """
    config = copy_config(base) if base is not None else TrainConfig()
    for key, value in _flatten(data):
        set_value(config, key, value, source=source)
    return config


def copy_config(config: TrainConfig) -> TrainConfig:
    return copy.deepcopy(config)


def _flatten(data: dict[str, Any], prefix: str = "", cls: type = TrainConfig) -> list[tuple[str, Any]]:
    """Nested dict -> [(dotted key, value)], descending only into dataclass-typed fields (a dict
    value of a ``dict`` field such as ``model.options`` stays whole)."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[str, Any]] = []
    for k, v in data.items():
        hint = hints.get(k)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(v, dict):
            out += _flatten(v, f"{prefix}{k}.", hint)
        else:
            out.append((f"{prefix}{k}", v))
    return out


def set_value(config: TrainConfig, key: str, value: Any, *, source: str = "config") -> None:
    """Set the dotted ``key`` to ``value`` (a string from the command line is parsed for the field's
    type; other values are checked). Raises ConfigError listing the valid keys for unknown keys."""
    parts = key.split(".")
    obj: Any = config
    for i, part in enumerate(parts):
        if not dataclasses.is_dataclass(obj) or part not in {f.name for f in dataclasses.fields(obj)}:
            raise ConfigError(
                f"{source}: unknown configuration key {key!r}; valid keys: {', '.join(valid_keys())}"
            )
        if i < len(parts) - 1:
            obj = getattr(obj, part)
    hint = typing.get_type_hints(type(obj))[parts[-1]]
    if dataclasses.is_dataclass(hint):
        raise ConfigError(
            f"{source}: {key!r} is a section; set one of its keys, e.g. {key}.{dataclasses.fields(hint)[0].name}"
        )
    setattr(obj, parts[-1], _coerce(value, hint, f"{source}: {key}"))


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """``value`` as the field's type (:func:`itmn.typed.coerce`); ConfigError naming ``where``."""
    try:
        return coerce(value, hint)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------- files, overrides
def load_file(path: str | Path, base: TrainConfig | None = None) -> TrainConfig:
    """Read a JSON (``.json``) or TOML (``.toml``) configuration file.

    Top-level ``base = "<profile>"`` starts from that profile; other keys are sections as in
    :class:`TrainConfig` (e.g. ``[model.generator] widths = [32, 64, 128, 256, 256]``).
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration file ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text.decode())
        elif path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(
                f"{path}: unknown configuration format {path.suffix!r} (expected .json or .toml)"
            )
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table/object at the top level, got {type(data).__name__}")
    data = dict(data)
    if "base" in data:
        from itmn.train.profiles import get_profile

        base = get_profile(str(data.pop("base")))
    config = from_dict(data, base, source=str(path))
    if "name" not in data:
        config.name = path.stem
    return config


def apply_overrides(config: TrainConfig, overrides: list[str]) -> TrainConfig:
    """Apply ``key=value`` strings (``--set model.generator.widths=32,64,128,256,256``)."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. run.iterations=1000")
        key, value = item.split("=", 1)
        set_value(config, key.strip(), value.strip(), source="--set")
    return config


def validate(config: TrainConfig) -> None:
    """Cross-field checks that types alone cannot express."""
    checks = [
        (config.optim.name in ("rmsprop", "adam"), "optim.name", config.optim.name, "'rmsprop' or 'adam'"),
        (config.schedule.kind in ("step", "constant"), "schedule.kind", config.schedule.kind, "'step' or 'constant'"),
        (config.loss.adv_form in ("minimax", "nonsaturating"), "loss.adv_form", config.loss.adv_form,
         "'minimax' or 'nonsaturating'"),
        (config.run.amp in ("auto", "off", "bf16", "fp16"), "run.amp", config.run.amp, "auto|off|bf16|fp16"),
        (config.run.channels_last in ("auto", "on", "off"), "run.channels_last", config.run.channels_last, "auto|on|off"),
        (config.run.iterations >= 1, "run.iterations", config.run.iterations, ">= 1"),
        (config.run.batch_size >= 1, "run.batch_size", config.run.batch_size, ">= 1"),
        (config.run.checkpoint_every >= 1, "run.checkpoint_every", config.run.checkpoint_every, ">= 1"),
        (config.optim.lr > 0, "optim.lr", config.optim.lr, "> 0"),
        (config.loss.lam >= 0 and config.loss.alpha >= 0, "loss.lam/loss.alpha",
         (config.loss.lam, config.loss.alpha), ">= 0"),
        (0.0 <= config.loss.alpha_warmup < 1.0, "loss.alpha_warmup", config.loss.alpha_warmup, "a fraction in [0, 1)"),
        (all(0 < m <= 1 for m in config.schedule.milestones), "schedule.milestones",
         config.schedule.milestones, "fractions of run.iterations in (0, 1]"),
    ]  # fmt: skip
    for ok, key, seen, expected in checks:
        if not ok:
            raise ConfigError(f"{config.name}: {key} = {seen!r} (expected {expected})")
    from itmn.train.kinds import get_model_kind

    try:
        kind = get_model_kind(config.model.kind)
    except ConfigError as exc:
        raise ConfigError(f"{config.name}: model.kind = {config.model.kind!r}: {exc}") from None
    if kind.check is not None:
        kind.check(config)


# --------------------------------------------------------------------------- hash
def config_hash(config: TrainConfig | dict[str, Any]) -> str:
    """SHA-256 (hex) of the configuration without the fields in :data:`NON_SEMANTIC`.

    Two configurations with the same hash train bit-identical models (on the same software and
    hardware); the hash is stored in every checkpoint and refused on mismatch.
    """
    d = to_dict(config) if isinstance(config, TrainConfig) else json.loads(json.dumps(config))
    flat = {k: v for k, v in _flatten_all(d) if k not in NON_SEMANTIC}
    blob = json.dumps(flat, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _flatten_all(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, dict) and k != "options":
            out += _flatten_all(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Human-readable differences between two config dicts (semantic fields only)."""
    fa = {k: v for k, v in _flatten_all(a) if k not in NON_SEMANTIC}
    fb = {k: v for k, v in _flatten_all(b) if k not in NON_SEMANTIC}
    return [f"{k}: {fa.get(k, '<absent>')!r} vs {fb.get(k, '<absent>')!r}" for k in sorted(fa.keys() | fb.keys())
            if fa.get(k) != fb.get(k)]  # fmt: skip
