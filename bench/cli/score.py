"""``itmn-bench score`` and ``itmn-bench metrics``.

``register`` only builds the parsers; the handlers below import the metrics when they run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from bench.cli.options import add_backend_arguments

_SCORE_DESCRIPTION = """\
Score a test HDR image against a reference with the protocol v1 metrics, or every image of a
folder against the image of the same stem in another folder.

Images: .exr, .hdr, .pfm or .npy with linear RGB in absolute cd/m^2 (display-referred, e.g. a
1000-nit image peaks near 1000; [0, 1] images are refused).

Primaries: a file that declares its chromaticities (the OpenEXR attribute, which the suite's
write_exr always writes, or a Radiance PRIMARIES line) is taken in those primaries and --primaries
does not apply to it. --primaries gives the primaries of files that declare nothing (.npy, .pfm,
.hdr/.exr without the declaration); default bt709, as OpenEXR and Radiance define for such
files. The output says, per file, which primaries were used and where they came from.

Output: a table, or with --json ONE JSON object: metric name -> value, "<metric>_<key>" for a
metric's secondary numbers (hdrvdp2_P_det, hdrvdp2_C_max, mpsnr_e_min, ...), "config" (metric
name -> configuration string) and "inputs" (files, primaries, ppd, protocol). Non-finite values
(the infinite PSNR of identical images) are written as the strings "inf", "-inf", "nan", so the
output is strict JSON; float("inf") reads them back.

Metrics: without --metric, every registered metric except the opt-in ones; cvvdp
(ColorVideoVDP, optional: pip install "itmn-bench[cvvdp]") is computed only when named.

Folder mode (--test-dir, --ref-dir) pairs files by stem, fails naming every image that has no
counterpart, shows a progress bar, and with --out writes a per-image CSV atomically (infinite
values as inf) plus <out>.meta.json with run metadata and configuration strings.

Backend: --backend octave|matlab computes the metrics that have an original (hdrvdp2 with
HDR-VDP 2.2.2, hdrvdp3 with HDR-VDP 3.0.7, mpsnr_toolbox with the HDR Toolbox, pu21_* with
gfxdisp/pu21) with that original MATLAB code, run from your own copy (--hdrvdp-path etc. or
ITMN_HDRVDP_PATH, ITMN_HDRVDP3_PATH, ITMN_HDRTOOLBOX_PATH, ITMN_PU21_PATH); without --metric it
computes those metrics only. The
configuration strings then name the engine and the copy. See docs/backends.md.

Examples:
  itmn-bench score pred.exr ref.exr --json
  itmn-bench score pred.exr ref.exr --metric hdrvdp2 --backend octave --hdrvdp-path ~/hdrvdp-2.2.2
  itmn-bench score pred.npy ref.npy --primaries bt2020 --metric mpsnr ssim
  itmn-bench score pred.exr ref.exr --metric delta_e_itp cvvdp --json
  itmn-bench score pred.exr ref.exr --metric hdrvdp3 --json        # HDR-VDP-3 Q_JOD, Q, P_det, C_max
  itmn-bench score --test-dir results/huo --ref-dir prepared/hdr --out scores.csv
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score",
        help="score HDR images with HDR-VDP-2, mPSNR, SSIM, PU21, ΔE_ITP (protocol v1), ColorVideoVDP",
        description=_SCORE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("test", nargs="?", type=Path, help="test image (.exr .hdr .pfm .npy), cd/m^2")
    p.add_argument("ref", nargs="?", type=Path, help="reference image, cd/m^2")
    p.add_argument("--test-dir", type=Path, help="folder of test images (folder mode)")
    p.add_argument("--ref-dir", type=Path, help="folder of reference images matched by stem (folder mode)")
    p.add_argument("--out", type=Path, help="folder mode: per-image CSV to write (atomically)")
    add_metric_arguments(
        p, "metric(s) to compute (repeatable; default: the registry's default ones, see 'itmn-bench metrics')"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_backend_arguments(p, ("hdrvdp", "hdrvdp3", "hdrtoolbox", "pu21"))
    p.set_defaults(handler="bench.cli.score:score_command")

    m = subparsers.add_parser(
        "metrics",
        help="list the registered metrics with their metadata",
        description="List the metric registry: unit, sort direction, range, input, reference, configuration.",
    )
    m.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    m.add_argument("--ppd", type=float, default=30.0, help="ppd shown in configuration strings (default 30)")
    m.set_defaults(handler="bench.cli.score:metrics_command")


def add_metric_arguments(p: argparse.ArgumentParser, metric_help: str) -> None:
    """``--metric NAME...``, ``--ppd``, ``--primaries``: shared by score and crosscheck."""
    p.add_argument("--metric", dest="metrics", action="extend", nargs="+", metavar="NAME", help=metric_help)
    p.add_argument("--ppd", type=float, default=30.0, help="pixels per visual degree for hdrvdp2, hdrvdp3 and cvvdp (default 30)")
    p.add_argument(
        "--primaries",
        choices=("bt709", "bt2020"),
        default="bt709",
        help="primaries of image files that do not declare theirs (default bt709)",
    )


# --------------------------------------------------------------------------- helpers
def json_number(x: Any) -> Any:
    """A value for strict JSON: finite floats as they are, inf/-inf/nan as "inf"/"-inf"/"nan"."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _flatten(results: dict[str, Any]) -> dict[str, Any]:
    """{metric: value, "<metric>_<key>": extra} for each metric's ``summary_extras``."""
    from bench.metrics.registry import get_metric

    out: dict[str, Any] = {}
    for name, res in results.items():
        out[name] = res.value
        for key in get_metric(name).summary_extras:
            if key in res.extras:
                out[f"{name}_{key}"] = res.extras[key]
    return out


def _selected(names: list[str] | None, backend: str = "native") -> list[str]:
    """The metrics to compute: those named (checked now, before any image is read), else the
    registry's default ones (for a non-native backend: every one whose original code is configured)."""
    from bench.metrics.registry import default_metric_names, get_metric

    if not names:
        if backend != "native":
            from bench.metrics.registry import configured_original_metrics

            return configured_original_metrics()
        return default_metric_names()
    seen: list[str] = []
    for n in names:
        get_metric(n).check_backend(backend)
        if n not in seen:
            seen.append(n)
    return seen


def _score_pair(
    test_path: Path, ref_path: Path, names: list[str], args: argparse.Namespace
) -> tuple[dict, dict]:
    from bench.metrics.inputs import common_primaries, load_for_scoring
    from bench.metrics.registry import compute_metrics

    t_img = load_for_scoring(test_path, args.primaries)
    r_img = load_for_scoring(ref_path, args.primaries)
    t, r, prim = common_primaries(t_img, r_img)
    results = compute_metrics(
        t, r, names, prim, args.ppd, test_source=test_path, ref_source=ref_path, backend=args.backend
    )
    inputs = {
        "test": str(test_path),
        "ref": str(ref_path),
        "test_primaries": f"{t_img.primaries} ({t_img.how})",
        "ref_primaries": f"{r_img.primaries} ({r_img.how})",
        "scored_in": prim,
        "values_zeroed_on_read": {"test": t_img.n_zeroed, "ref": r_img.n_zeroed},
        "ppd": args.ppd,
        "backend": args.backend,
    }
    return results, inputs


def _check_mode(args: argparse.Namespace) -> str:
    from itmn.errors import ConfigError

    pair = args.test is not None or args.ref is not None
    folder = args.test_dir is not None or args.ref_dir is not None
    if pair and folder:
        raise ConfigError("give either TEST REF or --test-dir/--ref-dir, not both")
    if folder:
        if args.test_dir is None or args.ref_dir is None:
            raise ConfigError("folder mode needs both --test-dir and --ref-dir")
        return "folder"
    if args.test is None or args.ref is None:
        raise ConfigError("give TEST and REF images (or --test-dir and --ref-dir)")
    if args.out is not None:
        raise ConfigError("--out is for folder mode; for one pair use --json and redirect the output")
    return "pair"


# --------------------------------------------------------------------------- score
def score_command(args: argparse.Namespace) -> int:
    """Handler of ``itmn-bench score``."""
    from bench.cli.options import apply_backend_arguments
    from itmn import PROTOCOL_VERSION
    from itmn.errors import ConfigError

    mode = _check_mode(args)
    if not (math.isfinite(args.ppd) and args.ppd > 0):
        raise ConfigError(f"--ppd must be a positive number of pixels per degree, got {args.ppd}")
    if args.out is not None:  # before any image is read: a bad --out is found at once, not after the work
        from itmn.atomic import check_output_file

        check_output_file(args.out, what="--out CSV")
    apply_backend_arguments(args)
    names = _selected(args.metrics, args.backend)
    if mode == "folder":
        return _score_folder(args, names)
    results, inputs = _score_pair(args.test, args.ref, names, args)
    configs = {n: res.config for n, res in results.items()}
    flat = _flatten(results)
    if args.json:
        obj = {k: json_number(v) for k, v in flat.items()}
        obj["config"] = configs
        obj["inputs"] = {**inputs, "protocol": PROTOCOL_VERSION}
        print(json.dumps(obj, allow_nan=False))
        return 0
    _print_pair_table(results, inputs)
    return 0


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.6g}" if math.isfinite(x) else str(x)
    return str(x)


def _print_pair_table(results: dict, inputs: dict) -> None:
    from tabulate import tabulate

    from bench.metrics.registry import get_metric

    print(f"test: {inputs['test']}  [{inputs['test_primaries']}]")
    print(f"ref:  {inputs['ref']}  [{inputs['ref_primaries']}]")
    rows = []
    for name, res in results.items():
        m = get_metric(name)
        extra = ", ".join(f"{k} {_fmt(res.extras[k])}" for k in m.summary_extras if k in res.extras)
        rows.append(
            [name, _fmt(res.value), m.unit, "higher" if m.higher_is_better else "lower", extra, res.config]
        )
    print(
        tabulate(
            rows,
            headers=["metric", "value", "unit", "better", "details", "configuration"],
            disable_numparse=True,
        )
    )


def _score_folder(args: argparse.Namespace, names: list[str]) -> int:
    from tqdm import tqdm

    from bench.metrics.inputs import pair_folders

    pairs, ignored = pair_folders(args.test_dir, args.ref_dir)
    if ignored:
        shown = ", ".join(str(p) for p in ignored[:10]) + (" ..." if len(ignored) > 10 else "")
        print(
            f"note: {len(ignored)} file(s) are not .exr/.hdr/.pfm/.npy images or are hidden, not scored: {shown}",
            file=sys.stderr,
        )
    rows: list[dict[str, Any]] = []
    configs: dict[str, str] = {}
    for stem, tp, rp in tqdm(pairs, desc="score", unit="image", file=sys.stderr):
        results, inputs = _score_pair(tp, rp, names, args)
        configs = {n: res.config for n, res in results.items()}
        rows.append(
            {
                "image": stem,
                "test_file": str(tp),
                "ref_file": str(rp),
                "scored_in": inputs["scored_in"],
                **_flatten(results),
            }
        )
    if args.out is not None:
        _write_folder_results(args, rows, configs, names)
    if args.json:
        obj = {
            "images": [{k: json_number(v) for k, v in row.items()} for row in rows],
            "config": configs,
        }
        print(json.dumps(obj, allow_nan=False))
    else:
        _print_folder_table(rows, names)
    return 0


def _write_folder_results(
    args: argparse.Namespace, rows: list[dict], configs: dict, names: list[str]
) -> None:
    import pandas as pd

    from itmn.atomic import atomic_path, write_json
    from itmn.runinfo import collect_run_metadata

    out: Path = args.out
    with atomic_path(out) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.17g")
    meta = collect_run_metadata(
        metrics=names,
        metric_config=configs,
        ppd=args.ppd,
        assumed_primaries=args.primaries,
        backend=args.backend,
        test_dir=str(args.test_dir),
        ref_dir=str(args.ref_dir),
        n_images=len(rows),
        scores_csv=str(out),
    )
    write_json(_meta_path(out), meta)
    print(f"wrote {out} ({len(rows)} images) and {_meta_path(out)}", file=sys.stderr)


def _meta_path(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def _print_folder_table(rows: list[dict], names: list[str]) -> None:
    from tabulate import tabulate

    table = [[row["image"], *(_fmt(row[n]) for n in names)] for row in rows]
    means = [_fmt(math.fsum(row[n] for row in rows) / len(rows)) for n in names]
    table.append([f"mean of {len(rows)}", *means])
    print(tabulate(table, headers=["image", *names], disable_numparse=True))


# --------------------------------------------------------------------------- metrics
def metrics_command(args: argparse.Namespace) -> int:
    """Handler of ``itmn-bench metrics``."""
    from bench.metrics.registry import list_metrics

    items = [
        {
            "name": m.name,
            "unit": m.unit,
            "higher_is_better": m.higher_is_better,
            "range": [json_number(float(v)) for v in m.value_range],
            "input": m.input_space,
            "description": m.description,
            "reference": m.reference,
            "config": m.config(args.ppd),
            "default": m.default,
        }
        for m in list_metrics()
    ]
    if args.json:
        print(json.dumps(items, indent=2, allow_nan=False))
        return 0
    from tabulate import tabulate

    rows = [
        [it["name"], it["unit"] or "-", "higher" if it["higher_is_better"] else "lower",
         f"[{it['range'][0]}, {it['range'][1]}]", it["input"], it["description"]]
        for it in items
    ]  # fmt: skip
    print(tabulate(rows, headers=["metric", "unit", "better", "range", "input", "description"]))
    opt_in = [m.name for m in list_metrics() if not m.default]
    if opt_in:
        print(f"\ncomputed only when named (--metric): {', '.join(opt_in)}")
    print()
    for it in items:
        print(f"{it['name']}: {it['config']}\n    reference: {it['reference']}")
    return 0
