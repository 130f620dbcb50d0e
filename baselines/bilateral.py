"""Bilateral and cross (joint) bilateral filter on a bilateral grid, as the HDR Toolbox computes it.

The HDR Toolbox's ``bilateralFilter.m`` (Jiawen Chen's bilateral grid, after Chen, Paris & Durand
2007, "Real-time edge-aware image processing with the bilateral grid") is the filter inside the
toolbox's Huo and Kovaleski-Oliveira operators. Their outputs depend on its exact discretization,
so this module reproduces it (written from the algorithm; see docs/porting-notes/eo.md):

* grid sampling = sigma (sigma_s pixels, sigma_r edge units), 3 padding cells on every side;
  grid size ``floor((H-1)/s_s)+7`` x ``floor((W-1)/s_s)+7`` x ``floor((edge_max-edge_min)/s_r)+7``;
* scatter: pixel (i, j) (0-based, i = row) adds its data value and a count of 1 to cell
  ``(round(i/s_s)+3, round(j/s_s)+3, round((edge-edge_min)/s_r)+3)`` with MATLAB's round
  (half away from zero; numpy's half-to-even changes Huo outputs by up to 23 %); pixels whose
  data is NaN are skipped (that is how the cross filter handles undefined data);
* blur data and counts with the unnormalized 3x3x3 kernel ``exp(-(dx^2+dy^2+dz^2)/2)``, zero
  outside the grid; divide (0 where the blurred count is 0);
* slice: trilinear interpolation at the unrounded positions ``(i/s_s+3, j/s_s+3, (edge-edge_min)/s_r+3)``.

All arithmetic is float64 and vectorized (``np.bincount`` for the scatter, separable blur, gathers
for the slicing); matches the toolbox run under Octave to ~1e-12 (tests/baselines/test_bilateral.py).
"""

from __future__ import annotations

import numpy as np

__all__ = ["GRID_PADDING", "bilateral_grid", "filter_unchecked", "grid_shape", "matlab_round"]

#: Padding cells on each side of the grid: floor(2 * sigma/sampling) + 1 with sampling = sigma.
GRID_PADDING = 3
# Unnormalized 1-D Gaussian taps at offsets -1, 0, +1 cell (sigma = 1 cell); the 3-D kernel
# exp(-(dx^2+dy^2+dz^2)/2) is their outer product, so the blur is separable.
_TAP = float(np.exp(-0.5))
# Pixels per strip of the slicing loop: 64k float64 = 512 KiB per buffer, cache-sized.
_STRIP_PIXELS = 1 << 16


def matlab_round(x: np.ndarray) -> np.ndarray:
    """Round half away from zero, like MATLAB's ``round`` (numpy's ``rint`` rounds half to even).

    ``x - rint(x)`` is exact in floating point, so ties are detected exactly (no ``floor(x + 0.5)``,
    which rounds 0.49999999999999994 up).

    >>> matlab_round(np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994]))
    array([ 1.,  2.,  3., -1., -3.,  0.])
    """
    x = np.asarray(x, dtype=np.float64)
    r = np.rint(x)
    tie = np.abs(x - r) == 0.5
    if tie.any():
        # x = k + 1/2 exactly, so x +- 1/2 is an exact integer.
        r[tie] = x[tie] + np.copysign(0.5, x[tie])
    return r


def grid_shape(
    height: int, width: int, edge_min: float, edge_max: float, sigma_s: float, sigma_r: float
) -> tuple[int, int, int]:
    """Size (rows, columns, range cells) of the toolbox's bilateral grid with sampling = sigma."""
    pad2 = 2 * GRID_PADDING
    return (
        int(np.floor((height - 1) / sigma_s)) + 1 + pad2,
        int(np.floor((width - 1) / sigma_s)) + 1 + pad2,
        int(np.floor((edge_max - edge_min) / sigma_r)) + 1 + pad2,
    )


def bilateral_grid(
    data: np.ndarray,
    edge: np.ndarray | None = None,
    edge_min: float | None = None,
    edge_max: float | None = None,
    sigma_s: float | None = None,
    sigma_r: float | None = None,
) -> np.ndarray:
    """Bilateral filter of ``data`` with range weights from ``edge`` (cross filter), on a grid.

    Same computation as the HDR Toolbox's ``bilateralFilter(data, edge, edgeMin, edgeMax,
    sigmaSpatial, sigmaRange)`` with its default sampling (= sigma), and the same argument order
    (so ``bilateral_grid(L, None, 0, 1, 16, 0.3)`` works). The four numbers are required: the
    toolbox's defaults (the edge image's own min/max, min(H, W)/16, a tenth of the range) are
    rarely what an operator wants.

    Parameters
    ----------
    data:
        H x W float array to filter. NaN marks undefined pixels: they add nothing to the grid
        (their output is still defined wherever the grid has weight). +-Inf is rejected.
    edge:
        H x W float array whose values steer the range weights; ``None`` means ``data`` (the
        ordinary bilateral filter, which then must have no NaN). Must be finite.
    edge_min, edge_max:
        The range the grid covers, in the unit of ``edge``. Values of ``edge`` may stray outside
        it by at most ``sigma_r`` (the grid's padding holds them exactly as in the toolbox);
        farther out is an error (the toolbox would fail or silently grow its grid).
    sigma_s:
        Spatial standard deviation in pixels (> 0); also the grid's spatial cell size.
    sigma_r:
        Range standard deviation in the unit of ``edge`` (> 0); also the grid's range cell size.

    Returns
    -------
    H x W float64 array, in the unit of ``data``.

    Examples
    --------
    >>> img = np.tile(np.linspace(0.0, 1.0, 8), (6, 1))
    >>> out = bilateral_grid(img, edge_min=0.0, edge_max=1.0, sigma_s=4.0, sigma_r=0.25)
    >>> out.shape, bool(np.all((out >= 0.0) & (out <= 1.0)))
    ((6, 8), True)
    """
    missing = [
        k
        for k, v in (
            ("edge_min", edge_min),
            ("edge_max", edge_max),
            ("sigma_s", sigma_s),
            ("sigma_r", sigma_r),
        )
        if v is None
    ]
    if missing:
        raise TypeError(
            f"bilateral_grid: missing {', '.join(missing)} (required: edge_min, edge_max, sigma_s, sigma_r)"
        )
    d, e = _check_inputs(data, edge, float(edge_min), float(edge_max), float(sigma_s), float(sigma_r))
    return filter_unchecked(
        d,
        e,
        float(edge_min),
        float(edge_max),
        float(sigma_s),
        float(sigma_r),
        has_nan=bool(np.isnan(d).any()),
    )


def filter_unchecked(
    d: np.ndarray,
    e: np.ndarray,
    edge_min: float,
    edge_max: float,
    sigma_s: float,
    sigma_r: float,
    *,
    has_nan: bool,
) -> np.ndarray:
    """:func:`bilateral_grid` without the argument checks, for callers that have validated already.

    ``d`` and ``e`` are float64 H x W arrays (``e`` finite, ``d`` finite or NaN as ``has_nan`` says).
    The range check of ``e`` is still made: it guards the grid indexing.
    """
    h, w = d.shape
    shape = grid_shape(h, w, edge_min, edge_max, sigma_s, sigma_r)
    z_min = _check_edge_range(e, edge_min, edge_max, sigma_r)
    # Range coordinate of every pixel, in cells (0 = edge_min), before the padding offset.
    z = e / sigma_r if edge_min == 0.0 else (e - edge_min) / sigma_r
    rows = np.arange(h, dtype=np.float64) / sigma_s
    cols = np.arange(w, dtype=np.float64) / sigma_s

    grid_data, grid_count = _scatter(d, z, rows, cols, shape, z_min=z_min, has_nan=has_nan)
    blurred_data = _blur3(grid_data)
    blurred_count = _blur3(grid_count)
    norm = np.zeros_like(blurred_data)
    np.divide(blurred_data, blurred_count, out=norm, where=blurred_count != 0)
    return _slice(norm, z, rows, cols)


# --------------------------------------------------------------------------- steps
def _check_inputs(
    data: np.ndarray,
    edge: np.ndarray | None,
    edge_min: float,
    edge_max: float,
    sigma_s: float,
    sigma_r: float,
) -> tuple[np.ndarray, np.ndarray]:
    d = _as_plane(data, "data")
    if np.isinf(d).any():
        raise ValueError(
            f"bilateral_grid: data has {int(np.isinf(d).sum())} infinite values; expected finite values or NaN for undefined pixels"
        )
    if edge is None:
        e = d
        if np.isnan(e).any():
            raise ValueError(
                f"bilateral_grid: data has {int(np.isnan(e).sum())} NaN values and no edge image was given; "
                "NaN (undefined data) is only allowed with a separate, fully defined edge image"
            )
    else:
        e = _as_plane(edge, "edge")
        if e.shape != d.shape:
            raise ValueError(
                f"bilateral_grid: edge has shape {e.shape} but data has shape {d.shape}; expected the same H x W"
            )
        if not np.isfinite(e).all():
            raise ValueError(
                f"bilateral_grid: edge has {int((~np.isfinite(e)).sum())} non-finite values; expected finite values everywhere"
            )
    for name, v in (
        ("edge_min", edge_min),
        ("edge_max", edge_max),
        ("sigma_s", sigma_s),
        ("sigma_r", sigma_r),
    ):
        if not np.isfinite(v):
            raise ValueError(f"bilateral_grid: {name} = {v!r}; expected a finite number")
    if not edge_max > edge_min:
        raise ValueError(
            f"bilateral_grid: edge range [{edge_min}, {edge_max}] is empty; expected edge_max > edge_min"
        )
    if not (sigma_s > 0 and sigma_r > 0):
        raise ValueError(f"bilateral_grid: sigma_s = {sigma_s}, sigma_r = {sigma_r}; expected both > 0")
    return d, e


def _as_plane(a: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise ValueError(
            f"bilateral_grid: {name} has shape {arr.shape}; expected a 2-D H x W array (one channel)"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"bilateral_grid: {name} is empty (shape {arr.shape}); expected at least 1 x 1")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"bilateral_grid: {name} has dtype {arr.dtype}; expected floating point")
    return arr.astype(np.float64, copy=False)


def _check_edge_range(e: np.ndarray, edge_min: float, edge_max: float, sigma_r: float) -> float:
    """Raise unless every edge value is within sigma_r of [edge_min, edge_max]; return min(z)."""
    lo, hi = float(e.min()), float(e.max())
    if lo < edge_min - sigma_r or hi > edge_max + sigma_r:
        raise ValueError(
            f"bilateral_grid: edge values span [{lo:.6g}, {hi:.6g}], outside the grid's range "
            f"[{edge_min:.6g}, {edge_max:.6g}] by more than sigma_r = {sigma_r:.6g}; expected values within the range"
        )
    return (lo - edge_min) / sigma_r


# The one non-negative double for which floor(x + 0.5) differs from MATLAB's round(x): x + 0.5
# rounds up to 1.0 (for x >= 0.5, x + 0.5 is exact or stays below the next integer).
_PRED_HALF = float(np.nextafter(0.5, 0.0))


def _round_to_cells(z: np.ndarray, z_min: float) -> np.ndarray:
    """MATLAB round(z) as intp, with a two-pass fast path for non-negative z."""
    if z_min < 0.0:
        return matlab_round(z).astype(np.intp)
    idx = np.add(z, 0.5).astype(np.intp)  # truncation = floor for non-negative values
    bad = z == _PRED_HALF
    if bad.any():
        idx[bad] = 0
    return idx


def _scatter(
    d: np.ndarray,
    z: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    shape: tuple[int, int, int],
    *,
    z_min: float,
    has_nan: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Sum data and counts into grid cells (box downsampling); NaN data is skipped."""
    gh, gw, gd = shape
    p = GRID_PADDING
    # Flat cell index = (row * gw + col) * gd + depth; the spatial part is separable.
    row_part = ((matlab_round(rows).astype(np.intp) + p) * gw + p) * gd + p
    col_part = matlab_round(cols).astype(np.intp) * gd
    idx = _round_to_cells(z, z_min)
    idx += col_part[None, :]
    idx += row_part[:, None]
    n = gh * gw * gd
    if has_nan:
        valid = ~np.isnan(d)
        flat_idx, flat_d = idx[valid], d[valid]
    else:
        flat_idx, flat_d = idx.ravel(), d.ravel()
    grid_data = np.bincount(flat_idx, weights=flat_d, minlength=n).reshape(shape)
    grid_count = np.bincount(flat_idx, minlength=n).astype(np.float64).reshape(shape)
    return grid_data, grid_count


def _blur3(g: np.ndarray) -> np.ndarray:
    """Convolve with [e^-1/2, 1, e^-1/2] along each axis, zero outside the grid (convn 'same')."""
    out = g
    for axis in range(3):
        src = out
        out = src.copy()
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis] = slice(None, -1)
        hi[axis] = slice(1, None)
        out[tuple(hi)] += _TAP * src[tuple(lo)]
        out[tuple(lo)] += _TAP * src[tuple(hi)]
    return out


def _slice(grid: np.ndarray, z: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Trilinear interpolation of ``grid`` at (rows + 3, cols + 3, z + 3) for every pixel.

    Done in strips of ~64k pixels with preallocated buffers, so that the ~20 passes over each
    strip stay in cache (2x faster than whole-image passes at 1920 x 1080). Per strip the grid is
    first interpolated along rows (separable, on the small grid), leaving four gathers per pixel;
    the neighbours at +1 range cell and +1 column are read through shifted views of that buffer.
    """
    gh, gw, gd = grid.shape
    p = GRID_PADDING
    h, w = z.shape
    y0, ty = _cell_and_fraction(rows + p, gh)
    x0, tx = _cell_and_fraction(cols + p, gw)
    col_offset = (x0 * gd)[None, :]
    tx = tx[None, :]
    n = max(1, min(h, _STRIP_PIXELS // w))
    row_offset = (np.arange(n, dtype=np.intp) * (gw * gd))[:, None]
    out = np.empty((h, w))
    t_buf, i_buf = np.empty((n, w)), np.empty((n, w), dtype=np.intp)
    a_buf, b_buf, c_buf, d_buf = (np.empty((n, w)) for _ in range(4))
    for r0 in range(0, h, n):
        r1 = min(r0 + n, h)
        m = r1 - r0
        wy = ty[r0:r1, None, None]
        flat = ((1.0 - wy) * grid[y0[r0:r1]] + wy * grid[y0[r0:r1] + 1]).ravel()  # m x gw x gd
        t, idx = t_buf[:m], i_buf[:m]
        a, b, c, d = a_buf[:m], b_buf[:m], c_buf[:m], d_buf[:m]
        np.add(z[r0:r1], float(p), out=t)  # > 0 since z >= -1 (checked): truncation = floor
        idx[...] = t
        np.minimum(idx, gd - 2, out=idx)
        np.subtract(t, idx, out=t)  # fraction along z
        idx += col_offset
        idx += row_offset[:m]
        np.take(flat, idx, out=a)  # (x0, z0)
        np.take(flat[1:], idx, out=b)  # (x0, z0 + 1)
        np.take(flat[gd:], idx, out=c)  # (x0 + 1, z0)
        np.take(flat[gd + 1 :], idx, out=d)  # (x0 + 1, z0 + 1)
        # Along z: a <- a + t (b - a), c <- c + t (d - c); then along x: a + tx (c - a).
        b -= a
        b *= t
        a += b
        d -= c
        d *= t
        c += d
        c -= a
        c *= tx
        np.add(a, c, out=out[r0:r1])
    return out


def _cell_and_fraction(pos: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    i0 = np.clip(np.floor(pos), 0, n - 2)
    return i0.astype(np.intp), pos - i0
