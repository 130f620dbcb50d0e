"""Exceptions with messages that name the file, what was found and what was expected."""

from __future__ import annotations

from pathlib import Path


class ItmnError(Exception):
    """Base class of the suite's user-facing errors (the CLI prints them without a traceback)."""


class ImageError(ItmnError, ValueError):
    """An image file or array that cannot be used: unreadable, wrong shape, wrong unit, non-finite."""

    def __init__(self, source: str | Path | None, problem: str, expected: str | None = None):
        self.source = str(source) if source is not None else "<array>"
        self.problem = problem
        self.expected = expected
        msg = f"{self.source}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


class ChecksumError(ItmnError):
    """A downloaded or cached file whose sha256 does not match the registry."""


class CheckpointError(ItmnError):
    """A checkpoint that is corrupt, truncated or belongs to another configuration."""


class ConfigError(ItmnError, ValueError):
    """An invalid configuration key or value."""


class OutputError(ItmnError, OSError):
    """A file or folder that cannot be written: full disk, file-size limit, no permission, a
    read-only filesystem, a folder where a file is expected. The message names the path and the
    reason; nothing partial is left under the path (see :mod:`itmn.atomic`)."""

    def __init__(self, path: str | Path, reason: str, errno_: int | None = None):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: cannot write: {reason}")
        if errno_ is not None:
            self.errno = errno_

    def __str__(self) -> str:  # OSError's own __str__ would print "[Errno n] ..."
        return f"{self.path}: cannot write: {self.reason}"

    def __reduce__(self) -> tuple:  # picklable (errors cross process boundaries in parallel runs)
        return (type(self), (self.path, self.reason, self.errno))

    @classmethod
    def from_oserror(cls, path: str | Path, exc: OSError) -> OutputError:
        """The error of a failed write of ``path`` (its reason from ``exc.errno``)."""
        if isinstance(exc, OutputError):
            return exc
        return cls(path, os_reason(exc), exc.errno)


class UserCodeError(ItmnError):
    """A user's method (``module:function``) raised an exception or called ``sys.exit``; the
    message names the method, the image and the place in the user's code."""


class ItmnWarning(UserWarning):
    """Something the suite did on its own that the user should know about (an alpha channel
    ignored, implausible values, files skipped); the command lines print it as one line."""


#: What the command lines print under the traceback of an unexpected exception (one constant, so
#: that the place to report bugs is written once).
BUG_REPORT = (
    "this is a bug in itmn-bench, not a problem with your input: please report it at the project's "
    "issue tracker (the repository's GitHub Issues page) with the command line and the traceback above"
)

#: errno -> the reason as a user reads it.
_ERRNO_REASONS = {
    "ENOSPC": "no space left on the device (the disk is full)",
    "EDQUOT": "disk quota exceeded",
    "EFBIG": "file too large (the file-size limit, ulimit -f, was reached, or the filesystem's maximum)",
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "EROFS": "read-only file system",
    "EISDIR": "is a directory (a file name is needed)",
    "ENOTDIR": "a part of the path is a file, not a folder",
    "ENOENT": "no such file or folder",
    "EEXIST": "already exists",
    "ENAMETOOLONG": "file name too long",
    "EIO": "input/output error (a failing disk or network filesystem)",
    "EMFILE": "too many open files",
    "ENOMEM": "out of memory",
}


def os_reason(exc: OSError) -> str:
    """A short, user-facing reason for an OSError ("permission denied", "no space left ...")."""
    import errno as _errno

    name = _errno.errorcode.get(exc.errno or -1)
    if name in _ERRNO_REASONS:
        return _ERRNO_REASONS[name]
    return exc.strerror or str(exc) or type(exc).__name__
