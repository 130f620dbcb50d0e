"""Fingerprints of what produced a result: files by sha256, and the source code a callable runs.

Cached predictions and scores are reused only while the method that made them is the same:
same configuration string, same weights (the checkpoint's sha256) and same code. The code of a
callable is found by :func:`code_files`, which follows what the callable can reach -- its own
module, the functions, classes, modules and objects held in its closure, defaults and instance
attributes, and the functions and modules its code names as globals (``module.function`` included)
-- and keeps the source files of the packages it was asked about (the suite's own packages and
the callable's). It is a static, conservative approximation: code reached only through strings or
``importlib`` is not seen, and every file of a module counts, even the parts the callable does not
run.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["SUITE_PACKAGES", "code_digest", "code_files", "sha256_file"]

#: The suite's own top-level packages: their files are part of every method's code fingerprint.
SUITE_PACKAGES = ("itmn", "baselines", "bench")
_CHUNK = 1 << 20
_MAX_OBJECTS = 5000


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _top(module_name: str | None) -> str:
    return (module_name or "").split(".")[0]


def code_files(*objects: Any, packages: Iterable[str] = ()) -> dict[str, Path]:
    """``{module name: source file}`` of the modules ``objects`` can reach (see the module
    docstring), restricted to the top-level packages ``packages`` plus those of the objects
    themselves; sorted by module name."""
    roots = set(packages)
    for obj in objects:
        mod = obj if isinstance(obj, types.ModuleType) else inspect.getmodule(obj) or inspect.getmodule(type(obj))
        if mod is not None:
            roots.add(_top(mod.__name__))
    roots.discard("")
    roots.discard("builtins")
    modules: set[str] = set()
    seen: set[int] = set()
    stack: list[Any] = list(objects)
    while stack and len(seen) < _MAX_OBJECTS:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.extend(_reachable(obj, roots, modules))
    files = {}
    for name in sorted(modules):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and path.endswith(".py") and Path(path).is_file():
            files[name] = Path(path).resolve()
    return files


def _reachable(obj: Any, roots: set[str], modules: set[str]) -> list[Any]:
    """Record the module of ``obj`` when it is in ``roots`` and return what to visit next."""
    if isinstance(obj, types.ModuleType):
        if _top(obj.__name__) in roots:
            modules.add(obj.__name__)
        return []
    if isinstance(obj, dict):
        return list(obj.values())
    if isinstance(obj, list | tuple | set | frozenset):
        return list(obj)
    if isinstance(obj, types.MethodType):
        return [obj.__func__, obj.__self__]
    if isinstance(obj, functools.partial):
        return [obj.func, *obj.args, *obj.keywords.values()]
    if isinstance(obj, types.FunctionType):
        if _top(obj.__module__) not in roots:
            return []
        modules.add(obj.__module__)
        nxt: list[Any] = [c.cell_contents for c in (obj.__closure__ or ()) if _cell_filled(c)]
        nxt += list(obj.__defaults__ or ()) + list((obj.__kwdefaults__ or {}).values())
        nxt += _named_globals(obj.__code__, obj.__globals__, nxt, roots)
        return nxt
    if isinstance(obj, type):
        if _top(obj.__module__) not in roots:
            return []
        modules.add(obj.__module__)
        return [v for k, v in vars(obj).items() if not k.startswith("__")] + list(obj.__bases__)
    cls = type(obj)
    if _top(cls.__module__) in roots:  # an instance of one of the packages' classes
        return [cls, *getattr(obj, "__dict__", {}).values()]
    return []


def _cell_filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - raises ValueError when empty
    except ValueError:
        return False
    return True


def _named_globals(code: types.CodeType, namespace: dict[str, Any], locals_: list[Any], roots: set[str]) -> list[Any]:
    """The functions, classes and modules ``code`` (and the code nested in it) names: globals
    by name, and ``module.attribute`` for modules among the globals and the closure values."""
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    out: list[Any] = [namespace[n] for n in names if n in namespace]
    mods = [m for m in (*out, *locals_) if isinstance(m, types.ModuleType) and _top(m.__name__) in roots]
    for m in mods:
        out += [getattr(m, n) for n in names if hasattr(m, n)]
    return [o for o in out if isinstance(o, types.FunctionType | type | types.ModuleType)]


def code_digest(files: dict[str, Path]) -> dict[str, str]:
    """``{module name: sha256 of its source}`` for :func:`code_files`' result (keyed by module
    name, so the same code in another checkout gives the same digest)."""
    return {name: sha256_file(path) for name, path in sorted(files.items())}
