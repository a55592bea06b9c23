"""Process 2, bridge-builders: leaving, aftercare, handover, departure shock (docs/ODD.md §7.2)."""

import numpy as np
import pytest

from ecosim.kernels.codes import (
    BB_ACTIVE,
    BB_AFTERCARE,
    BB_DEPARTED,
    ENDED,
    EV_AFTERCARE,
    EV_BB_LEFT,
    PARTNER,
    S_BB_LEAVE,
)
from ecosim.rng import uniform
from tiny import company, make_tiny, school

SEED = 11


def world(bb_status=BB_ACTIVE, intensity=1.0, payer=0, third_status=0):
    """School 0 and company 1 (pair 0, O=0.1, H=0.8) and school 0 with company 3 (pair 1, O=0.5, H=0.7),
    both served by bridge-builder 0; pair 2 (school 2, company 3) has no bridge-builder."""
    return make_tiny(
        orgs=[school(floor=0.5), company(floor=0.6), school(floor=0.4), company(floor=0.8)],
        partnerships=[
            {"school": 0, "company": 1, "bridge_builder": 0, "ownership": 0.1, "health": 0.8},
            {"school": 0, "company": 3, "bridge_builder": 0, "ownership": 0.5, "health": 0.7},
            {"school": 2, "company": 3, "ownership": 0.3, "health": 0.6, "status": third_status},
        ],
        bridge_builders=[{"status": bb_status, "intensity": intensity, "payer": payer}],
    )


def step(engine, w, p, t=40, f=0.0):
    engine.bridge_builders(t, SEED, f, p, w.B.view(), w.P.view(), w.O.view(), w.events)


def test_leave_rate_one_after_funding_departs_and_shocks_each_served_pair(engine, kp):
    w = world()
    step(engine, w, kp(leave_rate=1.0, departure_shock=0.5), t=40, f=0.0)
    s0 = 0.5 * (1 - 0.1) * 1.0  # 0.45
    s1 = 0.5 * (1 - 0.5) * 1.0  # 0.25
    assert w.B.status[0] == BB_DEPARTED
    assert w.P.health[:3] == pytest.approx([0.8 - s0, 0.7 - s1, 0.6], abs=1e-15)
    # school 0 is in both served pairs: its floor is multiplied once per pair
    assert w.O.floor == pytest.approx([0.5 * (1 - s0) * (1 - s1), 0.6 * (1 - s0), 0.4, 0.8 * (1 - s1)], abs=1e-15)
    assert w.P.ownership[:3].tolist() == [0.1, 0.5, 0.3]  # no handover in the month of departure
    assert w.logged() == [(40, EV_BB_LEFT, 0, -1, -1)]


def test_leave_rate_zero_never_departs_and_hands_over(engine, kp):
    w = world()
    step(engine, w, kp(leave_rate=0.0, handover_rate=0.02), f=0.0)
    assert w.B.status[0] == BB_ACTIVE
    assert w.P.ownership[:3] == pytest.approx([0.1 + 0.02 * 1.0 * 0.9, 0.5 + 0.02 * 1.0 * 0.5, 0.3], abs=1e-15)
    assert w.P.health[:3].tolist() == [0.8, 0.7, 0.6]
    assert w.O.floor.tolist() == [0.5, 0.6, 0.4, 0.8]
    assert w.logged() == []


def test_full_funding_keeps_programme_paid_bridge_builders_even_at_rate_one(engine, kp):
    w = world()
    for t in range(36):
        step(engine, w, kp(leave_rate=1.0), t=t, f=1.0)
    assert w.B.status[0] == BB_ACTIVE
    assert w.P.ownership[0] == pytest.approx(1 - 0.9 * 0.98**36, abs=1e-12)  # O(t) = 1 - (1 - O0)(1 - h)^t


def test_leaving_chance_is_q_times_one_minus_funding_with_keyed_draws(engine, kp):
    n = 60
    w = make_tiny(orgs=[school()], bridge_builders=[{} for _ in range(n)])
    step(engine, w, kp(leave_rate=0.8), t=37, f=0.25)
    expected = [uniform(SEED, S_BB_LEAVE, b, 37) < 0.8 * (1 - 0.25) for b in range(n)]
    assert (w.B.status == BB_DEPARTED).tolist() == expected
    assert 0 < sum(expected) < n


def test_partner_paid_bridge_builders_leave_with_ordinary_turnover_whatever_the_funding(engine, kp):
    w = world(payer=PARTNER)
    step(engine, w, kp(leave_rate=0.0, partner_turnover=1.0), f=1.0)
    assert w.B.status[0] == BB_DEPARTED
    w = world(payer=PARTNER)
    step(engine, w, kp(leave_rate=1.0, partner_turnover=0.0), f=0.0)
    assert w.B.status[0] == BB_ACTIVE


def test_under_aftercare_leaving_enters_aftercare_without_shock(engine, kp):
    w = world()
    step(engine, w, kp(leave_rate=1.0, aftercare=True, handover_rate=0.02), t=38)
    assert w.B.status[0] == BB_AFTERCARE
    assert w.B.intensity[0] == 1.0  # decay starts next month
    assert w.P.health[:3].tolist() == [0.8, 0.7, 0.6]
    assert w.O.floor.tolist() == [0.5, 0.6, 0.4, 0.8]
    assert w.P.ownership[:2] == pytest.approx([0.1 + 0.02 * 0.9, 0.5 + 0.02 * 0.5], abs=1e-15)
    assert w.logged() == [(38, EV_AFTERCARE, 0, -1, -1)]


def test_aftercare_intensity_decays_and_hands_over_at_the_decayed_intensity(engine, kp):
    w = world(bb_status=BB_AFTERCARE, intensity=1.0)
    step(engine, w, kp(aftercare=True, aftercare_decay=0.1, handover_rate=0.02, leave_rate=1.0))
    assert w.B.status[0] == BB_AFTERCARE  # aftercare is not subject to the leaving draw
    assert w.B.intensity[0] == pytest.approx(0.9, abs=1e-15)
    assert w.P.ownership[0] == pytest.approx(0.1 + 0.02 * 0.9 * 0.9, abs=1e-15)


def test_aftercare_departs_when_decayed_intensity_falls_below_a_tenth_with_shock_at_prior_intensity(engine, kp):
    w = world(bb_status=BB_AFTERCARE, intensity=0.15)
    step(engine, w, kp(aftercare=True, aftercare_decay=0.5, departure_shock=0.5), t=50)
    s0, s1 = 0.5 * 0.9 * 0.15, 0.5 * 0.5 * 0.15  # intensity before this month's decay
    assert w.B.status[0] == BB_DEPARTED
    assert w.P.health[:2] == pytest.approx([0.8 - s0, 0.7 - s1], abs=1e-15)
    assert w.O.floor[1] == pytest.approx(0.6 * (1 - s0), abs=1e-15)
    assert w.P.ownership[:2].tolist() == [0.1, 0.5]
    assert w.logged() == [(50, EV_BB_LEFT, 0, -1, -1)]


def test_aftercare_at_exactly_a_tenth_stays(engine, kp):
    w = world(bb_status=BB_AFTERCARE, intensity=0.2)
    step(engine, w, kp(aftercare=True, aftercare_decay=0.5, handover_rate=0.02))
    assert w.B.status[0] == BB_AFTERCARE
    assert w.B.intensity[0] == 0.1
    assert w.P.ownership[0] == pytest.approx(0.1 + 0.02 * 0.1 * 0.9, abs=1e-15)


@pytest.mark.parametrize(("exit_intensity", "status"), [(0.5, BB_AFTERCARE), (0.51, BB_DEPARTED)])
def test_aftercare_departure_threshold_is_the_exit_intensity_parameter(engine, kp, exit_intensity, status):
    w = world(bb_status=BB_AFTERCARE, intensity=1.0)
    step(engine, w, kp(aftercare=True, aftercare_decay=0.5, aftercare_exit_intensity=exit_intensity))
    assert w.B.status[0] == status  # intensity 0.5 after the decay: departs only below the threshold


def test_aftercare_lasts_until_the_first_month_the_intensity_is_below_a_tenth(engine, kp):
    p = kp(leave_rate=1.0, aftercare=True, aftercare_decay=0.1)
    w = world()
    step(engine, w, p, t=36)  # enters aftercare at intensity 1
    expected, i = 0, 1.0
    while i >= 0.1:  # 0.9^k: the first k with 0.9^k < 0.1 is 22 (docs/ODD.md §7.2: "departs 22 months later")
        i *= 0.9
        expected += 1
    months = 0
    while w.B.status[0] == BB_AFTERCARE:
        months += 1
        step(engine, w, p, t=36 + months)
    assert months == expected == 22


def test_ended_partnerships_take_no_shock_and_no_handover(engine, kp):
    w = world()
    w.P.status[0] = ENDED
    step(engine, w, kp(leave_rate=0.0))
    assert w.P.ownership[0] == 0.1
    w = world()
    w.P.status[0] = ENDED
    step(engine, w, kp(leave_rate=1.0))
    assert w.P.health[0] == 0.8
    assert w.O.floor[1] == 0.6  # company 1 only sits in the ended pair
    assert w.O.floor[0] == pytest.approx(0.5 * (1 - 0.25), abs=1e-15)  # school 0: shocked through pair 1 only


def test_departed_bridge_builders_hand_over_nothing(engine, kp):
    w = world(bb_status=BB_DEPARTED)
    step(engine, w, kp(leave_rate=1.0))
    assert w.P.ownership[:3].tolist() == [0.1, 0.5, 0.3]
    assert w.P.health[:3].tolist() == [0.8, 0.7, 0.6]
    assert w.logged() == []


def test_shock_larger_than_health_clamps_at_zero(engine, kp):
    w = world()
    w.P.health[0] = 0.2
    step(engine, w, kp(leave_rate=1.0, departure_shock=1.0))
    assert w.P.health[0] == 0.0
    assert np.all((w.O.floor >= 0) & (w.O.floor <= 1))
