"""Alias of :mod:`itmn.display`, the output stage every method shares (protocol section 3).

The output stage belongs to the protocol, so it lives in the core (:mod:`itmn.display`); these
names stay importable from here for code written against earlier versions of the suite.
"""

from itmn.display import (
    BLACK_CDM2,
    PEAK_CDM2,
    ExpandStats,
    clip_display,
    from_pq,
    from_relative_bt709,
    from_relative_bt709_percentile,
    stats_from_output,
)
from itmn.images import check_ldr

__all__ = [
    "BLACK_CDM2",
    "PEAK_CDM2",
    "ExpandStats",
    "check_ldr",
    "clip_display",
    "from_pq",
    "from_relative_bt709",
    "from_relative_bt709_percentile",
    "stats_from_output",
]
