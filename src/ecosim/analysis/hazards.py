"""Survival shares and occurrence/exposure hazards from start and end months, and the cluster bootstrap.

These are the estimators of the calibration targets (:mod:`ecosim.validation.targets`), here
so that validation and users share one implementation. Definitions:

- *at risk* in month t: ``start < t <= last``, with last = end if the partnership ended,
  else the last month run (a recruit formed in month s is first at risk in month s + 1);
- *age* in month t: ``t - start``; an ending in month ``end`` happens at age ``end - start``;
- *monthly hazard* over a set of months (a calendar window or an age band): endings in them
  divided by partnership-months at risk in them (occurrence/exposure);
- *annual hazard*: ``1 - (1 - monthly)^12``;
- *cohort*: the partnerships alive at the end of the reference month T.

Counts are kept per replication, summed before dividing, and resampled as whole
replications (a cluster bootstrap), because the partnerships of one run are not independent.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

NOT_ENDED = -1
"""The end month of a partnership that has not ended, in the survival arrays of this module."""


@dataclass(frozen=True)
class Window:
    """Months at risk: a calendar window (months relative to T) or an age band (months of age), inclusive."""

    kind: str
    lo: float
    hi: float
    cohort: str = "all"

    def describe(self) -> str:
        """E.g. 'months T+1..T+24 (cohort)' or 'ages 61+'."""

        def bound(x: float, rel: bool) -> str:
            if math.isinf(x):
                return ""
            return f"T{int(x):+d}" if rel and x != 0 else ("T" if rel else str(int(x)))

        rel = self.kind == "calendar"
        lo = bound(self.lo, rel) or "1"
        hi = bound(self.hi, rel)
        span = f"{lo}..{hi}" if hi else f"{lo}+"
        who = ", cohort alive at T" if self.cohort == "alive_at_reference" else ""
        return f"{'months' if rel else 'ages'} {span}{who}"


def end_months(end: pd.Series) -> np.ndarray:
    """A results table's `end` column (missing while live) as the int64 array this module counts on."""
    return end.to_numpy(np.int64, na_value=NOT_ENDED)


def cohort_mask(start: np.ndarray, end: np.ndarray, reference_month: int) -> np.ndarray:
    """Partnerships alive at the end of month T: started by T and not ended by T."""
    return (start <= reference_month) & ((end < 0) | (end > reference_month))


def survival_counts(
    start: np.ndarray, end: np.ndarray, reference_month: int, follow: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per partnership: (survived, in cohort) as 0/1, survived = not ended by the end of month T + follow."""
    alive = cohort_mask(start, end, reference_month)
    survived = alive & ((end < 0) | (end > reference_month + follow))
    return survived.astype(np.int64), alive.astype(np.int64)


def hazard_counts(
    start: np.ndarray, end: np.ndarray, window: Window, reference_month: int, months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per partnership: (endings, months at risk) inside `window`.

    At risk in month t when start < t <= last (last = end, or months - 1 if it did not end);
    a calendar window is months T+lo..T+hi (from month 1 at most), an age band ages lo..hi.
    `window` is any object with the fields of :class:`Window` (kind, lo, hi, cohort).
    """
    start = np.asarray(start, np.int64)
    end = np.asarray(end, np.int64)
    last = np.where(end >= 0, end, months - 1)
    ended = end >= 0
    if window.kind == "calendar":
        lo = max(1.0, reference_month + window.lo)
        hi = min(float(months - 1), reference_month + window.hi)
        first = np.maximum(start + 1, lo)
        exposure = np.clip(np.minimum(last, hi) - first + 1, 0, None)
        endings = ended & (end >= lo) & (end <= hi)
    else:
        lo, hi = max(1.0, window.lo), window.hi
        exposure = np.clip(np.minimum(last - start, hi) - lo + 1, 0, None)
        age = end - start
        endings = ended & (age >= lo) & (age <= hi)
    if window.cohort == "alive_at_reference":
        member = cohort_mask(start, end, reference_month)
        exposure = np.where(member, exposure, 0)
        endings = endings & member
    return endings.astype(np.int64), np.asarray(exposure, np.int64)


def annual_hazard(monthly: np.ndarray | float) -> np.ndarray | float:
    """1 - (1 - monthly)^12: the probability of ending within a year at a constant monthly hazard."""
    return 1.0 - (1.0 - monthly) ** 12


def estimate(measure: str, sums: np.ndarray) -> np.ndarray:
    """The estimate from summed counts (last axis: the counts); nan where undefined.

    survival: (survived, cohort); hazard: (endings, months at risk), as an annual hazard;
    hazard_ratio: (endings, months at risk) of the numerator, then of the denominator.
    """
    sums = np.asarray(sums, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "survival":
            return sums[..., 0] / sums[..., 1]
        if measure == "hazard":
            return annual_hazard(sums[..., 0] / sums[..., 1])
        ratio = (sums[..., 0] / sums[..., 1]) / (sums[..., 2] / sums[..., 3])
        return np.where(sums[..., 1] * sums[..., 3] > 0, ratio, np.nan)


def bootstrap_weights(replications: int, resamples: int, seed: int) -> np.ndarray:
    """Multinomial weights (resamples x replications): how often each replication is drawn in each resample.

    A deterministic function of the seed; ``weights @ counts`` gives the resampled sums of
    per-replication counts, so every estimate of one sample can share the same resamples.
    """
    rng = np.random.default_rng(seed)
    if resamples <= 0:
        return np.zeros((0, replications))
    return rng.multinomial(replications, np.full(replications, 1.0 / replications), size=resamples)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap values (NaN values dropped; none left gives NaN)."""
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    if not len(values):
        return math.nan, math.nan
    tail = (1.0 - level) / 2
    low, high = np.quantile(values, [tail, 1.0 - tail], method="inverted_cdf")
    return float(low), float(high)


def cluster_bootstrap(
    measure: str, counts: np.ndarray, weights: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Estimate and percentile interval of a measure from per-replication counts (rows) resampled by `weights`."""
    counts = np.asarray(counts, float)
    value = float(estimate(measure, counts.sum(axis=0)))
    low, high = percentile_interval(estimate(measure, weights @ counts), level)
    return value, low, high
