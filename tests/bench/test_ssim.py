"""SSIM in torch (bench.metrics.structural).

Independent references: scikit-image's ``structural_similarity`` for the ``"valid"`` border
(protocol v1), and a scipy.ndimage re-computation with ``mode="nearest"`` (= MATLAB imfilter
'replicate') for the ``"replicate"`` border. The MATLAB-made PU21-SSIM reference values are
checked in test_pu21.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import correlate1d
from skimage.metrics import structural_similarity

from bench.metrics.structural import gaussian_window, ssim, ssim_map, ssim_torch
from itmn.errors import ImageError


def _pair(
    rng: np.random.Generator, h: int, w: int, c: int = 3, noise: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    ref = 0.5 + 0.3 * np.sin(9 * xx + 4 * yy)[..., None] * rng.uniform(0.6, 1.0, (1, 1, c))
    ref = ref + 0.1 * rng.standard_normal((h, w, c))
    test = ref + noise * rng.standard_normal((h, w, c))
    return test, ref


def _skimage(test: np.ndarray, ref: np.ndarray, data_range: float) -> float:
    return float(
        structural_similarity(
            test, ref, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
            data_range=data_range, channel_axis=-1,
        )
    )  # fmt: skip


@pytest.mark.parametrize(("h", "w"), [(64, 64), (97, 131), (11, 40), (256, 33)])
def test_valid_border_equals_scikit_image(rng: np.random.Generator, h: int, w: int) -> None:
    test, ref = _pair(rng, h, w)
    got = ssim(test, ref, data_range=1.0)
    want = _skimage(test, ref, 1.0)
    assert got == pytest.approx(want, abs=1e-12)
    assert got < 0.999  # a real comparison, not the trivial identical case


def test_scikit_image_window_is_11_taps(rng: np.random.Generator) -> None:
    # skimage derives its window from sigma and truncate=3.5: 2 * int(3.5 * 1.5 + 0.5) + 1 = 11
    # pixels, and crops (11 - 1) / 2 = 5 pixels per side before averaging. On a 12 x 12 image
    # only 2 x 2 windows are valid; agreement there shows both use the same window and crop.
    test, ref = _pair(rng, 12, 12)
    assert ssim_map(torch.from_numpy(test.transpose(2, 0, 1)[None]), torch.from_numpy(ref.transpose(2, 0, 1)[None]),
                    data_range=1.0).shape == (1, 3, 2, 2)  # fmt: skip
    assert ssim(test, ref, data_range=1.0) == pytest.approx(_skimage(test, ref, 1.0), abs=1e-12)


def _replicate_reference(test: np.ndarray, ref: np.ndarray, data_range: float) -> float:
    """MATLAB ssim's computation with scipy (independent of torch): Gaussian 11 x 11 sigma 1.5,
    'replicate' borders (scipy's mode 'nearest'), mean of the full map over pixels and channels."""
    x = np.arange(-5, 6)
    g = np.exp(-(x**2) / (2 * 1.5**2))
    g /= g.sum()

    def filt(a: np.ndarray) -> np.ndarray:
        return correlate1d(correlate1d(a, g, axis=0, mode="nearest"), g, axis=1, mode="nearest")

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = filt(test), filt(ref)
    sx, sy, sxy = filt(test * test) - mx * mx, filt(ref * ref) - my * my, filt(test * ref) - mx * my
    m = (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sx + sy + c2))
    return float(m.mean())


@pytest.mark.parametrize(("h", "w"), [(64, 64), (97, 131), (5, 7)])
def test_replicate_border_equals_matlab_style_filtering(rng: np.random.Generator, h: int, w: int) -> None:
    test, ref = _pair(rng, h, w)
    got = ssim(test, ref, data_range=1.0, padding="replicate")
    assert got == pytest.approx(_replicate_reference(test, ref, 1.0), abs=1e-12)


def test_the_two_borders_differ(rng: np.random.Generator) -> None:
    # Edge pixels have large errors here, so including them (replicate) must lower the score.
    test, ref = _pair(rng, 40, 40, noise=0.01)
    test[:3] += 0.5 * rng.standard_normal(test[:3].shape)
    valid = ssim(test, ref, data_range=1.0)
    rep = ssim(test, ref, data_range=1.0, padding="replicate")
    assert rep < valid - 1e-3


def test_identical_images_score_exactly_one(rng: np.random.Generator) -> None:
    _, ref = _pair(rng, 32, 48)
    assert ssim(ref, ref.copy(), data_range=1.0) == 1.0
    assert ssim(ref, ref.copy(), data_range=1.0, padding="replicate") == 1.0


def test_monotone_in_noise(rng: np.random.Generator) -> None:
    _, ref = _pair(rng, 48, 48)
    noise = rng.standard_normal(ref.shape)
    vals = [ssim(ref + s * noise, ref, data_range=1.0) for s in (0.01, 0.03, 0.1, 0.3)]
    assert all(a > b for a, b in zip(vals, vals[1:])), vals


def test_data_range_scaling_law(rng: np.random.Generator) -> None:
    # C1, C2 scale with data_range^2 like the statistics scale with k^2: SSIM is unchanged.
    test, ref = _pair(rng, 30, 30)
    assert ssim(test * 255.0, ref * 255.0, data_range=255.0) == pytest.approx(
        ssim(test, ref, data_range=1.0), abs=1e-12
    )
    assert ssim(test, ref, data_range=2.0) != pytest.approx(ssim(test, ref, data_range=1.0), abs=1e-6)


def test_batch_equals_single_images(rng: np.random.Generator) -> None:
    pairs = [_pair(rng, 24, 36) for _ in range(3)]
    x = torch.from_numpy(np.stack([t.transpose(2, 0, 1) for t, _ in pairs]))
    y = torch.from_numpy(np.stack([r.transpose(2, 0, 1) for _, r in pairs]))
    batch = ssim_torch(x, y, data_range=1.0)
    assert batch.shape == (3,)
    for i, (t, r) in enumerate(pairs):
        assert float(batch[i]) == pytest.approx(ssim(t, r, data_range=1.0), abs=1e-14)
    assert torch.equal(ssim(x, y, data_range=1.0), batch)  # tensors in, tensor out


def test_channel_mean_and_grey_input(rng: np.random.Generator) -> None:
    test, ref = _pair(rng, 24, 24)
    per_channel = [ssim(test[..., k], ref[..., k], data_range=1.0) for k in range(3)]
    assert ssim(test, ref, data_range=1.0) == pytest.approx(np.mean(per_channel), abs=1e-14)


def test_float32_close_to_float64(rng: np.random.Generator) -> None:
    test, ref = _pair(rng, 64, 64)
    assert ssim(test, ref, data_range=1.0, dtype=torch.float32) == pytest.approx(
        ssim(test, ref, data_range=1.0), abs=1e-4
    )


def test_gaussian_window() -> None:
    g = gaussian_window()
    assert g.shape == (11,) and g.dtype == torch.float64
    assert float(g.sum()) == pytest.approx(1.0, abs=1e-15)
    assert float(g[5] / g[6]) == pytest.approx(np.exp(1 / (2 * 1.5**2)), rel=1e-12)


def test_gradcheck() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 2, 12, 13, dtype=torch.float64, generator=gen, requires_grad=True)
    y = torch.rand(1, 2, 12, 13, dtype=torch.float64, generator=gen)
    for padding in ("valid", "replicate"):
        # fast_mode checks random projections of the Jacobian (seconds instead of a minute)
        assert torch.autograd.gradcheck(
            lambda a, p=padding: ssim_torch(a, y, data_range=1.0, padding=p), (x,), fast_mode=True
        )


def test_errors(rng: np.random.Generator) -> None:
    test, ref = _pair(rng, 20, 20)
    with pytest.raises(ImageError, match="smaller than the 11 x 11 SSIM window"):
        ssim(test[:10], ref[:10], data_range=1.0)
    with pytest.raises(ImageError, match="shape"):
        ssim(test[:15], ref, data_range=1.0)
    with pytest.raises(ImageError, match="non-finite"):
        ssim(np.where(test > 0.5, np.inf, test), ref, data_range=1.0)
    with pytest.raises(ValueError, match="data_range must be > 0"):
        ssim(test, ref, data_range=0.0)
    with pytest.raises(TypeError):
        ssim(test, ref)  # data_range is required: no default hides the scale


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(rng: np.random.Generator) -> None:
    test, ref = _pair(rng, 128, 96)
    cpu = ssim(test, ref, data_range=1.0)
    assert ssim(test, ref, data_range=1.0, device="cuda") == pytest.approx(cpu, abs=1e-12)
    assert ssim(test, ref, data_range=1.0, device="cuda", dtype=torch.float32) == pytest.approx(cpu, abs=1e-4)
