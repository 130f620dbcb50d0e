"""Statistics for tables: means with percentile-bootstrap confidence intervals over images, and
paired comparisons of two methods on the same images.

Protocol v1 §5: every mean in a table comes with a 95% bootstrap CI over images. The bootstrap
is seeded, so a table regenerated from the same per-image data is identical.

Paired comparisons (:func:`paired_comparison`, docs/statistics.md): per image the difference of
two methods' scores, oriented so that a positive value means the first method is better (the
metric registry's ``higher_is_better`` decides), its mean with a seeded percentile-bootstrap CI,
and a two-sided Wilcoxon signed-rank test (:func:`wilcoxon_signed_rank`). A difference is
*resolved at 95%* when the 95% CI of the mean difference excludes 0; the Wilcoxon p-value, raw
and Holm-adjusted over the comparisons of one table per metric (:func:`holm_adjust`), is reported
beside it, never instead of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

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
    if math.isinf(value) or math.isinf(reference):
        return (0.0, True) if value == reference else (math.inf, False)
    d = abs(value - reference)
    if math.isnan(d):
        return d, False
    return d, d <= abs_tol or d <= rel_tol * abs(reference)


# --------------------------------------------------------------------------- paired comparisons
#: Largest number of non-zero differences for which the Wilcoxon p-value is exact: without ties
#: scipy's exact null distribution (method="exact"), with ties (equal |differences|) an exhaustive
#: enumeration of the 2^n sign assignments (scipy's PermutationMethod, ~1 s at n = 13). These are
#: scipy 1.17's own "auto" thresholds, written out so that the variant used is chosen here, named
#: in the tables and does not change with a scipy release.
EXACT_MAX_N = 50
EXACT_MAX_N_TIES = 13


@dataclass(frozen=True)
class SignedRankTest:
    """A two-sided Wilcoxon signed-rank test of "the differences are symmetric about 0".

    ``n`` non-zero differences entered the test; ``n_zero`` were exactly 0 and were discarded
    before ranking (``zero_method="wilcox"``). ``statistic`` is scipy's two-sided statistic
    min(R+, R-). ``variant`` names how the p-value was computed: ``"exact"``, ``"exact
    (permutation, ties)"``, ``"normal approximation (tie-corrected)"``, or why there is no test
    (``"no test: no pairs"`` with p NaN, ``"no test: all differences zero"`` with p = 1: the
    observed statistic is the least extreme possible). ``p_min`` is the smallest two-sided p the
    exact test can give with ``n`` differences, 2 / 2^n (0.0625 at n = 5: below n = 6 it can
    never reach p < 0.05)."""

    statistic: float
    pvalue: float
    n: int
    n_zero: int
    variant: str

    @property
    def p_min(self) -> float:
        return min(1.0, 2.0 ** (1 - self.n)) if self.n > 0 else 1.0


def wilcoxon_signed_rank(differences: np.ndarray | Sequence[float]) -> SignedRankTest:
    """Two-sided Wilcoxon signed-rank test of paired ``differences`` (finite values; zeros are
    discarded, ``zero_method="wilcox"``) with ``scipy.stats.wilcoxon``; the p-value is exact up
    to :data:`EXACT_MAX_N` differences (:data:`EXACT_MAX_N_TIES` when some |differences| tie),
    else the tie-corrected normal approximation without continuity correction.

    >>> t = wilcoxon_signed_rank([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])  # all positive, n = 6
    >>> t.pvalue, t.variant  # 2 / 2^6: the exact two-sided p of the most extreme outcome
    (0.03125, 'exact')
    """
    from scipy import stats as sps

    d = np.asarray(differences, dtype=np.float64).ravel()
    if not np.isfinite(d).all():
        raise ValueError("wilcoxon_signed_rank needs finite differences (drop non-finite pairs first)")
    nonzero = d[d != 0]
    n, n_zero = int(nonzero.size), int(d.size - nonzero.size)
    if d.size == 0:
        return SignedRankTest(math.nan, math.nan, 0, 0, "no test: no pairs")
    if n == 0:
        return SignedRankTest(0.0, 1.0, 0, n_zero, "no test: all differences zero")
    ties = np.unique(np.abs(nonzero)).size < n
    method: object
    if not ties and n <= EXACT_MAX_N:
        method, variant = "exact", "exact"
    elif ties and n <= EXACT_MAX_N_TIES:
        method, variant = sps.PermutationMethod(n_resamples=np.inf), "exact (permutation, ties)"
    else:
        method, variant = "asymptotic", "normal approximation" + (" (tie-corrected)" if ties else "")
    res = sps.wilcoxon(nonzero, zero_method="wilcox", correction=False, alternative="two-sided", method=method)
    return SignedRankTest(float(res.statistic), float(min(1.0, res.pvalue)), n, n_zero, variant)


@dataclass(frozen=True)
class PairedComparison:
    """Method A against method B on the same images, one metric.

    ``diff`` is the mean per-image difference oriented so that positive means A is better
    (A − B for a higher-is-better metric, B − A for a lower-is-better one) with its bootstrap
    CI; ``diff.n`` pairs had finite values in both, ``diff.n_nonfinite`` pairs were excluded
    because a member was missing or non-finite (NaN, ±inf)."""

    diff: MeanCI
    test: SignedRankTest

    @property
    def n(self) -> int:
        return self.diff.n

    @property
    def resolved(self) -> bool:
        """Resolved at the CI's level: at least 2 pairs and the CI of the mean difference excludes
        0 (one pair has no CI: its "interval" is the value itself)."""
        return bool(self.diff.n >= 2 and (self.diff.lo > 0 or self.diff.hi < 0))

    @property
    def better(self) -> str:
        """``"a"`` or ``"b"`` when resolved (which one is better), else ``""``."""
        if not self.resolved:
            return ""
        return "a" if self.diff.mean > 0 else "b"


def paired_comparison(
    a: np.ndarray | Sequence[float],
    b: np.ndarray | Sequence[float],
    *,
    higher_is_better: bool = True,
    level: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PairedComparison:
    """Compare two methods' per-image values ``a`` and ``b`` (aligned: element i is the same
    image; NaN where an image has no value). Pairs with a non-finite member are excluded and
    counted; the rest give the oriented mean difference (positive: ``a`` is better), its seeded
    percentile bootstrap CI (the same resampling as :func:`bootstrap_mean_ci`) and the Wilcoxon
    signed-rank test.

    >>> c = paired_comparison([3.0, 4.0, 5.0, 6.0, 7.0, 9.0], [1.0, 2.0, 2.5, 3.0, 3.5, 4.0])
    >>> c.n, c.diff.mean, c.resolved, c.better, c.test.pvalue
    (6, 3.0, True, 'a', 0.03125)
    """
    av = np.asarray(a, dtype=np.float64).ravel()
    bv = np.asarray(b, dtype=np.float64).ravel()
    if av.shape != bv.shape:
        raise ValueError(f"paired values need equal lengths (one per image), got {av.size} and {bv.size}")
    ok = np.isfinite(av) & np.isfinite(bv)
    d = (av - bv) if higher_is_better else (bv - av)
    ci = bootstrap_mean_ci(d[ok], level=level, resamples=resamples, seed=seed)
    ci = MeanCI(ci.mean, ci.lo, ci.hi, ci.n, int((~ok).sum()), level)
    return PairedComparison(ci, wilcoxon_signed_rank(d[ok]))


def holm_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (family-wise error control without
    assuming independence); NaN entries stay NaN and do not count in the family.

    Written here because SciPy has only the Benjamini-Hochberg procedure
    (``scipy.stats.false_discovery_control``) and statsmodels is not a dependency.

    >>> holm_adjust([0.01, 0.04, 0.03, float("nan")]).round(4).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out


def mean_ci_half_width(
    scores: pd.DataFrame,
    metrics: Sequence[str],
    methods: Sequence[str] | None = None,
    *,
    level: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Per metric, the mean over ``methods`` (default: every method in ``scores``) of the
    half-width (hi − lo) / 2 of the 95% bootstrap CI of the method's mean over images, in the
    metric's unit: how finely a benchmark's tables resolve that metric (issue 13 compares it on
    the v1 and v2 test sets). ``scores`` is the per-image table (columns ``method``, ``image``
    and one per metric); methods with fewer than 2 finite values are left out (their CI has no
    width); NaN when none is left.

    >>> import pandas as pd
    >>> s = pd.DataFrame({"method": ["a"] * 4, "image": list("wxyz"), "q": [1.0, 2.0, 3.0, 4.0]})
    >>> 0.5 < mean_ci_half_width(s, ["q"])["q"] < 1.5
    True
    """
    from itmn.errors import ConfigError

    names = list(dict.fromkeys(scores["method"])) if methods is None else list(methods)
    missing = [m for m in names if not (scores["method"] == m).any()]
    if missing:
        raise ConfigError(f"no per-image scores for method(s) {', '.join(map(repr, missing))}")
    out: dict[str, float] = {}
    for metric in metrics:
        if metric not in scores.columns:
            raise ConfigError(f"no column {metric!r} in the per-image scores (columns: {', '.join(map(str, scores.columns))})")
        widths = []
        for method in names:
            ci = bootstrap_mean_ci(
                scores.loc[scores["method"] == method, metric].to_numpy(dtype=float),
                level=level, resamples=resamples, seed=seed,
            )  # fmt: skip
            if ci.n >= 2:
                widths.append((ci.hi - ci.lo) / 2.0)
        out[metric] = float(np.mean(widths)) if widths else math.nan
    return out
