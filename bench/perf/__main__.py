"""``python -m bench.perf [--only NAME ...] [--out FILE]``: run the benchmarks and print one table."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from bench.perf import MODULES


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__)
    p.add_argument("--only", nargs="*", default=None, help="run only these modules (e.g. metrics)")
    p.add_argument("--out", type=Path, default=None, help="JSON output (default results/perf/perf-<device>.json)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = p.parse_args(argv)

    from itmn.runinfo import collect_run_metadata

    rows: list[dict] = []
    for name in MODULES:
        short = name.rsplit(".", 1)[-1]
        if args.only and short not in args.only:
            continue
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"[perf] skipping {short}: {exc}", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        for row in mod.run(args):
            row.setdefault("module", short)
            rows.append(row)
            _print_row(row)
        print(f"[perf] {short} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    meta = collect_run_metadata()
    out = args.out or Path("results/perf") / f"perf-{meta['device_kind']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"metadata": meta, "rows": rows}, indent=2, default=str))
    tmp.replace(out)
    print(f"[perf] wrote {out}")
    return 0


def _print_row(row: dict) -> None:
    parts = [f"{row['name']:<48}", f"{row['value']:>12.4g} {row.get('unit', ''):<8}"]
    if row.get("baseline") is not None:
        parts.append(f"baseline {row['baseline']:.4g} ({row.get('baseline_name', '')})")
    if row.get("ratio") is not None:
        parts.append(f"ratio {row['ratio']:.2f}x")
    if row.get("target"):
        parts.append(f"target {row['target']}")
    print("  ".join(parts), flush=True)


if __name__ == "__main__":
    sys.exit(main())
