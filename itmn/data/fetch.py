"""``itmn data fetch``: put a dataset's files into the cache, verified. Transfers are pooch's.

For every file of the dataset (images and licence files):

1. already in the cache (``<cache>/downloads/<repo>/<commit>/<path>``, or
   ``<cache>/downloads/sha256/<sha256>/<name>`` for a file of a user's manifest) with the right
   sha256 and size: nothing to do ("verified"); a corrupt cached copy is reported and removed;
2. otherwise it is copied from the mirror (a local folder or an http(s)/file URL laid out as
   ``<repo>/<commit>/<path>`` or ``<owner>/<repo>/<commit>/<path>``), or downloaded from its
   upstream URL when no mirror is given.

:func:`pooch.retrieve` does the transfer: the HTTP(S) download (requests, streamed, with the
timeout), a temporary file in the destination folder, the sha256 check, and the rename onto the
final name only after the check; a wrong, truncated or interrupted transfer is deleted, so
nothing half-written is ever left under the final name (nor any temporary file).

Kept by hand, because pooch cannot do it:

* **several candidate sources**: pooch fetches one URL per file; a mirror may use either of two
  layouts, so the candidates are tried in order and a missing file (HTTP 404, no such local file)
  moves on to the next;
* **local folders and file:// URLs**: pooch's downloaders speak HTTP(S), FTP, SFTP and DOI only.
  A local copy is a small downloader handed to pooch, so the temporary file, the check and the
  rename are still pooch's;
* **a byte-level progress callback** (``on_bytes``, one bar for a whole dataset): pooch's
  progress bar is per file (it sets its ``total`` per download and counts whole chunks); an
  adapter turns its updates into byte counts;
* **the size in the message**: pooch reports the expected and actual hash only; the downloader
  wrapper records the bytes written, so a message says "N bytes (expected M; truncated)";
* **one-line errors**: pooch raises ``ValueError`` and requests' exceptions; they become one
  line naming the file, the source and the cause (checksum, HTTP status, transfer cut short,
  timeout).

What no library here does: resuming a partial transfer (HTTP Range). Files are a few MB;
"resumable" means a second ``fetch`` skips every file already verified in the cache.

Every file is attempted; failures are collected and raised together as a ChecksumError (bad
content) or ItmnError (missing/unreachable), so one bad file does not hide the state of others.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from itmn import paths
from itmn.atomic import atomic_path, file_mode_for
from itmn.data.registry import RegisteredDataset, RemoteFile, UrlFile
from itmn.errors import ChecksumError, ItmnError
from itmn.fingerprint import sha256_file  # the suite's one file hash; importers use this name too

CHUNK = 1 << 16
Status = Literal["verified", "downloaded", "failed"]
Log = Callable[[str], None]
AnyFile = RemoteFile | UrlFile


@dataclass
class FetchResult:
    """What happened to one file."""

    file: AnyFile
    path: Path  #: final place in the cache
    status: Status
    source: str | None = None  #: where it was copied/downloaded from
    error: str | None = None
    bad_content: bool = False  #: the error is a sha256/size mismatch (not a missing file)


def _is_url(mirror: str) -> bool:
    return urllib.parse.urlparse(mirror).scheme in ("http", "https", "file")


def source_candidates(rf: AnyFile, mirror: str | None) -> list[str]:
    """Where the file is looked for, in order: the mirror's layouts, or the upstream URL."""
    if mirror is None:
        return [rf.url]
    if _is_url(mirror):
        base = mirror.rstrip("/")
        return [f"{base}/{urllib.parse.quote(str(rel))}" for rel in rf.mirror_relpaths()]
    return [str(Path(mirror).expanduser() / rel) for rel in rf.mirror_relpaths()]


def _local_path(candidate: str) -> Path | None:
    """The local file a candidate names (a path or a file:// URL); None for http(s)."""
    parsed = urllib.parse.urlparse(candidate)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme in ("http", "https"):
        return None
    return Path(candidate)


def describe_mismatch(rf: AnyFile, sha: str, size: int) -> str:
    """'sha256 X (expected Y), N bytes (expected M; truncated: K bytes missing)'."""
    if rf.size is None:
        return f"sha256 {sha} (expected {rf.sha256}), {size} bytes"
    note = ""
    if size < rf.size:
        note = f"; truncated: {rf.size - size} bytes missing"
    elif size > rf.size:
        note = f"; {size - rf.size} bytes too many"
    return f"sha256 {sha} (expected {rf.sha256}), {size} bytes (expected {rf.size}{note})"


# --------------------------------------------------------------------------- pooch adapters
class _Progress:
    """The progress-bar interface pooch's HTTPDownloader drives (``total``, ``update``, ``reset``,
    ``close``), turned into byte counts for ``on_bytes``. pooch counts whole chunks and, at the
    end, resets and adds the total: the counts are capped at the announced total."""

    def __init__(self, on_bytes: Callable[[int], None]) -> None:
        self.on_bytes = on_bytes
        self.total = 0
        self.done = 0

    def update(self, n: int) -> None:
        if self.total:
            n = max(0, min(int(n), self.total - self.done))
        self.done += n
        if n:
            self.on_bytes(n)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


class _LocalCopy:
    """A pooch downloader for a local file (pooch has none): a streamed copy."""

    def __init__(self, src: Path, on_bytes: Callable[[int], None]) -> None:
        self.src, self.on_bytes = src, on_bytes

    def __call__(self, url: str, output_file: str, pooch_obj: Any) -> None:
        with open(self.src, "rb") as fin, open(output_file, "wb") as fout:
            for chunk in iter(lambda: fin.read(CHUNK), b""):
                fout.write(chunk)
                self.on_bytes(len(chunk))


class _Recording:
    """Wraps a pooch downloader and records what it wrote to the temporary file (bytes, sha256)
    before pooch checks and deletes it, for the error message."""

    def __init__(self, inner: Callable[[str, str, Any], Any]) -> None:
        self.inner = inner
        self.size = 0
        self.sha256: str | None = None

    def __call__(self, url: str, output_file: str, pooch_obj: Any) -> None:
        try:
            self.inner(url, output_file, pooch_obj)
        finally:
            p = Path(output_file)
            self.size = p.stat().st_size if p.is_file() else 0
        self.sha256 = sha256_file(output_file)


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs every download at INFO on stderr; the fetch reports for itself."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _http_cause(exc: BaseException, timeout: float, got: int, rf: AnyFile) -> tuple[str, bool]:
    """(one-line cause, whether the next candidate should be tried) of a requests exception."""
    import requests
    import urllib3

    def chain(e: BaseException | None) -> Iterator[BaseException]:
        seen = set()
        while e is not None and id(e) not in seen:
            seen.add(id(e))
            yield e
            nxt = e.__cause__ or e.__context__
            if nxt is None and e.args and isinstance(e.args[0], BaseException):
                nxt = e.args[0]
            if nxt is None and isinstance(e, urllib3.exceptions.MaxRetryError):
                nxt = e.reason
            e = nxt

    causes = list(chain(exc))
    expected = f" of {rf.size}" if rf.size is not None else ""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}", True
    if any(isinstance(c, (urllib3.exceptions.ReadTimeoutError, requests.ReadTimeout)) for c in causes):
        # bytes still in requests' buffer (less than a chunk) are not counted: say only what was written
        return f"timed out: no data for {timeout:g} s" + (
            f" (after {got}{expected} bytes)" if got else ""
        ), False
    if any(isinstance(c, (urllib3.exceptions.ConnectTimeoutError, requests.ConnectTimeout)) for c in causes):
        return f"connection timed out after {timeout:g} s", True
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or any(
        isinstance(c, (urllib3.exceptions.ProtocolError, urllib3.exceptions.IncompleteRead)) for c in causes
    ):
        # bytes received: urllib3 counts them (requests hands over whole chunks only)
        short = [c for c in causes if isinstance(c, urllib3.exceptions.IncompleteRead)]
        if short and isinstance(short[0].partial, int):
            got = max(got, short[0].partial)
        return f"transfer cut short: the server closed the connection after {got}{expected} bytes", False
    if any(isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes):
        return "cannot connect (" + str(causes[-1]).split(": ", 1)[-1] + ")", True
    return f"{type(exc).__name__}: {exc}", False


# --------------------------------------------------------------------------- one file
def fetch_file(
    rf: AnyFile,
    cache: str | Path | None = None,
    mirror: str | None = None,
    *,
    timeout: float = 60.0,
    on_bytes: Callable[[int], None] = lambda n: None,
    log: Log = lambda msg: None,
) -> FetchResult:
    """Make sure ``rf`` is in the cache with the right content (see the module docstring).

    ``timeout``: seconds without any data (connecting, or between two reads) before an HTTP
    transfer is abandoned.
    """
    import pooch
    import requests

    dest = paths.downloads_dir(cache) / rf.relpath
    if dest.is_file():
        sha, size = sha256_file(dest), dest.stat().st_size
        if sha == rf.sha256 and (rf.size is None or size == rf.size):
            return FetchResult(rf, dest, "verified")
        log(f"{dest}: cached copy is corrupt ({describe_mismatch(rf, sha, size)}); fetching it again")
        dest.unlink()
    mode = file_mode_for(dest)  # what a new file gets here (the umask)
    tried: list[str] = []
    all_missing = True
    for cand in source_candidates(rf, mirror):
        local = _local_path(cand)
        if local is not None and not local.is_file():
            tried.append(f"{cand} (no such file)")
            continue
        progress = _Progress(on_bytes)
        inner = (
            _LocalCopy(local, on_bytes)
            if local is not None
            else pooch.HTTPDownloader(progressbar=progress, chunk_size=CHUNK, timeout=timeout)
        )
        rec = _Recording(inner)
        try:
            with _quiet_pooch():
                pooch.retrieve(cand, known_hash=f"sha256:{rf.sha256}", fname=dest.name, path=dest.parent,
                               downloader=rec)  # fmt: skip
        except ValueError:  # pooch: the hash does not match; it deleted the download
            return FetchResult(
                rf, dest, "failed", cand,
                f"{rf.path} from {cand}: {describe_mismatch(rf, rec.sha256 or '?', rec.size)}; "
                "nothing was written to the cache",
                bad_content=True,
            )  # fmt: skip
        except requests.RequestException as exc:
            cause, try_next = _http_cause(exc, timeout, rec.size, rf)
            if try_next:
                all_missing &= isinstance(exc, requests.HTTPError) and exc.response is not None and \
                    exc.response.status_code in (404, 410)  # fmt: skip
                tried.append(f"{cand} ({cause})")
                continue
            return FetchResult(
                rf,
                dest,
                "failed",
                cand,
                f"{rf.path}: reading {cand} failed: {cause}; nothing was written to the cache",
            )
        except OSError as exc:  # a local mirror file that cannot be read
            return FetchResult(rf, dest, "failed", cand, f"{rf.path}: reading {cand} failed ({exc})")
        if rf.size is not None and rec.size != rf.size:  # same sha256, other size: cannot happen
            dest.unlink(missing_ok=True)
            return FetchResult(rf, dest, "failed", cand, f"{rf.path} from {cand}: "
                               f"{describe_mismatch(rf, rf.sha256, rec.size)}", bad_content=True)  # fmt: skip
        os.chmod(dest, mode)  # pooch's temporary file was 0600; a cache may be shared
        return FetchResult(rf, dest, "downloaded", cand)
    what = "not found" if all_missing else "could not be fetched"
    return FetchResult(rf, dest, "failed", error=f"{rf.path}: {what}; tried {'; '.join(tried)}")


# --------------------------------------------------------------------------- a dataset
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
        total=sum(rf.size or 0 for rf in missing), unit="B", unit_scale=True, unit_divisor=1024,
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


def licence_copy_name(rf: AnyFile) -> str:
    """File name of a licence file in a prepared dataset's ``licences/``: ``<repo>-<file name>``."""
    if isinstance(rf, RemoteFile):
        return f"{rf.repo_name}-{Path(rf.path).name}"
    return f"{urllib.parse.urlparse(rf.url).hostname}-{rf.relpath.name}"


def copy_licence_files(
    dataset: RegisteredDataset, out_dir: Path, cache: str | Path | None = None
) -> list[Path]:
    """Copy the dataset's licence files from the cache to ``out_dir/licences/<repo>-<name>``.

    Two licence files with the same copy name (one repository at two commits) must have the same
    content; one copy is kept. Raises ItmnError otherwise.
    """
    copied: dict[str, Path] = {}
    shas: dict[str, str] = {}
    for rf in dataset.licence_files:
        name = licence_copy_name(rf)
        if name in shas:
            if shas[name] != rf.sha256:
                raise ItmnError(
                    f"dataset {dataset.name!r}: two different licence files would be copied to licences/{name}"
                )
            continue
        shas[name] = rf.sha256
        src = paths.downloads_dir(cache) / rf.relpath
        dst = out_dir / "licences" / name
        copied[name] = dst
        if dst.is_file() and sha256_file(dst) == rf.sha256:
            continue
        with atomic_path(dst, allow_empty=True) as tmp:
            shutil.copyfile(src, tmp)
    return list(copied.values())
