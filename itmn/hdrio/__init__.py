"""Reading and writing HDR and LDR images.

Readers return ``(image, meta)``: a float32 H x W x 3 array of linear RGB with BT.709 primaries
(converted from the file's chromaticities when it declares other primaries) and a dict of what
was found in the file. Writers are atomic: they write to a temporary name in the destination
folder and rename, so a crash or an error never leaves a partial file.

Libraries: OpenEXR's Python binding for EXR (it is the only one that returns the subsampled
channels of luminance/chroma files; OpenImageIO refuses them), OpenImageIO for Radiance .hdr,
PFM, PNG, TIFF and JPEG.

Modules: :mod:`~itmn.hdrio.api` (``read_hdr``, ``read_ldr``, ``write_hdr``: dispatch by
extension), :mod:`~itmn.hdrio.exr` (OpenEXR), :mod:`~itmn.hdrio.oiio` (OpenImageIO formats),
:mod:`~itmn.hdrio.formats` (file signatures). Array checks are in :mod:`itmn.images`, atomic
writes in :mod:`itmn.atomic`.
"""

from itmn.atomic import atomic_path
from itmn.hdrio.api import HDR_EXTENSIONS, LDR_EXTENSIONS, read_hdr, read_ldr, write_hdr
from itmn.hdrio.exr import write_exr
from itmn.hdrio.formats import Encoding, sniff_format
from itmn.hdrio.oiio import radiance_header, write_pfm, write_png, write_radiance

__all__ = [
    "HDR_EXTENSIONS",
    "LDR_EXTENSIONS",
    "Encoding",
    "atomic_path",
    "radiance_header",
    "read_hdr",
    "read_ldr",
    "sniff_format",
    "write_exr",
    "write_hdr",
    "write_pfm",
    "write_png",
    "write_radiance",
]
