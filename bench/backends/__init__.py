"""Optional bridge to the original MATLAB code (HDR-VDP, HDR Toolbox, PU21) through GNU Octave or
MATLAB, for confirming a number with the original implementation.

``native`` (the suite's own code) is always the default; the originals are run from the user's
own copies, which the suite never downloads or ships::

    export ITMN_HDRVDP_PATH=~/code/hdrvdp-2.2.2
    itmn-bench score test.exr ref.exr --metric hdrvdp2 --backend octave
    itmn-bench crosscheck --backend octave           # native vs original, with a verdict

    from bench.metrics import hdrvdp2
    hdrvdp2(test, ref, ppd=30, backend="octave").Q

See docs/backends.md for the set-up of each engine and code base.
"""

from __future__ import annotations

import argparse
import os

from bench.backends.engine import BACKENDS, BackendCallError, BackendError, Engine, get_engine

__all__ = [
    "BACKENDS",
    "BackendCallError",
    "BackendError",
    "Engine",
    "add_backend_arguments",
    "apply_backend_arguments",
    "get_engine",
]

_PATH_OPTIONS = {
    "hdrvdp": ("--hdrvdp-path", "ITMN_HDRVDP_PATH", "your copy of HDR-VDP 2.2.2 (folder with hdrvdp.m)"),
    "hdrvdp3": ("--hdrvdp3-path", "ITMN_HDRVDP3_PATH", "your copy of HDR-VDP 3.0.7 (folder with hdrvdp3.m)"),
    "hdrtoolbox": (
        "--hdrtoolbox-path",
        "ITMN_HDRTOOLBOX_PATH",
        "your copy of the HDR Toolbox (its root folder)",
    ),
    "pu21": ("--pu21-path", "ITMN_PU21_PATH", "your copy of gfxdisp/pu21 (folder with pu21_metric.m)"),
}


def add_backend_arguments(
    parser: argparse.ArgumentParser, codebases: tuple[str, ...], *, choices: tuple[str, ...] = BACKENDS
) -> None:
    """Add ``--backend`` and the ``--<code>-path`` options for ``codebases`` to a parser."""
    default = "native" if "native" in choices else None
    parser.add_argument(
        "--backend",
        choices=choices,
        default=default,
        required=default is None,
        help=(
            "who computes: the suite's own code (native, default), or the original MATLAB code run by "
            "GNU Octave or MATLAB from your own copy (see docs/backends.md)"
            if default
            else "engine that runs the original MATLAB code: octave or matlab"
        ),
    )
    for key in codebases:
        opt, env, what = _PATH_OPTIONS[key]
        parser.add_argument(opt, metavar="DIR", help=f"{what}; default ${env}")


def apply_backend_arguments(args: argparse.Namespace) -> None:
    """Put the ``--<code>-path`` values into the environment variables the originals read."""
    for opt, env, _ in _PATH_OPTIONS.values():
        value = getattr(args, opt.lstrip("-").replace("-", "_"), None)
        if value:
            os.environ[env] = str(value)
