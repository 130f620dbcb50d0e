"""Checkpoints: atomic, self-verifying files, resume checks and loading for inference.

File format (``.pt``)::

    ITMN-CHECKPOINT\\n
    format 1\\n
    bytes <payload length>\\n
    sha256 <hex digest of the payload>\\n
    \\n
    <payload: torch.save of a dict of tensors and plain Python values>

The header lets a reader tell a truncated file (fewer bytes than announced) from a corrupt one
(digest mismatch) before unpickling anything, and the payload is loaded with
``torch.load(weights_only=True)``, so a checkpoint cannot run code. Files are written to a
temporary name, flushed to disk and renamed (a crash or SIGKILL never leaves a partial
``last.pt``).

Payload keys: ``config`` (dict), ``config_hash``, ``model_cfg`` (what the networks were built
from), ``kind`` (``itmn``/``drtm``), ``iteration`` (completed iterations), ``finished``,
``nets`` / ``optimizers`` / ``scalers`` (state dicts by name), ``architecture`` (parameter
shapes by network), ``rng`` (torch, CUDA, numpy and Python generator states), ``wall_time_s``,
``world_size``.
"""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from itmn.atomic import atomic_path
from itmn.errors import CheckpointError

MAGIC = b"ITMN-CHECKPOINT\n"
FORMAT_VERSION = 1
LAST = "last.pt"


# --------------------------------------------------------------------------- file format
def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Serialize ``payload`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    header = (
        MAGIC
        + (
            f"format {FORMAT_VERSION}\nbytes {len(data)}\nsha256 {hashlib.sha256(data).hexdigest()}\n\n"
        ).encode()
    )
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(header)
        fh.write(data)
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and verify a checkpoint file; raise :class:`CheckpointError` naming the file and the
    problem (missing, not a checkpoint, truncated, corrupt, unreadable payload)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read checkpoint ({exc.strerror})") from None
    if not raw.startswith(MAGIC):
        raise CheckpointError(
            f"{path}: not an itmn checkpoint (first bytes {raw[:16]!r}, expected {MAGIC!r}); "
            "it is empty, overwritten or another program's file"
        )
    fields, data = _parse_header(raw, path)
    if fields.get("format") != str(FORMAT_VERSION):
        raise CheckpointError(
            f"{path}: checkpoint format {fields.get('format')!r} (expected {FORMAT_VERSION})"
        )
    want = int(fields["bytes"])
    if len(data) != want:
        raise CheckpointError(
            f"{path}: truncated or padded checkpoint: payload has {len(data)} bytes, header says {want}"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != fields["sha256"]:
        raise CheckpointError(
            f"{path}: corrupt checkpoint: sha256 of the payload is {digest[:16]}..., header says "
            f"{fields['sha256'][:16]}..."
        )
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing here
        raise CheckpointError(f"{path}: checkpoint payload cannot be loaded: {exc}") from None
    if not isinstance(payload, dict) or "nets" not in payload or "config" not in payload:
        raise CheckpointError(f"{path}: checkpoint payload lacks 'nets'/'config' (not written by itmn.train)")
    return payload


def _parse_header(raw: bytes, path: Path) -> tuple[dict[str, str], bytes]:
    end = raw.find(b"\n\n", len(MAGIC) - 1)
    if end < 0 or end > 512:
        raise CheckpointError(f"{path}: truncated checkpoint header ({len(raw)} bytes in the file)")
    fields: dict[str, str] = {}
    for line in raw[len(MAGIC) : end].decode("ascii", "replace").splitlines():
        key, _, value = line.partition(" ")
        fields[key] = value.strip()
    if not {"format", "bytes", "sha256"} <= fields.keys() or not fields["bytes"].isdigit():
        raise CheckpointError(f"{path}: malformed checkpoint header {fields}")
    return fields, raw[end + 2 :]


# --------------------------------------------------------------------------- locating
def find_checkpoint(path: str | Path) -> Path:
    """A checkpoint file from a file path or a run folder (``<run>/checkpoints/last.pt``)."""
    path = Path(path)
    if path.is_dir():
        cand = path / "checkpoints" / LAST
        if not cand.is_file():
            cand = path / LAST if (path / LAST).is_file() else cand
        if not cand.is_file():
            raise CheckpointError(f"{path}: run folder has no checkpoint (looked for checkpoints/{LAST})")
        return cand
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file or run folder")
    return path


def load_for_inference(path: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, torch.Tensor]]]:
    """``(config, state_dicts)`` of a run folder or checkpoint file, for building a predictor.

    ``config`` is the run's configuration dict (as in its config.json) with one change: its
    ``model`` entry is the model configuration the networks were built from -- for
    ``kind == "drtm"`` the dict given to ``baselines.drtm.build_nets`` (``{"kind": "drtm", ...}``),
    for ``kind == "itmn"`` ``{"kind": "itmn", "generator": {...}, "discriminator": {...}}`` --
    and ``config["train"]`` holds the iteration, whether the run finished and the config hash.
    ``state_dicts``: network name -> state dict (``generator``/``discriminator`` or ``up``/``down``).
    """
    file = find_checkpoint(path)
    ck = read_checkpoint(file)
    config = dict(ck["config"])
    config["model"] = dict(ck["model_cfg"])
    config["train"] = {
        "iteration": int(ck["iteration"]),
        "finished": bool(ck["finished"]),
        "config_hash": ck["config_hash"],
        "checkpoint": str(file),
        "model_section": ck["config"].get("model"),
    }
    return config, {name: dict(sd) for name, sd in ck["nets"].items()}


# --------------------------------------------------------------------------- compatibility
def architecture(nets: dict[str, nn.Module]) -> dict[str, dict[str, list[int]]]:
    """Parameter and buffer shapes of each network (what a checkpoint must match)."""
    return {name: {k: list(v.shape) for k, v in net.state_dict().items()} for name, net in nets.items()}


def check_config(ck: dict[str, Any], path: Path, cfg_hash: str, config: dict[str, Any]) -> None:
    """Refuse a checkpoint of another configuration, listing the fields that differ."""
    if ck.get("config_hash") != cfg_hash:
        from itmn.train.config import diff

        changes = diff(ck.get("config", {}), config)
        raise CheckpointError(
            f"{path}: checkpoint belongs to another configuration (config hash {str(ck.get('config_hash'))[:12]} "
            f"vs {cfg_hash[:12]}); differences (checkpoint vs now): {'; '.join(changes[:8]) or 'none listed'}"
            " -- use another --out folder or the checkpoint's configuration"
        )


def check_compatible(
    ck: dict[str, Any], path: Path, cfg_hash: str, config: dict[str, Any], nets: dict[str, nn.Module]
) -> None:
    """Refuse to resume from a checkpoint of another configuration or architecture."""
    check_config(ck, path, cfg_hash, config)
    want = architecture(nets)
    have = ck.get("architecture", {})
    problems: list[str] = []
    for name in sorted(want.keys() | have.keys()):
        a, b = have.get(name), want.get(name)
        if a is None or b is None:
            problems.append(
                f"network {name!r} {'missing from the checkpoint' if a is None else 'not built now'}"
            )
            continue
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                problems.append(f"{name}.{key}: checkpoint {a.get(key)} vs model {b.get(key)}")
    if problems:
        raise CheckpointError(
            f"{path}: architecture mismatch ({len(problems)} differences): {'; '.join(problems[:6])}"
        )


# --------------------------------------------------------------------------- RNG
def rng_state() -> dict[str, Any]:
    """Every generator a training step could draw from (stored in plain tensors/lists)."""
    np_state = np.random.get_state()  # noqa: NPY002 - the legacy global state is what third-party code draws from
    py = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": np_state[0],
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": [py[0], list(py[1]), py[2]],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(  # noqa: NPY002 - restore the legacy global state saved above
        (n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
