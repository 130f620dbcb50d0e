"""Smaller failure classes of issue 12 (class 7), each reproduced for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from itmn_faults_support import REPO


def _exr_pair(folder: Path) -> tuple[Path, Path]:
    from itmn import hdrio

    rng = np.random.default_rng(0)
    t, r = folder / "test.exr", folder / "ref.exr"
    hdrio.write_exr(t, (rng.random((24, 24, 3)) * 900 + 10).astype(np.float32))
    hdrio.write_exr(r, (rng.random((24, 24, 3)) * 900 + 10).astype(np.float32))
    return t, r


# --------------------------------------------------------------------------- nanobind at exit
def test_no_nanobind_leak_report_after_a_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A command that loads OpenImageIO (through colour-science) and torch (HDR-VDP-2) ended with
    ~20 'nanobind: leaked ...' lines on stderr, which read like a crash."""
    t, r = _exr_pair(tmp_path)
    res = cli("itmn-bench", "score", str(t), str(r), "--json")
    assert res.rc == 0, res.err
    assert "leaked" not in res.err, res.err


def test_no_nanobind_leak_report_for_library_users() -> None:
    """The same for a script that imports the suite, colour-science and torch."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r}); import itmn.hdrio, colour, torch"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "leaked" not in proc.stderr, proc.stderr
