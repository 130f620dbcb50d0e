"""Fixtures of the published-methods tests: the reference inputs and outputs of
reference/published (authors' code and weights) and the weights from the offline mirror."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def published_ref(shared: Path) -> Path:
    root = shared / "reference" / "published"
    if not root.is_dir():
        pytest.skip(f"{root} not found: the published methods' reference outputs are not in this shared/")
    return root


@pytest.fixture(scope="session")
def weights_source(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``cache=`` (a fresh folder for this session) and ``mirror=`` (shared/data/mirror) keywords."""
    mirror = shared / "data" / "mirror"
    if not (mirror / "hdr-expandnet").is_dir():
        pytest.skip(f"{mirror} holds no released weights of the published methods")
    return {"cache": str(tmp_path_factory.mktemp("published-cache")), "mirror": str(mirror)}


@pytest.fixture(scope="session")
def eo_png(shared: Path) -> Callable[[str], np.ndarray]:
    """name -> the reference input PNG as H x W x 3 uint8 RGB."""
    import OpenImageIO as oiio

    def read(name: str) -> np.ndarray:
        buf = oiio.ImageBuf(str(shared / "reference" / "eo" / "inputs" / f"{name}.png"))
        px = buf.get_pixels(oiio.UINT8)
        assert px is not None and px.shape[2] == 3, f"{name}.png: {buf.geterror()}"
        return np.ascontiguousarray(px)

    return read


@pytest.fixture
def weights_env(weights_source: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The same cache and mirror through ITMN_CACHE / ITMN_DATA_MIRROR (for the registry and CLI)."""
    monkeypatch.setenv("ITMN_CACHE", weights_source["cache"])
    monkeypatch.setenv("ITMN_DATA_MIRROR", weights_source["mirror"])
    return weights_source
