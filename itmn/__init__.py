"""itmn-bench: reproduction of Ning et al., "Learning an inverse tone mapping network with a
generative adversarial regularizer" (iTMN), and a benchmark for LDR-to-HDR methods.

Subpackages: :mod:`itmn.colour` (colour maths), :mod:`itmn.hdrio` (image I/O), :mod:`itmn.tmo`
(tone mapping), :mod:`itmn.data` (datasets), :mod:`itmn.models`, :mod:`itmn.losses`,
:mod:`itmn.train` and :mod:`itmn.infer`.
"""

import os as _os

# OpenMP threads that spin while waiting make torch 10x slower or worse as soon as another
# process shares the cores (measured here: HDR-VDP-2 at 512x512 took 5.5 s instead of 0.4 s
# with 2 threads while one training run used a core). Sleeping waiters cost ~nothing when the
# machine is idle. Only effective if torch is not imported yet; an explicit setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Free colour-science's OpenImageIO globals at exit, before nanobind checks for leaks (itmn._atexit).
from itmn import _atexit as _exit_hooks  # noqa: E402

_exit_hooks.register()

__version__ = "0.1.0"

#: The evaluation protocol version used when none is named (docs/PROTOCOL.md; the versions are
#: objects of :mod:`itmn.protocol`).
PROTOCOL_VERSION = "v1"
