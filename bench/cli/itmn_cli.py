"""The ``itmn`` command: data, training, inference (``python -m bench.cli.itmn_cli`` runs it too,
e.g. under ``torchrun``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bench.cli.base import build_parser, run

#: modules with a ``register(subparsers)`` function; order = order in --help
SUBCOMMAND_MODULES = ("bench.cli.data", "bench.cli.train", "bench.cli.expand", "bench.cli.models")

DESCRIPTION = (
    "iTMN reproduction: fetch and prepare HDR data, train iTMN and the DrTM-style model, "
    "expand LDR images to HDR with any registered method.\n\n"
    "Typical use:\n"
    "  itmn data fetch --mirror DIR   # download the default dataset (or copy from a mirror)\n"
    "  itmn data prepare              # build the benchmark pairs (the dataset's protocol)\n"
    "  itmn train --config cpu        # train iTMN with the 'cpu' profile\n"
    "  itmn expand --method huo in.png out.exr"
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser("itmn", DESCRIPTION, SUBCOMMAND_MODULES), argv)


if __name__ == "__main__":
    sys.exit(main())
