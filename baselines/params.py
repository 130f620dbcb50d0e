"""Method parameters: a name, a default, a type hint and how the value is written in a
configuration string. Values are coerced by :func:`itmn.typed.coerce`, the one coercion the
training configuration uses too.

>>> p = Param("sigma_r", 25 / 255, "range sigma", fmt=format_per_255)
>>> p.coerce("25/255", "ko"), p.fmt(p.default)
(0.09803921568627451, '25/255')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from itmn.errors import ConfigError
from itmn.typed import coerce

__all__ = [
    "OPTIONAL_NUMBER",
    "REQUIRED",
    "Param",
    "choice_param",
    "device_param",
    "format_per_255",
    "format_value",
    "parse_device",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a parameter that has none (must be given).
REQUIRED: Any = _Required()
#: Type hint of a number that may be None (e.g. gamma=none: input already linear).
OPTIONAL_NUMBER: Any = float | None

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

    ``type`` is the type hint values are coerced to (:func:`itmn.typed.coerce`: text is parsed,
    Python values are checked; ``float | None`` allows ``none``); ``parse`` replaces the parsing of
    text for a parameter with its own text form (e.g. a device); ``choices`` restricts the value;
    ``quiet_default`` leaves the parameter out of the configuration string while it has its
    default, ``in_config=False`` always (for a parameter already named by the version, e.g. KO's
    variant).
    """

    name: str
    default: Any
    help: str
    type: Any = float
    parse: Callable[[str], Any] | None = None
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
            if isinstance(value, str) and self.parse is not None:
                value = self.parse(value)
            else:
                value = coerce(value, self.type)
        except ValueError as exc:
            raise ConfigError(
                f"method {method!r}, parameter {self.name!r}: {exc} (expected: {self.help})"
            ) from None
        if self.choices is not None and value not in self.choices:
            raise ConfigError(
                f"method {method!r}, parameter {self.name!r}: {value!r} is not one of {', '.join(map(str, self.choices))}"
            )
        return value

    def describe(self) -> str:
        """``name=default`` (or ``name=REQUIRED``) for listings."""
        return f"{self.name}={'REQUIRED' if self.required else self.fmt(self.default)}"


def choice_param(name: str, default: str, choices: Sequence[str], help: str, **kw: Any) -> Param:
    """A string parameter with a fixed set of values (an int such as ``variant=2019`` is accepted)."""
    return Param(name, default, help, type=Literal[tuple(choices)], fmt=str, **kw)


def device_param(help: str = "cpu, cuda, cuda:N, or auto (default)", **kw: Any) -> Param:
    """``device``: cpu, cuda, cuda:N, or auto (None: the loader chooses)."""
    return Param("device", None, help, type=str | None, parse=parse_device, fmt=lambda v: v or "auto", **kw)


def checkpoint_param() -> Param:
    """``checkpoint``: a run folder or checkpoint file of a learned method (required)."""
    return Param("checkpoint", REQUIRED, "a run folder or checkpoint file (--checkpoint PATH)", type=str | Path, fmt=str)
