"""Static HTML fragments of the report: tables, markdown notes, provenance.

Rendered in Python so that the tables and the metadata read without JavaScript (report.js only
adds sorting and the interactive parts). Every piece of text from the results folder is
escaped; nothing here produces a link to another site.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.report.collect import CsvTable, parse_number


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class DisplayColumn:
    """A column as shown: ``keys`` are the CSV columns it shows (a mean with its CI bounds is
    one column ``"x [lo, hi]"``)."""

    header: str
    keys: tuple[str, ...]

    @property
    def base(self) -> str:
        k = self.keys[0]
        return k[: -len("_mean")] if k.endswith("_mean") else k


def display_columns(columns: Sequence[str]) -> list[DisplayColumn]:
    """Group ``<x>_ci_lo`` / ``<x>_ci_hi`` with ``<x>_mean`` (or ``<x>``); other columns stay as
    they are, in their order."""
    cols = list(columns)
    present = set(cols)
    merged: set[str] = set()
    out: list[DisplayColumn] = []
    for c in cols:
        base = c[: -len("_mean")] if c.endswith("_mean") else c
        lo, hi = f"{base}_ci_lo", f"{base}_ci_hi"
        if lo in present and hi in present and lo not in merged:
            out.append(DisplayColumn(f"{c} [95% CI]", (c, lo, hi)))
            merged.update((lo, hi))
    result: list[DisplayColumn] = []
    grouped = {d.keys[0]: d for d in out}
    for c in cols:
        if c in merged:
            continue
        result.append(grouped.get(c, DisplayColumn(c, (c,))))
    return result


def sort_value(v: float) -> str:
    """A number as JavaScript's parseFloat reads it (``Infinity``, not Python's ``inf``)."""
    if np.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(float(v))


def short_number(text: str, digits: int = 4) -> str:
    """A CSV number as shown in a table: ``digits`` significant digits (integers and text as
    written). The exact value stays in the cell's tooltip."""
    t = text.strip()
    try:
        v = float(t)
    except ValueError:
        return text
    if not np.isfinite(v) or re.fullmatch(r"[-+]?\d+", t):
        return t
    return f"{v:#.{digits}g}".rstrip(".")


def _cell(values: Sequence[str]) -> str:
    shown = [short_number(v) for v in values]
    if len(values) == 3 and values[0].strip():
        lo, hi = shown[1].strip(), shown[2].strip()
        return f"{shown[0].strip()} [{lo}, {hi}]" if lo or hi else shown[0].strip()
    return shown[0]


def render_table(
    table: CsvTable,
    *,
    table_id: str,
    column_notes: Mapping[str, str] | None = None,
    row_notes: Mapping[str, str] | None = None,
    caption: str | None = None,
) -> str:
    """A sortable ``<table>``: one header button per display column, cells carrying their
    number in ``data-v`` for sorting. ``column_notes[base]`` becomes a header tooltip (e.g. a
    metric's configuration string), ``row_notes[value of the first column]`` a cell tooltip."""
    cols = display_columns(table.columns)
    idx = {c: i for i, c in enumerate(table.columns)}
    column_notes = column_notes or {}
    row_notes = row_notes or {}
    parts = [f'<div class="table-wrap"><table class="sortable" id="{esc(table_id)}">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<thead><tr>")
    for c in cols:
        note = column_notes.get(c.base) or column_notes.get(c.keys[0])
        title = f' title="{esc(note)}"' if note else ""
        parts.append(
            f'<th scope="col" aria-sort="none"{title}><button type="button">{esc(c.header)}</button></th>'
        )
    parts.append("</tr></thead><tbody>")
    for row in table.rows:
        parts.append("<tr>")
        for j, c in enumerate(cols):
            vals = [row[idx[k]] if idx[k] < len(row) else "" for k in c.keys]
            text = _cell(vals)
            num = parse_number(vals[0]) if vals[0].strip() else None
            attrs = f' data-v="{sort_value(num)}"' if num is not None else ""
            tips = [row_notes[vals[0]]] if j == 0 and row_notes.get(vals[0]) else []
            if text != " ".join(vals) and num is not None:
                tips.append(" / ".join(v.strip() for v in vals))  # the exact values of the CSV
            if tips:
                attrs += f' title="{esc(" | ".join(tips))}"'
            cls = ' class="num"' if num is not None else ""
            parts.append(f"<td{cls}{attrs}>{esc(text)}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


# --------------------------------------------------------------------------- markdown
def render_markdown(text: str, *, heading_level: int = 4) -> str:
    """The subset of markdown the suite writes (headings, pipe tables, bullet lists, paragraphs,
    `code`) as HTML; anything else is shown as plain text. Pipe tables become sortable tables."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            flush()
            i += 1
        elif line.startswith("#"):
            flush()
            level = min(6, heading_level + len(line) - len(line.lstrip("#")) - 1)
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|"):
            flush()
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            out.append(_md_table(block))
        elif re.match(r"\s*[-*] ", line):
            flush()
            items = []
            while i < len(lines) and re.match(r"\s*[-*] ", lines[i]):
                item = re.sub(r"^\s*[-*] ", "", lines[i])
                items.append(f"<li>{_inline(item)}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
        else:
            para.append(line.strip())
            i += 1
    flush()
    return "\n".join(out)


def _inline(text: str) -> str:
    s = esc(text)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
    return s


def _split_row(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [c.strip() for c in inner.split("|")]


def _md_table(block: list[str]) -> str:
    rows = [_split_row(b) for b in block]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
    if not rows:
        return ""
    head, body = rows[0], rows[1:]
    parts = ['<div class="table-wrap"><table class="sortable md">', "<thead><tr>"]
    parts += [
        f'<th scope="col" aria-sort="none"><button type="button">{_inline(h)}</button></th>' for h in head
    ]
    parts.append("</tr></thead><tbody>")
    for r in body:
        cells = []
        for c in r:
            num = parse_number(c.replace("−", "-"))
            attrs = f' class="num" data-v="{sort_value(num)}"' if num is not None else ""
            cells.append(f"<td{attrs}>{_inline(c)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


# --------------------------------------------------------------------------- provenance
def _dl(items: Sequence[tuple[str, Any]]) -> str:
    rows = []
    for k, v in items:
        if v is None or v == "" or v == {} or v == []:
            continue
        if isinstance(v, list | tuple):
            v = " ".join(str(x) for x in v)
        elif isinstance(v, Mapping):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        rows.append(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>")
    return '<dl class="facts">' + "".join(rows) + "</dl>" if rows else ""


def _kv_table(title: str, mapping: Mapping[str, Any], key_header: str, value_header: str) -> str:
    if not mapping:
        return ""
    rows = "".join(
        f"<tr><td>{esc(k)}</td><td><code>{esc(v if not isinstance(v, Mapping) else json.dumps(v))}</code></td></tr>"
        for k, v in mapping.items()
    )
    return (
        f'<h4>{esc(title)}</h4><div class="table-wrap"><table class="kv"><thead><tr><th scope="col">{esc(key_header)}</th>'
        f'<th scope="col">{esc(value_header)}</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def render_metadata(name: str, meta: Mapping[str, Any]) -> str:
    """One metadata file: the facts a reader checks first, the configuration strings of every
    metric and method, training runs, wall times, and the whole file."""
    git = meta.get("git") or {}
    commit = git.get("commit") if isinstance(git, Mapping) else git
    dirty = " (uncommitted changes)" if isinstance(git, Mapping) and git.get("dirty") else ""
    device = meta.get("device") or {}
    dev = ", ".join(f"{k}={v}" for k, v in device.items()) if isinstance(device, Mapping) else str(device)
    cmd = meta.get("command_line")
    facts = [
        ("created (UTC)", meta.get("created_utc")),
        ("command", " ".join(cmd) if isinstance(cmd, list) else cmd),
        ("git commit", f"{commit}{dirty}" if commit else None),
        ("protocol", meta.get("protocol_version")),
        ("table", meta.get("table")),
        ("profile", f"{meta.get('profile')} ({meta.get('profile_reason')})" if meta.get("profile") else None),
        ("dataset", meta.get("dataset")),
        ("dataset manifest sha256", meta.get("dataset_manifest_hash")),
        ("test images", meta.get("test_images")),
        ("device", dev),
        ("versions", meta.get("versions")),
        ("seeds", meta.get("seed")),
        ("work folder", meta.get("work_dir")),
        ("prepared dataset", meta.get("prepared_dataset")),
    ]
    parts = [f'<section class="meta" aria-label="{esc(name)}"><h3>{esc(name)}</h3>', _dl(facts)]
    parts.append(
        _kv_table("Metric configuration strings", meta.get("metric_configs") or {}, "metric", "configuration")
    )
    parts.append(
        _kv_table("Method configuration strings", meta.get("method_configs") or {}, "method", "configuration")
    )
    runs = meta.get("training_runs") or {}
    if runs:
        rows = "".join(
            f"<tr><td>{esc(k)}</td><td><code>{esc(v.get('run_dir', ''))}</code></td><td><code>{esc(v.get('config_hash', ''))}</code></td></tr>"
            for k, v in runs.items()
            if isinstance(v, Mapping)
        )
        parts.append(
            '<h4>Training runs</h4><div class="table-wrap"><table class="kv"><thead><tr><th scope="col">run</th>'
            f'<th scope="col">folder</th><th scope="col">configuration sha256</th></tr></thead><tbody>{rows}</tbody></table></div>'
        )
    walls = meta.get("wall_seconds_per_stage") or {}
    gits = meta.get("git_per_stage") or {}
    if walls:
        rows = ""
        for k, v in walls.items():
            g = gits.get(k) if isinstance(gits, Mapping) else None
            gtxt = (
                (g.get("commit", "") + (" (dirty)" if g.get("dirty") else ""))
                if isinstance(g, Mapping)
                else ""
            )
            rows += (
                f'<tr><td>{esc(k)}</td><td class="num">{esc(v)}</td><td><code>{esc(gtxt)}</code></td></tr>'
            )
        parts.append(
            '<h4>Wall time per stage</h4><div class="table-wrap"><table class="kv"><thead><tr><th scope="col">stage</th>'
            f'<th scope="col">seconds</th><th scope="col">code (git commit)</th></tr></thead><tbody>{rows}</tbody></table></div>'
        )
    parts.append(
        f"<details><summary>The whole of {esc(name)}</summary><pre>{esc(json.dumps(meta, indent=2, default=str))}</pre></details>"
    )
    parts.append("</section>")
    return "".join(parts)
