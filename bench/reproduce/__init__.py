"""Reproduce the paper's Table 1 (methods) and Table 2 (alpha/lambda sweep) end to end.

    python -m bench.reproduce table1 [--profile smoke|cpu|paper] [--dataset NAME|PATH] [--mirror DIR|URL]
    nox -s reproduce_table1 -- --profile smoke

Stages: fetch+prepare -> train the learned methods -> expand the test split with every method
-> score -> tables -> figures. Every stage is resumable:

* prepare is incremental (``itmn data prepare``);
* a training run lives in ``<work>/<slug>/runs/<name>-<config hash>``: a finished run with the
  same configuration is reused, an unfinished one resumed from its last checkpoint;
* predictions are written atomically (an existing file is complete) and scores are cached per
  image, keyed by the prediction's sha256 and the metric configuration strings;
* tables and figures are regenerated from the per-image scores.

Results go to ``<results>/<slug>/`` (``scores.csv``, ``metadata.json``, ``table1.{csv,md,tex}``;
for Table 2 ``table2_scores.csv``, ``table2_metadata.json``, ``table2.{csv,md,tex}``,
``figures/``), large intermediate files (runs, predictions, score cache) to ``<work>/<slug>/``.
"""

from bench.columns import TABLE_METRICS, metric_columns
from bench.reproduce.options import (
    EXTRA_METHODS,
    LABELS,
    LEARNED_VARIANTS,
    LR_SWEEP,
    PUBLISHED_LABELS,
    PUBLISHED_METHODS,
    TABLE1_METHODS,
    Options,
    choose_profile,
)
from bench.reproduce.pipeline import reproduce
from bench.reproduce.tables import write_tables
from bench.reproduce.training import RunSpec, training_specs

__all__ = [
    "EXTRA_METHODS",
    "LABELS",
    "LEARNED_VARIANTS",
    "LR_SWEEP",
    "PUBLISHED_LABELS",
    "PUBLISHED_METHODS",
    "TABLE1_METHODS",
    "Options",
    "TABLE_METRICS",
    "RunSpec",
    "choose_profile",
    "metric_columns",
    "reproduce",
    "training_specs",
    "write_tables",
]
