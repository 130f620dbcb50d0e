"""Interpreter exit without "nanobind: leaked ..." noise.

colour-science's ``colour.io.image`` imports OpenImageIO when it is installed and keeps
OpenImageIO objects as module globals (``ImageSpec`` and the ``UINT8``/``HALF``/... type
constants). When torch's extension module is loaded as well -- every command that trains, infers
or computes HDR-VDP-2 -- those globals are still alive when OpenImageIO's nanobind runtime checks
for leaked objects at interpreter shutdown, and nanobind prints some twenty "nanobind: leaked N
instances/types/functions" lines to stderr after the command finished, which users read as a
crash. (Measured with OpenImageIO 3.2.2, colour-science 0.4.7, torch 2.13: ``python -c "import
colour, torch"`` prints them; either import alone does not.) Nothing harmful leaks -- the process
is ending -- and nanobind's own switch, ``nb::set_leak_warnings``, is not exposed by OpenImageIO's
Python module.

The fix here releases those references properly: an :mod:`atexit` handler, which runs before the
interpreter tears modules down, deletes the module globals of colour-science that hold
OpenImageIO objects, so they are freed in order and nanobind finds nothing alive. stderr is not
touched. colour-science's OpenImageIO-based image I/O is not used by the suite (OpenImageIO and
OpenEXR are called directly in :mod:`itmn.hdrio`), and at exit nothing can use it any more.
"""

from __future__ import annotations

import atexit
import sys

_registered = False


def _is_openimageio_object(value: object) -> bool:
    if isinstance(value, type):
        return str(getattr(value, "__module__", "")).startswith("OpenImageIO")
    return str(getattr(type(value), "__module__", "")).startswith("OpenImageIO")


def release_openimageio_globals() -> list[str]:
    """Delete colour-science's module globals holding OpenImageIO objects; return their names."""
    if "OpenImageIO" not in sys.modules:
        return []
    dropped = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "colour" or name.startswith("colour.")):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attr, value in list(namespace.items()):
            if _is_openimageio_object(value):
                del namespace[attr]
                dropped.append(f"{name}.{attr}")
    return dropped


def register() -> None:
    """Register :func:`release_openimageio_globals` to run at exit (once per process)."""
    global _registered
    if not _registered:
        atexit.register(release_openimageio_globals)
        _registered = True
