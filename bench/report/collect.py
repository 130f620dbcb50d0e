"""What a results folder holds, and where its images and training logs are.

Pure readers of files: no rendering, no image encoding. A results folder (written by
``bench.reproduce`` or ``itmn-bench evaluate``) holds CSV tables (``table1.csv``,
``table1_summary.csv``, ``table2*.csv``, ``leaderboard.csv``, per-image ``scores.csv`` ...),
``*metadata.json`` and markdown renderings. Every CSV is read as it is (its own columns), so
tables added later appear without changes here. Predictions live in a work folder
(``<work>/predictions/<method>/<image>.exr``) and references in the prepared dataset; both are
looked up from the options and from the metadata, and every place tried is reported.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.evaluate import folder_name
from itmn.errors import ConfigError

#: tables shown first, in this order; any other CSV follows alphabetically
TABLE_ORDER = ("leaderboard.csv", "table1.csv", "table2.csv")
#: columns that identify the rows of a per-image score file
PER_IMAGE_KEYS = ("method", "image")
#: training-log points kept per run (evenly spaced, the last always kept)
CURVE_POINTS = 600


@dataclass
class CsvTable:
    """One CSV file: ``columns`` and ``rows`` as text, exactly as written."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]

    @property
    def per_image(self) -> bool:
        return all(k in self.columns for k in PER_IMAGE_KEYS)

    def column(self, name: str) -> list[str]:
        i = self.columns.index(name)
        return [r[i] if i < len(r) else "" for r in self.rows]

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, r + [""] * (len(self.columns) - len(r)))) for r in self.rows]


def read_csv_table(path: str | Path, title: str | None = None) -> CsvTable:
    """Read a CSV with a header row; a file that is not one raises ConfigError naming it."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read as CSV ({exc})") from None
    if not rows or not any(c.strip() for c in rows[0]):
        raise ConfigError(f"{path}: empty CSV (expected a header row of column names)")
    header = [c.strip() for c in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    for i, r in enumerate(body, start=2):
        if len(r) > len(header):
            raise ConfigError(f"{path}: line {i} has {len(r)} fields, the header has {len(header)}")
    return CsvTable(path.name, title or md_title(path.with_suffix(".md")) or path.name, header, body)


def md_title(path: Path) -> str | None:
    """The first markdown heading of ``path`` (without '#'), or None."""
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None


def discover_tables(results_dir: str | Path) -> list[CsvTable]:
    """Every ``*.csv`` directly in ``results_dir``: the main tables first (TABLE_ORDER), then the
    other summary tables, then the per-image score files, each group alphabetically."""
    d = Path(results_dir)
    files = sorted(p for p in d.glob("*.csv") if p.is_file())
    tables = [read_csv_table(p) for p in files]

    def order(t: CsvTable) -> tuple[int, int, str]:
        main = TABLE_ORDER.index(t.name) if t.name in TABLE_ORDER else len(TABLE_ORDER)
        return (1 if t.per_image else 0, main, t.name)

    return sorted(tables, key=order)


def load_metadata(results_dir: str | Path) -> dict[str, dict[str, Any]]:
    """``{file name: parsed JSON}`` for every ``*metadata.json`` in ``results_dir`` (``metadata.json``
    first). An unreadable file raises ConfigError naming it."""
    d = Path(results_dir)
    out: dict[str, dict[str, Any]] = {}
    for p in sorted(d.glob("*metadata.json"), key=lambda p: (p.name != "metadata.json", p.name)):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{p}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: expected a JSON object, got {type(data).__name__}")
        out[p.name] = data
    return out


def markdown_notes(results_dir: str | Path) -> dict[str, str]:
    """``{file name: text}`` of the markdown renderings beside the CSV tables."""
    d = Path(results_dir)
    return {
        p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(d.glob("*.md")) if p.is_file()
    }


# --------------------------------------------------------------------------- numbers
def parse_number(text: str) -> float | None:
    """The number a table cell starts with (``"61.02 [55.6, 65.7]"`` -> 61.02), None if none.
    ``inf``/``-inf`` are numbers; ``nan`` and empty cells are not."""
    m = re.match(
        r"\s*([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf(?:inity)?))", text, re.IGNORECASE
    )
    if not m:
        return None
    v = float(m.group(1))
    return None if math.isnan(v) else v


def numeric_columns(table: CsvTable) -> list[str]:
    """Columns whose every non-empty cell is a plain number."""
    out = []
    for i, c in enumerate(table.columns):
        cells = [r[i].strip() for r in table.rows if i < len(r) and r[i].strip()]
        if cells and all(_is_float(v) for v in cells):
            out.append(c)
    return out


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def method_labels(tables: Iterable[CsvTable]) -> dict[str, str]:
    """``{method: label}`` from every table that has both a ``method`` and a ``label`` column."""
    labels: dict[str, str] = {}
    for t in tables:
        if "method" in t.columns and "label" in t.columns:
            for m, lab in zip(t.column("method"), t.column("label")):
                if m and lab:
                    labels.setdefault(m, lab)
    return labels


# --------------------------------------------------------------------------- work folder
@dataclass
class Lookup:
    """Where something was found (``path``, None if nowhere) and every place tried, with why it
    was not taken."""

    path: Path | None
    tried: list[str] = field(default_factory=list)

    def why_missing(self) -> str:
        return "; ".join(self.tried) if self.tried else "nothing to look for"


def _slug_dir(candidate: Path, slug: str) -> Path | None:
    """``candidate`` if it holds ``predictions/``, else ``candidate/<slug>`` if that does."""
    if (candidate / "predictions").is_dir():
        return candidate
    if slug and (candidate / slug / "predictions").is_dir():
        return candidate / slug
    return None


def _run_dirs(metadata: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out = []
    for meta in metadata.values():
        for spec in (meta.get("training_runs") or {}).values():
            if isinstance(spec, Mapping) and spec.get("run_dir"):
                out.append(str(spec["run_dir"]))
        for cfg in (meta.get("method_configs") or {}).values():
            m = re.search(r"checkpoint=(\S+)", str(cfg))
            if m:
                out.append(m.group(1))
    return out


def find_work(
    results_dir: str | Path,
    metadata: Mapping[str, Mapping[str, Any]],
    work: str | Path | None = None,
    *,
    repo: str | Path | None = None,
) -> Lookup:
    """The work folder holding ``predictions/<method>/<image>.exr`` for this results folder.

    ``work`` (the option; the folder itself or its parent holding ``<slug>/``) is the only place
    looked at when given. Otherwise, in turn: ``work_dir`` recorded in the metadata; the folder
    two levels above a recorded training run (``<work>/runs/<run>``), relative paths taken from
    ``repo`` (the checkout that ran the reproduction) and from the current directory; and
    ``<results>/_work`` (``itmn-bench evaluate``'s default). The slug is the results folder's
    name (``results/<slug>/`` beside ``work/<slug>/``)."""
    results_dir = Path(results_dir)
    slug = results_dir.name
    tried: list[str] = []

    def check(p: Path, origin: str) -> Path | None:
        found = _slug_dir(p, slug)
        if found is None:
            tried.append(
                f"{p} ({origin}): no predictions/ folder" + (f" in it or in {slug}/" if slug else "")
            )
        return found

    if work is not None:
        found = check(Path(work).expanduser(), "--work")
        return Lookup(found.resolve() if found else None, tried)
    candidates: list[tuple[Path, str]] = []
    for name, meta in metadata.items():
        if meta.get("work_dir"):
            candidates.append((Path(str(meta["work_dir"])), f"work_dir in {name}"))
    bases = [Path(repo)] if repo else []
    bases.append(Path.cwd())
    for rd in _run_dirs(metadata):
        p = Path(rd)
        parent = p.parent.parent if p.parent.name == "runs" else None
        if parent is None:
            continue
        if p.is_absolute():
            candidates.append((parent, "from a recorded training run"))
        else:
            candidates.extend((b / parent, "from a recorded training run") for b in bases)
    candidates.append((results_dir / "_work", "itmn-bench evaluate's default"))
    seen: set[str] = set()
    for p, origin in candidates:
        key = str(p.resolve()) if p.exists() else str(p)
        if key in seen:
            continue
        seen.add(key)
        found = check(p, origin)
        if found is not None:
            return Lookup(found.resolve(), tried)
    return Lookup(None, tried)


def find_prediction(work_dir: Path, method: str) -> Path | None:
    """``<work>/predictions/<method>/`` (or the file-system-safe name ``itmn-bench evaluate`` uses)."""
    for name in (method, folder_name(method)):
        d = work_dir / "predictions" / name
        if d.is_dir():
            return d
    return None


def score_cache(work_dir: Path, method: str, image: str) -> dict[str, Any] | None:
    """The cached score record of (method, image) written by ``bench.evaluate.score_split``
    (``sha256`` of the prediction scored, ``row`` of values), or None."""
    for name in (method, folder_name(method)):
        p = work_dir / "scores" / name / f"{image}.json"
        if p.is_file():
            try:
                data = json.loads(p.read_text())
            except (OSError, json.JSONDecodeError):
                return None
            return data if isinstance(data, dict) else None
    return None


# --------------------------------------------------------------------------- training logs
def find_training_logs(
    metadata: Mapping[str, Mapping[str, Any]], work_dir: Path | None, *, repo: str | Path | None = None
) -> tuple[dict[str, Path], dict[str, list[Path]]]:
    """``({run name: log.csv}, {run whose log was not found: run folders tried})``. A run folder
    is looked for where it was recorded (absolute, or relative to ``repo`` / the current
    directory) and under ``<work>/runs/`` by its folder name."""
    found: dict[str, Path] = {}
    missing: dict[str, list[Path]] = {}
    for meta in metadata.values():
        for name, spec in (meta.get("training_runs") or {}).items():
            if name in found or not isinstance(spec, Mapping) or not spec.get("run_dir"):
                continue
            rd = Path(str(spec["run_dir"]))
            cands = [rd] if rd.is_absolute() else [Path(repo) / rd] if repo else []
            if not rd.is_absolute():
                cands.append(Path.cwd() / rd)
            if work_dir is not None:
                cands.append(work_dir / "runs" / rd.name)
            cands = list(
                dict.fromkeys(c.resolve() if c.exists() else Path(os.path.normpath(c)) for c in cands)
            )
            log = next((c / "log.csv" for c in cands if (c / "log.csv").is_file()), None)
            if log is None:
                missing[name] = cands
            else:
                found[name] = log
    return found, missing


def read_curve(path: str | Path, points: int = CURVE_POINTS) -> dict[str, Any]:
    """A training log (``iteration`` column first, then losses ...) reduced to at most
    ``points`` evenly spaced rows (the last row always kept), numbers to 6 significant digits;
    non-numeric or missing values become None. Returns ``{"columns": [...], "rows": [[...]]}``."""
    table = read_csv_table(path)
    n = len(table.rows)
    if n > points:
        idx = sorted({round(i * (n - 1) / (points - 1)) for i in range(points)})
    else:
        idx = list(range(n))
    rows = []
    for i in idx:
        r = table.rows[i]
        rows.append([_short(r[j]) if j < len(r) else None for j in range(len(table.columns))])
    return {"columns": table.columns, "rows": rows, "n_rows": n}


def _short(v: str) -> float | None:
    try:
        f = float(v)
    except ValueError:
        return None
    if not math.isfinite(f):
        return None
    return float(f"{f:.6g}")


# --------------------------------------------------------------------------- per-image scores
def per_image_scores(
    tables: Sequence[CsvTable],
) -> tuple[list[str], list[str], dict[tuple[str, str], dict[str, float]]]:
    """From every per-image table: (methods in order of appearance, images in order, and
    ``{(method, image): {numeric column: value}}``)."""
    methods: list[str] = []
    images: list[str] = []
    values: dict[tuple[str, str], dict[str, float]] = {}
    for t in tables:
        if not t.per_image:
            continue
        num = [c for c in numeric_columns(t) if c not in PER_IMAGE_KEYS]
        for rec in t.records():
            m, im = rec["method"], rec["image"]
            if not m or not im:
                continue
            if m not in methods:
                methods.append(m)
            if im not in images:
                images.append(im)
            row = values.setdefault((m, im), {})
            for c in num:
                if rec.get(c, "").strip():
                    row[c] = float(rec[c])
    return methods, images, values
