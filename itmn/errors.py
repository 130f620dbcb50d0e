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
