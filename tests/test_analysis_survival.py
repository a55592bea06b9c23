"""Lifetimes, Kaplan-Meier against a textbook example computed by hand, log-rank and the clustered Cox model."""

import math

import numpy as np
import pandas as pd
import pytest

from ecosim.analysis.survival import (
    cluster_covariance,
    cox,
    kaplan_meier,
    lifetimes,
    logrank,
    median_survival,
    survival_at,
    survival_table,
)

# Remission times (weeks) of the 6-MP group of the classic leukaemia trial; 0 = censored.
WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
ENDED = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_kaplan_meier_matches_the_hand_computation():
    km = kaplan_meier(np.array(WEEKS), np.array(ENDED))
    # product-limit by hand: at risk 21, 17, 15, 12, 11, 7, 6 at the event times 6, 7, 10, 13, 16, 22, 23
    expected = np.cumprod([18 / 21, 16 / 17, 14 / 15, 11 / 12, 10 / 11, 6 / 7, 5 / 6])
    assert list(km["time"]) == [6, 7, 10, 13, 16, 22, 23]
    assert list(km["at_risk"]) == [21, 17, 15, 12, 11, 7, 6]
    assert np.allclose(km["survival"], expected) and km["survival"].iloc[0] == pytest.approx(0.8571, abs=1e-4)
    assert km["survival"].iloc[-1] == pytest.approx(0.4482, abs=1e-4)
    # Greenwood at week 6: S * sqrt(3 / (21 * 18)) = 0.0764
    assert km["se"].iloc[0] == pytest.approx(0.857143 * math.sqrt(3 / 378), abs=1e-6)
    assert median_survival(km)[0] == 23
    assert survival_at(km, 12)[0] == pytest.approx(expected[2]) and survival_at(km, 3) == (1.0, 1.0, 1.0)
    low, high = km["low"].to_numpy(), km["high"].to_numpy()
    assert (low < km["survival"]).all() and (km["survival"] < high).all()


def test_lifetimes_from_start_and_from_the_reference_month_are_censored_at_the_horizon():
    runs = pd.DataFrame({"run": [0], "months": [60], "reference_month": [36]})
    partnerships = pd.DataFrame(
        {
            "run": 0,
            "scenario": "s",
            "strategy": "none",
            "point": 0,
            "replication": 0,
            "seed": 1,
            "partnership": [0, 1, 2, 3],
            "start": [0, 0, 10, 50],
            "end": pd.array([40, None, 20, None], "Int32"),
            "contacts": [1, 2, 1, 3],
        }
    )
    start = lifetimes(partnerships, runs, "start")
    assert list(start["duration"]) == [40, 59, 10, 9] and list(start["ended"]) == [1, 0, 1, 0]
    reference = lifetimes(partnerships, runs, "reference")  # only those alive at the end of month 36
    assert list(reference["partnership"]) == [0, 1]
    assert list(reference["duration"]) == [4, 23] and list(reference["ended"]) == [1, 0]


def synthetic_lifetimes(hazard_ratio: float = 0.5, seeds: int = 40, each: int = 60) -> pd.DataFrame:
    """Monthly (tied) lifetimes of two strategies sharing a frailty per seed; a covariate with HR 0.7."""
    rng = np.random.default_rng(11)
    rows = []
    for seed in range(seeds):
        frailty = math.exp(rng.normal(0, 0.3))
        for strategy, ratio in (("none", 1.0), ("treated", hazard_ratio)):
            contacts = rng.integers(1, 4, each)
            rate = 0.02 * frailty * ratio * 0.7 ** (contacts - 2)
            months = np.ceil(rng.exponential(1 / rate))
            ended = months <= 84
            for k in range(each):
                rows.append(
                    {
                        "run": seed * 2 + (strategy == "treated"),
                        "scenario": "s",
                        "point": 0,
                        "strategy": strategy,
                        "replication": seed,
                        "seed": seed,
                        "contacts": float(contacts[k]),
                        "duration": float(min(months[k], 84)),
                        "ended": int(ended[k]),
                    }
                )
    return pd.DataFrame(rows)


def test_cox_recovers_planted_hazard_ratios_with_seed_clustered_errors():
    frame = synthetic_lifetimes()
    table = cox(frame, covariates=["contacts"]).set_index("term")
    assert table.loc["strategy=treated", "hazard_ratio"] == pytest.approx(0.5, abs=0.07)
    assert table.loc["contacts", "hazard_ratio"] == pytest.approx(0.7, abs=0.06)
    assert table.loc["strategy=treated", "low"] < 0.5 < table.loc["strategy=treated", "high"]
    assert table["clusters"].iloc[0] == 40 and (table["p_ph"].between(0, 1)).all()
    assert abs(table.loc["strategy=treated", "coef_breslow"] - table.loc["strategy=treated", "coef"]) < 0.05


def test_the_cluster_sandwich_equals_statsmodels_where_every_row_is_at_risk():
    from statsmodels.duration.hazard_regression import PHReg

    frame = synthetic_lifetimes(seeds=10, each=30)
    x = np.column_stack([(frame["strategy"] == "treated").astype(float), frame["contacts"]])
    model = PHReg(frame["duration"].to_numpy(), x, frame["ended"].to_numpy(), ties="efron")
    groups = frame["replication"].to_numpy()
    theirs = model.fit(groups=groups)
    ours = cluster_covariance(model, theirs.params, groups)
    assert np.allclose(np.sqrt(np.diag(ours)), theirs.bse)


def test_kaplan_meier_table_and_log_rank_per_strategy():
    frame = synthetic_lifetimes(seeds=10, each=40)
    table = survival_table(frame).set_index("strategy")
    assert table.loc["treated", "S24"] > table.loc["none", "S24"] and table.loc["none", "partnerships"] == 400
    tests = logrank(frame).set_index("strategy")
    assert tests.loc["treated", "p"] < 0.01 and tests.loc["all", "df"] == 1
