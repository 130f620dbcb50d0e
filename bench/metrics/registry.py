"""The metric registry: one :class:`Metric` per name, with the metadata tables and the command line
read (unit, sort direction, range, reference, configuration string).

A metric is called on display-referred images in absolute cd/m^2 with their primaries stated, and
applies protocol v1 section 4's conversions itself::

    from bench.metrics.registry import get_metric, compute_metrics
    res = get_metric("mpsnr")(test_cdm2, ref_cdm2, primaries="bt2020")
    res.value, res.extras["n_exposures"], res.config
    # 'mpsnr munkberg2006 | exposures toolbox-auto (0.1,0.9) | mse mean | protocol v1'

Conversions (both images): ``bt709-linear`` metrics (hdrvdp2, hdrvdp3, mpsnr, mpsnr_toolbox, pu21_*)
get linear BT.709, negatives produced by the gamut conversion clipped to 0 and counted in
``extras["n_negative_clipped"]``; ``bt2020-pq`` metrics (ssim) get BT.2020 PQ code values in
[0, 1]. Input values must be finite, non-negative and absolute (peak above 1 cd/m^2).

Importing this module is cheap: the metric implementations (and torch) are imported when a
metric is first computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from bench.metrics.validate import Source, check_pair
from itmn import PROTOCOL_VERSION
from itmn.errors import ConfigError

InputSpace = Literal["bt709-linear", "bt2020-pq"]
#: compute(test, ref, ppd) -> (value, extras); images already converted to the metric's input space.
ComputeFn = Callable[[np.ndarray, np.ndarray, float], tuple[float, dict[str, Any]]]
#: original(test, ref, ppd, backend) -> (value, extras, implementation description): the same
#: computation by the original MATLAB code through an engine (see :mod:`bench.backends`).
OriginalFn = Callable[[np.ndarray, np.ndarray, float, str], tuple[float, dict[str, Any], str]]


@dataclass(frozen=True)
class MetricResult:
    """One score: ``value`` in the metric's unit, ``extras`` (secondary numbers such as HDR-VDP's
    P_det and C_max, or mPSNR's exposure range, and the conversion counts), and ``config``, the
    configuration string to quote beside the value."""

    value: float
    extras: dict[str, Any]
    config: str


@dataclass(frozen=True)
class Metric:
    """A registered full-reference HDR metric and its metadata.

    Attributes
    ----------
    name: registry name (``itmn-bench score --metric NAME``).
    unit: unit of the value, e.g. ``"dB"``, ``"JOD-like Q (0-100)"``, ``""`` for unitless.
    higher_is_better: sort direction for tables.
    value_range: (lowest, highest) possible value; ``-inf``/``inf`` where unbounded.
    description: one line saying what is measured.
    reference: paper and code (with version) the implementation follows.
    input_space: what the implementation receives, see the module docstring.
    summary_extras: keys of ``extras`` worth printing beside the value (flattened by the CLI as
        ``<name>_<key>``).
    original: the same metric computed by its original MATLAB code through the ``octave`` or
        ``matlab`` backend (None when there is no original to run).
    crosscheck_tol: (absolute, relative) tolerance of ``itmn-bench crosscheck`` between the
        native and the original value (a difference passes if within either).
    """

    name: str
    unit: str
    higher_is_better: bool
    value_range: tuple[float, float]
    description: str
    reference: str
    input_space: InputSpace
    config_template: str
    compute: ComputeFn = field(repr=False)
    summary_extras: tuple[str, ...] = ()
    original: OriginalFn | None = field(default=None, repr=False)
    crosscheck_tol: tuple[float, float] = (0.0, 0.0)

    def config(self, ppd: float = 30.0) -> str:
        """The configuration string written beside every value (ppd only matters for metrics
        whose template has ``{ppd}``)."""
        return self.config_template.format(ppd=_fmt_ppd(ppd), protocol=PROTOCOL_VERSION)

    def __call__(
        self,
        test_cdm2: Any,
        ref_cdm2: Any,
        primaries: str = "bt2020",
        ppd: float = 30.0,
        *,
        test_source: Source = None,
        ref_source: Source = None,
        backend: str = "native",
    ) -> MetricResult:
        """Score ``test_cdm2`` against ``ref_cdm2``.

        Parameters
        ----------
        test_cdm2, ref_cdm2:
            H x W x 3 linear RGB in absolute cd/m^2 (finite, non-negative) with ``primaries``
            (``"bt709"`` or ``"bt2020"``; protocol v1 method outputs are BT.2020).
        ppd:
            display resolution in pixels per visual degree (used by hdrvdp2).
        test_source, ref_source:
            file names for error messages.
        backend:
            ``"native"`` (the suite's code), or ``"octave"``/``"matlab"`` to compute the metric
            with its original MATLAB code (same input conversions; see :mod:`bench.backends`).
        """
        if not (isinstance(ppd, int | float) and math.isfinite(ppd) and ppd > 0):
            raise ConfigError(f"ppd must be a positive number of pixels per degree, got {ppd!r}")
        self.check_backend(backend)
        t, r = check_pair(test_cdm2, ref_cdm2, test_source=test_source, ref_source=ref_source, absolute=True)
        t, r, conv = _to_input_space(t, r, primaries, self.input_space)
        if backend == "native":
            value, extras = self.compute(t, r, float(ppd))
            return MetricResult(value=float(value), extras={**extras, **conv}, config=self.config(ppd))
        assert self.original is not None
        value, extras, impl = self.original(t, r, float(ppd), backend)
        return MetricResult(
            value=float(value),
            extras={**extras, **conv, "backend": backend},
            config=f"{self.config(ppd)} | {impl}",
        )

    def check_backend(self, backend: str) -> None:
        """ConfigError unless this metric can be computed with ``backend``."""
        from bench.backends.engine import check_backend_name

        check_backend_name(backend)
        if backend != "native" and self.original is None:
            have = ", ".join(m.name for m in list_metrics() if m.original is not None)
            raise ConfigError(
                f"metric {self.name!r} has no original MATLAB implementation to run with backend {backend!r}; "
                f"metrics with one: {have}"
            )


def _fmt_ppd(ppd: float) -> str:
    return f"{ppd:.10g}"


def _to_input_space(
    t: np.ndarray, r: np.ndarray, primaries: str, space: InputSpace
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from itmn import colour  # lazy: imports torch

    if primaries not in ("bt709", "bt2020"):
        raise ConfigError(f"primaries must be 'bt709' or 'bt2020', got {primaries!r}")
    if space == "bt709-linear":
        t709 = colour.convert_primaries(t, primaries, "bt709")
        r709 = colour.convert_primaries(r, primaries, "bt709")
        n_neg = int((t709 < 0).sum()), int((r709 < 0).sum())
        extras = {"n_negative_clipped_test": n_neg[0], "n_negative_clipped_ref": n_neg[1]}
        return np.maximum(t709, 0.0), np.maximum(r709, 0.0), extras
    if space == "bt2020-pq":
        # BT.709 -> BT.2020 cannot create negatives (all matrix entries are positive); PQ
        # clips to [0, 10000] cd/m^2.
        n_over = int((t > 10000.0).sum()), int((r > 10000.0).sum())
        t_pq = colour.pq_encode(colour.convert_primaries(t, primaries, "bt2020"))
        r_pq = colour.pq_encode(colour.convert_primaries(r, primaries, "bt2020"))
        return t_pq, r_pq, {"n_above_pq_peak_test": n_over[0], "n_above_pq_peak_ref": n_over[1]}
    raise ValueError(f"unknown input space {space!r}")


# --------------------------------------------------------------------------- registry
_REGISTRY: dict[str, Metric] = {}


def register_metric(metric: Metric, *, replace: bool = False) -> Metric:
    """Add ``metric`` to the registry (``replace`` to overwrite a name, e.g. in tests)."""
    if metric.name in _REGISTRY and not replace:
        raise ConfigError(f"metric {metric.name!r} is already registered")
    _REGISTRY[metric.name] = metric
    return metric


def unregister_metric(name: str) -> Metric:
    """Remove and return a registered metric."""
    return _REGISTRY.pop(get_metric(name).name)


def get_metric(name: str) -> Metric:
    """The registered metric called ``name``; ConfigError listing the known names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown metric {name!r}; registered metrics: {', '.join(_REGISTRY)}") from None


def list_metrics() -> list[Metric]:
    """All registered metrics, in registration order (the order of table columns)."""
    return list(_REGISTRY.values())


def compute_metrics(
    test: Any,
    ref: Any,
    names: Iterable[str] | None = None,
    primaries: str = "bt2020",
    ppd: float = 30.0,
    *,
    test_source: Source = None,
    ref_source: Source = None,
    backend: str = "native",
) -> dict[str, MetricResult]:
    """Score one pair with several metrics (all registered ones when ``names`` is None; with a
    non-native ``backend``, all whose original code is configured).

    Same inputs as :meth:`Metric.__call__`. Returns {name: MetricResult} in the order asked.
    Unknown names, and metrics the backend cannot compute, raise ConfigError before anything is
    computed.
    """
    if names is not None:
        metrics = [get_metric(n) for n in names]
    elif backend == "native":
        metrics = list_metrics()
    else:
        from bench.backends.originals import configured_original_metrics

        metrics = [get_metric(n) for n in configured_original_metrics()]
    for m in metrics:
        m.check_backend(backend)
    return {
        m.name: m(test, ref, primaries, ppd, test_source=test_source, ref_source=ref_source, backend=backend)
        for m in metrics
    }


# --------------------------------------------------------------------------- the protocol's metrics
def _hdrvdp2(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict[str, Any]]:
    from bench.metrics.hdrvdp2 import hdrvdp2

    res = hdrvdp2(t, r, ppd=ppd, color_encoding="rgb-bt.709", return_maps=False)
    extras: dict[str, Any] = {"P_det": float(res.P_det), "C_max": float(res.C_max)}
    impl_config = getattr(res, "config", None)
    if impl_config:
        extras["implementation_config"] = impl_config
    return float(res.Q), extras


def _hdrvdp3(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict[str, Any]]:
    from bench.metrics.hdrvdp3 import hdrvdp3

    res = hdrvdp3(t, r, task="quality", ppd=ppd, color_encoding="rgb-bt.709", return_maps=False)
    extras: dict[str, Any] = {"Q": float(res.Q), "P_det": float(res.P_det), "C_max": float(res.C_max)}
    return float(res.Q_JOD), extras


def _mpsnr(variant: str) -> ComputeFn:
    def compute(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict[str, Any]]:
        from bench.metrics.mpsnr import mpsnr_details

        res = mpsnr_details(t, r, variant=variant)  # type: ignore[arg-type]
        return res.value, res.summary()

    return compute


def _ssim(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict[str, Any]]:
    from bench.metrics.ssim import ssim

    return ssim(t, r, data_range=1.0, padding="valid"), {}


def _pu21_psnr(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict[str, Any]]:
    from bench.metrics.pu21 import pu21_psnr

    return pu21_psnr(t, r), {}


def _pu21_ssim(t: np.ndarray, r: np.ndarray, ppd: float) -> tuple[float, dict[str, Any]]:
    from bench.metrics.pu21 import pu21_ssim

    return pu21_ssim(t, r), {}


def _hdrvdp2_original(t: np.ndarray, r: np.ndarray, ppd: float, backend: str) -> tuple[float, dict[str, Any], str]:
    from bench.backends.originals import describe, hdrvdp2_original

    res = hdrvdp2_original(t, r, ppd=ppd, color_encoding="rgb-bt.709", backend=backend, return_maps=False)
    return res["Q"], {"P_det": res["P_det"], "C_max": res["C_max"]}, describe("hdrvdp", backend)


def _hdrvdp3_original(t: np.ndarray, r: np.ndarray, ppd: float, backend: str) -> tuple[float, dict[str, Any], str]:
    from bench.backends.originals import describe, hdrvdp3_original

    res = hdrvdp3_original(
        t, r, task="quality", ppd=ppd, color_encoding="rgb-bt.709", backend=backend, return_maps=False
    )
    extras = {"Q": res["Q"], "P_det": res["P_det"], "C_max": res["C_max"]}
    return res["Q_JOD"], extras, describe("hdrvdp3", backend)


def _mpsnr_toolbox_original(
    t: np.ndarray, r: np.ndarray, ppd: float, backend: str
) -> tuple[float, dict[str, Any], str]:
    from bench.backends.originals import describe, mpsnr_toolbox_original

    value, extras = mpsnr_toolbox_original(t, r, backend=backend)
    extras.pop("implementation", None)
    return value, extras, describe("hdrtoolbox", backend)


def _pu21_original(which: str) -> OriginalFn:
    def original(t: np.ndarray, r: np.ndarray, ppd: float, backend: str) -> tuple[float, dict[str, Any], str]:
        from bench.backends.originals import describe, pu21_original

        return pu21_original(t, r, which, backend=backend), {}, describe("pu21", backend)

    return original


_MPSNR_REF = "Munkberg et al. 2006, 'High dynamic range texture compression for graphics hardware'"
_TOOLBOX = "HDR Toolbox Metrics/mPSNR.m (banterle/HDR_Toolbox @ 5375d05)"
_PU21_REF = "Mantiuk & Azimi 2021, 'PU21: a novel perceptually uniform encoding'; gfxdisp/pu21 @ 78340c0"

for _m in (
    Metric(
        name="hdrvdp2",
        unit="Q (0-100)",
        higher_is_better=True,
        value_range=(-math.inf, 100.0),
        description="HDR-VDP-2 visual quality Q (P_det and C_max in extras)",
        reference="Mantiuk et al. 2011 / Narwaria et al. 2015; HDR-VDP 2.2.2 (hdrvdp_version 2.22), Python port",
        input_space="bt709-linear",
        config_template="hdrvdp2 2.2.2-port | rgb-bt.709 | ppd={ppd} | protocol {protocol}",
        compute=_hdrvdp2,
        summary_extras=("P_det", "C_max"),
        original=_hdrvdp2_original,
        crosscheck_tol=(0.01, 0.0),  # Q, metrics-synthetic/README.md
    ),
    Metric(
        name="mpsnr",
        unit="dB",
        higher_is_better=True,
        value_range=(0.0, math.inf),
        description="multi-exposure PSNR, MSE averaged over the exposures (Munkberg's definition)",
        reference=f"{_MPSNR_REF}; exposures as {_TOOLBOX}",
        input_space="bt709-linear",
        config_template="mpsnr munkberg2006 | exposures toolbox-auto (0.1,0.9) | mse mean | protocol {protocol}",
        compute=_mpsnr("mean"),
        summary_extras=("e_min", "e_max", "n_exposures"),
    ),
    Metric(
        name="mpsnr_toolbox",
        unit="dB",
        higher_is_better=True,
        value_range=(-math.inf, math.inf),
        description="mPSNR as published by the HDR Toolbox (MSE summed over exposures: 10 log10(n) dB lower)",
        reference=f"{_MPSNR_REF}; {_TOOLBOX}",
        input_space="bt709-linear",
        config_template=(
            "mpsnr_toolbox hdrtoolbox-5375d05 | exposures toolbox-auto (0.1,0.9) | mse summed | protocol {protocol}"
        ),
        compute=_mpsnr("toolbox"),
        summary_extras=("e_min", "e_max", "n_exposures"),
        original=_mpsnr_toolbox_original,
        crosscheck_tol=(1e-6, 0.0),
    ),
    Metric(
        name="ssim",
        unit="",
        higher_is_better=True,
        value_range=(-1.0, 1.0),
        description="SSIM of BT.2020 PQ code values, mean over the three channels",
        reference="Wang et al. 2004, 'Image quality assessment: from error visibility to structural similarity'",
        input_space="bt2020-pq",
        config_template=(
            "ssim wang2004 | pq-bt2020 | win 11 sigma 1.5 | k1 0.01 k2 0.03 | data_range 1 | valid | protocol {protocol}"
        ),
        compute=_ssim,
    ),
    Metric(
        name="pu21_psnr",
        unit="dB",
        higher_is_better=True,
        value_range=(-math.inf, math.inf),
        description="PSNR of PU21-encoded R, G, B (each as luminance), peak 256",
        reference=_PU21_REF,
        input_space="bt709-linear",
        config_template="pu21_psnr pu21-78340c0 | banding_glare [0.005,10000] | rgb | peak 256 | protocol {protocol}",
        compute=_pu21_psnr,
        original=_pu21_original("PSNR"),
        crosscheck_tol=(1e-6, 0.0),
    ),
    Metric(
        name="pu21_ssim",
        unit="",
        higher_is_better=True,
        value_range=(-1.0, 1.0),
        description="SSIM of the PU21-encoded luminance (MATLAB ssim: replicate padding, range 256)",
        reference=_PU21_REF,
        input_space="bt709-linear",
        config_template=(
            "pu21_ssim pu21-78340c0 | banding_glare [0.005,10000] | luminance | win 11 sigma 1.5 replicate "
            "| range 256 | protocol {protocol}"
        ),
        compute=_pu21_ssim,
        original=_pu21_original("SSIM"),
        crosscheck_tol=(1e-4, 0.0),
    ),
    Metric(
        name="hdrvdp3",
        unit="JOD",
        higher_is_better=True,
        value_range=(-math.inf, 10.0),
        description="HDR-VDP-3 quality in just-objectionable differences, task 'quality' (Q, P_det, C_max in extras)",
        reference=(
            "Mantiuk et al. 2011 / Mantiuk & Ramponi 2018; HDR-VDP 3.0.7 (hdrvdp_version 3.07, UPIQ quality "
            "calibration), Python port"
        ),
        input_space="bt709-linear",
        config_template="hdrvdp3 3.0.7-port | quality | rgb-bt.709 | ppd={ppd} | protocol {protocol}",
        compute=_hdrvdp3,
        summary_extras=("Q", "P_det", "C_max"),
        original=_hdrvdp3_original,
        crosscheck_tol=(0.01, 0.0),  # Q_JOD, issue 15's acceptance
    ),
):
    register_metric(_m)
del _m
