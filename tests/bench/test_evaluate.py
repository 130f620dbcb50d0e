"""itmn-bench evaluate: a registered method, a user's module:function and a predictions folder
each get rows in the per-image scores and the table, under the same protocol."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import evaluate
from bench.cli import main as bench_main
from itmn import hdrio
from itmn.data import prepare
from itmn.data.dataset import PreparedDataset
from itmn.errors import ConfigError, ImageError

SMALL = prepare.PrepareParams(size=32)


def _field(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    base = gaussian_filter(rng.normal(size=(h, w, 3)), (4, 4, 0))
    img = np.exp(3 * (base - base.mean()) / (base.std() + 1e-9))
    img[h // 3, w // 2] = 300.0
    return img.astype(np.float32)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    rng = np.random.default_rng(3)
    src = root / "src"
    src.mkdir()
    for i in range(4):
        hdrio.write_exr(src / f"img{i}.exr", _field(rng, 40, 48))
    out = root / "prepared"
    prepare.prepare_dataset(src, out=out, cache=root / "cache", params=SMALL, progress=False, log=lambda m: None)
    return out


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "my_itm.py").write_text(
        textwrap.dedent(
            '''
            import numpy as np

            def expand(ldr):
                """A user's method: inverse gamma to 1000 nits, kept in BT.709 values (a user mistake
                the protocol tolerates: the output is only clipped, not converted)."""
                return (np.asarray(ldr, dtype=np.float32) ** 2.2) * 1000.0

            def broken(ldr):
                return np.full(ldr.shape, np.nan, dtype=np.float32)
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_itm", None)
    return "my_itm"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    rc = bench_main(args)
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def test_user_callable_gets_a_row(prepared: Path, user_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    common = ["--dataset", str(prepared), "--results", str(results), "--no-progress"]
    _run(["evaluate", "--method", "inverse-gamma", *common], capsys)
    out = _run(["evaluate", "--method", f"{user_module}:expand", "--label", "mine", *common], capsys)
    assert "mine:" in out
    scores = pd.read_csv(results / "scores.csv")
    test_names = PreparedDataset(prepared).names("test")
    assert sorted(scores["method"].unique()) == ["inverse-gamma", "mine"]
    assert sorted(scores[scores["method"] == "mine"]["image"]) == sorted(test_names)
    # the user's function computes the same numbers as the registered inverse-gamma (up to the
    # output clip and primaries): its scores must be close, and the table must contain its row
    a = scores[scores["method"] == "mine"].set_index("image")
    b = scores[scores["method"] == "inverse-gamma"].set_index("image")
    assert np.all(np.isfinite(a["hdrvdp2"]))
    assert np.allclose(a["mpsnr"], b["mpsnr"], atol=3.0)
    table = pd.read_csv(results / "table1.csv").set_index("method")
    assert table.loc["mine", "hdrvdp2_mean"] == pytest.approx(a["hdrvdp2"].mean())
    assert "| mine |" in (results / "table1.md").read_text()

    # evaluating again replaces the rows instead of appending duplicates
    _run(["evaluate", "--method", f"{user_module}:expand", "--label", "mine", *common], capsys)
    assert len(pd.read_csv(results / "scores.csv")) == len(scores)


def test_predictions_folder(prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = PreparedDataset(prepared)
    preds = tmp_path / "preds"
    for n in ds.names("test"):
        hdrio.write_exr(preds / f"{n}.exr", ds.load_hdr(n), primaries="bt2020")
    results = tmp_path / "res"
    _run(["evaluate", "--predictions", str(preds), "--label", "oracle", "--dataset", str(prepared),
          "--results", str(results), "--no-progress"], capsys)  # fmt: skip
    scores = pd.read_csv(results / "scores.csv")
    # the reference itself: perfect scores
    assert np.all(scores["hdrvdp2"] > 99.99)
    assert np.all(np.isinf(scores["mpsnr"]))
    assert np.allclose(scores["ssim"], 1.0)

    (preds / f"{ds.names('test')[0]}.exr").unlink()
    with pytest.raises(ImageError, match="no prediction"):
        evaluate.expand_split(evaluate.predictions_target(preds), ds, ds.names("test"), tmp_path / "x")


def test_bad_user_outputs_are_reported(prepared: Path, user_module: str, tmp_path: Path) -> None:
    ds = PreparedDataset(prepared)
    target = evaluate.callable_target(f"{user_module}:broken")
    with pytest.raises(ImageError, match="non-finite"):
        evaluate.expand_split(target, ds, ds.names("test"), tmp_path / "p", progress=False)
    assert not list((tmp_path / "p").glob("*.exr"))  # nothing half-written
    with pytest.raises(ConfigError, match="module:function"):
        evaluate.callable_target("no_colon_here")
    with pytest.raises(ConfigError, match="cannot import"):
        evaluate.callable_target("surely_not_a_module_xyz:f")


def test_score_cache_is_reused_and_invalidated(prepared: Path, tmp_path: Path) -> None:
    ds = PreparedDataset(prepared)
    names = ds.names("test")[:1]
    target = evaluate.registered_target("inverse-gamma")
    preds = evaluate.expand_split(target, ds, names, tmp_path / "p", progress=False)
    rows, _ = evaluate.score_split(target, preds, ds, tmp_path / "c", metrics=("mpsnr",), progress=False)
    cache = tmp_path / "c" / f"{names[0]}.json"
    data = json.loads(cache.read_text())
    data["row"]["mpsnr"] = -1.0  # a cached value is used as long as the prediction is unchanged
    cache.write_text(json.dumps(data))
    rows2, _ = evaluate.score_split(target, preds, ds, tmp_path / "c", metrics=("mpsnr",), progress=False)
    assert rows2[0]["mpsnr"] == -1.0
    # a different prediction file invalidates it
    hdrio.write_exr(preds[names[0]], ds.load_hdr(names[0]) * 0.5, primaries="bt2020")
    rows3, _ = evaluate.score_split(target, preds, ds, tmp_path / "c", metrics=("mpsnr",), progress=False)
    assert rows3[0]["mpsnr"] not in (-1.0, rows[0]["mpsnr"])


def test_metrics_option_selects_columns(prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    common = ["--dataset", str(prepared), "--results", str(results), "--no-progress"]
    _run(["evaluate", "--method", "inverse-gamma", *common], capsys)
    scores_before = (results / "scores.csv").read_bytes()
    assert "delta_e_itp" not in pd.read_csv(results / "scores.csv").columns
    # a column that the rows already there were not scored with: refused, nothing written
    rc = bench_main(["evaluate", "--method", "huo", "--metrics", "hdrvdp2,delta_e_itp", *common])
    err = capsys.readouterr().err
    assert rc == 1 and "no 'delta_e_itp' scores for method(s) inverse-gamma" in err
    assert (results / "scores.csv").read_bytes() == scores_before

    fresh = tmp_path / "fresh"
    common = ["--dataset", str(prepared), "--results", str(fresh), "--no-progress"]
    for method in ("inverse-gamma", "huo"):
        out = _run(["evaluate", "--method", method, "--metrics", "ssim,delta_e_itp", *common], capsys)
        assert f"{method}: ssim " in out and "delta_e_itp" in out and "hdrvdp2" not in out
    scores = pd.read_csv(fresh / "scores.csv")
    assert set(evaluate.DEFAULT_METRICS) | {"delta_e_itp"} <= set(scores.columns)  # defaults still scored
    assert np.all(scores["delta_e_itp"] > 0)
    md = (fresh / "table1.md").read_text()
    assert "| Method | SSIM ↑ (95% CI) | paper | Δ | ΔE_ITP ↓ (95% CI) | paper | Δ |" in md
    # the same scores re-rendered without --metrics give the paper's three columns
    _run(["evaluate", "--method", "huo", *common], capsys)
    assert "HDR-VDP-2 ↑" in (fresh / "table1.md").read_text() and "ΔE_ITP" not in (fresh / "table1.md").read_text()
