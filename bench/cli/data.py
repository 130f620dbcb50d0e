"""``itmn data {fetch,prepare,list}``. Parsers only here; the work is in fetch.py/prepare.py."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    data = subparsers.add_parser(
        "data",
        help="fetch and prepare HDR datasets (protocol section 2)",
        description="Fetch registered HDR datasets into the cache and build the benchmark pairs.",
    )
    sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(handler="bench.cli.data:cmd_help", _parser=data)

    f = sub.add_parser(
        "fetch",
        help="download a registered dataset (or your own manifest) into the cache, verifying sha256",
        description="Copy or download every file of a dataset into the cache "
        "(<cache>/downloads/<repo>/<commit>/<path>), verify sha256 and size, never leave a partial "
        "file. Idempotent: files already present are verified and kept. With --manifest, first register "
        "your own dataset (a CSV or TOML file of url, sha256, licence, ...; see docs/datasets.md) under a "
        "name in <cache>/datasets/<name>/, then fetch it; later commands use it by that name.",
    )
    which = f.add_mutually_exclusive_group()
    which.add_argument(
        "--dataset", default=None, metavar="NAME", help="registered dataset (default: default)"
    )
    which.add_argument(
        "--manifest",
        metavar="FILE",
        help="your own dataset: a .csv or .toml manifest (url, sha256, licence, ...)",
    )
    f.add_argument("--name", metavar="NAME", help="with --manifest: the name to register it under (default: the "
                   "manifest's 'name', else its file name without extension)")  # fmt: skip
    f.add_argument(
        "--mirror",
        metavar="DIR_OR_URL",
        help="local folder or http(s)/file URL laid out as <repo>/<commit>/<path> or "
        "<owner>/<repo>/<commit>/<path> (default: $ITMN_DATA_MIRROR, else the upstream URLs)",
    )
    f.add_argument(
        "--cache", metavar="DIR", help="cache root (default: $ITMN_CACHE, else the user cache dir)"
    )
    f.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds without data before a download is abandoned (default: %(default)s)")  # fmt: skip
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.set_defaults(handler="bench.cli.data:cmd_fetch")

    p = sub.add_parser(
        "prepare",
        help="build the HDR/LDR benchmark pairs and manifest.json",
        description="Build hdr/<name>.exr (BT.2020 cd/m^2), pq/<name>.npy (10-bit PQ), ldr/<tmo>/<name>.png "
        "(8-bit sRGB per tone mapping operator), splits.json and manifest.json as the protocol says "
        "(docs/PROTOCOL.md: v1 sections 1-5, v2 section 6). Incremental: images whose source and "
        "parameters are unchanged are skipped.",
    )
    p.add_argument(
        "--dataset", default="default", metavar="NAME|PATH",
        help="registered dataset or a folder of .exr/.hdr/.pfm files (default: %(default)s)",
    )  # fmt: skip
    p.add_argument(
        "--protocol", choices=("v1", "v2"), default=None,
        help="protocol version (default: the dataset's: default v1, public-v2 v2; folders and manifests v2)",
    )  # fmt: skip
    p.add_argument(
        "--out", metavar="DIR", help="output folder (default: <cache>/prepared/<protocol>/<dataset>)"
    )
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

    ls = sub.add_parser(
        "list", help="list the datasets (built-in and registered from manifests), licences, images"
    )
    ls.add_argument("--cache", metavar="DIR", help="cache root holding registered manifests")
    ls.add_argument("--brief", action="store_true", help="one summary per dataset, no image list")
    ls.set_defaults(handler="bench.cli.data:cmd_list")


def cmd_help(args: argparse.Namespace) -> int:
    args._parser.print_help()
    return 2


def cmd_fetch(args: argparse.Namespace) -> int:
    from itmn import paths
    from itmn.atomic import check_output_dir
    from itmn.data.fetch import fetch_dataset
    from itmn.data.registry import get_dataset
    from itmn.errors import ItmnError

    if args.manifest:
        from itmn.data.user_manifest import register_manifest

        ds = register_manifest(args.manifest, args.name, args.cache)
        print(f"[itmn data fetch] registered dataset {ds.name!r} ({len(ds.images)} images, protocol "
              f"{ds.protocol}) in {paths.datasets_dir(args.cache) / ds.name}", file=sys.stderr)  # fmt: skip
    elif args.name:
        raise ItmnError("--name goes with --manifest (the name to register a manifest under)")
    else:
        ds = get_dataset(args.dataset or "default", args.cache)
    check_output_dir(paths.downloads_dir(args.cache))
    fetch_dataset(
        ds, cache=args.cache, mirror=args.mirror, progress=not args.no_progress, timeout=args.timeout
    )
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from itmn.data.prepare import PrepareParams, prepare_dataset

    prepare_dataset(
        args.dataset, out=args.out, cache=args.cache, mirror=args.mirror, sanitize=args.sanitize,
        params=PrepareParams(small=args.small), force=args.force, progress=not args.no_progress,
        protocol=args.protocol,
    )  # fmt: skip
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from itmn.data.registry import DATASETS, get_dataset
    from itmn.data.user_manifest import registered_names

    datasets = list(DATASETS.values()) + [get_dataset(n, args.cache) for n in registered_names(args.cache)]
    for ds in datasets:
        split = ds.split()
        counts = ", ".join(f"{len(split[k])} {k}" for k in ("train", "val", "test") if k in split)
        mix = ", ".join(f"{lic} x{n}" for lic, n in ds.licence_mix().items())
        print(f"{ds.name}: {ds.description}")
        print(f"  {len(ds.images)} images ({counts}); protocol {ds.protocol}; split {ds.split_source()}")
        print(f"  licences: {mix}")
        if ds.licence_files:
            print(
                f"  licence files: {', '.join(f'{rf.repo}@{rf.commit[:7]}/{rf.path}' if hasattr(rf, 'repo') else rf.url for rf in ds.licence_files)}"
            )
        if ds.source:
            print(f"  registered from {ds.source}")
        if args.brief:
            continue
        which = {n: k for k, names in split.items() for n in names}
        for im in ds.images:
            print(f"  {im.name:30s} {which[im.name]:5s} {im.projection or 'auto':11s} {im.licence.split(' ')[0]:20s} "
                  f"{im.file.url}")  # fmt: skip
    sys.stdout.flush()
    return 0
