"""Bring your own pinned dataset: `itmn data fetch --manifest FILE` (CSV or TOML) registers a
user's remote dataset in the cache and fetches it through a real HTTP server on 127.0.0.1; then
`prepare` and `list` use it by name. Bad manifests are refused with the file, row and problem."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from itmn_http_mirror import serve

from bench import cli
from itmn import hdrio
from itmn.data import prepare, registry, user_manifest
from itmn.errors import ItmnError


@pytest.fixture(autouse=True)
def _no_global_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    """These files come from the user's own server, not from the suite's data mirror (CI sets
    ITMN_DATA_MIRROR for the built-in datasets)."""
    monkeypatch.delenv("ITMN_DATA_MIRROR", raising=False)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """What a user's web server holds: three small EXRs (one a 2:1 panorama) and a licence."""
    root = tmp_path / "site"
    (root / "hdr").mkdir(parents=True)
    rng = np.random.default_rng(2)
    for name, shape in {"lake": (40, 56), "hall": (32, 64), "street": (44, 44)}.items():
        hdrio.write_exr(root / "hdr" / f"{name}.exr", np.exp(rng.normal(size=(*shape, 3))).astype(np.float32))
    (root / "LICENSE.txt").write_text("CC BY 4.0, Jane Doe 2024\n")
    return root


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def csv_manifest(site: Path, url: str, path: Path, *, split: bool = True, extra: str = "") -> Path:
    lic = site / "LICENSE.txt"
    rows = ["url,sha256,licence,name,size,split,licence_url,licence_sha256" + extra]
    for name, s in (("lake", "train"), ("hall", "val"), ("street", "test")):
        f = site / "hdr" / f"{name}.exr"
        rows.append(f"{url}/hdr/{name}.exr,{sha(f)},CC-BY-4.0 (Jane Doe 2024),{name},{f.stat().st_size},"
                    f"{s if split else ''},{url}/LICENSE.txt,{sha(lic)}")  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_manifest_registers_fetches_prepares_and_lists(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    with serve(site) as url:
        man = csv_manifest(site, url, tmp_path / "my-lakes.csv")
        assert (
            cli.itmn_main(["data", "fetch", "--manifest", str(man), "--cache", str(cache), "--no-progress"]) == 0
        )
    err = capsys.readouterr().err
    assert (
        f"registered dataset 'my-lakes' (3 images, protocol v2) in {cache / 'datasets' / 'my-lakes'}" in err
    )
    assert "4 fetched from the upstream URLs" in err
    # the registration is a byte copy of the manifest in the cache
    assert (cache / "datasets" / "my-lakes" / "manifest.csv").read_bytes() == man.read_bytes()
    # files of arbitrary URLs are cached by content
    lake = site / "hdr" / "lake.exr"
    assert (cache / "downloads" / "sha256" / sha(lake) / "lake.exr").read_bytes() == lake.read_bytes()
    # prepare by name (offline now: everything is in the cache), v2 by default; 32 px to be quick
    rep = prepare.prepare_dataset("my-lakes", cache=cache, params=prepare.PrepareParams(size=32), progress=False,
                                  log=lambda m: None)  # fmt: skip
    root = cache / "prepared" / "v2" / "my-lakes"
    assert rep.out_dir == root and rep.prepared == ["lake", "hall", "street"]
    assert json.loads((root / "splits.json").read_text()) == {
        "train": ["lake"],
        "val": ["hall"],
        "test": ["street"],
    }
    m = json.loads((root / "manifest.json").read_text())
    assert m["protocol"] == "v2" and m["licences"] == ["CC-BY-4.0 (Jane Doe 2024)"]
    assert {e["name"]: e["projection"] for e in m["images"]} == {"lake": "perspective", "hall": "equirect",
                                                                  "street": "perspective"}  # fmt: skip
    assert (root / "licences" / "127.0.0.1-LICENSE.txt").read_text().startswith("CC BY 4.0")
    assert registry.resolve_prepared("my-lakes", cache) == root
    capsys.readouterr()
    assert cli.itmn_main(["data", "list", "--cache", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "my-lakes: 3 images of a user manifest" in out
    assert f"registered from {cache / 'datasets' / 'my-lakes' / 'manifest.csv'}" in out
    assert "3 images (1 train, 1 val, 1 test); protocol v2" in out and "licences: CC-BY-4.0 x3" in out
    assert "public-v2" in out and "licences: CC0-1.0 x48, BSD-3-Clause x11, LicenseRef-TOST-1.0 x1" in out


def test_toml_manifest_and_the_folder_rule_split(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve(site) as url:
        tables = "\n".join(
            f'[[image]]\nurl = "{url}/hdr/{n}.exr"\nsha256 = "{sha(site / "hdr" / f"{n}.exr")}"\nlicence = "CC0-1.0"\n'
            for n in ("lake", "hall", "street")
        )
        man = tmp_path / "anything.toml"
        man.write_text(f'name = "mine"\ndescription = "three test scenes"\nprotocol = "v1"\n\n{tables}')
        ds = user_manifest.register_manifest(man, cache=cache)
        from itmn.data.fetch import fetch_dataset

        res = fetch_dataset(ds, cache=cache, progress=False, log=lambda m: None)
    assert [r.status for r in res] == ["downloaded"] * 3 and ds.licence_files == ()
    loaded = registry.get_dataset("mine", cache)
    assert loaded.protocol == "v1" and loaded.description == "three test scenes"
    assert [im.name for im in loaded.images] == ["lake", "hall", "street"]  # names from the URLs
    assert loaded.split() == {"train": ["lake", "street"], "test": ["hall"]}  # sorted: hall, lake, street


def test_checksum_mismatch_in_a_user_manifest_is_refused(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve(site) as url:
        man = csv_manifest(site, url, tmp_path / "m.csv")
        (site / "hdr" / "lake.exr").write_bytes(b"changed on the server")
        assert (
            cli.itmn_main(["data", "fetch", "--manifest", str(man), "--cache", str(cache), "--no-progress"]) == 1
        )
    assert not list((cache / "downloads").rglob("lake.exr"))


def test_registering_again_replaces_and_builtin_names_are_refused(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    man = csv_manifest(site, "https://example.org/data", tmp_path / "m.csv")
    user_manifest.register_manifest(man, "set1", cache)
    user_manifest.register_manifest(man, "set2", cache)
    assert user_manifest.registered_names(cache) == ["set1", "set2"]
    toml = tmp_path / "m.toml"
    toml.write_text(
        f'[[image]]\nurl = "https://example.org/a.hdr"\nsha256 = "{"0" * 64}"\nlicence = "CC0-1.0"\n'
    )
    user_manifest.register_manifest(toml, "set1", cache)  # another format under the same name
    assert sorted(p.name for p in (cache / "datasets" / "set1").iterdir()) == ["manifest.toml"]
    assert [im.name for im in registry.get_dataset("set1", cache).images] == ["a"]
    with pytest.raises(ItmnError, match="'public-v2' is a built-in dataset"):
        user_manifest.register_manifest(man, "public-v2", cache)
    with pytest.raises(ItmnError, match=r"unknown dataset 'nope'.*from manifests in .*datasets, set1, set2"):
        registry.get_dataset("nope", cache)


def test_github_raw_urls_use_the_mirror_layout(tmp_path: Path) -> None:
    commit = "a" * 40
    man = tmp_path / "gh.csv"
    man.write_text(
        f"url,sha256,licence\nhttps://raw.githubusercontent.com/me/photos/{commit}/hdr/x.exr,{'1' * 64},MIT\n"
    )
    ds = user_manifest.parse_manifest(man)
    rf = ds.images[0].file
    assert isinstance(rf, registry.RemoteFile) and str(rf.relpath) == f"photos/{commit}/hdr/x.exr"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("sha256,licence\n" + "0" * 64 + ",CC0\n", r"line 2: 'url' is missing"),
        ("url,sha256,licence\nftp://x/a.exr," + "0" * 64 + ",CC0\n", r"line 2: url 'ftp://x/a.exr' is not an http\(s\) URL"),
        ("url,sha256,licence\nhttps://x/a.exr,abc,CC0\n", r"line 2: sha256 'abc' is not 64 hexadecimal digits"),
        ("url,sha256,licence\nhttps://x/a.exr," + "0" * 64 + ",\n", r"line 2: 'licence' is missing"),
        ("url,sha256,licence,size\nhttps://x/a.exr," + "0" * 64 + ",CC0,big\n", r"size 'big' is not a number of bytes"),
        ("url,sha256,licence\nhttps://x/a.exr," + "0" * 64 + ",CC0\nhttps://y/a.exr," + "1" * 64 + ",CC0\n",
         r"line 3: image name 'a' is also used at .* line 2"),
        ("url,sha256,licence,split\nhttps://x/a.exr," + "0" * 64 + ",CC0,train\nhttps://x/b.exr," + "1" * 64 + ",CC0,\n",
         r"line 3: has no split while other rows have one"),
        ("url,sha256,licence,split\nhttps://x/a.exr," + "0" * 64 + ",CC0,holdout\n", r"split 'holdout': expected train, val or test"),
        ("url,sha256,licence,licence_url\nhttps://x/a.exr," + "0" * 64 + ",CC0,https://x/L\n",
         r"licence_url and licence_sha256 go together"),
        ("url,sha256,licence,colour\nhttps://x/a.exr," + "0" * 64 + ",CC0,red\n", r"unknown columns \['colour'\]"),
        ("url,sha256,licence\n", r"no image rows under the header"),
    ],
)  # fmt: skip
def test_bad_csv_manifests(tmp_path: Path, text: str, match: str) -> None:
    man = tmp_path / "bad.csv"
    man.write_text(text)
    with pytest.raises(ItmnError, match=match) as info:
        user_manifest.parse_manifest(man)
    assert str(info.value).startswith(str(man))


def test_bad_toml_and_other_formats(tmp_path: Path) -> None:
    for name, text, match in [
        ("a.toml", "name = 'x'\n", r"expected \[\[image\]\] tables"),
        ("b.toml", "this is not toml", "not valid TOML"),
        ("c.toml", f'colour = "red"\n[[image]]\nurl = "https://x/a.exr"\nsha256 = "{"0" * 64}"\nlicence = "CC0"\n',
         r"unknown top-level keys \['colour'\]"),
        ("d.toml", f'protocol = "v9"\n[[image]]\nurl = "https://x/a.exr"\nsha256 = "{"0" * 64}"\nlicence = "CC0"\n',
         r"protocol 'v9': expected one of v1, v2"),
        ("e.json", "{}", r"expected a .csv or .toml manifest"),
    ]:  # fmt: skip
        (tmp_path / name).write_text(text)
        with pytest.raises(ItmnError, match=match):
            user_manifest.parse_manifest(tmp_path / name)


def test_name_without_manifest_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.itmn_main(["data", "fetch", "--name", "x", "--cache", str(tmp_path)]) == 1
    assert "--name goes with --manifest" in capsys.readouterr().err
