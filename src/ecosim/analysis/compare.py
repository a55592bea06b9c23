"""Every strategy against a baseline strategy, per outcome: paired differences, intervals, tests, ranks, costs.

Pairs are the runs of two strategies with the same scenario, design point and replication
(the same seed): their difference is the strategy's effect on that seed's draws. Per
strategy and outcome :func:`compare` gives the mean, the mean paired difference with a
Student-t and a BCa bootstrap interval, the paired t test's p and its Holm adjustment over
the strategies of the same outcome, the variance ratio that pairing bought and the runs it
saved, and a rank with ties where intervals overlap. :func:`cost_effectiveness` gives the
extra spending and what it buys. docs/analysis.md describes the estimators.
"""

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ecosim.analysis import AnalysisError
from ecosim.analysis.inputs import runs as read_runs
from ecosim.analysis.paired import (
    bca_interval,
    holm,
    overlap_ranks,
    paired_interval,
    paired_p_value,
    runs_saved,
    variance_ratio,
)

NONE = "none"
GROUP = ["scenario", "point"]
SKIPPED = ("reference_month", "months")  # labels of the run, not outcomes to compare
LOWER_IS_BETTER = frozenset({"programme_spending"})
DERIVED = {
    "alive_24": ("partnerships alive 24 months after the reference month", "partnerships"),
    "alive_60": ("partnerships alive 60 months after the reference month", "partnerships"),
    "learner_months": ("learner-months placed over the run", "learner-months"),
}


def outcome_units() -> dict[str, str]:
    """Outcome key -> unit, the model's outcomes and the derived ones."""
    from ecosim.tables import OUTCOMES

    return {**{k: unit for k, (_, unit) in OUTCOMES.items()}, **{k: unit for k, (_, unit) in DERIVED.items()}}


def with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs with the derived outcomes that the stored ones allow (counts alive later, learner-months)."""
    frame = frame.copy()
    for later in (24, 60):
        if {"alive_at_reference", f"share_not_ended_{later}"} <= set(frame):
            frame[f"alive_{later}"] = frame["alive_at_reference"] * frame[f"share_not_ended_{later}"]
    if {"learner_months_per_1000_eur", "programme_spending"} <= set(frame):
        frame["learner_months"] = frame["learner_months_per_1000_eur"] * frame["programme_spending"] / 1000
    return frame


def default_outcomes(frame: pd.DataFrame) -> list[str]:
    """The outcomes in the runs table, in the model's order, then the derived ones."""
    units = outcome_units()
    return [k for k in units if k in frame and k not in SKIPPED and pd.api.types.is_numeric_dtype(frame[k])]


def pairs(frame: pd.DataFrame, strategy: str, baseline: str, outcome: str) -> pd.DataFrame:
    """Per scenario, point and replication: the outcome under `baseline` (column a) and `strategy` (column b)."""
    keys = [*GROUP, "replication"]
    a = frame.loc[frame["strategy"] == baseline, [*keys, outcome]].rename(columns={outcome: "a"})
    b = frame.loc[frame["strategy"] == strategy, [*keys, outcome]].rename(columns={outcome: "b"})
    return a.merge(b, on=keys, how="inner", validate="one_to_one")


def _check(frame: pd.DataFrame, baseline: str, outcomes: list[str], where: str) -> None:
    strategies = sorted(frame["strategy"].unique())
    if baseline not in strategies:
        raise AnalysisError(
            f"{where}: --baseline: expected one of the strategies in the results ({', '.join(strategies)}), "
            f"found {baseline!r}"
        )
    known = default_outcomes(frame)
    for name in outcomes:
        if name not in known:
            raise AnalysisError(f"{where}: --outcome: expected one of {', '.join(known)}, found {name!r}")
    duplicated = frame.duplicated([*GROUP, "strategy", "replication"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise AnalysisError(
            f"{where}: expected one run per scenario, point, strategy and replication, found several for "
            f"{row['scenario']}, point {row['point']}, {row['strategy']}, replication {row['replication']}"
        )


def compare(
    results: str | Path | pd.DataFrame,
    baseline: str = NONE,
    outcomes: list[str] | None = None,
    level: float = 0.95,
    resamples: int = 9999,
    seed: int = 20261128,
) -> pd.DataFrame:
    """One row per scenario, design point, outcome and strategy: the strategy against `baseline`, paired by seed.

    Columns: scenario, point, outcome, unit, strategy, baseline, pairs, mean, baseline_mean,
    difference, t_low, t_high (Student-t), bca_low, bca_high (SciPy's BCa bootstrap), p (paired
    t test), p_holm (Holm over the strategies of the scenario, point and outcome),
    variance_ratio (var of the unpaired difference / var of the paired one), runs_saved, rank
    (1 is best; ties where the t intervals overlap; lower is better for spending) and
    higher_is_better. The baseline's own row has difference exactly 0.
    """
    where = "the runs table" if isinstance(results, pd.DataFrame) else str(results)
    frame = with_derived(read_runs(results))
    outcomes = list(outcomes) if outcomes else default_outcomes(frame)
    _check(frame, baseline, outcomes, where)
    units = outcome_units()
    strategies = [baseline, *sorted(s for s in frame["strategy"].unique() if s != baseline)]
    rows = []
    for outcome in outcomes:
        for strategy in strategies:
            both = pairs(frame, strategy, baseline, outcome)
            for (scenario, point), group in both.groupby(GROUP, sort=True):
                a, b = group["a"].to_numpy(float), group["b"].to_numpy(float)
                keep = ~(np.isnan(a) | np.isnan(b))
                a, b = a[keep], b[keep]
                d = b - a
                mean, t_low, t_high = paired_interval(d, level)
                bca_low, bca_high = bca_interval(d, level, resamples, seed)
                ratio = variance_ratio(a, b)
                rows.append(
                    {
                        "scenario": scenario,
                        "point": point,
                        "outcome": outcome,
                        "unit": units.get(outcome, ""),
                        "strategy": strategy,
                        "baseline": baseline,
                        "pairs": int(d.size),
                        "mean": float(b.mean()) if b.size else math.nan,
                        "baseline_mean": float(a.mean()) if a.size else math.nan,
                        "difference": mean,
                        "t_low": t_low,
                        "t_high": t_high,
                        "bca_low": bca_low,
                        "bca_high": bca_high,
                        "p": paired_p_value(d) if strategy != baseline else math.nan,
                        "variance_ratio": ratio if strategy != baseline else math.nan,
                        "runs_saved": runs_saved(ratio, int(d.size)) if strategy != baseline else math.nan,
                    }
                )
    table = pd.DataFrame(rows)
    if table.empty:
        raise AnalysisError(f"{where}: expected runs of the baseline {baseline!r} paired with others, found none")
    table["p_holm"] = np.nan
    table["rank"] = np.nan
    table["higher_is_better"] = ~table["outcome"].isin(LOWER_IS_BETTER)
    for (_, _, outcome), rows_ in table.groupby([*GROUP, "outcome"], sort=False):
        index = rows_.index
        table.loc[index, "p_holm"] = holm(rows_["p"].to_numpy())
        t_low = rows_["t_low"].to_numpy(float)
        t_high = rows_["t_high"].to_numpy(float)
        base = rows_["strategy"].to_numpy() == baseline
        t_low, t_high = np.where(base, 0.0, t_low), np.where(base, 0.0, t_high)  # the baseline: exactly 0
        table.loc[index, "rank"] = overlap_ranks(
            rows_["difference"].to_numpy(float), t_low, t_high, outcome not in LOWER_IS_BETTER
        )
    order = ["scenario", "point", "outcome", "unit", "strategy", "baseline", "pairs", "mean", "baseline_mean"]
    order += ["difference", "t_low", "t_high", "bca_low", "bca_high", "p", "p_holm", "variance_ratio", "runs_saved"]
    return table[[*order, "rank", "higher_is_better"]]


def _ratio_interval(gain: np.ndarray, cost: np.ndarray, scale: float, level: float, resamples: int, seed: int):
    """Ratio of mean gain to mean extra cost (x scale) and its paired BCa interval; NaN when the cost is not > 0."""
    if gain.size < 3 or cost.mean() <= 0:
        return (scale * gain.mean() / cost.mean() if cost.mean() > 0 else math.nan), math.nan, math.nan
    value = float(scale * gain.mean() / cost.mean())
    if np.ptp(cost) == 0 and np.ptp(gain) == 0:
        return value, value, value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            (gain, cost),
            lambda g, c, axis=-1: scale * g.mean(axis=axis) / c.mean(axis=axis),
            paired=True,
            vectorized=True,
            confidence_level=level,
            n_resamples=resamples,
            method="BCa",
            rng=np.random.default_rng(seed),
        )
    low, high = result.confidence_interval
    return value, float(low), float(high)


def cost_effectiveness(
    results: str | Path | pd.DataFrame,
    baseline: str = NONE,
    level: float = 0.95,
    resamples: int = 9999,
    seed: int = 20261128,
) -> pd.DataFrame:
    """Per scenario, point and strategy: extra programme spending against `baseline` and what it buys.

    Columns: spending (mean EUR over the run), extra_spending and its t interval,
    learner_months_per_1000_eur (the strategy's own), extra_learner_months,
    extra_learner_months_per_1000_eur (extra learner-months / extra spending x 1,000),
    extra_alive_24 (partnerships alive 24 months after the reference month, paired
    difference), extra_alive_24_per_100k_eur, each ratio with a paired BCa interval over the
    seeds. A ratio is NaN where the strategy costs no more than the baseline (the costs come
    from the scenario's cost parameters, docs/ODD.md §7.8: a strategy the model gives no cost
    is free).
    """
    where = "the runs table" if isinstance(results, pd.DataFrame) else str(results)
    frame = with_derived(read_runs(results))
    needed = [c for c in ("programme_spending", "learner_months", "alive_24") if c not in frame]
    if needed:
        raise AnalysisError(f"{where}: expected the outcomes for costs, found no {', '.join(needed)}")
    _check(frame, baseline, [], where)
    rows = []
    for strategy in sorted(s for s in frame["strategy"].unique() if s != baseline):
        merged = None
        for outcome in ("programme_spending", "learner_months", "alive_24", "learner_months_per_1000_eur"):
            both = pairs(frame, strategy, baseline, outcome).rename(columns={"a": f"{outcome}_a", "b": f"{outcome}_b"})
            merged = both if merged is None else merged.merge(both, on=[*GROUP, "replication"])
        for (scenario, point), g in merged.groupby(GROUP, sort=True):
            g = g.dropna()
            cost = (g["programme_spending_b"] - g["programme_spending_a"]).to_numpy(float)
            months = (g["learner_months_b"] - g["learner_months_a"]).to_numpy(float)
            alive = (g["alive_24_b"] - g["alive_24_a"]).to_numpy(float)
            extra, low, high = paired_interval(cost, level)
            lm = _ratio_interval(months, cost, 1000.0, level, resamples, seed)
            al = _ratio_interval(alive, cost, 100_000.0, level, resamples, seed)
            rows.append(
                {
                    "scenario": scenario,
                    "point": point,
                    "strategy": strategy,
                    "baseline": baseline,
                    "pairs": len(g),
                    "spending": float(g["programme_spending_b"].mean()),
                    "extra_spending": extra,
                    "extra_spending_low": low,
                    "extra_spending_high": high,
                    "learner_months_per_1000_eur": float(g["learner_months_per_1000_eur_b"].mean()),
                    "extra_learner_months": float(months.mean()) if months.size else math.nan,
                    "extra_learner_months_per_1000_eur": lm[0],
                    "extra_learner_months_per_1000_eur_low": lm[1],
                    "extra_learner_months_per_1000_eur_high": lm[2],
                    "extra_alive_24": float(alive.mean()) if alive.size else math.nan,
                    "extra_alive_24_per_100k_eur": al[0],
                    "extra_alive_24_per_100k_eur_low": al[1],
                    "extra_alive_24_per_100k_eur_high": al[2],
                }
            )
    return pd.DataFrame(rows)
