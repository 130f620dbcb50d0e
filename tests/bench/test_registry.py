"""The metric registry (bench.metrics.registry) and the package's exports (bench.metrics).

Expected values are computed independently here: colour conversions with colour-science's own
matrices and ST 2084 (not itmn.colour), metrics with the pure functions whose MATLAB agreement is
tested in test_mpsnr.py / test_pu21.py / test_ssim.py.
"""

from __future__ import annotations

import math
import subprocess
import sys

import colour as cs
import numpy as np
import pytest

from bench.metrics.registry import (
    Metric,
    MetricResult,
    compute_metrics,
    get_metric,
    list_metrics,
    register_metric,
    unregister_metric,
)
from itmn.errors import ConfigError, ImageError

NAMES = ["hdrvdp2", "mpsnr", "mpsnr_toolbox", "ssim", "pu21_psnr", "pu21_ssim", "delta_e_itp", "hdrvdp3", "cvvdp"]
CPU_NAMES = ["mpsnr", "mpsnr_toolbox", "ssim", "pu21_psnr", "pu21_ssim", "delta_e_itp"]


def _hdr(rng: np.random.Generator, h: int = 40, w: int = 48) -> np.ndarray:
    """A display-referred image in [0.005, 1000] cd/m^2 with saturated colours (some outside the
    BT.709 gamut once read as BT.2020)."""
    yy, xx = np.mgrid[0:h, 0:w]
    lum = np.exp(np.log(0.05) + (np.log(1000.0) - np.log(0.05)) * xx / (w - 1))
    chroma = np.stack([1 + 0.9 * np.sin(yy / 3.0), 1 + 0.9 * np.cos(yy / 4.0), np.ones((h, w))], -1)
    img = lum[..., None] * chroma * rng.uniform(0.8, 1.0, (h, w, 3))
    return np.clip(img, 0.005, 1000.0)


def _cs_matrix(src: str, dst: str) -> np.ndarray:
    names = {"bt709": "ITU-R BT.709", "bt2020": "ITU-R BT.2020"}
    return cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES[names[src]], cs.RGB_COLOURSPACES[names[dst]])


def test_registered_names_in_table_order() -> None:
    from bench.metrics.registry import default_metric_names

    assert [m.name for m in list_metrics()] == NAMES
    assert default_metric_names() == NAMES[:-1]  # cvvdp (optional package) only when named


def test_metadata() -> None:
    for m in list_metrics():
        # the protocol v1 metrics are qualities; delta_e_itp is a colour difference (an error)
        assert m.higher_is_better is (m.name != "delta_e_itp"), m.name
        lo, hi = m.value_range
        assert lo < hi
        assert m.description and m.reference
    assert get_metric("mpsnr").unit == get_metric("pu21_psnr").unit == "dB"
    assert get_metric("ssim").value_range == (-1.0, 1.0)
    assert get_metric("ssim").input_space == "bt2020-pq"
    assert {get_metric(n).input_space for n in NAMES if n not in ("ssim", "delta_e_itp", "cvvdp")} == {"bt709-linear"}
    assert get_metric("hdrvdp2").summary_extras == ("P_det", "C_max")


def test_configuration_strings() -> None:
    assert get_metric("hdrvdp2").config() == "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=30 | protocol v1"
    assert get_metric("hdrvdp2").config(72.489873956798149) == (
        "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=72.48987396 | protocol v1"
    )
    assert get_metric("mpsnr").config() == (
        "mpsnr munkberg2006 | exposures toolbox-auto (0.1,0.9) | mse mean | protocol v1"
    )
    assert get_metric("mpsnr_toolbox").config() == (
        "mpsnr_toolbox hdrtoolbox-5375d05 | exposures toolbox-auto (0.1,0.9) | mse summed | protocol v1"
    )
    assert get_metric("ssim").config(72.0) == (
        "ssim wang2004 | pq-bt2020 | win 11 sigma 1.5 | k1 0.01 k2 0.03 | data_range 1 | valid | protocol v1"
    )
    assert get_metric("pu21_psnr").config() == (
        "pu21_psnr pu21-78340c0 | banding_glare [0.005,10000] | rgb | peak 256 | protocol v1"
    )
    assert get_metric("pu21_ssim").config() == (
        "pu21_ssim pu21-78340c0 | banding_glare [0.005,10000] | luminance | win 11 sigma 1.5 replicate "
        "| range 256 | protocol v1"
    )


def test_bt709_linear_metrics_convert_and_clip(rng: np.random.Generator) -> None:
    from bench.metrics.exposure_psnr import mpsnr_details
    from bench.metrics.pu21 import pu21_psnr

    ref2020 = _hdr(rng)
    test2020 = ref2020 * rng.uniform(0.9, 1.1, ref2020.shape)
    m = _cs_matrix("bt2020", "bt709")
    t709, r709 = test2020 @ m.T, ref2020 @ m.T
    assert (r709 < 0).sum() > 0  # the image has colours outside BT.709

    res = get_metric("mpsnr")(test2020, ref2020, primaries="bt2020")
    want = mpsnr_details(np.maximum(t709, 0), np.maximum(r709, 0))
    assert res.value == pytest.approx(want.value, abs=1e-9)
    assert res.extras["n_negative_clipped_ref"] == int((r709 < 0).sum())
    assert res.extras["n_negative_clipped_test"] == int((t709 < 0).sum())
    assert (res.extras["e_min"], res.extras["e_max"], res.extras["n_exposures"]) == (
        want.e_min, want.e_max, want.n_exposures
    )  # fmt: skip
    assert isinstance(res, MetricResult) and res.config == get_metric("mpsnr").config()

    pu = get_metric("pu21_psnr")(test2020, ref2020, primaries="bt2020")
    assert pu.value == pytest.approx(pu21_psnr(np.maximum(t709, 0), np.maximum(r709, 0)), abs=1e-9)
    # BT.709 input is used as it is
    assert get_metric("pu21_psnr")(t709.clip(0), r709.clip(0), primaries="bt709").value == pytest.approx(
        pu.value, abs=1e-9
    )


def test_ssim_metric_is_ssim_of_pq_bt2020(rng: np.random.Generator) -> None:
    from skimage.metrics import structural_similarity

    ref709 = _hdr(rng)
    test709 = ref709 * rng.uniform(0.9, 1.1, ref709.shape)
    m = _cs_matrix("bt709", "bt2020")
    pq = [cs.models.eotf_inverse_ST2084(np.clip(x @ m.T, 0, 10000)) for x in (test709, ref709)]
    want = structural_similarity(
        pq[0],
        pq[1],
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1.0,
        channel_axis=-1,
    )
    for primaries, t, r in (("bt709", test709, ref709), ("bt2020", test709 @ m.T, ref709 @ m.T)):
        res = get_metric("ssim")(t, r, primaries=primaries)
        assert res.value == pytest.approx(want, abs=1e-7), primaries
    assert 0.5 < want < 0.9999


def test_identical_images_give_best_scores(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    res = compute_metrics(ref, ref.copy(), names=CPU_NAMES)
    assert res["mpsnr"].value == res["mpsnr_toolbox"].value == res["pu21_psnr"].value == math.inf
    assert res["ssim"].value == 1.0 and res["pu21_ssim"].value == 1.0
    assert res["delta_e_itp"].value == 0.0


def test_compute_metrics_subset_order_and_unknown_names(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    res = compute_metrics(ref * 1.1, ref, names=["pu21_ssim", "mpsnr"], primaries="bt709")
    assert list(res) == ["pu21_ssim", "mpsnr"]
    assert res["mpsnr"].value == get_metric("mpsnr")(ref * 1.1, ref, "bt709").value
    with pytest.raises(ConfigError, match="unknown metric 'psnr'; registered metrics: hdrvdp2, mpsnr"):
        compute_metrics(ref, ref, names=["mpsnr", "psnr"])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda r: (r / r.max(), r), r"test image: values lie in \[.*normalized \[0, 1\] code values"),
        (lambda r: (r, r / r.max()), "reference image: values lie in"),
        (lambda r: (r - 1.0, r), "test image has .* negative values"),
        (lambda r: (r, np.where(r > 900, np.inf, r)), r"non-finite values \(0 NaN, \d+ \+Inf"),
        (lambda r: (r[:-2], r), r"shape \(38, 48, 3\) but the reference image has shape \(40, 48, 3\)"),
    ],
    ids=["test-normalized", "ref-normalized", "negative", "inf", "shape"],
)
def test_bad_inputs(rng: np.random.Generator, make, match: str) -> None:
    t, r = make(_hdr(rng))
    for name in CPU_NAMES:
        with pytest.raises(ImageError, match=match):
            get_metric(name)(t, r)


def test_bad_arguments(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    with pytest.raises(ConfigError, match="primaries must be"):
        get_metric("mpsnr")(ref, ref, primaries="p3")
    with pytest.raises(ConfigError, match="ppd must be a positive"):
        get_metric("mpsnr")(ref, ref, ppd=0.0)


def test_file_names_appear_in_errors(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    with pytest.raises(ImageError, match=r"^pred/a\.exr: test image: values lie"):
        get_metric("ssim")(ref / 1000.0, ref, test_source="pred/a.exr", ref_source="ref/a.exr")


@pytest.fixture
def restore_registry():
    saved = {m.name: m for m in list_metrics()}
    yield
    for m in list_metrics():
        if m.name not in saved:
            unregister_metric(m.name)
    for m in saved.values():
        register_metric(m, replace=True)


def test_register_a_metric(restore_registry, rng: np.random.Generator) -> None:
    def mean_abs_log_error(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict]:
        return float(np.mean(np.abs(np.log(t + 1e-3) - np.log(r + 1e-3)))), {"ppd_seen": ppd}

    m = Metric(
        name="male",
        unit="log units",
        higher_is_better=False,
        value_range=(0.0, math.inf),
        description="mean absolute log error",
        reference="test",
        input_space="bt709-linear",
        settings=lambda ppd, protocol: f"male | ppd={ppd:g} | {protocol.tag}",
        compute=mean_abs_log_error,
    )
    register_metric(m)
    with pytest.raises(ConfigError, match="already registered"):
        register_metric(m)
    ref = _hdr(rng)
    res = get_metric("male")(ref * 2.0, ref, primaries="bt709", ppd=45.0)
    assert res.value == pytest.approx(np.mean(np.abs(np.log(ref * 2 + 1e-3) - np.log(ref + 1e-3))))
    assert res.extras["ppd_seen"] == 45.0 and res.config == "male | ppd=45 | protocol v1"
    assert [x.name for x in list_metrics()][-1] == "male"


def test_bt2020_linear_input_space_and_non_default_metrics(restore_registry, rng: np.random.Generator) -> None:
    seen: dict[str, np.ndarray] = {}

    def keep(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict]:
        seen["t"], seen["r"] = t, r
        return 0.0, {}

    base = dict(
        unit="", higher_is_better=False, value_range=(0.0, math.inf), description="d", reference="r",
        input_space="bt2020-linear", settings=lambda ppd, protocol: f"x | {protocol.tag}", compute=keep,
    )  # fmt: skip
    register_metric(Metric(name="lin2020", **base))
    register_metric(Metric(name="opt_in", default=False, **base))
    ref709 = _hdr(rng)
    test709 = ref709 * 1.5
    test709[0, 0] = 12000.0  # above the PQ peak: counted, not clipped (the metric decides)
    res = get_metric("lin2020")(test709, ref709, primaries="bt709")
    m = _cs_matrix("bt709", "bt2020")
    np.testing.assert_allclose(seen["t"], test709 @ m.T, rtol=1e-12)
    np.testing.assert_allclose(seen["r"], ref709 @ m.T, rtol=1e-12)
    assert (res.extras["n_above_pq_peak_test"], res.extras["n_above_pq_peak_ref"]) == (3, 0)
    get_metric("lin2020")(test709 @ m.T, ref709 @ m.T, primaries="bt2020")
    np.testing.assert_array_equal(seen["r"], ref709 @ m.T)  # BT.2020 input is used as it is

    from bench.metrics.registry import default_metric_names

    assert "lin2020" in default_metric_names() and "opt_in" not in default_metric_names()
    assert "opt_in" in [x.name for x in list_metrics()]
    computed = compute_metrics(ref709, ref709, primaries="bt709")
    assert "lin2020" in computed and "opt_in" not in computed
    assert list(compute_metrics(ref709, ref709, names=["opt_in"], primaries="bt709")) == ["opt_in"]


# --------------------------------------------------------------------------- hdrvdp2 entry
def _hdrvdp2():
    from bench.metrics.hdrvdp.v2 import hdrvdp2

    return hdrvdp2


def test_hdrvdp2_entry_matches_the_pure_function(rng: np.random.Generator) -> None:
    hdrvdp2 = _hdrvdp2()
    ref2020 = _hdr(rng, 48, 48)
    test2020 = ref2020 * rng.uniform(0.8, 1.2, ref2020.shape)
    m = _cs_matrix("bt2020", "bt709")
    t709, r709 = np.maximum(test2020 @ m.T, 0), np.maximum(ref2020 @ m.T, 0)
    for ppd in (30.0, 60.0):
        res = get_metric("hdrvdp2")(test2020, ref2020, primaries="bt2020", ppd=ppd)
        want = hdrvdp2(t709, r709, ppd=ppd, color_encoding="rgb-bt.709", return_maps=False)
        assert res.value == pytest.approx(want.Q, abs=1e-4)
        assert res.extras["P_det"] == pytest.approx(want.P_det, abs=1e-6)
        assert res.extras["C_max"] == pytest.approx(want.C_max, rel=1e-4)
        assert res.config == f"hdrvdp2 2.2.2-port | rgb-bt.709 | ppd={ppd:g} | protocol v1"
    assert get_metric("hdrvdp2")(ref2020, ref2020.copy(), primaries="bt2020").value == pytest.approx(100.0)


# --------------------------------------------------------------------------- hdrvdp3 entry
def test_hdrvdp3_entry_matches_the_pure_function(rng: np.random.Generator) -> None:
    """The registry's hdrvdp3: Q_JOD of task 'quality' on the protocol's BT.709 conversion
    (colour-science's matrix here, negatives clipped), Q / P_det / C_max in the extras."""
    from bench.metrics.hdrvdp.v3 import hdrvdp3

    m3 = get_metric("hdrvdp3")
    assert (m3.unit, m3.higher_is_better, m3.value_range) == ("JOD", True, (-math.inf, 10.0))
    assert m3.summary_extras == ("Q", "P_det", "C_max") and m3.original is not None
    assert m3.crosscheck_tol == (0.01, 0.0)
    ref2020 = _hdr(rng, 48, 48)
    test2020 = ref2020 * rng.uniform(0.8, 1.2, ref2020.shape)
    m = _cs_matrix("bt2020", "bt709")
    t709, r709 = np.maximum(test2020 @ m.T, 0), np.maximum(ref2020 @ m.T, 0)
    for ppd in (30.0, 60.0):
        res = m3(test2020, ref2020, primaries="bt2020", ppd=ppd)
        want = hdrvdp3(t709, r709, task="quality", ppd=ppd, color_encoding="rgb-bt.709", return_maps=False)
        assert res.value == pytest.approx(want.Q_JOD, abs=1e-4)
        assert res.extras["Q"] == pytest.approx(want.Q, abs=1e-4)
        assert res.extras["P_det"] == pytest.approx(want.P_det, abs=1e-6)
        assert res.extras["C_max"] == pytest.approx(want.C_max, rel=1e-4)
        assert res.value < 10.0
        assert res.config == f"hdrvdp3 3.0.7-port | quality | rgb-bt.709 | ppd={ppd:g} | protocol v1"
    same = m3(ref2020, ref2020.copy(), primaries="bt2020")
    assert same.value == 10.0 and same.extras["Q"] == 10.0


# --------------------------------------------------------------------------- package exports
def test_package_exports_the_pure_functions(rng: np.random.Generator) -> None:
    import bench.metrics as bm
    from bench.metrics import mpsnr, mpsnr_toolbox, pu21_encode, pu21_psnr, pu21_ssim, ssim
    from bench.metrics.exposure_psnr import mpsnr as mpsnr_fn

    ref = _hdr(rng)
    assert mpsnr(ref * 1.1, ref) == mpsnr_fn(ref * 1.1, ref)
    assert mpsnr_toolbox(ref * 1.1, ref) < mpsnr(ref * 1.1, ref)
    assert ssim(ref, ref, data_range=1000.0) == 1.0
    assert pu21_psnr(ref, ref) == math.inf and pu21_ssim(ref, ref) == 1.0
    assert float(pu21_encode(100.0)) == pytest.approx(256.38, abs=0.01)
    assert bm.get_metric is get_metric and bm.list_metrics is list_metrics
    assert bm.compute_metrics is compute_metrics


def test_function_names_survive_their_submodule_imports() -> None:
    # the package exports functions (mpsnr, ssim, hdrvdp2) whose modules have other names, so
    # importing a module never replaces a function, and the modules' contents stay reachable.
    import types

    import bench.metrics
    import bench.metrics.exposure_psnr
    import bench.metrics.hdrvdp.v2
    import bench.metrics.structural as ssim_mod
    from bench.metrics import hdrvdp2, mpsnr, ssim

    assert isinstance(mpsnr, types.FunctionType) and mpsnr is bench.metrics.exposure_psnr.mpsnr
    assert isinstance(ssim, types.FunctionType) and ssim is ssim_mod.ssim
    assert isinstance(hdrvdp2, types.FunctionType) and hdrvdp2 is bench.metrics.hdrvdp.v2.hdrvdp2
    assert bench.metrics.mpsnr is mpsnr and bench.metrics.ssim is ssim
    assert bench.metrics.exposure_psnr.MPSNRResult.__name__ == "MPSNRResult"
    assert ssim_mod.WIN_SIZE == 11
    import inspect

    assert "return_details" in inspect.signature(mpsnr).parameters
    with pytest.raises(AttributeError):
        _ = bench.metrics.no_such_name


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, bench.metrics, bench.metrics.registry; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
