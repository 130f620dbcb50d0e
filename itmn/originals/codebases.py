"""The bodies of original MATLAB code the bridge can run, where the user's copies are, and the
engines that run them (:mod:`itmn.originals.engine`).

Where the user's copies are (never downloaded or vendored by the suite):

=====================  =========================  ============================================
code                   setting (environment)      folder to point at
=====================  =========================  ============================================
HDR-VDP 2.2.2          ``ITMN_HDRVDP_PATH``       the folder holding ``hdrvdp.m``
HDR-VDP 3.0.7          ``ITMN_HDRVDP3_PATH``      the folder holding ``hdrvdp3.m``
HDR Toolbox            ``ITMN_HDRTOOLBOX_PATH``   the toolbox root (its subfolders are added)
PU21 (gfxdisp/pu21)    ``ITMN_PU21_PATH``         the folder holding ``pu21_metric.m``
=====================  =========================  ============================================

A program can also name the folders explicitly with :func:`configure` (the command line does this
for its ``--<code>-path`` options); an explicit folder wins over the environment variable.
Engines are started once per (backend, code) and reused for the process.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass
from pathlib import Path

from itmn.originals.engine import BackendError, Engine, check_backend_name, get_engine


@dataclass(frozen=True)
class CodeBase:
    """A body of original code the user provides."""

    key: str
    title: str
    env: str
    marker: str  # a function that must be found in the folder
    recursive: bool  # add subfolders (genpath)
    where: str  # where to get it (for error messages; the suite does not fetch it)


CODEBASES: dict[str, CodeBase] = {
    "hdrvdp": CodeBase(
        "hdrvdp",
        "HDR-VDP 2.2.2",
        "ITMN_HDRVDP_PATH",
        "hdrvdp",
        False,
        "https://sourceforge.net/projects/hdrvdp/files/hdrvdp/2.2.2/ (version 2.2.2; hdrvdp_version() = 2.22)",
    ),
    "hdrvdp3": CodeBase(
        "hdrvdp3",
        "HDR-VDP 3.0.7",
        "ITMN_HDRVDP3_PATH",
        "hdrvdp3",
        False,
        "https://sourceforge.net/projects/hdrvdp/files/hdrvdp/3.0.7/ (hdrvdp_version() = 3.07; a public copy: "
        "github libjxl/codec-comparison @ a086562, folder hdrvdp-3.0.7)",
    ),
    "hdrtoolbox": CodeBase(
        "hdrtoolbox",
        "HDR Toolbox",
        "ITMN_HDRTOOLBOX_PATH",
        "HuoPhysEO",
        True,
        "https://github.com/banterle/HDR_Toolbox",
    ),
    "pu21": CodeBase(
        "pu21",
        "PU21",
        "ITMN_PU21_PATH",
        "pu21_metric",
        False,
        "https://github.com/gfxdisp/pu21 (its matlab/ folder)",
    ),
}

#: HDR-VDP version whose numbers the suite's port reproduces (hdrvdp_version() of 2.2.2).
HDRVDP_EXPECTED_VERSION = 2.22
#: HDR-VDP-3 version whose numbers the suite's hdrvdp3 port reproduces (hdrvdp_version() of 3.0.7).
HDRVDP3_EXPECTED_VERSION = 3.07

_ENGINES: dict[tuple[str, str], tuple[Engine, Path]] = {}


_CONFIGURED: dict[str, str] = {}


def configure(**folders: str | os.PathLike | None) -> None:
    """Name the folders of the user's copies explicitly, by code base key (``hdrvdp=``,
    ``hdrtoolbox=``, ``pu21=``); None leaves a key as it is. Wins over the environment."""
    for key, folder in folders.items():
        if key not in CODEBASES:
            raise BackendError(f"unknown code base {key!r}; known: {', '.join(CODEBASES)}")
        if folder is not None:
            _CONFIGURED[key] = str(folder)


def configured_folder(key: str) -> str | None:
    """The folder given for ``key`` by :func:`configure` or its environment variable, else None."""
    raw = _CONFIGURED.get(key) or os.environ.get(CODEBASES[key].env, "")
    return raw.strip() or None


def code_path(key: str) -> Path:
    """The folder of the user's copy of ``key`` (see the table above); BackendError if unset or wrong."""
    cb = CODEBASES[key]
    raw = configured_folder(key) or ""
    if not raw:
        raise BackendError(
            f"no copy of {cb.title} is configured: set {cb.env} to the folder with {cb.marker}.m of your "
            f"copy; the suite does not download or ship it. Get it from {cb.where}"
        )
    p = Path(raw).expanduser()
    if not p.is_dir():
        raise BackendError(f"{cb.env}={raw}: not a folder")
    found = next(iter(p.rglob(f"{cb.marker}.m")), None) if cb.recursive else p / f"{cb.marker}.m"
    if found is None or not found.is_file():
        raise BackendError(
            f"{cb.env}={raw}: {cb.marker}.m not found there"
            + (" (searched its subfolders)" if cb.recursive else "")
            + f"; point it at your copy of {cb.title} ({cb.where})"
        )
    return p.resolve()


def engine_for(key: str, backend: str) -> tuple[Engine, Path]:
    """The (cached) engine of ``backend`` with the user's copy of ``key`` on its path."""
    check_backend_name(backend)
    if backend == "native":
        raise BackendError("backend 'native' runs the suite's own code; no original is involved")
    path = code_path(key)
    cache_key = (backend, f"{key}:{path}")
    if cache_key not in _ENGINES:
        eng = get_engine(backend, [(path, CODEBASES[key].recursive)])
        _check_code(eng, key, path)
        _ENGINES[cache_key] = (eng, path)
    return _ENGINES[cache_key]


def _check_code(eng: Engine, key: str, path: Path) -> None:
    cb = CODEBASES[key]
    if eng.exists(cb.marker) == 0:
        raise BackendError(f"{eng.name} does not find {cb.marker} after adding {path} to its path")
    if key == "hdrvdp":
        if eng.exists("hdrvdp_version") == 0:
            raise BackendError(
                f"{path}: no hdrvdp_version.m, so this is not HDR-VDP 2.2.x; the suite's numbers are "
                f"those of HDR-VDP 2.2.2 ({cb.where})"
            )
        (ver,) = eng.call("hdrvdp_version")
        if not isinstance(ver, float) or abs(ver - HDRVDP_EXPECTED_VERSION) > 1e-9:
            raise BackendError(
                f"{path}: hdrvdp_version() says {ver!r}, expected {HDRVDP_EXPECTED_VERSION} (HDR-VDP 2.2.2); "
                f"other versions give other numbers. Get 2.2.2 from {cb.where}"
            )
    if key == "hdrvdp3":
        if eng.exists("hdrvdp_version") == 0:
            raise BackendError(f"{path}: no hdrvdp_version.m, so this is not HDR-VDP 3.0.x ({cb.where})")
        (ver,) = eng.call("hdrvdp_version")
        if not isinstance(ver, float) or abs(ver - HDRVDP3_EXPECTED_VERSION) > 1e-9:
            raise BackendError(
                f"{path}: hdrvdp_version() says {ver!r}, expected {HDRVDP3_EXPECTED_VERSION} (HDR-VDP 3.0.7); "
                f"other versions give other numbers. Get 3.0.7 from {cb.where}"
            )
        # hdrvdp3.m adds utils/ to the path itself when it runs
        if eng.name == "octave" and not (path / "utils" / "geomean.m").is_file() and eng.exists("geomean") == 0:
            raise BackendError(
                f"{path}: HDR-VDP 3 calls geomean (MATLAB's Statistics Toolbox), which this Octave lacks: add "
                "utils/geomean.m to your copy with the body 'm = exp(mean(log(x)));' (docs/backends.md)"
            )


def engines_in_use() -> dict[str, str]:
    """The engines started so far: ``"<backend> <code>"`` -> ``"<engine version> <folder>"``."""
    return {f"{b} {code.split(':', 1)[0]}": f"{eng.version()} {path}" for (b, code), (eng, path) in _ENGINES.items()}


def close_engines() -> None:
    """Close every cached engine (called at exit)."""
    while _ENGINES:
        _, (eng, _) = _ENGINES.popitem()
        try:
            eng.close()
        except Exception:  # noqa: BLE001 - closing at exit must not raise
            pass


atexit.register(close_engines)


def describe(key: str, backend: str) -> str:
    """``'original HDR-VDP 2.2.2 via Octave 7.3.0 (/path)'`` for configuration strings."""
    eng, path = engine_for(key, backend)
    return f"original {CODEBASES[key].title} via {eng.version()} ({path})"
