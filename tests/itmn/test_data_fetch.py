"""itmn data fetch (pooch underneath): local and URL mirrors (file:// and a real HTTP server on
127.0.0.1, never the network), both mirror layouts, sha256/size verification, idempotence, and
the failures of a real HTTP transfer (checksum mismatch, 404, HTTP 500, a transfer cut short, a
server that stalls past the timeout): each a one-line error naming the file and the cause, and
nothing left in the cache (no final file, no temporary file)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from itmn_http_mirror import serve

from bench import cli
from itmn.data import fetch, registry
from itmn.errors import ChecksumError, ItmnError

REPO, COMMIT = "someone/photos", "0123456789abcdef0123456789abcdef01234567"
CONTENT = {"img/a.exr": b"A" * 3000, "img/b.hdr": bytes(range(256)) * 7, "LICENSE": b"licence text\n"}


def remote(path: str, data: bytes) -> registry.RemoteFile:
    return registry.RemoteFile(REPO, COMMIT, path, hashlib.sha256(data).hexdigest(), len(data))


def fake_dataset() -> registry.RegisteredDataset:
    images = tuple(
        registry.SourceImage(Path(p).stem, remote(p, d), "CC0-1.0", "perspective")
        for p, d in CONTENT.items()
        if p.startswith("img/")
    )
    return registry.RegisteredDataset("fake", "test data", images, (remote("LICENSE", CONTENT["LICENSE"]),))


def make_mirror(root: Path, *, with_owner: bool = False, content: dict[str, bytes] | None = None) -> Path:
    base = root / "someone" / "photos" if with_owner else root / "photos"
    for rel, data in (content or CONTENT).items():
        p = base / COMMIT / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def cache_files(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())


@pytest.mark.parametrize("with_owner", [False, True], ids=["repo-layout", "owner-layout"])
def test_fetch_from_a_local_mirror(tmp_path: Path, with_owner: bool) -> None:
    mirror = make_mirror(tmp_path / "mirror", with_owner=with_owner)
    cache = tmp_path / "cache"
    res = fetch.fetch_dataset(
        fake_dataset(), cache=cache, mirror=str(mirror), progress=False, log=lambda m: None
    )
    assert [r.status for r in res] == ["downloaded"] * 3
    for rel, data in CONTENT.items():
        assert (cache / "downloads" / "photos" / COMMIT / rel).read_bytes() == data


def test_second_fetch_verifies_and_changes_nothing(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    cache = tmp_path / "cache"
    fetch.fetch_dataset(fake_dataset(), cache=cache, mirror=str(mirror), progress=False, log=lambda m: None)
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    msgs: list[str] = []
    res = fetch.fetch_dataset(
        fake_dataset(), cache=cache, mirror=str(mirror), progress=False, log=msgs.append
    )
    assert [r.status for r in res] == ["verified"] * 3
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == before
    assert msgs[-1].endswith("3 files in " + str(cache / "downloads") + ": 3 already present and verified")


def test_truncated_file_is_reported_and_nothing_is_left(tmp_path: Path) -> None:
    bad = dict(CONTENT, **{"img/a.exr": CONTENT["img/a.exr"][:1000]})
    mirror = make_mirror(tmp_path / "mirror", content=bad)
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError) as info:
        fetch.fetch_dataset(
            fake_dataset(), cache=cache, mirror=str(mirror), progress=False, log=lambda m: None
        )
    msg = str(info.value)
    rf = fake_dataset().images[0].file
    assert "img/a.exr" in msg and f"(expected {rf.sha256})" in msg
    assert hashlib.sha256(bad["img/a.exr"]).hexdigest() in msg
    assert "1000 bytes (expected 3000; truncated: 2000 bytes missing)" in msg
    # the good files arrived, the bad one did not, and no temporary file is left anywhere
    files = cache_files(cache)
    assert not any("a.exr" in f for f in files) and not any(f.endswith(".part") for f in files)
    assert any(f.endswith("img/b.hdr") for f in files) and any(f.endswith("LICENSE") for f in files)


def test_corrupted_file_same_size(tmp_path: Path) -> None:
    data = bytearray(CONTENT["img/b.hdr"])
    data[100] ^= 0xFF
    mirror = make_mirror(tmp_path / "mirror", content=dict(CONTENT, **{"img/b.hdr": bytes(data)}))
    with pytest.raises(
        ChecksumError,
        match=r"img/b.hdr from .*: sha256 [0-9a-f]{64} \(expected [0-9a-f]{64}\), 1792 bytes \(expected 1792\)",
    ):
        fetch.fetch_dataset(
            fake_dataset(), cache=tmp_path / "c", mirror=str(mirror), progress=False, log=lambda m: None
        )
    assert not any("b.hdr" in f for f in cache_files(tmp_path / "c"))


def test_missing_file_names_every_place_tried(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror", content={k: v for k, v in CONTENT.items() if k != "LICENSE"})
    with pytest.raises(ItmnError, match="LICENSE: not found; tried") as info:
        fetch.fetch_dataset(
            fake_dataset(), cache=tmp_path / "c", mirror=str(mirror), progress=False, log=lambda m: None
        )
    assert not isinstance(info.value, ChecksumError)
    assert f"photos/{COMMIT}/LICENSE (no such file)" in str(info.value)
    assert f"someone/photos/{COMMIT}/LICENSE (no such file)" in str(info.value)


def test_corrupt_cached_copy_is_fetched_again(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    cache = tmp_path / "cache"
    dest = cache / "downloads" / "photos" / COMMIT / "img" / "a.exr"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"garbage")
    msgs: list[str] = []
    res = fetch.fetch_dataset(
        fake_dataset(), cache=cache, mirror=str(mirror), progress=False, log=msgs.append
    )
    assert res[0].status == "downloaded" and dest.read_bytes() == CONTENT["img/a.exr"]
    assert any("cached copy is corrupt" in m for m in msgs)


def test_file_url_mirror_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("ITMN_DATA_MIRROR", mirror.as_uri())
    monkeypatch.setenv("ITMN_CACHE", str(tmp_path / "envcache"))
    res = fetch.fetch_dataset(fake_dataset(), progress=False, log=lambda m: None)
    assert [r.status for r in res] == ["downloaded"] * 3
    assert res[0].source.startswith("file://") and res[0].path.is_relative_to(tmp_path / "envcache")


def test_http_mirror_on_localhost(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror", with_owner=True)  # the first layout gets a 404
    with serve(mirror) as url:
        res = fetch.fetch_dataset(
            fake_dataset(), cache=tmp_path / "c", mirror=url + "/", progress=False, log=lambda m: None
        )
    assert [r.status for r in res] == ["downloaded"] * 3
    assert res[0].source == f"{url}/someone/photos/{COMMIT}/img/a.exr"


def test_http_mirror_missing_file(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror", content={"img/a.exr": CONTENT["img/a.exr"]})
    with (
        serve(mirror) as url,
        pytest.raises(ItmnError, match=r"img/b.hdr: not found; tried .*HTTP 404") as info,
    ):
        fetch.fetch_dataset(
            fake_dataset(), cache=tmp_path / "c", mirror=url, progress=False, log=lambda m: None
        )
    assert not isinstance(info.value, ChecksumError)
    # both layouts were tried, each answered 404
    assert f"{url}/photos/{COMMIT}/img/b.hdr (HTTP 404 File not found)" in str(info.value)
    assert f"{url}/someone/photos/{COMMIT}/img/b.hdr (HTTP 404 File not found)" in str(info.value)
    assert cache_files(tmp_path / "c") == [f"downloads/photos/{COMMIT}/img/a.exr"]


# --------------------------------------------------------------------------- real HTTP failures
def one_file(tmp_path: Path, content: dict[str, bytes] | None = None) -> tuple[registry.RemoteFile, Path]:
    """The registry entry of img/a.exr and a mirror folder holding ``content`` (default: the right bytes)."""
    return remote("img/a.exr", CONTENT["img/a.exr"]), make_mirror(tmp_path / "mirror", content=content)


def assert_one_line_and_nothing_cached(res: fetch.FetchResult, cache: Path) -> None:
    assert res.status == "failed" and res.error and "\n" not in res.error
    assert res.error.startswith("img/a.exr")  # names the file
    assert not res.path.exists()
    assert cache_files(cache) == [], cache_files(cache)  # no final file, no temporary file


def test_http_success_reports_every_byte(tmp_path: Path) -> None:
    rf, mirror = one_file(tmp_path)
    counted: list[int] = []
    with serve(mirror) as url:
        res = fetch.fetch_file(rf, tmp_path / "c", url, on_bytes=counted.append)
    assert res.status == "downloaded" and res.path.read_bytes() == CONTENT["img/a.exr"]
    assert sum(counted) == 3000 and res.source == f"{url}/photos/{COMMIT}/img/a.exr"
    assert cache_files(tmp_path / "c") == [f"downloads/photos/{COMMIT}/img/a.exr"]


def test_http_checksum_mismatch(tmp_path: Path) -> None:
    bad = b"B" * 3000
    rf, mirror = one_file(tmp_path, {"img/a.exr": bad})
    with serve(mirror) as url:
        res = fetch.fetch_file(rf, tmp_path / "c", url)
    assert_one_line_and_nothing_cached(res, tmp_path / "c")
    assert res.bad_content
    assert res.error == (
        f"img/a.exr from {url}/photos/{COMMIT}/img/a.exr: sha256 {hashlib.sha256(bad).hexdigest()} "
        f"(expected {rf.sha256}), 3000 bytes (expected 3000); nothing was written to the cache"
    )


def test_http_404(tmp_path: Path) -> None:
    rf, mirror = one_file(tmp_path, {"img/other.exr": b"x"})
    with serve(mirror) as url:
        res = fetch.fetch_file(rf, tmp_path / "c", url)
    assert_one_line_and_nothing_cached(res, tmp_path / "c")
    assert not res.bad_content and res.error.startswith("img/a.exr: not found; tried ")
    assert res.error.count("HTTP 404") == 2


def test_http_500_is_not_called_missing(tmp_path: Path) -> None:
    rf, mirror = one_file(tmp_path)
    faults = {f"/photos/{COMMIT}/img/a.exr": "500", f"/someone/photos/{COMMIT}/img/a.exr": "500"}
    with serve(mirror, faults) as url:
        res = fetch.fetch_file(rf, tmp_path / "c", url)
    assert_one_line_and_nothing_cached(res, tmp_path / "c")
    assert res.error.startswith("img/a.exr: could not be fetched; tried ") and "HTTP 500" in res.error


def test_http_transfer_cut_short(tmp_path: Path) -> None:
    rf, mirror = one_file(tmp_path)
    with serve(mirror, {f"/photos/{COMMIT}/img/a.exr": "truncate"}) as url:
        res = fetch.fetch_file(rf, tmp_path / "c", url)
    assert_one_line_and_nothing_cached(res, tmp_path / "c")
    assert res.error == (
        f"img/a.exr: reading {url}/photos/{COMMIT}/img/a.exr failed: transfer cut short: the server closed "
        "the connection after 1000 of 3000 bytes; nothing was written to the cache"
    )


def test_http_server_stalls_past_the_timeout(tmp_path: Path) -> None:
    rf, mirror = one_file(tmp_path)
    with serve(mirror, {f"/photos/{COMMIT}/img/a.exr": "stall"}) as url:
        t0 = time.monotonic()
        res = fetch.fetch_file(rf, tmp_path / "c", url, timeout=0.5)
        elapsed = time.monotonic() - t0
    assert_one_line_and_nothing_cached(res, tmp_path / "c")
    assert res.error == (
        f"img/a.exr: reading {url}/photos/{COMMIT}/img/a.exr failed: timed out: no data for 0.5 s; "
        "nothing was written to the cache"
    )
    assert elapsed < 10  # gave up after the timeout, did not wait for the server (30 s)


def test_http_failures_through_fetch_dataset(tmp_path: Path) -> None:
    """One file cut short, one corrupt, one fine: all attempted, the good one cached, the error
    lists both failures, and it is a ChecksumError because one had the wrong content."""
    bad = dict(CONTENT, **{"img/b.hdr": b"\0" * len(CONTENT["img/b.hdr"])})
    mirror = make_mirror(tmp_path / "mirror", content=bad)
    with serve(mirror, {f"/photos/{COMMIT}/img/a.exr": "truncate"}) as url:
        with pytest.raises(ChecksumError) as info:
            fetch.fetch_dataset(
                fake_dataset(), cache=tmp_path / "c", mirror=url, progress=False, log=lambda m: None
            )
    lines = str(info.value).splitlines()
    assert lines[0] == "2 of 3 files of dataset 'fake' failed:"
    assert "transfer cut short" in lines[1] and "img/b.hdr from" in lines[2]
    assert cache_files(tmp_path / "c") == [f"downloads/photos/{COMMIT}/LICENSE"]


def test_cli_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(registry.DATASETS, "fake", fake_dataset())
    good = make_mirror(tmp_path / "good")
    args = ["data", "fetch", "--dataset", "fake", "--cache", str(tmp_path / "c"), "--no-progress"]
    assert cli.itmn_main([*args, "--mirror", str(good)]) == 0
    assert "3 fetched" in capsys.readouterr().err
    bad = make_mirror(tmp_path / "bad", content=dict(CONTENT, **{"LICENSE": b"changed"}))
    assert (
        cli.itmn_main(
            [
                "data",
                "fetch",
                "--dataset",
                "fake",
                "--cache",
                str(tmp_path / "c2"),
                "--mirror",
                str(bad),
                "--no-progress",
            ]
        )
        == 1
    )
    assert "LICENSE from" in capsys.readouterr().err


def test_fetch_default_from_the_shared_mirror(tmp_path: Path, mirror: Path) -> None:
    ds = registry.get_dataset("default")
    res = fetch.fetch_dataset(ds, cache=tmp_path, mirror=str(mirror), progress=False, log=lambda m: None)
    assert len(res) == 20 and all(r.status == "downloaded" for r in res)
    res = fetch.fetch_dataset(ds, cache=tmp_path, mirror=str(mirror), progress=False, log=lambda m: None)
    assert all(r.status == "verified" for r in res)
    out = fetch.copy_licence_files(ds, tmp_path / "prepared", cache=tmp_path)
    assert [p.name for p in out] == ["openexr-images-COPYING"]
    assert "Industrial Light & Magic" in out[0].read_text()
