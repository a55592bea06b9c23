"""Paired differences: Student-t and BCa intervals, the paired test, Holm's correction, what pairing saved.

Replication r of an experiment runs with the same seed under every strategy, so the runs of
two strategies pair up seed by seed (common random numbers, CRN). Every estimator here takes
the per-seed differences ``treatment - control`` (or both arms, aligned by seed).
"""

import math
import warnings

import numpy as np
from scipy import stats

VALIDATION_LEVEL = 0.99  # the level of the validation patterns (the default of paired_interval)


def paired_interval(differences: np.ndarray, level: float = VALIDATION_LEVEL) -> tuple[float, float, float]:
    """Mean of paired differences and its Student-t interval: (mean, low, high).

    Fewer than two differences give an interval of NaN; differences that are all equal give
    the degenerate interval (mean, mean).
    """
    d = np.asarray(differences, float)
    d = d[~np.isnan(d)]
    if d.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(d.mean())
    if d.size < 2:
        return mean, math.nan, math.nan
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, d.size - 1) * sd / math.sqrt(d.size)) if sd > 0 else 0.0
    return mean, mean - half, mean + half


def bca_interval(
    differences: np.ndarray, level: float = 0.95, resamples: int = 9999, seed: int = 20261128
) -> tuple[float, float]:
    """SciPy's bias-corrected and accelerated (BCa) bootstrap interval of the mean difference.

    Seeded, so the same differences give the same interval. All-equal differences give the
    degenerate interval (the bootstrap distribution is one point); fewer than three give NaN.
    """
    d = np.asarray(differences, float)
    d = d[~np.isnan(d)]
    if d.size and np.ptp(d) == 0:
        return float(d[0]), float(d[0])
    if d.size < 3:
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few repeated values make SciPy warn about the acceleration
        result = stats.bootstrap(
            (d,),
            np.mean,
            confidence_level=level,
            n_resamples=resamples,
            method="BCa",
            rng=np.random.default_rng(seed),
            vectorized=True,
        )
    low, high = result.confidence_interval
    return float(low), float(high)


def paired_p_value(differences: np.ndarray) -> float:
    """Two-sided p of the paired t test that the mean difference is zero (1 for all-zero differences)."""
    d = np.asarray(differences, float)
    d = d[~np.isnan(d)]
    if d.size < 2:
        return math.nan
    if np.ptp(d) == 0:
        return 1.0 if d[0] == 0 else 0.0
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p values (NaN stays NaN and is not counted).

    The k-th smallest of m p values becomes max over j <= k of min(1, (m - j + 1) p_(j)):
    the family-wise error rate is controlled without assuming independence.
    """
    p = np.asarray(p_values, float)
    out = np.full(p.shape, np.nan)
    known = np.flatnonzero(~np.isnan(p))
    m = known.size
    if m == 0:
        return out
    order = known[np.argsort(p[known], kind="mergesort")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def variance_ratio(control: np.ndarray, treatment: np.ndarray) -> float:
    """What common random numbers bought: var(unpaired difference) / var(paired difference).

    The unpaired variance is var(control) + var(treatment), the variance of a difference of
    independent runs; the paired one is var(treatment - control) over the shared seeds. Both
    zero give NaN; a zero paired variance with a positive unpaired one gives infinity.
    """
    a, b = np.asarray(control, float), np.asarray(treatment, float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if a.size < 2:
        return math.nan
    unpaired = float(a.var(ddof=1) + b.var(ddof=1))
    paired = float((b - a).var(ddof=1))
    if paired == 0:
        return math.inf if unpaired > 0 else math.nan
    return unpaired / paired


def runs_saved(ratio: float, pairs: int) -> float:
    """Runs that pairing saved: independent arms would need ratio x pairs runs each for the same precision."""
    if math.isnan(ratio) or math.isinf(ratio):
        return ratio
    return 2.0 * pairs * (ratio - 1.0)


def overlap_ranks(estimate: np.ndarray, low: np.ndarray, high: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Ranks with ties where intervals overlap: 1 + the number of others whose interval lies wholly beyond.

    A strategy is ranked below another only when their intervals do not overlap, so two
    strategies whose intervals overlap can share a rank. NaN estimates get NaN.
    """
    est, lo, hi = (np.asarray(x, float) for x in (estimate, low, high))
    if not higher_is_better:
        est, lo, hi = -est, -hi, -lo
    lo = np.where(np.isnan(lo), est, lo)
    hi = np.where(np.isnan(hi), est, hi)
    ranks = np.full(est.shape, np.nan)
    for i in np.flatnonzero(~np.isnan(est)):
        ranks[i] = 1 + int(np.sum(lo > hi[i]))
    return ranks
