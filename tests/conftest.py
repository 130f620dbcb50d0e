"""Shared fixtures. Reference data of the original MATLAB code lives in ../shared (CI has it);
``ITMN_SHARED`` points elsewhere. Tests that need it are skipped, saying why, when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_root() -> Path | None:
    env = os.environ.get("ITMN_SHARED")
    cand = Path(env) if env else REPO.parent / "shared"
    return cand if cand.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    root = shared_root()
    if root is None:
        pytest.skip("reference data not found: set ITMN_SHARED to the shared/ folder")
    return root


@pytest.fixture(scope="session")
def mirror(shared: Path) -> Path:
    return shared / "data" / "mirror"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
