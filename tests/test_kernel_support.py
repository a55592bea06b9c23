"""Process 3, support: erosion, leaders' pull, diffusion, demand signal, bridge-builder energy (docs/ODD.md §7.3)."""

import pytest

from ecosim.kernels.codes import BB_AFTERCARE, BB_DEPARTED, ENDED, STALLED
from tiny import company, make_tiny, school

EXACT = 1e-14
ONLY_BOOSTS = {"erosion": 0.0, "leaders_pull": 0.0, "diffusion": 0.0}


def step(engine, w, p):
    engine.support(p, w.O.view(), w.P.view(), w.B.view())


def layers(w, o):
    return [w.O.board[o], w.O.leaders[o], w.O.floor[o]]


def test_one_step_from_the_starting_support_by_hand(engine, kp):
    # B = 0.7, L = 0.6, F = 0.5, c = 0.5, eps = 0.02, phi = 0.2, a = 0.05, d = 0.03
    # dB = -0.02*0.5 + 0.05*(-0.2) = -0.020; dL = -0.02*0.4 + 0.05*(-0.1) + 0.03*0.1 = -0.010;
    # dF = -0.02*0.3 + 0.03*0.1 = -0.003
    w = make_tiny(orgs=[school(board=0.7, leaders=0.6, floor=0.5, commitment=0.5)])
    step(engine, w, kp(erosion=0.02, erosion_floor=0.2, leaders_pull=0.05, diffusion=0.03))
    assert layers(w, 0) == pytest.approx([0.68, 0.59, 0.497], abs=EXACT)


def test_one_step_of_erosion_pull_and_diffusion_by_hand(engine, kp):
    # B = 0.7, L = 0.6, F = 0.5, c = 0.4, eps = 0.02, phi = 0.2, a = 0.05, d = 0.03, no partnership
    w = make_tiny(orgs=[school(board=0.7, leaders=0.6, floor=0.5, commitment=0.4)])
    step(engine, w, kp(erosion=0.02, erosion_floor=0.2, leaders_pull=0.05, diffusion=0.03))
    board = 0.7 - 0.02 * (0.7 - 0.2) + 0.05 * (0.4 - 0.7)  # -0.010 - 0.015 -> 0.675
    leaders = 0.6 - 0.02 * (0.6 - 0.2) + 0.05 * (0.4 - 0.6) + 0.03 * (0.7 - 0.6)  # -0.008 - 0.010 + 0.003 -> 0.585
    floor = 0.5 - 0.02 * (0.5 - 0.2) + 0.03 * (0.6 - 0.5)  # -0.006 + 0.003 -> 0.497 (no pull on the floor)
    assert layers(w, 0) == pytest.approx([board, leaders, floor], abs=EXACT)
    assert layers(w, 0) == pytest.approx([0.675, 0.585, 0.497], abs=EXACT)


def test_leadership_engagement_adds_the_pull_on_the_floor(engine, kp):
    w = make_tiny(orgs=[school(board=0.7, leaders=0.6, floor=0.5, commitment=0.4)])
    step(engine, w, kp(erosion=0.02, erosion_floor=0.2, leaders_pull=0.05, diffusion=0.03, leadership_engagement=True))
    assert layers(w, 0) == pytest.approx([0.675, 0.585, 0.497 + 0.05 * (0.4 - 0.5)], abs=EXACT)


def test_all_terms_use_values_from_the_start_of_the_process(engine, kp):
    # diffusion alone: L moves towards the old B, F towards the old L (not the updated one)
    w = make_tiny(orgs=[company(board=0.9, leaders=0.5, floor=0.1)])
    step(engine, w, kp(erosion=0.0, leaders_pull=0.0, diffusion=0.5))
    assert layers(w, 0) == pytest.approx([0.9, 0.5 + 0.5 * 0.4, 0.1 + 0.5 * 0.4], abs=EXACT)


def test_erosion_alone_follows_the_closed_form(engine, kp):
    # docs/ODD.md §7.9: x(t) = phi + (x0 - phi)(1 - eps)^t (diffusion off so the layers do not mix)
    w = make_tiny(orgs=[school(board=0.9, leaders=0.6, floor=0.35)])
    p = kp(erosion=0.02, erosion_floor=0.2, leaders_pull=0.0, diffusion=0.0)
    for _ in range(60):
        step(engine, w, p)
    assert layers(w, 0) == pytest.approx([0.2 + (x - 0.2) * 0.98**60 for x in (0.9, 0.6, 0.35)], abs=1e-12)


def test_board_settles_at_the_pull_erosion_steady_state(engine, kp):
    # docs/ODD.md §7.9: (a c + eps phi)/(a + eps)
    w = make_tiny(orgs=[school(board=0.95, commitment=0.8)])
    p = kp(erosion=0.02, erosion_floor=0.2, leaders_pull=0.05, diffusion=0.03)
    for _ in range(1500):
        step(engine, w, p)
    assert w.O.board[0] == pytest.approx((0.05 * 0.8 + 0.02 * 0.2) / (0.05 + 0.02), abs=1e-9)


def demand_world(status=0, second_status=0):
    """A demanding company 1 in active pairs with schools 0 and 2 (school 0 also pairs with plain company 3)."""
    return make_tiny(
        orgs=[
            school(leaders=0.6, floor=0.5),
            company(demand=True, leaders=0.6, floor=0.5),
            school(leaders=0.4),
            company(leaders=0.6, floor=0.5),
        ],
        partnerships=[
            {"school": 0, "company": 1, "status": status},
            {"school": 2, "company": 1, "status": second_status},
            {"school": 0, "company": 3},
        ],
    )


def test_demand_signal_lifts_company_floor_and_partner_school_leaders_once(engine, kp):
    w = demand_world()
    step(engine, w, kp(demand_signal=0.02, **ONLY_BOOSTS))
    assert w.O.floor[1] == pytest.approx(0.5 + 0.02 * 0.5, abs=EXACT)  # once, though it has two active pairs
    assert w.O.leaders[1] == 0.6  # the company's own leaders are not boosted
    assert w.O.leaders[0] == pytest.approx(0.6 + 0.02 * 0.4, abs=EXACT)
    assert w.O.leaders[2] == pytest.approx(0.4 + 0.02 * 0.6, abs=EXACT)
    assert w.O.floor[0] == 0.5  # the school's floor is not boosted by demand
    assert (w.O.leaders[3], w.O.floor[3]) == (0.6, 0.5)  # company 3 does not ask


def test_school_with_two_demanding_partners_is_boosted_once(engine, kp):
    w = make_tiny(
        orgs=[school(leaders=0.6), company(demand=True), company(demand=True)],
        partnerships=[{"school": 0, "company": 1}, {"school": 0, "company": 2}],
    )
    step(engine, w, kp(demand_signal=0.1, **ONLY_BOOSTS))
    assert w.O.leaders[0] == pytest.approx(0.6 + 0.1 * 0.4, abs=EXACT)


def test_demand_needs_an_active_partnership(engine, kp):
    w = demand_world(status=STALLED, second_status=ENDED)
    step(engine, w, kp(demand_signal=0.02, **ONLY_BOOSTS))
    assert (w.O.leaders[0], w.O.leaders[2], w.O.floor[1]) == (0.6, 0.4, 0.5)


def energy_world(second_bb_status=BB_AFTERCARE, first_status=0):
    """School 0 in pairs with companies 1 and 2, served by bridge-builders of intensity 0.4 and 0.9."""
    return make_tiny(
        orgs=[school(floor=0.5), company(floor=0.6), company(floor=0.2)],
        partnerships=[
            {"school": 0, "company": 1, "bridge_builder": 0, "status": first_status},
            {"school": 0, "company": 2, "bridge_builder": 1},
        ],
        bridge_builders=[{"intensity": 0.4, "status": BB_AFTERCARE}, {"intensity": 0.9, "status": second_bb_status}],
    )


def test_bridge_builder_energy_uses_the_largest_serving_intensity_once(engine, kp):
    w = energy_world()
    step(engine, w, kp(bridge_builder_energy=0.03, **ONLY_BOOSTS))
    assert w.O.floor == pytest.approx(
        [0.5 + 0.03 * 0.9 * 0.5, 0.6 + 0.03 * 0.4 * 0.4, 0.2 + 0.03 * 0.9 * 0.8], abs=EXACT
    )


def test_departed_bridge_builders_and_ended_partnerships_give_no_energy(engine, kp):
    w = energy_world(second_bb_status=BB_DEPARTED, first_status=ENDED)
    step(engine, w, kp(bridge_builder_energy=0.03, **ONLY_BOOSTS))
    assert w.O.floor.tolist() == [0.5, 0.6, 0.2]


def test_support_stays_in_unit_interval_under_extreme_rates(engine, kp):
    w = demand_world()
    w.O.commitment[:] = 1.0
    p = kp(erosion=0.0, leaders_pull=1.0, diffusion=1.0, demand_signal=1.0, leadership_engagement=True)
    for _ in range(3):
        step(engine, w, p)
    for column in (w.O.board, w.O.leaders, w.O.floor):
        assert ((column >= 0) & (column <= 1)).all()
