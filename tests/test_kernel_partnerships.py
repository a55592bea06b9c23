"""Process 5, partnership health and ending (docs/ODD.md §7.5), and the start of new partnerships."""

import numpy as np
import pytest

from ecosim.kernels.codes import (
    ACTIVE,
    BB_AFTERCARE,
    BB_DEPARTED,
    CAUSE_CARRIER,
    CAUSE_CONTACT,
    CAUSE_COORDINATION,
    CAUSE_MISSION,
    CAUSE_SUPPORT,
    CAUSE_VALUE,
    ENDED,
    EV_ENDED,
    EV_REACTIVATED,
    EV_STALLED,
    S_CONSULTATION,
    S_CONTACT,
    S_CONTACTS,
    S_END,
    S_PACE,
    S_REACTIVATE,
    S_STALL,
    STALLED,
)
from ecosim.kernels.partnerships import above, cause_of_ending
from ecosim.rng import lognormal, uniform
from tiny import company, make_tiny, school

SEED = 5
EXACT = 1e-14
NO_STALL = {"stall_base": 0.0, "stall_slope": 0.0}
FROZEN = {"health_adjustment": 0.0, **NO_STALL}  # H stays where the test puts it
HARD = {"health_slope": 0.0, "reactivation_rate": 1.0}  # the threshold rules: reactivate above H_r, else end w.p. zeta


def pair_world(bb_status=0, intensity=1.0, **pair):
    """School 0 (B .7, L .6, F .5) and company 1 (B .65, L .55, F .45, 20 places) in one pair served by
    bridge-builder 0: O = 0.1, M = 0.8, V = 0.5, H = 0.6, 5 learners placed, consultation, two contacts."""
    row = {
        "school": 0,
        "company": 1,
        "bridge_builder": 0,
        "ownership": 0.1,
        "mission": 0.8,
        "value": 0.5,
        "health": 0.6,
        "placed": 5,
        "consultation": True,
        "contacts": 2,
        **pair,
    }
    return make_tiny(
        orgs=[school(board=0.7, leaders=0.6, floor=0.5), company(board=0.65, leaders=0.55, floor=0.45, places=20)],
        partnerships=[row],
        bridge_builders=[{"status": bb_status, "intensity": intensity}],
    )


def step(engine, w, p, t=40, census=None):
    census = w.census(engine) if census is None else census
    engine.partnerships(t, SEED, p, w.P.view(), w.O.view(), w.B.view(), census, w.events)


def init(engine, w, p, lo=0):
    engine.init_partnerships(lo, SEED, p, w.P.view(), w.O.view(), w.B.view())


def test_one_month_of_an_isolated_pair_by_hand(engine, kp):
    w = pair_world()
    step(engine, w, kp(**NO_STALL))
    ownership = 0.1 + 0.01 * 0.1 * (1 - 0.1)  # consolidation of an active pair: 0.1009
    mission = 0.8 + 0.01 * (ownership - 0.8)  # settles towards O: 0.793009
    fill, variety = 5 / 20, 0.5 * ((1 - 1 / 1) + (1 - 1 / 1))  # one company, one sector: no variety
    value = 0.5 + 0.02 * 0.5 * (fill + variety) * (1 - 0.5) - 0.01 * 0.5  # isolated: 0.49625
    weakest = min(0.7, 0.6, 0.5, 0.65, 0.55, 0.45)
    carrier = 0.1 + (1 - 0.1) * 1.0
    target = 0.30 * weakest + 0.25 * carrier + 0.15 * mission + 0.20 * value + 0.10 * 1  # 0.70320135
    # the kernel against the numbers worked out by hand above (not against the test's own formula)
    kernel = (w.P.ownership[0], w.P.mission[0], w.P.value[0])
    assert kernel == pytest.approx((0.1009, 0.793009, 0.49625), abs=EXACT)
    assert w.P.health[0] == pytest.approx(0.6 + 0.2 * (0.70320135 - 0.6), abs=EXACT)  # H + a_h (H* - H)
    hand = (ownership, mission, value, target)
    assert hand == pytest.approx((0.1009, 0.793009, 0.49625, 0.70320135), abs=EXACT)  # the hand sums
    assert w.P.status[0] == ACTIVE
    assert w.logged() == []


def ecosystem_world(second_sector="B"):
    """Pairs 0 (school 0, company 1 in A) and 1 (school 0, company 2) merged into one ecosystem of 3 organisations."""
    return make_tiny(
        orgs=[school("AB"), company("A", places=20), company(second_sector, places=10)],
        partnerships=[
            {"school": 0, "company": 1, "placed": 5, "value": 0.5},
            {"school": 0, "company": 2, "placed": 10, "value": 0.4, "parent": 0},
        ],
    )


@pytest.mark.parametrize(("second_sector", "variety"), [("B", 0.5 * (0.5 + 0.5)), ("A", 0.5 * (0.5 + 0.0))])
def test_value_grows_with_fill_and_variety_and_merged_pairs_are_not_isolated(engine, kp, second_sector, variety):
    w = ecosystem_world(second_sector)
    step(engine, w, kp(value_gain=0.02, isolation_loss=0.01, **NO_STALL))
    assert w.P.value[0] == pytest.approx(0.5 + 0.02 * 0.5 * (5 / 20 + variety) * 0.5, abs=EXACT)
    assert w.P.value[1] == pytest.approx(0.4 + 0.02 * 0.5 * (10 / 10 + variety) * 0.6, abs=EXACT)


def test_isolated_empty_pair_loses_value(engine, kp):
    w = pair_world(placed=0)
    step(engine, w, kp(value_gain=0.02, isolation_loss=0.01, **NO_STALL))
    assert w.P.value[0] == pytest.approx(0.5 - 0.01 * 0.5, abs=EXACT)


def test_mission_settles_geometrically_at_the_ownership(engine, kp):
    w = pair_world(ownership=0.3)
    for t in range(24):
        step(engine, w, kp(mission_drift=0.01, consolidation_rate=0.0, **NO_STALL), t=t)
    assert w.P.mission[0] == pytest.approx(0.3 + (0.8 - 0.3) * 0.99**24, abs=1e-12)
    w = pair_world(ownership=0.95)  # a team that owns the work more than the start mission pulls it up
    step(engine, w, kp(mission_drift=0.1, consolidation_rate=0.0, **NO_STALL))
    assert w.P.mission[0] == pytest.approx(0.8 + 0.1 * 0.15, abs=EXACT)


def test_an_active_team_consolidates_its_ownership_logistically_and_a_stalled_one_does_not(engine, kp):
    w = pair_world(ownership=0.4)
    for t in range(12):
        step(engine, w, kp(consolidation_rate=0.05, **NO_STALL), t=t)
    o = 0.4
    for _ in range(12):
        o += 0.05 * o * (1 - o)
    assert w.P.ownership[0] == pytest.approx(o, abs=1e-12)
    for ownership in (0.0, 1.0):  # nothing to embed, or nothing left to gain
        w = pair_world(ownership=ownership)
        step(engine, w, kp(consolidation_rate=0.05, **NO_STALL))
        assert w.P.ownership[0] == ownership
    w = pair_world(ownership=0.4, status=STALLED)
    step(engine, w, kp(FROZEN, consolidation_rate=0.05, stalled_end=0.0, reactivation_rate=0.0))
    assert w.P.ownership[0] == 0.4


def target_of(engine, kp, w, **params):
    """H* by running one month with lambda = 1 (health jumps to its target), drift and value change off."""
    step(
        engine,
        w,
        kp(health_adjustment=1.0, mission_drift=0.0, value_gain=0.0, isolation_loss=0.0, consolidation_rate=0.0,
           **NO_STALL, **params),
    )
    return w.P.health[0]


def test_carrier_is_ownership_once_the_bridge_builder_departed(engine, kp):
    w = pair_world(bb_status=BB_DEPARTED)
    expected = 0.30 * 0.45 + 0.25 * 0.1 + 0.15 * 0.8 + 0.20 * 0.5 + 0.10
    assert target_of(engine, kp, w) == pytest.approx(expected, abs=EXACT)


def test_carrier_counts_aftercare_intensity(engine, kp):
    w = pair_world(bb_status=BB_AFTERCARE, intensity=0.4)
    expected = 0.30 * 0.45 + 0.25 * (0.1 + 0.9 * 0.4) + 0.15 * 0.8 + 0.20 * 0.5 + 0.10
    assert target_of(engine, kp, w) == pytest.approx(expected, abs=EXACT)


def test_coordination_penalty_and_missing_consultation_lower_the_target(engine, kp):
    w = pair_world(penalty=0.12, consultation=False)
    expected = 0.30 * 0.45 + 0.25 * 1.0 + 0.15 * 0.8 + 0.20 * 0.5 - 0.12
    assert target_of(engine, kp, w) == pytest.approx(expected, abs=EXACT)


def test_target_is_clamped_to_one(engine, kp):
    w = pair_world()
    assert target_of(engine, kp, w, weight_support=1.0, weight_carrier=1.0, weight_mission=1.0) == 1.0


def test_single_contact_leaving_subtracts_the_shock_after_the_health_update(engine, kp):
    w = pair_world(contacts=1, contact_loss=0.1)
    step(engine, w, kp(contact_tenure=1.0, contact_shock=0.3, consolidation_rate=0.0, **NO_STALL))  # leaves surely
    target = 0.30 * 0.45 + 0.25 * 1.0 + 0.15 * 0.793 + 0.20 * 0.49625 + 0.10
    assert w.P.health[0] == pytest.approx(0.6 + 0.2 * (target - 0.6) - 0.3, abs=EXACT)
    assert w.P.contact_loss[0] == pytest.approx(0.1 * 0.8 + 0.3, abs=EXACT)


def test_two_contacts_absorb_a_leaver_without_shock(engine, kp):
    w = pair_world(contacts=2)
    step(engine, w, kp(contact_tenure=1.0, consolidation_rate=0.0, **NO_STALL))
    assert w.P.health[0] == pytest.approx(0.6 + 0.2 * (0.7032 - 0.6), abs=EXACT)
    assert w.P.contact_loss[0] == 0.0


def test_contact_leaves_with_chance_one_over_tenure_on_keyed_draws(engine, kp):
    n = 200
    w = make_tiny(
        orgs=[school(), company()], partnerships=[{"school": 0, "company": 1, "contacts": 1} for _ in range(n)]
    )
    step(engine, w, kp(contact_tenure=8.0, **FROZEN), t=17)
    expected = np.array([uniform(SEED, S_CONTACT, i, 17) < 1 / 8.0 for i in range(n)])
    assert ((w.P.contact_loss[:n] == 0.3) == expected).all()
    assert 0 < expected.sum() < n


def test_remembered_contact_shock_decays_with_the_health_adjustment(engine, kp):
    w = pair_world(contacts=1)
    step(engine, w, kp(contact_tenure=1.0, **NO_STALL), t=0)
    w.P.contacts[0] = 2  # no further shocks
    for t in range(1, 6):
        step(engine, w, kp(**NO_STALL), t=t)
    assert w.P.contact_loss[0] == pytest.approx(0.3 * 0.8**5, abs=EXACT)


def status_world(status, health, n=1):
    return make_tiny(
        orgs=[school(), company()],
        partnerships=[{"school": 0, "company": 1, "status": status, "health": health} for _ in range(n)],
    )


def test_active_stalls_with_probability_one_and_not_with_zero(engine, kp):
    w = status_world(ACTIVE, 0.9)
    step(engine, w, kp(FROZEN, stall_base=1.0), t=3)
    assert w.P.status[0] == STALLED
    assert w.logged() == [(3, EV_STALLED, 0, -1, -1)]
    w = status_world(ACTIVE, 0.0)
    step(engine, w, kp(FROZEN), t=3)
    assert w.P.status[0] == ACTIVE


def test_stalling_chance_is_eta0_plus_eta1_times_squared_health_gap(engine, kp):
    n = 100
    w = status_world(ACTIVE, 0.0, n)
    w.P.health[:n] = np.linspace(0.0, 1.0, n)
    step(engine, w, kp(health_adjustment=0.0, stall_base=0.05, stall_slope=0.6), t=29)
    expected = [
        uniform(SEED, S_STALL, i, 29) < 0.05 + 0.6 * (1.0 - w.P.health[i]) * (1.0 - w.P.health[i]) for i in range(n)
    ]
    assert (w.P.status[:n] == STALLED).tolist() == expected
    assert 0 < sum(expected) < n


def test_stalled_partnership_reactivates_above_half_health_before_any_ending_draw(engine, kp):
    w = status_world(STALLED, 0.6)
    step(engine, w, kp(FROZEN, HARD, stalled_end=1.0), t=8)
    assert w.P.status[0] == ACTIVE
    assert w.logged() == [(8, EV_REACTIVATED, 0, -1, -1)]


def test_stalled_at_exactly_half_health_is_not_reactivated(engine, kp):
    w = status_world(STALLED, 0.5)
    step(engine, w, kp(FROZEN, HARD, stalled_end=0.0))
    assert w.P.status[0] == STALLED
    step(engine, w, kp(FROZEN, HARD, stalled_end=1.0), t=41)
    assert w.P.status[0] == ENDED
    assert w.P.end[0] == 41


def test_stalled_partnership_ends_with_probability_one_and_records_month_and_cause(engine, kp):
    w = status_world(STALLED, 0.3)
    init(engine, w, kp())
    w.P.health[0] = 0.3
    step(engine, w, kp(FROZEN, HARD, stalled_end=1.0), t=44)
    assert (w.P.status[0], w.P.end[0]) == (ENDED, 44)
    assert w.P.cause[0] >= 0
    assert w.logged() == [(44, EV_ENDED, 0, -1, int(w.P.cause[0]))]


@pytest.mark.parametrize("fn", [above, above.py_func])
def test_above_is_a_logistic_in_health_and_a_hard_step_at_width_zero(fn):
    assert fn(0.5, 0.5, 0.1) == 0.5
    assert fn(0.6, 0.5, 0.1) == pytest.approx(1 / (1 + np.exp(-1.0)), abs=EXACT)
    assert fn(0.6, 0.5, 0.1) + fn(0.4, 0.5, 0.1) == pytest.approx(1.0, abs=EXACT)  # symmetric about the midpoint
    assert (fn(0.51, 0.5, 0.0), fn(0.5, 0.5, 0.0), fn(0.2, 0.5, 0.0)) == (1.0, 0.0, 0.0)
    assert fn(1.0, 0.0, 1e-300) == 1.0 and fn(0.0, 1.0, 1e-300) < 1e-200  # no overflow at a vanishing width


def test_stalled_partnerships_reactivate_and_end_with_graded_chances_on_keyed_draws(engine, kp):
    n = 400
    w = status_world(STALLED, 0.0, n)
    w.P.health[:n] = np.linspace(0.0, 1.0, n)
    p = kp(FROZEN, reactivation_health=0.5, health_slope=0.1, reactivation_rate=0.5, stalled_end=0.2)
    step(engine, w, p, t=31)
    s = 1 / (1 + np.exp(-(w.P.health[:n] - 0.5) / 0.1))
    back = np.array([uniform(SEED, S_REACTIVATE, i, 31) < 0.5 * s[i] for i in range(n)])
    end = ~back & np.array([uniform(SEED, S_END, i, 31) < 0.2 * (1 - s[i]) for i in range(n)])
    assert ((w.P.status[:n] == ACTIVE) == back).all() and ((w.P.status[:n] == ENDED) == end).all()
    low, high = slice(0, n // 2), slice(n // 2, n)
    assert back[high].sum() > 3 * back[low].sum() > 0 and end[low].sum() > 3 * end[high].sum() > 0


def test_an_ecosystem_cushions_stalling_and_a_lost_contact(engine, kp):
    # pairs 0 and 1 share school 0: one ecosystem of three organisations, e = 1 - 2/3
    n = 300
    rows = [{"school": 0, "company": 1 + (i % 2), "parent": 0, "health": 0.4, "contacts": 1}
            for i in range(n)]
    w = make_tiny(orgs=[school("AB"), company("A"), company("B")], partnerships=rows)
    p = kp(health_adjustment=0.0, stall_base=0.1, stall_slope=0.5, ecosystem_backing=0.6, contact_tenure=1.0)
    step(engine, w, p, t=12)
    b = 1 - 0.6 * (1 - 2 / 3)
    assert w.P.contact_loss[:n] == pytest.approx(np.full(n, b * 0.3), abs=EXACT)
    stalls = [uniform(SEED, S_STALL, i, 12) < b * (0.1 + 0.5 * (1 - (0.4 - b * 0.3)) ** 2) for i in range(n)]
    assert (w.P.status[:n] == STALLED).tolist() == stalls
    isolated = pair_world(contacts=1, health=0.4)
    step(engine, isolated, p, t=12)
    assert isolated.P.contact_loss[0] == pytest.approx(0.3, abs=EXACT)  # an isolated pair gets no backing


def test_partnership_stalling_this_month_does_not_also_end(engine, kp):
    w = status_world(ACTIVE, 0.2)
    step(engine, w, kp(HARD, health_adjustment=0.0, stall_base=1.0, stalled_end=1.0))
    assert w.P.status[0] == STALLED


def test_ended_partnerships_are_left_alone(engine, kp):
    w = pair_world(status=ENDED, end=12, contacts=1)
    step(engine, w, kp(contact_tenure=1.0, stall_base=1.0, stalled_end=1.0))
    assert (w.P.mission[0], w.P.value[0], w.P.health[0], w.P.end[0]) == (0.8, 0.5, 0.6, 12)
    assert w.logged() == []


def ended_cause(engine, kp, change, contacts=2):
    """Start a stalled pair with H = H*, apply `change` to the world, end it this month (zeta = 1)."""
    w = pair_world(status=STALLED, contacts=contacts)
    init(engine, w, kp())
    w.P.contacts[0] = contacts
    change(w)
    w.P.health[0] = 0.3
    step(engine, w, kp(FROZEN, HARD, stalled_end=1.0, contact_tenure=1.0))
    assert w.P.status[0] == ENDED
    return int(w.P.cause[0])


def test_cause_is_carrier_when_the_bridge_builder_left_before_the_team_owned_the_work(engine, kp):
    def depart(w):
        w.B.status[0] = BB_DEPARTED  # carrier term 0.25 -> 0.025

    assert ended_cause(engine, kp, depart) == CAUSE_CARRIER


def test_cause_is_support_when_floor_support_collapsed(engine, kp):
    def collapse(w):
        w.O.floor[1] = 0.05  # support term 0.135 -> 0.015

    assert ended_cause(engine, kp, collapse) == CAUSE_SUPPORT


def test_cause_is_support_when_support_collapses_long_after_the_bridge_builder_left(engine, kp):
    # the carrier fell most since the start (0.25 -> 0.025), but years ago; the floor collapsed in the last months
    w = pair_world(status=STALLED)
    init(engine, w, kp())
    w.P.contacts[0] = 2  # no contact shocks
    w.B.status[0] = BB_DEPARTED
    alive = kp(FROZEN, HARD, stalled_end=0.0, reactivation_health=1.0, cause_window=12.0)
    for t in range(48):
        step(engine, w, alive, t=t)
    for t, floor in zip(range(48, 51), (0.3, 0.15, 0.05), strict=True):
        w.O.floor[1] = floor
        step(engine, w, alive, t=t)
    w.P.health[0] = 0.3
    step(engine, w, kp(FROZEN, HARD, stalled_end=1.0, reactivation_health=1.0), t=51)
    assert (w.P.status[0], w.P.cause[0]) == (ENDED, CAUSE_SUPPORT)


def test_recent_terms_follow_the_health_target_terms_over_the_cause_window(engine, kp):
    w = pair_world()
    init(engine, w, kp())
    before = w.P.recent_terms[0].copy()
    w.B.status[0] = BB_DEPARTED
    step(engine, w, kp(FROZEN, cause_window=4.0, consolidation_rate=0.0))
    carrier_now = 0.25 * 0.1
    assert w.P.recent_terms[0, 1] == pytest.approx(before[1] + (carrier_now - before[1]) / 4, abs=EXACT)
    assert w.P.recent_terms[0, 0] == pytest.approx(before[0], abs=EXACT)  # support unchanged


def test_cause_is_coordination_when_the_penalty_grew_most(engine, kp):
    def crowd(w):
        w.P.penalty[0] = 0.2

    assert ended_cause(engine, kp, crowd) == CAUSE_COORDINATION


def test_cause_is_contact_when_a_fresh_contact_shock_outweighs_every_term(engine, kp):
    assert ended_cause(engine, kp, lambda w: None, contacts=1) == CAUSE_CONTACT


@pytest.mark.parametrize("fn", [cause_of_ending, cause_of_ending.py_func])
def test_cause_of_ending_picks_largest_loss_and_ties_go_to_the_earlier_target_term(fn):
    start = np.array([0.2, 0.2, 0.1, 0.1, 0.0])
    assert fn(start, np.array([0.1, 0.1, 0.1, 0.1, 0.0]), 0.0) == CAUSE_SUPPORT  # support and carrier tie
    assert fn(start, np.array([0.2, 0.2, 0.0, 0.1, 0.0]), 0.0) == CAUSE_MISSION
    assert fn(start, np.array([0.2, 0.2, 0.1, 0.0, 0.0]), 0.0) == CAUSE_VALUE
    assert fn(start, np.array([0.2, 0.2, 0.1, 0.1, -0.3]), 0.0) == CAUSE_COORDINATION
    assert fn(start, np.array([0.1, 0.2, 0.1, 0.1, 0.0]), 0.1) == CAUSE_SUPPORT  # contact ties with a target term
    assert fn(start, np.array([0.1, 0.2, 0.1, 0.1, 0.0]), 0.11) == CAUSE_CONTACT


def test_new_partnerships_start_at_m0_v0_and_their_target(engine, kp):
    w = pair_world(mission=0.1, value=0.9, health=0.0, contact_loss=0.7, penalty=0.05)
    init(engine, w, kp(initial_mission=0.8, initial_value=0.5))
    consult = 0.10 if w.P.consultation[0] else 0.0
    terms = [0.30 * 0.45, 0.25 * 1.0, 0.15 * 0.8, 0.20 * 0.5, -0.05]
    assert (w.P.mission[0], w.P.value[0], w.P.contact_loss[0]) == (0.8, 0.5, 0.0)
    assert w.P.recent_terms[0] == pytest.approx(terms, abs=EXACT)
    assert w.P.health[0] == pytest.approx(sum(terms) + consult, abs=EXACT)
    assert w.P.start_target[0] == w.P.health[0]


def test_handover_pace_is_lognormal_with_mean_one_and_the_scenario_spread(engine, kp):
    n = 4000
    w = make_tiny(orgs=[school(), company()], partnerships=[{"school": 0, "company": 1} for _ in range(n)])
    init(engine, w, kp(handover_spread=0.5))
    pace = w.P.pace[:n]
    assert pace.tolist() == [lognormal(SEED, S_PACE, i, 0, 0.5) for i in range(n)]  # keyed by the row
    assert pace.mean() == pytest.approx(1.0, abs=0.03) and pace.std() / pace.mean() == pytest.approx(0.5, abs=0.04)
    assert np.log(pace).mean() == pytest.approx(-0.5 * np.log(1.25), abs=0.02)  # median below the mean
    init(engine, w, kp(handover_spread=0.0))
    assert (w.P.pace[:n] == 1.0).all()


@pytest.mark.parametrize("min_contacts", [1, 2, 3])
def test_contacts_and_consultation_are_drawn_by_the_scenario_shares(engine, kp, min_contacts):
    n = 300
    w = make_tiny(orgs=[school(), company()], partnerships=[{"school": 0, "company": 1} for _ in range(n)])
    init(
        engine, w, kp(contacts_one_share=0.6, contacts_two_share=0.3, consultation_share=0.3, min_contacts=min_contacts)
    )
    for i in range(n):
        u = uniform(SEED, S_CONTACTS, i, 0)
        drawn = 1 if u < 0.6 else (2 if u < 0.9 else 3)
        assert w.P.contacts[i] == max(drawn, min_contacts)
        assert w.P.consultation[i] == (uniform(SEED, S_CONSULTATION, i, 0) < 0.3)
    assert set(w.P.contacts[:n].tolist()) == set(range(min_contacts, 4))


def test_init_touches_only_rows_from_lo(engine, kp):
    w = make_tiny(
        orgs=[school(), company()], partnerships=[{"school": 0, "company": 1, "mission": 0.33} for _ in range(4)]
    )
    init(engine, w, kp(), lo=2)
    assert w.P.mission[:4].tolist() == [0.33, 0.33, 0.8, 0.8]
