"""Test support for the training tests: small synthetic prepared datasets in the layout of docs/CONTRACTS.md, for training tests.

``make_prepared(root)`` writes ``hdr/*.exr`` (BT.2020 cd/m^2 in [0.005, 1000]), ``pq/*.npy``
(uint16 10-bit PQ codes), ``ldr/<tmo>/*.png`` (8-bit sRGB), ``manifest.json`` and
``splits.json``. The HDR images are smooth random fields with a few bright spots; the LDR
versions come from two simple operators (Reinhard's global curve and an exposure-and-clip
curve) so that a model has something to learn.

When ``itmn.data.dataset`` does not exist yet (it is written by another engineer),
:func:`install_contract_stand_in` registers a minimal implementation of the contract's
``PreparedDataset``/``PairDataset``/``resolve_prepared`` so the trainer can be tested; once the
real package exists, it is used and the stand-in is never installed.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

TMOS = ("reinhard_global", "clip")


def _field(rng: np.random.Generator, size: int) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    base = gaussian_filter(rng.normal(size=(size, size, 3)), sigma=(size / 8, size / 8, 0))
    base = (base - base.min()) / (np.ptp(base) + 1e-9)
    log_y = -1.0 + 3.5 * base  # log10 cd/m^2 in [-1, 2.5]
    img = 10.0**log_y
    yy, xx = np.mgrid[:size, :size]
    for _ in range(2):
        cy, cx = rng.integers(0, size, 2)
        img += 900.0 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (size / 20) ** 2))[..., None]
    return np.clip(img, 0.005, 1000.0).astype(np.float32)


def _tmo(hdr709: np.ndarray, kind: str) -> np.ndarray:
    from itmn import colour

    y = colour.luminance(hdr709, "bt709")
    if kind == "reinhard_global":
        lw = float(np.exp(np.mean(np.log(y + 1e-6))))
        l = 0.18 / lw * y
        lwhite = float(l.max())
        ld = l * (1 + l / lwhite**2) / (1 + l)
        out = hdr709 * (ld / np.maximum(y, 1e-9))[..., None]
    else:  # exposure and clip
        out = hdr709 / float(np.percentile(y, 90)) * 0.8
    return colour.srgb_encode(np.clip(out, 0, 1)).astype(np.float32)


def make_prepared(root: Path, n_train: int = 4, n_test: int = 2, size: int = 64, seed: int = 0) -> Path:
    """Write a synthetic prepared dataset to ``root`` and return ``root``."""
    from itmn import colour, hdrio

    rng = np.random.default_rng(seed)
    names = [f"img{i:02d}" for i in range(n_train + n_test)]
    for name in names:
        hdr709 = _field(rng, size)
        hdr2020 = np.clip(colour.bt709_to_bt2020(hdr709), 0.005, 1000.0).astype(np.float32)
        hdrio.write_exr(root / "hdr" / f"{name}.exr", hdr2020, primaries="bt2020")
        codes = np.rint(colour.pq_encode(hdr2020.astype(np.float64)) * 1023).astype(np.uint16)
        (root / "pq").mkdir(parents=True, exist_ok=True)
        np.save(root / "pq" / f"{name}.npy", codes)
        for tmo in TMOS:
            ldr = _tmo(np.clip(colour.bt2020_to_bt709(hdr2020), 0, None), tmo)
            hdrio.write_png(root / "ldr" / tmo / f"{name}.png", np.clip(ldr, 0, 1))
    (root / "splits.json").write_text(json.dumps({"train": names[:n_train], "test": names[n_train:]}))
    (root / "manifest.json").write_text(json.dumps({
        "protocol": "v1", "dataset": "synthetic", "source_manifest_sha256": "0" * 64,
        "images": [{"name": n} for n in names], "tmos": list(TMOS),
    }))  # fmt: skip
    return root


# --------------------------------------------------------------------------- contract stand-in
class PreparedDataset:
    """Minimal reader of the contract layout (only used while itmn.data does not exist)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest = json.loads((self.root / "manifest.json").read_text())
        self._splits = json.loads((self.root / "splits.json").read_text())
        self.tmos = sorted(p.name for p in (self.root / "ldr").iterdir() if p.is_dir())

    def names(self, split: str) -> list[str]:
        return list(self._splits[split])

    def load_hdr(self, name: str) -> np.ndarray:
        from itmn import hdrio

        img, _ = hdrio.read_hdr(self.root / "hdr" / f"{name}.exr")
        # read_hdr converts to BT.709; the file is BT.2020
        from itmn import colour

        return np.clip(colour.bt709_to_bt2020(img), 0.005, 1000.0).astype(np.float32)

    def load_pq(self, name: str) -> np.ndarray:
        return (np.load(self.root / "pq" / f"{name}.npy").astype(np.float32) / 1023.0).astype(np.float32)

    def load_ldr(self, name: str, tmo: str) -> np.ndarray:
        from itmn import hdrio

        return hdrio.read_ldr(self.root / "ldr" / tmo / f"{name}.png").astype(np.float32)


class PairDataset:
    def __init__(
        self, root: str | Path, split: str, crop: int, tmos: Any = None, flips: bool = True, seed: int = 0
    ):
        self.prep = PreparedDataset(root)
        self.split, self.crop, self.flips, self.seed = split, crop, flips, seed
        self.tmos = list(tmos) if tmos else self.prep.tmos
        self.items = self.prep.names(split)

    def __len__(self) -> int:
        return len(self.items)

    def sample(self, index: int, rng: np.random.Generator) -> dict[str, Any]:
        name = self.items[index % len(self.items)]
        tmo = self.tmos[int(rng.integers(len(self.tmos)))]
        ldr, hdr = self.prep.load_ldr(name, tmo), self.prep.load_pq(name)
        h, w = hdr.shape[:2]
        y, x = int(rng.integers(0, h - self.crop + 1)), int(rng.integers(0, w - self.crop + 1))
        ldr, hdr = ldr[y : y + self.crop, x : x + self.crop], hdr[y : y + self.crop, x : x + self.crop]
        if self.flips and rng.random() < 0.5:
            ldr, hdr = ldr[:, ::-1], hdr[:, ::-1]
        return {"ldr": np.ascontiguousarray(ldr.transpose(2, 0, 1)), "hdr": np.ascontiguousarray(hdr.transpose(2, 0, 1)),
                "name": name, "tmo": tmo}  # fmt: skip

    def batch_for_iteration(self, iteration: int, batch_size: int) -> dict[str, Any]:
        import torch

        rng = np.random.default_rng([self.seed, iteration])
        idx = rng.integers(0, len(self.items), batch_size)
        samples = [self.sample(int(i), rng) for i in idx]
        return {"ldr": torch.from_numpy(np.stack([s["ldr"] for s in samples])),
                "hdr": torch.from_numpy(np.stack([s["hdr"] for s in samples])),
                "name": [s["name"] for s in samples], "tmo": [s["tmo"] for s in samples]}  # fmt: skip


def resolve_prepared(dataset: str, cache: Any = None) -> Path:
    p = Path(dataset)
    if not (p / "manifest.json").is_file():
        raise FileNotFoundError(f"{dataset}: not a prepared dataset")
    return p


def install_contract_stand_in() -> bool:
    """Register the stand-in as itmn.data.dataset/registry if the real ones are missing.
    Returns True when the stand-in is in use."""
    try:
        importlib.import_module("itmn.data.dataset")
        importlib.import_module("itmn.data.registry")
        return False
    except ImportError:
        pass
    ds = types.ModuleType("itmn.data.dataset")
    ds.PreparedDataset, ds.PairDataset = PreparedDataset, PairDataset  # type: ignore[attr-defined]
    reg = types.ModuleType("itmn.data.registry")
    reg.resolve_prepared = resolve_prepared  # type: ignore[attr-defined]
    sys.modules["itmn.data.dataset"], sys.modules["itmn.data.registry"] = ds, reg
    return True


# --------------------------------------------------------------------------- test helpers
def session_dataset(tmp_path_factory: Any, size: int = 64) -> Path:
    """One synthetic prepared dataset per test session (building it takes a few seconds)."""
    root = tmp_path_factory.getbasetemp() / f"synthetic-prepared-{size}"
    if not (root / "splits.json").exists():
        make_prepared(root, size=size)
    return root


def tiny_config(dataset: Path, **overrides: Any) -> Any:
    """A seconds-long iTMN configuration on ``dataset`` (dotted-key overrides)."""
    from itmn.train.config import set_value
    from itmn.train.profiles import get_profile

    config = get_profile("smoke")
    values = {
        "data.dataset": str(dataset), "data.crop": 32, "data.val_images": 1,
        "model.generator.widths": (4, 8, 8, 8, 8), "model.discriminator.widths": (4, 8),
        "model.discriminator.fc": (8,), "model.discriminator.pool": 2,
        "run.batch_size": 2, "run.iterations": 12, "run.checkpoint_every": 4, "run.threads": 1,
        "run.progress": False, "run.tensorboard": False, "run.keep_checkpoints": 1,
    }  # fmt: skip
    values.update(overrides)
    for k, v in values.items():
        set_value(config, k, v)
    config.name = "tiny"
    return config


def state_dicts(run_dir: Path) -> dict[str, dict[str, Any]]:
    from itmn.train.checkpoint import read_checkpoint

    ck = read_checkpoint(Path(run_dir) / "checkpoints" / "last.pt")
    return {"nets": ck["nets"], "optimizers": ck["optimizers"], "iteration": ck["iteration"]}


def assert_bit_identical(a: Any, b: Any, where: str = "") -> None:
    """Recursively compare nested dicts/lists of tensors and numbers exactly."""
    import torch

    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b), (
            f"{where}: tensors differ (max |diff| {float((a.double() - b.double()).abs().max())})"
        )
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a)} vs {sorted(b)}"
        for k in a:
            assert_bit_identical(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_bit_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def main(argv: list[str] | None = None) -> int:
    """``python tests/itmn/train_support.py train ...``: the ``itmn train`` command (with the
    contract stand-in when itmn.data is missing), for subprocess tests."""
    install_contract_stand_in()
    from itmn.cli import build_parser, run

    return run(build_parser("itmn", "itmn train (test entry)", ["itmn.train.cli"]), argv)


if __name__ == "__main__":
    sys.exit(main())
