"""Named training configurations: a table of profiles (sizes) times a table of variants (models).

A name is ``<profile>`` (iTMN) or ``<variant>-<profile>``: ``paper``, ``itmn-cpu``,
``nodmse-smoke``, ``noadvreg-cpu``... Both tables are data; ``itmn profiles`` prints them and
``itmn train --help`` lists the names. A model kind of another package adds its variant with
:func:`register_variant` (the DrTM-style model of the baselines package adds ``drtm``).

CPU profiles run one torch thread (``run.threads = 1``): on the shared 2-core machines this
suite targets, two OpenMP threads competing with other processes were up to 8x slower than one
(0.45 s vs 4.0 s per iteration of a 128x128-crop ``cpu`` under load; idle, two threads gain
little), one thread makes the result independent of the machine's core count, and two runs can
train side by side.

Each entry is a flat ``{dotted key: value}`` dict applied over the :class:`TrainConfig`
defaults (the paper's values), profile first, then variant, then the variant's per-profile
entry (e.g. a network's sizes on CPU).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itmn.errors import ConfigError
from itmn.train.config import TrainConfig, set_value, validate


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    overrides: dict[str, Any]
    per_profile: dict[str, dict[str, Any]] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "paper",
            "the paper's setting (GPU): 512x512 crops, batch 6, 80,000 iterations, "
            "generator 64-128-256-512-512",
            {"data.crop": 512, "run.batch_size": 6, "run.iterations": 80_000,
             "run.checkpoint_every": 2000, "run.val_every": 5000, "run.log_every": 50},
        ),
        Profile(
            "cpu",
            "2 CPU cores, ~4-7 min per model (all four Table 1 models in <= 30 min): 64x64 crops, "
            "batch 6, small networks, 2400 iterations, lr 2e-3 with step decay, dMSE from iteration 1200",
            {"data.crop": 64, "run.batch_size": 6, "run.iterations": 2400,
             "model.generator.widths": (32, 32, 64, 128, 128),
             "model.discriminator.widths": (16, 32, 64, 128), "model.discriminator.fc": (256,),
             "optim.lr": 2e-3,
             # dMSE from the middle of the run (when the lr drops): chosen on public-v2's val
             # split, where alpha = 1e5 from iteration 0 collapsed iTMN (docs/training.md)
             "loss.alpha_warmup": 0.5,
             "run.threads": 1, "run.checkpoint_every": 200, "run.val_every": 0, "run.log_every": 10},
        ),
        Profile(
            "smoke",
            "CI smoke test, a few seconds per model: 64x64 crops, batch 2, tiny networks, "
            "30 iterations, validation on 1 test image",
            {"data.crop": 64, "run.batch_size": 2, "run.iterations": 30,
             "model.generator.widths": (8, 16, 16, 32, 32),
             "model.discriminator.widths": (8, 16, 32), "model.discriminator.fc": (32,),
             "model.discriminator.pool": 2, "data.val_images": 1,
             "run.threads": 1, "run.checkpoint_every": 10, "run.val_every": 0, "run.log_every": 5},
        ),
    )
}  # fmt: skip

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("itmn", "iTMN: lambda*(MSE + alpha*dMSE) + adversarial regularizer (eqs. 1-4)", {}),
        Variant("nodmse", "NoDMSE ablation: alpha = 0", {"loss.alpha": 0.0}),
        Variant(
            "noadvreg",
            "NoAdvReg ablation: no adversarial regularizer (no discriminator is built)",
            {"loss.adversarial": False},
        ),
    )
}  # fmt: skip


def register_variant(variant: Variant, *, replace: bool = False) -> Variant:
    """Add a variant (a model kind of another package registers its own, e.g. ``drtm``)."""
    if variant.name in VARIANTS and not replace and VARIANTS[variant.name] != variant:
        raise ConfigError(f"variant {variant.name!r} is already registered")
    VARIANTS[variant.name] = variant
    return variant


def profile_names() -> list[str]:
    """Every valid name: profiles (iTMN), then ``<variant>-<profile>``."""
    return [*PROFILES, *(f"{v}-{p}" for v in VARIANTS for p in PROFILES)]


def split_name(name: str) -> tuple[str, str]:
    """``"nodmse-cpu"`` -> ("nodmse", "cpu"); ``"cpu"`` -> ("itmn", "cpu")."""
    variant, _, profile = name.rpartition("-")
    variant = variant or "itmn"
    if profile not in PROFILES or variant not in VARIANTS:
        raise ConfigError(f"unknown configuration name {name!r}; valid names: {', '.join(profile_names())}")
    return variant, profile


def get_profile(name: str) -> TrainConfig:
    """The :class:`TrainConfig` of a named configuration (see the module docstring)."""
    variant_name, profile_name = split_name(name)
    variant = VARIANTS[variant_name]
    config = TrainConfig(name=name)
    for layer in (
        PROFILES[profile_name].overrides,
        variant.overrides,
        variant.per_profile.get(profile_name, {}),
    ):
        for key, value in layer.items():
            set_value(config, key, value, source=f"profile {name}")
    validate(config)
    return config


def describe() -> str:
    """The profile and variant tables as text (``itmn profiles``, ``itmn train --help``)."""
    lines = ["profiles (sizes):"]
    lines += [f"  {p.name:<8} {p.description}" for p in PROFILES.values()]
    lines.append("variants (prefix a profile with '<variant>-'; none = itmn):")
    lines += [f"  {v.name:<8} {v.description}" for v in VARIANTS.values()]
    return "\n".join(lines)


def markdown_table() -> str:
    """The profiles as the Markdown table of docs/training.md (a test keeps the two equal)."""
    lines = [
        "| name | crop | batch | iterations | generator widths | discriminator | lr | dMSE from | threads |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in PROFILES:
        c = get_profile(name)
        d = c.model.discriminator
        warm = round(c.loss.alpha_warmup * c.run.iterations)
        lines.append(
            f"| `{name}` | {c.data.crop} | {c.run.batch_size} | {c.run.iterations:,} | "
            f"{'-'.join(map(str, c.model.generator.widths))} | {'-'.join(map(str, d.widths))}, "
            f"pool {d.pool}, FC {'-'.join(map(str, d.fc))} | {c.optim.lr:g} | iteration {warm:,} | "
            f"{c.run.threads or 'default'} |"
        )
    return "\n".join(lines)
