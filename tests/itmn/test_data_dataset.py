"""PreparedDataset and PairDataset (docs/CONTRACTS.md): readers, seeded crops/flips/TMO choice,
and batches that depend only on (seed, iteration)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from itmn import hdrio
from itmn.data import prepare
from itmn.data.dataset import PairDataset, PreparedDataset
from itmn.errors import ItmnError

SIZE = 32


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared folder dataset: 8 synthetic images at 32 x 32 (6 train, 2 test)."""
    from scipy.ndimage import gaussian_filter

    base = tmp_path_factory.mktemp("data")
    src = base / "src"
    src.mkdir()
    rng = np.random.default_rng(1)
    for i in range(8):
        f = gaussian_filter(rng.normal(size=(40, 48, 3)), (4, 4, 0))
        hdrio.write_exr(src / f"im{i}.exr", np.exp(4 * f / f.std()).astype(np.float32))
    out = base / "prepared"
    prepare.prepare_dataset(
        src, out=out, params=prepare.PrepareParams(size=SIZE), progress=False, log=lambda m: None
    )
    return out


def test_prepared_dataset_reads_the_contract_layout(root: Path) -> None:
    ds = PreparedDataset(root)
    assert ds.names("test") == ["im0", "im4"] and len(ds.names("train")) == 6 and len(ds.names("all")) == 8
    assert ds.tmos == ["reinhard_global", "reinhard_local", "drago", "camera_clip"]
    assert ds.manifest["n_images"] == 8
    hdr = ds.load_hdr("im0")
    assert (
        hdr.dtype == np.float32 and hdr.shape == (SIZE, SIZE, 3) and hdr.min() >= 0.005 and hdr.max() <= 1000
    )
    raw, _ = hdrio.read_hdr(root / "hdr/im0.exr", out_primaries="bt2020")
    np.testing.assert_array_equal(hdr, raw)  # BT.2020 exactly as stored
    pq = ds.load_pq("im0")
    np.testing.assert_array_equal(pq, np.load(root / "pq/im0.npy").astype(np.float32) / 1023)
    assert pq.dtype == np.float32 and 0 <= pq.min() and pq.max() <= 1
    ldr = ds.load_ldr("im0", "drago")
    assert ldr.dtype == np.float32 and ldr.shape == (SIZE, SIZE, 3)
    np.testing.assert_array_equal(np.rint(ldr * 255), ds.load_ldr_codes("im0", "drago"))


def test_prepared_dataset_errors(root: Path, tmp_path: Path) -> None:
    ds = PreparedDataset(root)
    with pytest.raises(ItmnError, match="no LDR images of operator 'durand'"):
        ds.load_ldr("im0", "durand")
    assert ds.names("val") == []  # a folder without a validation split
    with pytest.raises(ItmnError, match="unknown split 'validation'; expected one of train, val, test, all"):
        ds.names("validation")
    with pytest.raises(ItmnError, match=r"nope.exr: missing from the prepared dataset"):
        ds.load_hdr("nope")
    with pytest.raises(ItmnError, match="manifest.json: missing"):
        PreparedDataset(tmp_path)


def test_sample_is_a_crop_of_the_stored_pair(root: Path) -> None:
    ds = PairDataset(root, "train", crop=16, seed=3)
    prep = PreparedDataset(root)
    rng = np.random.default_rng(0)
    seen_flip = set()
    for _ in range(12):
        s = ds.sample(2, rng)
        assert s["ldr"].shape == s["hdr"].shape == (3, 16, 16) and s["ldr"].dtype == np.float32
        y, x = s["crop"]
        ldr = prep.load_ldr(s["name"], s["tmo"])[y : y + 16, x : x + 16]
        pq = prep.load_pq(s["name"])[y : y + 16, x : x + 16]
        if s["flip"]:
            ldr, pq = ldr[:, ::-1], pq[:, ::-1]
        np.testing.assert_array_equal(s["ldr"], ldr.transpose(2, 0, 1))
        np.testing.assert_array_equal(s["hdr"], pq.transpose(2, 0, 1))
        seen_flip.add(s["flip"])
    assert seen_flip == {True, False}


def test_batches_depend_only_on_seed_and_iteration(root: Path) -> None:
    a = PairDataset(root, "train", crop=8, seed=5)
    first = [a.batch_for_iteration(i, 4) for i in range(6)]
    b = PairDataset(root, "train", crop=8, seed=5)  # a "resumed" run: fresh object, starts at 4
    for i in (4, 5, 2):
        bb = b.batch_for_iteration(i, 4)
        assert torch.equal(bb["ldr"], first[i]["ldr"]) and torch.equal(bb["hdr"], first[i]["hdr"])
        assert bb["name"] == first[i]["name"] and bb["tmo"] == first[i]["tmo"]
    c = PairDataset(root, "train", crop=8, seed=6)
    assert not torch.equal(c.batch_for_iteration(0, 4)["ldr"], first[0]["ldr"])
    batch = first[0]
    assert batch["ldr"].shape == (4, 3, 8, 8) and batch["hdr"].dtype == torch.float32
    assert set(batch) >= {"ldr", "hdr", "name", "tmo"}


def test_every_image_once_per_epoch_and_every_tmo_drawn(root: Path) -> None:
    ds = PairDataset(root, "train", crop=8, seed=0)
    n = len(ds)
    idx = [i for it in range(n) for i in ds.indices_for_iteration(it, 2)]  # 2 epochs of 6 images
    assert sorted(idx[:n]) == list(range(n)) and sorted(idx[n:]) == list(range(n))
    assert idx[:n] != idx[n:]  # a new order each epoch
    tmos = [t for it in range(20) for t in ds.batch_for_iteration(it, 3)["tmo"]]
    assert set(tmos) == set(ds.tmos)


def test_options(root: Path) -> None:
    ds = PairDataset(root, "test", crop=(8, 12), tmos=["reinhard_global"], flips=False, seed=1)
    b = ds.batch_for_iteration(0, 5)
    assert (
        b["ldr"].shape == (5, 3, 8, 12)
        and set(b["tmo"]) == {"reinhard_global"}
        and set(b["name"]) <= {"im0", "im4"}
    )
    assert not any(ds.sample(0, np.random.default_rng(k))["flip"] for k in range(20))
    s1, s2 = ds[1], ds[1]  # __getitem__ is seeded by the index
    assert np.array_equal(s1["ldr"], s2["ldr"]) and s1["name"] == "im4"


def test_pair_dataset_errors(root: Path) -> None:
    with pytest.raises(ItmnError, match="smaller than the crop"):
        PairDataset(root, "train", crop=64).batch_for_iteration(0, 1)
    with pytest.raises(ItmnError, match="no LDR images of operator 'clip'"):
        PairDataset(root, "train", crop=8, tmos=["clip"])
    with pytest.raises(ValueError, match="iteration must be >= 0"):
        PairDataset(root, "train", crop=8).batch_for_iteration(-1, 2)


def test_resolve_prepared_and_the_trainer_contract(root: Path) -> None:
    from itmn.data.registry import resolve_prepared

    assert resolve_prepared(root) == root
    assert json.loads((root / "splits.json").read_text())["test"] == PreparedDataset(root).names("test")
