"""Scene fingerprints: is this HDR image the same scene as that one, from another source?

Used to check that a dataset has no scene twice (two copies of one Poly Haven panorama under
different names, at other resolutions or compressions). Pure numpy, no I/O.

A fingerprint is a small log-luminance thumbnail (area-resampled, so any resolution of the same
picture gives nearly the same one) with the mean of every row removed (the sky-above,
ground-below profile that every outdoor panorama shares) and the polar eighths of a panorama
dropped, normalised to zero mean and unit variance. :func:`similarity` is the normalised
cross-correlation of two fingerprints, for panoramas maximised over every horizontal rotation
(a copy may start at another azimuth) and a mirror flip. Copies of one scene score about 0.99 or
more; distinct scenes below about 0.8 (measured on the public-v2 images, itmn.data.public_v2).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from itmn import colour
from itmn.data.prepare import resample

Projection = Literal["perspective", "equirect"]
PANORAMA_SHAPE = (64, 128)  #: thumbnail rows x columns of a panorama
PERSPECTIVE_SIDE = 64  #: thumbnail side of the centre square of a perspective image


def scene_fingerprint(img709: np.ndarray, projection: Projection) -> np.ndarray:
    """Fingerprint of a linear BT.709 image (H x W x 3, any scale): float64, zero mean, unit std."""
    img = np.maximum(np.asarray(img709, dtype=np.float64), 0.0)
    h, w = img.shape[:2]
    if projection == "equirect":
        rows, cols = PANORAMA_SHAPE
        if h < rows or w < cols:
            raise ValueError(f"panorama of {w} x {h} px is smaller than the fingerprint ({cols} x {rows})")
        thumb = resample(img, rows, cols, "area")
    else:
        s = min(h, w)
        if s < PERSPECTIVE_SIDE:
            raise ValueError(f"image of {w} x {h} px is smaller than the fingerprint ({PERSPECTIVE_SIDE} px)")
        oy, ox = (h - s) // 2, (w - s) // 2
        thumb = resample(img[oy : oy + s, ox : ox + s], PERSPECTIVE_SIDE, PERSPECTIVE_SIDE, "area")
    lum = np.log(colour.luminance(thumb, "bt709") + 1e-4)
    lum = lum - lum.mean(axis=1, keepdims=True)
    if projection == "equirect":
        cut = lum.shape[0] // 8
        lum = lum[cut:-cut]
    return (lum - lum.mean()) / (lum.std() + 1e-12)


def similarity(a: np.ndarray, b: np.ndarray, projection: Projection) -> float:
    """Normalised cross-correlation of two fingerprints of the same projection, in [-1, 1]
    (panoramas: the maximum over horizontal rotations of ``b`` and of its mirror image)."""
    if a.shape != b.shape:
        raise ValueError(f"fingerprints of different shapes {a.shape} and {b.shape}")
    if projection != "equirect":
        return float((a * b).mean())
    fa = np.fft.fft(a, axis=1)
    best = -1.0
    for bb in (b, b[:, ::-1]):
        cc = np.real(np.fft.ifft(fa * np.conj(np.fft.fft(bb, axis=1)), axis=1)).sum(axis=0) / a.size
        best = max(best, float(cc.max()))
    return best
