"""Shared fixtures. Reference data of the original MATLAB code lives in ../shared (CI has it);
``ITMN_SHARED`` points elsewhere. Tests that need it are skipped, saying why, when it is absent.

Also makes the test helper modules importable by test modules (pytest runs with
--import-mode=importlib, so test folders are not on sys.path): tests/support.py as
``itmn_test_support``, tests/itmn/train_support.py (the training tests' synthetic datasets and
``itmn train`` entry point) as ``itmn_train_test_support`` and tests/itmn/http_mirror.py (a local
HTTP mirror server for the download tests) as ``itmn_http_mirror``. Both import only numpy and pytest at
module level (besides the standard library), so registering them costs nothing.

Property tests (hypothesis) run under the profile ``itmn`` registered here: derandomized (the
examples are a function of the test alone, so CI and every machine draw the same ones), no
example database (no failure is replayed from a local cache: what a run reports is what it drew;
hypothesis still keeps a cache of source constants in the self-ignored .hypothesis/), no deadline
(the machines are shared and timing is not what is tested), and at most 50 examples a test.
``--hypothesis-profile=explore`` (hypothesis's pytest option) draws 1000 fresh random examples a
test instead, to look for new failures; hypothesis prints how to reproduce any it finds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings


def _register(name: str, rel: str) -> None:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / rel)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])


_register("itmn_test_support", "support.py")
_register("itmn_train_test_support", "itmn/train_support.py")
_register("itmn_http_mirror", "itmn/http_mirror.py")

from itmn_test_support import shared_root  # noqa: E402

settings.register_profile("itmn", derandomize=True, database=None, deadline=None, max_examples=50)
settings.register_profile("explore", derandomize=False, database=None, deadline=None, max_examples=1000)
settings.load_profile("itmn")  # --hypothesis-profile NAME (applied after this) chooses another


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
