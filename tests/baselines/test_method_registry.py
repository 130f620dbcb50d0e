"""The method registry: names, metadata, parameter parsing and errors, expand contract, learned loaders."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import numpy as np
import pytest

from baselines import registry
from baselines.kovaleski import kovaleski_oliveira
from baselines.registry import Param, get_method, list_methods, register_method
from baselines.wrapper import ExpandStats, from_relative_bt709
from itmn import colour
from itmn.errors import CheckpointError, ConfigError, ImageError

CLASSICAL = ["huo", "ko", "ko-2019", "akyuz", "inverse-gamma"]
LEARNED = ["itmn", "itmn-nodmse", "itmn-noadvreg", "drtm"]


def ldr_scene(rng: np.random.Generator, h: int = 24, w: int = 32) -> np.ndarray:
    img = np.clip(0.45 + 0.3 * rng.standard_normal((h, w, 3)), 0, 1)
    img[4:8, 4:8] = 1.0
    return (np.rint(img * 255) / 255).astype(np.float32)


def test_registered_methods_and_metadata():
    infos = {i.name: i for i in list_methods()}
    assert set(CLASSICAL + LEARNED) <= set(infos)
    assert all(not infos[n].learned for n in CLASSICAL) and all(infos[n].learned for n in LEARNED)
    assert infos["ko"].version == "2017-variant" and infos["ko-2019"].version == "2019-variant"
    for info in infos.values():
        assert info.description and info.version and info.reference
    assert [p.name for p in infos["itmn"].params] == ["checkpoint", "device"] and infos["itmn"].params[
        0
    ].required


def test_config_strings():
    assert (
        get_method("ko").config_string()
        == "ko 2017-variant | sigma_s=150 sigma_r=25/255 d_min=0.3 d_max=1200 gamma=2.2 | peak 1000 | protocol v1"
    )
    assert get_method("ko", variant="2019").config_string().startswith("ko 2019-variant | sigma_s=150")
    assert "mode=video" in get_method("ko", mode="video").config_string()
    assert (
        get_method("huo").config_string()
        == "huo toolbox-2018 | l_peak=1000 n=0.86 gamma=2.2 logmean_delta=1e-06 | peak 1000 | protocol v1"
    )
    assert get_method("huo", logmean_delta="1e-3").info.version == "toolbox-2018q1"


def test_parameters_are_parsed_from_strings():
    m = get_method("ko", sigma_r="25/255", d_max="1000", sigma_s="150", gamma="2.2")
    assert m.info.params["sigma_r"] == 25 / 255 and m.info.params["d_max"] == 1000.0
    assert get_method("ko", gamma="none").info.params["gamma"] is None
    assert get_method("ko", variant=2019).info.params["variant"] == "2019"
    assert get_method("huo", l_peak=500).info.params["l_peak"] == 500.0


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("kovaleksi", {}, "unknown method 'kovaleksi'"),
        ("kx", {}, "registered methods: huo, ko"),
        ("ko", {"sigma": 1}, "valid parameters: mode, sigma_s, sigma_r, d_min, d_max, gamma, variant"),
        ("huo", {"checkpoint": "x"}, "has no parameter 'checkpoint'"),
        ("ko", {"sigma_s": "abc"}, "expected a number, got 'abc'"),
        ("ko", {"sigma_s": "1/0"}, "expected a number, got '1/0'"),
        ("ko", {"sigma_s": True}, "expected a number, got True"),
        ("ko", {"sigma_s": float("inf")}, "expected a finite number, got inf"),
        ("ko", {"sigma_s": -3}, "sigma_s = -3.0"),
        ("ko", {"d_min": 2000}, "d_min"),
        ("ko", {"variant": "2018"}, "not one of 2017, 2019"),
        ("ko", {"mode": "film"}, "not one of image, video"),
        ("huo", {"n": None}, "expected a number, got None"),
        ("huo", {"n": "none"}, "expected a number, got 'none'"),
        ("itmn", {}, "needs parameter 'checkpoint'"),
        ("drtm", {"checkpoint": "/no/such/run"}, "no such file or folder"),
        ("itmn", {"checkpoint": ".", "device": "gpu"}, "not a device"),
    ],
)
def test_bad_names_and_parameters_give_clear_errors(name, params, message):
    with pytest.raises(ConfigError) as exc:
        get_method(name, **params)
    assert message in str(exc.value)


@pytest.mark.parametrize("name", CLASSICAL)
def test_expand_contract(name, rng):
    m = get_method(name)
    ldr = ldr_scene(rng)
    hdr = m.expand(ldr)
    assert hdr.dtype == np.float32 and hdr.shape == ldr.shape
    assert float(hdr.min()) >= 0.005 and float(hdr.max()) <= 1000.0
    assert isinstance(m.last_stats, ExpandStats) and m.last_stats.n_values == ldr.size
    # The peak luminance (BT.709 weights, before the channel clip) was set to 1000 cd/m^2.
    assert m.last_stats.scale * m.last_stats.source_peak == pytest.approx(1000.0, rel=1e-12)
    back = colour.bt2020_to_bt709(hdr.astype(np.float64))
    lum = 0.2126 * back[..., 0] + 0.7152 * back[..., 1] + 0.0722 * back[..., 2]
    assert 500.0 < lum.max() <= 1000.0 * (1 + 1e-5)
    assert np.array_equal(hdr, m.expand(ldr.copy()))  # deterministic


def test_expand_is_operator_then_shared_wrapper(rng):
    ldr = ldr_scene(rng)
    hdr, stats = get_method("ko", d_max=1000).expand_with_stats(ldr)
    ref, ref_stats = from_relative_bt709(kovaleski_oliveira(ldr, d_max=1000.0), return_stats=True)
    assert np.array_equal(hdr, ref) and stats == ref_stats
    inv = get_method("inverse-gamma").expand(ldr)
    assert np.array_equal(inv, from_relative_bt709(ldr.astype(np.float64) ** 2.2))


def test_ko_versions_agree_after_the_peak_scaling(rng):
    # 2019 = 2017 / 4 exactly, and the wrapper rescales the peak to 1000: the same image.
    ldr = ldr_scene(rng)
    assert np.array_equal(get_method("ko").expand(ldr), get_method("ko-2019").expand(ldr))


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("image", ["black", "white", "saturated", "single-colour"])
def test_special_images_through_the_registry(name, image):
    ldr = {
        "black": np.zeros((12, 12, 3), np.float32),
        "white": np.ones((12, 12, 3), np.float32),
        "saturated": np.tile(np.float32([0, 0, 1]), (12, 12, 1)),
        "single-colour": np.tile(np.float32([0.3, 0.6, 0.1]), (12, 12, 1)),
    }[image]
    hdr = get_method(name).expand(ldr)
    assert np.isfinite(hdr).all() and float(hdr.min()) >= 0.005 and float(hdr.max()) <= 1000.0


def test_bad_ldr_names_the_method():
    with pytest.raises(ImageError, match="LDR input of method 'huo'.*values span"):
        get_method("huo").expand(np.full((4, 4, 3), 255.0, np.float32))


# --------------------------------------------------------------------------- learned methods
class _FakeLoaded:
    def __init__(self, route: str):
        self.route = route
        self.info = {"config_hash": "abcdef0123456789", "iteration": 40, "finished": True}

    def expand_pq(self, ldr):
        return np.full(ldr.shape, 0.5, np.float32)

    def expand(self, ldr):  # only used when expand_pq is absent
        return np.full(ldr.shape, 1000.0, np.float32)


def _fake_module(calls: list, with_pq: bool = True) -> types.ModuleType:
    mod = types.ModuleType("fake_loader")

    def load_expander(checkpoint, device=None, **kw):
        calls.append({"checkpoint": checkpoint, "device": device, **kw})
        obj = _FakeLoaded("pq")
        if not with_pq:
            obj.expand_pq = None  # type: ignore[assignment]
        return obj

    mod.load_expander = load_expander  # type: ignore[attr-defined]
    return mod


@pytest.mark.parametrize(
    ("name", "module", "variant"),
    [
        ("itmn", "itmn.infer", "itmn"),
        ("itmn-nodmse", "itmn.infer", "nodmse"),
        ("itmn-noadvreg", "itmn.infer", "noadvreg"),
        ("drtm", "baselines.drtm", None),
    ],
)
def test_learned_factories_call_their_loader_lazily(monkeypatch, tmp_path, name, module, variant):
    calls: list = []
    monkeypatch.setitem(sys.modules, module, _fake_module(calls))
    m = get_method(name, checkpoint=str(tmp_path), device="cpu")
    expected = {"checkpoint": tmp_path, "device": "cpu"}
    if variant:
        expected["variant"] = variant
    assert calls == [expected]
    assert m.info.learned and m.info.version == "run-abcdef012345@40"
    assert (
        m.config_string()
        == f"{name} run-abcdef012345@40 | checkpoint={tmp_path} device=cpu | peak 1000 | protocol v1"
    )
    hdr, stats = m.expand_with_stats(np.zeros((4, 5, 3), np.float32))
    assert stats.route == "pq" and stats.exact
    np.testing.assert_allclose(hdr, colour.pq_decode(np.float64(0.5)), rtol=1e-6)


def test_learned_without_pre_display_output_gets_inferred_stats(monkeypatch, tmp_path):
    calls: list = []
    monkeypatch.setitem(sys.modules, "itmn.infer", _fake_module(calls, with_pq=False))
    m = get_method("itmn", checkpoint=str(tmp_path))
    m.expand(np.zeros((2, 2, 3), np.float32))
    assert not m.last_stats.exact and m.last_stats.n_clipped_high == 12 and calls[0]["device"] is None


def test_importing_the_registry_does_not_import_learned_modules():
    code = (
        "import sys, baselines.registry as r; r.get_method('huo'); "
        "print(any(m in sys.modules for m in ('itmn.infer', 'itmn.models', 'baselines.drtm.nets', "
        "'baselines.drtm.model', 'baselines.drtm.expander')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- registering
def test_register_a_plugin_method(monkeypatch, rng):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def factory(gain: float):
        def expand(ldr):
            return from_relative_bt709(ldr.astype(np.float64) * gain, return_stats=True)

        return expand

    register_method(
        "gain",
        factory,
        learned=False,
        version="0",
        description="test",
        params=[Param("gain", 2.0, "a gain > 0")],
    )
    assert "gain" in [i.name for i in list_methods()]
    assert get_method("gain", gain="3").config_string() == "gain 0 | gain=3 | peak 1000 | protocol v1"
    with pytest.raises(ValueError, match="already registered"):
        register_method("gain", factory, learned=False, version="0", description="x")
    with pytest.raises(ValueError, match="method name"):
        register_method("Bad Name", factory, learned=False, version="0", description="x")


def test_method_output_is_checked(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register_method(
        "broken",
        lambda: lambda ldr: (np.full(ldr.shape, 5000.0, np.float32), None),
        learned=False,
        version="0",
        description="x",
    )
    with pytest.raises(ImageError, match="output of method 'broken' spans"):
        get_method("broken").expand(np.zeros((2, 2, 3), np.float32))


def test_param_describe():
    assert Param("x", 0.5, "h").describe() == "x=0.5"


# --------------------------------------------------------------------------- real checkpoints
def _train_support():
    """tests/itmn/train_support.py (the trainer's test helper)."""
    import itmn_train_test_support  # registered by tests/conftest.py

    return itmn_train_test_support


@pytest.mark.parametrize("kind", ["itmn", "drtm"])
def test_real_tiny_checkpoint_through_the_registry(tmp_path, kind):
    ts = _train_support()

    dataset = ts.make_prepared(tmp_path / "data", n_train=2, n_test=1, size=32)
    overrides = {"run.iterations": 2}
    if kind == "drtm":
        overrides.update(
            {
                "model.kind": "drtm",
                "model.options": {"width": 4, "n_levels": 5},
                "loss.adversarial": False,
                "optim.name": "adam",
            }
        )
    run = ts.run_training(ts.tiny_config(dataset, **overrides), tmp_path / "run")
    method = get_method(kind, checkpoint=str(run), device="cpu")
    ldr = np.random.default_rng(1).random((20, 24, 3)).astype(np.float32)
    hdr, stats = method.expand_with_stats(ldr)
    # The registry applies the shared wrapper to the model's pre-display output itself (for exact
    # clip counts); the result must be what the model's own expand gives.
    module = importlib.import_module("itmn.infer" if kind == "itmn" else "baselines.drtm")
    direct = module.load_expander(run, device="cpu").expand(ldr)
    assert np.array_equal(hdr, direct) and stats.exact
    assert method.info.version.startswith("run-") and method.info.extra["expander_info"]["checkpoint"]
    if kind == "itmn":
        with pytest.raises(CheckpointError, match="loaded as .nodmse."):
            get_method("itmn-nodmse", checkpoint=str(run))


def test_plugin_with_mapping_params_and_plain_expander(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    class Flat:
        info = {"version": "7"}

        def __init__(self, level: float):
            self.level = level

        def expand(self, ldr):
            return np.full(ldr.shape, self.level, np.float32)

    register_method(
        "flat",
        lambda level, tag: Flat(level),
        learned=False,
        version="1",
        description="x",
        params={"level": 50, "tag": "a"},
    )
    m = get_method("flat", level="1000", tag="b")
    hdr = m.expand(np.zeros((2, 3, 3), np.float32))
    assert np.all(hdr == 1000.0) and m.last_stats.n_clipped_high == 18 and not m.last_stats.exact
    assert m.info.params == {"level": 1000.0, "tag": "b"} and m.info.extra == {"version": "7"}
    register_method(
        "fn",
        lambda: lambda ldr: np.float32([[[0.005, 5.0, 1000.0]]]),  # float32(0.005) = 0.00499999989: accepted
        learned=False,
        version="1",
        description="x",
    )
    assert get_method("fn").expand(np.zeros((1, 1, 3), np.float32)).tolist() == [
        [[np.float32(0.005), 5.0, 1000.0]]
    ]
    with pytest.raises(ValueError, match="Param objects"):
        register_method("bad", lambda: None, learned=False, version="1", description="x", params=["level"])
    register_method("none", lambda: None, learned=False, version="1", description="x")
    with pytest.raises(ConfigError, match="not an expander"):
        get_method("none")
