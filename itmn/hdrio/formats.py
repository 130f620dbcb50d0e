"""File signatures: what a file's first bytes say it is (for errors that name the real format)."""

from __future__ import annotations

from typing import Literal

#: Display encodings of 16-bit PNG/TIFF HDR files.
Encoding = Literal["pq", "hlg"]

EXR_MAGIC = b"\x76\x2f\x31\x01"
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "a PNG file",
    b"\xff\xd8\xff": "a JPEG file",
    b"II*\x00": "a TIFF file",
    b"MM\x00*": "a TIFF file",
    b"#?": "a Radiance HDR file",
    b"PF\n": "a PFM file",
    b"Pf\n": "a PFM file",
    b"\x93NUMPY": "a numpy .npy file",
}


def sniff_format(head: bytes) -> str | None:
    """What a file's first bytes say it is ("a PNG file", ...), or None when unknown."""
    if head.startswith(EXR_MAGIC):
        return "an OpenEXR file"
    for sig, what in _SIGNATURES.items():
        if head.startswith(sig):
            return what
    return None

