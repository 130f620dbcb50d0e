"""The one registry of LDR-to-HDR methods (docs/CONTRACTS.md "Methods", protocol section 3).

Every method is registered by name with metadata and typed parameters; the command line
(``itmn expand``, ``itmn methods``), the evaluation code and the tables all read it. The built-in
methods are registered by :mod:`baselines.methods` (imported with the package).

>>> m = get_method("ko")
>>> m.config_string()
'ko 2017-variant | sigma_s=150 sigma_r=25/255 d_min=0.3 d_max=1200 gamma=2.2 | peak 1000 | protocol v1'
>>> get_method("ko", variant="2019").info.version
'2019-variant'

A method is used as ``hdr = method.expand(ldr)``: LDR H x W x 3 float32 display code values in
[0, 1] -> linear BT.2020 cd/m^2 in [0.005, 1000] (float32). ``method.last_stats`` (or the
second value of ``method.expand_with_stats(ldr)``) is the :class:`itmn.display.ExpandStats`
of that call: how many values the display clip changed. The input is checked once, here; the
algorithms behind a method receive a checked array.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from baselines.params import OPTIONAL_NUMBER, REQUIRED, Param
from itmn import display
from itmn.display import ExpandStats
from itmn.errors import ConfigError, ImageError
from itmn.images import check_ldr
from itmn.protocol import Protocol, get_protocol

__all__ = [
    "ALIASES",
    "REQUIRED",
    "Expander",
    "Method",
    "MethodConfig",
    "MethodInfo",
    "Param",
    "adapt_loaded",
    "as_expander",
    "get_method",
    "learned_version",
    "list_methods",
    "plain_info",
    "register_method",
]

#: An expander: LDR (checked) -> (HDR BT.2020 cd/m^2 float32, stats).
Expander = Callable[[np.ndarray], tuple[np.ndarray, ExpandStats]]

@dataclass(frozen=True)
class MethodInfo:
    """A registry entry: what ``list_methods`` returns and ``itmn methods`` prints."""

    name: str
    learned: bool
    version: str
    description: str
    params: tuple[Param, ...]
    reference: str = ""

    def param(self, key: str) -> Param | None:
        return next((p for p in self.params if p.name == key), None)


@dataclass(frozen=True)
class MethodConfig:
    """``Method.info``: one configured instance (parameter values resolved)."""

    name: str
    version: str
    learned: bool
    params: dict[str, Any]
    description: str = ""
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Entry:
    info: MethodInfo
    factory: Callable[..., Expander]
    version_of: Callable[[Mapping[str, Any]], str]


_REGISTRY: dict[str, _Entry] = {}
#: other names accepted by get_method (and --method), not listed separately
ALIASES = {"kovaleski": "ko", "kovaleski-oliveira": "ko", "kovaleski-2019": "ko-2019"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def register_method(
    name: str,
    factory: Callable[..., Expander],
    *,
    learned: bool,
    version: str | Callable[[Mapping[str, Any]], str],
    description: str,
    params: Sequence[Param] | Mapping[str, Any] = (),
    reference: str = "",
    replace: bool = False,
) -> MethodInfo:
    """Register ``factory`` under ``name``.

    ``factory(**params)`` receives every parameter (defaults filled in, values parsed) and returns
    an expander: a callable ``ldr -> (hdr, ExpandStats)`` or ``ldr -> hdr``, or an object with an
    ``expand(ldr) -> hdr`` method (hdr: linear BT.2020 cd/m^2 in [0.005, 1000]); it may raise
    ValueError for bad values (reported as ConfigError). ``params`` is a sequence of
    :class:`Param`, or a mapping name -> default (numbers become float parameters, strings string
    parameters, None an optional number). ``version`` is a string or a function of the parameters
    (e.g. KO's variant).
    """
    if not _NAME_RE.match(name):
        raise ValueError(f"method name {name!r}: expected lower-case letters, digits, '.', '_' or '-'")
    if name in _REGISTRY and not replace:
        raise ValueError(f"method {name!r} is already registered (pass replace=True to override it)")
    params = _as_params(name, params)
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"method {name!r}: duplicate parameter names in {names}")
    version_of = version if callable(version) else (lambda _p, v=version: v)
    defaults = {p.name: p.default for p in params}
    info = MethodInfo(
        name, bool(learned), _version_for_listing(version_of, defaults), description, tuple(params), reference
    )
    _REGISTRY[name] = _Entry(info, factory, version_of)
    return info


def _as_params(method: str, params: Sequence[Param] | Mapping[str, Any]) -> tuple[Param, ...]:
    if isinstance(params, Mapping):
        out = []
        for key, default in params.items():
            if isinstance(default, Param):
                out.append(default)
            elif default is None:
                out.append(Param(key, None, "a number or none", type=OPTIONAL_NUMBER))
            elif isinstance(default, bool):
                raise ValueError(
                    f"method {method!r}, parameter {key!r}: give boolean parameters as Param objects"
                )
            elif isinstance(default, int | float):
                out.append(Param(key, float(default), "a number"))
            elif isinstance(default, str):
                out.append(Param(key, default, "a string", type=str, fmt=str))
            else:
                raise ValueError(
                    f"method {method!r}, parameter {key!r}: default {default!r} needs a Param object"
                )
        return tuple(out)
    bad = [p for p in params if not isinstance(p, Param)]
    if bad:
        raise ValueError(
            f"method {method!r}: params must be Param objects or a mapping name -> default, got {bad!r}"
        )
    return tuple(params)


def as_expander(raw: Any, method: str) -> Expander:
    """Normalize what a factory returned to ``ldr -> (hdr, stats)``, keeping its ``info``/``version``."""
    if callable(getattr(raw, "expand", None)) and not hasattr(raw, "__code__"):
        fn: Any = adapt_loaded(raw, method)
    elif callable(raw):

        def fn(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
            out = raw(ldr)
            if isinstance(out, tuple):
                return out
            hdr = np.asarray(out)
            return hdr, display.stats_from_output(hdr, route=method)

    else:
        raise ValueError(
            f"the factory returned {type(raw).__name__}, not an expander (callable or object with expand)"
        )
    if fn is not raw:
        for attr in ("info", "version"):
            if getattr(raw, attr, None) is not None:
                try:
                    setattr(fn, attr, getattr(raw, attr))
                except AttributeError:
                    pass
    return fn


def _version_for_listing(version_of: Callable[[Mapping[str, Any]], str], defaults: Mapping[str, Any]) -> str:
    try:
        return version_of(defaults)
    except Exception:  # a version that depends on a required parameter: list it generically
        return "(depends on parameters)"


def list_methods() -> list[MethodInfo]:
    """Every registered method, in registration order."""
    return [e.info for e in _REGISTRY.values()]


def get_method(name: str, **params: Any) -> Method:
    """Build the method ``name`` with ``params`` (strings are parsed as on the command line).

    Raises ConfigError for an unknown method (with the registered names), an unknown parameter
    (with the valid ones), a missing required parameter, or a bad value.
    """
    name = ALIASES.get(name, name)
    entry = _REGISTRY.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown method {name!r}{hint}; registered methods: {', '.join(_REGISTRY)}")
    info = entry.info
    valid = [p.name for p in info.params]
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(
            f"method {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"valid parameters: {', '.join(valid) if valid else '(none)'}"
        )
    resolved: dict[str, Any] = {}
    for p in info.params:
        if p.name in params:
            resolved[p.name] = p.coerce(params[p.name], name)
        elif p.required:
            raise ConfigError(f"method {name!r} needs parameter {p.name!r} ({p.help})")
        else:
            resolved[p.name] = p.default
    try:
        expander = as_expander(entry.factory(**resolved), name)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(f"method {name!r}: {exc}") from exc
    info_obj = plain_info(getattr(expander, "info", None))
    extra = (
        dict(info_obj) if isinstance(info_obj, dict) else ({"info": info_obj} if info_obj is not None else {})
    )
    version = getattr(expander, "version", None)
    version = (
        str(version)
        if isinstance(version, str | int | float) and version != ""
        else entry.version_of(resolved)
    )
    config = MethodConfig(name, version, info.learned, resolved, info.description, info.reference, extra)
    return Method(config, info, expander)



# --------------------------------------------------------------------------- the method object
class Method:
    """A configured method: ``expand(ldr) -> hdr`` (protocol v1 section 3)."""

    def __init__(self, config: MethodConfig, entry: MethodInfo, expander: Expander):
        self.info = config
        self._entry = entry
        self._expander = expander
        #: :class:`ExpandStats` of the most recent :meth:`expand` call (None before the first).
        self.last_stats: ExpandStats | None = None

    @property
    def name(self) -> str:
        return self.info.name

    def expand(self, ldr: np.ndarray) -> np.ndarray:
        """LDR H x W x 3 float32 code values in [0, 1] -> linear BT.2020 cd/m^2 in [0.005, 1000]."""
        return self.expand_with_stats(ldr)[0]

    __call__ = expand

    def expand_with_stats(self, ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        """As :meth:`expand`, also returning the clip statistics (also kept in ``last_stats``)."""
        arr = check_ldr(ldr, name=f"LDR input of method {self.name!r}")
        hdr, stats = self._expander(arr)
        hdr = self._check_output(np.asarray(hdr), arr.shape)
        self.last_stats = stats
        return hdr, stats

    def _check_output(self, hdr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        where = f"output of method {self.name!r}"
        if hdr.shape != shape:
            raise ImageError(None, f"{where} has shape {hdr.shape}", f"the input's shape {shape}")
        hdr = hdr.astype(np.float32, copy=False)
        lo, hi = float(hdr.min()), float(hdr.max())
        # 1 ppm slack: float32(0.005) is 0.00499999989, which a model clipping in float32 produces.
        if (
            not (np.isfinite(lo) and np.isfinite(hi))
            or lo < self.display.black_cdm2 * (1 - 1e-6)
            or hi > self.display.peak_cdm2 * (1 + 1e-6)
        ):
            raise ImageError(
                None,
                f"{where} spans [{lo:.6g}, {hi:.6g}]",
                f"linear BT.2020 cd/m^2 in [{self.display.black_cdm2}, {self.display.peak_cdm2:g}] (a bug in the method)",
            )
        return hdr

    @property
    def display(self) -> display.Display:
        """The display the method outputs for (the protocol's; every version so far shares it)."""
        return get_protocol().display

    def config_string(self, protocol: str | Protocol | None = None) -> str:
        """One line naming the method, version, parameters, display and protocol, e.g.
        ``ko 2017-variant | sigma_s=150 sigma_r=25/255 d_min=0.3 d_max=1200 gamma=2.2 | peak 1000 | protocol v1``."""
        proto = get_protocol(protocol)
        parts = []
        for p in self._entry.params:
            value = self.info.params[p.name]
            if not p.in_config or (p.quiet_default and value == p.default):
                continue
            parts.append(f"{p.name}={p.fmt(value)}")
        head = f"{self.name} {self.info.version}"
        return " | ".join(
            [head, " ".join(parts) or "-", f"peak {proto.display.peak_cdm2:g}", proto.tag]
        )

    def code_files(self) -> dict[str, Path]:
        """``{module: source file}`` of the code this method runs: its expander and what it
        reaches (the algorithm modules, the output stage, a loaded model's network classes) and
        this registry's checks (:func:`itmn.fingerprint.code_files`). Cached results are keyed by
        the digest of these files, so that an edit of the algorithm makes them stale."""
        from itmn.fingerprint import SUITE_PACKAGES, code_files

        return code_files(self._expander, type(self), packages=SUITE_PACKAGES)

    def __repr__(self) -> str:
        return f"<Method {self.config_string()}>"



# --------------------------------------------------------------------------- loaded models
def adapt_loaded(loaded: Any, module: str) -> Expander:
    """Expander around a loaded model, with exact clip statistics where the model exposes its
    pre-display output (``expand_pq`` of itmn.infer, ``relative`` of baselines.drtm): the shared
    wrapper is then applied here, which is what their ``expand`` does. Otherwise ``expand`` is
    called and the clip counts are inferred from values on the display bounds (``exact=False``)."""
    if callable(getattr(loaded, "expand_pq", None)):
        return lambda ldr: display.from_pq(
            np.asarray(loaded.expand_pq(ldr), dtype=np.float32), return_stats=True
        )
    if callable(getattr(loaded, "relative", None)):
        return lambda ldr: display.from_relative_bt709(
            np.asarray(loaded.relative(ldr), dtype=np.float32), return_stats=True
        )

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        hdr = np.asarray(loaded.expand(ldr))
        stats = getattr(loaded, "last_stats", None)
        if not isinstance(stats, ExpandStats):
            stats = display.stats_from_output(hdr, route=module)
        return hdr, stats

    return expand


def learned_version(info: Any) -> str:
    """Version of a loaded model from its ``info``: the run's config hash and iteration, or its version."""
    if not isinstance(info, dict):
        return "checkpoint"
    if info.get("config_hash"):
        text = f"run-{str(info['config_hash'])[:12]}"
        if info.get("iteration") is not None:
            text += f"@{info['iteration']}"
        if info.get("finished") is False:
            text += "(unfinished)"
        return text
    if info.get("version"):
        return str(info["version"])
    return "checkpoint"


def plain_info(info: Any) -> Any:
    """A JSON-friendly view of an expander's ``info`` (dict, dataclass or anything else)."""
    if info is None or isinstance(info, str | int | float | bool | dict | list):
        return info
    if hasattr(info, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(info)
    return repr(info)


