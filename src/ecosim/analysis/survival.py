"""Partnership lifetimes: Kaplan-Meier per strategy, log-rank tests, and a Cox model with cluster-robust errors.

Lifetimes come from the recorded partnerships table of every run (``record =
["partnerships"]`` in the experiment file) and the run's months and reference month (the
runs table). A partnership that ended in month ``end`` lived ``end - origin`` months; one
that had not ended by the last month run (``months - 1``) is right-censored there. Two
origins:

- ``start``: its own start month (every partnership, starting pairs and recruits);
- ``reference``: the reference month T, the funding end (only the partnerships alive at the
  end of month T, as the outcomes' cohort).

Months are whole numbers, so many lifetimes are tied. Kaplan-Meier and the log-rank test
are exact for tied (grouped) times. The Cox model uses Efron's approximation to the
partial likelihood for the estimates; its cluster-robust (sandwich) variance is
statsmodels', whose score residuals are of Breslow's form, so the Breslow estimates are
given beside Efron's as a check of what the ties do (docs/analysis.md).
"""

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ecosim.analysis import AnalysisError, inputs
from ecosim.analysis.paired import holm

ORIGINS = ("start", "reference")
GROUP = ["scenario", "point"]
OWNERSHIP_AT_REFERENCE = ("ownership_at_reference", "ownership_reference", "ownership_at_funding_end")
ECOSYSTEM_AT_REFERENCE = ("ecosystem_size_at_reference", "ecosystem_at_reference")


# --------------------------------------------------------------------------- lifetimes


def ecosystem_sizes(partnerships: pd.DataFrame) -> pd.Series:
    """Per partnership: the organisations of its ecosystem in its run (every row with the same ecosystem id).

    The table holds each partnership as it was at the end of the run or when it ended, so this
    is the ecosystem it was last part of, counted over all its partnerships, ended ones included.
    """
    p = partnerships
    members = pd.concat(
        [
            p[["run", "ecosystem", "school"]].rename(columns={"school": "organisation"}),
            p[["run", "ecosystem", "company"]].rename(columns={"company": "organisation"}),
        ]
    ).dropna()
    size = members.drop_duplicates().groupby(["run", "ecosystem"]).size().rename("ecosystem_size")
    joined = p[["run", "ecosystem"]].merge(size.reset_index(), on=["run", "ecosystem"], how="left")
    return pd.Series(joined["ecosystem_size"].fillna(2).to_numpy(float), index=p.index, name="ecosystem_size")


def lifetimes(partnerships: pd.DataFrame, runs: pd.DataFrame, origin: str = "start") -> pd.DataFrame:
    """One row per partnership (per run): labels, duration (months), ended (1) or censored (0), covariates.

    `partnerships` is the recorded table with the run labels in front; `runs` gives each
    run's months and reference month. Covariates kept: contacts, consultation, pace (if
    recorded), ecosystem_size, and ownership or ecosystem size at the reference month if the
    table has such a column (origin reference only: they are measured at T).
    """
    if origin not in ORIGINS:
        raise AnalysisError(f"origin: expected one of {', '.join(ORIGINS)}, found {origin!r}")
    needed = [c for c in ("run", "start", "end", "strategy") if c not in partnerships]
    if needed:
        raise AnalysisError(f"partnerships table: expected the columns run, start, end, found no {', '.join(needed)}")
    info = runs.set_index("run")[["months", "reference_month"]]
    p = partnerships.join(info, on="run", how="inner")
    start = p["start"].to_numpy(np.int64)
    end = p["end"].to_numpy(np.int64, na_value=-1)
    last = p["months"].to_numpy(np.int64) - 1
    ended = (end >= 0) & (end <= last)
    exit_month = np.where(ended, end, last)
    if origin == "start":
        at = start
        keep = np.ones(len(p), bool)
    else:
        at = p["reference_month"].to_numpy(np.int64)
        keep = (start <= at) & (~ended | (end > at)) & (last > at)
    out = p.loc[keep, [c for c in (*inputs.LABELS, "partnership") if c in p]].copy()
    out["duration"] = (exit_month - at)[keep].astype(float)
    out["ended"] = ended[keep].astype(int)
    if "contacts" in p:
        out["contacts"] = p.loc[keep, "contacts"].astype(float)
    if "consultation" in p:
        out["consultation"] = p.loc[keep, "consultation"].astype(float)
    if "pace" in p:
        out["pace"] = p.loc[keep, "pace"].astype(float)
    if {"ecosystem", "school", "company"} <= set(p):
        out["ecosystem_size"] = ecosystem_sizes(p).loc[keep]
    if origin == "reference":
        for column in (*OWNERSHIP_AT_REFERENCE, *ECOSYSTEM_AT_REFERENCE):
            if column in p:
                out[column] = p.loc[keep, column].astype(float)
    return out.reset_index(drop=True)


def read_lifetimes(results: str | Path, origin: str = "start") -> pd.DataFrame:
    """The lifetimes of every partnership of a results folder (the partnerships table must be recorded)."""
    runs = inputs.runs(results)
    missing = [c for c in ("months", "reference_month") if c not in runs]
    if missing:
        raise AnalysisError(f"{results}: expected the outcomes months and reference_month, found no {missing[0]}")
    partnerships = inputs.table(results, "partnerships")
    partnerships = partnerships[partnerships["run"].isin(runs["run"])]
    frame = lifetimes(partnerships, runs, origin)
    frame["strategy"] = frame["strategy"].astype(str)
    return frame


# --------------------------------------------------------------------------- Kaplan-Meier


def kaplan_meier(duration: np.ndarray, ended: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """The Kaplan-Meier estimate at each distinct event time, with Greenwood errors and log-log intervals.

    Columns: time, at_risk (lifetimes >= time), events, survival (just after time), se
    (Greenwood), low, high (the pointwise interval exp(-exp(log(-log S) +- z se'))). Tied times
    are grouped: the estimate is the exact product-limit of grouped data; a lifetime censored
    at an event time counts as at risk at that time.
    """
    t = np.asarray(duration, float)
    e = np.asarray(ended, int).astype(bool)
    times = np.unique(t[e])
    at_risk = np.array([(t >= x).sum() for x in times], float)
    events = np.array([((t == x) & e).sum() for x in times], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - events / at_risk)
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        se = surv * np.sqrt(greenwood)
        z = stats.norm.ppf(0.5 + level / 2)
        log_se = np.sqrt(greenwood) / np.abs(np.log(surv))
        low = np.exp(-np.exp(np.log(-np.log(surv)) + z * log_se))
        high = np.exp(-np.exp(np.log(-np.log(surv)) - z * log_se))
    done = surv == 0
    low, high = np.where(done, 0.0, low), np.where(done, np.where(np.isnan(high), 0.0, high), high)
    return pd.DataFrame(
        {"time": times, "at_risk": at_risk, "events": events, "survival": surv, "se": se, "low": low, "high": high}
    )


def survival_at(km: pd.DataFrame, time: float) -> tuple[float, float, float]:
    """S(time) with its interval from a :func:`kaplan_meier` table (1 before the first event)."""
    rows = km[km["time"] <= time]
    if rows.empty:
        return 1.0, 1.0, 1.0
    last = rows.iloc[-1]
    return float(last["survival"]), float(last["low"]), float(last["high"])


def median_survival(km: pd.DataFrame) -> tuple[float, float, float]:
    """The median lifetime (first time with S <= 0.5) and its interval from the pointwise band (inf: not reached)."""

    def first(column: str) -> float:
        hit = km.loc[km[column] <= 0.5, "time"]
        return float(hit.iloc[0]) if len(hit) else math.inf

    return first("survival"), first("low"), first("high")


def survival_table(lifetimes_: pd.DataFrame, level: float = 0.95, at: tuple[int, ...] = (24, 60)) -> pd.DataFrame:
    """Per scenario, point and strategy: partnerships, endings, median lifetime and S(at) with intervals."""
    rows = []
    for (scenario, point, strategy), g in lifetimes_.groupby([*GROUP, "strategy"], sort=True):
        km = kaplan_meier(g["duration"].to_numpy(), g["ended"].to_numpy(), level)
        median, m_low, m_high = median_survival(km)
        row = {
            "scenario": scenario,
            "point": point,
            "strategy": strategy,
            "partnerships": len(g),
            "runs": g["run"].nunique(),
            "ended": int(g["ended"].sum()),
            "median": median,
            "median_low": m_low,
            "median_high": m_high,
        }
        longest = float(g["duration"].max())
        for month in at:
            value, low, high = survival_at(km, month) if month <= longest else (math.nan,) * 3
            row.update({f"S{month}": value, f"S{month}_low": low, f"S{month}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- log-rank


def logrank(lifetimes_: pd.DataFrame, baseline: str = "none") -> pd.DataFrame:
    """Log-rank tests per scenario and point: all strategies at once ('all'), then each against `baseline` (Holm).

    The test treats partnerships as independent; those of one run are not, so its p values are
    too small when runs differ much. The Cox model's cluster-robust test does not assume it.
    """
    from statsmodels.duration.survfunc import survdiff

    rows = []
    for (scenario, point), g in lifetimes_.groupby(GROUP, sort=True):
        chi2, p = survdiff(g["duration"].to_numpy(), g["ended"].to_numpy(), g["strategy"].to_numpy())
        rows.append(
            {
                "scenario": scenario,
                "point": point,
                "strategy": "all",
                "baseline": baseline,
                "chi2": float(chi2),
                "df": g["strategy"].nunique() - 1,
                "p": float(p),
            }
        )
        pairwise = []
        for strategy in sorted(s for s in g["strategy"].unique() if s != baseline):
            two = g[g["strategy"].isin([baseline, strategy])]
            if two["strategy"].nunique() < 2:
                continue
            chi2, p = survdiff(two["duration"].to_numpy(), two["ended"].to_numpy(), two["strategy"].to_numpy())
            pairwise.append(
                {
                    "scenario": scenario,
                    "point": point,
                    "strategy": strategy,
                    "baseline": baseline,
                    "chi2": float(chi2),
                    "df": 1,
                    "p": float(p),
                }
            )
        adjusted = holm(np.array([r["p"] for r in pairwise]))
        for r, q in zip(pairwise, adjusted, strict=True):
            r["p_holm"] = float(q)
        rows.extend(pairwise)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Cox


def _design(frame: pd.DataFrame, baseline: str, covariates: list[str]) -> pd.DataFrame:
    """Strategy indicators (baseline left out) and the covariates that vary."""
    strategies = sorted(s for s in frame["strategy"].unique() if s != baseline)
    x = pd.DataFrame({f"strategy={s}": (frame["strategy"] == s).astype(float) for s in strategies}, index=frame.index)
    for c in covariates:
        if c in frame and frame[c].notna().all() and frame[c].nunique() > 1:
            x[c] = frame[c].astype(float)
    return x


def default_covariates(frame: pd.DataFrame) -> list[str]:
    """The partnership covariates the lifetimes have."""
    names = ["contacts", "consultation", "pace", "ecosystem_size", *OWNERSHIP_AT_REFERENCE, *ECOSYSTEM_AT_REFERENCE]
    return [c for c in names if c in frame]


def cluster_covariance(model, params: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The sandwich H^-1 (sum over clusters of u_g u_g') H^-1, u_g the summed score residuals of cluster g.

    statsmodels' score residuals are NaN for a partnership that is in no risk set at any event
    time (censored before the first ending of its stratum); its score is zero, and it is
    counted as zero here, so such rows do not make the whole covariance NaN.
    """
    scores = np.nan_to_num(model.score_residuals(params))
    _, index = np.unique(groups, return_inverse=True)
    sums = np.zeros((index.max() + 1, scores.shape[1]))
    np.add.at(sums, index, scores)
    bread = np.linalg.inv(model.hessian(params))
    return bread @ (sums.T @ sums) @ bread


def ph_test(result, time: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Per term: p of the correlation of its Schoenfeld residuals with the rank of the event time (chi2, 1 df).

    A small p says the term's hazard ratio changes with time (proportional hazards fail). The
    statistic is n_events x r^2 over the events, a simple form of the Grambsch-Therneau test.
    """
    residuals = result.schoenfeld_residuals
    events = status.astype(bool)
    ranks = stats.rankdata(time[events])
    out = []
    for j in range(residuals.shape[1]):
        r_j = residuals[events, j]
        ok = ~np.isnan(r_j)
        if ok.sum() < 3 or np.ptp(r_j[ok]) == 0:
            out.append(math.nan)
            continue
        r = np.corrcoef(r_j[ok], ranks[ok])[0, 1]
        out.append(float(stats.chi2.sf(ok.sum() * r * r, 1)))
    return np.array(out)


def cox(
    lifetimes_: pd.DataFrame,
    baseline: str = "none",
    covariates: list[str] | None = None,
    cluster_col: str = "replication",
    level: float = 0.95,
) -> pd.DataFrame:
    """A Cox model of the lifetimes: strategy (against `baseline`) and partnership covariates.

    Strata: scenario and design point (each its own baseline hazard). Estimates with Efron's
    ties; standard errors clustered by `cluster_col` (default the replication: the runs of one
    seed share their draws across strategies, so a seed is the independent unit; 'run' clusters
    by run). Columns: term, coef, hazard_ratio, low, high, se (robust), se_naive, p (robust
    Wald), p_ph (proportional-hazards check), coef_breslow (the Breslow estimate: far from
    coef means the ties matter), events, partnerships, clusters.
    """
    from statsmodels.duration.hazard_regression import PHReg

    frame = lifetimes_.reset_index(drop=True)
    if baseline not in set(frame["strategy"]):
        found = ", ".join(sorted(frame["strategy"].unique()))
        raise AnalysisError(f"--baseline: expected one of the strategies in the results ({found}), found {baseline!r}")
    if cluster_col not in frame:
        raise AnalysisError(f"cluster_col: expected a column of the lifetimes, found {cluster_col!r}")
    covariates = default_covariates(frame) if covariates is None else covariates
    x = _design(frame, baseline, covariates)
    time = frame["duration"].to_numpy(float)
    status = frame["ended"].to_numpy(int)
    if status.sum() == 0 or x.shape[1] == 0:
        raise AnalysisError("lifetimes: expected some endings and more than one strategy or covariate, found none")
    strata = frame[GROUP].astype(str).agg("/".join, axis=1).to_numpy()
    groups = (
        frame[cluster_col].astype(str).to_numpy()
        if cluster_col != "replication"
        else (frame[["scenario", "replication"]].astype(str).agg("/".join, axis=1).to_numpy())
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        efron = PHReg(time, x.to_numpy(), status, strata=strata, ties="efron")
        naive = efron.fit()
        breslow = PHReg(time, x.to_numpy(), status, strata=strata, ties="breslow").fit()
        coef = naive.params
        se = np.sqrt(np.diag(cluster_covariance(efron, coef, groups)))
    z = stats.norm.ppf(0.5 + level / 2)
    table = pd.DataFrame(
        {
            "term": list(x.columns),
            "coef": coef,
            "hazard_ratio": np.exp(coef),
            "low": np.exp(coef - z * se),
            "high": np.exp(coef + z * se),
            "se": se,
            "se_naive": naive.bse,
            "p": 2 * stats.norm.sf(np.abs(coef / se)),
            "p_ph": ph_test(naive, time, status),
            "coef_breslow": breslow.params,
        }
    )
    table["events"] = int(status.sum())
    table["partnerships"] = len(frame)
    table["clusters"] = len(set(groups))
    return table


def survival_report(
    results: str | Path, origin: str = "reference", baseline: str = "none", level: float = 0.95
) -> dict[str, pd.DataFrame]:
    """The survival tables of a results folder: 'survival' (Kaplan-Meier), 'logrank' and 'cox'."""
    frame = read_lifetimes(results, origin)
    if frame.empty:
        raise AnalysisError(f"{results}: expected partnerships at risk from the {origin}, found none")
    return {
        "survival": survival_table(frame, level),
        "logrank": logrank(frame, baseline),
        "cox": cox(frame, baseline, level=level),
    }
