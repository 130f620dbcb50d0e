"""Where the suite keeps downloads and prepared data. Nothing here points at ../shared: the code
takes paths or environment variables.

* ``ITMN_CACHE``       cache root (default: the user's cache dir, e.g. ~/.cache/itmn)
* ``ITMN_DATA_MIRROR`` a local folder or URL laid out like raw.githubusercontent.com
                       (``<repo>/<commit>/<path>``, or ``<owner>/<repo>/<commit>/<path>``)
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(override: str | Path | None = None) -> Path:
    """The cache root: ``override``, else ``$ITMN_CACHE``, else the platform's user cache dir."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("ITMN_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("itmn"))


def downloads_dir(cache: str | Path | None = None) -> Path:
    return cache_dir(cache) / "downloads"


def prepared_dir(dataset: str, cache: str | Path | None = None, protocol: str = "v1") -> Path:
    """Default folder of a dataset prepared under ``protocol``: ``<cache>/prepared/<protocol>/<dataset>``
    (one folder per protocol version, so they never overwrite each other)."""
    return cache_dir(cache) / "prepared" / protocol / dataset


def datasets_dir(cache: str | Path | None = None) -> Path:
    """Where ``itmn data fetch --manifest`` registers a user's dataset: ``<cache>/datasets/<name>/``."""
    return cache_dir(cache) / "datasets"


def data_mirror(override: str | None = None) -> str | None:
    return override or os.environ.get("ITMN_DATA_MIRROR") or None
