"""Stale cached predictions and scores (issue 12, class 1).

``itmn-bench evaluate`` reused ``<results>/_work/predictions/<label>/`` whenever a file existed:
``--method akyuz`` then ``--method akyuz --param a_gamma=3`` reported a_gamma=3 with the first
run's predictions, an edited ``module:function`` re-reported old scores, and a function fixed
after returning [0, 1] values kept failing on its cached file. Every cached prediction and score
is now keyed by the method's configuration string, the sha256 of its weights and of its code,
and the sha256 of the image it was made from; a change is recomputed, and said.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import evaluate
from bench.cli import main as bench_main
from itmn import hdrio
from itmn.data.dataset import PreparedDataset


def _evaluate(args: list[str], prepared: Path, results: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = bench_main(["evaluate", *args, "--dataset", str(prepared), "--results", str(results), "--no-progress"])
    return rc, capsys.readouterr().err


def _scores(results: Path, label: str) -> pd.DataFrame:
    s = pd.read_csv(results / "scores.csv")
    return s[s["method"] == label].set_index("image").sort_index()


def test_changed_parameters_are_recomputed_and_said(prepared_small: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    results, fresh = tmp_path / "R", tmp_path / "fresh"
    rc, _ = _evaluate(["--method", "akyuz"], prepared_small, results, capsys)
    assert rc == 0
    first = _scores(results, "akyuz")
    rc, err = _evaluate(["--method", "akyuz", "--param", "a_gamma=3"], prepared_small, results, capsys)
    assert rc == 0, err
    assert "akyuz: parameters changed (a_gamma=3 vs 1); recomputing 1 prediction" in err
    second = _scores(results, "akyuz")
    rc, _ = _evaluate(["--method", "akyuz", "--param", "a_gamma=3"], prepared_small, fresh, capsys)
    pd.testing.assert_frame_equal(second, _scores(fresh, "akyuz"))
    assert not np.allclose(first["mpsnr"], second["mpsnr"])
    # unchanged: reused, nothing said
    rc, err = _evaluate(["--method", "akyuz", "--param", "a_gamma=3"], prepared_small, results, capsys)
    assert rc == 0 and "recomputing" not in err


def _user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> str:
    (tmp_path / "user_mod").mkdir(exist_ok=True)
    (tmp_path / "user_mod" / "my_method.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path / "user_mod"))
    sys.modules.pop("my_method", None)
    return "my_method:expand"


V1 = """
    import numpy as np

    def expand(ldr):
        return np.asarray(ldr, dtype=np.float32) ** 2.2 * 1000.0
"""
V2 = V1.replace("* 1000.0", "* 400.0 + 1.0")
UNIT_RANGE = V1.replace("** 2.2 * 1000.0", "** 2.2  # forgot the scale: [0, 1] values")


def test_edited_user_code_is_recomputed(prepared_small: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    results, fresh = tmp_path / "R", tmp_path / "fresh"
    spec = _user_module(tmp_path, monkeypatch, V1)
    assert _evaluate(["--method", spec, "--label", "mine"], prepared_small, results, capsys)[0] == 0
    first = _scores(results, "mine")
    spec = _user_module(tmp_path, monkeypatch, V2)
    rc, err = _evaluate(["--method", spec, "--label", "mine"], prepared_small, results, capsys)
    assert rc == 0, err
    assert "mine: code changed (my_method)" in err and "recomputing 1 prediction" in err
    second = _scores(results, "mine")
    assert _evaluate(["--method", spec, "--label", "mine"], prepared_small, fresh, capsys)[0] == 0
    pd.testing.assert_frame_equal(second, _scores(fresh, "mine"))
    assert not np.allclose(first["mpsnr"], second["mpsnr"])


def test_a_fixed_user_function_is_not_stuck_on_its_cached_file(prepared_small: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    results = tmp_path / "R"
    spec = _user_module(tmp_path, monkeypatch, UNIT_RANGE)
    rc, err = _evaluate(["--method", spec, "--label", "mine"], prepared_small, results, capsys)
    assert rc == 1 and "normalized [0, 1]" in err
    spec = _user_module(tmp_path, monkeypatch, V1)
    rc, err = _evaluate(["--method", spec, "--label", "mine"], prepared_small, results, capsys)
    assert rc == 0, err
    assert "code changed" in err


def _gain_method(monkeypatch: pytest.MonkeyPatch) -> None:
    """A learned-style method whose 'checkpoint' is a .npy file holding a gain."""
    from baselines import registry
    from baselines.params import checkpoint_param, device_param

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def factory(checkpoint: str, device: str | None = None) -> object:
        gain = float(np.load(checkpoint))
        return lambda ldr: np.clip(np.asarray(ldr) ** 2.2 * gain, 0.005, 1000.0).astype(np.float32)

    registry.register_method("faults-gain", factory, learned=True, version="1", description="test",
                             params=(checkpoint_param(), device_param()))  # fmt: skip


def test_changed_weights_are_recomputed(prepared_small: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _gain_method(monkeypatch)
    ds = PreparedDataset(prepared_small)
    names = ds.names("test")
    weights = tmp_path / "gain.npy"
    np.save(weights, np.float64(1000.0))
    said: list[str] = []
    out = tmp_path / "preds"
    target = evaluate.registered_target("faults-gain", checkpoint=str(weights))
    first = evaluate.expand_split(target, ds, names, out, progress=False, log=said.append)
    a = hdrio.read_hdr(first[names[0]], out_primaries="bt2020")[0]
    np.save(weights, np.float64(300.0))  # retrained in place: same path, new weights
    target = evaluate.registered_target("faults-gain", checkpoint=str(weights))
    second = evaluate.expand_split(target, ds, names, out, progress=False, log=said.append)
    b = hdrio.read_hdr(second[names[0]], out_primaries="bt2020")[0]
    assert not np.allclose(a, b)
    assert len(said) == 1 and said[0].startswith("faults-gain: weights changed (checkpoint sha256 ")
    assert said[0].endswith("recomputing 1 prediction")


def test_a_changed_input_or_reference_is_recomputed(prepared_small: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The dataset prepared again (other LDR inputs, other references): predictions and scores
    made from the old files are stale."""
    data = tmp_path / "prepared"
    shutil.copytree(prepared_small, data)
    ds = PreparedDataset(data)
    name = ds.names("test")[0]
    said: list[str] = []
    target = evaluate.registered_target("akyuz")
    preds = evaluate.expand_split(target, ds, [name], tmp_path / "p", progress=False, log=said.append)
    rows, _ = evaluate.score_split(target, preds, ds, tmp_path / "c", metrics=("mpsnr",), progress=False, log=said.append)
    # another reference for the same prediction: the score must follow it
    ref = ds.load_hdr(name)
    hdrio.write_exr(data / "hdr" / f"{name}.exr", np.clip(ref * 0.5, 0.005, 1000), primaries="bt2020")
    rows2, _ = evaluate.score_split(target, preds, ds, tmp_path / "c", metrics=("mpsnr",), progress=False, log=said.append)
    assert rows2[0]["mpsnr"] != rows[0]["mpsnr"]
    assert said == ["akyuz: the reference image changed; rescoring 1 image"]
    # another LDR input: the prediction is made again
    ldr = ds.load_ldr(name, "reinhard_global")
    hdrio.write_png(data / "ldr" / "reinhard_global" / f"{name}.png", ldr[::-1].copy())
    evaluate.expand_split(target, ds, [name], tmp_path / "p", progress=False, log=said.append)
    assert said[-1] == "akyuz: the LDR input changed; recomputing 1 prediction"
