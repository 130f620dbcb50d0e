"""``itmn models {list,fetch}``: the published methods' released weights (baselines.published.weights).

Parsers only at registration; the work is in :func:`list_main` and :func:`fetch_main`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    models = subparsers.add_parser(
        "models",
        help="list or fetch the published methods' released weights (ExpandNet, LHDR, HDRTVDM)",
        description=(
            "The authors' released weights of the published methods (expandnet, lhdr, hdrtvdm, hdrtvdm-3dm, "
            "hdrtvdm-davinci), pinned by repository commit and sha256. They are fetched like the datasets, "
            "into <cache>/downloads/<repo>/<commit>/<path> with the repository's licence file beside them, "
            "and verified; a method fetches its file itself when first built, so `fetch` is for preparing a "
            "machine (e.g. offline from a mirror)."
        ),
    )
    sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    models.set_defaults(handler="bench.cli.models:help_main", _parser=models)

    ls = sub.add_parser(
        "list",
        help="table: method, weights file, sha256, size, licence, cached or not",
        description="List every pinned weights file and whether the cache holds it (verified by sha256).",
    )
    ls.add_argument(
        "--cache", metavar="DIR", help="cache root (default: $ITMN_CACHE, else the user cache dir)"
    )
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(handler="bench.cli.models:list_main")

    f = sub.add_parser(
        "fetch",
        help="copy or download released weights (and their licence files) into the cache, verified",
        description=(
            "Fetch the weights of the named methods (default: all) and their repositories' licence files "
            "into the cache, verifying sha256 and size; a file with other content is refused, naming it and "
            "both hashes, and nothing is written. Idempotent."
        ),
    )
    f.add_argument(
        "names", nargs="*", metavar="NAME", help="methods to fetch (default: all; see `itmn models list`)"
    )
    f.add_argument(
        "--mirror",
        metavar="DIR_OR_URL",
        help="local folder or URL laid out as <repo>/<commit>/<path> (default: $ITMN_DATA_MIRROR, else upstream)",
    )
    f.add_argument(
        "--cache", metavar="DIR", help="cache root (default: $ITMN_CACHE, else the user cache dir)"
    )
    f.set_defaults(handler="bench.cli.models:fetch_main")


def help_main(args: argparse.Namespace) -> int:
    args._parser.print_help()
    return 2


def _rows(cache: str | None) -> list[dict[str, Any]]:
    from baselines.published.weights import WEIGHTS, cached_state
    from itmn import paths

    rows = []
    for w in WEIGHTS.values():
        rows.append(
            {
                "method": w.name,
                "weights": f"{w.file.repo}@{w.file.commit[:7]}/{w.file.path}",
                "sha256": w.file.sha256,
                "size": w.file.size,
                "licence": w.licence,
                "cached": cached_state(w, cache),
                "path": str(paths.downloads_dir(cache) / w.file.relpath),
            }
        )
    return rows


def list_main(args: argparse.Namespace) -> int:
    rows = _rows(args.cache)
    if args.json:
        import json

        print(json.dumps(rows, indent=2))
        return 0
    from tabulate import tabulate

    from itmn import paths

    table = [[r["method"], r["weights"], r["sha256"], r["size"], r["licence"], r["cached"]] for r in rows]
    print(tabulate(table, headers=["method", "weights file", "sha256", "bytes", "licence", "cached"]))
    print(f"\ncache: {paths.downloads_dir(args.cache)}")
    return 0


def fetch_main(args: argparse.Namespace) -> int:
    from baselines.published.weights import WEIGHTS, resolve
    from itmn import paths
    from itmn.errors import ChecksumError, ConfigError, ItmnError

    names = args.names or list(WEIGHTS)
    unknown = [n for n in names if n not in WEIGHTS]
    if unknown:
        raise ConfigError(f"unknown weights {', '.join(map(repr, unknown))}; known: {', '.join(WEIGHTS)}")
    mirror = paths.data_mirror(args.mirror)
    failures: list[ItmnError] = []
    for name in dict.fromkeys(names):
        entry = WEIGHTS[name]
        try:
            path = resolve(entry, args.cache, mirror)
        except ItmnError as exc:
            print(f"itmn models fetch: {name}: FAILED {exc}", file=sys.stderr)
            failures.append(exc)
            continue
        print(f"{name}: {path} (sha256 {entry.file.sha256[:12]}..., {entry.licence}; licence file beside it)")
    if failures:
        kind = ChecksumError if any(isinstance(e, ChecksumError) for e in failures) else ItmnError
        raise kind(f"{len(failures)} of {len(dict.fromkeys(names))} weights files failed (see above)")
    return 0
