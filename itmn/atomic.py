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

Before the rename the temporary file must be complete: not empty, and accepted by the writer's
``verify`` check (the image writers read their file back: OpenImageIO reports a short write on a
full disk only through ``geterror()``). Operating-system errors (ENOSPC, EFBIG, EACCES, EROFS,
EISDIR, ...) become :class:`itmn.errors.OutputError`, one message naming the destination and the
reason. :func:`check_output_dir` and :func:`check_output_file` let a command check its output
locations before it starts the work.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from itmn.errors import OutputError, os_reason

__all__ = [
    "atomic_path",
    "check_output_dir",
    "check_output_file",
    "file_mode_for",
    "link_or_copy",
    "write_bytes",
    "write_failure_reason",
    "write_json",
    "write_text",
]

#: A check of a finished temporary file: raise (OutputError naming the destination) when it is
#: incomplete. Called with (temporary file, destination).
Verify = Callable[[Path, Path], None]


@contextlib.contextmanager
def atomic_path(path: str | Path, *, verify: Verify | None = None, allow_empty: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds
    and the file is complete.

    The block writes the temporary file by name (any library that takes a file name works).
    Before the rename: an empty file is refused unless ``allow_empty`` (a copy of a verified file
    that is empty; no writer of the suite produces one, and a library that reports success after
    writing nothing must not replace a good file), then
    ``verify(tmp, path)`` runs (e.g. the image writers read their file back, because OpenImageIO
    reports a short write only through ``geterror()``), then the file is flushed to disk.

    Every operating-system error (a full disk, a file-size limit, no permission, a read-only
    filesystem, a folder where the file should go), whether raised by the block or here, becomes
    :class:`~itmn.errors.OutputError` naming ``path`` and the reason; the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except FileExistsError:  # a file where a parent folder should be
        raise OutputError(path, "a part of the path is a file, not a folder", errno.ENOTDIR) from None
    except OSError as exc:
        raise OutputError.from_oserror(path, exc) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except OutputError:
            raise
        except OSError as exc:
            raise _write_error(path, tmp_path, exc) from None
        try:
            if not allow_empty and tmp_path.stat().st_size == 0:
                raise OutputError(path, write_failure_reason(tmp_path, "nothing was written (0 bytes)"))
            if verify is not None:
                verify(tmp_path, path)
            os.chmod(tmp_path, _mode_for(path))
            _fsync(tmp_path)
            os.replace(tmp_path, path)
        except OutputError:
            raise
        except OSError as exc:
            raise _write_error(path, tmp_path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()


def _write_error(path: Path, tmp: Path, exc: OSError) -> OutputError:
    if exc.errno is not None:
        return OutputError.from_oserror(path, exc)
    # e.g. numpy's "12288 requested and 968 written": no errno, find out why
    return OutputError(path, write_failure_reason(tmp, str(exc) or type(exc).__name__))


def write_failure_reason(tmp: str | Path, message: str) -> str:
    """The reason of a write that a library reported only as text (``message``): the errno
    reason when the text holds the system's error string, else the text, with why it probably
    happened when that can be seen (the filesystem is full; the file reached the file-size
    limit). ``tmp`` is the (still present) file that was being written."""
    for name in ("ENOSPC", "EDQUOT", "EFBIG", "EACCES", "EROFS", "EIO"):
        code = getattr(errno, name, None)
        if code is not None and os.strerror(code).lower() in message.lower():
            return os_reason(OSError(code, os.strerror(code)))
    tmp = Path(tmp)
    why = []
    try:
        st = os.statvfs(tmp.parent)
        if st.f_bavail * st.f_frsize < 64 * 1024:
            why.append(os_reason(OSError(errno.ENOSPC, "")))
    except (OSError, AttributeError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY and tmp.exists() and tmp.stat().st_size >= soft:
            why.append(f"the file reached the file-size limit (ulimit -f) of {soft} bytes")
    except (ImportError, OSError, ValueError):
        pass
    first = message.strip().splitlines()[0] if message.strip() else "the write failed"
    return "; ".join([*why, first]) if why else first


def check_output_dir(folder: str | Path) -> Path:
    """Check now, before any work, that files can be written in ``folder``; OutputError naming the
    folder and the reason otherwise.

    An existing folder is tested by creating (and removing) a temporary file in it; a folder
    still to be made is tested on its nearest existing parent, which must be a folder the user
    may write, and nothing is created.
    """
    folder = Path(folder)
    if folder.is_dir():
        try:
            fd, probe = tempfile.mkstemp(prefix=".itmn-write-test.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise OutputError.from_oserror(folder, exc) from None
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
        return folder
    if folder.exists():
        raise OutputError(folder, "is a file, not a folder", errno.ENOTDIR)
    parent = folder.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(folder, f"{parent} is a file, not a folder", errno.ENOTDIR)
    if not os.access(parent, os.W_OK | os.X_OK):
        code = errno.EROFS if _read_only_fs(parent) else errno.EACCES
        raise OutputError(folder, f"cannot create it in {parent}: {os_reason(OSError(code, ''))}", code)
    return folder


def check_output_file(path: str | Path, *, what: str = "output file") -> Path:
    """Check now, before any work, that ``path`` can be written later: not a folder, in a folder
    that can be written (see :func:`check_output_dir`). OutputError naming it otherwise."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(path, f"is a folder; the {what} needs a file name", errno.EISDIR)
    check_output_dir(path.parent)
    return path


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


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
    else a byte copy (e.g. ``last.pt`` beside the newest periodic checkpoint). OS errors become
    :class:`~itmn.errors.OutputError` naming ``dst``."""
    src, dst = Path(src), Path(dst)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=f".tmp{dst.suffix}", dir=dst.parent)
    except OSError as exc:
        raise OutputError.from_oserror(dst, exc) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()
        try:
            os.link(src, tmp_path)
            if dst.exists():  # keep who may read dst (the link shares src's inode: src follows)
                os.chmod(tmp_path, _mode_for(dst))
        except OSError:
            import shutil

            shutil.copyfile(src, tmp_path)
            os.chmod(tmp_path, _mode_for(dst))
            _fsync(tmp_path)
        os.replace(tmp_path, dst)
    except OSError as exc:
        raise _write_error(dst, tmp_path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
    return dst


def file_mode_for(path: str | Path) -> int:
    """The mode a file written to ``path`` should get: the existing file's, else what a new file
    gets (0666 minus the umask). ``mkstemp`` creates 0600 files and a rename keeps the mode, so
    every writer that renames a temporary file sets this first."""
    return _mode_for(Path(path))


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
    right after the rename cannot leave an empty file under the final name. A filesystem that
    cannot fsync (EINVAL, ENOTSUP) is accepted; any other error (a network filesystem reporting
    a full disk at this point) is raised."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            raise
    finally:
        os.close(fd)
