"""The up/down-exposure networks of the DrTM baseline (baselines.drtm.nets) and their config."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from itmn_test_support import srgb_eotf, srgb_oetf  # registered by tests/conftest.py

from baselines.drtm import DRTM_DEFAULTS, ExposureNet, build_nets, parameter_count, resolve_config
from itmn.errors import ConfigError, ImageError

TINY = {"width": 4, "n_levels": 4, "n_frames": 4, "ev_step": 0.5}


@pytest.mark.parametrize("size", [(16, 16), (37, 50), (1, 1), (64, 24)])
def test_shapes_for_any_input_size(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    nets = build_nets({**TINY, "zero_init_last": False})
    x = torch.rand(2, 3, *size)
    for name, net in nets.items():
        net.eval()
        out = net(x)
        assert out.shape == (2, 4, 3, *size), name
        assert (out > 0).all() and (out < 1).all()


def test_eight_frames_and_train_mode_batch() -> None:
    torch.manual_seed(0)
    net = ExposureNet({"width": 2, "n_levels": 4, "n_frames": 8}, "down").train()
    assert net(torch.rand(2, 3, 32, 32)).shape == (2, 8, 3, 32, 32)
    assert net.evs == [-0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0]


@pytest.mark.parametrize("direction", ["up", "down"])
def test_zero_residual_gives_the_re_exposed_input(direction: str) -> None:
    # With the zero-initialized last layer, h = 0: frame k must be f(2**ev_k * f^-1(x)) clamped to
    # [eps, 1 - eps], computed here with the sRGB formulas written out in numpy.
    torch.manual_seed(1)
    net = ExposureNet(TINY, direction).eval()
    x = torch.rand(1, 3, 12, 20)
    x[0, :, 0] = 1.0  # a saturated row
    x[0, :, 1] = 0.0  # a black row
    out = net(x).detach().numpy()[0]
    eps = resolve_config(TINY).logit_eps
    xn = x.numpy()[0].astype(np.float64)
    for k, ev in enumerate(net.evs):
        expected = np.clip(srgb_oetf(2.0**ev * srgb_eotf(xn)), eps, 1 - eps)
        np.testing.assert_allclose(out[k], expected, atol=2e-6)
    # The check can fail: any non-zero residual moves the frames.
    with torch.no_grad():
        net.decoder[-1].deconv.bias.fill_(0.1)
    assert not np.allclose(net(x).detach().numpy()[0], out, atol=1e-3)


def test_original_residual_is_sigmoid_of_input() -> None:
    torch.manual_seed(2)
    net = ExposureNet({**TINY, "residual": "original"}, "up").eval()
    x = torch.rand(1, 3, 8, 8)
    expected = torch.sigmoid(x).unsqueeze(1).expand(-1, 4, -1, -1, -1)
    assert torch.allclose(net(x), expected, atol=1e-6)


def test_dropout_uses_the_given_generator() -> None:
    torch.manual_seed(3)
    net = ExposureNet({**TINY, "zero_init_last": False}, "up").train()
    x = torch.rand(2, 3, 16, 16)
    a = net(x, generator=torch.Generator().manual_seed(7))
    torch.manual_seed(999)  # the global generator must not matter
    b = net(x, generator=torch.Generator().manual_seed(7))
    c = net(x, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_full_size_parameter_count_against_released_network() -> None:
    # Parameter count of the authors' released Chainer network (network.py, CNNAE3D512), summed by
    # hand from its layer list (weights + biases; BatchNorm gamma + beta):
    #   encoder convs 4x4: 3*64*16+64 + 64*128*16+128 + 128*256*16+256 + 256*512*16+512
    #                      + 5 * (512*512*16+512)                               = 23,730,624
    #   decoder deconvs:   512*512*64+512 + 2 * (1024*512*64+512) + 2 * (1024*512*48+512)
    #                      + 1024*256*48+256 + 512*128*48+128 + 256*64*48+64 + 128*3*48+3
    #                                                                           = 150,754,243
    #   BatchNorm: 2 * (128+256+6*512) + 2 * (5*512+256+128+64)                 =      12,928
    #   total                                                                   = 174,497,795
    # This implementation drops the innermost encoder BatchNorm (512 gamma + 512 beta).
    released = 23_730_624 + 150_754_243 + 12_928
    assert released == 174_497_795
    with torch.device("meta"):  # shapes only: no 174 M random numbers to draw
        net = ExposureNet(DRTM_DEFAULTS, "up")
    assert parameter_count(net) == released - 1024


@pytest.mark.slow
def test_full_size_forward_512() -> None:
    torch.manual_seed(0)
    nets = build_nets(DRTM_DEFAULTS)
    x = torch.rand(1, 3, 512, 512)
    with torch.no_grad():
        for net in nets.values():
            out = net.eval()(x)
            assert out.shape == (1, 8, 3, 512, 512)
            assert torch.isfinite(out).all()


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="n_frames=6"):
        resolve_config({"n_frames": 6})
    with pytest.raises(ConfigError, match=r"unknown keys \['widht'\]"):
        resolve_config({"widht": 8})
    with pytest.raises(ConfigError, match="n_levels=2 .*>= 4 for n_frames=8"):
        resolve_config({"n_levels": 2})
    with pytest.raises(ConfigError, match="camera='linear'"):
        resolve_config({"camera": "linear"})
    assert resolve_config({"width": 8, "n_levels": 5}).channels == (8, 16, 32, 64, 64)
    assert resolve_config(DRTM_DEFAULTS).channels == (64, 128, 256, 512, 512, 512, 512, 512, 512)


def test_bad_input_shape() -> None:
    net = ExposureNet(TINY, "up")
    with pytest.raises(ImageError, match=r"shape \(1, 4, 8, 8\)"):
        net(torch.rand(1, 4, 8, 8))
