"""Paired comparison of strategies on a synthetic results set written by the real store functions."""

import math

import numpy as np
import pandas as pd
import pytest

import ecosim
from ecosim.analysis import AnalysisError
from ecosim.analysis.compare import compare, cost_effectiveness
from ecosim.analysis.paired import (
    bca_interval,
    holm,
    overlap_ranks,
    paired_interval,
    paired_p_value,
    runs_saved,
    variance_ratio,
)
from ecosim.results import MANIFEST, write_json, write_parquet

SEEDS = 40
EFFECT = 0.08  # planted: "treated" keeps this much more of the cohort alive, seed by seed


def synthetic_runs() -> pd.DataFrame:
    """none, treated (none + EFFECT + small noise), copy (exactly none): seed noise shared by every strategy."""
    rng = np.random.default_rng(5)
    seed_effect = rng.normal(0, 0.1, SEEDS)  # what the seed does to every strategy (common random numbers)
    rows = []
    for strategy in ("none", "treated", "copy"):
        for r in range(SEEDS):
            share = 0.6 + seed_effect[r]
            spending = 600_000.0
            if strategy == "treated":
                share += EFFECT + rng.normal(0, 0.01)
                spending += 50_000.0
            rows.append(
                {
                    "run": len(rows),
                    "run_id": f"id{len(rows)}",
                    "scenario": "synthetic",
                    "strategy": strategy,
                    "point": 0,
                    "replication": r,
                    "seed": 1 + r,
                    "status": "ok",
                    "error": "None",
                    "alive_at_reference": 100.0,
                    "share_not_ended_24": share,
                    "programme_spending": spending,
                    "learner_months_per_1000_eur": 10.0 * 600_000 / spending,
                    "months": 120.0,
                    "reference_month": 36.0,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    write_parquet(synthetic_runs(), folder / "runs.parquet")
    write_json({"experiment": "synthetic", "complete": True, "parts": [], "content": {"record": []}}, folder / MANIFEST)
    return folder


def test_holm_by_hand():
    # m = 4: sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.06, 0.06 (monotone), 0.5
    assert np.allclose(holm(np.array([0.03, 0.01, 0.5, 0.02])), [0.06, 0.04, 0.5, 0.06])
    assert np.isnan(holm(np.array([np.nan, 0.2]))[0]) and holm(np.array([np.nan, 0.2]))[1] == 0.2


def test_paired_interval_by_hand():
    mean, low, high = paired_interval(np.array([1.0, 2.0, 3.0]), 0.95)
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert mean == 2.0 and low == pytest.approx(2 - half) and high == pytest.approx(2 + half)
    assert paired_interval(np.zeros(5)) == (0.0, 0.0, 0.0)


def test_zero_differences_are_exactly_zero_everywhere():
    d = np.zeros(10)
    assert bca_interval(d) == (0.0, 0.0) and paired_p_value(d) == 1.0
    a = np.arange(10.0)
    assert math.isinf(variance_ratio(a, a + 1.0)) and math.isnan(variance_ratio(np.ones(5), np.ones(5)))


def test_variance_ratio_and_runs_saved():
    rng = np.random.default_rng(1)
    common = rng.normal(0, 1, 5000)
    a, b = common + rng.normal(0, 0.1, 5000), common + rng.normal(0, 0.1, 5000)
    ratio = variance_ratio(a, b)  # (1.01 + 1.01) / 0.02 = 101
    assert 85 < ratio < 120 and runs_saved(ratio, 30) == pytest.approx(60 * (ratio - 1))


def test_ranks_tie_where_intervals_overlap():
    ranks = overlap_ranks(np.array([3.0, 2.5, 1.0]), np.array([2.0, 1.9, 0.5]), np.array([4.0, 3.0, 1.5]))
    assert list(ranks) == [1, 1, 3]
    assert list(overlap_ranks(np.array([3.0, 1.0]), np.array([2.9, 0.9]), np.array([3.1, 1.1]), False)) == [2, 1]


def test_the_planted_effect_is_found_with_its_sign_and_size(results):
    table = compare(results, outcomes=["share_not_ended_24"])
    treated = table.set_index("strategy").loc["treated"]
    assert treated["difference"] == pytest.approx(EFFECT, abs=0.005)
    assert treated["t_low"] < EFFECT < treated["t_high"] and treated["bca_low"] < EFFECT < treated["bca_high"]
    assert treated["t_low"] > 0 and treated["p_holm"] < 1e-6 and treated["pairs"] == SEEDS
    assert treated["variance_ratio"] > 50  # the shared seed noise cancels in the paired difference
    assert treated["rank"] == 1 and table.set_index("strategy").loc["none", "rank"] == 2


def test_a_strategy_compared_with_itself_gives_exactly_zero(results):
    table = compare(results, baseline="treated", outcomes=["share_not_ended_24", "alive_24"]).set_index("strategy")
    own = table.loc["treated"]
    assert (own["difference"] == 0).all() and (own["t_low"] == 0).all() and (own["t_high"] == 0).all()
    copy = compare(results, outcomes=["share_not_ended_24"]).set_index("strategy").loc["copy"]
    assert copy["difference"] == 0.0 and copy["t_low"] == 0.0 and copy["bca_high"] == 0.0 and copy["p"] == 1.0


def test_cost_effectiveness_of_the_planted_effect(results):
    costs = cost_effectiveness(results).set_index("strategy")
    treated = costs.loc["treated"]
    assert treated["extra_spending"] == pytest.approx(50_000)
    # 100 partnerships x 0.08 more alive for 50,000 EUR: 16 per 100,000 EUR
    assert treated["extra_alive_24_per_100k_eur"] == pytest.approx(16, abs=1)
    assert math.isnan(costs.loc["copy", "extra_alive_24_per_100k_eur"])  # costs nothing extra: no ratio


def test_the_python_entry_point_and_its_errors(results):
    assert ecosim.compare(results, outcomes=["share_not_ended_24"]).shape[0] == 3
    with pytest.raises(AnalysisError, match="--baseline: expected one of the strategies"):
        compare(results, baseline="nothing")
    with pytest.raises(AnalysisError, match="--outcome: expected one of"):
        compare(results, outcomes=["nothing"])
    with pytest.raises(AnalysisError, match="found no manifest.json"):
        compare(results / "missing")
