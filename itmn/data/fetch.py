"""``itmn data fetch``: put a registered dataset's files into the cache, verified.

For every file of the dataset (images and licence files):

1. already in the cache (``<cache>/downloads/<repo>/<commit>/<path>``) with the right sha256:
   nothing to do ("verified");
2. otherwise it is copied from the mirror (a local folder or an http(s)/file URL laid out as
   ``<repo>/<commit>/<path>`` or ``<owner>/<repo>/<commit>/<path>``), or downloaded from its
   upstream URL when no mirror is given, into a temporary name in the destination folder while
   its sha256 and size are computed; only a file whose sha256 and size match the registry is
   renamed into place. A wrong or truncated file is deleted and reported (expected vs actual
   sha256 and size); nothing half-written is ever left under the final name.

Every file is attempted; failures are collected and raised together as a ChecksumError (bad
content) or ItmnError (missing/unreachable), so one bad file does not hide the state of others.
A corrupt file already in the cache is reported and fetched again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from itmn import paths
from itmn.atomic import file_mode_for
from itmn.data.registry import RegisteredDataset, RemoteFile
from itmn.errors import ChecksumError, ItmnError

CHUNK = 1 << 20
Status = Literal["verified", "downloaded", "failed"]
Log = Callable[[str], None]


@dataclass
class FetchResult:
    """What happened to one file."""

    file: RemoteFile
    path: Path  #: final place in the cache
    status: Status
    source: str | None = None  #: where it was copied/downloaded from
    error: str | None = None
    bad_content: bool = False  #: the error is a sha256/size mismatch (not a missing file)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_url(mirror: str) -> bool:
    return urllib.parse.urlparse(mirror).scheme in ("http", "https", "file")


def source_candidates(rf: RemoteFile, mirror: str | None) -> list[str]:
    """Where the file is looked for, in order: the mirror's two layouts, or the upstream URL."""
    if mirror is None:
        return [rf.url]
    if _is_url(mirror):
        base = mirror.rstrip("/")
        return [f"{base}/{urllib.parse.quote(str(rel))}" for rel in rf.mirror_relpaths()]
    return [str(Path(mirror).expanduser() / rel) for rel in rf.mirror_relpaths()]


class _SourceMissing(Exception):
    pass


@dataclass
class _Opened:
    stream: IO[bytes]
    source: str


def _open_source(rf: RemoteFile, mirror: str | None, timeout: float) -> _Opened:
    """Open the first candidate that exists; _SourceMissing listing every place tried otherwise."""
    tried: list[str] = []
    for cand in source_candidates(rf, mirror):
        if _is_url(cand):
            try:
                resp = urllib.request.urlopen(cand, timeout=timeout)  # noqa: S310 (http(s)/file only)
                return _Opened(resp, cand)
            except urllib.error.HTTPError as exc:
                tried.append(f"{cand} (HTTP {exc.code} {exc.reason})")
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                tried.append(f"{cand} ({reason})")
        else:
            p = Path(cand)
            if p.is_file():
                return _Opened(open(p, "rb"), cand)
            tried.append(f"{cand} (no such file)")
    raise _SourceMissing("; ".join(tried))


def _copy_verified(
    rf: RemoteFile, opened: _Opened, dest: Path, on_bytes: Callable[[int], None]
) -> tuple[str, int, Path | None]:
    """Stream into a temporary file next to ``dest`` computing sha256 and size.
    Returns (sha256, size, temporary path), the temporary file still to be renamed or removed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    h = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out, opened.stream as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                out.write(chunk)
                h.update(chunk)
                size += len(chunk)
                on_bytes(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return h.hexdigest(), size, Path(tmp)


def describe_mismatch(rf: RemoteFile, sha: str, size: int) -> str:
    """'sha256 X (expected Y), N bytes (expected M; truncated)'."""
    note = ""
    if size < rf.size:
        note = f"; truncated: {rf.size - size} bytes missing"
    elif size > rf.size:
        note = f"; {size - rf.size} bytes too many"
    return f"sha256 {sha} (expected {rf.sha256}), {size} bytes (expected {rf.size}{note})"


def fetch_file(
    rf: RemoteFile,
    cache: str | Path | None = None,
    mirror: str | None = None,
    *,
    timeout: float = 60.0,
    on_bytes: Callable[[int], None] = lambda n: None,
    log: Log = lambda msg: None,
) -> FetchResult:
    """Make sure ``rf`` is in the cache with the right content (see the module docstring)."""
    dest = paths.downloads_dir(cache) / rf.relpath
    if dest.is_file():
        sha, size = sha256_file(dest), dest.stat().st_size
        if sha == rf.sha256 and size == rf.size:
            return FetchResult(rf, dest, "verified")
        log(f"{dest}: cached copy is corrupt ({describe_mismatch(rf, sha, size)}); fetching it again")
        dest.unlink()
    try:
        opened = _open_source(rf, mirror, timeout)
    except _SourceMissing as exc:
        return FetchResult(rf, dest, "failed", error=f"{rf.path}: not found; tried {exc}")
    try:
        sha, size, tmp = _copy_verified(rf, opened, dest, on_bytes)
    except (OSError, urllib.error.URLError) as exc:
        return FetchResult(
            rf, dest, "failed", opened.source, f"{rf.path}: reading {opened.source} failed ({exc})"
        )
    if sha != rf.sha256 or size != rf.size:
        tmp.unlink(missing_ok=True)
        return FetchResult(
            rf, dest, "failed", opened.source,
            f"{rf.path} from {opened.source}: {describe_mismatch(rf, sha, size)}; nothing was written to the cache",
            bad_content=True,
        )  # fmt: skip
    os.chmod(tmp, file_mode_for(dest))  # mkstemp made it 0600; a cache may be shared
    os.replace(tmp, dest)
    return FetchResult(rf, dest, "downloaded", opened.source)


def fetch_dataset(
    dataset: RegisteredDataset,
    *,
    cache: str | Path | None = None,
    mirror: str | None = None,
    progress: bool = True,
    timeout: float = 60.0,
    log: Log | None = None,
) -> list[FetchResult]:
    """Fetch every file of ``dataset`` into the cache and verify it; returns one result per file.

    ``mirror`` defaults to ``$ITMN_DATA_MIRROR`` (:func:`itmn.paths.data_mirror`). Raises
    ChecksumError when any file had the wrong content, ItmnError when any could not be found or
    read — after trying every file.
    """
    from tqdm import tqdm

    mirror = paths.data_mirror(mirror)
    say: Log = log or (lambda msg: print(f"[itmn data fetch] {msg}", file=sys.stderr))
    files = dataset.files()
    # the bar counts bytes of the files that are not yet in the cache
    missing = [rf for rf in files if not (paths.downloads_dir(cache) / rf.relpath).is_file()]
    results: list[FetchResult] = []
    with tqdm(
        total=sum(rf.size for rf in missing), unit="B", unit_scale=True, unit_divisor=1024,
        desc=f"fetch {dataset.name}", disable=not progress or not missing, file=sys.stderr, leave=False,
    ) as bar:  # fmt: skip
        for rf in files:
            res = fetch_file(rf, cache, mirror, timeout=timeout, on_bytes=bar.update, log=say)
            results.append(res)
            if res.status == "failed":
                say(f"FAILED {res.error}")
    n = {s: sum(r.status == s for r in results) for s in ("verified", "downloaded", "failed")}
    parts = []
    if n["downloaded"]:
        parts.append(f"{n['downloaded']} fetched from {mirror or 'the upstream URLs'}")
    if n["verified"]:
        parts.append(f"{n['verified']} already present and verified")
    if n["failed"]:
        parts.append(f"{n['failed']} failed")
    say(f"{dataset.name}: {len(files)} files in {paths.downloads_dir(cache)}: {', '.join(parts)}")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        msg = f"{len(failed)} of {len(files)} files of dataset {dataset.name!r} failed:\n  " + "\n  ".join(
            str(r.error) for r in failed
        )
        raise (ChecksumError if any(r.bad_content for r in failed) else ItmnError)(msg)
    return results


def copy_licence_files(
    dataset: RegisteredDataset, out_dir: Path, cache: str | Path | None = None
) -> list[Path]:
    """Copy the dataset's licence files from the cache to ``out_dir/licences/<repo>-<name>``."""
    copied = []
    for rf in dataset.licence_files:
        src = paths.downloads_dir(cache) / rf.relpath
        dst = out_dir / "licences" / f"{rf.repo_name}-{Path(rf.path).name}"
        if dst.is_file() and sha256_file(dst) == rf.sha256:
            copied.append(dst)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.chmod(tmp, file_mode_for(dst))  # mkstemp made it 0600
            os.replace(tmp, dst)
        finally:
            Path(tmp).unlink(missing_ok=True)
        copied.append(dst)
    return copied
