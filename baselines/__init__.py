"""LDR-to-HDR methods other than iTMN itself, and the registry of every method.

* :mod:`baselines.registry` — ``register_method``, ``get_method``, ``list_methods`` (all methods,
  classical and learned; protocol section 3); :mod:`baselines.params` — typed parameters;
  :mod:`baselines.methods` — the built-in registrations (native or original backend).
* :mod:`baselines.huo`, :mod:`baselines.kovaleski`, :mod:`baselines.akyuz` — classical operators
  as the HDR Toolbox computes them (pure functions); :mod:`baselines.bilateral` — its bilateral grid.
* :mod:`baselines.drtm` — the DrTM-style learned model (it registers its model kind with
  :mod:`itmn.train` when imported; importing :mod:`baselines` does so).

The output stage every method shares is :mod:`itmn.display` (``baselines.wrapper`` is an alias).
"""

from __future__ import annotations

import itmn  # noqa: F401  (sets the OpenMP wait policy before torch loads)
from baselines import drtm  # noqa: F401  (registers the drtm model kind with the trainer; no torch)
from baselines.methods import register_builtin_methods
from baselines.registry import get_method, list_methods, register_method

__all__ = ["get_method", "list_methods", "register_method"]

register_builtin_methods()
