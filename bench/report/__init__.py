"""``itmn-bench report``: one self-contained HTML report per results folder.

``build_report(results_dir, out_dir=None, *, work=None, dataset=None, cache=None, ...)`` writes
a static site (``index.html`` + assets, no server, nothing fetched at view time) with the
folder's tables (sortable), every method beside the HDR reference per test image with an
exposure slider, false-colour luminance and HDR-VDP-2 probability-of-detection maps, training
curves, and the metadata. See docs/report.md for the encoding and its measured sizes.

Modules: ``collect`` (reading results folders, finding predictions, references and logs),
``encoding`` (compact HDR images for the browser), ``maps`` (cached HDR-VDP-2 maps), ``html``
(static fragments), ``build`` (the site); the command is ``bench.cli.report``.
"""

from __future__ import annotations

from bench.report.build import ReportSummary, build_report

__all__ = ["ReportSummary", "build_report"]
