"""Patterns P1-P9 (docs/ODD.md §1): paired replications under common random numbers, one test each.

Every test asserts the check passed and, explicitly, the direction, the minimum size and a
99% paired interval that excludes zero (the interval is `low`..`high`).
"""

import numpy as np
import pytest

import ecosim
from ecosim.validation import Check, experiment_file, patterns


def _shows(check: Check, minimum: float) -> None:
    assert check.group == "pattern"
    assert check.passed, f"{check.name}: {check.measured:.4f} [{check.low:.4f}, {check.high:.4f}]; {check.note}"
    assert check.low <= check.measured <= check.high
    assert check.low > 0, "the paired interval must exclude zero"
    assert check.measured >= minimum


def test_p1_hazard_of_ending_rises_at_the_funding_end():
    c = patterns.p1_funding_end()
    _shows(c, 0.0)
    assert c.values["hazard_after"] >= 2 * c.values["hazard_before"] > 0


def test_p1_hazards_agree_with_a_count_over_the_partnership_table():
    """The hazards P1 reads from the indicators, counted again from each partnership's start and end."""
    sc = ecosim.load_scenario(experiment_file(patterns.PATTERNS))
    end, window, seeds = sc.parameters.funding_end, 24, 3
    c = patterns.p1_funding_end(replications=seeds)
    hazards = {"before": [], "after": []}
    for r in range(seeds):
        pp = ecosim.run(sc, seed=sc.seed + r, months=end + window).tables["partnerships"]
        start, ended = pp["start"].to_numpy(), pp["end"].to_numpy(dtype=float, na_value=np.inf)
        for arm, months in (("before", range(end - window, end)), ("after", range(end, end + window))):
            at_risk = sum(int(((start <= m - 1) & (ended > m - 1)).sum()) for m in months)
            endings = int(((ended >= months[0]) & (ended <= months[-1])).sum())
            hazards[arm].append(endings / at_risk)
    assert c.values["hazard_before"] == pytest.approx(np.mean(hazards["before"]), rel=1e-12)
    assert c.values["hazard_after"] == pytest.approx(np.mean(hazards["after"]), rel=1e-12)


def test_p2_board_only_support_stalls_more_in_the_first_year():
    _shows(patterns.p2_board_only(), 0.02)


def test_p3_several_contact_persons_are_more_durable():
    _shows(patterns.p3_contact_persons(), 0.02)


def test_p4_merging_keeps_partnerships_alive_in_the_paired_contrast():
    _shows(patterns.p4_merged_outlive_isolated(), 0.01)


def test_p5_gradual_handover_makes_the_departure_survivable():
    _shows(patterns.p5_gradual_handover(), 0.05)


def test_p6_company_demand_keeps_school_leaders_support_up():
    _shows(patterns.p6_company_demand(), 0.02)


def test_p7_coordination_capacity_keeps_ecosystems_alive():
    _shows(patterns.p7_coordination_cost(), 0.01)


def test_p8_outreach_raises_the_hard_to_reach_share():
    _shows(patterns.p8_outreach(), 0.05)


def test_p9_evaluation_restores_mission_and_health():
    c = patterns.p9_evaluation()
    _shows(c, 0.1)
    assert c.values["health_low"] > 0 and c.values["health_low"] < c.values["health_difference"]  # beyond zero too


@pytest.mark.slow
@pytest.mark.parametrize("check", patterns.PATTERN_CHECKS, ids=lambda f: f.__name__.split("_")[0])
def test_patterns_hold_with_more_replications(check):
    assert check(replications=60).passed


def _without(**parameters) -> ecosim.Scenario:
    scenario = ecosim.load_scenario(experiment_file(patterns.PATTERNS))
    return scenario.model_copy(update={"parameters": scenario.parameters.model_copy(update=parameters)})


@pytest.mark.parametrize(("check", "mechanism_off"), [
    (patterns.p6_company_demand, {"demand_signal": 0.0}),
    (patterns.p8_outreach, {"outreach_factor": 0.3}),
], ids=["p6-without-demand-signal", "p8-outreach-factor-equals-chi"])
def test_a_pattern_fails_without_its_mechanism(check, mechanism_off):
    """Negative control: with the mechanism switched off the arms coincide (common random numbers)."""
    c = check(_without(**mechanism_off), replications=5)
    assert c.measured == 0.0 and c.low == c.high == 0.0
    assert not c.passed
