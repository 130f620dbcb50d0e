"""itmn.colour against published values, independent formulas and colour-science.

Provenance of the expected values:
* PQ: SMPTE ST 2084 constants written out below (m1 = 2610/16384, m2 = 2523/4096 * 128,
  c1 = 3424/4096, c2 = 2413/4096 * 32, c3 = 2392/4096 * 32); published 10-bit HDR10 codes
  100 cd/m^2 -> 520, 1000 -> 769, 10000 -> 1023 (e.g. ITU-R BT.2100 / BT.2390 tables).
* BT.709 <-> BT.2020: ITU-R BT.2087-0 eq. (4), 4 decimals as printed; colour-science
  ``matrix_RGB_to_RGB`` to 1e-12.
* HLG: ITU-R BT.2100-2 Table 5 (OETF constants a = 0.17883277, b = 1 - 4a,
  c = 0.5 - a ln(4a); OOTF gamma 1.2 at 1000 cd/m^2) written out below; BT.2408 reference
  white: HLG 75% -> 203 cd/m^2 on a 1000 cd/m^2 display.
* sRGB: IEC 61966-2-1 piecewise formula written out below; 0.5 linear -> 0.735357.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from itmn import colour as c

M1, M2 = 2610 / 16384, 2523 / 4096 * 128
C1, C2, C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def pq_formula(y: np.ndarray) -> np.ndarray:
    yn = np.asarray(y, dtype=np.float64) / 10000.0
    return ((C1 + C2 * yn**M1) / (1 + C3 * yn**M1)) ** M2


def srgb_formula(x: float) -> float:
    return 12.92 * x if x <= 0.0031308 else 1.055 * x ** (1 / 2.4) - 0.055


# --------------------------------------------------------------------------- PQ
def test_pq_published_values() -> None:
    assert float(c.pq_encode(np.array(1000.0))) == pytest.approx(0.7518, abs=5e-5)
    assert float(c.pq_encode(np.array(10000.0))) == pytest.approx(1.0, abs=1e-12)
    codes = np.rint(c.pq_encode(np.array([100.0, 1000.0, 10000.0])) * 1023).astype(int)
    assert codes.tolist() == [520, 769, 1023]


def test_pq_matches_the_st2084_formula_numpy_and_torch() -> None:
    y = np.logspace(-4, 4, 57)
    expected = pq_formula(y)
    np.testing.assert_allclose(c.pq_encode(y), expected, rtol=1e-12)
    np.testing.assert_allclose(c.pq_encode(torch.from_numpy(y)).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_pq_round_trip(backend: str) -> None:
    y = np.concatenate([[0.0], np.logspace(-3, 4, 71)])
    x = torch.from_numpy(y) if backend == "torch" else y
    back = c.pq_decode(c.pq_encode(x))
    back = back.numpy() if backend == "torch" else back
    np.testing.assert_allclose(back, y, rtol=1e-9, atol=1e-9)


def test_pq_clips_outside_its_range() -> None:
    assert float(c.pq_encode(np.array(20000.0))) == pytest.approx(1.0)
    assert float(c.pq_encode(np.array(-5.0))) == pytest.approx(float(pq_formula(np.array(0.0))))
    assert float(c.pq_decode(np.array(1.5))) == pytest.approx(10000.0)


def test_pq_keeps_float32() -> None:
    assert c.pq_encode(np.ones((2, 2, 3), np.float32)).dtype == np.float32
    assert c.pq_decode(torch.ones(1, 3, 2, 2)).dtype == torch.float32


# --------------------------------------------------------------------------- matrices
def test_bt709_bt2020_matrices_against_colour_science_and_bt2087() -> None:
    import colour

    cs709 = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    cs2020 = colour.RGB_COLOURSPACES["ITU-R BT.2020"]
    np.testing.assert_allclose(c.M_709_TO_2020, colour.matrix_RGB_to_RGB(cs709, cs2020), atol=1e-12)
    np.testing.assert_allclose(c.M_2020_TO_709, colour.matrix_RGB_to_RGB(cs2020, cs709), atol=1e-12)
    bt2087 = [[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]]
    np.testing.assert_allclose(c.M_709_TO_2020, bt2087, atol=5e-5)
    np.testing.assert_allclose(c.M_709_TO_2020.sum(axis=1), 1.0, atol=1e-12)  # D65 white stays white


def test_convert_primaries_numpy_torch_and_inverse() -> None:
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 100, (4, 5, 3))
    out = c.bt709_to_bt2020(img)
    np.testing.assert_allclose(out[1, 2], c.M_709_TO_2020 @ img[1, 2], rtol=1e-12)
    np.testing.assert_allclose(c.bt2020_to_bt709(out), img, rtol=1e-10)
    t = torch.from_numpy(img.transpose(2, 0, 1)[None].copy())
    np.testing.assert_allclose(c.bt709_to_bt2020(t)[0].numpy().transpose(1, 2, 0), out, rtol=1e-12)
    assert c.convert_primaries(img, "bt709", "bt709") is img


def test_matrix_errors_name_the_shape() -> None:
    with pytest.raises(ValueError, match=r"3 channels, got shape \(4, 4\)"):
        c.apply_matrix(np.zeros((4, 4)), np.eye(3))
    with pytest.raises(ValueError, match="3 channels"):
        c.apply_matrix(torch.zeros(1, 4, 2, 2), np.eye(3))
    with pytest.raises(ValueError, match="'bt601'"):
        c.convert_primaries(np.zeros((1, 1, 3)), "bt709", "bt601")  # type: ignore[arg-type]


def test_primaries_matrix_from_chromaticities() -> None:
    import colour

    assert np.array_equal(c.primaries_matrix(None, "bt709"), np.eye(3))
    assert np.array_equal(c.primaries_matrix_to_bt709(c.CHROMATICITIES["bt709"]), np.eye(3))
    np.testing.assert_allclose(
        c.primaries_matrix(c.CHROMATICITIES["bt2020"], "bt709"), c.M_2020_TO_709, atol=1e-12
    )
    np.testing.assert_allclose(c.primaries_matrix(None, "bt2020"), c.M_709_TO_2020, atol=1e-12)
    # float32-stored standard values (as files carry them) count as the standard primaries
    f32 = tuple(float(np.float32(v)) for v in c.CHROMATICITIES["bt709"])
    assert np.array_equal(c.primaries_matrix(f32, "bt709"), np.eye(3))
    # P3-D65 (same white): plain change of primaries
    p3 = colour.RGB_COLOURSPACES["P3-D65"]
    chroma = (*p3.primaries.ravel(), *p3.whitepoint)
    expected = colour.matrix_RGB_to_RGB(
        p3, colour.RGB_COLOURSPACES["ITU-R BT.709"], chromatic_adaptation_transform=None
    )
    np.testing.assert_allclose(c.primaries_matrix(chroma, "bt709"), expected, atol=1e-9)
    # ACES AP0 (white ~D60): Bradford adaptation to D65
    ap0 = colour.RGB_COLOURSPACES["ACES2065-1"]
    chroma = (*ap0.primaries.ravel(), *ap0.whitepoint)
    expected = colour.matrix_RGB_to_RGB(
        ap0, colour.RGB_COLOURSPACES["ITU-R BT.709"], chromatic_adaptation_transform="Bradford"
    )
    np.testing.assert_allclose(c.primaries_matrix(chroma, "bt709"), expected, atol=1e-6)


def test_primaries_matrix_rejects_bad_chromaticities() -> None:
    with pytest.raises(ValueError, match="8 numbers"):
        c.primaries_matrix((0.64, 0.33, 0.3), "bt709")
    with pytest.raises(ValueError, match="not valid xy"):
        c.primaries_matrix((0.64, 0.0, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329), "bt709")  # red y = 0
    with pytest.raises(ValueError, match="not valid xy"):
        c.primaries_matrix((0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.3127, 0.329), "bt709")  # collinear
    with pytest.raises(ValueError, match="not valid xy"):
        c.primaries_matrix((0, 0, 0, 0, 0, 0, 0, 0), "bt709")


# --------------------------------------------------------------------------- HLG
A_HLG = 0.17883277
B_HLG = 1 - 4 * A_HLG
C_HLG = 0.5 - A_HLG * math.log(4 * A_HLG)


def hlg_decode_formula(rgb: np.ndarray, peak: float = 1000.0) -> np.ndarray:
    """BT.2100-2 HLG EOTF, zero black: inverse OETF then OOTF F = peak * Ys^(gamma-1) * E."""
    e = np.asarray(rgb, dtype=np.float64)
    scene = np.where(e <= 0.5, e**2 / 3, (np.exp((e - C_HLG) / A_HLG) + B_HLG) / 12)
    ys = scene @ np.array(c.LUMA_2020)
    gamma = 1.2 + 0.42 * math.log10(peak / 1000.0)
    return peak * (ys ** (gamma - 1))[..., None] * scene


def test_hlg_decode_matches_bt2100_formula_and_colour_science() -> None:
    import colour

    rng = np.random.default_rng(3)
    code = rng.uniform(0.05, 1.0, (6, 3))
    np.testing.assert_allclose(c.hlg_decode(code), hlg_decode_formula(code), rtol=1e-6)
    np.testing.assert_allclose(
        c.hlg_decode(code, peak_cdm2=2000.0), hlg_decode_formula(code, 2000.0), rtol=1e-6
    )
    np.testing.assert_allclose(c.hlg_decode(code), colour.models.eotf_BT2100_HLG(code, 0, 1000), rtol=1e-12)


def test_hlg_reference_white_is_203_nits() -> None:
    grey = np.full((1, 1, 3), 0.75)
    assert float(c.hlg_decode(grey)[0, 0, 1]) == pytest.approx(203.0, abs=0.5)


def test_hlg_encode_inverts_the_formula() -> None:
    # display colours an HLG signal can carry: decoded from signals in [0.02, 1] by the formula
    rng = np.random.default_rng(4)
    code = rng.uniform(0.02, 1.0, (5, 7, 3))
    np.testing.assert_allclose(c.hlg_encode(hlg_decode_formula(code)), code, rtol=1e-6)


# --------------------------------------------------------------------------- sRGB
def test_srgb_published_values_and_formula() -> None:
    assert float(c.srgb_encode(np.array(0.5))) == pytest.approx(0.735357, abs=1e-6)
    xs = np.array([0.0, 0.001, 0.0031308, 0.01, 0.18, 0.5, 1.0])
    expected = np.array([srgb_formula(float(x)) for x in xs])
    np.testing.assert_allclose(c.srgb_encode(xs), expected, atol=1e-12)
    np.testing.assert_allclose(c.srgb_encode(torch.from_numpy(xs)).numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_srgb_round_trip_and_clipping(backend: str) -> None:
    xs = np.linspace(0, 1, 101)
    x = torch.from_numpy(xs) if backend == "torch" else xs
    back = c.srgb_decode(c.srgb_encode(x))
    np.testing.assert_allclose(np.asarray(back), xs, atol=1e-12)
    hi = c.srgb_encode(torch.tensor([2.0, -1.0]) if backend == "torch" else np.array([2.0, -1.0]))
    np.testing.assert_allclose(np.asarray(hi), [1.0, 0.0], atol=1e-7)  # 1.055 - 0.055 in float


# --------------------------------------------------------------------------- luminance, quantize
def test_luminance_weights_numpy_and_torch() -> None:
    img = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [2.0, 2.0, 2.0]]])
    np.testing.assert_allclose(c.luminance(img), [[0.2126, 0.7152, 0.0722, 2.0]], atol=1e-12)
    np.testing.assert_allclose(c.luminance(img, "bt2020"), [[0.2627, 0.6780, 0.0593, 2.0]], atol=1e-12)
    t = torch.from_numpy(img.transpose(2, 0, 1)[None].copy())
    np.testing.assert_allclose(c.luminance(t)[0].numpy(), c.luminance(img), atol=1e-15)
    with pytest.raises(ValueError, match="'xyz'"):
        c.luminance(img, "xyz")  # type: ignore[arg-type]


def test_quantize_levels() -> None:
    x = np.array([0.0, 0.2, 1.0 / 255 * 3.4, 0.999, 1.2, -0.1])
    np.testing.assert_array_equal(c.quantize(x, 8), np.array([0, 51, 3, 255, 255, 0]) / 255.0)
    np.testing.assert_array_equal(
        c.quantize(torch.from_numpy(x), 10).numpy() * 1023, [0, 205, 14, 1022, 1023, 0]
    )


# --------------------------------------------------------------------------- torch gradients
@pytest.mark.parametrize("fn", [c.pq_encode, c.pq_decode, c.srgb_encode, c.srgb_decode])
def test_gradients_are_finite_at_zero_and_one(fn) -> None:  # noqa: ANN001
    scale = 10000.0 if fn is c.pq_encode else 1.0
    x = torch.tensor([0.0, 0.25, 1.0], dtype=torch.float64) * scale
    x.requires_grad_(True)
    fn(x).sum().backward()
    assert torch.isfinite(x.grad).all(), f"{fn.__name__}: gradient {x.grad.tolist()}"


@pytest.mark.parametrize("fn", [c.pq_encode, c.pq_decode, c.srgb_encode, c.srgb_decode])
def test_gradcheck_inside_the_domain(fn) -> None:  # noqa: ANN001
    scale = 10000.0 if fn is c.pq_encode else 1.0
    x = (torch.tensor([0.01, 0.3, 0.7, 0.95], dtype=torch.float64) * scale).requires_grad_(True)
    assert torch.autograd.gradcheck(fn, (x,), eps=1e-6 * scale, atol=1e-6, rtol=1e-4)
