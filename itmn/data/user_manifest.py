"""Bring your own pinned dataset: ``itmn data fetch --manifest FILE`` (CSV or TOML).

A manifest lists HDR images at http(s) URLs, each pinned by its sha256, with its licence. It is
registered under a name without any code change and then works like a built-in dataset:
``itmn data fetch|prepare --dataset NAME``, ``itmn data list``, ``itmn train --set
data.dataset=NAME``.

Per image (CSV columns / TOML keys of ``[[image]]`` tables):

=================  =========  ===============================================================
``url``            required   http(s) URL of the file (.exr, .hdr, .pfm)
``sha256``         required   64 hex digits; the download is refused unless it matches
``licence``        required   licence identifier first (SPDX where there is one), then any
                              detail: ``CC-BY-4.0 (Jane Doe 2024)``; ``license`` is accepted
``name``           optional   short image name (default: the URL's file name without extension)
``size``           optional   bytes, checked too
``split``          optional   ``train`` | ``val`` | ``test``, on every row or on none (then the
                              folder rule: every 4th name in sorted order is test)
``projection``     optional   ``perspective`` | ``equirect`` (default: decided from the image,
                              equirect when exactly 2:1)
``licence_url``    optional   a licence file fetched with the images and kept beside them in the
``licence_sha256``            prepared dataset; both or neither
=================  =========  ===============================================================

TOML top-level keys: ``name``, ``description``, ``protocol`` (default: the current one, v2).
CSV: the name is ``--name`` or the file's stem.

Where the registration lives: the manifest is copied byte for byte to
``<cache>/datasets/<name>/manifest.csv`` (or ``.toml``), written atomically. Nothing else is
stored there; the files themselves go to the download cache like every dataset's (files at
``https://raw.githubusercontent.com/<owner>/<repo>/<40-hex commit>/<path>`` in the
``<repo>/<commit>/<path>`` layout, so a GitHub mirror serves them; others by content,
``sha256/<sha256>/<file name>``). Registering again under the same name replaces it.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from itmn import paths
from itmn.atomic import atomic_path
from itmn.data import registry
from itmn.errors import ItmnError
from itmn.protocol import PROTOCOLS

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
SUFFIXES = (".csv", ".toml")
IMAGE_KEYS = (
    "url",
    "sha256",
    "licence",
    "name",
    "size",
    "split",
    "projection",
    "licence_url",
    "licence_sha256",
)


def _fail(where: str, problem: str) -> ItmnError:
    return ItmnError(f"{where}: {problem}")


def _rows(path: Path, raw: bytes) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """[(where, row)], top-level keys. ``where`` names the file and the line/table for messages."""
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise _fail(str(path), f"not valid TOML ({exc})") from None
        images = data.pop("image", None)
        if not isinstance(images, list) or not images or not all(isinstance(t, dict) for t in images):
            raise _fail(str(path), "expected [[image]] tables (one per image)")
        unknown = sorted(set(data) - {"name", "description", "protocol"})
        if unknown:
            raise _fail(
                str(path),
                f"unknown top-level keys {unknown}; expected name, description, protocol, [[image]]",
            )
        return [(f"{path} [[image]] #{i}", t) for i, t in enumerate(images, 1)], data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(str(path), f"not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise _fail(str(path), "empty file (expected a CSV header: url,sha256,licence,...)")
    reader.fieldnames = header
    rows = [
        (f"{path} line {reader.line_num}", {k: (v or "").strip() for k, v in r.items() if k}) for r in reader
    ]
    if not rows:
        raise _fail(str(path), "no image rows under the header")
    return rows, {}


def _image(where: str, row: dict[str, Any]) -> dict[str, Any]:
    """Validated image entry of one row."""
    row = {("licence" if k == "license" else k): v for k, v in row.items()}
    unknown = sorted(k for k in row if k not in IMAGE_KEYS and row[k] not in ("", None))
    if unknown:
        raise _fail(where, f"unknown columns {unknown}; expected {', '.join(IMAGE_KEYS)}")
    for key in ("url", "sha256", "licence"):
        if not str(row.get(key) or "").strip():
            raise _fail(where, f"{key!r} is missing (required: url, sha256, licence)")
    url = str(row["url"]).strip()
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise _fail(where, f"url {url!r} is not an http(s) URL")
    sha = str(row["sha256"]).strip().lower()
    if not SHA_RE.match(sha):
        raise _fail(where, f"sha256 {row['sha256']!r} is not 64 hexadecimal digits")
    size: int | None = None
    if str(row.get("size") or "").strip():
        try:
            size = int(str(row["size"]).strip())
        except ValueError:
            size = -1
        if size < 0:
            raise _fail(where, f"size {row['size']!r} is not a number of bytes")
    name = str(row.get("name") or "").strip() or PurePosixPath(unquote(urlparse(url).path)).stem
    if not NAME_RE.match(name):
        raise _fail(where, f"image name {name!r}: expected letters, digits, '.', '_', '-' (at most 64)")
    split = str(row.get("split") or "").strip()
    if split and split not in registry.SPLITS:
        raise _fail(where, f"split {split!r}: expected train, val or test")
    projection = str(row.get("projection") or "").strip()
    if projection and projection not in ("perspective", "equirect"):
        raise _fail(where, f"projection {projection!r}: expected perspective or equirect")
    lic_url, lic_sha = (
        str(row.get("licence_url") or "").strip(),
        str(row.get("licence_sha256") or "").strip().lower(),
    )
    if bool(lic_url) != bool(lic_sha):
        raise _fail(
            where, "licence_url and licence_sha256 go together (a licence file is pinned like an image)"
        )
    if lic_url and urlparse(lic_url).scheme not in ("http", "https"):
        raise _fail(where, f"licence_url {lic_url!r} is not an http(s) URL")
    if lic_sha and not SHA_RE.match(lic_sha):
        raise _fail(where, f"licence_sha256 {lic_sha!r} is not 64 hexadecimal digits")
    return {"url": url, "sha256": sha, "size": size, "licence": str(row["licence"]).strip(), "name": name,
            "split": split, "projection": projection, "licence_url": lic_url, "licence_sha256": lic_sha}  # fmt: skip


def parse_manifest(
    path: str | Path, name: str | None = None, raw: bytes | None = None
) -> registry.RegisteredDataset:
    """Read and check a manifest (module docstring); ItmnError naming the file, the row and the
    problem otherwise. ``name``: the dataset's name (default: TOML ``name``, else the file stem)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise _fail(str(path), "expected a .csv or .toml manifest")
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise _fail(str(path), f"cannot be read ({exc.strerror or exc})") from None
    rows, top = _rows(path, raw)
    if name and top.get("name") and top["name"] != name:
        raise _fail(str(path), f"declares name {top['name']!r}, but it is registered as {name!r}")
    ds_name = name or str(top.get("name") or path.stem)
    if not NAME_RE.match(ds_name):
        raise _fail(str(path), f"dataset name {ds_name!r}: expected letters, digits, '.', '_', '-'")
    protocol = str(top.get("protocol") or registry.CURRENT_PROTOCOL)
    if protocol not in PROTOCOLS:
        raise _fail(str(path), f"protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
    entries = [_image(where, row) for where, row in rows]
    seen: dict[str, str] = {}
    for (where, _), e in zip(rows, entries):
        if e["name"] in seen:
            raise _fail(
                where, f"image name {e['name']!r} is also used at {seen[e['name']]} (names must be unique)"
            )
        seen[e["name"]] = where
    with_split = [e for e in entries if e["split"]]
    if with_split and len(with_split) != len(entries):
        where = next(w for (w, _), e in zip(rows, entries) if not e["split"])
        raise _fail(where, "has no split while other rows have one (give a split on every row or on none)")
    names = [e["name"] for e in entries]
    split = (
        {k: [e["name"] for e in entries if e["split"] == k] for k in registry.SPLITS
         if k != "val" or any(e["split"] == "val" for e in entries)}
        if with_split else registry.folder_split(names)
    )  # fmt: skip
    licences: dict[str, registry.RemoteFile | registry.UrlFile] = {}
    for (where, _), e in zip(rows, entries):
        if e["licence_url"]:
            rf = registry.remote_file_from_url(e["licence_url"], e["licence_sha256"])
            if e["licence_url"] in licences and licences[e["licence_url"]].sha256 != rf.sha256:
                raise _fail(where, f"licence file {e['licence_url']} is given two different sha256")
            licences[e["licence_url"]] = rf
    images = tuple(
        registry.SourceImage(e["name"], registry.remote_file_from_url(e["url"], e["sha256"], e["size"]),
                             e["licence"], e["projection"], "", e["url"])  # type: ignore[arg-type]
        for e in entries
    )  # fmt: skip
    ds = registry.RegisteredDataset(
        name=ds_name,
        description=str(top.get("description") or f"{len(images)} images of a user manifest"),
        images=images,
        licence_files=tuple(licences.values()),
        protocol=protocol,
        split_data=split,
        source=str(path),
    )
    ds.split()  # checks the split against the names
    return ds


def registered_names(cache: str | Path | None = None) -> list[str]:
    """Names of the datasets registered from manifests in ``<cache>/datasets``."""
    root = paths.datasets_dir(cache)
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and _manifest_file(d) is not None)


def _manifest_file(folder: Path) -> Path | None:
    found = [folder / f"manifest{s}" for s in SUFFIXES if (folder / f"manifest{s}").is_file()]
    return found[0] if found else None


def load_registered(name: str, cache: str | Path | None = None) -> registry.RegisteredDataset | None:
    """The dataset registered as ``name`` in the cache, or None."""
    if not NAME_RE.match(name):
        return None
    f = _manifest_file(paths.datasets_dir(cache) / name)
    return parse_manifest(f, name) if f is not None else None


def register_manifest(
    path: str | Path, name: str | None = None, cache: str | Path | None = None
) -> registry.RegisteredDataset:
    """Check ``path`` and register it: copy it to ``<cache>/datasets/<name>/manifest.<ext>``.
    Returns the dataset as loaded from that copy. A built-in name cannot be taken."""
    path = Path(path).expanduser()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(str(path), f"cannot be read ({exc.strerror or exc})") from None
    ds = parse_manifest(path, name, raw)
    if ds.name in registry.DATASETS:
        raise _fail(
            str(path), f"{ds.name!r} is a built-in dataset; register the manifest under another name (--name)"
        )
    folder = paths.datasets_dir(cache) / ds.name
    dest = folder / f"manifest{path.suffix.lower()}"
    with atomic_path(dest) as tmp:
        tmp.write_bytes(raw)
    for s in SUFFIXES:  # a registration replaces the previous one, whatever its format
        if s != path.suffix.lower():
            (folder / f"manifest{s}").unlink(missing_ok=True)
    return parse_manifest(dest, ds.name)
