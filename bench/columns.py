"""Which metrics a run scores and which appear as table columns (``--metrics``).

Default (no ``--metrics``): every image is scored with :data:`bench.evaluate.DEFAULT_METRICS` and
the tables show the paper's three, :data:`TABLE_METRICS` (HDR-VDP-2, mPSNR, SSIM), exactly as
before the option existed. With ``--metrics hdrvdp2,mpsnr,ssim,delta_e_itp`` the tables show those
columns in that order, and the scored set is the default one plus any listed metric not in it, so
``scores.csv`` keeps its columns and a table can always be re-rendered with the default columns.
Sort directions (best first, arrows, bold best, ablation signs) come from the metric registry's
``higher_is_better``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from itmn.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from bench.tables import MetricColumn

#: The paper's metrics: the table columns when ``--metrics`` is not given.
TABLE_METRICS = ("hdrvdp2", "mpsnr", "ssim")
def parse_metric_list(values: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Metric names from ``--metrics`` values ("a,b", or several such strings), checked against
    the registry (ConfigError naming the known ones), duplicates dropped, order kept; None when
    nothing was given."""
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    names: list[str] = []
    for item in items:
        for name in item.split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    if not names:
        raise ConfigError("--metrics needs at least one metric name (comma-separated); see 'itmn-bench metrics'")
    from bench.metrics.registry import get_metric

    for name in names:
        get_metric(name)  # ConfigError listing the registered metrics
    return tuple(names)


def table_metrics(selected: Sequence[str] | None) -> tuple[str, ...]:
    """The table's metric columns: ``selected``, or the paper's three."""
    return tuple(selected) if selected else TABLE_METRICS


def scored_metrics(selected: Sequence[str] | None, default: Sequence[str] | None = None) -> tuple[str, ...]:
    """The metrics each image is scored with: ``default`` (:data:`bench.evaluate.DEFAULT_METRICS`)
    followed by the selected ones it lacks. Without a selection: ``default`` exactly."""
    if default is None:
        from bench.evaluate import DEFAULT_METRICS

        default = DEFAULT_METRICS
    base = tuple(default)
    return base + tuple(n for n in (selected or ()) if n not in base)


def metric_columns(names: Sequence[str] = TABLE_METRICS) -> list[MetricColumn]:
    """Table columns for ``names``: label, sort direction from the registry, decimals."""
    from bench.metrics.registry import get_metric
    from bench.tables import MetricColumn

    cols = []
    for n in names:
        m = get_metric(n)
        cols.append(MetricColumn(n, m.label or n, m.higher_is_better, m.digits))
    return cols


def check_scores_have(scores: pd.DataFrame, names: Sequence[str]) -> None:
    """ConfigError unless every method in ``scores`` has values of every metric in ``names``
    (rows scored before a metric was selected have none)."""
    methods = list(dict.fromkeys(scores["method"]))
    for name in names:
        if name not in scores.columns:
            missing = methods
        else:
            empty = scores[name].isna().groupby(scores["method"], sort=False).all()
            missing = [m for m in methods if empty.get(m, True)]
        if missing:
            raise ConfigError(
                f"no {name!r} scores for method(s) {', '.join(map(str, missing))} in the per-image scores; "
                f"score them with {name!r} selected (--metrics ...,{name}) or leave it out of --metrics"
            )
