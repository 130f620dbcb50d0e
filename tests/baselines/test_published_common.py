"""Padding and tiling shared by the published networks (baselines/published/_common.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines.published import _common


@pytest.mark.parametrize(("n", "total"), [(5, 8), (1, 4), (2, 9), (6, 7), (3, 20)])
def test_reflect_padding_is_numpy_s_reflect(n, total, rng):
    x = rng.random((n, n + 1, 2))
    ph, pw = total - n, total - n - 1
    expected = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    rows = _common._reflect_index(n, n + ph)
    cols = _common._reflect_index(n + 1, n + 1 + pw)
    np.testing.assert_array_equal(x[rows][:, cols], expected)


def test_pad_to_multiples_and_minimum(rng):
    assert _common.pad_amounts(190, 381, 4) == (2, 3)
    assert _common.pad_amounts(192, 384, 4) == (0, 0)
    assert _common.pad_amounts(1, 6, 4, minimum=8) == (7, 2)
    x = rng.random((7, 10, 3)).astype(np.float32)
    padded = _common.pad_reflect_np(x, 4)
    assert padded.shape == (8, 12, 3) and np.array_equal(padded[:7, :10], x)
    t, (h, w) = _common.pad_reflect(torch.from_numpy(x.transpose(2, 0, 1).copy())[None], 4)
    assert (h, w) == (7, 10) and np.array_equal(t[0].permute(1, 2, 0).numpy(), padded)


@pytest.mark.parametrize(("n", "tile", "overlap"), [(100, 64, 16), (64, 64, 16), (30, 64, 16), (257, 128, 0)])
def test_tiles_cover_the_image(n, tile, overlap):
    starts = _common.tile_starts(n, tile, overlap)
    assert starts[0] == 0 and starts[-1] + min(tile, n) == n
    assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:]))  # neighbours overlap enough
    assert all(s + min(tile, n) <= n for s in starts)


def test_blending_is_a_partition_of_unity(rng):
    """A window function that does not depend on the window (here: the input itself, scaled) is
    reassembled exactly, whatever the grid."""
    x = torch.from_numpy(rng.random((1, 3, 150, 97)).astype(np.float32))
    out = _common.blend_tiles(lambda t, l, b, r: 2 * x[..., t:b, l:r], 150, 97, 64, 24)
    torch.testing.assert_close(out, 2 * x, rtol=1e-6, atol=1e-6)


def test_tiling_parameters_are_checked():
    from itmn.errors import ConfigError

    _common.check_tiling("m", 0, 999, 4)  # whole image: overlap unused
    _common.check_tiling("m", 64, 0, 4)
    for tile, overlap in ((32, 0), (66, 8), (64, 32), (64, -1)):
        with pytest.raises(ConfigError):
            _common.check_tiling("m", tile, overlap, 4)
