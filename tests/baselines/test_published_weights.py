"""The pinned weights files: verified fetching from the cache or a mirror, the licence kept beside,
and refusal -- naming the file and both hashes, loading nothing -- of a copy that fails its checksum."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from baselines.published import _common
from baselines.published.weights import WEIGHTS, cached_state, get_weights, load_state_dict, resolve
from bench import cli
from itmn.errors import ChecksumError, ConfigError, ItmnError

NAMES = ["expandnet", "lhdr", "hdrtvdm", "hdrtvdm-3dm", "hdrtvdm-davinci"]


def test_the_pinned_table():
    assert list(WEIGHTS) == NAMES
    for w in WEIGHTS.values():
        assert len(w.file.sha256) == 64 and len(w.file.commit) == 40 and w.file.size > 1_000_000
        assert w.licence_file.repo == w.file.repo and w.licence_file.commit == w.file.commit
        assert w.licence_file.relpath.parent.parts[:2] == w.file.relpath.parts[:2]  # beside the weights
        assert w.file.url.startswith(f"https://raw.githubusercontent.com/{w.file.repo}/{w.file.commit}/")
    assert {w.licence for w in WEIGHTS.values()} == {"BSD-3-Clause-Clear", "MPL-2.0"}
    assert get_weights("hdrtvdm", "params_3DM") is WEIGHTS["hdrtvdm-3dm"]
    assert get_weights("hdrtvdm") is WEIGHTS["hdrtvdm"] and get_weights("lhdr").key == "params"
    with pytest.raises(ConfigError, match="known"):
        get_weights("hdrtvdm", "params_4DM")


def test_the_pinned_hashes_are_the_mirror_s(shared: Path):
    """The table agrees with the offline mirror's SHA256SUMS (an independent record of the files)."""
    sums = {}
    for line in (shared / "data" / "mirror" / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            sha, rel = line.split(maxsplit=1)
            sums[rel.strip().removeprefix("./")] = sha
    for w in WEIGHTS.values():
        for rf in w.files:
            assert sums[str(rf.relpath)] == rf.sha256, rf.relpath


def _corrupt_mirror(root: Path, name: str = "expandnet") -> tuple[Path, str]:
    """A mirror whose copy of ``name``'s weights has other bytes (the licence is absent)."""
    rf = WEIGHTS[name].file
    path = root / rf.relpath
    path.parent.mkdir(parents=True)
    data = b"these are not the released weights" * 100
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


@pytest.fixture
def no_torch_load(monkeypatch: pytest.MonkeyPatch) -> list:
    import torch

    calls: list = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("torch.load must not be reached")

    monkeypatch.setattr(torch, "load", refuse)
    _common.clear_model_cache()
    yield calls
    _common.clear_model_cache()


def test_a_corrupt_copy_is_refused_and_nothing_is_loaded(tmp_path: Path, no_torch_load):
    bad, actual = _corrupt_mirror(tmp_path / "mirror")
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError) as err:
        load_state_dict(WEIGHTS["expandnet"], cache, str(tmp_path / "mirror"))
    msg = str(err.value)
    assert str(bad) in msg and actual in msg and WEIGHTS["expandnet"].file.sha256 in msg
    assert "nothing was loaded" in msg
    assert not (cache / "downloads" / WEIGHTS["expandnet"].file.relpath).exists()
    assert no_torch_load == []


def test_the_registry_and_the_cli_refuse_it_too(tmp_path: Path, monkeypatch, no_torch_load, capsys):
    from baselines.registry import get_method
    from itmn.hdrio import write_png

    bad, actual = _corrupt_mirror(tmp_path / "mirror")
    monkeypatch.setenv("ITMN_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ITMN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ChecksumError, match=actual):
        get_method("expandnet")
    write_png(tmp_path / "in.png", __import__("numpy").full((8, 8, 3), 0.5, "float32"))
    assert cli.itmn_main(["expand", "-m", "expandnet", str(tmp_path / "in.png"), str(tmp_path / "out.exr")]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and actual in err and WEIGHTS["expandnet"].file.sha256 in err
    assert not (tmp_path / "out.exr").exists() and no_torch_load == []
    assert cli.itmn_main(["models", "fetch", "expandnet", "--mirror", str(tmp_path / "mirror")]) == 1
    assert actual in capsys.readouterr().err


def test_a_local_file_with_other_content_is_refused(tmp_path: Path, no_torch_load):
    local = tmp_path / "weights.pth"
    local.write_bytes(b"\0" * 64)
    with pytest.raises(ChecksumError) as err:
        load_state_dict(WEIGHTS["lhdr"], path=local)
    assert str(local) in str(err.value) and hashlib.sha256(b"\0" * 64).hexdigest() in str(err.value)
    assert WEIGHTS["lhdr"].file.sha256 in str(err.value) and no_torch_load == []


def test_missing_everywhere_says_how_to_get_it(tmp_path: Path, monkeypatch):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ItmnError, match="itmn models fetch") as err:
        resolve(WEIGHTS["lhdr"], tmp_path / "cache", str(tmp_path / "empty"))
    assert not isinstance(err.value, ChecksumError) and "params.pth" in str(err.value)


def test_fetch_puts_the_licence_beside_and_repairs_a_corrupt_cache(tmp_path: Path, weights_source):
    cache = tmp_path / "cache"
    entry = WEIGHTS["lhdr"]
    assert cached_state(entry, cache) == "missing"
    path = resolve(entry, cache, weights_source["mirror"])
    assert path == cache / "downloads" / entry.file.relpath
    assert (path.parent / "LICENSE").is_file() and cached_state(entry, cache) == "verified"
    assert "Mozilla Public License" in (path.parent / "LICENSE").read_text()
    path.write_bytes(b"damaged")
    assert cached_state(entry, cache) == "corrupt"
    notes: list[str] = []
    assert resolve(entry, cache, weights_source["mirror"], log=notes.append) == path
    assert cached_state(entry, cache) == "verified" and "corrupt" in " ".join(notes)


def test_models_list_and_fetch(tmp_path: Path, weights_source, capsys):
    cache = str(tmp_path / "cache")
    assert cli.itmn_main(["models", "list", "--cache", cache]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out and WEIGHTS[name].file.sha256 in out
    assert "missing" in out and "verified" not in out and "BSD-3-Clause-Clear" in out
    fetch = ["models", "fetch", "lhdr", "hdrtvdm-3dm", "--cache", cache, "--mirror", weights_source["mirror"]]
    assert cli.itmn_main(fetch) == 0
    assert "lhdr:" in capsys.readouterr().out
    assert cli.itmn_main(["models", "list", "--cache", cache, "--json"]) == 0
    rows = {r["method"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["lhdr"]["cached"] == "verified" and rows["hdrtvdm-3dm"]["cached"] == "verified"
    assert rows["expandnet"]["cached"] == "missing"
    assert cli.itmn_main(["models", "fetch", "nonexistent", "--cache", cache]) == 1
    assert "unknown weights 'nonexistent'" in capsys.readouterr().err
