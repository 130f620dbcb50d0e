"""The bridge's HDR-VDP 3 plumbing with stand-ins (tests/bench/backends/m/fake_hdrvdp3*: small .m
functions written for these tests that echo their inputs, NOT HDR-VDP). Marked ``octave``;
skipped without GNU Octave. Agreement with the real original: test_originals_hdrvdp3.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from itmn.originals import codebases as originals
from itmn.originals.engine import BackendError

M_DIR = Path(__file__).parent / "m"
HAVE_OCTAVE = shutil.which("octave-cli") is not None or shutil.which("octave") is not None
pytestmark = [
    pytest.mark.octave,
    pytest.mark.skipif(not HAVE_OCTAVE, reason="GNU Octave not found: apt install octave (nox -s octave)"),
]


@pytest.fixture(autouse=True)
def _clean_engines(monkeypatch):
    for env in ("ITMN_HDRVDP3_PATH", "ITMN_OCTAVE_DRIVER", "ITMN_OCTAVE"):
        monkeypatch.delenv(env, raising=False)
    originals.close_engines()
    yield
    originals.close_engines()


def _pair(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    test = rng.uniform(2, 500, (19, 23, 3)).astype(np.float32)
    ref = rng.uniform(2, 500, (19, 23, 3)).astype(np.float32)
    return test, ref


def test_wrong_version_is_refused(monkeypatch):
    monkeypatch.setenv("ITMN_HDRVDP3_PATH", str(M_DIR / "fake_hdrvdp3_old"))
    from bench.metrics.hdrvdp.v3 import hdrvdp3

    test, ref = _pair()
    with pytest.raises(BackendError, match=r"hdrvdp_version\(\) says 3.06, expected 3.07"):
        hdrvdp3(test, ref, backend="octave")


def test_missing_geomean_is_named_with_the_fix(monkeypatch):
    monkeypatch.setenv("ITMN_HDRVDP3_PATH", str(M_DIR / "fake_hdrvdp3_nogeomean"))
    from bench.metrics.hdrvdp.v3 import hdrvdp3

    test, ref = _pair()
    with pytest.raises(BackendError, match=r"geomean.*utils/geomean\.m.*exp\(mean\(log\(x\)\)\)"):
        hdrvdp3(test, ref, backend="octave")


def test_hdrvdp3_backend_plumbing_with_a_stand_in(monkeypatch):
    """The stand-in echoes test(2,3,1), reference(1,1,3), ppd, numel(task) and one channel of each
    image: checks argument order, orientation, double precision and the task string."""
    monkeypatch.setenv("ITMN_HDRVDP3_PATH", str(M_DIR / "fake_hdrvdp3"))
    from bench.metrics.hdrvdp.v3 import hdrvdp3

    test, ref = _pair()
    res = hdrvdp3(test, ref, task="side-by-side", ppd=42.5, backend="octave")
    assert res.Q == float(test[1, 2, 0]) and res.Q_JOD == float(ref[0, 0, 2])
    assert res.P_det == 42.5 and res.C_max == len("side-by-side")
    assert np.array_equal(res.P_map, test[..., 1].astype(np.float64))
    assert np.array_equal(res.C_map, ref[..., 0].astype(np.float64))
    assert res.config.startswith(
        "hdrvdp3 3.0.7 | side-by-side | rgb-bt.709 | ppd=42.5 | original HDR-VDP 3.0.7 via Octave"
    )
    # options other than the defaults cannot be sent to the original
    with pytest.raises(BackendError, match="default options only"):
        hdrvdp3(test, ref, age=60, backend="octave")
    # the registry: Q_JOD is the value, the backend is named
    from bench.metrics.registry import get_metric

    r = get_metric("hdrvdp3")(test, ref, "bt709", 42.5, backend="octave")
    assert r.value == float(ref[0, 0, 2]) and r.extras["Q"] == float(test[1, 2, 0])
    assert (
        r.extras["P_det"] == 42.5 and r.extras["C_max"] == len("quality") and r.extras["backend"] == "octave"
    )
    assert r.config.startswith(
        "hdrvdp3 3.0.7-port | quality | rgb-bt.709 | ppd=42.5 | protocol v1 | original"
    )
    # input checks happen before the engine is asked
    bad = test.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(Exception, match="(?i)nan|finite"):
        hdrvdp3(bad, ref, backend="octave")


def test_crosscheck_covers_hdrvdp3(monkeypatch, capsys, tmp_path):
    """With the echoing stand-in native and 'original' differ: FAIL rows for hdrvdp3 and its
    secondary numbers, exit status 1; the metric is picked up from ITMN_HDRVDP3_PATH alone."""
    from bench.cli import main

    monkeypatch.setenv("ITMN_HDRVDP3_PATH", str(M_DIR / "fake_hdrvdp3"))
    rc = main(["crosscheck", "--backend", "octave", "--out", str(tmp_path / "cc.csv")])
    out = capsys.readouterr().out
    assert rc == 1 and "FAIL" in out
    import pandas as pd

    df = pd.read_csv(tmp_path / "cc.csv")
    assert {"hdrvdp3", "hdrvdp3.Q", "hdrvdp3.P_det", "hdrvdp3.C_max"} <= set(df["quantity"])
    assert set(df["case"]) == {"synthetic_noise", "synthetic_blur", "synthetic_gain"}
