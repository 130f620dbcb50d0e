"""The ``itmn-bench`` command: metrics, evaluation of methods, tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from itmn.cli import build_parser, run

_SUBCOMMAND_MODULES = (
    "bench.metrics.cli",
    "bench.evaluate_cli",
    "bench.backends.cli",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(
        "itmn-bench",
        "Score HDR images with HDR-VDP-2, mPSNR, SSIM and PU21 (protocol v1) and evaluate any "
        "LDR-to-HDR method on the benchmark's test split.\n\n"
        "Typical use:\n"
        "  itmn-bench score test.exr ref.exr --json\n"
        "  itmn-bench metrics                # list the registered metrics\n"
        "  itmn-bench evaluate --method huo\n"
        "  itmn-bench crosscheck --backend octave   # native vs the original MATLAB code",
        _SUBCOMMAND_MODULES,
    )
    return run(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
