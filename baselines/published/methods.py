"""The published networks as registered methods, and the rule mapping each native output to the
protocol's display (linear BT.2020 cd/m^2 in [0.005, 1000], 1000-nit display); docs/published-methods.md.

This module imports neither torch nor the networks: :func:`register` is called by
``baselines.methods`` at import time, and each factory imports its network module only when a
method is built (``get_method("lhdr")``), loading the released weights then (so a missing or
corrupt weights file fails there, not at the first image).

Output rules (parameter ``output`` of ExpandNet and LHDR):

* ``p99.9`` (default) -- the rule the protocol's reference images are made with: the relative
  linear BT.709 output scaled so the 99.9th percentile of luminance is 1000 cd/m^2, clipped to
  [0.005, 1000], converted to BT.2020, clipped
  (:func:`itmn.display.from_relative_bt709_percentile`). LHDR's output is first linearized
  with the exponent 1/0.45 (its training targets were linear HDR raised to 0.45).
* ``max`` -- the rule protocol v1 section 3 gives classical operators (and Table 1 uses for them):
  maximum luminance at 1000 cd/m^2 (:func:`itmn.display.from_relative_bt709`).
* ``authors`` -- the authors' own post-processing, the file their script writes read with 1.0 at
  the display peak: ExpandNet ``map_range(prediction, 0, 1)`` (its own minimum to 0, maximum to 1);
  LHDR ``(raw / raw.max()) ** (1 / 0.45)``; then x 1000 cd/m^2, clipped, BT.2020, clipped.

HDRTVDM predicts PQ-encoded BT.2020 (HDR10): its output is decoded to absolute cd/m^2 as it is
(code values outside [0, 1], which the unclamped network produces, are clipped to [0, 1] first)
and clipped to the display (:func:`itmn.display.from_pq` with ``out_of_range="clip"``). The
authors' script writes the same code values rounded to 16 bits, so there is no separate variant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from itmn import display
from itmn.display import ExpandStats

__all__ = [
    "OUTPUT_RULES",
    "expandnet_to_display",
    "hdrtvdm_to_display",
    "lhdr_linearize",
    "lhdr_to_display",
    "register",
]

#: Values of the ``output`` parameter of ExpandNet and LHDR.
OUTPUT_RULES = ("p99.9", "max", "authors")
#: LHDR's encoding exponent (training targets = linear HDR ** 0.45).
LHDR_GAMMA = 0.45

Expander = Callable[[np.ndarray], tuple[np.ndarray, ExpandStats]]


# --------------------------------------------------------------------------- output rules (pure)
def _relative_to_display(
    lin: np.ndarray, output: str, authors: Callable[[np.ndarray], np.ndarray], name: str
) -> tuple[np.ndarray, ExpandStats]:
    if output == "p99.9":
        return display.from_relative_bt709_percentile(lin, return_stats=True, name=name)
    if output == "max":
        return display.from_relative_bt709(lin, return_stats=True, name=name)
    if output == "authors":
        return display.from_relative_bt709_percentile(
            authors(lin), scale=display.PEAK_CDM2, return_stats=True, name=name
        )
    raise ValueError(f"output={output!r}: expected one of {', '.join(OUTPUT_RULES)}")


def _min_max(x: np.ndarray) -> np.ndarray:
    """ExpandNet's ``map_range(x, 0, 1)`` (numpy interp of [min, max] to [0, 1])."""
    return np.interp(x, [x.min(), x.max()], [0.0, 1.0])


def expandnet_to_display(native: np.ndarray, output: str = "p99.9") -> tuple[np.ndarray, ExpandStats]:
    """ExpandNet's native output (relative linear BT.709 in [0, 1]) -> BT.2020 cd/m^2 by ``output``."""
    return _relative_to_display(np.asarray(native, dtype=np.float64), output, _min_max, "ExpandNet output")


def lhdr_linearize(raw: np.ndarray) -> np.ndarray:
    """LHDR's raw output (>= 0, non-linear) -> relative linear: ``raw ** (1 / 0.45)`` (float64)."""
    return np.asarray(raw, dtype=np.float64) ** (1.0 / LHDR_GAMMA)


def _lhdr_authors(lin: np.ndarray) -> np.ndarray:
    # (raw / max) ** (1/0.45) == lin / max(lin): the exponent is monotone, so the same maximum.
    peak = float(lin.max())
    return lin / peak if peak > 0 else lin


def lhdr_to_display(raw: np.ndarray, output: str = "p99.9") -> tuple[np.ndarray, ExpandStats]:
    """LHDR's raw output -> linearized (exponent 1/0.45) -> BT.2020 cd/m^2 by ``output``."""
    return _relative_to_display(lhdr_linearize(raw), output, _lhdr_authors, "LHDR output (linearized)")


def hdrtvdm_to_display(pq: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
    """HDRTVDM's output (PQ BT.2020 code values, unclamped) -> absolute cd/m^2 clipped to the display."""
    return display.from_pq(
        np.asarray(pq, dtype=np.float32), return_stats=True, name="HDRTVDM output", out_of_range="clip"
    )


# --------------------------------------------------------------------------- factories (lazy)
def _expandnet_factory(tiled: bool, tile: int, output: str, device: str | None) -> Expander:
    from baselines.published import _common, expandnet

    if tile <= expandnet.OVERLAP:
        raise ValueError(f"tile={tile}: the patch size of predict must exceed {expandnet.OVERLAP} pixels")
    net = expandnet.load(_common.pick_device(device))

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        native = expandnet.run(net, expandnet.preprocess(ldr), tiled=tiled, patch_size=tile)
        return expandnet_to_display(native, output)

    return _annotate(expand, "expandnet", net)


def _lhdr_factory(tile: int, overlap: int, output: str, device: str | None) -> Expander:
    from baselines.published import _common, lhdr

    _common.check_tiling("lhdr", tile, overlap, lhdr.MULTIPLE)
    net = lhdr.load(_common.pick_device(device))

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        raw = lhdr.run(net, lhdr.codes(ldr), tile=tile, overlap=overlap)
        return lhdr_to_display(raw, output)

    return _annotate(expand, "lhdr", net)


def _hdrtvdm_factory(weights: str) -> Callable[..., Expander]:
    def factory(precision: str, tile: int, overlap: int, device: str | None) -> Expander:
        from baselines.published import _common, hdrtvdm

        _common.check_tiling("hdrtvdm", tile, overlap, hdrtvdm.MULTIPLE)
        net = hdrtvdm.load(weights, _common.pick_device(device), precision=precision)

        def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
            return hdrtvdm_to_display(hdrtvdm.run(net, hdrtvdm.preprocess(ldr), tile=tile, overlap=overlap))

        return _annotate(expand, hdrtvdm.WEIGHTS_KEYS[weights], net)

    return factory


def _annotate(expand: Any, weights_name: str, net: Any) -> Expander:
    """Attach ``info`` (weights provenance, device, dtype) and ``version`` for the registry."""
    from baselines.published.weights import WEIGHTS

    w = WEIGHTS[weights_name]
    p = next(net.parameters())
    dtype = str(p.dtype).removeprefix("torch.")
    expand.info = {
        "weights": f"{w.file.repo}@{w.file.commit}/{w.file.path}",
        "sha256": w.file.sha256,
        "licence": w.licence,
        "device": str(p.device),
        "dtype": dtype,
    }
    expand.version = _version(w.file.path, w.file.commit) + ("" if dtype == "float32" else f" {dtype}")
    return expand


def _version(path: str, commit: str) -> str:
    return f"{path.rsplit('/', 1)[-1]}@{commit[:7]}"


# --------------------------------------------------------------------------- registration
def _parse_pixels(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number of pixels") from None
    if value < 0:
        raise ValueError(f"{text!r} is negative")
    return value


def register(register_method: Callable[..., Any]) -> None:
    """Register ``expandnet``, ``lhdr``, ``hdrtvdm``, ``hdrtvdm-3dm``, ``hdrtvdm-davinci``."""
    from baselines.params import Param, choice_param, device_param
    from baselines.published.weights import WEIGHTS

    device = device_param(help="cpu, cuda, cuda:N, or auto (default: CUDA when available)", quiet_default=True)
    output = choice_param(
        "output", "p99.9", OUTPUT_RULES,
        "relative output to cd/m^2: p99.9 (the reference images' rule: 99.9th percentile of luminance at "
        "1000 cd/m^2), max (max luminance at 1000, the classical operators' rule) or authors (the authors' "
        "own normalization, 1.0 at 1000 cd/m^2); docs/published-methods.md",
    )  # fmt: skip

    def pixels(name: str, default: int, help: str) -> Param:
        return Param(name, default, help, type=int, parse=_parse_pixels, quiet_default=True)

    def version_of(name: str) -> Callable[[Mapping[str, Any]], str]:
        w = WEIGHTS[name]
        return lambda _p: _version(w.file.path, w.file.commit)

    def reference(name: str) -> str:
        w = WEIGHTS[name]
        return (
            f"{w.citation}; code and weights {w.file.repo} @ {w.file.commit[:7]} ({w.licence}), reimplemented"
        )

    register_method(
        "expandnet",
        _expandnet_factory,
        learned=True,
        version=version_of("expandnet"),
        description="ExpandNet (Marnerides et al. 2018), the authors' released weights; relative linear output",
        params=(
            Param("tiled", True, "true: the authors' patch-wise predict (default); false: whole-image forward",
                  type=bool),
            pixels("tile", 256, "patch size of the authors' predict, pixels (> 20; 256 as expand.py)"),
            output,
            device,
        ),
        reference=reference("expandnet"),
    )  # fmt: skip
    tiling = (
        pixels("tile", 0, "0: the whole image (default); else windows of this many pixels (multiple of 4, "
               ">= 64) blended over `overlap` pixels, for images larger than memory allows"),
        pixels("overlap", 32, "pixels shared by neighbouring windows when tile > 0 (< tile/2)"),
    )  # fmt: skip
    register_method(
        "lhdr",
        _lhdr_factory,
        learned=True,
        version=version_of("lhdr"),
        description="LHDR (Guo & Jiang 2022), the authors' released weights; output linearized with 1/0.45",
        params=(*tiling, output, device),
        reference=reference("lhdr"),
    )
    precision = choice_param(
        "precision", "auto", ("auto", "float32", "float16"),
        "auto: float16 on CUDA as the authors run it, float32 on CPU", quiet_default=True,
    )  # fmt: skip
    for name, key, what in (
        ("hdrtvdm", "params", "default checkpoint (HDRTV1K, YouTube degradation)"),
        ("hdrtvdm-3dm", "params_3DM", "checkpoint of the paper (HDRTV4K, 3 degradation models)"),
        ("hdrtvdm-davinci", "params_DaVinci", "checkpoint trained with the DaVinci degradation model"),
    ):
        register_method(
            name,
            _hdrtvdm_factory(key),
            learned=True,
            version=version_of(name),
            description=f"HDRTVDM (Guo et al. 2023) SDR to HDR10, {what}; PQ output decoded to cd/m^2",
            params=(precision, *tiling, device),
            reference=reference(name),
        )
