"""``itmn expand`` and ``itmn methods``, run in-process on tiny images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baselines.registry import get_method
from bench.cli import itmn_main
from itmn import colour
from itmn.hdrio import read_hdr, read_ldr, write_png


def itmn(argv: list[str]) -> int:
    """The ``itmn`` command in-process."""
    return itmn_main(argv)


def ldr(rng: np.random.Generator, h: int = 12, w: int = 16) -> np.ndarray:
    img = np.clip(0.5 + 0.3 * rng.standard_normal((h, w, 3)), 0, 1)
    img[2:4, 2:4] = 1.0
    return img.astype(np.float32)


@pytest.fixture
def pngs(tmp_path: Path, rng: np.random.Generator) -> Path:
    d = tmp_path / "in"
    for name in ("b", "a"):
        write_png(d / f"{name}.png", ldr(rng))
    (d / "notes.txt").write_text("not an image")
    return d


def exr_header(path: Path) -> dict:
    import OpenEXR

    return dict(OpenEXR.File(str(path)).header())


def test_single_image(pngs: Path, tmp_path: Path, capsys):
    out = tmp_path / "a.exr"
    assert itmn(["expand", "--method", "ko", "--param", "d_max=1000", str(pngs / "a.png"), str(out)]) == 0
    img, meta = read_hdr(out)  # read_hdr converts the file's BT.2020 to BT.709
    method = get_method("ko", d_max=1000)
    expected = colour.bt2020_to_bt709(method.expand(read_ldr(pngs / "a.png")).astype(np.float64))
    np.testing.assert_allclose(img, expected, rtol=1e-5, atol=1e-4)
    header = exr_header(out)
    assert header["itmn:unit"] == "cd/m^2" and header["itmn:method"] == method.config_string()
    assert header["itmn:source"] == "a.png" and "to the peak" in header["itmn:clipped"]
    np.testing.assert_allclose(
        header["chromaticities"], (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290), atol=1e-6
    )
    assert "ko 2017-variant" in capsys.readouterr().out


def test_single_image_into_an_existing_folder(pngs: Path, tmp_path: Path):
    dest = tmp_path / "out"
    dest.mkdir()
    assert itmn(["expand", "-m", "inverse-gamma", str(pngs / "b.png"), str(dest)]) == 0
    assert (dest / "b.exr").is_file()


def test_folder_mode(pngs: Path, tmp_path: Path):
    dest = tmp_path / "out"
    assert itmn(["expand", "-m", "huo", "-p", "logmean_delta=1e-3", str(pngs), str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["a.exr", "b.exr", "expand-run.json"]
    record = json.loads((dest / "expand-run.json").read_text())
    assert record["status"] == "finished" and record["method_config"].startswith("huo toolbox-2018q1")
    assert [r["input"] for r in record["images"]] == ["a.png", "b.png"] and record["failed"] == []
    assert {"frac_clipped_low", "frac_clipped_high", "scale"} <= set(record["images"][0])
    assert record["git"] and record["versions"]["numpy"]


def _corrupt(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)


def test_bad_input_file_is_named_and_nothing_is_written(tmp_path: Path, capsys):
    bad = tmp_path / "bad.png"
    _corrupt(bad)
    dest = tmp_path / "out"
    dest.mkdir()
    assert itmn(["expand", "-m", "huo", str(bad), str(dest / "bad.exr")]) == 1
    assert "bad.png" in capsys.readouterr().err
    assert list(dest.iterdir()) == []


def test_out_of_range_exr_input_is_named(tmp_path: Path, capsys):
    from itmn.hdrio import write_exr

    src = tmp_path / "hdr.exr"
    write_exr(src, np.full((4, 4, 3), 7.0, np.float32))
    assert itmn(["expand", "-m", "huo", str(src), str(tmp_path / "o.exr")]) == 1
    err = capsys.readouterr().err
    assert "hdr.exr" in err and "[0, 1]" in err and not (tmp_path / "o.exr").exists()


def test_folder_stops_at_a_bad_file_and_records_it(pngs: Path, tmp_path: Path, capsys):
    _corrupt(pngs / "aa.png")  # sorted between a.png and b.png
    dest = tmp_path / "out"
    assert itmn(["expand", "-m", "akyuz", str(pngs), str(dest)]) == 1
    assert "aa.png" in capsys.readouterr().err
    assert sorted(p.name for p in dest.iterdir()) == ["a.exr", "expand-run.json"]  # no partial file
    record = json.loads((dest / "expand-run.json").read_text())
    assert record["status"] == "failed" and record["failed"][0]["input"] == "aa.png"


def test_folder_keep_going(pngs: Path, tmp_path: Path):
    _corrupt(pngs / "aa.png")
    dest = tmp_path / "out"
    assert itmn(["expand", "-m", "akyuz", "--keep-going", str(pngs), str(dest)]) == 1
    assert sorted(p.name for p in dest.iterdir()) == ["a.exr", "b.exr", "expand-run.json"]
    assert json.loads((dest / "expand-run.json").read_text())["status"] == "finished with failures"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-m", "nope"], "unknown method 'nope'"),
        (["-m", "ko", "-p", "sigma=3"], "valid parameters: mode, sigma_s"),
        (["-m", "ko", "-p", "sigma_s"], "expected KEY=VALUE"),
        (["-m", "ko", "-p", "sigma_s=1", "-p", "sigma_s=2"], "given twice"),
        (["-m", "huo", "--checkpoint", "x"], "has no parameter 'checkpoint'"),
        (["-m", "itmn"], "needs parameter 'checkpoint'"),
        (["-m", "itmn", "--checkpoint", "/no/such/run"], "no such file or folder"),
    ],
)
def test_usage_errors(pngs: Path, tmp_path: Path, capsys, argv, message):
    assert itmn(["expand", *argv, str(pngs / "a.png"), str(tmp_path / "o.exr")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.exr").exists()


def test_output_must_be_exr_or_folder(pngs: Path, tmp_path: Path, capsys):
    assert itmn(["expand", "-m", "huo", str(pngs / "a.png"), str(tmp_path / "o.png")]) == 1
    assert ".exr" in capsys.readouterr().err


def test_methods_listing(capsys):
    assert itmn(["methods"]) == 0
    out = capsys.readouterr().out
    for name in (
        "huo",
        "ko",
        "ko-2019",
        "akyuz",
        "inverse-gamma",
        "itmn",
        "itmn-nodmse",
        "itmn-noadvreg",
        "drtm",
    ):
        assert f"\n{name} " in out
    assert "checkpoint=REQUIRED" in out
    assert itmn(["methods", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ko = next(r for r in rows if r["name"] == "ko")
    assert ko["learned"] is False and ko["version"] == "2017-variant"
    assert {"name": "sigma_r", "default": "25/255"}.items() <= next(
        p for p in ko["params"] if p["name"] == "sigma_r"
    ).items()
