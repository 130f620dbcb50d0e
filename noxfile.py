"""nox sessions. They run in the environment where the package is installed (README's install
command), so nothing is installed twice: ``venv_backend="none"``.

    nox -s tests              # every test, slow ones included, and the docstring examples (the
                              # README's test command; CI runs it)
    nox -s tests_fast         # the same without the tests marked ``slow`` (each > ~20 s on 2 cores)
    nox -s lint               # ruff, layer contracts (import-linter), types of the public API (mypy)
    nox -s perf               # speed / memory benchmarks, ratios against baselines run alongside
    nox -s reproduce_table1   # the paper's Table 1, end to end  (-- --profile smoke|cpu|paper ...)
    nox -s reproduce_table2   # the alpha/lambda sweep of Table 2
    nox -s octave             # the MATLAB/Octave bridge tests only (needs GNU Octave)
    nox -s gpu_check          # one prepared check of the GPU paths (-- --device cpu --tiny: CI size)

Arguments after ``--`` go to pytest, e.g. ``nox -s tests -- -m calibration`` or ``-x -k colour``.
``tests`` and ``tests_fast`` always collect the whole tree (tests/ and the three packages, for their
``>>>`` examples); for a single file call pytest directly: ``python -m pytest tests/itmn/test_colour.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
ROOT = Path(__file__).parent


def _shared_env() -> dict[str, str]:
    """Point tests at ../shared (reference data, dataset mirror) when it exists and nothing else is set."""
    env: dict[str, str] = {}
    shared = ROOT.parent / "shared"
    if "ITMN_SHARED" not in os.environ and shared.is_dir():
        env["ITMN_SHARED"] = str(shared)
    if "ITMN_DATA_MIRROR" not in os.environ and (shared / "data" / "mirror").is_dir():
        env["ITMN_DATA_MIRROR"] = str(shared / "data" / "mirror")
    return env


#: pytest arguments that add the docstring examples (``>>>``) of itmn, baselines and bench to the
#: tests (about 2 s on top of importing the modules).
DOCTESTS = ("--doctest-modules", "tests", "itmn", "baselines", "bench")


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Every test, ``slow`` ones included, and the packages' docstring examples (what CI runs).
    Extra arguments go to pytest, e.g. ``-- -m calibration``."""
    session.run("python", "-m", "pytest", *DOCTESTS, *session.posargs, env=_shared_env())


@nox.session(venv_backend="none")
def tests_fast(session: nox.Session) -> None:
    """``tests`` without the tests marked ``slow`` (each takes more than ~20 s on 2 CPU cores: full-size
    networks and images, training runs killed and resumed, DDP): for the edit-test loop. Extra
    arguments go to pytest; a ``-m`` among them replaces ``not slow``."""
    session.run("python", "-m", "pytest", "-m", "not slow", *DOCTESTS, *session.posargs, env=_shared_env())


@nox.session(venv_backend="none")
def octave(session: nox.Session) -> None:
    """Tests of the MATLAB/Octave bridge (``-m octave``). They need GNU Octave (apt install octave);
    the checks against the original code also need ITMN_HDRVDP_PATH / ITMN_HDRTOOLBOX_PATH /
    ITMN_PU21_PATH pointing at your copies (docs/backends.md)."""
    import shutil

    if not (shutil.which("octave-cli") or shutil.which("octave") or os.environ.get("ITMN_OCTAVE")):
        session.error("GNU Octave is not on PATH: apt install octave (or set ITMN_OCTAVE)")
    session.run("python", "-m", "pytest", "-m", "octave", *session.posargs, env=_shared_env())


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """ruff, the layer contracts (import-linter, docs/ARCHITECTURE.md) and the type check of the
    public API (mypy; the modules are listed in pyproject.toml)."""
    session.run("ruff", "check", ".")
    session.run("lint-imports", "--no-cache")
    session.run("mypy")


@nox.session(venv_backend="none")
def perf(session: nox.Session) -> None:
    """Benchmarks: HDR-VDP-2, Huo, KO, training and inference speed (writes results/perf/*.json)."""
    session.run("python", "-m", "bench.perf", *session.posargs, env=_shared_env())


@nox.session(venv_backend="none")
def gpu_check(session: nox.Session) -> None:
    """The paper profile with AMP, kill/resume, DDP, HDR-VDP-2 and inference on a CUDA GPU, within
    8 minutes (docs/gpu-check.md). Arguments after ``--`` go to ``python -m bench.perf.gpu_check``
    (``--device cpu --tiny`` runs the same code small on CPU; ``--out``, ``--budget-s``, ``--only``)."""
    session.run("python", "-m", "bench.perf.gpu_check", *session.posargs, env=_shared_env())


@nox.session(venv_backend="none")
def reproduce_table1(session: nox.Session) -> None:
    """The paper's Table 1 end to end: fetch, prepare, train, expand, score, tables, figures.

    Arguments after ``--`` go to ``python -m bench.reproduce table1`` (``--profile smoke|cpu|paper``,
    ``--dataset NAME|PATH``, ``--mirror DIR|URL``, ...; ``--help`` lists them).
    """
    session.run("python", "-m", "bench.reproduce", "table1", *session.posargs)


@nox.session(venv_backend="none")
def reproduce_table2(session: nox.Session) -> None:
    """The alpha/lambda sweep of Table 2 (same options as reproduce_table1)."""
    session.run("python", "-m", "bench.reproduce", "table2", *session.posargs)
