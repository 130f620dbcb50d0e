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
def authors_output(published_ref: Path) -> Callable[[str, str, str], np.ndarray]:
    """(method folder, input name, suffix) -> the authors' output ``<folder>/<name>__<suffix>.npy``."""
    return lambda folder, name, suffix: np.load(published_ref / folder / f"{name}__{suffix}.npy")


@pytest.fixture(scope="session")
def diff_on_authors_crop(
    authors_output: Callable[[str, str, str], np.ndarray], eo_png: Callable[[str], np.ndarray]
) -> Callable[..., np.ndarray]:
    """``diff(native, folder, suffix, name, trim=(0, 0))``: ``native`` (H x W x 3 uint8 -> float32
    H x W x 3) run on the input PNG ``name`` cropped top-left to the size of the authors' output
    (:func:`authors_output`) less ``trim`` (rows, columns); checks the output's shape and dtype,
    prints the largest difference and returns |output - authors' output| over that crop."""

    def diff(
        native: Callable[[np.ndarray], np.ndarray],
        folder: str,
        suffix: str,
        name: str,
        trim: tuple[int, int] = (0, 0),
    ) -> np.ndarray:
        ref = authors_output(folder, name, suffix)
        h, w = ref.shape[0] - trim[0], ref.shape[1] - trim[1]
        out = native(eo_png(name)[:h, :w])
        assert out.shape == (h, w, 3) and out.dtype == np.float32
        d = np.abs(out - ref[:h, :w])
        print(f"{folder} {name} ({h} x {w}): max |diff| {float(d.max()):.3g}")
        return d

    return diff


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
