"""Protocol v2 geometry (docs/PROTOCOL.md section 6) and its selection next to v1: the panorama band for
val/test, whole training images with crops from the band, one prepared folder per protocol,
and v1 byte for byte what it was before v2 existed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from itmn import hdrio
from itmn.data import prepare
from itmn.data.dataset import PairDataset, PreparedDataset, crop_row_range
from itmn.data.prepare import PrepareParams
from itmn.errors import ImageError, ItmnError

QUIET = {"log": lambda msg: None, "progress": False}
S = 16  # output size of the small tests: panoramas 32 x 16, test band 32 x 8


def ramp(h: int, w: int) -> np.ndarray:
    """Positive image whose every pixel is distinct (row-major index), so crops can be located."""
    return (1.0 + np.arange(h * w * 3, dtype=np.float64).reshape(h, w, 3)) / 7.0


# --------------------------------------------------------------------------- pure geometry
def test_panorama_eval_is_the_horizon_band_in_native_pixels() -> None:
    img = ramp(S, 2 * S)  # a 2:1 panorama already at the output size: no resampling at all
    out, rec = prepare.fit_geometry_v2(img, S, "upsample", "equirect", "eval")
    np.testing.assert_array_equal(out, img[S // 4 : 3 * S // 4])  # rows 4..11: |latitude| <= 45 degrees
    assert (
        out.shape == (S // 2, 2 * S, 3) and out.shape[0] * out.shape[1] == S * S
    )  # pixels of an S x S photo
    assert rec["crop_offset"] == [S // 4, 0] and rec["resize"] == "none" and rec["role"] == "eval"


def test_panorama_eval_after_area_downsampling() -> None:
    img = ramp(2 * S, 4 * S)  # e.g. a 2k panorama prepared at 1k
    out, rec = prepare.fit_geometry_v2(img, S, "upsample", "equirect", "eval")
    np.testing.assert_allclose(out, prepare.resample(img, S, 2 * S, "area")[S // 4 : 3 * S // 4], rtol=1e-12)
    assert rec["resize"] == "area" and rec["resized_shape"] == [S, 2 * S]


def test_training_images_are_whole_and_panoramas_say_where_crops_come_from() -> None:
    pano, rec = prepare.fit_geometry_v2(ramp(S, 2 * S), S, "upsample", "equirect", "train")
    assert pano.shape == (S, 2 * S, 3) and rec["train_rows"] == [S // 4, 3 * S // 4]
    photo, rec = prepare.fit_geometry_v2(ramp(3 * S, 2 * S), S, "upsample", "perspective", "train")
    np.testing.assert_allclose(photo, prepare.resample(ramp(3 * S, 2 * S), 3 * S // 2, S, "area"), rtol=1e-12)
    assert "train_rows" not in rec and rec["crop_offset"] == [0, 0]


def test_photographs_are_evaluated_as_in_v1() -> None:
    img = ramp(37, 53)
    v2, rec2 = prepare.fit_geometry_v2(img, S, "upsample", "perspective", "eval")
    v1, rec1 = prepare.fit_geometry(img, S)
    np.testing.assert_array_equal(v2, v1)
    assert rec2["crop_offset"] == rec1["crop_offset"] and rec2["resized_shape"] == rec1["resized_shape"]


def test_a_panorama_must_be_2_to_1() -> None:
    with pytest.raises(ImageError, match=r"pano.hdr: declared an equirectangular panorama but is 30 x 16 px"):
        prepare.fit_geometry_v2(ramp(S, 30), S, "upsample", "equirect", "eval", "pano.hdr")


def test_crop_row_range() -> None:
    assert crop_row_range(512, 64, None) == (0, 448)  # v1: anywhere
    assert crop_row_range(512, 64, (128, 384)) == (128, 320)  # v2 cpu profile: inside the band
    assert crop_row_range(512, 256, (128, 384)) == (128, 128)  # exactly the band
    assert crop_row_range(512, 512, (128, 384)) == (0, 0)  # paper profile: the whole height
    assert crop_row_range(512, 320, (128, 384)) == (96, 96)  # taller than the band: centred on it


# --------------------------------------------------------------------------- a folder end to end
@pytest.fixture(scope="module")
def v2_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("v2")
    src = root / "src"
    src.mkdir()
    rng = np.random.default_rng(4)
    for name, (h, w) in {"pano_a": (32, 64), "pano_b": (32, 64), "photo_a": (40, 52), "photo_b": (36, 48),
                         "wide_photo": (20, 40)}.items():  # fmt: skip
        hdrio.write_exr(src / f"{name}.exr", np.exp(rng.normal(size=(h, w, 3))).astype(np.float32))
    split = {"train": ["pano_a", "photo_a", "wide_photo"], "val": ["photo_b"], "test": ["pano_b"]}
    (src / "splits.json").write_text(json.dumps(split))
    (src / "projections.json").write_text(json.dumps({"wide_photo": "perspective"}))  # 2:1, yet a photograph
    out = root / "out"
    prepare.prepare_dataset(src, out=out, params=PrepareParams(size=S), **QUIET)  # folders: v2 by default
    return src, out


def test_v2_folder_layout_and_manifest(v2_folder: tuple[Path, Path]) -> None:
    _, out = v2_folder
    shape = {p.stem: hdrio.read_hdr(p)[0].shape for p in (out / "hdr").glob("*.exr")}
    assert shape == {
        "pano_a": (S, 2 * S, 3),  # train: whole
        "pano_b": (S // 2, 2 * S, 3),  # test: the band
        "photo_a": (S, 21, 3),  # train: whole, short side S (40 x 52 -> 16 x 20.8, rounded)
        "photo_b": (S, S, 3),  # val: centre crop
        "wide_photo": (S, 2 * S, 3),  # train, perspective: whole
    }
    m = json.loads((out / "manifest.json").read_text())
    assert m["protocol"] == "v2" and "band |latitude| <= 45" in m["protocol_geometry"]
    e = {x["name"]: x for x in m["images"]}
    assert e["pano_a"]["geometry"]["train_rows"] == [4, 12] and e["pano_a"]["projection"] == "equirect"
    assert e["wide_photo"]["projection"] == "perspective" and "train_rows" not in e["wide_photo"]["geometry"]
    assert e["pano_b"]["projection_rule"].startswith("equirect when the width is exactly twice the height")
    assert json.loads((out / "splits.json").read_text()) == {
        "train": ["pano_a", "photo_a", "wide_photo"], "val": ["photo_b"], "test": ["pano_b"]}  # fmt: skip
    ds = PreparedDataset(out)
    assert ds.protocol == "v2" and ds.names("val") == ["photo_b"] and ds.train_rows("pano_a") == (4, 12)


def test_v2_training_crops_come_from_the_band(v2_folder: tuple[Path, Path]) -> None:
    _, out = v2_folder
    ds = PairDataset(out, "train", crop=4, seed=0)
    rows = {"pano_a": set(), "photo_a": set(), "wide_photo": set()}
    rng = np.random.default_rng(0)
    for k in range(300):
        s = ds.sample(k % 3, rng)
        rows[s["name"]].add(s["crop"][0])
    assert min(rows["pano_a"]) >= 4 and max(rows["pano_a"]) <= 12 - 4  # never the polar rows
    assert min(rows["wide_photo"]) == 0 and max(rows["wide_photo"]) == S - 4  # a photograph: anywhere
    big = PairDataset(out, "train", crop=S, seed=0)  # taller than the band: the whole height
    assert all(big.sample(0, np.random.default_rng(k))["crop"][0] == 0 for k in range(5))


def test_v2_split_change_redoes_the_image(v2_folder: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = v2_folder
    out = tmp_path / "out"
    prepare.prepare_dataset(src, out=out, params=PrepareParams(size=S), **QUIET)
    split = json.loads((src / "splits.json").read_text())
    moved = tmp_path / "src"
    moved.mkdir()
    for p in src.iterdir():
        (moved / p.name).write_bytes(p.read_bytes())
    split["train"].remove("pano_a")
    split["test"].append("pano_a")
    (moved / "splits.json").write_text(json.dumps(split))
    rep = prepare.prepare_dataset(moved, out=out, params=PrepareParams(size=S), **QUIET)
    assert rep.prepared == ["pano_a"]  # its geometry depends on its split under v2
    assert hdrio.read_hdr(out / "hdr" / "pano_a.exr")[0].shape == (S // 2, 2 * S, 3)


# --------------------------------------------------------------------------- selection of the version
def test_protocols_get_their_own_folders_and_never_overwrite(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    hdrio.write_exr(
        src / "a.exr", np.exp(np.random.default_rng(1).normal(size=(20, 40, 3))).astype(np.float32)
    )
    cache = tmp_path / "cache"
    r1 = prepare.prepare_dataset(src, cache=cache, params=PrepareParams(size=S), protocol="v1", **QUIET)
    before = {p: p.stat().st_mtime_ns for p in r1.out_dir.rglob("*")}
    r2 = prepare.prepare_dataset(src, cache=cache, params=PrepareParams(size=S), **QUIET)
    assert (
        r1.out_dir.parent.name == "v1"
        and r2.out_dir.parent.name == "v2"
        and r1.out_dir.name == r2.out_dir.name
    )
    assert {p: p.stat().st_mtime_ns for p in r1.out_dir.rglob("*")} == before
    assert PreparedDataset(r1.out_dir).protocol == "v1" and PreparedDataset(r2.out_dir).protocol == "v2"
    with pytest.raises(ItmnError, match="holds data prepared under protocol v2, not v1"):
        prepare.prepare_dataset(src, out=r2.out_dir, params=PrepareParams(size=S, protocol="v1"), **QUIET)
    with pytest.raises(ItmnError, match="protocol 'v1' and params.protocol 'v2' disagree"):
        prepare.prepare_dataset(src, params=PrepareParams(protocol="v2"), protocol="v1", **QUIET)
    with pytest.raises(ItmnError, match="protocol='v3': expected one of v1, v2"):
        PrepareParams(protocol="v3")


def test_registered_datasets_name_their_protocol() -> None:
    from itmn.data import registry

    assert registry.get_dataset("default").protocol == "v1"
    assert registry.get_dataset("public-v2").protocol == "v2"
    assert prepare.resolve_protocol(registry.get_dataset("public-v2"), "v1") == "v1"  # still selectable


def test_v1_parameters_hash_is_unchanged() -> None:
    """Golden values: PrepareParams().sha256() and PrepareParams(size=16).sha256() of itmn-bench at
    commit ce1a9f5 (before protocol v2), computed with that code's itmn.data.prepare. Equal hashes
    keep every v1 folder up to date."""
    assert (
        PrepareParams(protocol="v1").sha256()
        == "f39ea347ba71e3376e5bc4245bbd03a97b6233ec6f4082dbbaaa2f2692925d4c"
    )
    assert PrepareParams(size=16, protocol="v1").sha256() == (
        "64ca95224378d83d4a8a93822f4a7d16e7037aefbd4da93fd2d1fa0096380b1b"
    )
    assert PrepareParams(protocol="v2").sha256() != PrepareParams(protocol="v1").sha256()


V1_GOLDEN = {
    "desk": {
        "hdr": "f11dff63d925233f320b9739c11492a6dea9ecec5e8fa3e92ff7f3148108831c",
        "ldr/camera_clip": "8ae33924797a013df3491d9862c0df8f4d7d135ce9d02b1c72eba4c1e494460e",
        "ldr/drago": "88fa38cc56bbb962479c836278f05016dd6c79145abff0d35690abfa08d9ee52",
        "ldr/reinhard_global": "b29cb09df70b4a59973aaf880e0c8e1e8dd93186a5292c021c694e2a05dded09",
        "ldr/reinhard_local": "5cf73b11cd9b81db03d645bfdddde85f0d893b8aded9ae02893a3f1934abb246",
        "pq": "811046b4d38d4f5b8edb58467d01a14986c30fea64b0b4328eeb563ea2fd9b1c",
    },
    "venice": {
        "hdr": "51f2c280555756aab9bb3694bb5a434fb18f1c1c95a23a7f266b99f37cdf573a",
        "ldr/camera_clip": "7a5fbd21f1fa7e62716935963424f544727e47e2d17e0a0b0bc1eddae216464b",
        "ldr/drago": "cd32d8d722f880151f314865e94c8dd73c35dccf6fc09fab797a72e702d4546a",
        "ldr/reinhard_global": "6d8612a650072d0f1214ae29fd87b3b6fcd91a10660e61cb697eeade695a0cc5",
        "ldr/reinhard_local": "b5301ab1122c900bd259fd2a86bd7441994eed0169927e55026579b47846ee67",
        "pq": "77c0086cec7907ab172b1d405122f1be9a8988151bb0c4fbe5b42b740f05b62a",
    },
}


def test_v1_outputs_are_byte_identical_to_before_v2(tmp_path: Path, mirror: Path) -> None:
    """Golden sha256 of every output file: itmn-bench at commit ce1a9f5 (before protocol v2),
    ``prepare_dataset("src", out=...)`` with default parameters on a folder holding desk.exr ->
    openexr-images ScanLines/Desk.exr and venice.hdr -> drei-assets hdri/venice_sunset_1k.hdr
    (the shared mirror), same numpy/OpenEXR/OpenImageIO as here. Exact equality: v1 unchanged."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "desk.exr").symlink_to(
        mirror / "openexr-images/e38ffb0790f62f05a6f083a6fa4cac150b3b7452/ScanLines/Desk.exr"
    )
    (src / "venice.hdr").symlink_to(
        mirror / "drei-assets/456060a26bbeb8fdf79326f224b6d99b8bcce736/hdri/venice_sunset_1k.hdr"
    )
    prepare.prepare_dataset(src, out=tmp_path / "out", protocol="v1", **QUIET)
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    got = {e["name"]: {k: v["sha256"] for k, v in e["outputs"].items()} for e in m["images"]}
    assert got == V1_GOLDEN
