"""Statistics for tables: means with percentile-bootstrap confidence intervals over images.

Protocol v1 §5: every mean in a table comes with a 95% bootstrap CI over images. The bootstrap
is seeded, so a table regenerated from the same per-image data is identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 10_000
DEFAULT_SEED = 20180415  # ICASSP 2018; any fixed value would do


@dataclass(frozen=True)
class MeanCI:
    """A mean over ``n`` finite values and its percentile bootstrap CI; ``n_nonfinite`` values
    (e.g. infinite PSNRs of a perfect prediction) were excluded and are reported, not dropped
    silently."""

    mean: float
    lo: float
    hi: float
    n: int
    n_nonfinite: int = 0
    level: float = 0.95


def bootstrap_mean_ci(
    values: np.ndarray | list[float],
    *,
    level: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> MeanCI:
    """Mean of ``values`` and its percentile bootstrap confidence interval.

    Resamples images with replacement ``resamples`` times; the interval is the
    ((1 - level)/2, (1 + level)/2) quantile of the resampled means. With one value the interval
    collapses to it; with none everything is NaN.

    >>> ci = bootstrap_mean_ci([1.0, 2.0, 3.0])
    >>> ci.mean, ci.lo <= ci.mean <= ci.hi
    (2.0, True)
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(v)
    n_bad = int((~finite).sum())
    v = v[finite]
    n = v.size
    if n == 0:
        return MeanCI(float("nan"), float("nan"), float("nan"), 0, n_bad, level)
    mean = float(v.mean())
    if n == 1:
        return MeanCI(mean, mean, mean, 1, n_bad, level)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    means = v[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    # The percentile interval of a mean always brackets the sample mean up to resampling noise;
    # clamp so that tables never show a CI that excludes its own mean.
    return MeanCI(mean, float(min(lo, mean)), float(max(hi, mean)), n, n_bad, level)


def paired_difference_ci(
    a: np.ndarray | list[float],
    b: np.ndarray | list[float],
    **kwargs: float,
) -> MeanCI:
    """Bootstrap CI of the mean per-image difference ``a - b`` (pairs with a non-finite member
    are excluded and counted)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal shapes, got {a.shape} and {b.shape}")
    return bootstrap_mean_ci(a - b, **kwargs)  # type: ignore[arg-type]


def rank(values: dict[str, float], *, higher_is_better: bool) -> list[str]:
    """Names ordered best first; NaN last; ties keep the given order."""
    items = list(values.items())
    finite = [(k, v) for k, v in items if np.isfinite(v)]
    nonfinite = [k for k, v in items if not np.isfinite(v)]
    finite.sort(key=lambda kv: -kv[1] if higher_is_better else kv[1])
    return [k for k, _ in finite] + nonfinite


def kendall_tau(order_a: list[str], order_b: list[str]) -> float:
    """Kendall's tau between two rankings of the same names (1 = same order, -1 = reversed)."""
    common = [x for x in order_a if x in order_b]
    pos_b = {x: i for i, x in enumerate(order_b)}
    n = len(common)
    if n < 2:
        return float("nan")
    concordant = discordant = 0
    for i in range(n):
        for j in range(i + 1, n):
            if pos_b[common[i]] < pos_b[common[j]]:
                concordant += 1
            else:
                discordant += 1
    return (concordant - discordant) / (n * (n - 1) / 2)


def agrees(value: float, reference: float, abs_tol: float, rel_tol: float) -> tuple[float, bool]:
    """(|value - reference|, verdict) for a tolerance "within abs_tol or within rel_tol of the
    reference": equal infinities agree (the infinite PSNR of a perfect prediction), any other
    non-finite value does not, nor does NaN. Used by the CI score regression and the crosscheck."""
    import math

    if math.isinf(value) or math.isinf(reference):
        return (0.0, True) if value == reference else (math.inf, False)
    d = abs(value - reference)
    if math.isnan(d):
        return d, False
    return d, d <= abs_tol or d <= rel_tol * abs(reference)
