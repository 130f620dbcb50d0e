"""Fixtures of the fault-injection tests. The helpers are in support.py, importable as
``itmn_faults_support`` (pytest runs with --import-mode=importlib, so test folders are not on
sys.path).

* ``cli``: :func:`itmn_faults_support.run_cli`.
* ``public_dir``: a folder every user can read and write (pytest's tmp tree is private to root).
* ``unprivileged``: the command prefix that runs a command as a user without root's rights
  (``setpriv`` to uid 65534), ``[]`` when the tests already run as a normal user; skipped with
  the reason when neither works.
* ``readonly_dir``: a folder on a read-only tmpfs (EROFS even for root; root only).
* ``small_tmpfs(n)``: a folder on a tmpfs of ``n`` bytes (ENOSPC; root only).
* ``hdr_sources``: a folder dataset of three small HDR files; ``prepared_small``: a prepared
  dataset of 32 x 32 pairs (4 images, 1 test image).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_NAME = "itmn_faults_support"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("support.py"))
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])

from itmn_faults_support import NOBODY, REPO, Result, hdr_field, run_cli  # noqa: E402


@pytest.fixture
def cli() -> Callable[..., Result]:
    return run_cli


@pytest.fixture
def public_dir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="itmn-faults-"))
    d.chmod(0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def unprivileged() -> list[str]:
    if not _is_root():
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("the tests run as root and setpriv is not available to run a command as another user")
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r}); import itmn.atomic"],
        capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot run python as uid {NOBODY} (repository or environment not readable): "
                    f"{probe.stderr.strip()[-300:]}")  # fmt: skip
    return prefix


@contextlib.contextmanager
def _mount_tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    if not _is_root() or shutil.which("mount") is None:
        pytest.skip("a read-only mount needs root; the unprivileged-user tests cover unwritable folders")
    with _mount_tmpfs(tmp_path / "ro", "ro,size=64k") as d:
        yield d


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    if not _is_root() or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root; the RLIMIT_FSIZE tests cover a full disk")
    with contextlib.ExitStack() as stack:

        def make(size: int) -> Path:
            return stack.enter_context(_mount_tmpfs(tmp_path / f"tmpfs{size}", f"size={size}"))

        yield make


@pytest.fixture(scope="session")
def hdr_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from itmn import hdrio

    src = tmp_path_factory.mktemp("faults-src")
    for i in range(3):
        hdrio.write_exr(src / f"im{i}.exr", hdr_field(i))
    return src


@pytest.fixture(scope="session")
def prepared_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from itmn import hdrio
    from itmn.data import prepare

    root = tmp_path_factory.mktemp("faults-prepared")
    src = root / "src"
    src.mkdir()
    for i in range(4):
        hdrio.write_exr(src / f"img{i}.exr", hdr_field(10 + i))
    out = root / "prepared"
    prepare.prepare_dataset(src, out=out, cache=root / "cache", params=prepare.PrepareParams(size=32),
                            progress=False, log=lambda m: None)  # fmt: skip
    return out
