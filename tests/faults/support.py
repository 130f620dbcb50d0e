"""Helpers of the fault-injection tests (conftest.py loads this file as ``itmn_faults_support``).

The tests run ``itmn`` / ``itmn-bench`` in a subprocess under a full filesystem (a file-size
limit, or a small tmpfs when the tests run as root), in folders it may not write (a read-only
mount as root, or another user), with stale caches, missing checkpoints and misbehaving user
code, and look at what the command prints and what it leaves behind.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
MODULES = {"itmn": "bench.cli.itmn_cli", "itmn-bench": "bench.cli.bench_cli"}
NOBODY = 65534
ERROR_LINE = re.compile(r"^(itmn|itmn-bench|reproduce): error: ")


@dataclass
class Result:
    """What a command did: exit status, stdout, stderr."""

    rc: int
    out: str
    err: str


def _child_limits(fsize: int | None) -> Callable[[], None] | None:
    if fsize is None:
        return None

    def limit() -> None:  # runs in the child before exec; SIGXFSZ is left as the command sets it
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return limit


def run_cli(
    prog: str,
    *args: str,
    fsize: int | None = None,
    prefix: list[str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> Result:
    """Run ``itmn`` or ``itmn-bench`` (``python -m bench.cli.<...>_cli``) in a subprocess.

    ``fsize``: RLIMIT_FSIZE of the child in bytes; ``prefix``: a command prefix (e.g. setpriv
    to run as another user); ``env``: extra environment variables.
    """
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})}
    cmd = [*(prefix or []), sys.executable, "-m", MODULES[prog], *args]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=full_env, preexec_fn=_child_limits(fsize), cwd=cwd,
        timeout=timeout,
    )  # fmt: skip
    return Result(proc.returncode, proc.stdout, proc.stderr)


def error_lines(err: str) -> list[str]:
    """The ``<prog>: error: ...`` lines of a command's stderr."""
    return [ln for ln in err.splitlines() if ERROR_LINE.match(ln)]


def assert_one_line_error(res: Result, *needles: str) -> str:
    """Exit status 1, no traceback, exactly one ``<prog>: error:`` line containing every needle
    (case-insensitive). Returns the line."""
    assert res.rc == 1, f"exit status {res.rc}\nstdout:\n{res.out}\nstderr:\n{res.err}"
    assert "Traceback" not in res.err, res.err
    errors = error_lines(res.err)
    assert len(errors) == 1, f"expected one error line, got:\n{res.err}"
    for needle in needles:
        assert needle.lower() in errors[0].lower(), f"{needle!r} not in {errors[0]!r}"
    return errors[0]


def leftovers(folder: Path) -> list[Path]:
    """Temporary or empty files under ``folder`` (what a failed write must not leave)."""
    if not folder.exists():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and (".tmp" in p.name or p.name.endswith(".part") or p.stat().st_size == 0)
    )


def hdr_field(seed: int, h: int = 40, w: int = 48) -> np.ndarray:
    """A smooth positive random HDR image (relative linear units) with a bright spot."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    base = gaussian_filter(rng.normal(size=(h, w, 3)), (4, 4, 0))
    img = np.exp(3 * (base - base.mean()) / (base.std() + 1e-9))
    img[h // 3, w // 2] = 300.0
    return img.astype(np.float32)


def noisy_ldr(seed: int, h: int = 48, w: int = 64) -> np.ndarray:
    """LDR code values in [0, 1], noisy enough that a PNG of them hardly compresses."""
    return np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)


def public_tree(path: Path) -> None:
    """Make ``path`` and everything under it readable (and folders enterable) by every user."""
    for p in [path, *path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
