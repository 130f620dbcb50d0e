"""Figures like the paper's Fig. 2: (a-g) visual comparisons, (h, i) convergence plots.

Pure functions from arrays / tables to matplotlib figures, plus ``save_figure`` (atomic PNG).
Every method is shown through the same display mapping, whose parameters come from the
reference image only, so differences between panels are differences between methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from itmn import colour  # noqa: E402
from itmn.atomic import atomic_path  # noqa: E402

LUM_RANGE = (0.005, 1000.0)  # protocol v1 display range, cd/m^2


def display_mapping(ref_bt2020: np.ndarray, key: float = 0.18) -> float:
    """Exposure for :func:`tonemap_for_display`: Reinhard's key over the reference's log-average
    luminance. Computed once from the reference and reused for every method."""
    lum = colour.luminance(np.clip(colour.bt2020_to_bt709(ref_bt2020), 0, None), "bt709")
    log_avg = float(np.exp(np.mean(np.log(lum + 1e-4))))
    return key / log_avg


def tonemap_for_display(hdr_bt2020: np.ndarray, exposure: float) -> np.ndarray:
    """Display-referred BT.2020 cd/m^2 -> sRGB code values in [0,1] with Reinhard's global curve
    L/(1+L) at the given exposure (colour ratios kept)."""
    rgb = np.clip(colour.bt2020_to_bt709(hdr_bt2020.astype(np.float64)), 0, None) * exposure
    lum = colour.luminance(rgb, "bt709")
    scale = np.where(lum > 0, (lum / (1.0 + lum)) / np.maximum(lum, 1e-12), 0.0)
    return np.asarray(colour.srgb_encode(np.clip(rgb * scale[..., None], 0, 1)), dtype=np.float32)


def log_luminance(hdr_bt2020: np.ndarray) -> np.ndarray:
    lum = colour.luminance(hdr_bt2020.astype(np.float64), "bt2020")
    return np.log10(np.clip(lum, *LUM_RANGE))


def choose_crop(ref_bt2020: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """A square crop (y0, x0, y1, x1) centred on the region of highest local luminance contrast
    of the reference, so that the same crop shows highlight reconstruction for every method."""
    h, w = ref_bt2020.shape[:2]
    size = min(size, h, w)
    loglum = log_luminance(ref_bt2020)
    step = max(size // 4, 1)
    best, best_yx = -1.0, (0, 0)
    for y in range(0, h - size + 1, step):
        for x in range(0, w - size + 1, step):
            v = float(np.std(loglum[y : y + size, x : x + size]))
            if v > best:
                best, best_yx = v, (y, x)
    y, x = best_yx
    return y, x, y + size, x + size


def comparison_grid(
    images: Sequence[str],
    reference: Mapping[str, np.ndarray],
    predictions: Mapping[str, Mapping[str, np.ndarray]],
    labels: Mapping[str, str],
    *,
    crop: int = 160,
    false_colour: bool = False,
) -> plt.Figure:
    """Rows: test images; columns: the reference then each method (the paper's panels a-g).

    ``reference[image]`` and ``predictions[method][image]`` are BT.2020 cd/m^2 arrays. Each
    panel shows the same crop; with ``false_colour`` the panels show log10 luminance instead.
    """
    methods = list(predictions)
    ncol = 1 + len(methods)
    fig, axes = plt.subplots(len(images), ncol, figsize=(2.1 * ncol, 2.3 * len(images) + 0.4), squeeze=False)
    letters = "abcdefghijklmnop"
    mappable = None
    for r, image in enumerate(images):
        ref = reference[image]
        exposure = display_mapping(ref)
        y0, x0, y1, x1 = choose_crop(ref, crop)
        panels = [("Reference (HDR)", ref)] + [(labels.get(m, m), predictions[m][image]) for m in methods]
        for c, (title, img) in enumerate(panels):
            ax = axes[r, c]
            patch = img[y0:y1, x0:x1]
            if false_colour:
                mappable = ax.imshow(log_luminance(patch), cmap="inferno", vmin=np.log10(LUM_RANGE[0]), vmax=np.log10(LUM_RANGE[1]))
            else:
                ax.imshow(tonemap_for_display(patch, exposure))
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"({letters[c]}) {title}", fontsize=8)
            if c == 0:
                ax.set_ylabel(image, fontsize=7)
    if false_colour and mappable is not None:
        cb = fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.01)
        cb.set_label("log10 luminance (cd/m²)", fontsize=8)
    else:
        fig.tight_layout()
    return fig


def convergence_plot(curves: Mapping[str, pd.DataFrame], *, column: str, title: str, ylabel: str, smooth: int = 1) -> plt.Figure:
    """Loss curves: ``curves[label]`` has columns ``iteration`` and ``column``. A centred moving
    average of ``smooth`` iterations is drawn over the raw curve."""
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    for label, df in curves.items():
        if column not in df.columns:
            raise KeyError(f"curve {label!r} has no column {column!r} (columns: {list(df.columns)})")
        it = df["iteration"].to_numpy()
        y = df[column].to_numpy(dtype=float)
        line = ax.plot(it, y, alpha=0.25, linewidth=0.8)[0]
        if smooth > 1 and len(y) >= smooth:
            ys = pd.Series(y).rolling(smooth, center=True, min_periods=1).mean().to_numpy()
            ax.plot(it, ys, color=line.get_color(), label=label, linewidth=1.5)
        else:
            line.set_alpha(1.0)
            line.set_label(label)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 150) -> Path:
    """Save ``fig`` as PNG atomically and close it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
