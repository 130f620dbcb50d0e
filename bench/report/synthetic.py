"""A synthetic results folder with its work folder and prepared dataset, for tests and for
measuring report sizes (``python -m bench.report.measure``) without running a reproduction.

The layout is the one ``bench.reproduce`` writes (docs/CONTRACTS.md): ``results/<slug>/``
(``scores.csv``, ``table1.csv``, ``metadata.json``), ``work/<slug>/`` (``predictions/<method>/
<image>.exr`` in BT.2020 cd/m^2, ``scores/<method>/<image>.json``, ``runs/<run>/log.csv``) and a
prepared dataset (``manifest.json``, ``splits.json``, ``hdr/<image>.exr``). The scores are made
up (the report shows them, it does not check them against the pixels).

Images: ``natural`` content is a procedural stand-in for a photograph (sky gradient, 1/f
texture, a few light sources, 0.005 to 1000 cd/m^2) with "methods" that perturb it the way
expansion methods do (gain fields, blur, noise, clipped highlights); ``noise`` is uniform noise
in log luminance, the worst case for every image codec. Real references can be passed instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from itmn import colour
from itmn.atomic import write_json as write_json_atomic
from itmn.hdrio import write_exr

SLUG = "synthetic"
LUM_RANGE = (0.005, 1000.0)


@dataclass(frozen=True)
class Fixture:
    results: Path  # results/<slug>
    work: Path  # work/<slug>
    dataset: Path  # prepared dataset root
    images: list[str]
    methods: list[str]


def _pink(rng: np.random.Generator, h: int, w: int, slope: float = 1.0) -> np.ndarray:
    """Gaussian noise with amplitude spectrum 1/f^slope (natural images: about 1), unit std."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    spec = (rng.standard_normal((h, w // 2 + 1)) + 1j * rng.standard_normal((h, w // 2 + 1))) / f**slope
    spec[0, 0] = 0
    field = np.fft.irfft2(spec, s=(h, w))
    return field / (field.std() + 1e-12)


def natural_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """A photograph-like HDR image, BT.2020 cd/m^2 in [0.005, 1000], size x size x 3."""
    y = np.linspace(0, 1, size)[:, None] * np.ones((1, size))
    log_l = 1.2 - 1.6 * y + 0.35 * _pink(rng, size, size, 1.6)  # log10 cd/m^2: bright sky, darker ground
    yy, xx = np.mgrid[0:size, 0:size] / size
    for _ in range(int(rng.integers(1, 4))):  # light sources
        cy, cx, r = rng.random(), rng.random(), 0.01 + 0.04 * rng.random()
        log_l = np.maximum(log_l, 3.0 - ((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r) * 0.4)
    lum = np.clip(10.0**log_l, *LUM_RANGE)
    chroma = 1.0 + 0.25 * np.stack([_pink(rng, size, size, 2.0) for _ in range(3)], axis=-1)
    rgb = np.clip(lum[..., None] * np.clip(chroma, 0.3, 2.0), *LUM_RANGE)
    return np.clip(colour.bt709_to_bt2020(rgb), *LUM_RANGE).astype(np.float32)


def noise_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """Uniform noise in log luminance over the whole display range: incompressible."""
    return (10.0 ** rng.uniform(np.log10(LUM_RANGE[0]), np.log10(LUM_RANGE[1]), (size, size, 3))).astype(
        np.float32
    )


def perturb(ref: np.ndarray, rng: np.random.Generator, k: int) -> np.ndarray:
    """A 'prediction' of ``ref``: a different kind of error for each ``k``."""
    from scipy.ndimage import gaussian_filter

    h, w, _ = ref.shape
    out = ref.astype(np.float64)
    kind = k % 4
    if kind == 0:  # global tone error
        out = out ** (0.85 + 0.1 * rng.random()) * 2.0
    elif kind == 1:  # smooth local gain error (halo-like)
        out = out * np.exp(0.4 * gaussian_filter(rng.standard_normal((h, w)), h / 16)[..., None] * 4)
    elif kind == 2:  # lost detail (a different blur for every k: no two methods give the same file)
        s = 1.0 + 0.5 * rng.random()
        out = gaussian_filter(out, sigma=(s, s, 0))
    else:  # noise and clipped highlights
        out = np.minimum(out * np.exp(0.1 * rng.standard_normal(out.shape)), 200.0 + 300 * rng.random())
    return np.clip(out, *LUM_RANGE).astype(np.float32)


def write_fixture(
    root: str | Path,
    *,
    n_images: int = 3,
    n_methods: int = 2,
    size: int = 64,
    content: str = "natural",
    references: Sequence[np.ndarray] | None = None,
    seed: int = 0,
    curve_rows: int = 50,
) -> Fixture:
    """Write a results folder, its work folder and a prepared dataset under ``root``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    images = [f"img{i:02d}" for i in range(n_images)]
    methods = [f"method{j}" for j in range(n_methods)]
    results, work, ds = root / "results" / SLUG, root / "work" / SLUG, root / "dataset"
    (ds / "hdr").mkdir(parents=True, exist_ok=True)
    manifest_hash = f"synthetic-{seed}-{content}"
    write_json_atomic(
        ds / "manifest.json",
        {
            "protocol": "v1",
            "dataset": "synthetic",
            "source_manifest_sha256": manifest_hash,
            "tmos": [],
            "images": images,
        },
    )
    write_json_atomic(ds / "splits.json", {"train": [], "test": images})
    rows = []
    for i, name in enumerate(images):
        if references is not None:
            ref = np.asarray(references[i % len(references)], dtype=np.float32)
            ref = ref if i < len(references) else ref[:, ::-1].copy()
        else:
            ref = noise_image(rng, size) if content == "noise" else natural_image(rng, size)
        write_exr(ds / "hdr" / f"{name}.exr", ref, primaries="bt2020")
        for j, m in enumerate(methods):
            pred = noise_image(rng, ref.shape[0]) if content == "noise" else perturb(ref, rng, j)
            path = write_exr(work / "predictions" / m / f"{name}.exr", pred, primaries="bt2020")
            row = {
                "hdrvdp2": float(50 + 10 * rng.random()),
                "mpsnr": float(15 + 10 * rng.random()),
                "ssim": float(rng.random()),
            }
            from itmn.fingerprint import sha256_file

            write_json_atomic(work / "scores" / m / f"{name}.json", {"sha256": sha256_file(path), "row": row})
            rows.append({"method": m, "image": name, **row})
    import pandas as pd

    results.mkdir(parents=True, exist_ok=True)
    scores = pd.DataFrame(rows)
    scores.to_csv(results / "scores.csv", index=False, float_format="%.10g")
    summary = []
    for m in methods:
        s = scores[scores["method"] == m]
        rec: dict[str, object] = {"method": m, "label": m.replace("method", "Method ")}
        for c in ("hdrvdp2", "mpsnr", "ssim"):
            v = s[c].to_numpy()
            rec.update({f"{c}_mean": v.mean(), f"{c}_ci_lo": v.min(), f"{c}_ci_hi": v.max()})
        rec["n_images"] = len(s)
        summary.append(rec)
    pd.DataFrame(summary).to_csv(results / "table1.csv", index=False, float_format="%.6g")
    (results / "table1.md").write_text(
        "# Table 1: synthetic methods\n\n| method | note |\n|---|---|\n| method0 | first |\n\nMade up numbers.\n"
    )
    runs = {}
    for m in methods:
        rd = work / "runs" / f"{m}-run"
        rd.mkdir(parents=True, exist_ok=True)
        it = np.arange(1, curve_rows + 1)
        loss = np.exp(-it / (curve_rows / 3)) * (1 + 0.1 * rng.random(curve_rows)) + 0.01
        pd.DataFrame({"iteration": it, "content": loss, "mse": loss / 10, "lr": 1e-4}).to_csv(
            rd / "log.csv", index=False
        )
        runs[m] = {"run_dir": str(rd), "config_hash": "0" * 64}
    from bench.metrics.registry import get_metric

    meta = {
        "created_utc": "2026-01-01T00:00:00+00:00",
        "command_line": ["synthetic fixture"],
        "git": {"commit": "0" * 40, "dirty": False},
        "protocol_version": "v1",
        "table": "table1",
        "profile": "synthetic",
        "dataset": str(ds),
        "dataset_manifest_hash": manifest_hash,
        "test_images": images,
        "metric_configs": {m: get_metric(m).config(30.0) for m in ("hdrvdp2", "mpsnr", "ssim")},
        "method_configs": {m: f"{m} synthetic | protocol v1" for m in methods},
        "training_runs": runs,
        "work_dir": str(work),
        "prepared_dataset": str(ds),
    }
    (results / "metadata.json").write_text(json.dumps(meta, indent=2))
    return Fixture(results, work, ds, images, methods)
