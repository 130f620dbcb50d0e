"""The authors' released weights of the published methods: pinned files, verified fetching, loading.

Each weights file is a file of the authors' public repository at a pinned commit, fetched like the
datasets' images (:func:`itmn.data.fetch.fetch_file`): from the cache
(``<cache>/downloads/<repo>/<commit>/<path>``), else from the mirror (``$ITMN_DATA_MIRROR`` or
``mirror=``, laid out ``<repo>/<commit>/<path>``), else from
``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>``, and accepted only with the
pinned sha256 and size. The repository's licence file is fetched into the same folder, beside the
weights, every time the weights are. Nothing here is committed to this repository.

A file that fails its checksum raises :class:`itmn.errors.ChecksumError` naming the file and both
hashes, before anything is read by torch: :func:`load_state_dict` verifies the bytes it loads.

The sha256 and sizes below were computed from the files in the authors' git repositories at the
pinned commits (``git show <commit>:<path> | sha256sum``) and agree with the project's offline
mirror (its SHA256SUMS); the licences are each repository's LICENSE at the same commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itmn import paths
from itmn.data.registry import RemoteFile
from itmn.errors import ChecksumError, ConfigError, ItmnError

__all__ = [
    "WEIGHTS",
    "PublishedWeights",
    "cached_state",
    "configure",
    "get_weights",
    "load_state_dict",
    "resolve",
    "sources",
]

#: Where weights come from when a caller passes no cache or mirror (set by :func:`configure`).
_SOURCES: dict[str, str | None] = {"cache": None, "mirror": None}

_EXPANDNET = ("dmarnerides/hdr-expandnet", "2b47572a88f247e0f44eb14065b0ed4fc9618e0d")
_LHDR = ("AndreGuo/LHDR", "5d8ce8c7b6f59c0de857ed1009e477de89347852")
_HDRTVDM = ("AndreGuo/HDRTVDM", "886e1023cfc621e6ad0ebfe7442fca593f94bf5f")
_MPL_LICENCE_SHA = "1f256ecad192880510e84ad60474eab7589218784b9a50bc7ceee34c2b91f1d5"


@dataclass(frozen=True)
class PublishedWeights:
    """One released weights file and the licence file that travels with it."""

    name: str  #: registry name of the method that loads it by default (``itmn models`` lists it)
    method: str  #: network: ``expandnet`` | ``lhdr`` | ``hdrtvdm``
    key: str  #: the file's stem as the authors name it (``weights``, ``params``, ``params_3DM``, ...)
    file: RemoteFile
    licence_file: RemoteFile
    licence: str  #: SPDX identifier
    citation: str

    @property
    def files(self) -> tuple[RemoteFile, RemoteFile]:
        return (self.file, self.licence_file)


def _rf(repo: tuple[str, str], path: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(repo[0], repo[1], path, sha256, size)


_HDRTVDM_CITE = "Guo et al., Learning a practical SDR-to-HDRTV up-conversion using new dataset and degradation models, CVPR 2023"
_HDRTVDM_LICENCE = _rf(_HDRTVDM, "LICENSE", _MPL_LICENCE_SHA, 16725)

#: Every pinned weights file, by name (the method that uses it by default).
WEIGHTS: dict[str, PublishedWeights] = {
    w.name: w
    for w in (
        PublishedWeights(
            "expandnet", "expandnet", "weights",
            _rf(_EXPANDNET, "weights.pth", "145d1ad92a043dbfccb2c6078360d6b86d7829d2ec31a189c2c6ff61a6da37b7", 1831689),
            _rf(_EXPANDNET, "LICENSE", "0b6b829ba26506e896af618a3972c9a8ebbfdb350841606dc03fd5024e475a8a", 2123),
            "BSD-3-Clause-Clear",
            "Marnerides et al., ExpandNet: a deep convolutional neural network for high dynamic range "
            "expansion from low dynamic range content, Eurographics 2018",
        ),
        PublishedWeights(
            "lhdr", "lhdr", "params",
            _rf(_LHDR, "params.pth", "ba487a727f18916d4e11d1b235244d6421cf1e0176cdfe3707cde703d088d435", 1122091),
            _rf(_LHDR, "LICENSE", _MPL_LICENCE_SHA, 16725),
            "MPL-2.0",
            "Guo & Jiang, LHDR: HDR reconstruction for legacy content using a lightweight DNN, ACCV 2022",
        ),
        PublishedWeights(
            "hdrtvdm", "hdrtvdm", "params",
            _rf(_HDRTVDM, "method/params.pth", "3388f71f90af661017f6df17193f5c353111d8a8dff9e6a7726a3468d364535c", 1668929),
            _HDRTVDM_LICENCE, "MPL-2.0", _HDRTVDM_CITE,
        ),
        PublishedWeights(
            "hdrtvdm-3dm", "hdrtvdm", "params_3DM",
            _rf(_HDRTVDM, "method/params_3DM.pth", "49690f7bb2b901648fdbdb62ce601cf49a92220fb48a4a2a90efba08db61428d", 1668929),
            _HDRTVDM_LICENCE, "MPL-2.0", _HDRTVDM_CITE,
        ),
        PublishedWeights(
            "hdrtvdm-davinci", "hdrtvdm", "params_DaVinci",
            _rf(_HDRTVDM, "method/params_DaVinci.pth", "f7b31e3f63c711a667abe5c7823056210ae1765723efeac4dc52cf3f9ea37f20", 1668929),
            _HDRTVDM_LICENCE, "MPL-2.0", _HDRTVDM_CITE,
        ),
    )
}  # fmt: skip


def get_weights(method: str, key: str | None = None) -> PublishedWeights:
    """The pinned file of network ``method`` (``expandnet``, ``lhdr``, ``hdrtvdm``) named ``key``
    (the authors' stem, e.g. ``params_3DM``; default: the method's default file), or the entry
    registered under ``method`` when that is a name of :data:`WEIGHTS` (``hdrtvdm-3dm``)."""
    if key is None and method in WEIGHTS:
        return WEIGHTS[method]
    found = [w for w in WEIGHTS.values() if w.method == method and (key is None or w.key == key)]
    if key is None:
        found = found[:1]
    if not found:
        have = ", ".join(f"{w.method}/{w.key}" for w in WEIGHTS.values())
        raise ConfigError(f"no released weights {method}/{key or '(default)'}; known: {have}")
    return found[0]


def cached_state(entry: PublishedWeights, cache: str | Path | None = None) -> str:
    """``verified`` (weights and licence in the cache with the pinned sha256), ``corrupt`` (a file
    there with other content) or ``missing``."""
    from itmn.data.fetch import sha256_file  # urllib/ssl: imported when needed, as in resolve()

    states = []
    for rf in entry.files:
        p = paths.downloads_dir(cache) / rf.relpath
        if not p.is_file():
            states.append("missing")
        elif p.stat().st_size != rf.size or sha256_file(p) != rf.sha256:
            states.append("corrupt")
        else:
            states.append("verified")
    return "corrupt" if "corrupt" in states else ("missing" if "missing" in states else "verified")


def configure(*, cache: str | Path | None = None, mirror: str | None = None) -> None:
    """Set the cache and mirror the registered methods' weights come from when none is passed
    (e.g. the reproduction's ``--cache`` and ``--mirror``); None restores the defaults
    (``$ITMN_CACHE`` / the user cache dir, ``$ITMN_DATA_MIRROR`` / the upstream URL). Like
    :func:`itmn.originals.configure`, it does not touch the environment."""
    _SOURCES["cache"] = None if cache is None else str(cache)
    _SOURCES["mirror"] = mirror


def sources(cache: str | Path | None = None, mirror: str | None = None) -> tuple[str | Path | None, str | None]:
    """The (cache, mirror) a fetch uses: the arguments, else what :func:`configure` set, else the
    environment's (``$ITMN_DATA_MIRROR``; the cache is resolved by :mod:`itmn.paths`)."""
    cache = cache if cache is not None else _SOURCES["cache"]
    mirror = paths.data_mirror(mirror if mirror is not None else _SOURCES["mirror"])
    return cache, mirror


def resolve(
    entry: PublishedWeights,
    cache: str | Path | None = None,
    mirror: str | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Path of the verified weights file in the cache, fetching it and its licence file first when
    needed (cache, then ``mirror`` or ``$ITMN_DATA_MIRROR``, then the upstream URL).

    Raises ChecksumError when a copy has the wrong content (the message names the file, where it
    came from, and the expected and actual sha256) and ItmnError when a file cannot be found.
    """
    from itmn.data.fetch import fetch_file

    cache, mirror = sources(cache, mirror)
    notes: list[str] = []

    def note(msg: str) -> None:
        notes.append(msg)
        if log is not None:
            log(msg)

    results = [fetch_file(rf, cache, mirror, log=note) for rf in entry.files]
    failed = [r for r in results if getattr(r, "status", "failed") == "failed"]
    if failed:
        detail = "; ".join(str(getattr(r, "error", None) or r.file.path) for r in failed)
        earlier = f" (before that: {'; '.join(notes)})" if notes else ""
        what = f"released weights of {entry.name!r} ({entry.file.repo} @ {entry.file.commit[:12]})"
        if any(getattr(r, "bad_content", False) for r in failed):
            raise ChecksumError(f"{what} refused, nothing was loaded: {detail}{earlier}")
        where = f"mirror {mirror}" if mirror else "the upstream URL"
        raise ItmnError(
            f"{what} not available from the cache or {where}: {detail}{earlier}. "
            "Run `itmn models fetch --mirror DIR` or set ITMN_DATA_MIRROR."
        )
    return Path(results[0].path)


def load_state_dict(
    entry: PublishedWeights,
    cache: str | Path | None = None,
    mirror: str | None = None,
    *,
    path: str | Path | None = None,
) -> dict[str, Any]:
    """The state dict of ``entry`` (CPU tensors, keys as the authors saved them).

    The bytes are read once, checked against the pinned sha256 and size, and only then handed to
    ``torch.load`` (``weights_only=True``): a file that fails (``path=`` a local copy, or a cache
    file changed after :func:`resolve`) raises ChecksumError naming it with both hashes, and
    nothing is loaded.
    """
    import io

    import torch

    src = Path(path) if path is not None else resolve(entry, cache, mirror)
    if not src.is_file():
        raise ItmnError(f"weights file {src}: no such file (expected {entry.file.path} of {entry.file.repo})")
    data = src.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha != entry.file.sha256 or len(data) != entry.file.size:
        raise ChecksumError(
            f"weights file {src}: sha256 {sha} ({len(data)} bytes) but {entry.name!r} expects sha256 "
            f"{entry.file.sha256} ({entry.file.size} bytes); refused, nothing was loaded"
        )
    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ChecksumError(f"weights file {src}: holds a {type(state).__name__}, expected a state dict")
    return dict(state)
