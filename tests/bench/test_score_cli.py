"""``itmn-bench score`` and ``itmn-bench metrics`` run in-process through bench.cli.main.

Expected values come from the pure functions (their MATLAB agreement is tested elsewhere) and,
for the primaries handling, from colour-science's BT.709 <-> BT.2020 matrix.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import colour as cs
import numpy as np
import pytest

import bench.cli
from bench.metrics.exposure_psnr import mpsnr_details
from bench.metrics.pu21 import pu21_psnr
from bench.metrics.registry import Metric, default_metric_names, get_metric, list_metrics, register_metric
from itmn.hdrio import write_exr

FAST = ["mpsnr", "mpsnr_toolbox", "ssim", "pu21_psnr", "pu21_ssim"]


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run ``itmn-bench ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        rc = bench.cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def _strict_json(text: str):
    def no_constants(name: str):
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=no_constants)


def _hdr(rng: np.random.Generator, h: int = 40, w: int = 48) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    lum = np.exp(np.log(0.05) + (np.log(1000.0) - np.log(0.05)) * xx / (w - 1))
    chroma = np.stack([1 + 0.9 * np.sin(yy / 3.0), 1 + 0.9 * np.cos(yy / 4.0), np.ones((h, w))], -1)
    return np.clip(lum[..., None] * chroma * rng.uniform(0.8, 1.0, (h, w, 3)), 0.005, 1000.0).astype(
        np.float32
    )


@pytest.fixture
def pair(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    ref = _hdr(rng)
    test = (ref * rng.uniform(0.9, 1.1, ref.shape)).astype(np.float32)
    np.save(tmp_path / "ref.npy", ref)
    np.save(tmp_path / "test.npy", test)
    return tmp_path / "test.npy", tmp_path / "ref.npy", test, ref


def test_json_output_shape_and_values(cli, pair) -> None:
    tp, rp, test, ref = pair
    rc, out, _ = cli("score", tp, rp, "--metric", *FAST, "--json")
    assert rc == 0
    assert len(out.strip().splitlines()) == 1  # ONE object
    obj = _strict_json(out)
    assert set(obj) == set(FAST) | {
        "mpsnr_e_min", "mpsnr_e_max", "mpsnr_n_exposures",
        "mpsnr_toolbox_e_min", "mpsnr_toolbox_e_max", "mpsnr_toolbox_n_exposures",
        "config", "inputs",
    }  # fmt: skip
    assert obj["config"] == {n: get_metric(n).config(30.0) for n in FAST}
    want = mpsnr_details(test, ref)
    assert obj["mpsnr"] == pytest.approx(want.value, abs=1e-12)
    assert (obj["mpsnr_e_min"], obj["mpsnr_e_max"], obj["mpsnr_n_exposures"]) == (
        want.e_min, want.e_max, want.n_exposures
    )  # fmt: skip
    assert obj["pu21_psnr"] == pytest.approx(pu21_psnr(test, ref), abs=1e-12)
    assert obj["inputs"]["test"] == str(tp) and obj["inputs"]["scored_in"] == "bt709"
    assert obj["inputs"]["test_primaries"].startswith("bt709 (assumed")
    assert obj["inputs"]["protocol"] == "v1" and obj["inputs"]["ppd"] == 30.0


def test_identical_images_encode_infinity_as_a_string(cli, pair) -> None:
    _, rp, _, _ = pair
    rc, out, _ = cli("score", rp, rp, "--metric", "mpsnr", "pu21_psnr", "ssim", "--json")
    obj = _strict_json(out)  # no bare Infinity: strict JSON parsers accept it
    assert rc == 0
    assert obj["mpsnr"] == "inf" and obj["pu21_psnr"] == "inf" and float(obj["mpsnr"]) == math.inf
    assert obj["ssim"] == 1.0


@pytest.fixture
def fake_hdrvdp2(monkeypatch):
    """Stand-in for the hdrvdp2 entry (keeps this test fast and independent of the port): a
    fixed Q, P_det and C_max, to check how the command reports them."""

    def compute(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict]:
        return 87.5, {"P_det": 0.25, "C_max": 3.5, "implementation_config": "fake"}

    orig = get_metric("hdrvdp2")
    register_metric(
        Metric(**{**orig.__dict__, "compute": compute}),
        replace=True,  # same metadata, fake numbers
    )
    yield
    register_metric(orig, replace=True)


def test_json_has_hdrvdp2_detection_numbers(cli, pair, fake_hdrvdp2) -> None:
    tp, rp, _, _ = pair
    rc, out, _ = cli("score", tp, rp, "--json", "--ppd", "60")
    obj = _strict_json(out)
    assert rc == 0
    # without --metric: every registered metric except the opt-in ones (cvvdp)
    assert [k for k in obj if k in {m.name for m in list_metrics()}] == default_metric_names()
    assert "cvvdp" not in obj
    assert (obj["hdrvdp2"], obj["hdrvdp2_P_det"], obj["hdrvdp2_C_max"]) == (87.5, 0.25, 3.5)
    assert obj["config"]["hdrvdp2"] == "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=60 | protocol v1"


def test_real_hdrvdp2_through_the_command(cli, tmp_path: Path, rng: np.random.Generator) -> None:
    from bench.metrics.hdrvdp.v2 import hdrvdp2

    ref = _hdr(rng, 32, 32)
    test = (ref * 1.3).astype(np.float32)
    np.save(tmp_path / "r.npy", ref)
    np.save(tmp_path / "t.npy", test)
    rc, out, _ = cli("score", tmp_path / "t.npy", tmp_path / "r.npy", "--metric", "hdrvdp2", "--json")
    obj = _strict_json(out)
    want = hdrvdp2(test.astype(np.float64), ref.astype(np.float64), ppd=30.0, return_maps=False)
    assert rc == 0
    assert obj["hdrvdp2"] == pytest.approx(want.Q, abs=1e-4)
    assert obj["hdrvdp2_P_det"] == pytest.approx(want.P_det, abs=1e-6)
    assert obj["hdrvdp2_C_max"] == pytest.approx(want.C_max, rel=1e-4)


def test_table_output(cli, pair) -> None:
    tp, rp, test, ref = pair
    rc, out, _ = cli("score", tp, rp, "--metric", "mpsnr", "--metric", "pu21_ssim")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"test: {tp}")
    row = next(line for line in lines if line.startswith("mpsnr "))
    assert f"{mpsnr_details(test, ref).value:.6g}" in row and "dB" in row and "e_min" in row
    assert any(line.startswith("pu21_ssim ") for line in lines)
    assert get_metric("mpsnr").config() in out


def test_declared_bt2020_exr_equals_npy_with_primaries_flag(
    cli, tmp_path: Path, rng: np.random.Generator
) -> None:
    ref = _hdr(rng)
    test = (ref * rng.uniform(0.9, 1.1, ref.shape)).astype(np.float32)
    write_exr(tmp_path / "t.exr", test, primaries="bt2020")
    write_exr(tmp_path / "r.exr", ref, primaries="bt2020")
    np.save(tmp_path / "t.npy", test)
    np.save(tmp_path / "r.npy", ref)
    args = ("--metric", "mpsnr", "ssim", "--json")
    # the file's declaration wins over --primaries
    exr = _strict_json(cli("score", tmp_path / "t.exr", tmp_path / "r.exr", *args, "--primaries", "bt709")[1])
    npy = _strict_json(
        cli("score", tmp_path / "t.npy", tmp_path / "r.npy", *args, "--primaries", "bt2020")[1]
    )
    as709 = _strict_json(
        cli("score", tmp_path / "t.npy", tmp_path / "r.npy", *args, "--primaries", "bt709")[1]
    )
    assert exr["inputs"]["test_primaries"] == "bt2020 (declared by the file)"
    assert exr["inputs"]["scored_in"] == npy["inputs"]["scored_in"] == "bt2020"
    assert exr["ssim"] == pytest.approx(npy["ssim"], abs=1e-6)
    assert exr["mpsnr"] == pytest.approx(npy["mpsnr"], abs=1e-4)
    # reading the same numbers as BT.709 is a different image: the flag matters for .npy
    assert abs(as709["ssim"] - npy["ssim"]) > 1e-5


def test_mixed_primaries_are_scored_in_bt2020(cli, tmp_path: Path, rng: np.random.Generator) -> None:
    ref2020 = _hdr(rng)
    write_exr(tmp_path / "r.exr", ref2020, primaries="bt2020")
    m = cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES["ITU-R BT.2020"], cs.RGB_COLOURSPACES["ITU-R BT.709"])
    same_in_709 = np.maximum(ref2020.astype(np.float64) @ m.T, 0.0)
    np.save(tmp_path / "t.npy", same_in_709)
    obj = _strict_json(cli("score", tmp_path / "t.npy", tmp_path / "r.exr", "--metric", "ssim", "--json")[1])
    assert obj["inputs"]["scored_in"] == "bt2020"
    assert obj["inputs"]["ref_primaries"] == "bt2020 (declared by the file)"
    assert obj["ssim"] < 1.0  # out-of-gamut colours were clipped in the BT.709 copy
    assert obj["ssim"] > 0.95


def _folder(root: Path, images: dict[str, np.ndarray], ext: str = ".npy") -> Path:
    root.mkdir()
    for stem, img in images.items():
        if ext == ".npy":
            np.save(root / f"{stem}.npy", img)
        else:
            write_exr(root / f"{stem}{ext}", img)
    return root


def test_folder_mode_writes_csv_and_metadata(cli, tmp_path: Path, rng: np.random.Generator) -> None:
    refs = {s: _hdr(rng, 24, 32) for s in ("b", "a", "c")}
    tests = {s: (r * (1.05 + 0.05 * i)).astype(np.float32) for i, (s, r) in enumerate(refs.items())}
    tests["c"] = refs["c"]  # identical: infinite PSNR in the CSV
    td, rd = _folder(tmp_path / "pred", tests, ".exr"), _folder(tmp_path / "ref", refs)
    out = tmp_path / "res" / "scores.csv"
    rc, stdout, err = cli(
        "score", "--test-dir", td, "--ref-dir", rd, "--out", out, "--metric", "mpsnr", "pu21_psnr"
    )
    assert rc == 0, err
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["image"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["test_file"] == str(td / "a.exr") and rows[0]["ref_file"] == str(rd / "a.npy")
    for r in rows:
        want = mpsnr_details(tests[r["image"]], refs[r["image"]]).value
        assert float(r["mpsnr"]) == pytest.approx(want, abs=1e-9)
        assert int(r["mpsnr_n_exposures"]) >= 1
    assert rows[2]["mpsnr"] == rows[2]["pu21_psnr"] == "inf"
    meta = json.loads(out.with_name("scores.csv.meta.json").read_text())
    assert meta["n_images"] == 3 and meta["protocol_version"] == "v1"
    assert meta["metric_config"]["mpsnr"] == get_metric("mpsnr").config()
    assert "mean of 3" in stdout
    assert "score" in err  # tqdm's progress bar on stderr
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_folder_mode_missing_counterpart_is_an_error(cli, tmp_path: Path, rng: np.random.Generator) -> None:
    refs = {s: _hdr(rng, 16, 16) for s in ("a", "b", "c")}
    td = _folder(tmp_path / "pred", {"a": refs["a"], "c": refs["c"], "zz": refs["a"]})
    rd = _folder(tmp_path / "ref", refs)
    out = tmp_path / "scores.csv"
    rc, _, err = cli("score", "--test-dir", td, "--ref-dir", rd, "--out", out, "--metric", "mpsnr")
    assert rc == 1
    assert "1 test image(s) without a reference" in err and "zz.npy" in err
    assert "1 reference image(s) without a test image" in err and "b.npy" in err
    assert not out.exists()


def test_folder_mode_duplicate_stems_and_ignored_files(cli, tmp_path: Path, rng: np.random.Generator) -> None:
    img = _hdr(rng, 16, 16)
    td = _folder(tmp_path / "pred", {"a": img})
    rd = _folder(tmp_path / "ref", {"a": img})
    (td / "notes.txt").write_text("not an image")
    rc, _, err = cli("score", "--test-dir", td, "--ref-dir", rd, "--metric", "mpsnr", "--json")
    assert rc == 0 and "1 file(s) are not .exr/.hdr/.pfm/.npy" in err and "notes.txt" in err
    write_exr(td / "a.exr", img)
    rc, _, err = cli("score", "--test-dir", td, "--ref-dir", rd, "--metric", "mpsnr")
    assert rc == 1 and "two images named 'a'" in err


def test_folder_mode_stops_at_a_bad_image_without_partial_output(
    cli, tmp_path: Path, rng: np.random.Generator
) -> None:
    img = _hdr(rng, 16, 16)
    td = _folder(tmp_path / "pred", {"a": img, "b": img / 1000.0})
    rd = _folder(tmp_path / "ref", {"a": img, "b": img})
    out = tmp_path / "scores.csv"
    rc, _, err = cli("score", "--test-dir", td, "--ref-dir", rd, "--out", out, "--metric", "mpsnr")
    assert rc == 1 and f"{td / 'b.npy'}: test image: values lie in" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda r: r / r.max(), "test.npy: test image: values lie in .* looks like normalized"),
        (
            lambda r: r[:20],
            r"test.npy: test image has shape \(20, 48, 3\) but the reference image \(.*ref.npy\)",
        ),
        (lambda r: np.where(r > 500, np.nan, r), "test.npy: .* non-finite values"),
        (lambda r: r - 1.0, "test.npy: test image has .* negative values"),
    ],
    ids=["normalized", "shape", "nan", "negative"],
)
def test_bad_input_files(cli, pair, make, match: str) -> None:
    tp, rp, test, _ = pair
    np.save(tp, make(test))
    rc, out, err = cli("score", tp, rp, "--metric", "mpsnr", "--json")
    assert rc == 1 and out == ""
    assert re.search(match, err), err


def test_argument_errors(cli, pair, tmp_path: Path) -> None:
    tp, rp, _, _ = pair
    assert "unknown metric 'psnr'" in cli("score", tp, rp, "--metric", "psnr")[2]
    assert "not both" in cli("score", tp, rp, "--test-dir", tmp_path, "--ref-dir", tmp_path)[2]
    assert "needs both --test-dir and --ref-dir" in cli("score", "--test-dir", tmp_path)[2]
    assert "--out is for folder mode" in cli("score", tp, rp, "--out", tmp_path / "x.csv")[2]
    assert "--ppd must be a positive" in cli("score", tp, rp, "--ppd", "-3")[2]
    assert "no such file" in cli("score", tmp_path / "nope.exr", rp, "--metric", "mpsnr")[2]


def test_metrics_listing(cli) -> None:
    rc, out, _ = cli("metrics", "--json")
    items = _strict_json(out)
    assert rc == 0
    assert [i["name"] for i in items] == [m.name for m in list_metrics()]
    by_name = {i["name"]: i for i in items}
    assert by_name["mpsnr"]["higher_is_better"] is True and by_name["mpsnr"]["unit"] == "dB"
    assert by_name["mpsnr"]["range"] == [0.0, "inf"]
    assert by_name["hdrvdp2"]["config"] == "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=30 | protocol v1"
    rc, out, _ = cli("metrics")
    assert rc == 0 and all(m.name in out for m in list_metrics()) and "reference:" in out
