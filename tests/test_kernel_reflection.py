"""Process 4, reflection under evaluation: in months k_e, 2k_e, ... (docs/ODD.md §7.4)."""

import pytest

from ecosim.kernels.codes import ENDED, STALLED
from ecosim.parameters import Parameters, kernel_params
from tiny import company, make_tiny, school


def world():
    """School 0 (leaders 0.4, start 0.6) in pairs with company 1 (leaders 0.7 above its start 0.5) and
    company 2 (leaders 0.2, start 0.4, its pair stalled); company 3 (below start) only in an ended pair;
    school 4 below its start and in no partnership."""
    return make_tiny(
        orgs=[
            school(leaders=0.4, leaders_start=0.6),
            company(leaders=0.7, leaders_start=0.5),
            company(leaders=0.2, leaders_start=0.4),
            company(leaders=0.1, leaders_start=0.5),
            school(leaders=0.3, leaders_start=0.6),
        ],
        partnerships=[
            {"school": 0, "company": 1, "mission": 0.6},
            {"school": 0, "company": 2, "mission": 0.3, "status": STALLED},
            {"school": 0, "company": 3, "mission": 0.5, "status": ENDED},
        ],
    )


def step(engine, w, t, interval, **params):
    p = kernel_params(Parameters(evaluation_interval=interval, **params))
    return engine.reflection(t, p, w.P.view(), w.O.view())


def test_session_restores_half_the_mission_gap_of_live_partnerships(engine):
    w = world()
    assert step(engine, w, 6, 6) == 2  # sessions: the two live partnerships
    assert w.P.mission[:3] == pytest.approx([0.6 + 0.5 * 0.4, 0.3 + 0.5 * 0.7, 0.5], abs=1e-15)


def test_leaders_below_their_start_recover_half_the_gap_once(engine):
    w = world()
    step(engine, w, 12, 6)
    # school 0 sits in two live pairs but recovers half its gap once: 0.4 + (0.6 - 0.4)/2
    assert w.O.leaders == pytest.approx([0.5, 0.7, 0.3, 0.1, 0.3], abs=1e-15)


@pytest.mark.parametrize("t", [0, 1, 5, 7, 11, 13, 17])
def test_no_session_outside_multiples_of_the_interval(engine, t):
    w = world()
    assert step(engine, w, t, 6) == 0
    assert w.P.mission[:3].tolist() == [0.6, 0.3, 0.5]
    assert w.O.leaders.tolist() == [0.4, 0.7, 0.2, 0.1, 0.3]


def test_sessions_happen_exactly_in_months_k_2k_3k(engine):
    held = [t for t in range(40) if step(engine, world(), t, 9)]
    assert held == [9, 18, 27, 36]


def test_recovery_share_is_the_reflection_recovery_parameter(engine):
    w = world()
    step(engine, w, 6, 6, reflection_recovery=0.25)
    assert w.P.mission[:3] == pytest.approx([0.6 + 0.25 * 0.4, 0.3 + 0.25 * 0.7, 0.5], abs=1e-15)
    assert w.O.leaders[0] == pytest.approx(0.4 + 0.25 * 0.2, abs=1e-15)


def test_interval_zero_switches_evaluation_off(engine):
    w = world()
    assert [step(engine, w, t, 0) for t in range(30)] == [0] * 30
    assert w.P.mission[:3].tolist() == [0.6, 0.3, 0.5]
