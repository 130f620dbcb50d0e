"""Every command line of the suite: the top layer (docs/ARCHITECTURE.md).

* ``itmn`` (:mod:`bench.cli.itmn_cli`): ``data``, ``train``, ``profiles``, ``expand``, ``methods``;
* ``itmn-bench`` (:mod:`bench.cli.bench_cli`): ``score``, ``metrics``, ``evaluate``,
  ``reproduce``, ``crosscheck``.

Each subcommand module (:mod:`~bench.cli.data`, :mod:`~bench.cli.train`, ...) builds its parser
with ``register(subparsers)`` and names a handler that does the work through the library.
"""

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """``itmn-bench`` (see :mod:`bench.cli.bench_cli`)."""
    from bench.cli.bench_cli import main as bench_main

    return bench_main(argv)


def itmn_main(argv: Sequence[str] | None = None) -> int:
    """``itmn`` (see :mod:`bench.cli.itmn_cli`)."""
    from bench.cli.itmn_cli import main as itmn_main_

    return itmn_main_(argv)
