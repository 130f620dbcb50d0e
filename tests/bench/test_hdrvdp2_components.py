"""Building blocks of the HDR-VDP 2.2.2 port (bench.metrics.hdrvdp.v2): steerable pyramid,
MATLAB imresize, photoreceptor LUT, CSF/MTF helpers, pix_per_deg.

Golden values and their provenance:
* pyramid: ``pyrtools`` 1.1 (``SteerablePyramidSpace(..., order=3, edge_type='reflect1')``,
  ``recon_pyr``, ``c.wrapper.upConv``), which wraps the same C code (convolve.c / edges.c) as the
  MEX files of matlabPyrTools 1.4 shipped with HDR-VDP 2.2.2 -- an independent implementation
  of what MATLAB runs. Tolerance 1e-12 (float64 round-off).
* imresize: the scale-1/2 bicubic antialiasing kernel written out by hand from MATLAB's
  documented kernel (a = -0.5, stretched by 2 and scaled by 1/2), and the fact that MATLAB's
  imresize maps a linear ramp to the ramp sampled at u/scale + 0.5 (1 - 1/scale) away from borders.
* pix_per_deg: hdrvdp_pix_per_deg(21, [1920 1080], 1) = 72.489873956798149 (metrics-synthetic
  README, computed with the MATLAB function).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.metrics.hdrvdp.v2 import pix_per_deg
from bench.metrics.hdrvdp.v2.imresize import Resizer, contributions
from bench.metrics.hdrvdp.v2.steerpyr import (
    FFTSteerablePyramid,
    SteerablePyramid,
    SteerablePyramidSP3,
    fast_fft_len,
    max_pyr_height,
    sp3_filters,
    up_conv,
)
from bench.metrics.hdrvdp.v2.vision import cycdeg_grid, matlab_linspace, photoreceptor_luts

pt = pytest.importorskip("pyrtools")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/bench/conftest.py


# odd, even, exactly-17 (the upConv edge case of the C code) and non-square sizes
SIZES = [(64, 64), (97, 131), (40, 33), (17, 17), (34, 17), (18, 19), (68, 69), (135, 240)]


def _pyrtools(im: np.ndarray):
    return pt.pyramids.SteerablePyramidSpace(im, height="auto", order=3, edge_type="reflect1")


def _max_band_error(mine: SteerablePyramid, ref) -> float:
    errs = [np.abs(mine.highpass[0].numpy() - ref.pyr_coeffs["residual_highpass"]).max()]
    assert len(mine.bands) == ref.num_scales
    for lev in range(ref.num_scales):
        for b in range(4):
            errs.append(np.abs(mine.bands[lev][0, b].numpy() - ref.pyr_coeffs[(lev, b)]).max())
    errs.append(np.abs(mine.lowpass[0].numpy() - ref.pyr_coeffs["residual_lowpass"]).max())
    return float(max(errs))


@pytest.mark.parametrize("shape", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fft_pyramid_equals_pyrtools(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    im = rng.standard_normal(shape) * 10 + 3
    ref = _pyrtools(im)
    pyr = FFTSteerablePyramid(shape, torch.float64)
    mine = pyr.build(torch.from_numpy(im)[None])
    assert pyr.height == ref.num_scales == max_pyr_height(shape)
    assert _max_band_error(mine, ref) < 1e-12
    rec = pyr.reconstruct(mine)[0].numpy()
    assert np.abs(rec - ref.recon_pyr()).max() < 1e-12


@pytest.mark.parametrize("shape", [(64, 64), (97, 131), (17, 17), (34, 17)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_direct_pyramid_equals_pyrtools(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    im = rng.standard_normal(shape)
    ref = _pyrtools(im)
    pyr = SteerablePyramidSP3(torch.float64)
    mine = pyr.build(torch.from_numpy(im)[None])
    assert _max_band_error(mine, ref) < 1e-12
    assert np.abs(pyr.reconstruct(mine)[0].numpy() - ref.recon_pyr()).max() < 1e-12


def test_pyramid_batched_and_float32() -> None:
    """Images of a batch are independent; float32 agrees with float64 to float32 precision."""
    rng = np.random.default_rng(3)
    ims = rng.standard_normal((3, 70, 90))
    p64 = FFTSteerablePyramid((70, 90), torch.float64)
    batch = p64.build(torch.from_numpy(ims))
    single = p64.build(torch.from_numpy(ims[1:2]))
    assert torch.allclose(batch.bands[1][1], single.bands[1][0], rtol=0, atol=1e-13)
    p32 = FFTSteerablePyramid((70, 90), torch.float32)
    b32 = p32.build(torch.from_numpy(ims).float())
    assert torch.allclose(b32.bands[0].double(), batch.bands[0], rtol=0, atol=2e-5)


_UPCONV_CASES = [
    (name, out, step)
    for name, k in (("lo0filt", 9), ("hi0filt", 15), ("lofilt", 17), ("band0", 9), ("band3", 9))
    for out in ((32, 31), (33, 34), (17, 17), (17, 40))
    for step in (1, 2)
    if step == 2 or min(out) > k  # the pyramid never upConvs by 1 onto an image <= the filter
]


@pytest.mark.parametrize(("name", "out", "step"), _UPCONV_CASES, ids=lambda v: str(v).replace(" ", ""))
def test_upconv_equals_c_code(name: str, out: tuple[int, int], step: int) -> None:
    """upConv (reflect1) of the C code, including its missing mirror when a level is exactly as
    large as the 17-tap filter."""
    f = sp3_filters()
    filt = f["bfilts"][int(name[-1])] if name.startswith("band") else f[name]
    n = ((out[0] + step - 1) // step, (out[1] + step - 1) // step)
    x = np.random.default_rng(11).standard_normal(n)
    ref = pt.pyramids.c.wrapper.upConv(x, filt, "reflect1", step=(step, step), start=(0, 0), stop=out)
    mine = up_conv(torch.from_numpy(x)[None, None], torch.from_numpy(filt)[None, None], out, step)
    assert np.abs(mine[0, 0].numpy() - ref).max() < 1e-12


def test_max_pyr_height_matches_readme() -> None:
    # metrics-synthetic README: 6 bands at 256^2, 5 at 128 x 192 and 97 x 131 (bands = height + 2)
    assert max_pyr_height((256, 256)) + 2 == 6
    assert max_pyr_height((128, 192)) + 2 == 5
    assert max_pyr_height((97, 131)) + 2 == 5
    assert max_pyr_height((16, 400)) == 0


def test_fast_fft_len() -> None:
    assert fast_fft_len(528) == 540
    assert fast_fft_len(512) == 512
    assert fast_fft_len(1096) == 1120
    assert fast_fft_len(11) == 12


def test_imresize_half_kernel() -> None:
    idx, w, _ = contributions(16, 8)
    k = (
        np.array([-0.0234375, -0.0703125, 0.2265625, 0.8671875, 0.8671875, 0.2265625, -0.0703125, -0.0234375])
        / 2
    )
    assert np.allclose(w, k[None, :], rtol=0, atol=1e-15)
    # output 4 (1-based) sits at input 7.5 (1-based): taps 4..11 -> 0-based 3..10
    assert idx[3].tolist() == list(range(3, 11))
    # mirroring with edge repetition at the borders: output 1 uses inputs 3 2 1 1 2 3 4 5 (1-based)
    assert idx[0].tolist() == [2, 1, 0, 0, 1, 2, 3, 4]


@pytest.mark.parametrize(("n_in", "n_out"), [(512, 256), (128, 16), (64, 128), (49, 97), (68, 135)])
def test_imresize_ramp(n_in: int, n_out: int) -> None:
    """A linear ramp is reproduced exactly away from the borders, at MATLAB's output positions
    u/scale + 0.5 (1 - 1/scale): shrinking by 1/2^k samples the normalised, symmetric kernel
    symmetrically; enlarging uses the plain Keys cubic, which reproduces linear functions."""
    scale = n_out / n_in
    ramp = np.arange(1, n_in + 1, dtype=np.float64)
    x = torch.from_numpy(np.tile(ramp[:, None], (1, 20)))[None]
    y = Resizer((n_in, 20), (n_out, 20), torch.float64, "cpu")(x)[0, :, 0].numpy()
    u = np.arange(1, n_out + 1) / scale + 0.5 * (1 - 1 / scale)
    margin = 4 / min(scale, 1) + 2
    inner = (u - margin > 1) & (u + margin < n_in)
    assert inner.sum() > 0
    assert np.abs(y[inner] - u[inner]).max() < 1e-9


@pytest.mark.parametrize("mode", [None, "gather", "slices", "conv"])
@pytest.mark.parametrize(
    ("hw_in", "hw_out"),
    [
        ((64, 64), (32, 32)),
        ((97, 131), (49, 66)),
        ((33, 60), (66, 120)),
        ((40, 40), (40, 20)),
        ((512, 96), (16, 96)),
    ],
)
def test_resizer_matches_weights(hw_in: tuple[int, int], hw_out: tuple[int, int], mode: str | None) -> None:
    """Every execution mode (strided sums or convolution for periodic weights, gather otherwise)
    applies exactly MATLAB's contribution weights."""
    x = np.random.default_rng(5).standard_normal(hw_in)
    want = x
    for d in (0, 1):
        idx, w, _ = contributions(want.shape[d], hw_out[d])
        want = np.einsum("op,opw->ow", w, want[idx]) if d == 0 else np.einsum("op,hop->ho", w, want[:, idx])
    r = Resizer(hw_in, hw_out, torch.float64, "cpu", mode)
    got = r(torch.from_numpy(x)[None, None].expand(2, 3, -1, -1))
    assert got.shape == (2, 3, *hw_out)
    assert np.abs(got[1, 2].numpy() - want).max() < 1e-12


def test_photoreceptor_lut_shape_and_monotonic() -> None:
    y, cone, rod = photoreceptor_luts()
    assert y.size == cone.size == rod.size == 2048
    assert y[0] == pytest.approx(-5.0, abs=1e-12) and y[-1] == pytest.approx(5.0, abs=1e-12)
    assert cone[0] == 0 and rod[0] == 0  # cumulative trapezoid starts at 0
    assert np.all(np.diff(cone) > 0) and np.all(np.diff(rod) >= 0)
    # cones are far more responsive than rods in daylight: slope at 1000 cd/m^2
    i = np.searchsorted(y, 3.0)
    assert (cone[i + 1] - cone[i]) > 100 * (rod[i + 1] - rod[i])


def test_cycdeg_grid_matches_create_cycdeg_image() -> None:
    # even size: [0 .. nyq-step, -nyq .. -step]; odd size: [0 .. nyq, -nyq .. -step]
    g = cycdeg_grid((4, 6), 30.0)
    assert np.allclose(g[0], [0, 5, 10, 15, 10, 5])
    assert np.allclose(g[:, 0], [0, 7.5, 15, 7.5])
    g = cycdeg_grid((3, 5), 30.0)
    assert np.allclose(g[0], [0, 7.5, 15, 15, 7.5])
    assert np.allclose(g[:, 0], [0, 15, 15])
    assert np.allclose(matlab_linspace(360, 780, 420)[1] - 360, 420 / 419)


def test_pix_per_deg_reference_value() -> None:
    assert pix_per_deg(21, (1920, 1080), 1) == pytest.approx(72.489873956798149, rel=1e-14)
    with pytest.raises(ValueError, match="positive"):
        pix_per_deg(21, (1920, 0), 1)
