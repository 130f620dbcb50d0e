"""The evaluation protocol as data: one object that data preparation, the methods' output stage,
the metrics and every configuration string read (docs/PROTOCOL.md).

A :class:`Display` is the display model every method outputs for and every metric assumes
(after ColorVideoVDP's display models: absolute units, stated in the object, quoted with every
result). A :class:`Protocol` adds how benchmark pairs are made from source photographs. Both are
frozen dataclasses; :func:`get_protocol` returns a registered version by name::

    >>> p = get_protocol("v1")
    >>> p.display.peak_cdm2, p.display.black_cdm2, p.display.primaries, p.display.ppd
    (1000.0, 0.005, 'bt2020', 30.0)
    >>> p.tag
    'protocol v1'

Changing any value is a new protocol version (docs/PROTOCOL.md): registered versions never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from itmn import PROTOCOL_VERSION
from itmn.errors import ConfigError

__all__ = [
    "DEFAULT_VERSION",
    "LATEST_VERSION",
    "PROTOCOLS",
    "Display",
    "Protocol",
    "get_protocol",
    "register_protocol",
]

Primaries = Literal["bt709", "bt2020"]


@dataclass(frozen=True)
class Display:
    """A display model, in absolute units.

    Attributes:
        name: short name quoted in configuration strings.
        peak_cdm2: Y_peak, the display's peak luminance in cd/m^2; method outputs are clipped to it.
        black_cdm2: Y_black, the display's black level in cd/m^2 (log-domain metrics need > 0).
        primaries: primaries of the linear light a method outputs (``bt2020``).
        encoding: transfer function of the display's code values (``pq``: SMPTE ST 2084), used by
            metrics computed on code values (SSIM) and by learned models that predict code values.
        ppd: pixels per visual degree of the viewing set-up (30: a 512 x 512 image seen at the
            distance where it spans about 17 degrees), used by the visual metrics.
    """

    name: str
    peak_cdm2: float
    black_cdm2: float
    primaries: Primaries = "bt2020"
    encoding: Literal["pq"] = "pq"
    ppd: float = 30.0

    def __post_init__(self) -> None:
        if not (0.0 < self.black_cdm2 < self.peak_cdm2 and np.isfinite(self.peak_cdm2)):
            raise ConfigError(
                f"display {self.name!r}: black {self.black_cdm2!r} and peak {self.peak_cdm2!r} cd/m^2 "
                "(expected 0 < black < peak)"
            )
        if not (np.isfinite(self.ppd) and self.ppd > 0):
            raise ConfigError(f"display {self.name!r}: ppd = {self.ppd!r} (expected > 0)")

    @cached_property
    def black_f32(self) -> np.float32:
        """The black level as the smallest float32 not below it. float32 cannot hold 0.005 (the
        nearest float32, 0.00499999989, is below it), so outputs clipped in float32 are clipped to
        the next float32 up and satisfy ``out >= black`` in float32 and float64 alike."""
        b = np.float32(self.black_cdm2)
        return np.nextafter(b, np.float32(np.inf)) if float(b) < self.black_cdm2 else b

    @cached_property
    def peak_f32(self) -> np.float32:
        """The peak as float32 (1000 is exact)."""
        return np.float32(self.peak_cdm2)

    def range_text(self) -> str:
        """``[0.005, 1000]`` for messages and docstrings."""
        return f"[{self.black_cdm2:g}, {self.peak_cdm2:g}]"


@dataclass(frozen=True)
class Protocol:
    """One version of the evaluation protocol (docs/PROTOCOL.md).

    Attributes:
        version: ``v1``, ...; quoted as ``protocol <version>`` in every configuration string.
        display: the display model of method outputs and metrics.
        image_size: side of the square benchmark images in pixels (area-downsampled, centre crop).
        reference_percentile: the percentile of luminance the HDR target is scaled to put at the
            display peak.
        pq_bits: bits of the PQ training targets.
        ldr_bits: bits of the LDR inputs.
        test_tmo: the tone mapping operator that makes the LDR input of test pairs.
        geometry: what is cropped from a source photograph, in words (docs/PROTOCOL.md): v1 crops
            every image the same way; v2 keeps training images whole and crops equirectangular
            panoramas to their horizon band for test and validation.
    """

    version: str
    display: Display
    image_size: int = 512
    reference_percentile: float = 99.9
    pq_bits: int = 10
    ldr_bits: int = 8
    test_tmo: str = "reinhard_global"
    geometry: str = ""

    @property
    def tag(self) -> str:
        """``protocol v1``: the last field of every configuration string."""
        return f"protocol {self.version}"


#: The display of protocol v1: the paper's 1000-nit display, BT.2020, PQ, 0.005 cd/m^2 black.
DISPLAY_V1 = Display(name="itmn-1000nit-bt2020-pq", peak_cdm2=1000.0, black_cdm2=0.005)

PROTOCOLS: dict[str, Protocol] = {}
#: The version used when none is named (``itmn.PROTOCOL_VERSION``).
DEFAULT_VERSION = PROTOCOL_VERSION


def register_protocol(protocol: Protocol) -> Protocol:
    """Add a protocol version; a registered version can never be replaced."""
    if protocol.version in PROTOCOLS and PROTOCOLS[protocol.version] != protocol:
        raise ConfigError(f"protocol {protocol.version!r} is already registered with other values")
    PROTOCOLS[protocol.version] = protocol
    return protocol


def get_protocol(version: str | Protocol | None = None) -> Protocol:
    """The registered protocol ``version`` (a :class:`Protocol` is returned as it is; None: the
    default version); ConfigError naming the registered versions otherwise."""
    if isinstance(version, Protocol):
        return version
    key = DEFAULT_VERSION if version is None else str(version)
    try:
        return PROTOCOLS[key]
    except KeyError:
        raise ConfigError(f"unknown protocol version {key!r}; registered: {', '.join(PROTOCOLS)}") from None


register_protocol(
    Protocol(
        version="v1",
        display=DISPLAY_V1,
        geometry="every image: area-downsample so the short side is 512, centre crop 512 x 512 "
        "(a 1024 x 512 panorama: 180 x 180 degrees, poles included)",
    )
)
register_protocol(
    Protocol(
        version="v2",
        display=DISPLAY_V1,
        geometry="photographs: test/val as v1, training images whole (short side 512); equirectangular "
        "panoramas (2:1): area-downsample to 1024 x 512, test/val the band |latitude| <= 45 degrees "
        "(1024 x 256 native pixels, all longitudes), training images whole with crops drawn from that band",
    )
)
#: The newest version: what datasets without a version of their own (folders, user manifests) use.
LATEST_VERSION = "v2"
