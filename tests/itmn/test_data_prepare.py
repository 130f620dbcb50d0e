"""itmn data prepare: resampling, geometry, scaling, the negative policy, the output layout and
manifest, incremental runs, and agreement with the reference pairs of reference/metrics-real
(made by the data curator with an area resize; see its README)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from itmn import colour, hdrio, tmo
from itmn.data import prepare
from itmn.data.prepare import PrepareParams
from itmn.errors import ImageError, ItmnError

SMALL = PrepareParams(size=16, protocol="v1")  # the v1 tests; protocol v2: tests/itmn/test_data_protocol_v2.py
QUIET = {"log": lambda msg: None, "progress": False}


def field(rng: np.random.Generator, h: int, w: int, peak: float = 200.0) -> np.ndarray:
    """A positive HDR image: smooth log-normal field with one bright spot."""
    from scipy.ndimage import gaussian_filter

    base = gaussian_filter(rng.normal(size=(h, w, 3)), (max(h, w) / 8, max(h, w) / 8, 0))
    img = np.exp(3 * (base - base.mean()) / (base.std() + 1e-9))
    img[h // 3, w // 2] = peak
    return img.astype(np.float32)


def make_folder(root: Path, n: int = 5, shape: tuple[int, int] = (24, 40), seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        hdrio.write_exr(root / f"img{i}.exr", field(rng, *shape))
    return root


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- resampling
def test_area_weights_integer_factor_is_the_block_mean(rng: np.random.Generator) -> None:
    img = rng.uniform(0, 100, (12, 18, 3))
    out = prepare.resample(img, 4, 6, "area")
    np.testing.assert_allclose(out, img.reshape(4, 3, 6, 3, 3).mean(axis=(1, 3)), rtol=1e-12)


def test_area_weights_fractional_by_hand() -> None:
    # 3 -> 2: output 0 covers [0, 1.5): a + b/2 over 1.5; output 1 covers [1.5, 3): b/2 + c
    np.testing.assert_allclose(prepare.area_weights(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    w = prepare.area_weights(874, 695)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    assert (w >= 0).all()


def test_area_resize_preserves_the_mean(rng: np.random.Generator) -> None:
    img = rng.uniform(0, 1000, (37, 53, 3))
    out = prepare.resample(img, 16, 23, "area")
    # each input pixel contributes exactly its area: the mean is kept when sizes divide... and
    # in general the column/row weights sum to n_out/n_in per input pixel
    wh, ww = prepare.area_weights(37, 16), prepare.area_weights(53, 23)
    np.testing.assert_allclose(wh.sum(axis=0), 16 / 37, rtol=1e-12)
    np.testing.assert_allclose(ww.sum(axis=0), 23 / 53, rtol=1e-12)
    assert out.mean() == pytest.approx(img.mean(), rel=1e-12)


def test_linear_weights_by_hand() -> None:
    np.testing.assert_allclose(prepare.linear_weights(2, 4), [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])


@pytest.mark.parametrize(
    ("shape", "resized", "offset", "method"),
    [
        ((874, 644), [695, 512], [91, 0], "area"),  # portrait (Desk)
        ((860, 1262), [512, 751], [0, 119], "area"),  # landscape (GoldenGate)
        ((512, 1024), [512, 1024], [0, 256], "none"),  # 2:1 panorama at 1k: centre crop only
        ((256, 512), [512, 1024], [0, 256], "bilinear-upsample"),  # small panorama
    ],
)
def test_fit_geometry(shape: tuple[int, int], resized: list[int], offset: list[int], method: str) -> None:
    img = np.zeros((*shape, 3))
    out, rec = prepare.fit_geometry(img, 512)
    assert out.shape == (512, 512, 3)
    assert rec["resized_shape"] == resized and rec["crop_offset"] == offset and rec["resize"] == method
    assert rec["upsampled"] == (method == "bilinear-upsample")


def test_fit_geometry_crop_is_centred() -> None:
    img = np.zeros((10, 30, 3))
    img[:, 10:20] = 1.0  # the middle third
    out, _ = prepare.fit_geometry(img, 10)
    assert (out == 1.0).all()


def test_small_images_can_be_skipped() -> None:
    with pytest.raises(prepare.SkipImage, match="short side 256 px < 512 px"):
        prepare.fit_geometry(np.zeros((256, 512, 3)), 512, "skip")


# --------------------------------------------------------------------------- scaling and encoding
def test_to_display_scaling_clipping_and_bt2020(rng: np.random.Generator) -> None:
    img = rng.lognormal(0, 2, (32, 32, 3))
    img[0, 0] = 0.0
    out, stats = prepare.to_display(img, PrepareParams())
    lum = 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]
    factor = 1000.0 / np.percentile(lum, 99.9)
    assert stats["scale_factor"] == pytest.approx(factor, rel=1e-12)
    x709 = np.clip(img * factor, 0.005, 1000.0)
    np.testing.assert_allclose(out, np.clip(x709 @ colour.M_709_TO_2020.T, 0.005, 1000), rtol=1e-6)
    assert out.dtype == np.float32 and out.min() >= 0.005 and out.max() <= 1000.0
    assert stats["clip_low_fraction"] == pytest.approx(np.mean(img * factor < 0.005))
    assert stats["clip_high_fraction"] == pytest.approx(np.mean(img * factor > 1000))
    assert stats["clip_bt2020_fraction"] == 0.0  # non-negative rows summing to 1


def test_black_image_cannot_be_scaled() -> None:
    with pytest.raises(ImageError, match=r"99.9th percentile of luminance is 0"):
        prepare.to_display(np.zeros((8, 8, 3)), PrepareParams(), "black.exr")


def test_pq_codes_published_values() -> None:
    codes = prepare.pq_codes(np.array([[[100.0, 1000.0, 0.0]], [[10000.0, 10000.0, 10000.0]]]))
    assert codes.dtype == np.uint16 and codes.tolist() == [[[520, 769, 0]], [[1023, 1023, 1023]]]


# --------------------------------------------------------------------------- negatives
def test_small_stored_negatives_are_clamped_and_counted(tmp_path: Path, rng: np.random.Generator) -> None:
    img = field(rng, 20, 20)
    img[0, :5, 2] = -1e-3
    p = hdrio.write_exr(tmp_path / "n.exr", img)
    clean, rec = prepare.read_source(p, PrepareParams(), sanitize=False)
    assert rec["negatives_clamped"] == 5 and rec["negatives_from_gamut"] == 0
    assert rec["negatives_min"] == pytest.approx(-1e-3) and clean.min() == 0.0


def test_large_stored_negatives_are_an_error(tmp_path: Path, rng: np.random.Generator) -> None:
    img = field(rng, 20, 20)
    img[3, 3, 0] = -50.0
    p = hdrio.write_exr(tmp_path / "neg.exr", img)
    with pytest.raises(
        ImageError, match=r"neg.exr: 1 negative values down to -50, i.e. .* x the 99.9th-percentile"
    ) as info:
        prepare.read_source(p, PrepareParams(), sanitize=False)
    assert "within 0.01 x that percentile" in str(info.value)


def test_gamut_conversion_negatives_are_clamped_and_counted(tmp_path: Path) -> None:
    img = np.full((4, 4, 3), 0.5, np.float32)
    img[0, 0] = [0.0, 1.0, 0.0]  # BT.2020 pure green is outside BT.709
    p = hdrio.write_exr(tmp_path / "wide.exr", img, primaries="bt2020")
    clean, rec = prepare.read_source(p, PrepareParams(), sanitize=False)
    assert rec["negatives_from_gamut"] == 2 and rec["negatives_clamped"] == 0 and rec["primaries_converted"]
    assert clean.min() == 0.0


# --------------------------------------------------------------------------- reference pairs
REF_SOURCES = {
    "oexr_desk": "data/mirror/openexr-images/e38ffb0790f62f05a6f083a6fa4cac150b3b7452/ScanLines/Desk.exr",
    "oexr_cannon": "data/mirror/openexr-images/e38ffb0790f62f05a6f083a6fa4cac150b3b7452/ScanLines/Cannon.exr",
    "oexr_ocean": "data/extra/oexr_ocean.exr",
    "ph_courtyard": "data/extra/ph_courtyard.exr",
    "ph_moonless_golf": "data/extra/ph_moonless_golf.exr",
    "pmn_hall": "data/extra/pmn_hall.exr",
}


@pytest.mark.calibration
@pytest.mark.parametrize("name", list(REF_SOURCES))
def test_geometry_and_scaling_reproduce_the_reference_pairs(shared: Path, name: str) -> None:
    """reference/metrics-real/cases/<name>__ref.npy: area resize to short side 256, centre crop,
    P99.9 -> 1000 cd/m^2, clip (BT.709, float32). Same steps here at size 256."""
    ref = np.load(shared / "reference/metrics-real/cases" / f"{name}__ref.npy")
    img, _ = prepare.read_source(shared / REF_SOURCES[name], PrepareParams(), sanitize=False)
    geo, _ = prepare.fit_geometry(img, 256)
    hdr2020, _ = prepare.to_display(geo, PrepareParams(size=256))
    ours709 = colour.bt2020_to_bt709(hdr2020.astype(np.float64))
    # float32 storage of both: ~1e-7 relative to the pixel's largest channel (<= 1000 cd/m^2)
    np.testing.assert_allclose(ours709, ref, rtol=1e-5, atol=5e-4)


# --------------------------------------------------------------------------- a folder end to end
def test_prepare_folder_layout_and_manifest(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src")
    out = tmp_path / "out"
    rep = prepare.prepare_dataset(src, out=out, cache=tmp_path / "cache", params=SMALL, **QUIET)
    assert rep.prepared == [f"img{i}" for i in range(5)] and not rep.failed
    splits = json.loads((out / "splits.json").read_text())
    assert splits == {"train": ["img1", "img2", "img3"], "test": ["img0", "img4"]}
    m = json.loads((out / "manifest.json").read_text())
    assert m["protocol"] == "v1" and m["dataset"].startswith("src-") and m["n_images"] == 5
    assert m["tmos"] == list(tmo.TMOS) and m["test_tmo"] == "reinhard_global"
    assert m["split_rule"].startswith("sorted names") and len(m["dataset_sha256"]) == 64
    e = m["images"][0]
    for key in ("source", "source_sha256", "scale_factor", "clip_low_fraction", "clip_high_fraction",
                "negatives_clamped", "nonfinite_zeroed", "split", "geometry", "tmos", "outputs"):  # fmt: skip
        assert key in e, key
    assert e["geometry"]["resized_shape"] == [16, 27] and e["geometry"]["crop_offset"] == [0, 5]
    for i in range(5):
        hdr, meta = hdrio.read_hdr(out / "hdr" / f"img{i}.exr", out_primaries="bt2020")
        assert hdr.shape == (16, 16, 3) and hdr.min() >= 0.005 and hdr.max() <= 1000.0
        assert not meta["primaries_converted"] and meta["chromaticities"][0] == pytest.approx(0.708)
        pq = np.load(out / "pq" / f"img{i}.npy")
        assert pq.dtype == np.uint16 and pq.max() <= 1023
        # every output can be rebuilt from the stored target, bit for bit
        np.testing.assert_array_equal(pq, np.rint(colour.pq_encode(hdr.astype(np.float64)) * 1023))
        for t in tmo.TMOS:
            ldr = hdrio.read_ldr(out / "ldr" / t / f"img{i}.png")
            v709 = np.maximum(colour.bt2020_to_bt709(hdr.astype(np.float64)), 0)
            np.testing.assert_array_equal(ldr, tmo.to_ldr(tmo.TMOS[t](v709)))
    assert not list(out.rglob("*.tmp*")) and not list(out.rglob(".*"))


def test_second_run_does_nothing_and_changes_are_picked_up(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", n=3)
    out = tmp_path / "out"
    kw = {"out": out, "cache": tmp_path / "cache", **QUIET}
    prepare.prepare_dataset(src, params=SMALL, **kw)
    before = mtimes(out)
    msgs: list[str] = []
    rep = prepare.prepare_dataset(
        src, params=SMALL, out=out, cache=tmp_path / "cache", progress=False, log=msgs.append
    )
    assert rep.prepared == [] and rep.up_to_date == ["img0", "img1", "img2"] and not rep.wrote_manifest
    assert mtimes(out) == before and "nothing to do, nothing written" in msgs[-1]
    # a changed source is redone, the others are not
    hdrio.write_exr(src / "img1.exr", field(np.random.default_rng(99), 24, 40))
    assert prepare.prepare_dataset(src, params=SMALL, **kw).prepared == ["img1"]
    # a deleted or damaged output is redone
    (out / "ldr" / "drago" / "img2.png").unlink()
    (out / "pq" / "img0.npy").write_bytes(b"junk")
    assert prepare.prepare_dataset(src, params=SMALL, **kw).prepared == ["img0", "img2"]
    # other parameters redo everything; force redoes everything
    assert len(prepare.prepare_dataset(src, params=PrepareParams(size=12, protocol="v1"), **kw).prepared) == 3
    assert len(prepare.prepare_dataset(src, params=PrepareParams(size=12, protocol="v1"), force=True, **kw).prepared) == 3


def test_removed_source_loses_its_outputs(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", n=3)
    out = tmp_path / "out"
    prepare.prepare_dataset(src, out=out, params=SMALL, **QUIET)
    (src / "img2.exr").unlink()
    rep = prepare.prepare_dataset(src, out=out, params=SMALL, **QUIET)
    assert "hdr/img2.exr" in rep.removed and not list(out.rglob("img2.*"))
    assert [e["name"] for e in json.loads((out / "manifest.json").read_text())["images"]] == ["img0", "img1"]


def test_preparation_is_deterministic(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", n=2)
    shas = []
    for k in range(2):
        prepare.prepare_dataset(src, out=tmp_path / f"out{k}", params=SMALL, **QUIET)
        m = json.loads((tmp_path / f"out{k}" / "manifest.json").read_text())
        shas.append(([e["outputs"] for e in m["images"]], m["dataset_sha256"]))
    assert shas[0] == shas[1]


def test_interrupted_run_keeps_finished_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make_folder(tmp_path / "src", n=3)
    out = tmp_path / "out"
    real = prepare.prepare_array
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(prepare, "prepare_array", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        prepare.prepare_dataset(src, out=out, params=SMALL, **QUIET)
    assert [e["name"] for e in json.loads((out / "manifest.json").read_text())["images"]] == ["img0"]
    monkeypatch.setattr(prepare, "prepare_array", real)
    rep = prepare.prepare_dataset(src, out=out, params=SMALL, **QUIET)
    assert rep.up_to_date == ["img0"] and rep.prepared == ["img1", "img2"]


def test_small_images_upsampled_or_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_folder(src, n=2, shape=(24, 40))
    hdrio.write_exr(src / "tiny.exr", field(np.random.default_rng(5), 8, 16))
    rep = prepare.prepare_dataset(src, out=tmp_path / "up", params=SMALL, **QUIET)
    m = json.loads((tmp_path / "up" / "manifest.json").read_text())
    tiny = next(e for e in m["images"] if e["name"] == "tiny")
    assert tiny["geometry"]["upsampled"] and tiny["geometry"]["resize"] == "bilinear-upsample"
    assert tiny["geometry"]["scale"] == 2.0 and "tiny" in rep.prepared
    rep = prepare.prepare_dataset(
        src, out=tmp_path / "skip", params=PrepareParams(size=16, small="skip", protocol="v1"), **QUIET
    )
    m = json.loads((tmp_path / "skip" / "manifest.json").read_text())
    assert [s["name"] for s in m["skipped"]] == ["tiny"] and "short side 8 px < 16 px" in m["skipped"][0][
        "reason"
    ]
    assert not list((tmp_path / "skip").rglob("tiny.*"))
    splits = json.loads((tmp_path / "skip" / "splits.json").read_text())
    assert "tiny" not in splits["train"] + splits["test"]


def test_splits_json_in_the_folder_is_used(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", n=3)
    (src / "splits.json").write_text(json.dumps({"train": ["img0"], "test": ["img1", "img2"]}))
    prepare.prepare_dataset(src, out=tmp_path / "out", params=SMALL, **QUIET)
    assert json.loads((tmp_path / "out" / "splits.json").read_text()) == {
        "train": ["img0"],
        "test": ["img1", "img2"],
    }


def test_params_validation() -> None:
    with pytest.raises(ItmnError, match="unknown tone mapping operators"):
        PrepareParams(tmos=("reinhard_global", "durand"))
    with pytest.raises(ItmnError, match="must include 'reinhard_global'"):
        PrepareParams(tmos=("drago",))
    assert PrepareParams().sha256() != PrepareParams(size=256).sha256()


def test_cli_prepare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench import cli

    src = make_folder(tmp_path / "src", n=1, shape=(512, 530))
    out = tmp_path / "out"
    args = ["data", "prepare", "--dataset", str(src), "--out", str(out), "--protocol", "v1"]
    assert cli.itmn_main(args) == 0
    assert "1 prepared" in capsys.readouterr().err
    assert hdrio.read_hdr(out / "hdr" / "img0.exr")[0].shape == (512, 512, 3)
    assert cli.itmn_main(args) == 0
    assert "nothing to do" in capsys.readouterr().err
    # the same folder under protocol v2 is refused (never overwritten); its own folder works:
    # the single image is a training image there, kept whole (530 x 512)
    assert cli.itmn_main([*args[:-1], "v2"]) == 1
    assert "holds data prepared under protocol v1, not v2" in capsys.readouterr().err
    assert cli.itmn_main([*args[:4], "--out", str(tmp_path / "out2")]) == 0
    assert hdrio.read_hdr(tmp_path / "out2" / "hdr" / "img0.exr")[0].shape == (512, 530, 3)


# --------------------------------------------------------------------------- real photographs
def test_prepare_a_real_photograph(tmp_path: Path, mirror: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "desk.exr").symlink_to(
        mirror / "openexr-images/e38ffb0790f62f05a6f083a6fa4cac150b3b7452/ScanLines/Desk.exr"
    )
    prepare.prepare_dataset(src, out=tmp_path / "out", protocol="v1", **QUIET)
    e = json.loads((tmp_path / "out" / "manifest.json").read_text())["images"][0]
    assert e["negatives_clamped"] == 10794 and e["negatives_min"] == pytest.approx(-0.0119171, rel=1e-5)
    assert e["geometry"]["resized_shape"] == [695, 512] and e["split"] == "train"  # a single image: train
    assert e["scale_factor"] * e["p999_luminance_source"] == pytest.approx(1000.0, rel=1e-12)
    hdr, _ = hdrio.read_hdr(tmp_path / "out/hdr/desk.exr")  # back to BT.709 for the luminance
    lum = colour.luminance(hdr.astype(np.float64))
    # the per-channel clip at 1000 cd/m^2 darkens the saturated stained glass: the stored P99.9 is
    # below 1000 (887 here), and 0.12% of the values were clipped high
    assert 800 < np.percentile(lum, 99.9) <= 1000 and e["clip_high_fraction"] == pytest.approx(0.0012, abs=2e-4)
    assert lum.min() >= 0.005 * 0.99


@pytest.mark.slow
def test_acceptance_default_dataset(tmp_path: Path, shared: Path) -> None:
    """`itmn data fetch --mirror <shared mirror> && itmn data prepare` -> 19 images; again: nothing."""
    from bench import cli

    cache = str(tmp_path / "cache")
    assert (
        cli.itmn_main(
            ["data", "fetch", "--mirror", str(shared / "data/mirror"), "--cache", cache, "--no-progress"]
        )
        == 0
    )
    assert cli.itmn_main(["data", "prepare", "--cache", cache, "--no-progress"]) == 0
    root = tmp_path / "cache/prepared/v1/default"
    m = json.loads((root / "manifest.json").read_text())
    assert m["n_images"] == 19 and not m["failed"] and (root / "licences/openexr-images-COPYING").is_file()
    assert len(list((root / "ldr/reinhard_global").glob("*.png"))) == 19
    before = mtimes(root)
    rep = prepare.prepare_dataset("default", cache=cache, **QUIET)
    assert len(rep.up_to_date) == 19 and not rep.wrote_manifest and mtimes(root) == before


@pytest.mark.slow
def test_acceptance_extra_folder(tmp_path: Path, shared: Path) -> None:
    rep = prepare.prepare_dataset(shared / "data/extra", out=tmp_path / "extra", **QUIET)
    assert len(rep.prepared) == 9
    m = json.loads((tmp_path / "extra/manifest.json").read_text())
    assert sum(e["geometry"]["upsampled"] for e in m["images"]) == 4  # the 512 x 256 pmn_* panoramas
    assert (
        len(prepare.prepare_dataset(shared / "data/extra", out=tmp_path / "extra", **QUIET).up_to_date) == 9
    )
