"""The one registry of LDR-to-HDR methods (docs/CONTRACTS.md "Methods", protocol v1 section 3).

Every method is registered by name with metadata and typed parameters; the command line
(``itmn expand``, ``itmn methods``), the evaluation code and the tables all read it.

>>> m = get_method("ko")
>>> m.config_string()
'ko 2017-variant | sigma_s=150 sigma_r=25/255 d_min=0.3 d_max=1200 gamma=2.2 | peak 1000 | protocol v1'
>>> get_method("ko", variant="2019").info.version
'2019-variant'

A method is used as ``hdr = method.expand(ldr)``: LDR H x W x 3 float32 display code values in
[0, 1] -> linear BT.2020 cd/m^2 in [0.005, 1000] (float32). ``method.last_stats`` (or the
second value of ``method.expand_with_stats(ldr)``) is the :class:`baselines.wrapper.ExpandStats`
of that call: how many values the display clip changed.

Learned methods load a checkpoint in their factory, importing their module (``itmn.infer``,
``baselines.drtm``) only then.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from baselines import wrapper
from baselines.wrapper import ExpandStats
from itmn import PROTOCOL_VERSION
from itmn.errors import ConfigError, ImageError

__all__ = [
    "REQUIRED",
    "Method",
    "MethodConfig",
    "MethodInfo",
    "Param",
    "get_method",
    "list_methods",
    "register_method",
]

#: An expander: LDR (checked) -> (HDR BT.2020 cd/m^2 float32, stats).
Expander = Callable[[np.ndarray], tuple[np.ndarray, ExpandStats]]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a parameter that has none (must be given).
REQUIRED: Any = _Required()


# --------------------------------------------------------------------------- parameter types
def parse_float(text: str) -> float:
    """A finite number, also written as a fraction: ``"0.3"``, ``"1e-6"``, ``"25/255"``."""
    s = text.strip()
    try:
        if "/" in s:
            num, den = s.split("/", 1)
            value = float(num) / float(den)
        else:
            value = float(s)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{text!r} is not a number (examples: 0.3, 1e-6, 25/255)") from None
    if not np.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def parse_optional_float(text: str) -> float | None:
    """A number as :func:`parse_float`, or ``none`` (e.g. gamma=none: input already linear)."""
    return None if text.strip().lower() in ("none", "null", "") else parse_float(text)


_DEVICE_RE = re.compile(r"^(cpu|cuda(:\d+)?)$")


def parse_device(text: str) -> str | None:
    """``cpu``, ``cuda`` or ``cuda:N``; ``auto``/``none`` = let the loader choose."""
    s = text.strip().lower()
    if s in ("auto", "none", ""):
        return None
    if not _DEVICE_RE.match(s):
        raise ValueError(f"{text!r} is not a device (expected cpu, cuda, cuda:N or auto)")
    return s


def format_value(value: Any) -> str:
    """Compact text for the configuration string (``1000`` not ``1000.0``; ``none`` for None)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_per_255(value: Any) -> str:
    """``25/255`` for a value that is a whole number of 8-bit code steps, else :func:`format_value`."""
    if isinstance(value, float) and 0.0 < value < 1.0:
        steps = round(value * 255.0)
        if steps > 0 and abs(steps / 255.0 - value) <= 1e-12 * value:
            return f"{steps}/255"
    return format_value(value)


@dataclass(frozen=True)
class Param:
    """One parameter of a method.

    ``parse`` turns command-line text into the value and raises ValueError with a message;
    ``kind`` is the type a programmatic value must have (int is accepted where float is asked);
    ``nullable`` allows None; ``choices`` restricts the value; ``quiet_default`` leaves the
    parameter out of the configuration string while it has its default, ``in_config=False``
    always (for a parameter already named by the version, e.g. KO's variant).
    """

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = parse_float
    kind: type | tuple[type, ...] = float
    nullable: bool = False
    choices: tuple[Any, ...] | None = None
    fmt: Callable[[Any], str] = format_value
    quiet_default: bool = False
    in_config: bool = True

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def coerce(self, value: Any, method: str) -> Any:
        """Parse a string, or check a programmatic value; raise ConfigError naming method and parameter."""
        try:
            value = self._coerce(value)
        except ValueError as exc:
            raise ConfigError(
                f"method {method!r}, parameter {self.name!r}: {exc} (expected: {self.help})"
            ) from None
        if self.choices is not None and value not in self.choices:
            raise ConfigError(
                f"method {method!r}, parameter {self.name!r}: {value!r} is not one of {', '.join(map(str, self.choices))}"
            )
        return value

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, str):
            value = self.parse(value)
        elif self.kind is str and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # variant=2019
        if value is None:
            if not self.nullable:
                raise ValueError("None is not allowed")
            return None
        if self.kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
                raise ValueError(f"{value!r} is a {type(value).__name__}, not a number")
            value = float(value)
            if not np.isfinite(value):
                raise ValueError(f"{value!r} is not a finite number")
            return value
        if not isinstance(value, self.kind):
            raise ValueError(f"{value!r} is a {type(value).__name__}")
        return value

    def describe(self) -> str:
        """``name=default`` (or ``name=REQUIRED``) for listings."""
        return f"{self.name}={'REQUIRED' if self.required else self.fmt(self.default)}"


def choice_param(name: str, default: str, choices: Sequence[str], help: str, **kw: Any) -> Param:
    return Param(name, default, help, parse=str, kind=str, choices=tuple(choices), fmt=str, **kw)


# --------------------------------------------------------------------------- registry records
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
                out.append(Param(key, None, "a number or none", parse=parse_optional_float, nullable=True))
            elif isinstance(default, bool):
                raise ValueError(
                    f"method {method!r}, parameter {key!r}: give boolean parameters as Param objects"
                )
            elif isinstance(default, int | float):
                out.append(Param(key, float(default), "a number"))
            elif isinstance(default, str):
                out.append(Param(key, default, "a string", parse=str, kind=str, fmt=str))
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


def _as_expander(raw: Any, method: str) -> Expander:
    """Normalize what a factory returned to ``ldr -> (hdr, stats)``, keeping its ``info``/``version``."""
    if callable(getattr(raw, "expand", None)) and not hasattr(raw, "__code__"):
        fn: Any = _adapt_loaded(raw, method)
    elif callable(raw):

        def fn(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
            out = raw(ldr)
            if isinstance(out, tuple):
                return out
            hdr = np.asarray(out)
            return hdr, wrapper.stats_from_output(hdr, route=method)

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
        expander = _as_expander(entry.factory(**resolved), name)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(f"method {name!r}: {exc}") from exc
    info_obj = _plain(getattr(expander, "info", None))
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
        arr = wrapper.check_ldr(ldr, f"LDR input of method {self.name!r}")
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
            or lo < wrapper.BLACK_CDM2 * (1 - 1e-6)
            or hi > wrapper.PEAK_CDM2 * (1 + 1e-6)
        ):
            raise ImageError(
                None,
                f"{where} spans [{lo:.6g}, {hi:.6g}]",
                f"linear BT.2020 cd/m^2 in [{wrapper.BLACK_CDM2}, {wrapper.PEAK_CDM2:g}] (a bug in the method)",
            )
        return hdr

    def config_string(self) -> str:
        """One line naming the method, version, parameters, display and protocol, e.g.
        ``ko 2017-variant | sigma_s=150 sigma_r=25/255 d_min=0.3 d_max=1200 gamma=2.2 | peak 1000 | protocol v1``."""
        parts = []
        for p in self._entry.params:
            value = self.info.params[p.name]
            if not p.in_config or (p.quiet_default and value == p.default):
                continue
            parts.append(f"{p.name}={p.fmt(value)}")
        head = f"{self.name} {self.info.version}"
        return " | ".join(
            [head, " ".join(parts) or "-", f"peak {wrapper.PEAK_CDM2:g}", f"protocol {PROTOCOL_VERSION}"]
        )

    def __repr__(self) -> str:
        return f"<Method {self.config_string()}>"


# --------------------------------------------------------------------------- built-in methods
_TOOLBOX = "HDR Toolbox (github.com/banterle/HDR_Toolbox)"
_GAMMA = Param(
    "gamma",
    2.2,
    "display gamma removed first (> 0), or none for linear input",
    parse=parse_optional_float,
    nullable=True,
)


def _classical(op: Callable[[np.ndarray], np.ndarray]) -> Expander:
    def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        return wrapper.from_relative_bt709(op(ldr), return_stats=True)

    return expand


_BACKEND = choice_param(
    "backend",
    "native",
    ("native", "octave", "matlab"),
    "native (this suite's code) or the original HDR Toolbox function run by octave/matlab from your copy "
    "(ITMN_HDRTOOLBOX_PATH; docs/backends.md)",
    quiet_default=True,
)


def _check_original(backend: str) -> None:
    """Fail at construction, not per image, when an original backend is not usable."""
    if backend != "native":
        from bench.backends.originals import engine_for

        try:
            engine_for("hdrtoolbox", backend)
        except ConfigError:
            raise
        except Exception as exc:  # engine start-up failures
            raise ConfigError(f"backend {backend!r}: {exc}") from exc


def _huo_factory(
    l_peak: float, n: float, gamma: float | None, logmean_delta: float, backend: str = "native"
) -> Expander:
    from baselines import huo

    huo._check_params(l_peak, n, gamma, logmean_delta)
    if backend != "native" and logmean_delta != huo.LOGMEAN_DELTA_2018:
        raise ValueError(
            "logmean_delta is fixed by the toolbox copy with an original backend; leave it at 1e-6"
        )
    _check_original(backend)
    return _classical(
        lambda ldr: huo.huo_physiological(ldr, l_peak, n, gamma, logmean_delta=logmean_delta, backend=backend)
    )


def _original_version(p: Mapping[str, Any]) -> str:
    return f"original-{p['backend']} (HDR Toolbox at {os.environ.get('ITMN_HDRTOOLBOX_PATH', '?')})"


def _huo_version(p: Mapping[str, Any]) -> str:
    if p.get("backend", "native") != "native":
        return _original_version(p)
    delta = p["logmean_delta"]
    if delta == 1e-6:
        return "toolbox-2018"
    if delta == 1e-3:
        return "toolbox-2018q1"
    return "toolbox-2018-custom-logmean"


def _ko_factory(**p: Any) -> Expander:
    from baselines import kovaleski

    kovaleski._check_params(
        p["mode"], p["sigma_s"], p["sigma_r"], p["d_min"], p["d_max"], p["gamma"], p["variant"]
    )
    _check_original(p.get("backend", "native"))
    return _classical(lambda ldr: kovaleski.kovaleski_oliveira(ldr, **p))


def _ko_version(p: Mapping[str, Any]) -> str:
    if p.get("backend", "native") != "native":
        return f"{p['variant']}-variant {_original_version(p)}"
    return f"{p['variant']}-variant"


def _ko_params(variant: str) -> tuple[Param, ...]:
    return (
        choice_param(
            "mode",
            "image",
            ("image", "video"),
            "saturation threshold 254/255 (image) or 230/255 (video)",
            quiet_default=True,
        ),
        Param("sigma_s", 150.0, "spatial sigma of the cross bilateral filter, pixels (> 0)"),
        Param(
            "sigma_r", 25.0 / 255.0, "range sigma in code values (> 0), raised to gamma", fmt=format_per_255
        ),
        Param("d_min", 0.3, "display black level, cd/m^2 (>= 0)"),
        Param("d_max", 1200.0, "display white level, cd/m^2 (> d_min)"),
        _GAMMA,
        choice_param(
            "variant",
            variant,
            ("2017", "2019"),
            "brightness map 3E+1 (2017) or (3E+1)/4 (2019)",
            in_config=False,
        ),
        _BACKEND,
    )


def _akyuz_factory(l_max: float, a_gamma: float, gamma: float | None) -> Expander:
    from baselines import akyuz

    probe = np.zeros((1, 1, 3))
    akyuz.akyuz_linear(probe, l_max, a_gamma, gamma)  # validates the parameters now, not per image
    return _classical(lambda ldr: akyuz.akyuz_linear(ldr, l_max, a_gamma, gamma))


def _inverse_gamma_factory(gamma: float) -> Expander:
    from baselines import akyuz

    akyuz.inverse_gamma(np.zeros((1, 1, 3)), gamma)
    return _classical(lambda ldr: akyuz.inverse_gamma(ldr, gamma))


def _learned_factory(module: str, variant: str | None) -> Callable[..., Expander]:
    """Factory that loads a checkpoint with ``<module>.load_expander`` (imported only when called)."""

    def factory(checkpoint: str, device: str | None) -> Expander:
        path = Path(checkpoint).expanduser()
        if not path.exists():
            raise ConfigError(
                f"checkpoint {str(path)!r}: no such file or folder (expected a run folder or a checkpoint file)"
            )
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(
                f"{module} cannot be imported ({exc}); the learned method is not available"
            ) from exc
        kwargs: dict[str, Any] = {"device": device}
        if variant is not None:
            kwargs["variant"] = variant
        loaded = mod.load_expander(path, **kwargs)
        expand = _adapt_loaded(loaded, module)
        info = _plain(getattr(loaded, "info", None))
        expand.info = {"checkpoint": str(path), "loader": f"{module}.load_expander", "expander_info": info}  # type: ignore[attr-defined]
        expand.version = _learned_version(info)  # type: ignore[attr-defined]
        if callable(getattr(loaded, "config_string", None)):
            expand.info["expander_config"] = loaded.config_string()  # type: ignore[attr-defined]
        return expand

    return factory


def _adapt_loaded(loaded: Any, module: str) -> Expander:
    """Expander around a loaded model, with exact clip statistics where the model exposes its
    pre-display output (``expand_pq`` of itmn.infer, ``relative`` of baselines.drtm): the shared
    wrapper is then applied here, which is what their ``expand`` does. Otherwise ``expand`` is
    called and the clip counts are inferred from values on the display bounds (``exact=False``)."""
    if callable(getattr(loaded, "expand_pq", None)):
        return lambda ldr: wrapper.from_pq(
            np.asarray(loaded.expand_pq(ldr), dtype=np.float32), return_stats=True
        )
    if callable(getattr(loaded, "relative", None)):
        return lambda ldr: wrapper.from_relative_bt709(
            np.asarray(loaded.relative(ldr), dtype=np.float32), return_stats=True
        )

    def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        hdr = np.asarray(loaded.expand(ldr))
        stats = getattr(loaded, "last_stats", None)
        if not isinstance(stats, ExpandStats):
            stats = wrapper.stats_from_output(hdr, route=f"{module}.load_expander")
        return hdr, stats

    return expand


def _learned_version(info: Any) -> str:
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


def _plain(info: Any) -> Any:
    """A JSON-friendly view of an expander's ``info`` (dict, dataclass or anything else)."""
    if info is None or isinstance(info, str | int | float | bool | dict | list):
        return info
    if hasattr(info, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(info)
    return repr(info)


def _learned_params() -> tuple[Param, ...]:
    return (
        Param(
            "checkpoint",
            REQUIRED,
            "a run folder or checkpoint file (--checkpoint PATH)",
            parse=str,
            kind=(str, Path),
            fmt=str,
        ),
        Param(
            "device",
            None,
            "cpu, cuda, cuda:N, or auto (default)",
            parse=parse_device,
            kind=str,
            nullable=True,
            fmt=lambda v: v or "auto",
        ),
    )


def _register_builtins() -> None:
    register_method(
        "huo",
        _huo_factory,
        learned=False,
        version=_huo_version,
        description="Huo et al. 2014 physiological iTMO (retina response, 2 bilateral passes); HDR Toolbox HuoPhysEO",
        params=(
            Param("l_peak", 1000.0, "the toolbox's maxOutput, cd/m^2 (> 0); scales the output linearly"),
            Param("n", 0.86, "Huo's n (> 0), highlight/shadow share of the range"),
            _GAMMA,
            Param("logmean_delta", 1e-6, "delta of the log mean: 1e-6 (toolbox 2018+) or 1e-3 (2018-Q1)"),
            _BACKEND,
        ),
        reference=f"Huo et al., The Visual Computer 30(5), 2014; {_TOOLBOX} HuoPhysEO at 8169abe (= HEAD 5375d05)",
    )
    for name, variant in (("ko", "2017"), ("ko-2019", "2019")):
        register_method(
            name,
            _ko_factory,
            learned=False,
            version=_ko_version,
            description=(
                "Kovaleski & Oliveira 2014 (saturation mask, cross bilateral brightness map); HDR Toolbox "
                f"KovaleskiOliveiraEO, map {'3E+1 in [1,4] (toolbox before 2019-08-12)' if variant == '2017' else '(3E+1)/4 in [1/4,1] (toolbox 2019-08-12 on)'}"
            ),
            params=_ko_params(variant),
            reference=f"Kovaleski & Oliveira, SIBGRAPI 2014; {_TOOLBOX} KovaleskiOliveiraEO at 8169abe (2017) / 5375d05 (2019)",
        )
    register_method(
        "akyuz",
        _akyuz_factory,
        learned=False,
        version="2007",
        description="Akyüz et al. 2007 linear expansion k ((L - Lmin)/(Lmax - Lmin))^a_gamma; HDR Toolbox AkyuzEO",
        params=(
            Param("l_max", 1000.0, "k, luminance of the brightest pixel, cd/m^2 (> 0)"),
            Param("a_gamma", 1.0, "exponent of the normalized luminance (> 0; 1 = linear)"),
            _GAMMA,
        ),
        reference=f"Akyüz et al., ACM TOG 26(3) (SIGGRAPH) 2007; {_TOOLBOX} AkyuzEO",
    )
    register_method(
        "inverse-gamma",
        _inverse_gamma_factory,
        learned=False,
        version="1",
        description="plain inverse gamma LDR^gamma as relative linear BT.709 (peak luminance then set to 1000 cd/m^2)",
        params=(Param("gamma", 2.2, "display gamma (> 0)"),),
        reference="linear expansion baseline of the acceptance criteria",
    )
    learned = (
        (
            "itmn",
            "itmn.infer",
            "itmn",
            "iTMN (Ning et al. 2018), U-Net generator with adversarial regularizer",
        ),
        ("itmn-nodmse", "itmn.infer", "nodmse", "iTMN ablation NoDMSE (alpha = 0: no gradient MSE term)"),
        ("itmn-noadvreg", "itmn.infer", "noadvreg", "iTMN ablation NoAdvReg (no adversarial regularizer)"),
        (
            "drtm",
            "baselines.drtm",
            None,
            "DrTM-style model (Endo et al. 2017): learned exposure bracket, then merge",
        ),
    )
    for name, module, variant, description in learned:
        register_method(
            name,
            _learned_factory(module, variant),
            learned=True,
            version="checkpoint",
            description=description,
            params=_learned_params(),
            reference=(
                "Ning et al., Learning an inverse tone mapping network with a generative adversarial regularizer (ICASSP 2018)"
                if module == "itmn.infer"
                else "Endo, Kanamori, Mitani, Deep reverse tone mapping, ACM TOG 36(6) 2017"
            ),
        )
    # published networks with their authors' released weights (no checkpoint: the weights are
    # fetched and verified like the datasets); torch and the networks are imported by the factories
    from baselines.published.methods import register as register_published

    register_published(register_method)


_register_builtins()
