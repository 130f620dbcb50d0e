"""The paper's Table 1 and Table 2 values, read from ``results/paper/*.csv`` (the only place they
are written; see results/paper/README.md for the column attribution caveat)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from itmn.errors import ItmnError

#: Metrics the paper reports, in its row order.
PAPER_METRICS = ("hdrvdp2", "mpsnr", "ssim")
#: Table 2's settings in the paper's column order, as (alpha, lambda).
TABLE2_SETTINGS = ((1e3, 1e4), (1e5, 1e4), (1e7, 1e4), (1e5, 1e2), (1e5, 1e6))

ATTRIBUTION_CAVEAT = (
    "The header row of the paper's Table 1 is lost in the available text. Column 1 is iTMN "
    "(it equals Table 2's alpha=1e5/lambda=1e4 column); columns 2-6 are attributed to Huo, KO, "
    "DrTM, NoDMSE and NoAdvReg in the order the text introduces them, which is an inference."
)


def paper_dir() -> Path:
    """``$ITMN_PAPER_VALUES`` or ``results/paper`` of the source tree (editable install)."""
    env = os.environ.get("ITMN_PAPER_VALUES")
    path = Path(env) if env else Path(__file__).resolve().parent.parent / "results" / "paper"
    if not (path / "table1.csv").is_file():
        raise ItmnError(
            f"paper values not found in {path} (expected table1.csv, table2.csv); "
            "install the suite from its source tree (pip install -e .) or set ITMN_PAPER_VALUES"
        )
    return path


@dataclass(frozen=True)
class PaperTable1:
    values: pd.DataFrame  # index: method, columns: PAPER_METRICS
    attribution: dict[str, str]  # method -> "certain: ..." / "inferred: ..."
    column: dict[str, int]  # method -> printed column number

    def is_inferred(self, method: str) -> bool:
        return self.attribution.get(method, "").startswith("inferred")


def load_table1(path: Path | None = None) -> PaperTable1:
    df = pd.read_csv(path or paper_dir() / "table1.csv")
    df = df.set_index("method")
    return PaperTable1(
        values=df[list(PAPER_METRICS)].astype(float),
        attribution=df["attribution"].to_dict(),
        column=df["column"].astype(int).to_dict(),
    )


def load_table2(path: Path | None = None) -> pd.DataFrame:
    """Rows in the paper's column order with float ``alpha``, ``lambda`` and the metric values."""
    df = pd.read_csv(path or paper_dir() / "table2.csv", dtype={"alpha": str, "lambda": str})
    df["alpha"] = df["alpha"].astype(float)
    df["lambda"] = df["lambda"].astype(float)
    return df


def table2_method_name(alpha: float, lam: float) -> str:
    """The name the reproduction uses for one Table 2 setting, e.g. ``itmn[a=1e+05,l=1e+04]``."""
    return f"itmn[a={alpha:.0e},l={lam:.0e}]"
