"""Tiled inference (itmn.infer.predict_tiled) on random sizes, tiles, overlaps and grids, checked
with hypothesis (profile ``itmn`` of tests/conftest.py: derandomized, no example database).

With a network that works pixel by pixel, every tile computes the same values as the whole image,
so the blended result must equal the untiled one wherever the blending weights are positive; a
pixel that no tile covers with positive weight would come out NaN (0/0), and a misplaced tile or
weight would show as a difference. test_infer.py checks the real generator (whose receptive field
crosses tile borders) against a measured bound; this file checks the geometry for any size.

Tolerances:
* identity network: exact. The result is sum(w_k * x) / sum(w_k) in float64 cast back to
  float32: within a few float64 ulps of the float32 value x, so the cast gives x itself.
* 1x1 convolution + sigmoid (pointwise, mixes channels, 3 -> 2 channels): 1e-6 absolute on
  outputs in (0, 1), about 8 float32 ulps at 1: the convolution of a tile and of the whole
  image may sum in another order (another blocking of the same GEMM).
"""

from __future__ import annotations

import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from itmn.infer import predict_tiled

POINTWISE_TOL = 1e-6
#: Examples with more tiles are skipped (``assume``): a 1-pixel grid with a 1-pixel step would
#: make 40000 calls of the network for one 200 x 200 example and minutes of run time.
MAX_TILES = 400

sizes = st.integers(1, 200)
grids = st.sampled_from([1, 8, 32])  # the ``multiple`` argument; the generator uses 32


def _image(n: int, h: int, w: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, h, w, generator=g)


def _n_tiles(h: int, w: int, tile: int, overlap: int, multiple: int) -> int:
    """How many tiles predict_tiled makes (its rounding written out again): a cost guard only."""
    t = max(multiple, -(-tile // multiple) * multiple)
    step = t - min(-(-overlap // multiple) * multiple, t - multiple)

    def per_axis(size: int) -> int:
        padded = -(-size // multiple) * multiple
        return 1 if padded <= t else -(-(padded - t) // step) + 1

    return per_axis(h) * per_axis(w)


def _pointwise_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 2, kernel_size=1), nn.Sigmoid()).eval()


@given(
    n=st.integers(1, 2), h=sizes, w=sizes, tile=st.integers(1, 160), overlap=st.integers(0, 160),
    multiple=grids, seed=st.integers(0, 2**16),
)  # fmt: skip
def test_identity_network_tiled_equals_input(
    n: int, h: int, w: int, tile: int, overlap: int, multiple: int, seed: int
) -> None:
    assume(_n_tiles(h, w, tile, overlap, multiple) <= MAX_TILES)
    x = _image(n, h, w, seed)
    with torch.no_grad():
        out = predict_tiled(nn.Identity(), x, tile=tile, overlap=overlap, multiple=multiple)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.isnan(out).any(), "some pixel got no positive blending weight"
    assert torch.equal(out, x), f"max |tiled - input| = {float((out - x).abs().max()):.3g}"


@given(
    h=sizes, w=sizes, tile=st.integers(1, 160), overlap=st.integers(0, 160), multiple=grids,
    seed=st.integers(0, 2**16),
)  # fmt: skip
def test_pointwise_network_tiled_equals_untiled(
    h: int, w: int, tile: int, overlap: int, multiple: int, seed: int
) -> None:
    assume(_n_tiles(h, w, tile, overlap, multiple) <= MAX_TILES)
    net = _pointwise_net()
    x = _image(1, h, w, seed)
    with torch.no_grad():
        whole = net(x)
        out = predict_tiled(net, x, tile=tile, overlap=overlap, multiple=multiple)
    assert out.shape == whole.shape == (1, 2, h, w)
    assert not torch.isnan(out).any(), "some pixel got no positive blending weight"
    diff = float((out - whole).abs().max())
    assert diff <= POINTWISE_TOL, f"max |tiled - untiled| = {diff:.3g}"
