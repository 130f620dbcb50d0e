"""Prepare what a lent GPU machine needs to run :mod:`bench.perf.gpu_check` (docs/gpu-check.md).

The device machine runs the working tree with its own ``python3`` (Python 3.12, PyTorch 2.11,
numpy, scipy, pandas, ...) and cannot download anything. The project's dependencies that its
image lacks travel with the tree as wheels in ``.whl/`` (ignored by git, named in the ``run``
call's ``carry``), installed there with ``pip install --no-index --no-deps --target /tmp/site``.

``python -m bench.perf.device_wheels`` (in the checkout the device tool sends):

1. reads the project's dependencies from ``pyproject.toml`` and keeps those the device image does
   not have (:data:`DEVICE_PACKAGES`, transcribed from the device library's KINDS.md);
2. downloads each as a wheel for CPython 3.12 on manylinux x86_64, pinned to the version
   installed here (the one the tests ran with), then the requirements of those wheels that the
   image lacks, until nothing is missing (one version of each: two would stop the install);
3. copies the HDR-VDP-2 calibration pairs (``$ITMN_SHARED/reference/metrics-synthetic`` or
   ``--calibration``) to ``.whl/calibration`` for gpu_check's ``hdrvdp2`` item, and writes the
   commit to ``.whl/COMMIT`` (the tree travels without ``.git``);
4. checks that the tree that travels (tracked and untracked-not-ignored files) plus ``.whl``
   stays under the 64 MiB limit, and prints the ``run`` command.

``--native`` downloads for this interpreter and platform instead (to test the install here: a
cp312 wheel cannot be installed into another Python). A Python module rather than a shell
script because the selection (pyproject, wheel metadata, markers) and the size budget are
computed, and tested (tests/bench/test_device_wheels.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LIMIT_BYTES = 64 * 2**20  # the device tool's limit on what travels with one call
DEFAULT_DEST = Path(".whl")
DEVICE_PYTHON = "3.12"
#: manylinux tags accepted by the device's glibc (Ubuntu 24.04 image, glibc 2.39); pip matches N
#: exactly, so every N is listed.
DEVICE_PLATFORMS = (
    *(f"manylinux_2_{n}_x86_64" for n in range(39, 16, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)
#: Python packages of the device image ('cuda'), as the device library's KINDS.md lists them
#: ("Python packages already there", read on a machine on 2026-11-17). Canonical names.
DEVICE_PACKAGES = frozenset(
    canonicalize_name(n)
    for n in """
    absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch
    build certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage
    cuda-bindings cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn
    einops equinox etils execnet filelock flatbuffers flax fonttools formulaic frozenlist fsspec
    gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize hypothesis idna imageio
    iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib
    kiwisolver lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml
    markdown markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack
    multidict multipledispatch mypy-extensions nanobind narwhals networkx ninja numba numba-cuda
    numpy numpyro nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime
    nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse
    nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13
    nvidia-nvtx onnx onnx-ir onnxruntime onnxscript opencv-python-headless optax opt-einsum
    opt-einsum-fx optimistix orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy
    portalocker prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments
    pyparsing pyproject-hooks pyre-extensions pytest pytest-benchmark pytest-cov pytest-mock
    pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests rich
    sacrebleu safetensors scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece
    sentence-transformers setuptools shellingham simplejson six sortedcontainers statsmodels sympy
    tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm
    tokenizers toolz torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm
    transformers treescope triton typer typing-extensions typing-inspect urllib3 uvloop
    wadler-lindig werkzeug wheel wrapt xarray xxhash yarl zipp
    """.split()
)
#: The target environment of the device for evaluating requirement markers.
DEVICE_MARKER_ENV = {
    "python_version": DEVICE_PYTHON,
    "python_full_version": "3.12.3",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "extra": "",
}


# --------------------------------------------------------------------------- pure selection
def project_requirements(pyproject: Path) -> list[Requirement]:
    """``[project].dependencies`` of a pyproject.toml."""
    data = tomllib.loads(pyproject.read_text())
    return [Requirement(r) for r in data["project"]["dependencies"]]


def missing(
    reqs: list[Requirement], present: frozenset[str] = DEVICE_PACKAGES, env: dict[str, str] | None = None
) -> list[str]:
    """Canonical names of the requirements that apply in ``env`` and are not in ``present``."""
    env = DEVICE_MARKER_ENV if env is None else env
    out = []
    for r in reqs:
        name = canonicalize_name(r.name)
        if (r.marker is None or r.marker.evaluate(env)) and name not in present and name not in out:
            out.append(name)
    return out


def wheel_requirements(wheel: Path) -> list[Requirement]:
    """``Requires-Dist`` of a wheel's METADATA (extras' requirements included, markers kept)."""
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        text = z.read(meta).decode("utf-8", "replace")
    return [
        Requirement(line.split(":", 1)[1].strip())
        for line in text.splitlines()
        if line.startswith("Requires-Dist:")
    ]


def wheel_name(wheel: Path) -> str:
    """Canonical distribution name of a wheel file (``openexr-3.5.3-cp312-...whl`` -> openexr)."""
    return canonicalize_name(wheel.name.split("-", 1)[0])


def installed_pin(name: str) -> str:
    """``name==<version installed here>`` (the version the tests ran with)."""
    try:
        return f"{name}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        raise SystemExit(
            f"device_wheels: {name} is not installed here; install the project first "
            "(pip install -e .) so the carried version is the tested one"
        ) from None


def tree_bytes(repo: Path) -> int:
    """Bytes of what the device tool sends: tracked and untracked-not-ignored files."""
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "-co", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    total = 0
    for rel in out.decode().split("\0"):
        p = repo / rel
        if rel and p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


@dataclass
class Budget:
    tree: int
    carried: int
    limit: int = LIMIT_BYTES

    @property
    def total(self) -> int:
        return self.tree + self.carried

    @property
    def ok(self) -> bool:
        return self.total <= self.limit

    def describe(self) -> str:
        mib = 2**20
        return (
            f"tree {self.tree / mib:.1f} MiB + carried {self.carried / mib:.1f} MiB = "
            f"{self.total / mib:.1f} MiB "
            f"of {self.limit / mib:.0f} MiB ({'ok' if self.ok else 'OVER THE LIMIT'})"
        )


# --------------------------------------------------------------------------- download
def pip_download(specs: list[str], dest: Path, native: bool) -> None:
    """``pip download --no-deps --only-binary=:all:`` of ``specs`` into ``dest`` (for the device's
    Python and platform unless ``native``)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest)]
    if not native:
        cmd += ["--python-version", DEVICE_PYTHON, "--implementation", "cp"]
        for tag in DEVICE_PLATFORMS:
            cmd += ["--platform", tag]
    subprocess.run([*cmd, *specs], check=True)


def fetch(dest: Path, native: bool, pyproject: Path = REPO / "pyproject.toml") -> list[Path]:
    """Download the missing dependencies and their missing requirements into ``dest``; returns
    the wheels of this set (other files in ``dest`` are left alone). ``native``: for this
    interpreter and platform (markers evaluated here), the same selection of packages."""
    env = _here_env() if native else DEVICE_MARKER_ENV
    todo = missing(project_requirements(pyproject), env=env)
    done: dict[str, Path] = {}
    while todo:
        pip_download([installed_pin(n) for n in todo], dest, native)
        for name in todo:
            wheels = [w for w in dest.glob("*.whl") if wheel_name(w) == name]
            if len(wheels) != 1:
                raise SystemExit(
                    f"device_wheels: expected one wheel of {name} in {dest}, found "
                    f"{[w.name for w in wheels]} "
                    "(remove stale ones: two versions stop the install)"
                )
            done[name] = wheels[0]
        needed = [r for name in todo for r in wheel_requirements(done[name])]
        todo = [n for n in missing(needed, env=env) if n not in done]
    return sorted(done.values())


def _here_env() -> dict[str, str]:
    from packaging.markers import default_environment

    return {**default_environment(), "extra": ""}


def copy_calibration(src: Path, dest: Path) -> int:
    """Copy ``reference_scores.csv``, ``README.md`` and the ``cases/`` arrays; returns bytes."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "cases").mkdir(parents=True)
    for name in ("reference_scores.csv", "README.md"):
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    for f in sorted((src / "cases").glob("*.npy")):
        shutil.copy2(f, dest / "cases" / f.name)
    return folder_bytes(dest)


def ensure_ignored(repo: Path, rel: str) -> str | None:
    """Add ``/<rel>/`` to the repository's info/exclude when git does not ignore it yet; returns
    the file changed (None when nothing was needed)."""
    check = subprocess.run(["git", "-C", str(repo), "check-ignore", "-q", rel], capture_output=True)
    if check.returncode == 0:
        return None
    path = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--git-path", "info/exclude"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    exclude = (repo / path).resolve() if not os.path.isabs(path) else Path(path)
    exclude.parent.mkdir(parents=True, exist_ok=True)
    with open(exclude, "a") as fh:
        fh.write(f"\n/{rel.strip('/')}/\n")
    return str(exclude)


def commit_of(repo: Path) -> str:
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def run_command(rel: str = str(DEFAULT_DEST)) -> str:
    """The device ``run`` command of docs/gpu-check.md (with ``carry=[rel]``)."""
    return (
        "set -o pipefail; python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir "
        "--upgrade "
        f"--target /tmp/site {rel}/*.whl && export PYTHONPATH=/tmp/site || exit; "
        f"export ITMN_GIT_COMMIT=$(cat {rel}/COMMIT) PYTHONUNBUFFERED=1; "
        f"python3 -m bench.perf.gpu_check --device cuda --budget-s 400 --calibration {rel}/calibration "
        "--out $OUT/perf-gpu.json --work /tmp/gpucheck --keep-work 2>&1 | tee $OUT/gpu-check.log; rc=$?; "
        "tar czf $OUT/gpucheck-logs.tgz -C /tmp/gpucheck --exclude='*.pt' --exclude='*.exr' "
        "--exclude='*.png' "
        "--exclude='*.npy' . 2>/dev/null; exit $rc"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.perf.device_wheels", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--dest", type=Path, default=None, help=f"folder for the wheels (default: <repo>/{DEFAULT_DEST})"
    )
    p.add_argument(
        "--repo", type=Path, default=REPO, help="the checkout the device tool sends (default: this one)"
    )
    p.add_argument(
        "--native", action="store_true", help="wheels for this Python and platform (to test the install here)"
    )
    p.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="HDR-VDP-2 calibration folder (default: $ITMN_SHARED/reference/metrics-synthetic)",
    )
    p.add_argument("--no-calibration", action="store_true", help="do not copy the calibration pairs")
    args = p.parse_args(argv)

    repo = args.repo.resolve()
    dest = (args.dest or repo / DEFAULT_DEST).resolve()
    inside = dest.is_relative_to(repo)
    if inside:
        changed = ensure_ignored(repo, str(dest.relative_to(repo)))
        if changed:
            print(f"added /{dest.relative_to(repo)}/ to {changed} (git must not track the wheels)")
    dest.mkdir(parents=True, exist_ok=True)
    wheels = fetch(dest, args.native, repo / "pyproject.toml")
    print(f"\n{'wheel':<80} {'MiB':>6}")
    for w in wheels:
        print(f"{w.name:<80} {w.stat().st_size / 2**20:6.2f}")
    print(f"{'total':<80} {sum(w.stat().st_size for w in wheels) / 2**20:6.2f}")
    calib = args.calibration
    if calib is None and os.environ.get("ITMN_SHARED"):
        calib = Path(os.environ["ITMN_SHARED"]) / "reference" / "metrics-synthetic"
    if not args.no_calibration:
        if calib is not None and (calib / "reference_scores.csv").is_file():
            n = copy_calibration(calib, dest / "calibration")
            print(f"calibration pairs: {calib} -> {dest / 'calibration'} ({n / 2**20:.1f} MiB)")
        else:
            print(
                "calibration pairs: none (set ITMN_SHARED or --calibration); "
                "gpu_check will use generated pairs"
            )
    (dest / "COMMIT").write_text(commit_of(repo) + "\n")
    budget = Budget(tree_bytes(repo), folder_bytes(dest))
    print(f"size: {budget.describe()}")
    if (repo / "shared").exists():
        print("note: a shared/ folder in the checkout travels too and counts towards the limit")
    if not budget.ok:
        print("device_wheels: what travels exceeds the device tool's 64 MiB limit", file=sys.stderr)
        return 1
    rel = dest.relative_to(repo) if inside else dest
    print(f'\nrun(carry=["{rel}"], timeout_s=500, command=\n  {run_command(str(rel))!r})')
    return 0


if __name__ == "__main__":
    sys.exit(main())
