"""Evaluate any LDR-to-HDR method on a prepared test split, under the same protocol for everyone.

Three kinds of method (a *target*):

* a registered method (``baselines.registry``), e.g. ``huo`` or ``itmn --checkpoint RUN``;
* a user's Python callable ``module:function`` implementing ``expand(ldr) -> hdr`` (protocol v1
  §3: LDR H x W x 3 in [0, 1] -> linear BT.2020 cd/m^2; the output is checked and clipped to
  [0.005, 1000] like every other method's);
* a folder of predicted HDR files named like the test images (``<name>.exr|.hdr|.pfm|.npy``,
  absolute cd/m^2; EXR chromaticities are honoured, files without them are taken as ``primaries``).

Stages are resumable: predictions are written atomically (a file that exists is complete), and
each (method, image) score is cached in a JSON file keyed by the prediction's sha256 and the
metric configuration strings.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm  # terminal bars (tqdm.auto warns when IPython without ipywidgets is installed)

from itmn.atomic import write_json
from itmn.errors import ConfigError, ImageError
from itmn.hdrio import read_hdr, write_exr

#: Metrics written for every image (the paper's three first, then the protocol's extras).
DEFAULT_METRICS = ("hdrvdp2", "mpsnr", "ssim", "mpsnr_toolbox", "pu21_psnr", "pu21_ssim")
TEST_TMO = "reinhard_global"
PRED_EXTENSIONS = (".exr", ".hdr", ".pfm", ".npy")


@dataclass
class Target:
    """Something that produces HDR predictions for the test images."""

    name: str
    config: str
    kind: str  # "registered" | "callable" | "predictions"
    expand: Callable[[np.ndarray], tuple[np.ndarray, dict[str, Any]]] | None = None
    predictions_dir: Path | None = None
    primaries: str = "bt2020"
    info: dict[str, Any] = field(default_factory=dict)

    def prediction_files(self) -> dict[str, Path]:
        """``{image name: file}`` of a predictions folder, read by the suite's one folder rule
        (:func:`itmn.paths.list_folder`: hidden files such as an interrupted write's temporary
        file are not predictions); ItmnError when two files hold one image (``a.exr``, ``a.npy``)."""
        from itmn.paths import list_folder

        if self.predictions_dir is None:
            raise ConfigError(f"{self.name}: not a predictions folder")
        return list_folder(self.predictions_dir, PRED_EXTENSIONS).by_stem("prediction")


# --------------------------------------------------------------------------- targets
def registered_target(name: str, *, label: str | None = None, **params: Any) -> Target:
    """A method from the registry, built with ``params`` (e.g. ``checkpoint=``, ``device=``)."""
    from baselines.registry import get_method

    method = get_method(name, **{k: v for k, v in params.items() if v is not None})

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        hdr, stats = method.expand_with_stats(ldr)
        return hdr, {"frac_clipped_low": stats.frac_clipped_low, "frac_clipped_high": stats.frac_clipped_high}

    info = {"learned": method.info.learned, "version": method.info.version, "params": _jsonable(method.info.params)}
    return Target(label or name, method.config_string(), "registered", expand=expand, info=info)


def callable_target(spec: str, *, label: str | None = None) -> Target:
    """A user's ``module:function`` (``module.sub:obj.attr`` also works); the object is called as
    ``fn(ldr) -> hdr``. If it is a class, it is instantiated without arguments and its ``expand``
    method is used."""
    if ":" not in spec:
        raise ConfigError(f"a user method must be given as module:function, got {spec!r}")
    mod_name, attr = spec.split(":", 1)
    try:
        obj: Any = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import module {mod_name!r} of {spec!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"{mod_name!r} has no attribute {attr!r} (from {spec!r})")
        obj = getattr(obj, part)
    if isinstance(obj, type):
        obj = obj()
    fn = getattr(obj, "expand", obj)
    if not callable(fn):
        raise ConfigError(f"{spec!r} is not callable")

    from itmn.images import check_ldr

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        out = np.asarray(fn(check_ldr(ldr, name=f"input of {spec}")), dtype=np.float32)
        return clip_to_display(out, source=f"output of {spec}", shape=ldr.shape)

    return Target(label or spec, f"user {spec} | clip [0.005, 1000] | protocol v1", "callable", expand=expand)


def predictions_target(directory: str | Path, *, label: str | None = None, primaries: str = "bt2020") -> Target:
    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(f"predictions folder {d} does not exist")
    return Target(
        label or d.name,
        f"predictions {d.name} | files as given ({primaries} when undeclared) | protocol v1",
        "predictions",
        predictions_dir=d,
        primaries=primaries,
    )


def clip_to_display(hdr: np.ndarray, *, source: str, shape: tuple[int, ...]) -> tuple[np.ndarray, dict[str, Any]]:
    """Check a method's output (shape, finite) and clip it to the display range [0.005, 1000]
    cd/m^2, returning the clipped fractions (protocol v1 §3)."""
    if hdr.shape != tuple(shape):
        raise ImageError(source, f"output shape {hdr.shape}", f"the input's shape {tuple(shape)}")
    n_bad = int((~np.isfinite(hdr)).sum())
    if n_bad:
        raise ImageError(source, f"{n_bad} non-finite output values", "finite cd/m^2")
    low, high = hdr < 0.005, hdr > 1000.0
    stats = {"frac_clipped_low": float(low.mean()), "frac_clipped_high": float(high.mean())}
    return np.clip(hdr, 0.005, 1000.0).astype(np.float32), stats


# --------------------------------------------------------------------------- expansion
def find_predictions(target: Target, names: Sequence[str]) -> dict[str, Path]:
    """The file of every test image in a predictions folder; ImageError listing every image
    without one."""
    files = target.prediction_files()
    missing = [n for n in names if n not in files]
    if missing:
        shown = ", ".join(missing[:20]) + (f", ... ({len(missing) - 20} more)" if len(missing) > 20 else "")
        raise ImageError(
            target.predictions_dir, f"no prediction for {len(missing)} test image(s): {shown}",
            f"a file <name>{{{','.join(PRED_EXTENSIONS)}}} per test image",
        )  # fmt: skip
    return {n: files[n] for n in names}


def expand_split(
    target: Target,
    dataset: Any,
    names: Sequence[str],
    out_dir: Path,
    *,
    tmo: str = TEST_TMO,
    progress: bool = True,
) -> dict[str, Path]:
    """Write ``out_dir/<name>.exr`` (BT.2020 cd/m^2) for every test image, skipping images whose
    prediction already exists (files are written atomically, so an existing file is complete).
    For a predictions target, return the user's files instead (nothing is written)."""
    if target.kind == "predictions":
        return find_predictions(target, names)
    assert target.expand is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    todo = [n for n in names if not (out_dir / f"{n}.exr").is_file()]
    for n in names:
        paths[n] = out_dir / f"{n}.exr"
    for name in tqdm(todo, desc=f"expand {target.name}", unit="img", disable=not progress or not todo, leave=False):
        ldr = dataset.load_ldr(name, tmo)
        hdr, stats = target.expand(ldr)
        write_json(out_dir / f"{name}.stats.json", {"method": target.name, "config": target.config, **stats})
        write_exr(
            out_dir / f"{name}.exr",
            hdr,
            primaries="bt2020",
            attributes={"itmn:unit": "cd/m2", "itmn:method": target.config, "itmn:input_tmo": tmo},
        )
    return paths


# --------------------------------------------------------------------------- scoring
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_prediction(path: Path, primaries: str = "bt2020") -> tuple[np.ndarray, str]:
    """Read a prediction as (array, primaries): EXR/HDR/PFM through itmn.hdrio (BT.709 after
    honouring chromaticities), except files without declared chromaticities, which are taken to
    hold ``primaries``."""
    img, meta = read_hdr(path, out_primaries="bt2020")
    if meta.get("chromaticities") is not None:
        return img, "bt2020"  # declared primaries honoured; a BT.2020 file is read bit-exactly
    # undeclared: the reader assumed BT.709; take the values as stored, in the caller's primaries
    img, _ = read_hdr(path)
    return img, primaries


def score_image(
    pred: np.ndarray,
    pred_primaries: str,
    ref_bt2020: np.ndarray,
    metrics: Sequence[str],
    *,
    ppd: float = 30.0,
    source: str | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """All ``metrics`` for one image: (row of values incl. summary extras, configuration strings)."""
    from bench.metrics.registry import get_metric
    from itmn import colour

    if pred_primaries not in ("bt709", "bt2020"):
        raise ConfigError(f"primaries of a prediction must be 'bt709' or 'bt2020', got {pred_primaries!r}")
    if pred_primaries == "bt709":
        pred = np.clip(colour.convert_primaries(pred, "bt709", "bt2020"), 0.0, None)
    row: dict[str, Any] = {}
    configs: dict[str, str] = {}
    for name in metrics:
        metric = get_metric(name)
        res = metric(pred, ref_bt2020, primaries="bt2020", ppd=ppd, test_source=source)
        row[name] = res.value
        for key in metric.summary_extras:
            if key in res.extras:
                row[f"{name}_{key}"] = res.extras[key]
        configs[name] = res.config
    return row, configs


def score_split(
    target: Target,
    predictions: dict[str, Path],
    dataset: Any,
    cache_dir: Path,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    ppd: float = 30.0,
    progress: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Score every prediction against the dataset's HDR reference. Results are cached per image
    in ``cache_dir/<name>.json`` and reused when the prediction's sha256 and the metric
    configuration strings are unchanged."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    configs: dict[str, str] = {}
    for name in tqdm(list(predictions), desc=f"score {target.name}", unit="img", disable=not progress, leave=False):
        path = predictions[name]
        digest = _sha256(path)
        cache = cache_dir / f"{name}.json"
        cached = _read_cache(cache, digest, metrics, ppd)
        if cached is not None:
            row, cfg = cached
        else:
            pred, prim = load_prediction(path, target.primaries)
            ref = dataset.load_hdr(name)
            row, cfg = score_image(pred, prim, ref, metrics, ppd=ppd, source=str(path))
            stats_file = path.with_name(f"{name}.stats.json")
            if stats_file.is_file():
                st = json.loads(stats_file.read_text())
                row["frac_clipped_low"] = st.get("frac_clipped_low")
                row["frac_clipped_high"] = st.get("frac_clipped_high")
            write_json(cache, {"sha256": digest, "ppd": ppd, "metrics": list(metrics), "row": row, "configs": cfg})
        configs.update(cfg)
        rows.append({"method": target.name, "image": name, **row})
    return rows, configs


def _read_cache(cache: Path, digest: str, metrics: Iterable[str], ppd: float) -> tuple[dict, dict] | None:
    if not cache.is_file():
        return None
    try:
        data = json.loads(cache.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if data.get("sha256") != digest or data.get("ppd") != ppd or data.get("metrics") != list(metrics):
        return None
    from bench.metrics.registry import get_metric

    # a changed metric implementation changes its configuration string: recompute
    if any(get_metric(m).config(ppd) != data["configs"].get(m) for m in metrics):
        return None
    return data["row"], data["configs"]


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, int | float | str | bool | type(None)) else str(v)) for k, v in d.items()}
