"""What every command of the suite shares: building the parser from subcommand modules, running
the chosen handler, and turning expected errors into one line.

A subcommand module has a ``register(subparsers)`` function that only builds its argparse parser
(no heavy imports, so ``--help`` is fast) and names its handler as ``"module:function"``, which
is imported when the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from itmn.errors import ItmnError


def build_parser(prog: str, description: str, modules: Sequence[str]) -> argparse.ArgumentParser:
    """A parser with ``--version`` and one subcommand group filled by ``modules``' ``register``."""
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
    """Parse ``argv``, run the handler; expected errors are one line on stderr and exit status 1."""
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
