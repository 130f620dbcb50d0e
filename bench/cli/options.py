"""Command-line options several commands share: the backend and the folders of the original code,
the metric choice and the scoring settings. Only argparse is imported here."""

from __future__ import annotations

import argparse

from itmn.originals.engine import BACKENDS

#: code base key -> (option, environment variable, what it is)
PATH_OPTIONS = {
    "hdrvdp": ("--hdrvdp-path", "ITMN_HDRVDP_PATH", "your copy of HDR-VDP 2.2.2 (folder with hdrvdp.m)"),
    "hdrvdp3": ("--hdrvdp3-path", "ITMN_HDRVDP3_PATH", "your copy of HDR-VDP 3.0.7 (folder with hdrvdp3.m)"),
    "hdrtoolbox": ("--hdrtoolbox-path", "ITMN_HDRTOOLBOX_PATH", "your copy of the HDR Toolbox (its root folder)"),
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
        opt, env, what = PATH_OPTIONS[key]
        parser.add_argument(opt, metavar="DIR", help=f"{what}; default ${env}")


def apply_backend_arguments(args: argparse.Namespace) -> None:
    """Hand the ``--<code>-path`` folders to the bridge (:func:`itmn.originals.configure`)."""
    folders = {
        key: getattr(args, opt.lstrip("-").replace("-", "_"), None) for key, (opt, _, _) in PATH_OPTIONS.items()
    }
    folders = {k: v for k, v in folders.items() if v}
    if folders:
        from itmn.originals import configure

        configure(**folders)
