"""Bridge to the original MATLAB code (HDR-VDP, HDR Toolbox, PU21) through GNU Octave or MATLAB,
for confirming a number with the original implementation (docs/backends.md).

``native`` (the suite's own code) is always the default; the originals are run from the user's
own copies, which the suite never downloads or ships. This package knows nothing of the suite's
native ports: the metric registry and the method registry choose between native and original.

* :mod:`~itmn.originals.engine` — engines that call MATLAB-language functions on numpy arrays;
* :mod:`~itmn.originals.codebases` — where the user's copies are (:func:`configure` or the
  ``ITMN_*_PATH`` variables), version checks, cached engines;
* :mod:`~itmn.originals.calls` — the calls of the original functions.
"""

from itmn.originals.calls import (
    detect_ko_variant,
    hdrvdp2_original,
    hdrvdp3_original,
    huo_original,
    kovaleski_original,
    mpsnr_toolbox_original,
    pu21_original,
)
from itmn.originals.codebases import (
    CODEBASES,
    code_path,
    configure,
    configured_folder,
    describe,
    engine_for,
    engines_in_use,
)
from itmn.originals.engine import (
    BACKENDS,
    BackendCallError,
    BackendError,
    Engine,
    check_backend_name,
    get_engine,
)

__all__ = [
    "BACKENDS",
    "CODEBASES",
    "BackendCallError",
    "BackendError",
    "Engine",
    "check_backend_name",
    "code_path",
    "configure",
    "configured_folder",
    "describe",
    "detect_ko_variant",
    "engine_for",
    "engines_in_use",
    "get_engine",
    "hdrvdp2_original",
    "hdrvdp3_original",
    "huo_original",
    "kovaleski_original",
    "mpsnr_toolbox_original",
    "pu21_original",
]
