"""``itmn-bench leaderboard``: render ``leaderboard.{md,csv,tex}`` and ``leaderboard_pairs.csv``
from a results folder's per-image scores (bench.leaderboard), and print the mean CI half-width
per metric (bench.stats.mean_ci_half_width)."""

from __future__ import annotations

import argparse
from pathlib import Path

_DESCRIPTION = """\
Rank every method of a results folder per metric (means with 95% bootstrap CIs and n) and compare
each with iTMN image by image (mean difference with its CI, Wilcoxon signed-rank p raw and
Holm-adjusted, "resolved at 95%" when the CI excludes 0). Reads RESULTS/scores.csv and, when
present, RESULTS/metadata.json (configuration strings, dataset); writes RESULTS/leaderboard.md,
.csv, .tex and leaderboard_pairs.csv (or into --out).

Examples:
  itmn-bench leaderboard results/cpu
  itmn-bench leaderboard results/cpu --metrics hdrvdp2,mpsnr,ssim,pu21_psnr --out /tmp/lb
  itmn-bench leaderboard results/cpu --half-widths      # mean 95% CI half-width per metric
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "leaderboard",
        help="leaderboard (md/csv/tex) of a results folder, every method compared with iTMN",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", type=Path, metavar="RESULTS", help="results folder with scores.csv (e.g. results/cpu)")
    p.add_argument("--scores", type=Path, metavar="FILE", help="per-image scores (default: RESULTS/scores.csv)")
    p.add_argument("--out", type=Path, metavar="DIR", help="where the files go (default: RESULTS)")
    p.add_argument("--metrics", action="append", default=None, metavar="NAME,NAME,...",
                   help="metric columns, in order; the first ranks (default hdrvdp2,mpsnr,ssim)")  # fmt: skip
    p.add_argument("--methods", action="append", default=None, metavar="NAME,NAME,...",
                   help="methods to include (default: every method in the scores)")  # fmt: skip
    p.add_argument("--reference", default="itmn", metavar="NAME", help="the method every other one is compared with")
    p.add_argument("--half-widths", action="store_true",
                   help="only print the mean 95%% CI half-width per metric (over the methods) as JSON")  # fmt: skip
    p.set_defaults(handler="bench.cli.leaderboard:leaderboard_command")


def leaderboard_command(args: argparse.Namespace) -> int:
    import json

    from bench.columns import parse_metric_list, table_metrics
    from bench.leaderboard import leaderboard_from_results, read_scores
    from bench.stats import mean_ci_half_width

    metrics = parse_metric_list(args.metrics)
    methods = [m.strip() for item in args.methods for m in item.split(",") if m.strip()] if args.methods else None
    if args.half_widths:
        scores = read_scores(args.scores or args.results / "scores.csv")
        print(json.dumps(mean_ci_half_width(scores, table_metrics(metrics), methods), indent=1))
        return 0
    files = leaderboard_from_results(
        args.results, out=args.out, scores_file=args.scores, methods=methods, metrics=metrics, reference=args.reference
    )
    for path in files.values():
        print(f"wrote {path}")
    return 0
