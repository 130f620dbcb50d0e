"""Test support for the training tests: small synthetic prepared datasets in the layout of docs/CONTRACTS.md, for training tests.

``make_prepared(root)`` writes ``hdr/*.exr`` (BT.2020 cd/m^2 in [0.005, 1000]), ``pq/*.npy``
(uint16 10-bit PQ codes), ``ldr/<tmo>/*.png`` (8-bit sRGB), ``manifest.json`` and
``splits.json``. The HDR images are smooth random fields with a few bright spots; the LDR
versions come from two simple operators (Reinhard's global curve and an exposure-and-clip
curve) so that a model has something to learn.

``python tests/itmn/train_support.py train ...`` runs the ``itmn train`` command, for subprocess
tests.
"""

from __future__ import annotations

import json
import sys
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


def run_training(config: Any, out: Path, resume: bool = True) -> Path:
    """:func:`itmn.train.run_training` with the validation metrics the command line passes
    (the metric registry's mpsnr and ssim)."""
    from bench.metrics.registry import metric_functions
    from itmn.train import run_training as run

    return run(config, out, resume, validation_metrics=metric_functions(("mpsnr", "ssim")))


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
    """``python tests/itmn/train_support.py train ...``: the ``itmn train`` command, for subprocess tests."""
    from bench.cli import itmn_main

    return itmn_main(argv)


if __name__ == "__main__":
    sys.exit(main())
