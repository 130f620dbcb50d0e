"""Dataset registry: the default dataset's declarations against the shared mirror's SHA256SUMS,
the split file, folder datasets and resolve_prepared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from itmn.data import registry
from itmn.errors import ItmnError

DEFAULT = registry.get_dataset("default")


def test_default_dataset_declarations() -> None:
    names = [im.name for im in DEFAULT.images]
    assert len(names) == 19 == len(set(names))
    oexr = [im for im in DEFAULT.images if im.file.repo == "AcademySoftwareFoundation/openexr-images"]
    ph = [im for im in DEFAULT.images if im.file.repo == "pmndrs/drei-assets"]
    assert len(oexr) == 11 and len(ph) == 8
    assert not any("TestImages" in im.file.path for im in DEFAULT.images)
    for im in oexr:
        assert im.licence.startswith("BSD-3-Clause") and "Industrial Light & Magic" in im.licence
        assert im.file.url == (
            "https://raw.githubusercontent.com/AcademySoftwareFoundation/openexr-images/"
            f"e38ffb0790f62f05a6f083a6fa4cac150b3b7452/{im.file.path}"
        )
    for im in ph:
        assert (
            im.licence.startswith("CC0") and im.file.path.endswith("_1k.hdr") and im.projection == "equirect"
        )
        assert im.file.url.startswith(
            "https://raw.githubusercontent.com/pmndrs/drei-assets/456060a26bbeb8fdf79326f224b6d99b8bcce736/hdri/"
        )
    assert [f.path for f in DEFAULT.licence_files] == ["COPYING"]  # travels with the ILM photographs


def test_default_sha256_and_sizes_match_the_mirror(mirror: Path) -> None:
    sums = {}
    for line in (mirror / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split(maxsplit=1)
        sums[rel.removeprefix("./")] = digest
    for rf in DEFAULT.files():
        rel = str(rf.relpath)
        assert sums[rel] == rf.sha256, rel
        assert (mirror / rel).stat().st_size == rf.size, rel
    dataset_files = {str(rf.relpath) for rf in DEFAULT.files()}
    # every photograph the mirror holds from the default dataset's two repositories is in the dataset;
    # only TestImages are left out (the mirror also serves other datasets and model weights)
    repos = {rf.relpath.parts[0] for rf in DEFAULT.files()}
    assert {r for r in sums if r.split("/")[0] in repos and "TestImages" not in r} == dataset_files


def test_default_split_file() -> None:
    split = DEFAULT.split()
    names = {im.name for im in DEFAULT.images}
    assert set(split["train"]) | set(split["test"]) == names and not set(split["train"]) & set(split["test"])
    assert len(split["test"]) == 5
    kinds = [DEFAULT.image(n).projection for n in split["test"]]
    assert kinds.count("perspective") >= 2 and kinds.count("equirect") >= 2


def _size(path: Path) -> tuple[int, int]:
    """(height, width) from the file header."""
    if path.suffix == ".exr":
        import OpenEXR

        (x0, y0), (x1, y1) = OpenEXR.File(str(path), header_only=True).header()["dataWindow"]
        return int(y1 - y0 + 1), int(x1 - x0 + 1)
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    try:
        return inp.spec().height, inp.spec().width
    finally:
        inp.close()


def test_default_test_images_need_no_upsampling(mirror: Path) -> None:
    for name in DEFAULT.split()["test"]:
        assert min(_size(mirror / DEFAULT.image(name).file.relpath)) >= 512, name


# --------------------------------------------------------------------------- folder datasets
def test_folder_split_rule() -> None:
    assert registry.folder_split(["e", "a", "c", "b", "d"]) == {"train": ["b", "c", "d"], "test": ["a", "e"]}
    assert registry.folder_split(["only"]) == {"train": ["only"], "test": []}
    split = registry.folder_split([f"n{i:02d}" for i in range(9)])
    assert split["test"] == ["n00", "n04", "n08"] and len(split["train"]) == 6


def test_folder_listing(tmp_path: Path) -> None:
    for name in ("b.exr", "a.HDR", "c.pfm", "notes.txt", "photo.png", ".hidden.exr", "splits.json"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    images, ignored = registry.FolderDataset(tmp_path).listing()
    assert list(images) == ["a", "b", "c"]
    # the suite's one folder rule (itmn.paths.list_folder): hidden files are reported too (issue 12)
    why = {p.name: reason for p, reason in ignored}
    assert sorted(why) == [".hidden.exr", "notes.txt", "photo.png"]
    assert "hidden file" in why[".hidden.exr"]
    assert all("not an HDR format" in why[n] for n in ("notes.txt", "photo.png"))


def test_folder_duplicate_stems_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "a.exr").write_bytes(b"x")
    (tmp_path / "a.hdr").write_bytes(b"x")
    with pytest.raises(ItmnError, match="two files named 'a'"):
        registry.FolderDataset(tmp_path).listing()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ItmnError, match="no .exr/.hdr/.pfm files"):
        registry.FolderDataset(empty).listing()


def test_folder_splits_json(tmp_path: Path) -> None:
    ds = registry.FolderDataset(tmp_path)
    (tmp_path / "splits.json").write_text(json.dumps({"train": ["a"], "test": ["b"]}))
    split, rule = ds.split(["a", "b"])
    assert split == {"train": ["a"], "test": ["b"]} and "splits.json" in rule
    for bad, match in [
        ({"train": ["a", "b"], "test": ["b"]}, "in both train and test: b"),
        ({"train": ["a"], "test": ["zz"]}, "not in the dataset: zz"),
        ({"train": ["a"], "test": []}, "in no split: b"),
        ({"train": ["a"]}, "'train' and 'test'"),
    ]:
        (tmp_path / "splits.json").write_text(json.dumps(bad))
        with pytest.raises(ItmnError, match=match):
            ds.split(["a", "b"])


def test_folder_dataset_names_are_distinct_per_path(tmp_path: Path) -> None:
    (tmp_path / "x" / "extra").mkdir(parents=True)
    (tmp_path / "y" / "extra").mkdir(parents=True)
    a = registry.folder_dataset_name(tmp_path / "x" / "extra")
    b = registry.folder_dataset_name(tmp_path / "y" / "extra")
    assert a.startswith("extra-") and b.startswith("extra-") and a != b
    assert registry.folder_dataset_name(tmp_path / "x" / "extra") == a


def test_resolve_dataset(tmp_path: Path) -> None:
    assert registry.resolve_dataset("default") is DEFAULT
    ds = registry.resolve_dataset(tmp_path)
    assert isinstance(ds, registry.FolderDataset) and ds.root == tmp_path.resolve()
    with pytest.raises(ItmnError, match="neither a registered name"):
        registry.resolve_dataset("no-such-dataset")
    with pytest.raises(ItmnError, match="registered datasets are default"):
        registry.get_dataset("nope")


def test_resolve_prepared(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(ItmnError, match="itmn data prepare --dataset default --cache"):
        registry.resolve_prepared("default", cache=cache)
    prepared = cache / "prepared" / "v1" / "default"  # default's protocol is v1
    prepared.mkdir(parents=True)
    (prepared / "manifest.json").write_text("{}")
    assert registry.resolve_prepared("default", cache=cache) == prepared
    # a prepared folder given by path
    (prepared / "splits.json").write_text("{}")
    assert registry.resolve_prepared(prepared) == prepared
    # a source folder resolves to its default prepared folder in the cache
    src = tmp_path / "photos"
    src.mkdir()
    with pytest.raises(ItmnError, match="is not prepared under protocol v2"):
        registry.resolve_prepared(src, cache=cache)
    out = cache / "prepared" / "v2" / registry.folder_dataset_name(src)  # folders: the current protocol
    out.mkdir(parents=True)
    (out / "manifest.json").write_text("{}")
    assert registry.resolve_prepared(src, cache=cache) == out
    # another protocol has its own folder; asking for one that is missing says which one exists
    with pytest.raises(ItmnError, match=r"--protocol v1`\); it is prepared under protocol v2 only"):
        registry.resolve_prepared(src, cache=cache, protocol="v1")


def test_cache_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITMN_CACHE", str(tmp_path / "envcache"))
    assert registry.default_prepared_dir(DEFAULT) == tmp_path / "envcache" / "prepared" / "v1" / "default"
    assert registry.default_prepared_dir(DEFAULT, protocol="v2") == tmp_path / "envcache" / "prepared" / "v2" / "default"
