"""The shared output stage: 1000-nit scaling, BT.2020 conversion, clipping and its report."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.wrapper import (
    BLACK_CDM2,
    PEAK_CDM2,
    ExpandStats,
    from_pq,
    from_relative_bt709,
    stats_from_output,
)
from itmn import colour
from itmn.errors import ImageError


def lum709(img: np.ndarray) -> np.ndarray:
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


def test_peak_luminance_becomes_1000_nits(rng):
    # A grey peak pixel (all channels = its luminance) and dimmer colours: nothing above 1000.
    lin = 0.2 + 0.1 * rng.random((12, 16, 3))
    lin[5, 7] = 0.45
    lin *= 37.0  # any relative scale
    out, stats = from_relative_bt709(lin, return_stats=True)
    assert out.dtype == np.float32 and out.shape == lin.shape
    back = colour.bt2020_to_bt709(out.astype(np.float64))
    assert lum709(back).max() == pytest.approx(1000.0, rel=1e-6)
    np.testing.assert_allclose(back, lin * stats.scale, rtol=1e-5)
    assert stats.scale == pytest.approx(1000.0 / lum709(lin).max(), rel=1e-12)
    assert stats.n_clipped_high == 0 and stats.n_clipped_low == 0 and stats.exact


def test_scaling_is_invariant_to_the_input_scale(rng):
    lin = rng.random((8, 8, 3))
    np.testing.assert_array_equal(from_relative_bt709(lin), from_relative_bt709(lin * 2.0**10))


def test_clipping_is_counted():
    lin = np.zeros((1, 4, 3))
    lin[0, 0] = [1.0, 1.0, 1.0]  # the luminance peak: 1000 cd/m^2 in every channel, not clipped
    lin[0, 1] = [4.0, 0.0, 0.0]  # bright red, luminance 0.85: BT.2020 R = 0.6274 x 4000 > 1000
    lin[0, 2] = [1e-9, 1e-9, 1e-9]  # far below the black level
    lin[0, 3] = [0.5, 0.5, 0.5]
    out, stats = from_relative_bt709(lin, return_stats=True)
    assert out.min() >= BLACK_CDM2 and out.max() <= PEAK_CDM2
    unclipped = colour.bt709_to_bt2020(lin * 1000.0)  # scale = 1000 / peak luminance 1
    assert stats.scale == pytest.approx(1000.0)
    assert stats.n_clipped_high == int((unclipped > PEAK_CDM2 * (1 + 1e-6)).sum()) == 1
    assert stats.n_clipped_low == int((unclipped < BLACK_CDM2 * (1 - 1e-6)).sum()) == 3
    assert stats.frac_clipped == pytest.approx(4 / 12)


def test_saturated_primary_above_the_peak_is_clipped_and_reported():
    lin = np.zeros((1, 2, 3))
    lin[0, 0] = [0.05, 0.05, 0.05]  # dim grey
    lin[0, 1] = [0.0, 0.0, 0.2]  # blue: luminance 0.01444 is the peak; its B channel is 0.2 / 0.0144 x 1000
    out, stats = from_relative_bt709(lin, return_stats=True)
    assert stats.n_clipped_high >= 1 and out.max() == np.float32(PEAK_CDM2)


def test_all_black_gives_the_black_level_without_nan():
    out, stats = from_relative_bt709(np.zeros((5, 6, 3)), return_stats=True)
    assert np.isfinite(out).all() and np.all(out >= BLACK_CDM2) and float(out.max()) < 0.0051
    assert stats.all_black and stats.scale == 0.0 and stats.n_clipped_low == out.size


def test_black_level_holds_in_float64_comparisons():
    # float32(0.005) is below 0.005; the wrapper uses the next float32 up.
    out = from_relative_bt709(np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]))
    assert float(out.min()) >= 0.005 and out.min() >= np.float32(0.005)


@pytest.mark.parametrize(
    ("lin", "message"),
    [
        (np.zeros((4, 4)), "shape"),
        (np.full((2, 2, 3), np.nan), "NaN/Inf"),
        (np.full((2, 2, 3), -1.0), "negative"),
        (np.zeros((2, 2, 3), dtype=np.int32), "dtype"),
    ],
)
def test_relative_bad_input(lin, message):
    with pytest.raises(ImageError, match=message):
        from_relative_bt709(lin)


def test_from_pq_decodes_and_clips():
    nits = np.array([0.001, 0.1, 100.0, 900.0, 4000.0])
    code = colour.pq_encode(nits)
    img = np.repeat(code[None, :, None], 3, axis=2).astype(np.float32)
    out, stats = from_pq(img, return_stats=True)
    expected = np.clip(nits, BLACK_CDM2, PEAK_CDM2)
    np.testing.assert_allclose(out[0, :, 0], expected, rtol=2e-4)
    assert stats.n_clipped_low == 3 and stats.n_clipped_high == 3 and stats.route == "pq"
    assert float(out.min()) >= BLACK_CDM2


@pytest.mark.parametrize(
    ("code", "message"), [(np.full((2, 2, 3), 1.2), "span"), (np.full((2, 2, 3), np.nan), "NaN")]
)
def test_from_pq_bad_input(code, message):
    with pytest.raises(ImageError, match=message):
        from_pq(code)


def test_stats_from_output_counts_values_on_the_bounds():
    hdr = from_relative_bt709(np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]]))
    s = stats_from_output(hdr)
    assert (s.n_clipped_low, s.n_clipped_high, s.exact) == (3, 3, False)
    assert isinstance(s.as_dict()["frac_clipped"], float)


def test_stats_dict_round_trip():
    s = ExpandStats("relative-bt709", 10, 1, 2, 3.0, 4.0)
    d = s.as_dict()
    assert d["frac_clipped_low"] == 0.1 and d["frac_clipped_high"] == 0.2 and d["n_values"] == 10
