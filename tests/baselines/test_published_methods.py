"""The published methods in the registry: each native output's mapping to the protocol's display
(rules of docs/published-methods.md, checked against the reference preparation's own code and
independent formulas), their parameters, and ``itmn expand`` end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from baselines import wrapper
from baselines.published import methods
from baselines.registry import get_method, list_methods
from itmn import colour
from itmn.data import prepare
from itmn.errors import ConfigError, ImageError

PUBLISHED = ["expandnet", "lhdr", "hdrtvdm", "hdrtvdm-3dm", "hdrtvdm-davinci"]

relative_images = arrays(
    np.float64,
    st.tuples(st.integers(2, 12), st.integers(2, 12), st.just(3)),
    elements=st.floats(0.0, 50.0, allow_nan=False, allow_infinity=False),
).filter(lambda a: colour.luminance(a, "bt709").max() > 1e-3)


def _same_except_black_ulp(a: np.ndarray, b: np.ndarray) -> None:
    """Equal, except where to_display's float32(0.005) (below 0.005) is the wrapper's next float32 up."""
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    np.testing.assert_array_max_ulp(a, b, maxulp=1)
    differ = a != b
    assert (np.abs(a[differ] - wrapper.BLACK_CDM2) < 1e-9).all()


# --------------------------------------------------------------------------- the p99.9 rule
@settings(max_examples=60, deadline=None)
@given(relative_images, st.floats(1e-3, 1e3))
def test_percentile_rule_is_the_reference_preparation(img, k):
    lum = colour.luminance(img, "bt709")
    if np.percentile(lum, 99.9) <= 0:
        return  # covered by test_percentile_of_zero_falls_back_to_the_maximum
    expected, _ = prepare.to_display(img * k, prepare.PrepareParams())
    out, stats = wrapper.from_relative_bt709_percentile(img * k, return_stats=True)
    _same_except_black_ulp(out, expected)
    assert stats.scale == pytest.approx(1000.0 / np.percentile(lum * k, 99.9), rel=1e-12)
    assert out.min() >= wrapper.BLACK_CDM2 and out.max() <= wrapper.PEAK_CDM2


def test_percentile_rule_counts_what_it_clips():
    img = np.ones((100, 100, 3))
    img[0, :5] = 3.0  # 5 pixels (0.05 %) above the 99.9th percentile: clipped to the peak
    img[50, 50] = 0.0  # black: raised to the black level
    out, stats = wrapper.from_relative_bt709_percentile(img, return_stats=True)
    assert stats.n_clipped_high == 15 and stats.n_clipped_low == 3
    assert stats.source_peak == pytest.approx(1.0) and stats.scale == pytest.approx(1000.0)
    assert out[0, 0].tolist() == [1000.0] * 3 and out[99, 99] == pytest.approx(1000.0, rel=1e-6)


def test_percentile_of_zero_falls_back_to_the_maximum_and_black_stays_black():
    img = np.zeros((100, 100, 3))
    img[0, 0] = 2.0  # 1 pixel in 10000: the 99.9th percentile is 0
    out, stats = wrapper.from_relative_bt709_percentile(img, return_stats=True)
    assert "max" in stats.route and out[0, 0, 1] == pytest.approx(1000.0)
    black, st_black = wrapper.from_relative_bt709_percentile(np.zeros((3, 3, 3)), return_stats=True)
    assert st_black.all_black and (black >= wrapper.BLACK_CDM2).all() and black.max() < 0.0051
    with pytest.raises(ImageError, match="negative"):
        wrapper.from_relative_bt709_percentile(-np.ones((2, 2, 3)))


# --------------------------------------------------------------------------- per-method rules
@settings(max_examples=40, deadline=None)
@given(relative_images.map(lambda a: a / a.max()), st.floats(0.05, 20.0))
def test_relative_rules_do_not_depend_on_the_output_scale(native, k):
    """p99.9 and max anchor on the image itself; the authors' rules divide by its range (ExpandNet)
    or maximum (LHDR): a network output twice as bright is displayed the same under every rule."""
    for rule in methods.OUTPUT_RULES:
        a, _ = methods.expandnet_to_display(native, rule)
        b, _ = methods.expandnet_to_display(native * k, rule)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    raw = native**methods.LHDR_GAMMA
    for rule in methods.OUTPUT_RULES:
        a, _ = methods.lhdr_to_display(raw, rule)
        b, _ = methods.lhdr_to_display(raw * k, rule)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_expandnet_rules_by_hand():
    native = np.full((40, 50, 3), 0.25)
    native[0, 0] = [0.05, 0.05, 0.05]  # the minimum
    native[1, 1] = [0.75, 0.75, 0.75]  # the maximum (1 pixel in 2000: above the percentile)
    p999, _ = methods.expandnet_to_display(native, "p99.9")
    assert p999[5, 5].tolist() == pytest.approx([1000.0] * 3) and p999[1, 1].tolist() == [1000.0] * 3
    mx, _ = methods.expandnet_to_display(native, "max")
    assert mx[5, 5].tolist() == pytest.approx([1000.0 / 3] * 3, rel=1e-6)
    authors, _ = methods.expandnet_to_display(native, "authors")  # (x - 0.05) / 0.7, 1.0 at 1000
    assert authors[5, 5].tolist() == pytest.approx([1000.0 * 0.2 / 0.7] * 3, rel=1e-6)
    assert authors[0, 0].tolist() == pytest.approx([wrapper.BLACK_CDM2] * 3, rel=1e-6)
    with pytest.raises(ValueError, match="p99.9"):
        methods.expandnet_to_display(native, "median")


def test_lhdr_rules_by_hand():
    raw = np.full((40, 50, 3), 0.5, dtype=np.float32)
    raw[2, 3] = [1.0, 0.8, 0.9]
    lin = 0.5 ** (1 / 0.45)
    p999, _ = methods.lhdr_to_display(raw, "p99.9")
    expected, _ = prepare.to_display(raw.astype(np.float64) ** (1 / 0.45), prepare.PrepareParams())
    _same_except_black_ulp(p999, expected)
    assert p999[10, 10].tolist() == pytest.approx([1000.0] * 3, rel=1e-6)
    authors, _ = methods.lhdr_to_display(raw, "authors")  # (raw / 1.0) ** (1/0.45), 1.0 at 1000 cd/m^2
    assert authors[10, 10].tolist() == pytest.approx([1000.0 * lin] * 3, rel=1e-5)


def test_hdrtvdm_pq_is_decoded_to_absolute_and_clipped():
    code = np.array([[[-0.04, 0.0, 0.25], [0.5, 0.7518, 1.2]]], dtype=np.float32)
    out, stats = methods.hdrtvdm_to_display(code)
    expected = np.clip(colour.pq_decode(np.clip(code.astype(np.float64), 0, 1)), 0.005, 1000.0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out[0, 0, 0] == pytest.approx(0.005) and out[0, 1, 2] == 1000.0
    assert out[0, 1, 0] == pytest.approx(92.246, rel=1e-4)  # PQ 0.5
    assert out[0, 1, 1] == pytest.approx(1000.0, rel=1e-3)  # PQ 0.7518 ~ 1000 cd/m^2: absolute, not rescaled
    assert stats.n_clipped_low == 2 and stats.n_clipped_high == 1 and stats.route == "pq"
    with pytest.raises(ImageError, match="NaN"):
        methods.hdrtvdm_to_display(np.full((1, 1, 3), np.nan, np.float32))
    with pytest.raises(ImageError, match=r"\[0, 1\]"):
        wrapper.from_pq(code)  # the default still refuses what the clip variant accepts


# --------------------------------------------------------------------------- registry
def test_registered_with_their_parameters():
    infos = {i.name: i for i in list_methods()}
    assert set(PUBLISHED) <= set(infos)
    for name in PUBLISHED:
        info = infos[name]
        assert info.learned and info.param("checkpoint") is None and info.param("device") is not None
        assert "@" in info.version and "reimplemented" in info.reference
    assert [p.name for p in infos["expandnet"].params] == ["tiled", "tile", "output", "device"]
    assert [p.name for p in infos["lhdr"].params] == ["tile", "overlap", "output", "device"]
    assert [p.name for p in infos["hdrtvdm-3dm"].params] == ["precision", "tile", "overlap", "device"]
    assert infos["hdrtvdm-davinci"].version == "params_DaVinci.pth@886e102"


def test_importing_the_registry_does_not_load_the_networks():
    code = (
        "import sys, baselines.registry as r; r.get_method('huo'); "
        "print(any(m in sys.modules for m in ('baselines.published.expandnet', 'baselines.published.lhdr', "
        "'baselines.published.hdrtvdm', 'cv2')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("expandnet", {"tiled": "maybe"}, "boolean"),
        ("expandnet", {"tile": "16"}, "exceed"),
        ("lhdr", {"tile": "66"}, "multiple of 4"),
        ("lhdr", {"output": "median"}, "p99.9"),
        ("hdrtvdm", {"precision": "bfloat16"}, "auto"),
        ("hdrtvdm", {"checkpoint": "run/"}, "no parameter"),
    ],
)
def test_bad_parameters_are_refused(name, params, match, weights_env):
    with pytest.raises(ConfigError, match=match):
        get_method(name, **params)


def test_methods_keep_the_contract_and_say_what_they_ran(weights_env, rng):
    ldr = np.clip(rng.random((21, 30, 3)) * 1.2, 0, 1).astype(np.float32)  # 21 x 30: padded
    for name, params in (("expandnet", {}), ("lhdr", {"output": "authors"}), ("hdrtvdm-3dm", {})):
        m = get_method(name, device="cpu", **params)
        hdr, stats = m.expand_with_stats(ldr)
        assert hdr.shape == ldr.shape and hdr.dtype == np.float32
        assert hdr.min() >= wrapper.BLACK_CDM2 * (1 - 1e-6) and hdr.max() <= wrapper.PEAK_CDM2
        assert m.info.extra["sha256"] and m.info.extra["dtype"] == "float32"
        assert m.config_string().startswith(f"{name} ")
    assert get_method("lhdr", tile="128").config_string() == (
        "lhdr params.pth@5d8ce8c | tile=128 output=p99.9 | peak 1000 | protocol v1"
    )


def test_method_equals_native_then_its_rule(weights_env, eo_png):
    from baselines.published import expandnet

    img = eo_png("ph_lebombo")[40:104, 100:180]
    native = expandnet.native(img, tiled=False, device="cpu")
    expected, _ = methods.expandnet_to_display(native, "max")
    got = get_method("expandnet", tiled="false", output="max", device="cpu").expand(img / np.float32(255))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


def test_itmn_expand_end_to_end(weights_env, tmp_path: Path, eo_png, capsys):
    import OpenEXR

    from bench import cli
    from itmn.hdrio import read_hdr, write_png

    src = tmp_path / "in.png"
    write_png(src, eo_png("oexr_desk")[100:150, 60:130] / np.float32(255))
    out = tmp_path / "out.exr"
    assert cli.itmn_main(["expand", "--method", "expandnet", str(src), str(out)]) == 0
    assert "expandnet weights.pth@2b47572 | tiled=true output=p99.9" in capsys.readouterr().out
    img, _ = read_hdr(out, out_primaries="bt2020")
    assert img.shape == (50, 70, 3) and img.max() <= 1000.0 and img.min() >= 0.0049
    header = dict(OpenEXR.File(str(out)).header())
    assert header["itmn:method"].startswith("expandnet weights.pth@2b47572")
    assert cli.itmn_main(["expand", "-m", "hdrtvdm", "--device", "cpu", str(src), str(tmp_path / "tv.exr")]) == 0


def test_itmn_bench_evaluate_end_to_end(weights_env, tmp_path: Path, capsys):
    """``itmn-bench evaluate --method lhdr`` on a small prepared dataset: no checkpoint needed."""
    import pandas as pd
    from scipy.ndimage import gaussian_filter

    from bench.cli import main as bench_main
    from itmn import hdrio

    rng = np.random.default_rng(5)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        img = np.exp(3 * gaussian_filter(rng.normal(size=(40, 48, 3)), (4, 4, 0)))
        img[10, 20] = 300.0
        hdrio.write_exr(src / f"img{i}.exr", img.astype(np.float32))
    prepared = tmp_path / "prepared"
    prepare.prepare_dataset(
        src, out=prepared, cache=tmp_path / "cache", params=prepare.PrepareParams(size=32), progress=False,
        log=lambda m: None,
    )  # fmt: skip
    results = tmp_path / "results"
    argv = ["evaluate", "--method", "lhdr", "--device", "cpu", "--dataset", str(prepared),
            "--results", str(results), "--no-progress"]  # fmt: skip
    assert bench_main(argv) == 0, capsys.readouterr().err
    assert "config: lhdr params.pth@5d8ce8c | output=p99.9" in capsys.readouterr().out
    scores = pd.read_csv(results / "scores.csv")
    assert set(scores["method"]) == {"lhdr"} and np.isfinite(scores["hdrvdp2"]).all()
    assert "| lhdr |" in (results / "table1.md").read_text()
