"""The ``itmn`` command: data, training, inference.

Each subcommand lives next to the code it drives and is attached here by a ``register``
function that only builds its argparse parser (no heavy imports), so ``itmn --help`` is fast.
A subcommand's handler is given as ``"module:function"`` and imported when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from itmn.errors import ItmnError

# (module with a ``register(subparsers)`` function). Order = order in --help.
_SUBCOMMAND_MODULES = (
    "itmn.data.cli",
    "itmn.train.cli",
    "baselines.cli",
    "baselines.models_cli",
)


def build_parser(prog: str, description: str, modules: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from itmn import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    mod_name, func_name = handler.split(":")
    func = getattr(importlib.import_module(mod_name), func_name)
    try:
        rc = func(args)
    except ItmnError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(
        "itmn",
        "iTMN reproduction: fetch and prepare HDR data, train iTMN and the DrTM-style model, "
        "expand LDR images to HDR with any registered method.\n\n"
        "Typical use:\n"
        "  itmn data fetch --mirror DIR   # download the default dataset (or copy from a mirror)\n"
        "  itmn data prepare              # build the 512x512 benchmark pairs (protocol v1)\n"
        "  itmn train --config cpu        # train iTMN with the 'cpu' profile\n"
        "  itmn expand --method huo in.png out.exr",
        _SUBCOMMAND_MODULES,
    )
    return run(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
