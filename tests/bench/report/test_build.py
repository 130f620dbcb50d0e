"""The whole report of a small synthetic results folder (bench.report.build): what it holds,
self-containedness, the size budget, degraded modes, caching, consistency warnings, atomicity."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from bench.report import build_report, encoding
from bench.report.build import REFERENCE
from bench.report.measure import BUDGET_BYTES, worst_case_bytes
from bench.report.synthetic import Fixture, write_fixture
from itmn.errors import ConfigError
from itmn.hdrio import read_hdr, write_exr


def read_js_payload(path: Path) -> tuple[str, dict]:
    """(function called, JSON argument) of a data/*.js file ``itmnReport.f(<n>, {...});``."""
    text = path.read_text()
    m = re.fullmatch(r"itmnReport\.(\w+)\((?:\d+, )?(.*)\);\n", text, re.DOTALL)
    assert m, text[:200]
    return m.group(1), json.loads(m.group(2))


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return write_fixture(tmp_path_factory.mktemp("fx"), n_images=3, n_methods=2, size=64)


@pytest.fixture(scope="module")
def report(fixture: Fixture, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("rep") / "report"
    summary = build_report(fixture.results, out, map_cache=tmp_path_factory.mktemp("maps"))
    return out, summary


def test_report_holds_tables_images_curves_and_metadata(
    fixture: Fixture, report: tuple[Path, object]
) -> None:
    out, summary = report
    assert (
        summary.notes == []
        and summary.n_images == 3
        and summary.n_tiles == 3 * 3
        and summary.maps_computed == 6
    )
    page = (out / "index.html").read_text()
    for text in ("Table 1: synthetic methods", "hdrvdp2_mean [95% CI]", "Method configuration strings", "method0 synthetic | protocol v1",
                 "hdrvdp2 2.2.2-port | rgb-bt.709 | ppd=30 | protocol v1", "scores.csv: 6 per-image rows"):  # fmt: skip
        assert text in page, text
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["scores.csv", "table1.csv", "table1.md"]
    fn, data = read_js_payload(out / "data" / "report.js")
    assert fn == "init"
    assert [im["name"] for im in data["images"]] == fixture.images
    assert all(
        im["file"] == f"data/img-{i:03d}.js" and (out / im["file"]).is_file()
        for i, im in enumerate(data["images"])
    )
    assert data["images"][0]["methods"] == [REFERENCE, *fixture.methods]
    assert [m["key"] for m in data["methods"]] == fixture.methods and data["methods"][0][
        "label"
    ] == "Method 0"
    assert [c["name"] for c in data["curves"]] == fixture.methods and len(data["curves"][0]["rows"]) == 50
    scores = data["scores"]
    assert scores["primary"] == ["hdrvdp2", "mpsnr", "ssim"]
    assert set(scores["by_image"]["img01"]) == set(fixture.methods)
    assert data["images"][0]["anchor"] == pytest.approx(
        encoding.exposure_anchor(
            encoding.to_display_primaries(
                read_hdr(fixture.dataset / "hdr" / "img00.exr", out_primaries="bt2020")[0]
            )
        )
    )
    assert all((out / im["thumb"]).is_file() for im in data["images"])


def test_embedded_images_are_the_predictions(fixture: Fixture, report: tuple[Path, object]) -> None:
    out, _ = report
    fn, payload = read_js_payload(out / "data" / "img-001.js")
    assert fn == "addImage" and payload["image"] == "img01"
    _, data = read_js_payload(out / "data" / "report.js")
    anchor = data["images"][1]["anchor"]
    for m in fixture.methods:
        t = payload["tiles"][m]
        pred = read_hdr(fixture.work / "predictions" / m / "img01.exr", out_primaries="bt2020")[0]
        pred709 = encoding.to_display_primaries(pred)
        # the encoder is deterministic: the embedded bytes are exactly this prediction's encoding
        expected = encoding.encode_hdr(pred709)
        assert base64.b64decode(t["base"]) == expected.base and t["q"] == expected.quality
        enc = encoding.EncodedHDR(
            base64.b64decode(t["base"]), base64.b64decode(t["exp"]), t["w"], t["h"], t["q"]
        )
        err = encoding.display_errors(pred709, encoding.decode_hdr(enc), anchor)
        assert err.mean() < 4.0, err.mean()  # another image would be tens of codes off
        p = encoding.decode_unit_map(base64.b64decode(t["pmap"]["data"]))
        assert p.shape == (64, 64) and 0.0 <= p.min() and p.max() <= 1.0 and p.std() > 0  # a real map


def test_report_is_self_contained(report: tuple[Path, object]) -> None:
    out, _ = report
    for f in out.rglob("*"):
        if f.suffix in (".html", ".js", ".css"):
            text = f.read_text()
            assert not re.search(r"https?://", text), f"{f} names a network resource"
            assert not re.search(r"\bfetch\(|XMLHttpRequest|import\(|@import", text), f
    page = (out / "index.html").read_text()
    # every referenced file is inside the folder
    for ref in re.findall(r'(?:src|href)="([^"#][^"]*)"', page):
        assert (out / ref).is_file(), ref


def test_size_budget_on_a_scaled_down_fixture_can_fail(tmp_path: Path) -> None:
    # noise defeats every codec: without the byte caps this report would be far above the bound
    fx = write_fixture(tmp_path / "fx", n_images=4, n_methods=3, size=64, content="noise")
    capped = build_report(fx.results, tmp_path / "capped", map_cache=tmp_path / "maps")
    bound = worst_case_bytes(4, 3, 64, overhead=0)
    assert capped.bytes_by_kind["images"] <= bound
    uncapped = build_report(
        fx.results,
        tmp_path / "uncapped",
        map_cache=tmp_path / "maps",
        hdr_bytes_per_pixel=1e9,
        map_bytes_per_pixel=1e9,
    )
    assert uncapped.bytes_by_kind["images"] > 1.5 * bound
    # the same arithmetic at full size: 20 images x 10 methods at 512^2 stay under 50 MB
    assert worst_case_bytes(20, 10, 512) < BUDGET_BYTES


def test_missing_predictions_and_references_degrade_with_notes(fixture: Fixture, tmp_path: Path) -> None:
    s = build_report(
        fixture.results, tmp_path / "r1", work=tmp_path / "nowhere", dataset=str(tmp_path / "nodata")
    )
    assert s.n_tiles == 0
    assert any("No predictions found" in n and "nowhere" in n for n in s.notes)
    assert any("No prepared dataset found" in n for n in s.notes)
    page = (tmp_path / "r1" / "index.html").read_text()
    assert "No predictions found" in page and "Table 1: synthetic methods" in page
    _, data = read_js_payload(tmp_path / "r1" / "data" / "report.js")
    assert [im["name"] for im in data["images"]] == fixture.images and not any(
        im.get("file") for im in data["images"]
    )
    # curves are still found through the recorded run folders
    assert len(data["curves"]) == 2
    s2 = build_report(fixture.results, tmp_path / "r2", images=False)
    assert s2.notes == ["Images were not included (--no-images)."]


def test_a_work_folder_of_another_run_is_named_as_such(fixture: Fixture, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(fixture.work / "predictions", other / "predictions")
    shutil.copytree(fixture.work / "scores", other / "scores")
    s = build_report(fixture.results, tmp_path / "r", work=other, map_cache=tmp_path / "m")
    assert any("holds none of the training runs recorded" in n and "method0-run" in n for n in s.notes)
    assert s.n_tiles == 9  # the images are still shown (they agree with the scores)


def test_references_only_when_predictions_are_missing(fixture: Fixture, tmp_path: Path) -> None:
    s = build_report(fixture.results, tmp_path / "r", work=tmp_path / "nowhere", map_cache=tmp_path / "m")
    assert s.n_tiles == 3  # the references still show
    _, data = read_js_payload(tmp_path / "r" / "data" / "report.js")
    assert data["images"][0]["methods"] == [REFERENCE]


def test_map_cache_and_changed_prediction_warning(tmp_path: Path) -> None:
    fx = write_fixture(tmp_path / "fx", n_images=2, n_methods=2, size=64, seed=5)
    first = build_report(fx.results, tmp_path / "r", map_cache=tmp_path / "maps")
    assert first.maps_computed == 4
    again = build_report(fx.results, tmp_path / "r", map_cache=tmp_path / "maps")
    assert again.maps_computed == 0
    # a prediction rewritten after scoring: its map is recomputed and its tile carries a warning
    p = fx.work / "predictions" / "method0" / "img01.exr"
    write_exr(p, np.clip(read_hdr(p, out_primaries="bt2020")[0] * 1.5, 0.005, 1000), primaries="bt2020")
    third = build_report(fx.results, tmp_path / "r", map_cache=tmp_path / "maps")
    assert third.maps_computed == 1
    _, data = read_js_payload(tmp_path / "r" / "data" / "report.js")
    assert "changed after it was scored" in data["images"][1]["warnings"]["method0"]
    assert data["images"][0]["warnings"] == {}
    # cached scores that disagree with the results folder's scores.csv are flagged too
    cache = fx.work / "scores" / "method1" / "img00.json"
    rec = json.loads(cache.read_text())
    rec["row"]["mpsnr"] += 1.0
    cache.write_text(json.dumps(rec))
    build_report(fx.results, tmp_path / "r", map_cache=tmp_path / "maps")
    _, data = read_js_payload(tmp_path / "r" / "data" / "report.js")
    assert "differ from this results folder's" in data["images"][0]["warnings"]["method1"]


def test_rebuild_replaces_the_folder_and_a_failure_keeps_the_old_one(
    fixture: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    build_report(fixture.results, out, images=False)
    (out / "stale.txt").write_text("x")
    build_report(fixture.results, out, images=False)
    assert not (out / "stale.txt").exists()
    before = sorted(p.name for p in tmp_path.iterdir())

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("bench.report.build._render_index", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_report(fixture.results, out, images=False)
    assert (out / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary folder left behind


def test_not_a_results_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        build_report(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no CSV table and no metadata.json"):
        build_report(tmp_path / "empty")


def test_cli(fixture: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli.bench_cli import main

    assert main(["report", str(fixture.results), "--out", str(tmp_path / "r"), "--no-images"]) == 0
    out = capsys.readouterr().out
    assert (
        "note: Images were not included (--no-images)." in out
        and f"report {tmp_path / 'r' / 'index.html'}" in out
    )
    assert main(["report", str(tmp_path / "missing")]) == 1
    assert "results folder" in capsys.readouterr().err


def test_cli_bytes_per_pixel_caps_the_images(fixture: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--bytes-per-pixel lowers the byte cap of every HDR tile (and a quarter of it for the maps),
    and the cap used is recorded in the report's data."""
    from bench.cli.bench_cli import main

    def image_bytes(d: Path) -> int:
        return sum(p.stat().st_size for p in (d / "data").glob("img-*.js"))

    assert main(["report", str(fixture.results), "--out", str(tmp_path / "full")]) == 0
    assert main(["report", str(fixture.results), "--out", str(tmp_path / "small"), "--bytes-per-pixel", "0.05"]) == 0
    assert image_bytes(tmp_path / "small") < 0.6 * image_bytes(tmp_path / "full")
    assert '"hdr_bytes_per_pixel":0.05' in (tmp_path / "small" / "data" / "report.js").read_text()
    assert main(["report", str(fixture.results), "--out", str(tmp_path / "bad"), "--bytes-per-pixel", "0"]) == 1
    assert "--bytes-per-pixel" in capsys.readouterr().err
