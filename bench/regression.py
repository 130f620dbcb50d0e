"""Score regression check: compare a fresh per-image ``scores.csv`` with a committed one.

CI runs the ``smoke`` reproduction (seeded, CPU, deterministic) and compares it with
``results/smoke/scores.csv`` (tests/test_reproduce_smoke.py). When a change of scores is
intended, regenerate the expected file with::

    nox -s reproduce_table1 -- --profile smoke

and commit ``results/smoke/``. ``python -m bench.regression ACTUAL EXPECTED`` prints the same
comparison by hand.

Tolerances (relative, with an absolute floor for values near 0):

* classical operators (huo, ko, inverse-gamma, ...) are pure numpy/torch computations on fixed
  inputs: 1e-6, i.e. anything beyond float rounding is a change;
* learned methods train for a few seeded iterations; on CPU their runs are bit-reproducible on
  one machine, but convolution kernels may sum in another order on another CPU family: 1e-3,
  far below the effect of any change to a model, loss or schedule (the smoke ablations differ
  from iTMN by 1e-2 or more on mPSNR) and far above reordering noise (~1e-6).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.stats import agrees

LEARNED = ("itmn", "itmn-nodmse", "itmn-noadvreg", "drtm")
COMPARED = ("hdrvdp2", "mpsnr", "ssim", "mpsnr_toolbox", "pu21_psnr", "pu21_ssim")


@dataclass(frozen=True)
class Tolerance:
    rel: float
    abs: float


def tolerance_for(method: str) -> Tolerance:
    learned = method in LEARNED or method.startswith("itmn")
    return Tolerance(rel=1e-3, abs=1e-4) if learned else Tolerance(rel=1e-6, abs=1e-8)


def compare_scores(actual: pd.DataFrame, expected: pd.DataFrame, metrics: tuple[str, ...] = COMPARED) -> pd.DataFrame:
    """Rows that drift beyond tolerance, plus rows missing on either side (``problem`` says
    which). An empty frame means the scores agree."""
    key = ["method", "image"]
    a = actual.set_index(key)
    e = expected.set_index(key)
    problems: list[dict[str, object]] = []
    for k in sorted(set(e.index) - set(a.index)):
        problems.append({"method": k[0], "image": k[1], "metric": "*", "problem": "missing in the new run"})
    for k in sorted(set(a.index) - set(e.index)):
        problems.append({"method": k[0], "image": k[1], "metric": "*", "problem": "not in the expected file"})
    for k in sorted(set(a.index) & set(e.index)):
        tol = tolerance_for(k[0])
        for m in metrics:
            if m not in e.columns:
                continue
            if m not in a.columns:
                problems.append({"method": k[0], "image": k[1], "metric": m, "problem": "metric missing in the new run"})
                continue
            x, y = float(a.loc[k, m]), float(e.loc[k, m])
            if np.isnan(x) and np.isnan(y):
                continue
            if not agrees(x, y, tol.abs, tol.rel)[1]:
                problems.append(
                    {"method": k[0], "image": k[1], "metric": m, "expected": y, "actual": x, "diff": x - y,
                     "tolerance": max(tol.abs, tol.rel * abs(y)), "problem": "drift"}
                )  # fmt: skip
    return pd.DataFrame(problems)


def format_report(problems: pd.DataFrame) -> str:
    if problems.empty:
        return "scores agree with the expected file"
    cols = [c for c in ("method", "image", "metric", "expected", "actual", "diff", "tolerance", "problem") if c in problems]
    return (
        f"{len(problems)} score(s) differ from the expected file:\n"
        + problems[cols].to_markdown(index=False, floatfmt=".6g")
        + "\n\nIf the change is intended, regenerate the expected scores with "
        "`nox -s reproduce_table1 -- --profile smoke` and commit results/smoke/."
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.regression", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("actual", type=Path, help="scores.csv of the new run")
    p.add_argument("expected", type=Path, help="committed scores.csv (e.g. results/smoke/scores.csv)")
    args = p.parse_args(argv)
    problems = compare_scores(pd.read_csv(args.actual), pd.read_csv(args.expected))
    print(format_report(problems))
    return 0 if problems.empty else 1


if __name__ == "__main__":
    sys.exit(main())
