"""The MATLAB/Octave bridge (itmn.originals).

Plumbing is tested for real with GNU Octave against small .m functions written for these tests
(tests/bench/backends/m/; the fake_* folders are stand-ins that echo what they receive, NOT the
original code). Tests marked ``octave`` are skipped when Octave is not installed (apt install
octave; .ci/run installs it). Nothing here validates a metric through the bridge: that needs the
original code, see test_originals.py.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from itmn.originals import codebases as originals
from itmn.originals import engine as eng_mod
from itmn.originals.engine import BackendCallError, BackendError, from_mat_value, get_engine, to_engine_value

M_DIR = Path(__file__).parent / "m"
HAVE_OCTAVE = shutil.which("octave-cli") is not None or shutil.which("octave") is not None
DRIVERS = ["subprocess"]
try:  # the oct2py driver is tested when the 'octave' extra is installed
    import oct2py  # noqa: F401

    DRIVERS.append("oct2py")
except ImportError:
    pass

octave = pytest.mark.skipif(
    not HAVE_OCTAVE,
    reason="GNU Octave not found: apt install octave (these tests run in CI and nox -s octave)",
)


@pytest.fixture(autouse=True)
def _clean_engines(monkeypatch):
    for env in (
        "ITMN_HDRVDP_PATH",
        "ITMN_HDRVDP3_PATH",
        "ITMN_HDRTOOLBOX_PATH",
        "ITMN_PU21_PATH",
        "ITMN_OCTAVE_DRIVER",
        "ITMN_OCTAVE",
    ):
        monkeypatch.delenv(env, raising=False)
    originals.close_engines()
    yield
    originals.close_engines()


@pytest.fixture(scope="module", params=DRIVERS)
def engine(request):
    if not HAVE_OCTAVE:
        pytest.skip("GNU Octave not found: apt install octave")
    mp = pytest.MonkeyPatch()
    mp.setenv("ITMN_OCTAVE_DRIVER", request.param)
    e = get_engine("octave", [(M_DIR, False)])
    mp.undo()
    yield e
    e.close()


# --------------------------------------------------------------------------- round trip
@octave
@pytest.mark.octave
@pytest.mark.parametrize("shape", [(97, 131, 3), (5, 7, 3), (1, 1), (1, 9), (3, 1, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bit_exact(engine, shape, dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 1e3).astype(dtype)
    (back,) = engine.call("itmn_echo", x)
    if x.size == 1:
        assert back == x.item()
        return
    assert isinstance(back, np.ndarray)
    assert back.dtype == x.dtype
    assert back.shape == x.shape
    assert np.array_equal(back, x)


@octave
@pytest.mark.octave
def test_nan_and_inf_survive_and_are_seen_where_they_are(engine):
    x = np.arange(97 * 131 * 3, dtype=np.float32).reshape(97, 131, 3) / 7
    x[3, 4, 2] = np.nan
    x[96, 130, 0] = np.nan
    x[0, 0, 1] = np.inf
    x[50, 2, 0] = -np.inf
    (back,) = engine.call("itmn_echo", x)
    assert np.array_equal(np.isnan(back), np.isnan(x))
    assert np.array_equal(back[np.isfinite(x)], x[np.isfinite(x)])
    assert back[0, 0, 1] == np.inf and back[50, 2, 0] == -np.inf
    cls, sz, n_nan, n_inf, total, first = engine.call("itmn_describe", x, nargout=6)
    assert cls == "single"
    assert [int(v) for v in np.ravel(sz)] == [97, 131, 3]
    assert (n_nan, n_inf) == (2, 2)
    finite = x[np.isfinite(x)].astype(np.float64)
    assert math.isclose(total, finite.sum(), rel_tol=1e-12)
    assert first == float(x[0, 1, 0])  # MATLAB x(1, 2, 1): row 0, column 1, channel 0


@octave
@pytest.mark.octave
def test_arguments_and_struct_outputs(engine):
    (out,) = engine.call("itmn_args", "rgb-bt.709", 1.5, True, 41)
    assert out["name"] == "rgb-bt.709" and out["name_class"] == "char"
    assert out["scaled"] == 3.0 and out["scale_class"] == "double"
    assert out["flag_class"] == "logical" and out["flag"] == 1.0
    assert out["count"] == 42
    assert out["nargin"] == 4
    a, b = engine.call("itmn_echo", "x", np.float64(2.5), nargout=2)
    assert (a, b) == ("x", 2.5)
    assert engine.call("itmn_echo", nargout=0) == []


@octave
@pytest.mark.octave
def test_errors_of_the_called_code_carry_identifier_and_message(engine):
    with pytest.raises(BackendCallError) as ei:
        engine.call("itmn_fail", "odd sizes", nargout=0)
    assert ei.value.identifier == "itmn:deliberate"
    assert "deliberate failure: odd sizes" in str(ei.value)
    with pytest.raises(BackendCallError, match="not found"):
        engine.call("itmn_no_such_function", 1.0)


def test_values_the_bridge_refuses():
    with pytest.raises(BackendError, match="cannot be passed"):
        to_engine_value({"a": 1})
    with pytest.raises(BackendError, match="dtype"):
        to_engine_value(np.array(["a"], dtype=object))
    with pytest.raises(BackendError, match="function name"):
        eng_mod.Engine().call("rm -rf; x")


def test_from_mat_value_conversions():
    from scipy.io.matlab import mat_struct

    s = mat_struct()
    s._fieldnames = ["Q", "name"]
    s.Q = np.array([[95.5]])
    s.name = np.array(["abc"])
    assert from_mat_value(s) == {"Q": 95.5, "name": "abc"}
    assert from_mat_value(np.array([[3]], dtype=np.int32)) == 3
    arr = np.ones((2, 3))
    assert from_mat_value(arr) is arr


# --------------------------------------------------------------------------- missing pieces
def test_missing_octave_names_what_to_install(monkeypatch):
    monkeypatch.setenv("ITMN_OCTAVE", "/nonexistent/octave-cli")
    with pytest.raises(BackendError, match="ITMN_OCTAVE"):
        get_engine("octave")
    monkeypatch.delenv("ITMN_OCTAVE")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackendError, match="apt install octave"):
        get_engine("octave")


def test_missing_matlab_engine_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matlab", None)  # import matlab -> ImportError
    monkeypatch.setitem(sys.modules, "matlab.engine", None)
    with pytest.raises(BackendError, match="comes with MATLAB"):
        get_engine("matlab")


def test_unknown_backend_and_driver(monkeypatch):
    with pytest.raises(BackendError, match="unknown backend"):
        get_engine("julia")
    monkeypatch.setenv("ITMN_OCTAVE_DRIVER", "pexpect")
    with pytest.raises(BackendError, match="ITMN_OCTAVE_DRIVER"):
        get_engine("octave")


def test_code_path_not_set_or_wrong(tmp_path, monkeypatch):
    with pytest.raises(BackendError, match="ITMN_HDRVDP_PATH"):
        originals.code_path("hdrvdp")
    monkeypatch.setenv("ITMN_HDRVDP_PATH", str(tmp_path / "nope"))
    with pytest.raises(BackendError, match="not a folder"):
        originals.code_path("hdrvdp")
    monkeypatch.setenv("ITMN_HDRVDP_PATH", str(tmp_path))
    with pytest.raises(BackendError, match=r"hdrvdp\.m not found"):
        originals.code_path("hdrvdp")
    monkeypatch.setenv("ITMN_HDRTOOLBOX_PATH", str(tmp_path))
    with pytest.raises(BackendError, match="searched its subfolders"):
        originals.code_path("hdrtoolbox")


def test_metrics_without_an_original_are_refused():
    from bench.metrics.registry import compute_metrics, get_metric
    from itmn.errors import ConfigError

    ref = np.full((16, 16, 3), 100.0, np.float32)
    with pytest.raises(ConfigError, match="no original MATLAB implementation"):
        get_metric("mpsnr")(ref, ref, "bt709", backend="octave")
    with pytest.raises(ConfigError, match="unknown backend"):
        compute_metrics(ref, ref, ["hdrvdp2"], "bt709", backend="octavia")


# --------------------------------------------------------------------------- originals' plumbing (fakes)
@octave
@pytest.mark.octave
def test_wrong_hdrvdp_version_is_refused(monkeypatch):
    monkeypatch.setenv("ITMN_HDRVDP_PATH", str(M_DIR / "fake_hdrvdp_old"))
    from bench.metrics import hdrvdp2

    ref = np.full((20, 20, 3), 100.0, np.float32)
    with pytest.raises(BackendError, match=r"hdrvdp_version\(\) says 2.1, expected 2.22"):
        hdrvdp2(ref, ref, backend="octave")


@octave
@pytest.mark.octave
def test_hdrvdp2_backend_plumbing_with_a_stand_in(monkeypatch):
    """The stand-in hdrvdp.m echoes test(2,3,1), reference(1,1,3), ppd and one channel: checks
    argument order, channel-last orientation and double precision of the bridge."""
    monkeypatch.setenv("ITMN_HDRVDP_PATH", str(M_DIR / "fake_hdrvdp"))
    from bench.metrics import hdrvdp2

    rng = np.random.default_rng(3)
    test = (rng.uniform(1, 500, (19, 23, 3))).astype(np.float32)
    ref = (rng.uniform(1, 500, (19, 23, 3))).astype(np.float32)
    res = hdrvdp2(test, ref, ppd=42.5, backend="octave")
    assert res.Q == float(test[1, 2, 0])
    assert res.P_det == float(ref[0, 0, 2])
    assert res.C_max == 42.5
    assert np.array_equal(res.P_map, test[..., 1].astype(np.float64))
    assert "original HDR-VDP 2.2.2 via Octave" in res.config
    # the registry and the CLI path: values and configuration strings name the backend
    from bench.metrics.registry import get_metric

    r = get_metric("hdrvdp2")(test, ref, "bt709", 42.5, backend="octave")
    assert r.value == float(test[1, 2, 0]) and r.extras["backend"] == "octave"
    assert r.config.startswith("hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=42.5") and "via Octave" in r.config
    # input checks happen before the engine is asked
    bad = test.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(Exception, match="(?i)nan|finite"):
        hdrvdp2(bad, ref, backend="octave")


@octave
@pytest.mark.octave
def test_score_cli_with_backend(tmp_path, monkeypatch, capsys):
    import json

    from bench.cli import main

    monkeypatch.setenv("ITMN_HDRVDP_PATH", str(M_DIR / "fake_hdrvdp"))
    rng = np.random.default_rng(4)
    t = rng.uniform(1, 500, (18, 21, 3)).astype(np.float32)
    r = rng.uniform(1, 500, (18, 21, 3)).astype(np.float32)
    np.save(tmp_path / "t.npy", t)
    np.save(tmp_path / "r.npy", r)
    assert (
        main(["score", str(tmp_path / "t.npy"), str(tmp_path / "r.npy"), "--backend", "octave", "--json"])
        == 0
    )
    obj = json.loads(capsys.readouterr().out)
    assert list(obj["config"]) == ["hdrvdp2"]  # only the configured original
    assert obj["hdrvdp2"] == float(t[1, 2, 0])
    assert obj["inputs"]["backend"] == "octave"
    assert (
        main(
            [
                "score",
                str(tmp_path / "t.npy"),
                str(tmp_path / "r.npy"),
                "--backend",
                "octave",
                "--metric",
                "ssim",
            ]
        )
        == 1
    )
    assert "no original MATLAB implementation" in capsys.readouterr().err


@octave
@pytest.mark.octave
def test_kovaleski_variant_of_the_copy_is_checked(monkeypatch):
    from baselines.registry import get_method
    from itmn.originals import kovaleski_original
    from itmn.originals.engine import BackendError

    monkeypatch.setenv("ITMN_HDRTOOLBOX_PATH", str(M_DIR / "fake_toolbox"))
    img = np.linspace(0, 1, 5 * 7 * 3).reshape(5, 7, 3)
    args = ("image", 150.0, 25 / 255, 0.3, 1200.0, 2.2)
    with pytest.raises(BackendError, match="computes the 2019 variant"):
        kovaleski_original(img, *args, "2017", backend="octave")
    out, e_map = kovaleski_original(img, *args, "2019", backend="octave")
    assert np.allclose(e_map, 0.25 + 0.75 * img[..., 0])  # the stand-in's map
    assert np.allclose(out, img * e_map[..., None])
    # the method registry chooses the original and gets the same refusal
    with pytest.raises(BackendError, match="computes the 2019 variant"):
        get_method("ko", backend="octave").expand(img.astype(np.float32))


@octave
@pytest.mark.octave
def test_expand_cli_backend(tmp_path, monkeypatch, capsys):
    from bench.cli import itmn_main as main
    from itmn.hdrio import write_png

    monkeypatch.setenv("ITMN_HDRTOOLBOX_PATH", str(M_DIR / "fake_toolbox"))
    code = np.linspace(0.1, 0.9, 6 * 8 * 3).reshape(6, 8, 3)
    write_png(tmp_path / "in.png", code)
    assert (
        main(
            [
                "expand",
                "--method",
                "akyuz",
                "--backend",
                "octave",
                str(tmp_path / "in.png"),
                str(tmp_path / "o.exr"),
            ]
        )
        == 1
    )
    assert "no original implementation" in capsys.readouterr().err
    rc = main(
        [
            "expand",
            "--method",
            "huo",
            "--backend",
            "octave",
            str(tmp_path / "in.png"),
            str(tmp_path / "o.exr"),
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "backend=octave" in out and "original-octave" in out
    assert (tmp_path / "o.exr").is_file()


def test_detect_ko_variant():
    from itmn.originals import detect_ko_variant

    assert detect_ko_variant(np.array([1.0, 2.5, 4.0])) == "2017"
    assert detect_ko_variant(np.array([0.25, 0.6, 1.0])) == "2019"
    assert detect_ko_variant(np.array([1.0, 1.0])) is None


# --------------------------------------------------------------------------- crosscheck logic
def test_within_tolerance_rules():
    from bench.crosscheck import within

    assert within(95.0, 95.005, 0.01, 0.0) == (pytest.approx(0.005), True)
    assert within(95.0, 95.02, 0.01, 0.0)[1] is False
    assert within(2.0, 2.001, 0.0, 1e-3)[1] is True
    assert within(math.inf, math.inf, 0, 0) == (0.0, True)
    assert within(math.inf, 50.0, 0, 0)[1] is False
    assert within(math.nan, 1.0, 1, 1)[1] is False


@octave
@pytest.mark.octave
def test_crosscheck_reports_disagreement(monkeypatch, capsys, tmp_path):
    """With the echoing stand-in, native and 'original' differ: the command must say FAIL and exit 1."""
    from bench.cli import main

    monkeypatch.setenv("ITMN_HDRVDP_PATH", str(M_DIR / "fake_hdrvdp"))
    rc = main(["crosscheck", "--backend", "octave", "--metric", "hdrvdp2", "--out", str(tmp_path / "cc.csv")])
    captured = capsys.readouterr()
    assert rc == 1
    assert "FAIL" in captured.out and "synthetic_noise" in captured.out
    import pandas as pd

    df = pd.read_csv(tmp_path / "cc.csv")
    assert set(df["verdict"]) == {"FAIL", "PASS"} or set(df["verdict"]) == {"FAIL"}
    assert (tmp_path / "cc.csv.meta.json").is_file()


def test_crosscheck_pairs_layouts(tmp_path):
    from bench.crosscheck import read_pairs

    ref = np.full((6, 5, 3), 50.0, np.float32)
    (tmp_path / "a").mkdir()
    np.save(tmp_path / "a" / "s1__ref.npy", ref)
    np.save(tmp_path / "a" / "s1__noise.npy", ref * 1.1)
    np.save(tmp_path / "a" / "s1__blur.npy", ref * 0.9)
    pairs = read_pairs(tmp_path / "a")
    assert [p.name for p in pairs] == ["s1__blur", "s1__noise"]
    assert np.allclose(pairs[1].test, 55.0)
    (tmp_path / "b" / "test").mkdir(parents=True)
    (tmp_path / "b" / "ref").mkdir()
    np.save(tmp_path / "b" / "test" / "x.npy", ref * 2)
    np.save(tmp_path / "b" / "ref" / "x.npy", ref)
    assert [p.name for p in read_pairs(tmp_path / "b")] == ["x"]
    from itmn.errors import ImageError

    (tmp_path / "c").mkdir()
    np.save(tmp_path / "c" / "s2__noise.npy", ref)
    with pytest.raises(ImageError, match="no reference s2__ref"):
        read_pairs(tmp_path / "c")


# --------------------------------------------------------------------------- matlab.engine adapter
class _FakeArray:
    """Stands in for matlab.double/single/logical: keeps a numpy array."""

    kind = np.float64

    def __init__(self, init=None, size=None):
        self.a = np.asarray(init, dtype=self.kind)

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


def _fake_matlab(calls: list) -> types.ModuleType:
    m = types.ModuleType("matlab")
    m.double = type("double", (_FakeArray,), {"kind": np.float64})
    m.single = type("single", (_FakeArray,), {"kind": np.float32})
    m.logical = type("logical", (_FakeArray,), {"kind": np.bool_})
    m.double.__module__ = m.single.__module__ = m.logical.__module__ = "matlab"
    engine = types.ModuleType("matlab.engine")

    class FakeEngine:
        def feval(self, func, *args, nargout=1):
            calls.append((func, args, nargout))
            if func == "plus":
                return m.double(np.asarray(args[0]) + np.asarray(args[1]))
            if func == "struct_out":
                return {"Q": 91.5, "P_map": m.double(np.ones((2, 3)))}
            if func == "two":
                return (m.double([[1.0]]), "text")
            raise RuntimeError("Undefined function 'nope'")

        def addpath(self, p, nargout=0):
            calls.append(("addpath", (p,), nargout))

        def genpath(self, p):
            return p + ":sub"

        def version(self, nargout=1):
            return "24.1.0 (R2024a)"

        def quit(self):
            calls.append(("quit", (), 0))

    engine.start_matlab = FakeEngine
    m.engine = engine
    return m


def test_matlab_engine_adapter_conversions(monkeypatch, tmp_path):
    """matlab.engine is not available here: a stand-in module checks the adapter's conversions
    (single vs double, logical, structs, several outputs, errors). Real MATLAB is not tested."""
    calls: list = []
    fake = _fake_matlab(calls)
    monkeypatch.setitem(sys.modules, "matlab", fake)
    monkeypatch.setitem(sys.modules, "matlab.engine", fake.engine)
    e = get_engine("matlab", [(tmp_path, True)])
    assert calls[0] == ("addpath", (str(tmp_path.resolve()) + ":sub",), 0)
    x32 = np.arange(6, dtype=np.float32).reshape(2, 3)
    (out,) = e.call("plus", x32, np.float64(1.0))
    sent = calls[-1][1]
    assert type(sent[0]).__name__ == "single" and sent[1] == 1.0
    assert np.array_equal(out, x32 + 1)
    (s,) = e.call("struct_out")
    assert s["Q"] == 91.5 and s["P_map"].shape == (2, 3)
    one, text = e.call("two", nargout=2)
    assert one == 1.0 and text == "text"
    e.call("plus", np.array([[True, False]]), np.zeros((1, 2)))
    assert type(calls[-1][1][0]).__name__ == "logical"
    with pytest.raises(BackendCallError, match="failed in matlab"):
        e.call("nope")
    assert e.version().startswith("MATLAB 24.1")
    e.close()
    assert calls[-1][0] == "quit"


@octave
@pytest.mark.octave
def test_octave_session_runs_outside_python_cwd(tmp_path):
    """The subprocess driver works from any working directory and leaves no files behind.

    The child gets a temporary folder of its own (TMPDIR): comparing the shared /tmp before and
    after failed whenever another process on the machine had an Octave session open meanwhile."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from itmn.originals.engine import get_engine; print(get_engine('octave').version())",
        ],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("Octave ")
    assert not list(tmp.iterdir())


def test_kovaleski_alias_names_the_same_method():
    from baselines.registry import get_method

    assert get_method("kovaleski").config_string() == get_method("ko").config_string()
    assert get_method("kovaleski-2019", backend="native").info.params["variant"] == "2019"
