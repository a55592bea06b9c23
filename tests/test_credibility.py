"""The issue-17 credibility measurement (ecosim.validation.credibility): structure and invariants on real small runs.

No model output is pinned: the figures are what the measurement is for, and the kernels change.
"""

import json
import math

import numpy as np
import pytest

from ecosim.kernels.codes import CAUSES
from ecosim.scenario import load_scenario
from ecosim.store import strict_json
from ecosim.validation import credibility

ITEMS = ("knife_edge", "effects", "ownership", "ecosystems", "end_causes", "hazard", "scales")


def _share(x: float) -> bool:
    return 0.0 <= x <= 1.0


@pytest.fixture(scope="module")
def measured() -> dict:
    """Every item at a small size, in this process (generated regions on, national off)."""
    return credibility.measure(seeds=3, paired=2, national=0, regions=2, workers=1)


def test_every_item_is_measured(measured):
    assert set(ITEMS) <= set(measured)
    s = measured["settings"]
    assert (s["seeds"], s["paired"], s["regions"], s["national"]) == (3, 2, 2, 0)
    assert set(measured["scales"]) == {"baseline", "generated"}
    scenario = load_scenario(credibility.repository() / "scenarios" / "baseline.toml")
    assert set(scenario.strategies) <= set(measured["effects"])
    assert {"none", *credibility.CONTRASTS} <= set(measured["effects"])


def test_shares_are_shares(measured):
    k = measured["knife_edge"]
    assert k["live"] > 0
    for name in ("mean_health", "share_near_threshold", "share_above"):
        assert _share(k[name]), name
    for name in ("share_above_none", "share_above_strategy"):
        assert _share(k["consultation_arm"][name])
    for effect in measured["effects"].values():
        for years in ("two_year", "five_year"):
            e = effect[years]
            assert _share(e["share"])
            assert e["low"] <= e["effect_pp"] <= e["high"] and -100 <= e["effect_pp"] <= 100
    eco = measured["ecosystems"]
    for name in ("isolated", "in_ecosystem"):
        assert math.isnan(eco[name]) or _share(eco[name])
    h = measured["hazard"]
    assert _share(h["funded_monthly"]) and _share(h["after_first_year_monthly"]) and _share(h["alive_24_after_start"])
    for v in measured["scales"].values():
        assert _share(v["value"]) and v["clusters"] >= 2
        assert v["low"] <= v["value"] <= v["high"]


def test_no_strategy_against_itself_is_exactly_zero(measured):
    none = measured["effects"]["none"]
    for years in ("two_year", "five_year"):
        assert (none[years]["effect_pp"], none[years]["low"], none[years]["high"]) == (0.0, 0.0, 0.0)
    scenario = load_scenario(credibility.repository() / "scenarios" / "baseline.toml")
    again = credibility.paired_effects(scenario, {"none again": (None, {})}, [1, 2])["none again"]
    assert again["two_year"]["effect_pp"] == 0.0 and again["five_year"]["effect_pp"] == 0.0


def test_end_causes_sum_to_one(measured):
    c = measured["end_causes"]
    assert set(c["shares"]) == set(CAUSES)
    if c["endings"]:
        assert sum(c["shares"].values()) == pytest.approx(1.0)
        assert all(_share(v) for v in c["shares"].values())


def test_ownership_spread_is_ordered(measured):
    for v in measured["ownership"].values():  # ownership, and pace where the model has it
        assert v["n"] > 0 and v["sd"] >= 0 and v["p10"] <= v["p90"]
    assert 0 <= measured["ownership"]["ownership"]["p10"] <= measured["ownership"]["ownership"]["p90"] <= 1


def test_json_and_table(measured):
    text = json.dumps(strict_json(measured), allow_nan=False)
    assert json.loads(text)["settings"]["funding_end"] == measured["settings"]["funding_end"]
    table = credibility.markdown(measured)
    items = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ") and "---" not in line}
    assert {"1", "2", "3", "4", "5", "6"} <= items


def test_absent_parameters_are_skipped():
    assert credibility.known({"no_such_parameter": 0.0, "merge_rate": 0.0}) == {"merge_rate": 0.0}


def test_statistics_on_constructed_cases():
    r = credibility.cluster_ratio([1, 2, 3], [2, 4, 6])
    assert r["value"] == pytest.approx(0.5) and r["low"] == pytest.approx(0.5) and r["high"] == pytest.approx(0.5)
    # three partnerships, months run 0..9: one ends in month 4 (started 0), one never ends, one starts in month 6
    start, end = np.array([0, 0, 6]), np.array([4, -1, -1])
    assert credibility.endings_and_exposure(start, end, 1, 5, 10) == (1, 4 + 5)
    assert credibility.endings_and_exposure(start, end, 6, 9, 10) == (0, 4 + 3)
    assert credibility.cohort_survival(start, end, 3, follow=2) == (1, 2)


def test_validate_checks_on_a_small_run():
    found = credibility.checks(seeds=4, workers=1)
    assert [c.group for c in found] == ["credibility"] * 4
    effect, spread, hazard, causes = found
    assert effect.low <= effect.measured <= effect.high and "gradual-handover" in effect.note
    assert spread.measured == pytest.approx(spread.high - spread.low) and 0 <= spread.low <= spread.high <= 1
    assert hazard.low <= hazard.measured <= hazard.high and 0 <= hazard.measured <= 1
    assert 0 <= causes.low <= causes.measured <= causes.high <= 1 and "carrier" in causes.note
    # each verdict follows from its own numbers and the module's limits
    assert effect.passed == (abs(effect.measured) <= credibility.MAX_EFFECT_PP)
    assert spread.passed == (spread.measured >= credibility.MIN_OWNERSHIP_SPREAD)
    assert hazard.passed == (hazard.measured >= credibility.MIN_FUNDED_HAZARD and hazard.low > 0)
    assert causes.passed == (causes.measured >= credibility.MIN_FUNDED_OTHER)
