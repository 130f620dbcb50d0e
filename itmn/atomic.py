"""Atomic file writes: the one place that writes to a temporary name and renames.

Every file the suite writes (images, checkpoints, logs, JSON, CSV, tables, figures, downloads)
goes through :func:`atomic_path`: the content is written to a uniquely named temporary file in the
destination folder (``.<stem>.<random>.tmp<suffix>``: hidden, so folder readers skip it, and with
the real extension, because OpenImageIO and matplotlib pick the format from it), flushed to disk
and renamed onto the destination only when the block finished without an exception. A crash, a
SIGKILL or a full disk never leaves a partial file under the final name; the temporary file is
removed on any error.

The result gets the permissions any new file would get (``0666`` minus the umask), since
``mkstemp`` creates ``0600`` files and a rename keeps the mode; when the destination already
exists its mode is kept instead, so overwriting a file does not change who may read it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "link_or_copy", "write_bytes", "write_json", "write_text"]


@contextlib.contextmanager
def atomic_path(path: str | Path, *, allow_empty: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The block writes the temporary file by name (any library that takes a file name works). An
    empty file left by the block is refused unless ``allow_empty`` (a copy of a verified file that
    is empty): no writer of the suite produces one, and a library that reports success after
    writing nothing (a full disk) must not replace a good file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if not allow_empty and tmp_path.stat().st_size == 0:
            raise OSError(f"{path}: nothing was written (0 bytes); the disk may be full")
        os.chmod(tmp_path, _mode_for(path))
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (non-JSON values as ``str``) to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def link_or_copy(src: str | Path, dst: str | Path) -> Path:
    """Make ``dst`` a copy of ``src`` atomically: a hard link where the filesystem allows one,
    else a byte copy (e.g. ``last.pt`` beside the newest periodic checkpoint)."""
    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=f".tmp{dst.suffix}", dir=dst.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()
        try:
            os.link(src, tmp_path)
        except OSError:
            import shutil

            shutil.copyfile(src, tmp_path)
            _fsync(tmp_path)
        os.replace(tmp_path, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
    return dst


def _mode_for(path: Path) -> int:
    """The mode of an existing destination, else what a new file gets (0666 minus the umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    """Flush a finished temporary file to disk before it is renamed into place, so that a crash
    right after the rename cannot leave an empty file under the final name."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
