"""itmn-bench: reproduction of Ning et al., "Learning an inverse tone mapping network with a
generative adversarial regularizer" (iTMN), and a benchmark for LDR-to-HDR methods.

Subpackages: :mod:`itmn.colour` (colour maths), :mod:`itmn.hdrio` (image I/O), :mod:`itmn.tmo`
(tone mapping), :mod:`itmn.data` (datasets), :mod:`itmn.models`, :mod:`itmn.losses`,
:mod:`itmn.train` and :mod:`itmn.infer`.
"""

__version__ = "0.1.0"

#: Version of the evaluation protocol (../shared/PROTOCOL.md) the code implements.
PROTOCOL_VERSION = "v1"
