"""``itmn-bench evaluate`` (score any method on the test split and add it to a table) and
``itmn-bench reproduce`` (the paper's tables end to end; what ``nox -s reproduce_table1`` runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

_EVAL_HELP = """\
Score a method on the prepared test split with the protocol every method gets (LDR made by
Reinhard's global operator; HDR-VDP-2 / mPSNR / SSIM / PU21 at the settings of the dataset's
protocol, v1 or v2), and add its per-image rows to RESULTS/scores.csv and the table rendered from it (rows of the same
label are replaced).

METHOD is one of:
  a registered method      huo, ko, inverse-gamma, itmn --checkpoint RUN, ... (itmn methods)
  a Python callable        mypackage.module:expand  (expand(ldr) -> linear BT.2020 cd/m^2)
or give --predictions DIR: a folder of HDR files named like the test images (<name>.exr ...).

examples:
  itmn-bench evaluate --method huo --results results/cpu
  itmn-bench evaluate --method mymodule:expand --label "My method" --results results/cpu
  itmn-bench evaluate --predictions preds/ --label "Paper X" --results results/cpu
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "evaluate", help="score a method (registered, module:function or a predictions folder) on the test split",
        description=_EVAL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--method", help="registered method name or module:function")
    g.add_argument("--predictions", type=Path, help="folder of predicted HDR files named like the test images")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="method parameter (repeatable)")
    p.add_argument("--checkpoint", default=None, help="run folder or checkpoint of a learned method")
    p.add_argument("--device", default=None, help="device of a learned method (cpu, cuda, ...)")
    p.add_argument("--label", default=None, help="name of the row in the table (default: the method name)")
    p.add_argument("--primaries", choices=("bt709", "bt2020"), default="bt2020",
                   help="primaries of prediction files that do not declare them (default bt2020, protocol v1)")
    p.add_argument("--dataset", default="public-v2",
                   help="prepared dataset: registered name or path (default: public-v2, the benchmark's; "
                   "`itmn data prepare --dataset NAME` first)")
    p.add_argument("--cache", default=None, help="cache folder ($ITMN_CACHE)")
    p.add_argument("--results", type=Path, default=Path("results/evaluate"),
                   help="results folder holding scores.csv and the table (default results/evaluate)")
    p.add_argument("--work", type=Path, default=None, help="folder for predictions and the score cache (default <results>/_work)")
    p.add_argument("--table", choices=("table1", "table2"), default="table1", help="which table to render (default table1)")
    p.add_argument("--ppd", type=float, default=30.0, help="HDR-VDP-2 pixels per degree (default 30, protocol v1)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    from bench.cli.reproduce import add_arguments, add_metrics_argument

    add_metrics_argument(p)
    p.set_defaults(handler="bench.cli.evaluate:evaluate_command")

    r = subparsers.add_parser(
        "reproduce", help="reproduce the paper's Table 1 or 2 end to end (what `nox -s reproduce_table1` runs)",
        description=__import__("bench.reproduce", fromlist=["__doc__"]).__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_arguments(r, with_table=True)
    r.set_defaults(handler="bench.cli.evaluate:reproduce_command")


def evaluate_command(args: argparse.Namespace) -> int:
    import pandas as pd

    from bench import evaluate
    from bench.cli.expand import parse_params
    from bench.columns import check_scores_have, parse_metric_list, scored_metrics, table_metrics
    from bench.reproduce import write_tables
    from itmn.atomic import atomic_path, check_output_dir
    from itmn.data.dataset import PreparedDataset
    from itmn.data.registry import resolve_prepared
    from itmn.errors import ConfigError

    selected = parse_metric_list(args.metrics)
    results: Path = args.results
    work = args.work or results / "_work"
    for folder in (results, work):  # before the method is built and any image expanded
        check_output_dir(folder)
    scores_csv = results / "scores.csv"
    old = _read_scores(scores_csv) if scores_csv.is_file() else None  # a damaged table: said before the work
    root = resolve_prepared(args.dataset, args.cache)
    ds = PreparedDataset(root)
    names = ds.names("test")
    if args.predictions is not None:
        target = evaluate.predictions_target(
            args.predictions, label=args.label, primaries=args.primaries, protocol=ds.protocol
        )
    elif ":" in args.method:
        if args.param or args.checkpoint:
            raise ConfigError("--param/--checkpoint apply to registered methods, not to module:function")
        target = evaluate.callable_target(args.method, label=args.label, protocol=ds.protocol)
    else:
        params = parse_params(args.param, args.checkpoint, args.device)
        target = evaluate.registered_target(args.method, label=args.label, protocol=ds.protocol, **params)

    preds = evaluate.expand_split(target, ds, names, work / "predictions" / evaluate.folder_name(target.name), progress=args.progress)
    rows, configs = evaluate.score_split(
        target, preds, ds, work / "scores" / evaluate.folder_name(target.name), metrics=scored_metrics(selected), ppd=args.ppd,
        progress=args.progress,
    )  # fmt: skip
    new = pd.DataFrame(rows)
    if old is not None:
        scores = pd.concat([old[old["method"] != target.name], new], ignore_index=True)
    else:
        scores = new
    check_scores_have(scores, table_metrics(selected))  # before anything is written
    results.mkdir(parents=True, exist_ok=True)
    with atomic_path(scores_csv) as tmp:
        scores.to_csv(tmp, index=False, float_format="%.10g")
    write_tables(
        args.table, results, scores, dataset_note=f"here: {len(names)} test images of dataset {args.dataset!r}.",
        metrics=selected,
    )  # fmt: skip
    mean = new[[c for c in table_metrics(selected) if c in new]].mean()
    print(f"{target.name}: " + ", ".join(f"{k} {v:.4g}" for k, v in mean.items()) + f" (mean over {len(new)} images)")
    print(f"config: {target.config}")
    print(f"wrote {scores_csv} and {results / (args.table + '.md')}")
    return 0


def reproduce_command(args: argparse.Namespace) -> int:
    from bench.cli.reproduce import checked_options
    from bench.reproduce import reproduce

    reproduce(checked_options(args, args.table))
    return 0


def _read_scores(path: Path) -> Any:
    """The per-image scores table of a results folder; ItmnError naming it when it is not one."""
    import pandas as pd

    from itmn.errors import ItmnError

    try:
        table = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise ItmnError(f"{path}: not a scores table ({exc}); move it away or choose another --results") from None
    if not {"method", "image"} <= set(table.columns):
        raise ItmnError(f"{path}: not a scores table (columns {list(table.columns)[:8]}, expected 'method' and 'image' "
                        "among them); move it away or choose another --results")  # fmt: skip
    return table


