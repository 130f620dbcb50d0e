"""The ``itmn-bench`` command: metrics, evaluation of methods, reproduction, crosscheck."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bench.cli.base import build_parser, run

#: modules with a ``register(subparsers)`` function; order = order in --help
SUBCOMMAND_MODULES = ("bench.cli.score", "bench.cli.evaluate", "bench.cli.crosscheck", "bench.cli.leaderboard", "bench.cli.report")

DESCRIPTION = (
    "Score HDR images (HDR-VDP-2, HDR-VDP-3, mPSNR, SSIM, PU21, ΔE_ITP, ColorVideoVDP) and evaluate any "
    "LDR-to-HDR method on the benchmark's test split.\n\n"
    "Typical use:\n"
    "  itmn-bench score test.exr ref.exr --json\n"
    "  itmn-bench metrics                # list the registered metrics\n"
    "  itmn-bench evaluate --method huo\n"
    "  itmn-bench crosscheck --backend octave   # native vs the original MATLAB code\n"
    "  itmn-bench leaderboard results/cpu       # ranked methods, each compared with iTMN\n"
    "  itmn-bench report results/cpu            # HTML report of a results folder"
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser("itmn-bench", DESCRIPTION, SUBCOMMAND_MODULES), argv)


if __name__ == "__main__":
    sys.exit(main())
