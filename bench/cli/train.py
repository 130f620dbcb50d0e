"""``itmn train`` and ``itmn profiles``.

itmn train --config cpu                                  # iTMN, CPU profile
itmn train --config nodmse-cpu --set run.seed=1          # an ablation with an override
itmn train --config my.toml --out runs/x --resume        # a file; continue an unfinished run
torchrun --nproc_per_node=2 -m bench.cli.itmn_cli train --config paper   # DDP

Every model kind of the suite is registered before a configuration is resolved (the DrTM-style
model registers itself when :mod:`baselines.drtm` is imported), and the trainer is given its
validation metrics here, from the metric registry.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from itmn.errors import ConfigError

RUNS_ENV = "ITMN_RUNS"


#: metrics logged to val.csv during training (the metric registry's names)
VALIDATION_METRICS = ("mpsnr", "ssim")


def register_model_kinds() -> None:
    """Import the packages whose model kinds the trainer should know (cheap: no torch)."""
    import baselines  # noqa: F401  (registers the drtm kind and its variants)


def register(subparsers: Any) -> None:
    """Add ``train`` and ``profiles`` (parsers only; nothing heavy is imported)."""
    from itmn.train.profiles import describe, profile_names

    register_model_kinds()

    p = subparsers.add_parser(
        "train",
        help="train iTMN, its ablations or the DrTM-style model",
        description="Train a model from a named configuration or a JSON/TOML file.\n\n" + describe()
        + "\n\nnames: " + ", ".join(profile_names()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument(
        "--config", required=True, metavar="NAME|FILE", help="profile name (see above) or a .json/.toml file"
    )
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a configuration value, e.g. model.generator.widths=32,64,128,256,256 (repeatable)")  # fmt: skip
    p.add_argument("--out", type=Path, default=None,
                   help=f"run folder (default: ${RUNS_ENV} or ./runs, then <name>-<config hash[:8]>)")  # fmt: skip
    p.add_argument(
        "--resume", action="store_true", help="continue the unfinished run in --out from its last checkpoint"
    )
    p.add_argument(
        "--print-config", action="store_true", help="print the resolved configuration and its hash, then exit"
    )
    p.set_defaults(handler="bench.cli.train:train_command")

    q = subparsers.add_parser("profiles", help="list the named training configurations")
    q.add_argument("--json", action="store_true", help="print every resolved configuration as JSON")
    q.set_defaults(handler="bench.cli.train:profiles_command")


def resolve_config(spec: str, overrides: list[str]) -> Any:
    """A profile name or a file, with ``--set`` overrides applied and validated."""
    from itmn.train.config import apply_overrides, load_file, validate
    from itmn.train.profiles import get_profile, profile_names

    path = Path(spec)
    if path.suffix.lower() in (".json", ".toml") or path.exists():
        config = load_file(path)
    elif spec in profile_names():
        config = get_profile(spec)
    else:
        raise ConfigError(
            f"--config {spec!r}: neither a configuration file nor a profile name; names: {', '.join(profile_names())}"
        )
    apply_overrides(config, overrides)
    validate(config)
    return config


def default_out(config: Any) -> Path:
    from itmn.train.config import config_hash

    root = Path(os.environ.get(RUNS_ENV, "runs"))
    return root / f"{config.name}-{config_hash(config)[:8]}"


def train_command(args: argparse.Namespace) -> int:
    import json

    from itmn.train.config import config_hash, to_dict

    config = resolve_config(args.config, args.overrides)
    if args.print_config:
        print(json.dumps({"config_hash": config_hash(config), **to_dict(config)}, indent=2))
        return 0
    out = args.out or default_out(config)
    from itmn.atomic import check_output_dir

    check_output_dir(out)  # before torch and the data are loaded
    from bench.metrics.registry import metric_functions
    from itmn.train.trainer import TrainingInterrupted, run_training

    try:
        run_dir = run_training(
            config, out, resume=args.resume, validation_metrics=metric_functions(VALIDATION_METRICS)
        )
    except TrainingInterrupted as exc:
        print(f"itmn train: {exc}", file=sys.stderr)
        return 128 + int(exc.signum)
    if os.environ.get("RANK", "0") == "0":  # under torchrun only rank 0 reports
        print(run_dir)
    return 0


def profiles_command(args: argparse.Namespace) -> int:
    from itmn.train.config import config_hash, to_dict
    from itmn.train.profiles import describe, get_profile, profile_names

    if args.json:
        import json

        print(json.dumps({n: {"config_hash": config_hash(get_profile(n)), **to_dict(get_profile(n))}
                          for n in profile_names()}, indent=2))  # fmt: skip
        return 0
    print(describe())
    print()
    print(f"{'name':<16} {'kind':<5} {'crop':>5} {'batch':>5} {'iters':>7}  {'alpha':>7} {'adv':>5}  widths")
    for n in profile_names():
        c = get_profile(n)
        if c.model.kind == "itmn":
            alpha, adv, widths = f"{c.loss.alpha:.0e}", str(c.loss.adversarial), c.model.generator.widths
        else:
            alpha, adv, widths = "-", "-", c.model.options or "(the kind's defaults)"
        print(f"{n:<16} {c.model.kind:<5} {c.data.crop:>5} {c.run.batch_size:>5} {c.run.iterations:>7}  "
              f"{alpha:>7} {adv:>5}  {widths}")  # fmt: skip
    return 0
