"""Helpers shared by test files, importable as ``itmn_test_support`` (registered by tests/conftest.py:
pytest runs with --import-mode=importlib, so test folders are not on sys.path and a test module
cannot import another file of the test tree by itself).

Only what test modules need at import or collection time lives here (parametrization from the
reference data, independent reference formulas, special images); fixtures are in the conftest files.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_root() -> Path | None:
    """The reference data folder: ``$ITMN_SHARED``, else ``../shared`` beside the repository, if it
    exists (the rule of the ``shared`` fixture, usable at collection time)."""
    env = os.environ.get("ITMN_SHARED")
    cand = Path(env) if env else REPO.parent / "shared"
    return cand if cand.is_dir() else None


def reference_rows(rel: str, id_cols: tuple[str, ...]) -> list:
    """One ``pytest.param(row)`` per row of the CSV file ``rel`` (relative to :func:`shared_root`),
    with id ``row[c1]-row[c2]...`` for ``id_cols``; a single skipped param ``no-shared`` (value
    None) when the file is absent. The tests themselves still request the ``shared`` fixture."""
    root = shared_root()
    path = root / rel if root else None
    if path is None or not path.is_file():
        return [
            pytest.param(
                None, id="no-shared", marks=pytest.mark.skip(reason=f"{rel} not found (ITMN_SHARED)")
            )
        ]
    with open(path, newline="") as fh:
        return [pytest.param(r, id="-".join(r[c] for c in id_cols)) for r in csv.DictReader(fh)]


# --------------------------------------------------------------------------- sRGB, written out
def srgb_oetf(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 encoding (linear [0, 1], clipped -> code value), written out in numpy
    independently of itmn.colour and baselines.drtm."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_eotf(v: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 decoding (code value [0, 1], clipped -> linear), written out in numpy."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, np.power((v + 0.055) / 1.055, 2.4))


# --------------------------------------------------------------------------- special LDR images
SPECIAL_IMAGES = ("black", "white", "saturated", "single-colour", "one-pixel")


def special_image(name: str) -> np.ndarray:
    """The 16 x 16 (or 1 x 1) float64 LDR images that break naive expansion operators: all black,
    all white, pure red, one flat colour, one pixel. ``name`` is one of :data:`SPECIAL_IMAGES`."""
    return {
        "black": lambda: np.zeros((16, 16, 3)),
        "white": lambda: np.ones((16, 16, 3)),
        "saturated": lambda: np.tile([1.0, 0.0, 0.0], (16, 16, 1)),
        "single-colour": lambda: np.tile([0.2, 0.5, 0.7], (16, 16, 1)),
        "one-pixel": lambda: np.full((1, 1, 3), 0.5),
    }[name]()
