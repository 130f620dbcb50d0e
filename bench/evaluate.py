"""Evaluate any LDR-to-HDR method on a prepared test split, under the same protocol for everyone.

Three kinds of method (a *target*):

* a registered method (``baselines.registry``), e.g. ``huo`` or ``itmn --checkpoint RUN``;
* a user's Python callable ``module:function`` implementing ``expand(ldr) -> hdr`` (protocol v1
  §3: LDR H x W x 3 in [0, 1] -> linear BT.2020 cd/m^2; the output is checked and clipped to
  [0.005, 1000] like every other method's);
* a folder of predicted HDR files named like the test images (``<name>.exr|.hdr|.pfm|.npy``,
  absolute cd/m^2; EXR chromaticities are honoured, files without them are taken as ``primaries``).

Stages are resumable, and a cache is never stale: predictions are written atomically, each with
a record ``<name>.stats.json`` of what made it -- the method's configuration string, the sha256
of its weights (a learned method's checkpoint) and of its code (:meth:`Target.key`), and the
sha256 of the LDR input -- and a prediction is reused only while all of them are unchanged; each
(method, image) score is cached in a JSON file keyed by the prediction's and the reference's
sha256, the method's key and the metric configuration strings. What changed is said in one line
(``akyuz: parameters changed (a_gamma=3 vs 1); recomputing 5 predictions``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm  # terminal bars (tqdm.auto warns when IPython without ipywidgets is installed)

from itmn.atomic import write_json
from itmn.errors import ConfigError, ImageError, UserCodeError
from itmn.fingerprint import code_digest, code_files, sha256_file
from itmn.hdrio import read_hdr, write_exr
from itmn.protocol import Protocol, get_protocol

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)

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
    #: sha256 of the code the method runs, by module (:func:`itmn.fingerprint.code_digest`)
    code: dict[str, str] = field(default_factory=dict)
    #: sha256 of its weights, by role (``{"checkpoint": ...}`` for a learned method)
    weights: dict[str, str] = field(default_factory=dict)

    def key(self) -> dict[str, Any]:
        """What makes this method's predictions: configuration string, weights, code."""
        return {"config": self.config, "weights": self.weights, "code": self.code}

    def key_digest(self) -> str:
        """sha256 of :meth:`key` (what a cached score records)."""
        return hashlib.sha256(json.dumps(self.key(), sort_keys=True).encode()).hexdigest()

    def stale_reason(self, key: Any) -> str | None:
        """Why predictions made with ``key`` (a recorded :meth:`key`) are not this method's, in
        words ("parameters changed (a_gamma=3 vs 1)"), or None when they are."""
        if not isinstance(key, dict) or not {"config", "weights", "code"} <= key.keys():
            return "no record of the method that made the cached predictions"
        if key["config"] != self.config:
            return _config_change(str(key["config"]), self.config)
        if key["weights"] != self.weights:
            changed = sorted(k for k in {*key["weights"], *self.weights} if key["weights"].get(k) != self.weights.get(k))
            return "weights changed (" + ", ".join(
                f"{k} sha256 {str(self.weights.get(k))[:12]} vs {str(key['weights'].get(k))[:12]}" for k in changed
            ) + ")"  # fmt: skip
        if key["code"] != self.code:
            changed = sorted(m for m in {*key["code"], *self.code} if key["code"].get(m) != self.code.get(m))
            shown = ", ".join(changed[:6]) + (f", ... ({len(changed) - 6} more)" if len(changed) > 6 else "")
            return f"code changed ({shown})"
        return None

    def prediction_files(self) -> dict[str, Path]:
        """``{image name: file}`` of a predictions folder, read by the suite's one folder rule
        (:func:`itmn.paths.list_folder`: hidden files such as an interrupted write's temporary
        file are not predictions); ItmnError when two files hold one image (``a.exr``, ``a.npy``)."""
        from itmn.paths import list_folder

        if self.predictions_dir is None:
            raise ConfigError(f"{self.name}: not a predictions folder")
        return list_folder(self.predictions_dir, PRED_EXTENSIONS).by_stem("prediction")


# --------------------------------------------------------------------------- targets
def registered_target(
    name: str, *, label: str | None = None, protocol: str | Protocol | None = None, **params: Any
) -> Target:
    """A method from the registry, built with ``params`` (e.g. ``checkpoint=``, ``device=``);
    ``protocol``: the version of the dataset it is evaluated on (ends its configuration string)."""
    from baselines.registry import get_method

    method = get_method(name, **{k: v for k, v in params.items() if v is not None})

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        hdr, stats = method.expand_with_stats(ldr)
        return hdr, {"frac_clipped_low": stats.frac_clipped_low, "frac_clipped_high": stats.frac_clipped_high}

    info = {"learned": method.info.learned, "version": method.info.version, "params": _jsonable(method.info.params)}
    weights = {}
    if method.info.params.get("checkpoint"):
        from itmn.train.checkpoint import find_checkpoint

        weights["checkpoint"] = sha256_file(find_checkpoint(method.info.params["checkpoint"]))
    return Target(label or name, method.config_string(protocol), "registered", expand=expand, info=info,
                  code=code_digest(method.code_files()), weights=weights)  # fmt: skip


def folder_name(name: str) -> str:
    """The file-system-safe folder name of a method's predictions and scores under a work folder
    (``itmn-bench evaluate`` writes ``<work>/predictions/<folder_name(label)>/``; the report reads it)."""
    return "".join(c if c.isalnum() or c in "-_.[]=," else "_" for c in name)


def callable_target(spec: str, *, label: str | None = None, protocol: str | Protocol | None = None) -> Target:
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
        arr = check_ldr(ldr, name=f"input of {spec}")
        try:
            raw = fn(arr)
        except (Exception, SystemExit) as exc:  # the user's code: say whose, and where
            raise UserCodeError(_user_failure(spec, exc)) from exc
        return clip_to_display(_user_output(raw, spec), source=f"output of {spec}", shape=ldr.shape)

    # the user's package (or module) and this module's output check are the code of this target
    code = code_digest(code_files(fn, obj, clip_to_display, packages=(mod_name.split(".")[0],)))
    proto = get_protocol(protocol)
    config = f"user {spec} | clip {proto.display.range_text()} | {proto.tag}"
    return Target(label or spec, config, "callable", expand=expand, code=code)


def _user_output(raw: Any, spec: str) -> np.ndarray:
    """A user's output as float32, refusing what cannot be linear light in cd/m^2 (integers,
    booleans, non-numbers) instead of converting it silently."""
    try:
        arr = np.asarray(raw)
    except Exception as exc:  # noqa: BLE001 - anything numpy cannot take
        raise ImageError(f"output of {spec}", f"not an array ({type(raw).__name__}: {exc})", "an H x W x 3 float array") from None
    if not np.issubdtype(arr.dtype, np.floating):
        raise ImageError(
            f"output of {spec}", f"has dtype {arr.dtype}", "floating-point linear BT.2020 cd/m^2 (integer codes are not luminance)"
        )
    return arr.astype(np.float32, copy=False)


def _user_failure(spec: str, exc: BaseException) -> str:
    """``method X raised ValueError: ... (at file.py:12 in f)`` or ``method X called sys.exit(2)``."""
    if isinstance(exc, SystemExit):
        return f"method {spec} called sys.exit({exc.code!r}) instead of returning an image"
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if Path(f.filename).resolve() != Path(__file__).resolve()]
    where = f" (at {user[-1].filename}:{user[-1].lineno} in {user[-1].name})" if user else ""
    return f"method {spec} raised {type(exc).__name__}: {exc}{where}"


def predictions_target(
    directory: str | Path,
    *,
    label: str | None = None,
    primaries: str = "bt2020",
    protocol: str | Protocol | None = None,
) -> Target:
    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(f"predictions folder {d} does not exist")
    return Target(
        label or d.name,
        f"predictions {d.name} | files as given ({primaries} when undeclared) | {get_protocol(protocol).tag}",
        "predictions",
        predictions_dir=d,
        primaries=primaries,
    )


def _config_change(old: str, new: str) -> str:
    """'parameters changed (a_gamma=3 vs 1)' from two configuration strings, or 'configuration
    changed (...)' when no ``key=value`` differs (e.g. another version)."""

    def tokens(config: str) -> dict[str, str]:
        return dict(t.split("=", 1) for part in config.split(" | ") for t in part.split() if "=" in t)

    a, b = tokens(old), tokens(new)
    keys = [*b, *(k for k in a if k not in b)]
    diff = [f"{k}={b.get(k, '(none)')} vs {a.get(k, '(none)')}" for k in keys if a.get(k) != b.get(k)]
    if diff:
        return f"parameters changed ({', '.join(diff)})"
    return f"configuration changed ({new!r} vs {old!r})"


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
    log: Log = _stderr,
) -> dict[str, Path]:
    """Write ``out_dir/<name>.exr`` (BT.2020 cd/m^2) for every test image, reusing a prediction
    only while its record ``<name>.stats.json`` says it was made by this method (configuration,
    weights, code: :meth:`Target.key`) from this LDR input; what is recomputed because something
    changed is said through ``log``, one line per reason. Files are written atomically; the
    record is removed before and written after its image, so a record never vouches for an image
    it did not see. For a predictions target, return the user's files instead (nothing is written)."""
    if target.kind == "predictions":
        return find_predictions(target, names)
    assert target.expand is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    key = target.key()
    paths = {n: out_dir / f"{n}.exr" for n in names}
    inputs = {n: input_sha256(dataset, n, tmo) for n in names}
    todo: list[str] = []
    stale: dict[str, list[str]] = {}
    for n in names:
        if not paths[n].is_file():
            todo.append(n)
            continue
        record = _read_json(out_dir / f"{n}.stats.json")
        why = target.stale_reason(record.get("key"))
        if why is None and record.get("input_sha256") != inputs[n]:
            why = "the LDR input changed"
        if why is not None:
            stale.setdefault(why, []).append(n)
            todo.append(n)
    for why, which in stale.items():
        log(f"{target.name}: {why}; recomputing {len(which)} prediction{'s' if len(which) != 1 else ''}")
    for name in tqdm(todo, desc=f"expand {target.name}", unit="img", disable=not progress or not todo, leave=False):
        ldr = dataset.load_ldr(name, tmo)
        try:
            hdr, stats = target.expand(ldr)
        except UserCodeError as exc:
            raise UserCodeError(f"{exc}, on test image {name!r}") from exc.__cause__
        except ImageError as exc:  # a bad output: name the image it was made from
            where = f"test image {name!r}" if exc.source == "<array>" else f"{exc.source}, test image {name!r}"
            raise ImageError(where, exc.problem, exc.expected) from None
        except Exception as exc:  # a bug of a registered method: keep the traceback, say where
            exc.add_note(f"while expanding test image {name!r} with {target.config}")
            raise
        record_file = out_dir / f"{name}.stats.json"
        record_file.unlink(missing_ok=True)
        write_exr(
            paths[name],
            hdr,
            primaries="bt2020",
            attributes={"itmn:unit": "cd/m2", "itmn:method": target.config, "itmn:input_tmo": tmo},
        )
        write_json(record_file, {"method": target.name, "config": target.config, **stats,
                                 "key": key, "input_sha256": inputs[name]})  # fmt: skip
    return paths


def input_sha256(dataset: Any, name: str, tmo: str = TEST_TMO) -> str | None:
    """sha256 of a prepared dataset's LDR input file (the file itself, not the manifest's record of
    it); None when the dataset has no such file (an in-memory test double)."""
    return _dataset_file_sha256(dataset, Path("ldr") / tmo / f"{name}.png")


def reference_sha256(dataset: Any, name: str) -> str | None:
    """sha256 of a prepared dataset's HDR reference file (see :func:`input_sha256`)."""
    return _dataset_file_sha256(dataset, Path("hdr") / f"{name}.exr")


def _dataset_file_sha256(dataset: Any, rel: Path) -> str | None:
    root = getattr(dataset, "root", None)
    if root is None or not (Path(root) / rel).is_file():
        return None
    return sha256_file(Path(root) / rel)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- scoring
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
    protocol: str | Protocol | None = None,
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
        res = metric(pred, ref_bt2020, primaries="bt2020", ppd=ppd, test_source=source, protocol=protocol)
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
    log: Log = _stderr,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Score every prediction against the dataset's HDR reference. Results are cached per image
    in ``cache_dir/<name>.json`` and reused while the prediction's and the reference's sha256,
    the method (:meth:`Target.key_digest`), ``ppd`` and the metric configuration strings are
    unchanged; what is rescored because something changed is said through ``log``. The protocol of the strings is the dataset's."""
    protocol = getattr(dataset, "protocol", None)
    cache_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    configs: dict[str, str] = {}
    method_key = target.key_digest()
    todo: dict[str, dict[str, Any]] = {}
    cached: dict[str, tuple[dict, dict]] = {}
    stale: dict[str, list[str]] = {}
    for name, path in predictions.items():
        expect = {"sha256": sha256_file(path), "reference_sha256": reference_sha256(dataset, name),
                  "method_key": method_key, "ppd": ppd, "metrics": list(metrics), "protocol": protocol}  # fmt: skip
        hit, why = _read_cache(cache_dir / f"{name}.json", expect)
        if hit is not None:
            cached[name] = hit
            continue
        todo[name] = expect
        if why is not None and (why != "the prediction changed" or target.kind == "predictions"):
            stale.setdefault(why, []).append(name)
    for why, which in stale.items():
        log(f"{target.name}: {why}; rescoring {len(which)} image{'s' if len(which) != 1 else ''}")
    for name in tqdm(list(predictions), desc=f"score {target.name}", unit="img", disable=not progress, leave=False):
        if name in cached:
            row, cfg = cached[name]
        else:
            path = predictions[name]
            pred, prim = load_prediction(path, target.primaries)
            ref = dataset.load_hdr(name)
            row, cfg = score_image(pred, prim, ref, metrics, ppd=ppd, source=str(path), protocol=protocol)
            stats_file = path.with_name(f"{name}.stats.json")
            if stats_file.is_file():
                st = _read_json(stats_file)
                row["frac_clipped_low"] = st.get("frac_clipped_low")
                row["frac_clipped_high"] = st.get("frac_clipped_high")
            write_json(cache_dir / f"{name}.json", {**todo[name], "row": row, "configs": cfg})
        configs.update(cfg)
        rows.append({"method": target.name, "image": name, **row})
    return rows, configs


def _read_cache(cache: Path, expect: dict[str, Any]) -> tuple[tuple[dict, dict] | None, str | None]:
    """(cached row and configs, None) when ``cache`` holds the scores ``expect`` describes, else
    (None, why not) -- why is None when there is no cache at all."""
    if not cache.is_file():
        return None, None
    data = _read_json(cache)
    if not isinstance(data.get("row"), dict) or not isinstance(data.get("configs"), dict):
        return None, "the cached scores are unreadable"
    if not {"reference_sha256", "method_key"} <= data.keys():
        return None, "the cached scores do not record the reference and the method (an older version wrote them)"
    if data.get("sha256") != expect["sha256"]:
        return None, "the prediction changed"
    if data.get("reference_sha256") != expect["reference_sha256"]:
        return None, "the reference image changed"
    if data.get("method_key") != expect["method_key"]:
        return None, "the method changed"
    if data.get("ppd") != expect["ppd"] or data.get("metrics") != expect["metrics"]:
        return None, "the metric settings changed"
    from bench.metrics.registry import get_metric

    # a changed metric implementation changes its configuration string: recompute
    if any(get_metric(m).config(expect["ppd"], expect.get("protocol")) != data["configs"].get(m) for m in expect["metrics"]):
        return None, "a metric's configuration changed"
    return (data["row"], data["configs"]), None


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, int | float | str | bool | type(None)) else str(v)) for k, v in d.items()}
