"""The wheel set carried to a lent GPU machine (bench/perf/device_wheels.py): which dependencies
are selected, the markers, wheel metadata, the 64 MiB size budget, the git ignore rule and the
device command. The download and the --no-index install are exercised by hand (docs/gpu-check.md:
they need PyPI)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bench.perf import device_wheels as dw

REPO = Path(__file__).resolve().parents[2]


def test_the_project_dependencies_the_device_lacks() -> None:
    # A new dependency that the device image lacks changes the carried set: update the wheel
    # table of docs/gpu-check.md and re-check the size budget when this fails.
    reqs = dw.project_requirements(REPO / "pyproject.toml")
    assert dw.missing(reqs) == ["openexr", "openimageio", "colour-science", "pyrtools", "platformdirs", "pooch"]
    assert {"numpy", "torch", "scipy", "pandas", "matplotlib"} <= dw.DEVICE_PACKAGES


def test_markers_and_names() -> None:
    reqs = [
        Requirement("pywin32; sys_platform == 'win32'"),
        Requirement("tomli; python_version < '3.11'"),
        Requirement("Some_Package>=1"),
        Requirement("some-package<3"),  # same package twice: one entry
        Requirement("numpy>=2"),
        Requirement("extra-thing; extra == 'docs'"),
    ]
    assert dw.missing(reqs) == ["some-package"]
    assert dw.missing(reqs, env={**dw.DEVICE_MARKER_ENV, "sys_platform": "win32"}) == [
        "pywin32",
        "some-package",
    ]


def _wheel(path: Path, name: str, requires: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            f"{name}-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: x\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        )
        z.writestr(f"{name}/__init__.py", "")
    return path


def test_wheel_metadata(tmp_path: Path) -> None:
    w = _wheel(
        tmp_path / "Py_Rtools-1.0-py3-none-any.whl", "Py_Rtools", ["numpy>=1.1", "imageio; extra == 'io'"]
    )
    assert [str(r) for r in dw.wheel_requirements(w)] == ["numpy>=1.1", 'imageio; extra == "io"']
    assert dw.wheel_name(w) == "py-rtools"
    assert dw.missing(dw.wheel_requirements(w)) == []  # numpy is on the device; the extra does not apply


def test_size_budget() -> None:
    mib = 2**20
    assert dw.Budget(8 * mib, 25 * mib).ok
    over = dw.Budget(40 * mib, 25 * mib)
    assert not over.ok and "OVER THE LIMIT" in over.describe() and "65.0 MiB of 64 MiB" in over.describe()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_tree_size_and_ignore_rule(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".gitignore").write_text("ignored/\n")
    (repo / "tracked.txt").write_bytes(b"x" * 1000)
    _git(repo, "add", ".")
    (repo / "untracked.txt").write_bytes(b"y" * 500)
    (repo / "ignored").mkdir()
    (repo / "ignored" / "big.bin").write_bytes(b"z" * 10_000)
    assert dw.tree_bytes(repo) == 1000 + 500 + len("ignored/\n")
    (repo / ".whl").mkdir()
    (repo / ".whl" / "a.whl").write_bytes(b"w" * 3000)
    assert dw.tree_bytes(repo) == 1000 + 500 + len("ignored/\n") + 3000  # not ignored yet: it would travel
    changed = dw.ensure_ignored(repo, ".whl")
    assert changed and Path(changed).name == "exclude"
    assert dw.tree_bytes(repo) == 1000 + 500 + len("ignored/\n")
    assert dw.ensure_ignored(repo, ".whl") is None  # already ignored: nothing written twice
    assert dw.folder_bytes(repo / ".whl") == 3000


def test_device_command() -> None:
    cmd = dw.run_command()
    assert "--no-index --no-deps" in cmd and "--target /tmp/site .whl/*.whl" in cmd
    assert "export PYTHONPATH=/tmp/site || exit" in cmd
    assert "python3 -m bench.perf.gpu_check --device cuda" in cmd and "--out $OUT/perf-gpu.json" in cmd
    assert "ITMN_GIT_COMMIT=$(cat .whl/COMMIT)" in cmd and "--calibration .whl/calibration" in cmd
    assert len(cmd) <= 2000  # the device tool's limit on one command


def test_installed_pin_names_the_tested_version() -> None:
    from importlib import metadata

    assert dw.installed_pin("numpy") == f"numpy=={metadata.version('numpy')}"
    with pytest.raises(SystemExit, match="not installed here"):
        dw.installed_pin("no-such-package-xyz")
