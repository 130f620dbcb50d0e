"""Build the report of one results folder: a static site in one folder, viewable offline.

Layout of the output folder (default ``<results>/report/``)::

    index.html            tables, provenance and the page skeleton (readable without JavaScript)
    report.css, report.js the page's style and viewer (no library, nothing fetched)
    data/report.js        ``itmnReport.init({...})``: image list, per-image scores, curves, notes
    data/img-NNN.js       ``itmnReport.addImage(N, {...})``: one test image's encoded HDR images
                          and maps, loaded when the image is selected
    thumbs/NNN.jpg        small tone-mapped reference images for the image picker
    tables/               copies of the results folder's CSV / markdown / LaTeX tables
    figures/              the results folder's static figures, only when the viewer lacks images
                          or curves (otherwise they show nothing the viewer does not)

Image data is embedded as base64 inside ``<script>`` files because a page opened from
``file://`` may load scripts and show images from its folder, but Chromium forbids reading the
pixels of a local image file (the canvas becomes tainted) and forbids ``fetch()`` of local
files; pixels of ``data:`` images are readable.

The folder is written under a temporary name beside the destination and renamed into place, so
an interrupted build leaves the previous report intact.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import shutil
import string
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import collect, encoding, html, maps
from itmn import colour
from itmn.errors import ConfigError, ItmnError
from itmn.fingerprint import sha256_file

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_FILES = ("index.html", "report.js", "report.css")
#: the reference's key in an image's tiles (not a possible method name: contains a space)
REFERENCE = "reference (HDR)"
TABLE_SUFFIXES = (".csv", ".md", ".tex")


@dataclass
class ReportSummary:
    """What was written: the folder, its size in bytes (total and per kind of file), the number
    of test images and of image tiles (references + predictions), and the notes shown on the
    page (why something is missing)."""

    out_dir: Path
    total_bytes: int
    bytes_by_kind: dict[str, int]
    n_images: int
    n_tiles: int
    maps_computed: int
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        kinds = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(self.bytes_by_kind.items()))
        return (
            f"report {self.out_dir / 'index.html'}: {self.total_bytes / 1e6:.2f} MB ({kinds}); "
            f"{self.n_images} images, {self.n_tiles} image tiles, {self.maps_computed} HDR-VDP-2 maps computed"
        )


# --------------------------------------------------------------------------- images
@dataclass
class ImageSources:
    """Where the viewer's pixels come from: the work folder (predictions), the prepared dataset
    (references), and why either is missing."""

    work_dir: Path | None
    dataset: Any  # itmn.data.dataset.PreparedDataset | None
    dataset_root: Path | None
    notes: list[str]


def locate_images(
    results_dir: Path,
    metadata: Mapping[str, Mapping[str, Any]],
    *,
    work: str | Path | None,
    dataset: str | None,
    cache: str | Path | None,
) -> ImageSources:
    """Find the predictions and the references; every failure becomes a note, never an error."""
    from itmn.data.dataset import PreparedDataset
    from itmn.data.registry import resolve_prepared

    notes: list[str] = []
    lk = collect.find_work(results_dir, metadata, work, repo=REPO)
    if lk.path is None:
        notes.append(f"No predictions found, so the image viewer is empty. Looked in: {lk.why_missing()}. "
                     "Pass --work DIR (the reproduction's work folder).")  # fmt: skip
    else:
        runs = sorted({Path(str(s["run_dir"])).name for m in metadata.values() for s in (m.get("training_runs") or {}).values()
                       if isinstance(s, Mapping) and s.get("run_dir")})  # fmt: skip
        if runs and not any((lk.path / "runs" / r).is_dir() for r in runs):
            notes.append(f"The work folder {lk.path} holds none of the training runs recorded in the metadata ({', '.join(runs)}): "
                         "its predictions may come from another run. Each one is checked against this folder's scores "
                         "(a tile says so when they differ).")  # fmt: skip
    ds_obj = root = None
    recorded = [m.get("prepared_dataset") for m in metadata.values() if m.get("prepared_dataset")]
    names = (
        [dataset]
        if dataset
        else [*recorded, *[m.get("dataset") for m in metadata.values() if m.get("dataset")], "default"]
    )
    errors = []
    for name in dict.fromkeys(str(n) for n in names):
        try:
            root = resolve_prepared(name, cache)
            ds_obj = PreparedDataset(root)
            break
        except (ItmnError, OSError) as exc:
            errors.append(f"{name}: {exc}")
            root = None
    if ds_obj is None:
        notes.append("No prepared dataset found, so there are no reference images. " + "; ".join(e.rstrip(".") for e in errors)
                     + ". Pass --dataset NAME|PATH and --cache DIR.")  # fmt: skip
    else:
        want = {m.get("dataset_manifest_hash") for m in metadata.values() if m.get("dataset_manifest_hash")}
        have = {ds_obj.manifest.get("source_manifest_sha256"), ds_obj.manifest.get("hash")} - {None}
        if want and not (want & have):
            notes.append(f"The prepared dataset at {root} (manifest {sorted(have)}) is not the one these results "
                         f"were made with (manifest {sorted(want)}): its references are not shown.")  # fmt: skip
            ds_obj = None
    return ImageSources(lk.path, ds_obj, root, notes)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _encoded(enc: encoding.EncodedHDR) -> dict[str, Any]:
    return {
        "base": _b64(enc.base),
        "exp": _b64(enc.exponents),
        "w": enc.width,
        "h": enc.height,
        "q": enc.quality,
    }


def encode_image_set(
    image: str,
    methods: Sequence[str],
    sources: ImageSources,
    *,
    ppd: float,
    map_cache: Path | None,
    scores: Mapping[tuple[str, str], Mapping[str, float]],
    hdr_bytes_per_pixel: float,
    map_bytes_per_pixel: float,
) -> tuple[dict[str, Any], dict[str, Any], int, bytes | None]:
    """One test image: (payload of its data file, its entry in the index, maps computed,
    thumbnail JPEG of the reference or None).

    Each method's prediction is checked against the score cache of the work folder: a file whose
    sha256 differs from the one scored, or whose cached scores differ from this folder's
    ``scores`` beyond the CI regression tolerances, is shown with a warning."""
    from bench.evaluate import load_prediction
    from bench.regression import tolerance_for
    from bench.stats import agrees

    tiles: dict[str, Any] = {}
    entry: dict[str, Any] = {"name": image, "methods": [], "warnings": {}, "missing": {}}
    computed = 0
    ref709 = None
    ref_sha = ""
    if sources.dataset is not None:
        try:
            ref709 = encoding.to_display_primaries(sources.dataset.load_hdr(image))
            ref_sha = sha256_file(sources.dataset.root / "hdr" / f"{image}.exr")
        except (ItmnError, OSError) as exc:
            entry["missing"][REFERENCE] = f"reference not readable: {exc}"
    if ref709 is not None:
        tiles[REFERENCE] = _encoded(encoding.encode_hdr(ref709, bytes_per_pixel=hdr_bytes_per_pixel))
        entry["anchor"] = encoding.exposure_anchor(ref709)
        entry["methods"].append(REFERENCE)
    seen: dict[str, str] = {}
    for m in methods:
        if sources.work_dir is None:
            continue
        d = collect.find_prediction(sources.work_dir, m)
        path = None
        if d is not None:
            path = next(
                (
                    d / f"{image}{ext}"
                    for ext in (".exr", ".hdr", ".pfm", ".npy")
                    if (d / f"{image}{ext}").is_file()
                ),
                None,
            )
        if path is None:
            entry["missing"][m] = f"no prediction {image}.exr in {sources.work_dir / 'predictions' / m}"
            continue
        sha = sha256_file(path)
        warn = _consistency(sources.work_dir, m, image, sha, scores.get((m, image)), tolerance_for(m), agrees)
        if warn:
            entry["warnings"][m] = warn
        entry["methods"].append(m)
        if sha in seen:  # the same file under another name (Table 2's paper setting is Table 1's iTMN)
            tiles[m] = {"same_as": seen[sha]}
            continue
        seen[sha] = m
        try:
            pred, prim = load_prediction(path)
        except ItmnError as exc:
            entry["methods"].remove(m)
            entry["missing"][m] = f"unreadable prediction: {exc}"
            continue
        pred709 = encoding.to_display_primaries(
            pred if prim == "bt2020" else colour.convert_primaries(pred, prim, "bt2020")
        )
        tile = _encoded(encoding.encode_hdr(pred709, bytes_per_pixel=hdr_bytes_per_pixel))
        if ref709 is not None and pred709.shape == ref709.shape:
            key = maps.cache_key(sha, ref_sha, maps.map_config(ppd))
            p, new = maps.probability_map(pred709, ref709, ppd=ppd, cache_dir=map_cache, key=key)
            computed += int(new)
            em = encoding.encode_unit_map(p, bytes_per_pixel=map_bytes_per_pixel)
            tile["pmap"] = {"data": _b64(em.data), "w": em.width, "h": em.height, "q": em.quality}
        tiles[m] = tile
    thumb = _thumbnail(ref709) if ref709 is not None else None
    return {"image": image, "tiles": tiles}, entry, computed, thumb


def _consistency(
    work_dir: Path,
    method: str,
    image: str,
    sha: str,
    row: Mapping[str, float] | None,
    tol: Any,
    agrees: Callable,
) -> str | None:
    cached = collect.score_cache(work_dir, method, image)
    if cached is None:
        return None  # e.g. a predictions folder scored elsewhere: nothing to compare with
    if cached.get("sha256") and cached["sha256"] != sha:
        return "this prediction file changed after it was scored: the image may not match the scores"
    if row:
        bad = []
        for k, v in (cached.get("row") or {}).items():
            if k in row and isinstance(v, int | float) and v is not None:
                _, ok = agrees(float(row[k]), float(v), tol.abs, tol.rel)
                if not ok:
                    bad.append(f"{k} {row[k]:.6g} here, {v:.6g} in the work folder")
        if bad:
            return "the work folder's scores of this image differ from this results folder's: " + "; ".join(
                bad[:3]
            )
    return None


def _thumbnail(ref709: np.ndarray) -> bytes:
    from bench.figures import display_mapping, tonemap_for_display

    ref2020 = colour.convert_primaries(ref709, "bt709", "bt2020")
    return encoding.thumbnail_jpeg(tonemap_for_display(ref2020, display_mapping(ref2020)))


# --------------------------------------------------------------------------- colour maps
def colormap_bytes(name: str, n: int = 256) -> list[int]:
    """``n`` RGB triplets (0-255, flattened) of a matplotlib colour map, for the viewer's LUTs."""
    import matplotlib

    cmap = matplotlib.colormaps[name]
    rgb = np.round(np.asarray(cmap(np.linspace(0, 1, n)))[:, :3] * 255).astype(int)
    return rgb.ravel().tolist()


# --------------------------------------------------------------------------- main
def build_report(
    results_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    work: str | Path | None = None,
    dataset: str | None = None,
    cache: str | Path | None = None,
    map_cache: str | Path | None = None,
    images: bool = True,
    hdr_bytes_per_pixel: float = encoding.HDR_BYTES_PER_PIXEL,
    map_bytes_per_pixel: float = encoding.MAP_BYTES_PER_PIXEL,
    progress: bool = False,
) -> ReportSummary:
    """Write the report of ``results_dir`` to ``out_dir`` (default ``<results_dir>/report``).

    ``work``, ``dataset`` and ``cache`` say where predictions and references are (defaults
    follow the metadata, see :func:`locate_images`); without them, or with ``images=False``,
    the report has tables, curves and metadata and says why images are missing. HDR-VDP-2 maps
    are cached in ``map_cache`` (default ``<cache>/report-maps``)."""
    from itmn.paths import cache_dir

    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ConfigError(f"results folder {results_dir} does not exist")
    out = Path(out_dir) if out_dir is not None else results_dir / "report"
    tables = collect.discover_tables(results_dir)
    metadata = collect.load_metadata(results_dir)
    if not tables and not metadata:
        raise ConfigError(f"{results_dir}: no CSV table and no metadata.json (expected a results folder of "
                          "`python -m bench.reproduce` or `itmn-bench evaluate`)")  # fmt: skip
    notes: list[str] = []
    methods, image_names, scores = collect.per_image_scores(tables)
    if not image_names:
        image_names = list(dict.fromkeys(n for m in metadata.values() for n in (m.get("test_images") or [])))
    labels = collect.method_labels(tables)
    ppd = maps.hdrvdp2_ppd(metadata)
    if images:
        sources = locate_images(results_dir, metadata, work=work, dataset=dataset, cache=cache)
    else:
        sources = ImageSources(None, None, None, ["Images were not included (--no-images)."])
    notes += sources.notes
    mcache = Path(map_cache) if map_cache is not None else cache_dir(cache) / "report-maps"

    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        (tmp / "data").mkdir()
        (tmp / "thumbs").mkdir()
        index: list[dict[str, Any]] = []
        n_tiles = computed = 0
        have_images = sources.work_dir is not None or sources.dataset is not None
        bar = None
        if have_images and image_names:
            from tqdm import tqdm

            bar = tqdm(image_names, desc="report images", unit="img", disable=not progress, leave=False)
        for i, name in enumerate(bar if bar is not None else []):
            payload, entry, c, thumb = encode_image_set(
                name, methods, sources, ppd=ppd, map_cache=mcache, scores=scores,
                hdr_bytes_per_pixel=hdr_bytes_per_pixel, map_bytes_per_pixel=map_bytes_per_pixel,
            )  # fmt: skip
            computed += c
            if payload["tiles"]:
                fname = f"data/img-{i:03d}.js"
                _write_js(tmp / fname, f"itmnReport.addImage({i}, ", payload)
                entry["file"] = fname
                n_tiles += sum(1 for t in payload["tiles"].values() if "base" in t)
            if thumb is not None:
                (tmp / "thumbs" / f"{i:03d}.jpg").write_bytes(thumb)
                entry["thumb"] = f"thumbs/{i:03d}.jpg"
            index.append(entry)
        if not index:
            index = [{"name": n, "methods": [], "warnings": {}, "missing": {}} for n in image_names]

        logs, missing_logs = collect.find_training_logs(metadata, sources.work_dir, repo=REPO)
        curves = {name: collect.read_curve(p) for name, p in logs.items()}
        if missing_logs:
            where = sorted({str(c.parent) for cands in missing_logs.values() for c in cands})
            notes.append(f"Training curves missing for {', '.join(missing_logs)}: no log.csv in their run folders "
                         f"(looked under {', '.join(where)}).")  # fmt: skip
        copy_figures = not curves or not any(e.get("file") for e in index)
        figures = _copy_figures(results_dir, tmp) if copy_figures else []
        for t_file in sorted(results_dir.iterdir()):
            if t_file.is_file() and t_file.suffix in TABLE_SUFFIXES:
                (tmp / "tables").mkdir(exist_ok=True)
                shutil.copy2(t_file, tmp / "tables" / t_file.name)

        metric_cfgs: dict[str, str] = {}
        method_cfgs: dict[str, str] = {}
        for meta in metadata.values():
            metric_cfgs.update(meta.get("metric_configs") or {})
            method_cfgs.update(meta.get("method_configs") or {})
        data = {
            "title": _title(results_dir, metadata),
            "images": index,
            "methods": [
                {"key": m, "label": labels.get(m, m), "config": method_cfgs.get(m, "")} for m in methods
            ],
            "reference": REFERENCE,
            "scores": _score_payload(tables, scores, metric_cfgs),
            "curves": [{"name": n, "label": labels.get(n, n), **c} for n, c in curves.items()],
            "notes": notes,
            "encoding": {
                "block": encoding.BLOCK,
                "steps_per_stop": encoding.STEPS_PER_STOP,
                "gamma": encoding.GAMMA,
                "offset": encoding.EXP_OFFSET,
                "ev_range": list(encoding.EV_RANGE),
                "anchor_grey": encoding.ANCHOR_GREY,
                "hdr_bytes_per_pixel": hdr_bytes_per_pixel,
                "map_bytes_per_pixel": map_bytes_per_pixel,
            },  # fmt: skip
            "lum_range": [0.005, 1000.0],
            "colormaps": {"falsecolour": colormap_bytes("inferno"), "pmap": colormap_bytes("YlOrRd")},
            "ppd": ppd,
        }
        _write_js(tmp / "data" / "report.js", "itmnReport.init(", data)
        page = _render_index(
            results_dir, tables, metadata, notes, figures, metric_cfgs, method_cfgs, sources, data
        )
        (tmp / "index.html").write_text(page, encoding="utf-8")
        for f in ("report.js", "report.css"):
            (tmp / f).write_text(_template(f), encoding="utf-8")
        if not any((tmp / "thumbs").iterdir()):
            (tmp / "thumbs").rmdir()
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    sizes = folder_sizes(out)
    return ReportSummary(out, sum(sizes.values()), sizes, len(index), n_tiles, computed, notes)


def folder_sizes(folder: Path) -> dict[str, int]:
    """Bytes per kind of file: ``images`` (data/img-*.js), ``thumbs``, ``figures``, ``tables``,
    ``page`` (everything else)."""
    out: dict[str, int] = {}
    for p in folder.rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(folder).parts
        kind = (
            "images"
            if rel[0] == "data" and p.name.startswith("img-")
            else rel[0]
            if rel[0] in ("thumbs", "figures", "tables")
            else "page"
        )
        out[kind] = out.get(kind, 0) + p.stat().st_size
    return out


def _write_js(path: Path, prefix: str, obj: Any) -> None:
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=str)
    # "</" would close a <script> if the file were ever inlined; U+2028/9 end JS lines in old engines
    text = text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    path.write_text(prefix + text + ");\n", encoding="utf-8")


def _copy_figures(results_dir: Path, tmp: Path) -> list[str]:
    src = results_dir / "figures"
    if not src.is_dir():
        return []
    out = []
    for p in sorted(src.glob("*.png")):
        (tmp / "figures").mkdir(exist_ok=True)
        shutil.copy2(p, tmp / "figures" / p.name)
        out.append(f"figures/{p.name}")
    return out


def _replace_dir(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest``; a previous ``dest`` is moved aside first and removed after."""
    os.chmod(new, 0o755)
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.resolve().parent))
        os.replace(dest, old / dest.name)
    os.replace(new, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _template(name: str) -> str:
    return resources.files("bench.report").joinpath("templates", name).read_text(encoding="utf-8")


def _title(results_dir: Path, metadata: Mapping[str, Mapping[str, Any]]) -> str:
    meta = metadata.get("metadata.json") or next(iter(metadata.values()), {})
    bits = [f"results/{results_dir.name}"]
    if meta.get("profile"):
        bits.append(f"profile {meta['profile']}")
    if meta.get("dataset"):
        bits.append(f"dataset {meta['dataset']}")
    return "itmn-bench report: " + ", ".join(bits)


def _score_payload(
    tables: Sequence[collect.CsvTable],
    scores: Mapping[tuple[str, str], Mapping[str, float]],
    metric_cfgs: Mapping[str, str],
) -> dict[str, Any]:
    """Per-image scores for the viewer: the columns (registered metrics first), which are
    better higher, and ``{image: {method: {column: value}}}``."""
    from bench.metrics.registry import list_metrics

    registry = {m.name: m for m in list_metrics()}
    cols: list[str] = []
    for t in tables:
        if t.per_image:
            cols += [c for c in collect.numeric_columns(t) if c not in cols]
    # the metrics of the main tables (``<metric>_mean`` or ``<metric>`` columns) go on the image
    # tiles; every column is in the per-image table under them
    listed = {
        c[: -len("_mean")] if c.endswith("_mean") else c for t in tables if not t.per_image for c in t.columns
    }
    primary = [c for c in registry if c in cols and c in listed] or [c for c in registry if c in cols]
    ordered = primary + [c for c in registry if c in cols and c not in primary]
    by_image: dict[str, dict[str, dict[str, float]]] = {}
    for (m, im), row in scores.items():
        by_image.setdefault(im, {})[m] = {
            k: (v if np.isfinite(v) else (1e308 if v > 0 else -1e308)) for k, v in row.items()
        }
    return {
        "primary": primary,
        "columns": ordered + [c for c in cols if c not in ordered],
        "higher_is_better": {c: registry[c].higher_is_better for c in ordered},
        "configs": {c: metric_cfgs.get(c, registry[c].config()) for c in ordered},
        "by_image": by_image,
    }


def _render_index(
    results_dir: Path,
    tables: Sequence[collect.CsvTable],
    metadata: Mapping[str, Mapping[str, Any]],
    notes: Sequence[str],
    figures: Sequence[str],
    metric_cfgs: Mapping[str, str],
    method_cfgs: Mapping[str, str],
    sources: ImageSources,
    data: Mapping[str, Any],
) -> str:
    from itmn import __version__
    from itmn.runinfo import git_commit

    mds = collect.markdown_notes(results_dir)
    t_parts: list[str] = []
    per_image: list[str] = []
    more: list[str] = []
    for i, t in enumerate(tables):
        md_name = Path(t.name).with_suffix(".md").name
        head = (
            f'<h3 id="t-{i}">{html.esc(t.title)} <small>({html.esc(t.name)}, {len(t.rows)} rows)</small></h3>'
        )
        body = html.render_table(t, table_id=f"table-{i}", column_notes=metric_cfgs, row_notes=method_cfgs)
        if t.per_image:
            per_image.append(
                f"<details><summary>{html.esc(t.name)}: {len(t.rows)} per-image rows</summary>{body}</details>"
            )
            continue
        extra = ""
        if md_name in mds and md_name != t.name:
            extra = (f"<details><summary>Notes of {html.esc(md_name)} (ranking, paired comparisons, what reproduced)</summary>"
                     f'<div class="md">{html.render_markdown(mds[md_name])}</div></details>')  # fmt: skip
        if t.name in collect.TABLE_ORDER:
            t_parts.append(head + body + extra)
        else:
            more.append(
                f"<details><summary>{html.esc(t.title)} ({html.esc(t.name)}, {len(t.rows)} rows)</summary>{body}{extra}</details>"
            )
    if more:
        t_parts.append("<h3>More tables</h3>" + "".join(more))
    if per_image:
        t_parts.append("<h3>Per-image scores</h3>" + "".join(per_image))
    if not t_parts:
        t_parts.append('<p class="note">No CSV tables in this results folder.</p>')
    meta_parts = [html.render_metadata(n, m) for n, m in metadata.items()] or [
        '<p class="note">No metadata.json in this results folder.</p>'
    ]
    fig_html = "".join(
        f'<figure><img src="{html.esc(f)}" alt="{html.esc(Path(f).stem)}" loading="lazy"><figcaption>{html.esc(Path(f).name)}</figcaption></figure>'
        for f in figures
    )
    gc = git_commit()
    made = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    primary_meta = metadata.get("metadata.json") or next(iter(metadata.values()), {})
    git = primary_meta.get("git") or {}
    subtitle = " · ".join(
        html.esc(x) for x in (
            f"git {str(git.get('commit', ''))[:12]}" if isinstance(git, Mapping) and git.get("commit") else "",
            f"protocol {primary_meta.get('protocol_version')}" if primary_meta.get("protocol_version") else "",
            f"{len(data['images'])} test images, {len(data['methods'])} methods",
            f"made {primary_meta.get('created_utc')}" if primary_meta.get("created_utc") else "",
        ) if x
    )  # fmt: skip
    src_bits = [f"results folder <code>{html.esc(results_dir.resolve())}</code>"]
    if sources.work_dir:
        src_bits.append(f"predictions from <code>{html.esc(sources.work_dir)}</code>")
    if sources.dataset_root:
        src_bits.append(f"references from <code>{html.esc(sources.dataset_root)}</code>")
    footer = (
        f"Report made {made} by itmn-bench {html.esc(__version__)} (git {html.esc(str(gc.get('commit', ''))[:12])}"
        f"{' dirty' if gc.get('dirty') else ''}) from " + ", ".join(src_bits) + "."
    )
    notes_html = "".join(f"<li>{html.esc(n)}</li>" for n in notes)
    fields = {
        "title": html.esc(data["title"]),
        "subtitle": subtitle,
        "notes": f'<div class="notes" role="note"><h2>Notes</h2><ul>{notes_html}</ul></div>' if notes else "",
        "tables": "".join(t_parts),
        "figures": f'<section id="figures"><h2>Figures</h2><p>Static figures of the results folder (shown because the viewer lacks images or curves).</p><div class="figs">{fig_html}</div></section>'
        if figures
        else "",
        "provenance": "".join(meta_parts),
        "footer": footer,
        "ppd": html.esc(f"{data['ppd']:g}"),
    }
    return string.Template(_template("index.html")).substitute(fields)
