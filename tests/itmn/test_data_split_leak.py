"""No test scene reaches training (PairDataset, the trainer's data) or model selection (the
validator), for public-v2's real split and for any dataset with a val split; and a dataset
without a val split is validated on test for monitoring only, flagged as not selectable.

The images are small synthetic HDR fields named and split like public-v2 (the split is what is
under test, not the pixels), prepared under protocol v2 at 32 px."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from itmn import hdrio
from itmn.data import prepare, registry
from itmn.data.dataset import PairDataset, PreparedDataset
from itmn.errors import ItmnError
from itmn.train.validation import Validator

QUIET = {"log": lambda msg: None, "progress": False}

#: a validation metric (the trainer is given its metrics by the caller)
_METRICS = {"mean_abs": lambda t, r: float(abs(t - r).mean())}


def synthetic_folder(root: Path, names: list[str], split: dict[str, list[str]]) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for i, n in enumerate(names):
        h, w = (32, 64) if i % 3 == 0 else (40, 48)  # some 2:1 "panoramas"
        img = np.exp(rng.normal(size=(h, w, 3))).astype(np.float32)
        img[h // 2, w // 3] = 500.0
        hdrio.write_exr(root / f"{n}.exr", img)
    (root / "splits.json").write_text(json.dumps(split))
    return root


def check_no_leak(out: Path, split: dict[str, list[str]]) -> None:
    held_out = set(split["test"])
    assert held_out.isdisjoint(split["train"]) and held_out.isdisjoint(split.get("val", []))
    # training: every sample of many iterations is a train image; nothing else is ever loaded
    ds = PairDataset(out, "train", crop=16, seed=1)
    assert set(ds.items) == set(split["train"])
    seen = {n for it in range(3 * len(ds.items)) for n in ds.batch_for_iteration(it, 2)["name"]}
    assert seen == set(split["train"])
    assert set(ds._pq) == set(split["train"]) and {n for n, _ in ds._ldr} <= set(split["train"])
    # the trainer's own data opening (itmn.train.trainer.open_data)
    from itmn.train.config import TrainConfig
    from itmn.train.trainer import open_data

    cfg = TrainConfig()
    cfg.data.dataset, cfg.data.crop = str(out), 16
    train, prepared, _ = open_data(cfg)
    assert set(train.items) == set(split["train"])
    # selection: the validator looks at val only, and may be used for selection
    v = Validator(prepared, "reinhard_global", _METRICS)
    assert v.split == "val" and v.selectable and v.enabled
    assert {name for name, _, _ in v.pairs} == set(split["val"])
    assert held_out.isdisjoint(name for name, _, _ in v.pairs)


def test_public_v2_split_keeps_test_scenes_out(tmp_path: Path) -> None:
    ds = registry.get_dataset("public-v2")
    split = ds.split()
    assert len(split["test"]) >= 20 and split["val"]
    names = [im.name for im in ds.images]
    out = tmp_path / "prepared"
    prepare.prepare_dataset(
        synthetic_folder(tmp_path / "src", names, split),
        out=out,
        params=prepare.PrepareParams(size=32),
        **QUIET,
    )
    assert PreparedDataset(out).names("test") == split["test"]
    check_no_leak(out, split)


def test_any_dataset_with_a_val_split(tmp_path: Path) -> None:
    names = [f"im{i}" for i in range(9)]
    split = {"train": names[:5], "val": names[5:7], "test": names[7:]}
    out = tmp_path / "prepared"
    prepare.prepare_dataset(
        synthetic_folder(tmp_path / "src", names, split),
        out=out,
        params=prepare.PrepareParams(size=32),
        **QUIET,
    )
    assert json.loads((out / "splits.json").read_text()) == split
    check_no_leak(out, split)


def test_without_val_the_test_split_is_monitoring_only(tmp_path: Path) -> None:
    names = [f"im{i}" for i in range(4)]
    split = {"train": names[:3], "test": names[3:]}
    out = tmp_path / "prepared"
    prepare.prepare_dataset(
        synthetic_folder(tmp_path / "src", names, split),
        out=out,
        params=prepare.PrepareParams(size=32),
        **QUIET,
    )
    v = Validator(PreparedDataset(out), "reinhard_global", _METRICS)
    assert v.split == "test" and not v.selectable
    assert "no val split: monitoring only, never for model selection" in v.status


@pytest.mark.parametrize("bad", [
    {"train": ["a"], "val": ["b"], "test": ["b", "c"]},
    {"train": ["a", "c"], "val": ["b", "c"], "test": []},
])  # fmt: skip
def test_a_scene_in_two_splits_is_refused(bad: dict[str, list[str]]) -> None:
    with pytest.raises(ItmnError, match="images in both"):
        registry.check_split(bad, ["a", "b", "c"], "splits.json")
