"""HDR-VDP 3.0.7 port: properties, input checks, configuration and its building blocks, each
against an independent computation (scipy's DCT and ndimage, numpy's fftfreq, pyrtools' filters,
direct convolution). Agreement with the MATLAB original is tested row by row in
test_hdrvdp3_calibration.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bench.metrics.hdrvdp.v3 import (
    DISPLAYS,
    ENCODINGS,
    HDRVDP3_VERSION,
    TASKS,
    config_string,
    hdrvdp3,
    hdrvdp3_batch,
    hdrvdp_version,
)
from itmn.errors import ImageError


@pytest.fixture(autouse=True)
def _one_torch_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def scene(h: int = 64, w: int = 80, seed: int = 0) -> np.ndarray:
    """A 0.05 - 3000 cd/m^2 BT.709 scene: log ramp, texture, a bright disk."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    lum = (
        10 ** (-1.3 + 4.7 * xx / (w - 1))
        * (1 + 0.2 * np.sin(yy / 2.5))
        * (1 + 0.05 * rng.standard_normal((h, w)))
    )
    lum[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (h / 6) ** 2] = 2500.0
    tint = np.stack([np.ones_like(lum), 0.9 + 0.1 * yy / h, 0.8 + 0.2 * xx / w], -1)
    return np.clip(lum[..., None] * tint, 0.05, None)


def noisy(ref: np.ndarray, amount: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.maximum(ref * (1 + amount * rng.standard_normal(ref.shape)), 0.01)


# --------------------------------------------------------------------------- properties
@pytest.mark.parametrize("task", TASKS)
def test_identical_images_give_the_best_score(task: str) -> None:
    ref = scene()
    res = hdrvdp3(ref, ref.copy(), task=task)
    assert res.Q == 10.0 and res.Q_JOD == 10.0
    assert abs(res.P_det) < 1e-4 and res.C_max < 1e-6  # ~ -1e-5 from the log(1 - P + 1e-4) pooling
    assert res.P_map.shape == res.C_map.shape == ref.shape[:2]


@pytest.mark.parametrize("task", TASKS)
def test_more_distortion_scores_worse(task: str) -> None:
    ref = scene()
    scores = [hdrvdp3(noisy(ref, a), ref, task=task, return_maps=False) for a in (0.01, 0.05, 0.2)]
    jods = [s.Q_JOD for s in scores]
    assert jods[0] > jods[1] > jods[2] and jods[0] < 10
    assert scores[0].C_max < scores[1].C_max < scores[2].C_max
    assert scores[0].P_det <= scores[1].P_det <= scores[2].P_det <= 1.0


def test_quality_and_side_by_side_share_the_calibration() -> None:
    """hdrvdp_parse_options.m gives 'quality' the side-by-side parameters: same numbers."""
    ref = scene()
    t = noisy(ref, 0.05)
    a = hdrvdp3(t, ref, task="quality")
    b = hdrvdp3(t, ref, task="side-by-side")
    assert (a.Q, a.Q_JOD, a.P_det, a.C_max) == (b.Q, b.Q_JOD, b.P_det, b.C_max)
    c = hdrvdp3(t, ref, task="sbs")
    assert c.task == "side-by-side" and c.Q_JOD == b.Q_JOD


def test_jod_mapping() -> None:
    """Q_JOD = 10 - 0.52 max(10 - Q, 0)^1.2812 (hdrvdp3.m)."""
    ref = scene()
    for a in (0.02, 0.3):
        r = hdrvdp3(noisy(ref, a), ref, return_maps=False)
        assert r.Q_JOD == pytest.approx(10 - 0.52 * max(10 - r.Q, 0) ** 1.2812, abs=1e-12)


def test_float32_agrees_with_float64() -> None:
    ref = scene(96, 96)
    t = noisy(ref, 0.03)
    for task in TASKS:
        a = hdrvdp3(t, ref, task=task, dtype="float64", return_maps=False)
        b = hdrvdp3(t, ref, task=task, dtype="float32", return_maps=False)
        assert abs(a.Q_JOD - b.Q_JOD) < 1e-4 and abs(a.P_det - b.P_det) < 1e-4, task
        assert b.C_max == pytest.approx(a.C_max, rel=1e-3), task


def test_batch_equals_single_calls() -> None:
    refs = [scene(64, 64, s) for s in (0, 1)]
    tests = [noisy(refs[0], 0.05), refs[1] * 1.2]
    t = torch.from_numpy(np.stack(tests)).permute(0, 3, 1, 2)
    r = torch.from_numpy(np.stack(refs)).permute(0, 3, 1, 2)
    out = hdrvdp3_batch(t, r, task="flicker", dtype="float64", return_maps=True)
    assert out.P_map.shape == (2, 64, 64) and out.Q.dtype == torch.float64
    for i in range(2):
        one = hdrvdp3(tests[i], refs[i], task="flicker", dtype="float64")
        assert float(out.Q_JOD[i]) == pytest.approx(one.Q_JOD, abs=1e-12)
        assert float(out.P_det[i]) == pytest.approx(one.P_det, abs=1e-12)
        np.testing.assert_allclose(out.P_map[i].numpy(), one.P_map, atol=1e-12)


def test_luminance_takes_hw_or_hw1() -> None:
    ref = scene()[..., 1]
    t = noisy(ref, 0.05)
    a = hdrvdp3(t, ref, color_encoding="luminance", return_maps=False)
    b = hdrvdp3(t[..., None], ref[..., None], color_encoding="luminance", return_maps=False)
    assert a.Q_JOD == b.Q_JOD < 10


def test_encodings_and_displays_change_the_numbers() -> None:
    """The same numbers read as BT.709, BT.2020, native or XYZ are different colours; a display
    with other spectra sees them differently too."""
    ref = scene()
    t = noisy(ref, 0.05)
    jods = {
        e: hdrvdp3(t, ref, color_encoding=e, return_maps=False).Q_JOD for e in ENCODINGS if e != "luminance"
    }
    assert len(set(jods.values())) == len(jods)
    disp = {d: hdrvdp3(t, ref, rgb_display=d, return_maps=False).Q_JOD for d in DISPLAYS}
    assert len(set(disp.values())) == len(DISPLAYS)


def test_options_move_predictions_the_documented_way() -> None:
    ref = scene()
    t = noisy(ref, 0.03)
    base = hdrvdp3(t, ref, return_maps=False)
    more = hdrvdp3(t, ref, sensitivity_correction=0.3, return_maps=False)
    older = hdrvdp3(t, ref, age=70, return_maps=False)
    assert more.P_det > base.P_det and more.Q_JOD < base.Q_JOD  # more sensitive observer
    assert older.C_max < base.C_max  # age: less light, lower sensitivity
    for kw in ({"surround": 13.0}, {"surround": "mean"}, {"mtf": "none"}):
        assert hdrvdp3(t, ref, return_maps=False, **kw).C_max != base.C_max, kw


def test_surround_mean_is_the_geometric_mean_of_the_reference() -> None:
    """surround='mean' pads the optics with the geometric mean of the reference (per channel):
    the same numbers as that luminance given as a value."""
    ref = scene()
    lum, lum_t = ref[..., 1], noisy(ref, 0.05)[..., 1]
    gl = float(np.exp(np.log(lum).mean()))
    b = hdrvdp3(lum_t, lum, color_encoding="luminance", surround="mean", return_maps=False, dtype="float64")
    c = hdrvdp3(lum_t, lum, color_encoding="luminance", surround=gl, return_maps=False, dtype="float64")
    assert b.Q_JOD == pytest.approx(c.Q_JOD, abs=1e-12) and b.C_max == pytest.approx(c.C_max, rel=1e-12)


# --------------------------------------------------------------------------- configuration
def test_version_and_config_strings() -> None:
    assert hdrvdp_version() == 3.07 and HDRVDP3_VERSION == "3.0.7"
    assert config_string() == "hdrvdp3 3.0.7-port | quality | rgb-bt.709 | ppd=30 | protocol v1"
    assert config_string("side-by-side", "rgb-bt.2020", 72.489873956798149) == (
        "hdrvdp3 3.0.7-port | side-by-side | rgb-bt.2020 | ppd=72.48987396 | protocol v1"
    )
    assert config_string("flicker", "rgb-bt.709", 30, rgb_display="oled", surround=13, age=60) == (
        "hdrvdp3 3.0.7-port | flicker | rgb-bt.709 | ppd=30 | rgb_display=oled | surround=13 | age=60 | protocol v1"
    )
    ref = scene()
    assert hdrvdp3(ref, ref, task="detection").config == (
        "hdrvdp3 3.0.7-port | detection | rgb-bt.709 | ppd=30 | protocol v1"
    )


def test_tables_ship_with_their_licence() -> None:
    from importlib import resources

    tables = resources.files("bench.metrics.hdrvdp.v3").joinpath("tables")
    names = {p.name for p in tables.iterdir()}
    assert {"LICENSE", "SOURCE.txt", "ciexyz31.csv", "d65.csv"} <= names
    assert {f"emission_spectra_{d}.csv" for d in DISPLAYS} <= names
    assert "Rafal Mantiuk" in tables.joinpath("LICENSE").read_text()


# --------------------------------------------------------------------------- input checks
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"task": "civdm"}, "unknown task"),
        ({"color_encoding": "sRGB-display"}, "unknown color_encoding"),
        ({"rgb_display": "plasma"}, "unknown rgb_display"),
        ({"surround": (1.0, 2.0, 3.0)}, "surround"),
        ({"mtf": "cie99"}, "not ported"),
        ({"ppd": 3.0}, "ppd"),
        ({"age": -1}, "age"),
    ],
)
def test_bad_options_are_refused(kwargs: dict, match: str) -> None:
    ref = scene()
    with pytest.raises(ValueError, match=match):
        hdrvdp3(ref, ref, **kwargs)


def test_bad_images_are_refused_with_what_was_seen() -> None:
    ref = scene()
    bad = ref.copy()
    bad[3, 4, 1] = np.nan
    with pytest.raises(ImageError, match="1 non-finite"):
        hdrvdp3(bad, ref)
    with pytest.raises(ImageError, match="negative"):
        hdrvdp3(ref - 10, ref)
    with pytest.raises(ImageError, match=r"maximum G value is 0\.78"):
        hdrvdp3(ref / ref.max() * 0.8, ref)
    assert hdrvdp3(ref / ref.max() * 0.8, ref, check_values=False).Q_JOD < 10
    with pytest.raises(ImageError, match="shapes differ"):
        hdrvdp3(ref[:-1], ref)
    with pytest.raises(ImageError, match="H x W x 3"):
        hdrvdp3(ref[..., 0], ref[..., 0])
    with pytest.raises(ImageError, match="at least 16 x 16"):
        hdrvdp3(ref[:10], ref[:10])


def test_tiny_image_at_high_ppd_gets_a_clear_error() -> None:
    ref = scene(16, 16)
    with pytest.raises(ImageError, match="16 x 16 pixels at ppd"):
        hdrvdp3(ref, ref, task="detection", ppd=200.0)


# --------------------------------------------------------------------------- building blocks
def test_dct_matches_scipy_and_the_mirror_padded_fft() -> None:
    from scipy.fft import dct

    from bench.metrics.hdrvdp.v3.dct import dct2_last, idct2_last, symmetric_filter
    from bench.metrics.hdrvdp.v3.gauss import conv_fft_half

    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 8, 97, 128):
        x = torch.from_numpy(rng.standard_normal((2, n)))
        np.testing.assert_allclose(dct2_last(x).numpy(), dct(x.numpy(), type=2, axis=-1) / 2, atol=1e-12)
        np.testing.assert_allclose(idct2_last(dct2_last(x)).numpy(), x.numpy(), atol=1e-12)
    for h, w in ((37, 50), (64, 64)):
        x = torch.from_numpy(rng.uniform(0, 1000, (2, h, w)))
        fy = np.fft.fftfreq(2 * h)[:, None]
        fx = np.fft.fftfreq(2 * w)[None, :]
        tf = np.exp(-3 * np.sqrt(fx**2 + fy**2))  # real, even along each axis
        a = conv_fft_half(x, torch.from_numpy(tf[:, : w + 1]), "symmetric")
        b = symmetric_filter(x, torch.from_numpy(tf[:h, :w]))
        # independent: the mirrored 2H x 2W image through numpy's FFT
        ext = np.concatenate([x.numpy(), x.numpy()[:, ::-1]], axis=1)
        ext = np.concatenate([ext, ext[:, :, ::-1]], axis=2)
        c = np.real(np.fft.ifft2(np.fft.fft2(ext) * tf))[:, :h, :w]
        np.testing.assert_allclose(a.numpy(), c, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(b.numpy(), c, rtol=1e-12, atol=1e-9)


def test_cycdeg_grid_is_fftfreq_times_ppd() -> None:
    from bench.metrics.hdrvdp.v3.vision import cycdeg_grid

    for shape in ((8, 6), (7, 9)):
        fy = np.fft.fftfreq(shape[0])[:, None] * 30
        fx = np.fft.fftfreq(shape[1])[None, :] * 30
        want = np.sqrt(fx**2 + fy**2)
        # MATLAB's mod form puts the Nyquist bin at -ppd/2, fftfreq too
        np.testing.assert_allclose(cycdeg_grid(shape, 30.0), want, rtol=1e-15, atol=1e-13)


def test_gaussian_spatial_path_is_imfilter_with_fspecial() -> None:
    """sigma < 4.3: imfilter(X, fspecial('gaussian', k, sigma), pad) -- scipy.ndimage.correlate
    with the 2-D kernel built directly, zero ('constant') and 'replicate' ('nearest') padding."""
    from scipy.ndimage import correlate

    from bench.metrics.hdrvdp.v3.gauss import Gauss

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, (1, 40, 50))
    for sigma, norm in ((1.3, True), (2.0, False), (3.99, True)):
        k = int(math.floor(sigma * 6 + 0.5))
        k += 1 - k % 2
        c = np.arange(k) - (k - 1) / 2
        h2 = np.exp(-(c[:, None] ** 2 + c[None, :] ** 2) / (2 * sigma**2))
        h2 /= h2.sum()
        if not norm:
            h2 /= h2[k // 2, k // 2]
        for pad, mode in (("zero", "constant"), ("replicate", "nearest")):
            g = Gauss((40, 50), sigma, norm, pad, torch.float64, torch.device("cpu"))
            assert not g.fft
            np.testing.assert_allclose(
                g(torch.from_numpy(x)).numpy()[0], correlate(x[0], h2, mode=mode), atol=1e-12
            )


def test_gaussian_fft_path_is_a_periodic_convolution_of_the_post_padded_image() -> None:
    """sigma >= 4.3: the image padded at the bottom/right to 2H x 2W (zeros / edge values),
    circularly convolved with the Gaussian sampled in frequency: numpy's FFT of the same."""
    from bench.metrics.hdrvdp.v3.gauss import Gauss

    rng = np.random.default_rng(1)
    h, w = 30, 44
    x = rng.uniform(0, 5, (h, w))
    wy = 2 * np.pi * np.fft.fftfreq(2 * h)[:, None]
    wx = 2 * np.pi * np.fft.fftfreq(2 * w)[None, :]
    for sigma, norm in ((5.0, True), (9.5, False)):
        k = np.exp(-0.5 * (wx**2 + wy**2) * sigma**2)
        if not norm:
            k = k / k.mean()
        for pad, np_mode in (("zero", "constant"), ("replicate", "edge")):
            ext = np.pad(x, ((0, h), (0, w)), mode=np_mode)
            want = np.real(np.fft.ifft2(np.fft.fft2(ext) * k))[:h, :w]
            g = Gauss((h, w), sigma, norm, pad, torch.float64, torch.device("cpu"))
            assert g.fft
            np.testing.assert_allclose(g(torch.from_numpy(x)[None]).numpy()[0], want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("filters", ["sp0Filters", "sp3Filters"])
def test_fft_pyramid_equals_direct_convolution(filters: str) -> None:
    from bench.metrics.hdrvdp.v3.pyramid import FFTSteerablePyramid, SteerablePyramid, pyramid_height

    rng = np.random.default_rng(2)
    hw = (97, 131)
    height = pyramid_height(hw, 72.5, filters)
    x = torch.from_numpy(rng.standard_normal((2, *hw)))
    direct = SteerablePyramid(hw, height, filters, torch.float64, torch.device("cpu"))
    fft = FFTSteerablePyramid(hw, height, filters, torch.float64, torch.device("cpu"))
    a, b = direct.build(x), fft.build(x)
    assert [t.shape for t in a] == [t.shape for t in b]
    for u, v in zip(a, b):
        np.testing.assert_allclose(u.numpy(), v.numpy(), atol=1e-11)
    np.testing.assert_allclose(direct.reconstruct(a).numpy(), fft.reconstruct(a).numpy(), atol=1e-11)


def test_direct_pyramid_is_rconv2_corrdn_upconv() -> None:
    """Level 0 of buildSpyr written out with numpy: the image mirrored about its edge samples,
    correlated with each filter (corrDn = conv2 of the flipped filter), the low-pass sampled at
    0, 2, 4, ...; reconSpyr's upConv = zero insertion, mirror, true convolution."""
    from scipy.signal import convolve2d, correlate2d

    from bench.metrics.hdrvdp.v3.pyramid import SteerablePyramid, load_filters

    f = load_filters("sp0Filters")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 52))

    def corr_dn(img, filt, step=1):
        p = filt.shape[0] // 2
        return correlate2d(np.pad(img, p, mode="reflect"), filt, mode="valid")[::step, ::step]

    def up_conv(img, filt, out_shape, step=1):
        z = np.zeros(out_shape)
        z[::step, ::step] = img
        p = filt.shape[0] // 2
        return convolve2d(np.pad(z, p, mode="reflect"), filt, mode="valid")

    pyr = SteerablePyramid(x.shape, 1, "sp0Filters", torch.float64, torch.device("cpu"))
    hi, band, low = (b.numpy()[0, 0] for b in pyr.build(torch.from_numpy(x)[None]))
    lo0 = corr_dn(x, f["lo0filt"])
    np.testing.assert_allclose(hi, corr_dn(x, f["hi0filt"]), atol=1e-12)
    np.testing.assert_allclose(band, corr_dn(lo0, f["bfilts"][0]), atol=1e-12)
    np.testing.assert_allclose(low, corr_dn(lo0, f["lofilt"], 2), atol=1e-12)
    res = up_conv(low, f["lofilt"], lo0.shape, 2) + up_conv(band, f["bfilts"][0], lo0.shape)
    want = up_conv(res, f["lo0filt"], x.shape) + up_conv(hi, f["hi0filt"], x.shape)
    got = pyr.reconstruct([torch.from_numpy(b)[None, None] for b in (hi, band, low)]).numpy()[0]
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_itu_to_native_maps_itu_white_to_the_same_luminance() -> None:
    """native->XYZ of the display (CMF integrals, Y row normalised) times the matrix gives back
    the ITU RGB->XYZ matrix hdrvdp_iturgb2native.m writes."""
    from bench.metrics.hdrvdp.v3.spectral import (
        LAMBDA_NM,
        _table,
        emission_spectra,
        itu_to_native,
        resample_spectrum,
    )

    cmf = resample_spectrum(_table("ciexyz31.csv"))
    bt709 = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    for display in ("led-lcd-srgb", "oled"):
        e = emission_spectra(display)
        n2x = np.array([[np.trapezoid(cmf[:, r] * e[:, c], LAMBDA_NM) for c in range(3)] for r in range(3)])
        n2x /= n2x[1].sum()
        np.testing.assert_allclose(n2x @ itu_to_native("rgb-bt.709", display), bt709, atol=1e-12)
    # the sRGB LED display is close to BT.709: its matrix is near the identity
    assert np.abs(itu_to_native("rgb-bt.709", "led-lcd-srgb") - np.eye(3)).max() < 0.15
