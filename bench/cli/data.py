"""``itmn data {fetch,prepare,list}``. Parsers only here; the work is in fetch.py/prepare.py."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    data = subparsers.add_parser(
        "data",
        help="fetch and prepare HDR datasets (protocol v1 section 2)",
        description="Fetch registered HDR datasets into the cache and build the 512x512 benchmark pairs.",
    )
    sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(handler="bench.cli.data:cmd_help", _parser=data)

    f = sub.add_parser(
        "fetch",
        help="download a registered dataset into the cache, verifying sha256",
        description="Copy or download every file of a registered dataset into the cache "
        "(<cache>/downloads/<repo>/<commit>/<path>), verify sha256 and size, never leave a partial "
        "file. Idempotent: files already present are verified and kept.",
    )
    f.add_argument(
        "--dataset", default="default", metavar="NAME", help="registered dataset (default: %(default)s)"
    )
    f.add_argument(
        "--mirror",
        metavar="DIR_OR_URL",
        help="local folder or http(s)/file URL laid out as <repo>/<commit>/<path> or "
        "<owner>/<repo>/<commit>/<path> (default: $ITMN_DATA_MIRROR, else the upstream URLs)",
    )
    f.add_argument(
        "--cache", metavar="DIR", help="cache root (default: $ITMN_CACHE, else the user cache dir)"
    )
    f.add_argument("--timeout", type=float, default=60.0, metavar="S", help="network timeout per file (s)")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.set_defaults(handler="bench.cli.data:cmd_fetch")

    p = sub.add_parser(
        "prepare",
        help="build the 512x512 HDR/LDR benchmark pairs and manifest.json",
        description="Build hdr/<name>.exr (BT.2020 cd/m^2), pq/<name>.npy (10-bit PQ), ldr/<tmo>/<name>.png "
        "(8-bit sRGB per tone mapping operator), splits.json and manifest.json as protocol v1 section 2 says. "
        "Incremental: images whose source and parameters are unchanged are skipped.",
    )
    p.add_argument(
        "--dataset", default="default", metavar="NAME|PATH",
        help="registered dataset or a folder of .exr/.hdr/.pfm files (default: %(default)s)",
    )  # fmt: skip
    p.add_argument("--out", metavar="DIR", help="output folder (default: <cache>/prepared/<dataset>)")
    p.add_argument(
        "--cache", metavar="DIR", help="cache root (default: $ITMN_CACHE, else the user cache dir)"
    )
    p.add_argument(
        "--mirror", metavar="DIR_OR_URL", help="mirror used when a registered dataset still needs fetching"
    )
    p.add_argument(
        "--sanitize",
        action="store_true",
        help="set NaN/Inf pixels to 0 (counted in the manifest) instead of failing",
    )
    p.add_argument(
        "--small", choices=("upsample", "skip"), default="upsample",
        help="images with a short side below 512: bilinear upsampling, recorded in the manifest (default), or leave them out",
    )  # fmt: skip
    p.add_argument("--force", action="store_true", help="rebuild images that are up to date")
    p.add_argument("--no-progress", action="store_true", help="no progress bar while fetching")
    p.set_defaults(handler="bench.cli.data:cmd_prepare")

    ls = sub.add_parser("list", help="list the registered datasets and their images")
    ls.set_defaults(handler="bench.cli.data:cmd_list")


def cmd_help(args: argparse.Namespace) -> int:
    args._parser.print_help()
    return 2


def cmd_fetch(args: argparse.Namespace) -> int:
    from itmn import paths
    from itmn.atomic import check_output_dir
    from itmn.data.fetch import fetch_dataset
    from itmn.data.registry import get_dataset

    dataset = get_dataset(args.dataset)
    check_output_dir(paths.downloads_dir(args.cache))
    fetch_dataset(
        dataset, cache=args.cache, mirror=args.mirror, progress=not args.no_progress,
        timeout=args.timeout,
    )  # fmt: skip
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from itmn.data.prepare import PrepareParams, prepare_dataset

    prepare_dataset(
        args.dataset, out=args.out, cache=args.cache, mirror=args.mirror, sanitize=args.sanitize,
        params=PrepareParams(small=args.small), force=args.force, progress=not args.no_progress,
    )  # fmt: skip
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from itmn.data.registry import DATASETS

    for ds in DATASETS.values():
        print(f"{ds.name}: {ds.description}")
        split = ds.split()
        for im in ds.images:
            which = "test" if im.name in split["test"] else "train"
            print(f"  {im.name:24s} {which:5s} {im.projection:11s} {im.licence:45s} {im.file.url}")
    sys.stdout.flush()
    return 0
