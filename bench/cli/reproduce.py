"""``python -m bench.cli.reproduce table1|table2`` (what ``nox -s reproduce_table1`` and
``itmn-bench reproduce`` run): options, signals and errors of the reproduction."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.reproduce import __doc__ as REPRODUCE_DOC
from bench.reproduce.options import DEFAULT_DATASETS, LEADERBOARD_METHODS, REPO, Options, choose_profile
from bench.reproduce.pipeline import reproduce


def build_parser(prog: str = "python -m bench.reproduce") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=REPRODUCE_DOC, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p, with_table=True)
    return p


def add_arguments(p: argparse.ArgumentParser, *, with_table: bool) -> None:
    if with_table:
        p.add_argument("table", choices=("table1", "table2"), help="which table of the paper to reproduce")
    p.add_argument("--profile", choices=("smoke", "cpu", "paper"), default=None,
                   help="training size (default: paper with a CUDA GPU, else cpu; see `itmn profiles`)")
    p.add_argument("--dataset", default=None,
                   help="registered dataset name or a folder of .exr/.hdr/.pfm files (default: public-v2 for the cpu "
                   "and paper profiles, default for smoke; `itmn data list`)")
    p.add_argument("--leaderboard", default=None, metavar="NAME,NAME,...",
                   help="published networks (authors' weights) scored beside Table 1's methods for "
                   f"results/<profile>/leaderboard.* (default {','.join(LEADERBOARD_METHODS)} for the cpu and paper "
                   "profiles, none for smoke; also hdrtvdm-3dm, hdrtvdm-davinci; '' for none)")
    p.add_argument("--mirror", default=None, help="local folder or URL mirroring the dataset's upstream files (or $ITMN_DATA_MIRROR)")
    p.add_argument("--cache", default=None, help="cache folder for downloads and prepared data (or $ITMN_CACHE)")
    p.add_argument("--work", type=Path, default=REPO / "work", help="folder for runs, predictions and the score cache (default: ./work)")
    p.add_argument("--results", type=Path, default=REPO / "results", help="results root; tables go to <results>/<profile>/ (default: ./results)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--jobs", type=int, default=None, help="training runs in parallel (default: 2 on CPU profiles with 2+ cores, else 1)")
    p.add_argument("--set", dest="set_overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a training configuration key for every run (e.g. run.iterations=100)")
    p.add_argument("--no-figures", dest="figures", action="store_false", help="skip the figures")
    p.add_argument("--no-lr-sweep", dest="lr_sweep", action="store_false", help="skip the Fig. 2(i) learning-rate runs")
    p.add_argument("--no-report", dest="report", action="store_false", help="skip the HTML report (itmn-bench report)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    add_metrics_argument(p)


def add_metrics_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics", action="append", default=None, metavar="NAME,NAME,...",
                   help="table columns, in order (default hdrvdp2,mpsnr,ssim); metrics not scored by default "
                   "(e.g. delta_e_itp, cvvdp) are scored too; see `itmn-bench metrics`")


def options_from_args(args: argparse.Namespace, table: str) -> Options:
    from baselines.registry import ALIASES, list_methods
    from bench.columns import parse_metric_list
    from itmn.errors import ConfigError

    profile, reason = choose_profile(args.profile)
    jobs = args.jobs
    if jobs is None:
        jobs = 2 if profile != "paper" and (os.cpu_count() or 1) >= 2 else 1
    requested = getattr(args, "leaderboard", None)
    if requested is None:
        requested = "" if profile == "smoke" else ",".join(LEADERBOARD_METHODS)
    board = tuple(m.strip() for m in requested.split(",") if m.strip())
    known = {m.name for m in list_methods()} | set(ALIASES)
    unknown = [m for m in board if m not in known]
    if unknown:  # fail now, not after training
        raise ConfigError(f"--leaderboard: unknown method(s) {', '.join(unknown)}; see `itmn methods`")
    return Options(
        table=table, profile=profile, profile_reason=reason, mirror=args.mirror,
        dataset=args.dataset or DEFAULT_DATASETS.get(profile, "default"),
        leaderboard_methods=board if table == "table1" else (),
        cache=args.cache, work=args.work.resolve(), results=args.results.resolve(), device=args.device, jobs=jobs,
        figures=args.figures, lr_sweep=args.lr_sweep and table == "table1", progress=args.progress,
        report=getattr(args, "report", True),
        set_overrides=args.set_overrides, metrics=parse_metric_list(getattr(args, "metrics", None)),
    )  # fmt: skip


def checked_options(args: argparse.Namespace, table: str) -> Options:
    """:func:`options_from_args`, with the work and results folders checked for writing now
    (before hours of work); OutputError naming the folder otherwise."""
    from itmn.atomic import check_output_dir

    opts = options_from_args(args, table)
    for folder in (opts.work, opts.results):
        check_output_dir(folder)
    return opts


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM/SIGHUP -> SystemExit, so that the training subprocesses are told to checkpoint and
    stop (see _train_parallel) instead of being left running without their parent."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    from bench.cli.base import call

    args = build_parser().parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_sigterm)

    def work() -> int:
        opts = checked_options(args, args.table)
        try:
            reproduce(opts)
        except SystemExit as exc:
            print(f"reproduce: stopped by a signal; rerun the same command to continue (exit {exc.code})", file=sys.stderr)
            raise
        return 0

    return call("reproduce", work)


if __name__ == "__main__":
    sys.exit(main())
