"""Benchmark side of the suite: metrics, evaluation, tables, figures, reproduction, perf."""

import itmn  # noqa: F401  (sets the OpenMP wait policy before torch loads)
