"""Typed values from text or from Python: the one coercion of the suite.

Training configurations (``--set key=value``, JSON/TOML files) and method parameters
(``--param key=value``, ``get_method(name, **params)``) are dataclass fields or parameters with a
type hint; :func:`coerce` turns command-line text into a value of that type and checks values given
from Python, raising ValueError with what was expected and what was seen. Callers add where the
value came from (file, key, method).

Why hand-written: the hints used here are few (numbers, booleans, strings, paths, optional values,
literals, tuples and JSON objects), text forms such as ``25/255``, ``none`` or ``32,64,128`` must be
accepted, and messages must name the key and the value; a validation library would need as much
glue for those as this module has lines.

>>> coerce("25/255", float)
0.09803921568627451
>>> coerce("1e3", int), coerce("off", bool), coerce("none", float | None)
(1000, False, None)
>>> coerce("32,64,128", tuple[int, ...])
(32, 64, 128)
"""

from __future__ import annotations

import json
import math
import types
import typing
from pathlib import Path
from typing import Any

__all__ = ["NONE_WORDS", "coerce", "describe", "parse_number"]

#: Text that means None for an optional value.
NONE_WORDS = ("none", "null")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def parse_number(text: str) -> float:
    """A finite number from text, also written as a fraction (``0.3``, ``1e-6``, ``25/255``)."""
    s = text.strip().replace("_", "")
    try:
        if "/" in s:
            num, den = s.split("/", 1)
            value = float(num) / float(den)
        else:
            value = float(s)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"expected a number, got {text!r} (examples: 0.3, 1e-6, 25/255)") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {text!r}")
    return value


def describe(hint: Any) -> str:
    """What a value of ``hint`` is, in words (for messages)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [describe(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or none" if type(None) in args else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {describe(args[0])} values"
        return f"{len(args)} values"
    return {
        float: "a number",
        int: "an integer",
        bool: "a boolean (true/false)",
        str: "a string",
        Path: "a path",
        dict: "a JSON object",
    }.get(hint if origin is None else origin, str(hint))


def coerce(value: Any, hint: Any) -> Any:
    """``value`` as the type ``hint`` says (text is parsed, other values are checked).

    Supported hints: ``float`` (finite; text may be a fraction), ``int`` (text such as ``1e3`` or
    ``80_000``; an integral float), ``bool`` (true/false/yes/no/on/off/1/0), ``str``, ``Path``,
    ``X | None`` (``none``/``null`` or None), unions (first member that fits), ``Literal[...]``,
    ``tuple[X, ...]`` and ``tuple[X, Y]`` (``a,b,c`` or a JSON list), ``dict`` (a JSON object) and
    ``Any``. Raises ValueError saying what was expected and what was seen.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and (value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS)):
            return None
        members = [a for a in args if a is not type(None)]
        errors = []
        for member in members:
            try:
                return coerce(value, member)
            except ValueError as exc:
                errors.append(str(exc))
        if len(members) == 1:
            raise ValueError(errors[0])
        raise ValueError(f"expected {describe(hint)}, got {value!r}")
    if value is None:
        raise ValueError(f"expected {describe(hint)}, got None")
    if origin is typing.Literal:
        for choice in args:
            if value == choice or (isinstance(value, str | int) and not isinstance(value, bool) and str(value) == str(choice)):
                return choice
        raise ValueError(f"{value!r} is not one of {', '.join(map(str, args))}")
    if origin is tuple:
        return _tuple(value, args)
    if hint is dict or origin is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"expected a JSON object, got {value!r} ({exc})") from None
        if not isinstance(value, dict):
            raise ValueError(f"expected a dict/JSON object, got {value!r}")
        return dict(value)
    if hint is bool:
        return _bool(value)
    if hint is int:
        return _int(value)
    if hint is float:
        return _float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return value
    if hint is Path:
        if not isinstance(value, str | Path):
            raise ValueError(f"expected a path, got {value!r}")
        return value
    raise TypeError(f"unsupported type hint {hint!r}")  # a programming error, not bad input


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            f = float(value.strip().replace("_", ""))
        except ValueError:
            f = math.nan
        if f.is_integer():
            return int(f)
    raise ValueError(f"expected an integer, got {value!r}")


def _float(value: Any) -> float:
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        import numpy as np

        if not isinstance(value, np.integer | np.floating):
            raise ValueError(f"expected a number, got {value!r} (a {type(value).__name__})")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"expected a finite number, got {value!r}")
    return out


def _tuple(value: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    if isinstance(value, list | tuple):
        seq = list(value)
    elif isinstance(value, str):
        s = value.strip()
        loaded: Any = None
        if s.startswith("["):
            try:
                loaded = json.loads(s)
            except json.JSONDecodeError as exc:
                raise ValueError(f"expected a list, got {value!r} ({exc})") from None
        if isinstance(loaded, list):
            seq = loaded
        else:
            seq = [] if not s else [p.strip() for p in s.split(",")]
    else:
        raise ValueError(f"expected a list (a,b,c or [a, b, c]), got {value!r}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(coerce(v, args[0]) for v in seq)
    if len(seq) != len(args):
        raise ValueError(f"expected {len(args)} values, got {value!r}")
    return tuple(coerce(v, a) for v, a in zip(seq, args))
