"""Figures: one display mapping for every method, crops on the informative region, atomic PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.figures import (
    choose_crop,
    comparison_grid,
    convergence_plot,
    display_mapping,
    save_figure,
    tonemap_for_display,
)


def _scene(h: int = 96, w: int = 128) -> np.ndarray:
    img = np.full((h, w, 3), 5.0, dtype=np.float32)
    img[60:80, 90:110] = 900.0  # a bright patch: the crop should find it
    return img


def test_display_mapping_is_monotone_and_in_range() -> None:
    ref = _scene()
    e = display_mapping(ref)
    ramp = np.geomspace(0.005, 1000, 64, dtype=np.float32)[None, :, None].repeat(3, axis=2)
    out = tonemap_for_display(ramp, e)
    assert out.min() >= 0 and out.max() <= 1
    assert np.all(np.diff(out[0, :, 1]) > 0)
    # the mapping depends on the reference only: a method's output is mapped with the same exposure
    assert display_mapping(ref) == e


def test_choose_crop_finds_highlight() -> None:
    y0, x0, y1, x1 = choose_crop(_scene(), 32)
    assert y1 - y0 == 32 and x1 - x0 == 32
    assert y0 < 70 < y1 and x0 < 100 < x1


def test_comparison_grid_and_save(tmp_path: Path) -> None:
    ref = {"im": _scene()}
    preds = {"m1": {"im": _scene() * 0.5}, "m2": {"im": _scene() * 2.0}}
    for fc in (False, True):
        fig = comparison_grid(["im"], ref, preds, {"m1": "Method 1"}, crop=32, false_colour=fc)
        assert len(fig.axes) >= 3
        out = save_figure(fig, tmp_path / f"grid{fc}.png")
        assert out.stat().st_size > 1000
    assert not list(tmp_path.glob(".*tmp*"))


def test_convergence_plot_requires_column() -> None:
    df = pd.DataFrame({"iteration": np.arange(10), "content": np.linspace(1, 0.1, 10)})
    fig = convergence_plot({"a": df}, column="content", title="t", ylabel="y", smooth=3)
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(KeyError, match="no column"):
        convergence_plot({"a": df}, column="missing", title="t", ylabel="y")
