"""LDR-to-HDR methods other than iTMN itself, and the registry of every method.

* :mod:`baselines.registry` — ``register_method``, ``get_method``, ``list_methods`` (all methods,
  classical and learned; protocol v1 section 3).
* :mod:`baselines.wrapper` — the shared output stage (relative BT.709 or PQ -> BT.2020 cd/m^2 in
  [0.005, 1000], with clip statistics).
* :mod:`baselines.huo`, :mod:`baselines.kovaleski`, :mod:`baselines.akyuz` — classical operators
  as the HDR Toolbox computes them; :mod:`baselines.bilateral` — its bilateral grid.
* :mod:`baselines.drtm` — the DrTM-style learned model.

Nothing is imported here, so ``import baselines.drtm`` does not pull in the registry and vice
versa; the three registry functions are available as attributes on first use.
"""

from __future__ import annotations

from typing import Any

import itmn  # noqa: F401  (sets the OpenMP wait policy before torch loads)

__all__ = ["get_method", "list_methods", "register_method"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from baselines import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'baselines' has no attribute {name!r}")
