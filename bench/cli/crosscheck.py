"""``itmn-bench crosscheck``: the suite's metrics (and toolbox operators) against the original
MATLAB code, side by side, with a verdict."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from bench.cli.options import add_backend_arguments
from bench.cli.score import add_metric_arguments

_DESCRIPTION = """\
Compute the native (this suite's) and the original (MATLAB code run by GNU Octave or MATLAB from
your own copy) scores on a set of image pairs and print them side by side with the difference,
the tolerance and a PASS/FAIL verdict. Exit status 0 when every number agrees, 1 otherwise.

Metrics with an original: hdrvdp2 (HDR-VDP 2.2.2: --hdrvdp-path or ITMN_HDRVDP_PATH), hdrvdp3
(HDR-VDP 3.0.7: --hdrvdp3-path or ITMN_HDRVDP3_PATH), mpsnr_toolbox (HDR Toolbox mPSNR.m: --hdrtoolbox-path or ITMN_HDRTOOLBOX_PATH), pu21_psnr and
pu21_ssim (gfxdisp/pu21: --pu21-path or ITMN_PU21_PATH). Without --metric, every metric whose
code you configured is checked. --method huo/ko/ko-2019 also compares the toolbox operators'
outputs (median and 99th percentile of the relative error) on --ldr images.

Pairs (--pairs DIR), images .exr/.hdr/.pfm/.npy with linear RGB in cd/m^2:
  DIR/cases.json {name: {"test": file, "reference": file}}, or
  DIR/test/ and DIR/ref/ matched by stem, or
  DIR/<scene>__ref.<ext> with DIR/<scene>__<distortion>.<ext>.
Without --pairs, three built-in synthetic pairs (97 x 131: noise, blur, gain) are used.

Tolerances: hdrvdp2 Q 0.01 absolute, C_max 1e-3 relative; hdrvdp3 Q_JOD and Q 0.01, P_det 1e-3
absolute, C_max 1e-3 relative; mpsnr_toolbox and pu21_psnr 1e-6 dB,
exposure range exact; pu21_ssim 1e-4; operators: median relative error <= 1e-4, 99th
percentile <= 1e-3.

Examples:
  itmn-bench crosscheck --backend octave --hdrvdp-path ~/hdrvdp-2.2.2
  itmn-bench crosscheck --backend matlab --pairs my_pairs/ --metric hdrvdp2 mpsnr_toolbox --out cc.csv
  itmn-bench crosscheck --backend octave --method huo ko --ldr ldr_pngs/ --hdrtoolbox-path ~/HDR_Toolbox
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "crosscheck",
        help="compare native scores with the original MATLAB code (octave or matlab backend)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p, ("hdrvdp", "hdrvdp3", "hdrtoolbox", "pu21"), choices=("octave", "matlab"))
    p.add_argument(
        "--pairs", type=Path, metavar="DIR", help="folder of image pairs (default: built-in synthetic pairs)"
    )
    add_metric_arguments(p, "metric(s) to check (default: every metric whose original code is configured)")
    p.add_argument(
        "--method",
        dest="methods",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="also compare these toolbox operators' outputs: huo, ko, ko-2019",
    )
    p.add_argument(
        "--ldr", type=Path, metavar="DIR", help="LDR PNG/JPEG/TIFF inputs for --method (default: built-in)"
    )
    p.add_argument("--out", type=Path, help="also write the table as CSV (atomically) plus <out>.meta.json")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler="bench.cli.crosscheck:crosscheck_command")


def crosscheck_command(args: argparse.Namespace) -> int:
    """Handler of ``itmn-bench crosscheck``."""
    from tabulate import tabulate

    from bench.cli.options import apply_backend_arguments
    from bench.crosscheck import (
        checks_table,
        crosscheck_methods,
        crosscheck_metrics,
        read_ldr_folder,
        read_pairs,
        synthetic_ldr,
        synthetic_pairs,
    )
    from bench.metrics.registry import configured_original_metrics
    from itmn.errors import ConfigError

    apply_backend_arguments(args)
    if not (math.isfinite(args.ppd) and args.ppd > 0):
        raise ConfigError(f"--ppd must be a positive number of pixels per degree, got {args.ppd}")
    if args.out is not None:  # checked before the engines start
        from itmn.atomic import check_output_file

        check_output_file(args.out, what="--out CSV")
    methods = list(dict.fromkeys(args.methods or []))
    if args.metrics:
        metrics = list(dict.fromkeys(args.metrics))
    elif methods:
        metrics = []
    else:
        metrics = configured_original_metrics()

    def progress(text: str) -> None:
        print(f"[crosscheck] {text}", file=sys.stderr, flush=True)

    checks = []
    if metrics:
        pairs = read_pairs(args.pairs, args.primaries) if args.pairs else synthetic_pairs()
        checks += crosscheck_metrics(pairs, metrics, args.backend, args.ppd, progress)
    if methods:
        images = read_ldr_folder(args.ldr) if args.ldr else synthetic_ldr()
        checks += crosscheck_methods(images, methods, args.backend, progress)
    rows = checks_table(checks)
    n_fail = sum(not c.ok for c in checks)
    if args.out is not None:
        _write(args, rows, metrics, methods)
    if args.json:
        print(json.dumps({"backend": args.backend, "checks": [_jsonable(r) for r in rows], "failed": n_fail}))
    else:
        table = [
            [
                r["case"],
                r["quantity"],
                _fmt(r["native"]),
                _fmt(r["original"]),
                _fmt(r["difference"]),
                r["tolerance"],
                r["verdict"],
            ]
            for r in rows
        ]
        print(
            tabulate(
                table,
                headers=[
                    "case",
                    "quantity",
                    "native",
                    f"original ({args.backend})",
                    "|difference|",
                    "tolerance",
                    "verdict",
                ],
                disable_numparse=True,
            )
        )
        print(
            f"\n{len(checks) - n_fail} of {len(checks)} numbers agree within tolerance"
            + (f"; {n_fail} FAIL or ERROR" if n_fail else "")
        )
        for err in sorted({str(r["note"]) for r in rows if r["note"]}):
            print(f"ERROR from the original code: {err}")
    return 1 if n_fail else 0


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "-"  # an image-level row (operators) or an original that raised an error
        return f"{x:.10g}" if math.isfinite(x) else str(x)
    return str(x)


def _jsonable(row: dict) -> dict:
    from bench.cli.score import json_number

    return {k: json_number(v) for k, v in row.items()}


def _write(args: argparse.Namespace, rows: list[dict], metrics: list[str], methods: list[str]) -> None:
    import pandas as pd

    from itmn.atomic import atomic_path, write_json
    from itmn.originals import CODEBASES, configured_folder, engines_in_use
    from itmn.runinfo import collect_run_metadata

    with atomic_path(args.out) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.17g")
    engines = engines_in_use()
    meta = collect_run_metadata(
        backend=args.backend,
        metrics=metrics,
        methods=methods,
        pairs=str(args.pairs) if args.pairs else "built-in synthetic pairs",
        ldr=str(args.ldr) if args.ldr else ("built-in synthetic LDR" if methods else None),
        ppd=args.ppd,
        engines=engines,
        code_settings={cb.env: configured_folder(key) for key, cb in CODEBASES.items()},
    )
    meta_path = args.out.with_name(args.out.name + ".meta.json")
    write_json(meta_path, meta)
    print(f"wrote {args.out} and {meta_path}", file=sys.stderr)
