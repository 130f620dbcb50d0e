"""Shapes, structure and parameter counts of the iTMN networks (itmn.models)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from itmn.errors import ConfigError, ImageError
from itmn.models import Discriminator, UNetGenerator


def _count(model: nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in model.modules())


@pytest.mark.parametrize("size", [(32, 32), (64, 96), (128, 64)])
def test_generator_shape_and_range(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    g = UNetGenerator(widths=(4, 8, 8, 16, 16))
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        y = g(x)
    assert y.shape == x.shape
    assert float(y.min()) > 0.0 and float(y.max()) < 1.0  # sigmoid output


def test_generator_structure_matches_paper() -> None:
    """5 stride-2 convolutions + 5 transposed convolutions, BN + LeakyReLU per layer except the
    sigmoid output layer, no pooling (paper Sec. 3)."""
    g = UNetGenerator()
    convs = [m for m in g.modules() if type(m) is nn.Conv2d]
    deconvs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) == 5 and len(deconvs) == 5
    assert all(m.stride == (2, 2) and m.kernel_size == (4, 4) for m in convs + deconvs)
    assert [m.out_channels for m in convs] == [64, 128, 256, 512, 512]
    assert [m.out_channels for m in deconvs] == [512, 256, 128, 64, 3]
    assert _count(g, nn.BatchNorm2d) == 9  # every layer but the output layer
    assert _count(g, nn.LeakyReLU) == 9
    assert _count(g, nn.Sigmoid) == 1
    assert not any(isinstance(m, nn.MaxPool2d | nn.AvgPool2d) for m in g.modules())
    assert _count(UNetGenerator(norm_first=False), nn.BatchNorm2d) == 8


def test_generator_parameter_count_by_hand() -> None:
    """Independent count for widths (4, 8): conv 3->4 (k4, no bias) + BN(4); conv 4->8 + BN(8);
    deconv 8->4 + BN(4); deconv (4+4)->3 with bias."""
    g = UNetGenerator(widths=(4, 8))
    expected = (3 * 4 * 16 + 2 * 4) + (4 * 8 * 16 + 2 * 8) + (8 * 4 * 16 + 2 * 4) + (8 * 3 * 16 + 3)
    assert sum(p.numel() for p in g.parameters()) == expected


def test_generator_skip_connections_carry_encoder_features() -> None:
    """Each decoder layer after the first receives [previous decoder output, encoder output]."""
    g = UNetGenerator(widths=(4, 8, 8, 16, 16)).eval()
    enc_out: list[torch.Tensor] = []
    dec_in: list[torch.Tensor] = []
    hooks = [layer.register_forward_hook(lambda m, i, o: enc_out.append(o)) for layer in g.encoder]
    hooks += [layer.register_forward_pre_hook(lambda m, i: dec_in.append(i[0])) for layer in g.decoder]
    g(torch.rand(1, 3, 64, 64))
    for h in hooks:
        h.remove()
    assert torch.equal(dec_in[0], enc_out[-1])
    for j in range(1, 5):
        skip = enc_out[-1 - j]
        assert torch.equal(dec_in[j][:, -skip.shape[1] :], skip)


def test_generator_rejects_sizes_off_the_stride_grid() -> None:
    g = UNetGenerator(widths=(4, 4, 4, 4, 4))
    with pytest.raises(ImageError, match="multiples of 32"):
        g(torch.rand(1, 3, 48, 64))


def test_generator_rejects_bad_kernel_stride() -> None:
    with pytest.raises(ConfigError, match="kernel_size"):
        UNetGenerator(kernel_size=3, stride=2)


@pytest.mark.parametrize("size", [(32, 32), (64, 64), (512, 512), (48, 80)])
def test_discriminator_any_size(size: tuple[int, int]) -> None:
    d = Discriminator(widths=(4, 8, 8), fc=(16,), pool=2)
    assert d(torch.rand(3, 3, *size)).shape == (3, 1)


def test_discriminator_structure() -> None:
    d = Discriminator()
    assert [m.out_channels for m in d.modules() if isinstance(m, nn.Conv2d)] == [64, 128, 256, 512]
    assert _count(d, nn.BatchNorm2d) == 4
    linears = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(512 * 16, 1024), (1024, 1)]
    # LeakyReLU after each conv block and after each hidden FC layer; the output is a logit
    assert _count(d, nn.LeakyReLU) == 5
    assert isinstance(d.head[-1], nn.Linear)


def test_input_skip_starts_at_the_inverse_srgb_expansion() -> None:
    """With the input skip, an untrained generator (last layer 0) outputs the PQ code of the
    inverse-sRGB expansion to 1000 cd/m^2 in BT.2020, computed here independently with numpy."""
    import numpy as np

    torch.manual_seed(0)
    g = UNetGenerator(widths=(8, 16, 16, 32, 32), input_skip="inverse_srgb").eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        y = g(x).numpy()
    v = x.numpy().astype(np.float64)
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4) * 1000.0
    import colour as cs

    m = cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES["ITU-R BT.709"], cs.RGB_COLOURSPACES["ITU-R BT.2020"])
    lin2020 = np.einsum("ij,njhw->nihw", m, lin)
    p = (lin2020 / 10000.0) ** 0.1593017578125
    code = ((0.8359375 + 18.8515625 * p) / (1 + 18.6875 * p)) ** 78.84375
    np.testing.assert_allclose(y, np.clip(code, 1e-4, 1 - 1e-4), atol=1e-5)  # float32 logit+sigmoid


def test_input_skip_learns_a_correction_and_is_checked() -> None:
    torch.manual_seed(0)
    g = UNetGenerator(widths=(8, 16, 16, 32, 32), input_skip="inverse_srgb")
    x = torch.rand(2, 3, 64, 64)
    g(x).mean().backward()
    assert g.decoder[-1][0].weight.grad.abs().sum() > 0  # the zero-initialized layer trains
    plain = UNetGenerator(widths=(8, 16, 16, 32, 32))
    assert plain.input_skip == "none" and plain.decoder[-1][0].weight.abs().sum() > 0
    with pytest.raises(ConfigError, match="input_skip"):
        UNetGenerator(input_skip="gamma")
