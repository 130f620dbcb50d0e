"""How a result was made: git commit, package versions, device, command line.

Every run folder, results file and benchmark JSON embeds :func:`collect_run_metadata` (written
with :func:`itmn.atomic.write_json`).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from itmn import PROTOCOL_VERSION, __version__

_PACKAGES = (
    "numpy", "scipy", "torch", "scikit-image", "OpenEXR", "OpenImageIO", "colour-science",
    "pyrtools", "pandas", "tabulate", "matplotlib",
)  # fmt: skip


def git_commit(repo: str | Path | None = None) -> dict[str, Any]:
    """The commit of the source tree and whether it had uncommitted changes (None outside git)."""
    repo = Path(repo) if repo else Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=repo, capture_output=True, text=True, timeout=10, check=True,
            ).stdout.strip()
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"itmn-bench": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def device_info(device: str | None = None) -> dict[str, Any]:
    """CPU model and thread count, and the CUDA device when one is used or available."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cuda_available"] = bool(torch.cuda.is_available())
        if torch.cuda.is_available():
            idx = torch.cuda.current_device()
            info["cuda_device"] = torch.cuda.get_device_name(idx)
            info["cuda_version"] = torch.version.cuda
            info["cuda_count"] = torch.cuda.device_count()
    except ImportError:
        info["cuda_available"] = False
    info["device"] = device or ("cuda" if info.get("cuda_available") else "cpu")
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def collect_run_metadata(device: str | None = None, **extra: Any) -> dict[str, Any]:
    """Everything needed to say how a result was made; ``extra`` keys are added as they are."""
    dev = device_info(device)
    meta = {
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        # orig_argv keeps "python -m itmn.cli ..." (argv[0] would be just ".../cli.py")
        "command_line": [Path(sys.orig_argv[0]).name, *sys.orig_argv[1:]],
        "git": git_commit(),
        "versions": package_versions(),
        "device": dev,
        "device_kind": "gpu" if dev["device"].startswith("cuda") else "cpu",
        "protocol_version": PROTOCOL_VERSION,
    }
    meta.update(extra)
    return meta

