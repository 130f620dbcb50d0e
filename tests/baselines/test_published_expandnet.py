"""ExpandNet with the authors' weights against the authors' own outputs (reference/published/expandnet:
dmarnerides/hdr-expandnet @ 2b47572, ``model.predict(x, 256)`` and ``model(x)``, torch 2.13.0 CPU
float32, one thread; see its README), and the patch-wise inference's own properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.published import expandnet

INPUTS = ("oexr_bonita", "oexr_desk", "oexr_goldengate", "ph_lebombo")
#: Tolerance of the reference README (float32 on CPU).
TOL = 1e-4


@pytest.mark.calibration
@pytest.mark.parametrize("tiled", [True, False], ids=["predict256", "forward"])
@pytest.mark.parametrize("name", INPUTS)
def test_native_output_equals_the_authors(name, tiled, published_ref: Path, weights_source, eo_png):
    ref = np.load(
        published_ref / "expandnet" / f"{name}__expandnet_{'predict256' if tiled else 'forward'}.npy"
    )
    out = expandnet.native(eo_png(name), tiled=tiled, device="cpu", **weights_source)
    assert out.shape == ref.shape and out.dtype == np.float32
    diff = float(np.abs(out - ref).max())
    print(f"expandnet {name} {'predict256' if tiled else 'forward'}: max |diff| {diff:.3g}")
    assert diff <= TOL


def test_state_dict_keys_are_the_authors(weights_source):
    from baselines.published.weights import WEIGHTS, load_state_dict

    state = load_state_dict(WEIGHTS["expandnet"], **weights_source)
    mine = expandnet.ExpandNet().state_dict()
    assert list(state) == list(mine)
    assert all(state[k].shape == mine[k].shape for k in state)


def _random_net(seed: int = 0) -> expandnet.ExpandNet:
    torch.manual_seed(seed)
    return expandnet.ExpandNet().eval()


@pytest.mark.parametrize(("h", "w", "patch"), [(70, 101, 48), (37, 200, 64), (256, 30, 256), (5, 9, 32)])
def test_predict_equals_forward_away_from_the_border(h, w, patch):
    """Patches overlap by 20 px and keep their central part: beyond the reach of the dilated branch
    (8 px; 6 px away from the border the inputs the two see are the same) the stitched result is the
    whole-image forward, whatever the patch grid; within it, predict's zero-padded *input* differs
    from forward's zero-padded layers."""
    net = _random_net()
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        whole = net(x)
        tiled = net.predict(x, patch)
    assert tiled.shape == whole.shape
    m = 6
    if h > 2 * m and w > 2 * m:
        inner = (tiled - whole)[..., m:-m, m:-m].abs().max().item()
        assert inner <= 1e-5
    assert (tiled - whole).abs().max().item() > 1e-4  # the border does differ: the test can fail


def test_predict_rejects_a_patch_not_larger_than_the_overlap():
    with pytest.raises(ValueError, match="overlap"):
        _random_net().predict(torch.zeros(1, 3, 8, 8), 20)


def test_map_range_is_the_authors_min_max():
    x = np.array([[[10.0, 20.0, 30.0]], [[40.0, 50.0, 60.0]]], dtype=np.float32)
    np.testing.assert_allclose(expandnet.map_range(x).ravel(), np.linspace(0, 1, 6), atol=1e-7)
    assert expandnet.map_range(x).dtype == np.float32
    const = np.full((2, 2, 3), 7.0, np.float32)
    assert (expandnet.map_range(const) == 1.0).all()  # numpy interp with equal end points


def test_preprocess_uint8_and_float_inputs_agree(rng):
    img = rng.integers(3, 250, size=(9, 11, 3), dtype=np.uint8)
    a = expandnet.preprocess(img)
    b = expandnet.preprocess((img / 255.0).astype(np.float32))
    assert a.min() == 0.0 and a.max() == 1.0
    np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(Exception, match="shape"):
        expandnet.preprocess(np.zeros((4, 4), np.uint8))
