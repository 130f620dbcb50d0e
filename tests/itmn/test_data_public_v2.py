"""The public-v2 dataset: its declarations against the shared mirror (sha256, sizes, licence
files), the packaged manifest copy, the stratified split, no scene twice, and the acceptance
criteria (60 scenes fetched and verified from the mirror with their licence files and
prepared; a corrupted mirror file refused with nothing cached for it)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from importlib import resources
from pathlib import Path

import pytest

from itmn.data import fetch, public_v2, registry
from itmn.errors import ChecksumError

V2 = registry.get_dataset("public-v2")
DEFAULT = registry.get_dataset("default")
V2_REPOS = ("3d-demo-data", "assets", "BIKINI", "OpenUSD", "astc-encoder", "realism-effects")
QUIET = {"log": lambda msg: None, "progress": False}


def mirror_sums(mirror: Path) -> dict[str, str]:
    sums = {}
    for line in (mirror / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split(maxsplit=1)
        sums[rel.removeprefix("./")] = digest
    return sums


# --------------------------------------------------------------------------- declarations
def test_sixty_scenes_default_plus_the_manifest() -> None:
    names = [im.name for im in V2.images]
    assert len(names) == 60 == len(set(names))
    assert V2.images[:19] == DEFAULT.images  # the 19 of default, unchanged
    assert V2.protocol == "v2" and DEFAULT.protocol == "v1"
    rows = list(csv.DictReader(resources.files("itmn.data").joinpath(public_v2.MANIFEST).open()))
    assert len(rows) == 41
    for im, row in zip(V2.images[19:], rows):
        assert (im.file.repo, im.file.commit, im.file.path) == (row["owner_repo"], row["commit"], row["path"])
        assert (im.file.sha256, im.file.size) == (row["sha256"], int(row["bytes"]))
        assert im.projection == ("equirect" if int(row["width"]) == 2 * int(row["height"]) else "perspective")
        assert (
            im.file.url
            == f"https://raw.githubusercontent.com/{row['owner_repo']}/{row['commit']}/{row['path']}"
        )


def test_packaged_manifest_is_a_byte_copy_of_the_curated_one(shared: Path) -> None:
    packaged = resources.files("itmn.data").joinpath(public_v2.MANIFEST).read_bytes()
    assert packaged == (shared / "data" / "manifest-public-v2.csv").read_bytes()
    assert hashlib.sha256(packaged).hexdigest() == public_v2.MANIFEST_SHA256


def test_sha256_and_sizes_match_the_mirror(mirror: Path) -> None:
    sums = mirror_sums(mirror)
    for rf in V2.files():
        rel = str(rf.relpath)
        assert sums[rel] == rf.sha256, rel
        assert (mirror / rel).stat().st_size == rf.size, rel
    # every file the mirror holds for the new repositories is in the dataset, but one: an empty
    # LICENSE (the text is LICENSE.md)
    theirs = {r for r in sums if r.split("/")[0] in V2_REPOS}
    assert theirs - {str(rf.relpath) for rf in V2.files()} == {
        "realism-effects/061daeaefb7773d8a1a8e10fa95a184fbcda1fb7/LICENSE"
    }
    assert (mirror / "realism-effects/061daeaefb7773d8a1a8e10fa95a184fbcda1fb7/LICENSE").stat().st_size == 0


def test_licences_and_licence_files() -> None:
    assert V2.licence_mix() == {"CC0-1.0": 48, "BSD-3-Clause": 11, "LicenseRef-TOST-1.0": 1}
    with_file = {(rf.repo, rf.commit) for rf in V2.licence_files}
    for im in V2.images:
        if im.file.repo == "pmndrs/drei-assets":  # default's Poly Haven files: CC0, no licence file upstream
            continue
        assert (im.file.repo, im.file.commit) in with_file, im.name
    assert [im.name for im in V2.images if im.licence.startswith("LicenseRef-TOST")] == ["usd_stinson_beach"]


# --------------------------------------------------------------------------- the split
SPLIT = V2.split()
HEADER = json.loads(resources.files("itmn.data").joinpath("splits", "public-v2.json").read_text())


def test_split_sizes_and_v1_test_images_kept() -> None:
    assert (len(SPLIT["train"]), len(SPLIT["val"]), len(SPLIT["test"])) == (31, 8, 21)
    assert set(DEFAULT.split()["test"]) <= set(SPLIT["test"])  # v1 and v2 comparable on these 5
    assert "_about" in HEADER and any("Stratified" in line for line in HEADER["_about"])


def test_split_is_stratified_as_its_header_says() -> None:
    strata: dict[str, list[str]] = HEADER["_strata"]
    listed = [n for names in strata.values() for n in names]
    assert sorted(listed) == sorted(im.name for im in V2.images)  # every image in exactly one stratum
    which = {n: k for k, names in SPLIT.items() for n in names}
    for stratum, names in strata.items():
        projection, kind = stratum.split("/")
        assert kind in ("indoor", "outdoor", "night", "studio")
        for n in names:
            assert V2.image(n).projection == ("equirect" if projection == "panorama" else "perspective"), n
        n = len(names)
        counts = {k: sum(which[x] == k for x in names) for k in ("train", "val", "test")}
        assert counts["test"] == (1 if n == 1 else round(n / 3)), stratum
        assert counts["val"] == (max(1, round(2 * n / 15)) if n >= 3 else 0), stratum
    covered = {k.split("/")[1] for k, names in strata.items() if any(which[x] == "test" for x in names)}
    assert covered == {"indoor", "outdoor", "night", "studio"}
    kinds = [V2.image(n).projection for n in SPLIT["test"]]
    assert kinds.count("perspective") >= 4 and kinds.count("equirect") >= 12


def test_split_keeps_series_together_and_lossy_files_out_of_test() -> None:
    which = {n: k for k, names in SPLIT.items() for n in names}
    assert len({which[f"ph_brown_photostudio_0{i}"] for i in (1, 6, 7)}) == 1
    assert which["ph_studio_small_05"] == which["ph_studio_small_08"]
    for im in V2.images:
        if im.file.repo == "blueish0930/BIKINI":  # DWAB-compressed (lossy) EXRs
            assert which[im.name] == "train", im.name


# --------------------------------------------------------------------------- no scene twice
@pytest.mark.slow
def test_no_scene_twice(mirror: Path, shared: Path) -> None:
    """Fingerprints (itmn.data.fingerprint) of all 60 images: every pair of the same projection
    scores below 0.9, while known copies of one scene from other sources (../shared/data/extra:
    Debian's Blender studio lights and npm's @pmndrs/assets, same Poly Haven captures) score
    above 0.99 against their public-v2 counterparts, so the threshold separates the two."""
    from itmn import hdrio
    from itmn.data.fingerprint import scene_fingerprint, similarity

    def fp(path: Path, projection: str):  # noqa: ANN202
        return scene_fingerprint(hdrio.read_hdr(path)[0], projection)

    prints = {im.name: (fp(mirror / im.file.relpath, im.projection), im.projection) for im in V2.images}
    worst = max(
        (similarity(a, b, pa), x, y)
        for (x, (a, pa)), (y, (b, pb)) in itertools.combinations(prints.items(), 2)
        if pa == pb
    )
    assert worst[0] < 0.9, worst
    extra = shared / "data" / "extra"
    copies = {"ph_courtyard": "ph_courtyard", "ph_portland_landing_pad": "ph_portland_landing_pad",
              "ph_moonless_golf": "ph_moonless_golf", "pmn_esplanade": "pmn_esplanade",
              "pmn_sunset": "pmn_sunset", "pmn_workshop": "pmn_workshop", "ph_dancing_hall": "pmn_hall"}  # fmt: skip
    for name, copy in copies.items():
        s = similarity(prints[name][0], fp(extra / f"{copy}.exr", "equirect"), "equirect")
        assert s > 0.99, (name, copy, s)


# --------------------------------------------------------------------------- acceptance
def link_mirror(mirror: Path, root: Path, corrupt: str | None = None) -> Path:
    """A mirror of public-v2's files: symbolic links into the shared mirror, except ``corrupt``
    (a relpath), which is a copy with one byte changed."""
    for rf in V2.files():
        rel = str(rf.relpath)
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if rel == corrupt:
            data = bytearray((mirror / rel).read_bytes())
            data[len(data) // 2] ^= 0x01
            dst.write_bytes(bytes(data))
        else:
            dst.symlink_to(mirror / rel)
    return root


def cache_files(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())


def test_corrupted_mirror_file_is_refused_and_nothing_cached(tmp_path: Path, mirror: Path) -> None:
    bad = V2.image("ph_circus_arena").file
    link_mirror(mirror, tmp_path / "mirror", corrupt=str(bad.relpath))
    with pytest.raises(ChecksumError) as info:
        fetch.fetch_dataset(V2, cache=tmp_path / "cache", mirror=str(tmp_path / "mirror"), **QUIET)
    lines = [line.strip() for line in str(info.value).splitlines()]
    assert lines[0] == "1 of 68 files of dataset 'public-v2' failed:"
    assert (
        lines[1].startswith(f"{bad.path} from {tmp_path / 'mirror'}/")
        and f"(expected {bad.sha256})" in lines[1]
    )
    assert f"{bad.size} bytes (expected {bad.size})" in lines[1]
    files = cache_files(tmp_path / "cache")
    assert len(files) == 67 and not any("circus_arena" in f for f in files)
    assert all(not Path(f).name.startswith((".", "tmp")) for f in files)  # no temporary file left


@pytest.mark.slow
def test_acceptance_fetch_and_prepare_public_v2(tmp_path: Path, mirror: Path) -> None:
    """`itmn data fetch --dataset public-v2 --mirror <shared mirror>` then `itmn data prepare
    --dataset public-v2`: 60 scenes, verified, licence files beside them, v2 geometry."""
    from bench import cli
    from itmn import hdrio

    cache = str(tmp_path / "cache")
    assert cli.itmn_main(["data", "fetch", "--dataset", "public-v2", "--mirror", str(mirror), "--cache", cache,
                     "--no-progress"]) == 0  # fmt: skip
    sums = mirror_sums(mirror)
    for rf in V2.files():
        assert fetch.sha256_file(Path(cache) / "downloads" / rf.relpath) == sums[str(rf.relpath)]
    assert cli.itmn_main(["data", "prepare", "--dataset", "public-v2", "--cache", cache, "--no-progress"]) == 0
    root = Path(cache) / "prepared" / "v2" / "public-v2"
    m = json.loads((root / "manifest.json").read_text())
    assert m["protocol"] == "v2" and m["n_images"] == 60 and not m["failed"] and not m["skipped"]
    assert sorted(p.name for p in (root / "licences").iterdir()) == [
        "3d-demo-data-README.md", "BIKINI-license.txt", "OpenUSD-LICENSE.txt", "assets-LICENSE",
        "astc-encoder-LICENSE.txt", "openexr-images-COPYING", "realism-effects-LICENSE.md",
    ]  # fmt: skip
    e = {x["name"]: x for x in m["images"]}
    for name in SPLIT["test"] + SPLIT["val"]:
        shape = hdrio.read_hdr(root / "hdr" / f"{name}.exr")[0].shape
        assert shape == ((256, 1024, 3) if e[name]["projection"] == "equirect" else (512, 512, 3)), name
        assert not e[name]["geometry"]["upsampled"], name  # no evaluation target is upsampled
    for name in SPLIT["train"]:
        assert min(hdrio.read_hdr(root / "hdr" / f"{name}.exr")[0].shape[:2]) == 512, name
    assert json.loads((root / "splits.json").read_text()) == SPLIT
