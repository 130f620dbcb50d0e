"""HDR-VDP-2 probability-of-detection maps for the report, cached by content.

Computing a map costs about 0.3-0.6 s per 512 x 512 pair on two cores, so each one is kept in
``<cache>/<key>.npz`` (float16 values in [0, 1], ~0.1 MB), where the key is the sha256 of the
prediction file's sha256, the reference file's sha256 and the metric's configuration string: a
rerun of ``itmn-bench report`` recomputes only maps whose inputs or metric changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_PPD = 30.0


def hdrvdp2_ppd(metadata: Mapping[str, Mapping[str, Any]]) -> float:
    """The pixels per degree the results were scored with (``ppd=`` in the recorded hdrvdp2
    configuration string), else protocol v1's 30."""
    for meta in metadata.values():
        cfg = str((meta.get("metric_configs") or {}).get("hdrvdp2", ""))
        m = re.search(r"ppd=([0-9.eE+-]+)", cfg)
        if m:
            try:
                return float(m.group(1))
            except ValueError:
                pass
    return DEFAULT_PPD


def map_config(ppd: float) -> str:
    """Configuration string of the map (the registry's hdrvdp2 string: same settings as the score)."""
    from bench.metrics.registry import get_metric

    return get_metric("hdrvdp2").config(ppd) + " | P_map"


def cache_key(pred_sha256: str, ref_sha256: str, config: str) -> str:
    return hashlib.sha256(f"{pred_sha256}\n{ref_sha256}\n{config}".encode()).hexdigest()


def probability_map(
    pred_rgb709: np.ndarray,
    ref_rgb709: np.ndarray,
    *,
    ppd: float = DEFAULT_PPD,
    cache_dir: Path | None = None,
    key: str | None = None,
) -> tuple[np.ndarray, bool]:
    """(HDR-VDP-2 ``P_map`` of a prediction against its reference, whether it was computed now).

    Inputs are linear BT.709 cd/m^2 with negatives clipped (protocol v1 §4). With ``cache_dir``
    and ``key`` (see :func:`cache_key`) the map is read from / written to the cache."""
    from itmn.atomic import atomic_path

    path = cache_dir / f"{key}.npz" if cache_dir is not None and key else None
    if path is not None and path.is_file():
        try:
            with np.load(path) as z:
                if str(z["key"]) == key:
                    return z["p"].astype(np.float32), False
        except (OSError, ValueError, KeyError):
            pass  # unreadable cache entry: recompute and overwrite
    from bench.metrics import hdrvdp2

    res = hdrvdp2(pred_rgb709, ref_rgb709, ppd=ppd, color_encoding="rgb-bt.709")
    p = np.clip(np.asarray(res.P_map, dtype=np.float32), 0.0, 1.0)
    if path is not None:
        with atomic_path(path) as tmp:
            np.savez_compressed(tmp, p=p.astype(np.float16), key=np.array(key))
    return p, True
