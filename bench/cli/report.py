"""``itmn-bench report``: write the HTML report of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

_HELP = """\
Write a self-contained static report of a results folder: open OUT/index.html in a browser,
offline (no server, nothing fetched), or attach the folder to a paper's supplement.

It holds the folder's tables (sortable, with CIs and configuration strings), every method beside
the HDR reference for each test image with an exposure slider (-6..+6 EV over the linear HDR),
false-colour luminance and HDR-VDP-2 probability-of-detection maps, per-image scores, training
curves and the metadata that says how every number was made.

Predictions are read from the reproduction's work folder (<work>/predictions/<method>/) and
references from the prepared dataset; both default to what RESULTS_DIR/metadata.json records.
When they cannot be found, the report has tables, curves and metadata and says why images
are missing.

examples:
  itmn-bench report results/cpu
  itmn-bench report results/smoke --work work/smoke --out /tmp/smoke-report
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML report (tables, images, curves, metadata) of a results folder",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument(
        "results_dir",
        type=Path,
        metavar="RESULTS_DIR",
        help="results folder (holding scores.csv, metadata.json, table*.csv)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default RESULTS_DIR/report); replaced as a whole",
    )
    p.add_argument(
        "--work",
        type=Path,
        default=None,
        help="work folder holding predictions/ (or its parent holding <slug>/); default: recorded in the metadata",
    )
    p.add_argument(
        "--dataset",
        default=None,
        help="prepared dataset: registered name or path (default: recorded in the metadata)",
    )
    p.add_argument(
        "--cache", default=None, help="cache folder ($ITMN_CACHE): prepared datasets, HDR-VDP-2 map cache"
    )
    p.add_argument(
        "--map-cache",
        type=Path,
        default=None,
        help="folder caching HDR-VDP-2 maps (default <cache>/report-maps)",
    )
    p.add_argument(
        "--no-images", dest="images", action="store_false", help="tables, curves and metadata only"
    )
    p.add_argument(
        "--bytes-per-pixel", type=float, default=None, metavar="B",
        help="byte cap of one HDR image per pixel (default 0.5: 128 KiB at 512x512; JPEG quality steps "
        "down to fit); the HDR-VDP-2 maps get a quarter of it. Smaller for a report to commit or mail",
    )  # fmt: skip
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(handler="bench.cli.report:report_command")


def report_command(args: argparse.Namespace) -> int:
    from bench.report import build_report, encoding
    from itmn.errors import ConfigError

    caps = {}
    if args.bytes_per_pixel is not None:
        if not 0.01 <= args.bytes_per_pixel <= 4:
            raise ConfigError(f"--bytes-per-pixel {args.bytes_per_pixel:g}: expected 0.01 to 4")
        caps = {
            "hdr_bytes_per_pixel": args.bytes_per_pixel,
            "map_bytes_per_pixel": args.bytes_per_pixel * encoding.MAP_BYTES_PER_PIXEL / encoding.HDR_BYTES_PER_PIXEL,
        }
    summary = build_report(
        args.results_dir, args.out, work=args.work, dataset=args.dataset, cache=args.cache,
        map_cache=args.map_cache, images=args.images, progress=args.progress, **caps,
    )  # fmt: skip
    for note in summary.notes:
        print(f"note: {note}")
    print(summary.describe())
    return 0
