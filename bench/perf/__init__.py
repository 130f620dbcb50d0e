"""Benchmarks run by ``nox -s perf`` (``python -m bench.perf``).

Each module listed in :data:`MODULES` defines ``run(args) -> list[dict]``; a row is one
measurement with keys ``name``, ``value``, ``unit``, and where there is one, ``baseline``
(measured in the same run or a documented constant), ``ratio`` (value relative to the baseline)
and ``target``. Rows are printed as one table and written, with run metadata, to
``results/perf/perf-<device>.json``.
"""

MODULES = (
    "bench.perf.metrics",
    "bench.perf.colour_metrics",
    "bench.perf.hdrvdp3",
    "bench.perf.baselines",
    "bench.perf.training",
    "bench.perf.published",
)
