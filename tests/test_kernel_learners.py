"""Process 7, learners: cohorts, release, placement, outreach, learning, rotation (docs/ODD.md §7.7)."""

import numpy as np
import pytest

from ecosim.kernels.codes import (
    ENDED,
    EV_GRADUATED,
    S_ENROL_HARD,
    S_ENROL_MOTIVATION,
    S_PLACE,
    S_PLACE_CHOICE,
    S_PLACE_ORDER,
    S_ROTATE,
    STALLED,
)
from ecosim.rng import below, key, uniform
from tiny import company, make_tiny, school

SEED = 13
NO_PLACEMENT = {"placement_rate": 0.0}
CERTAIN = {"placement_rate": 1.0}  # with motivation 1 every unplaced learner tries


def step(engine, w, p, t=3):
    return engine.learners(t, SEED, p, w.L.view(), w.P.view(), w.O.view(), w.census(engine), w.events)


def place(w, i, j, **values):
    """Put learner i in partnership j, keeping placed and hosted consistent."""
    w.L.placement[i] = j
    w.P.placed[j] += 1
    w.O.hosted[w.P.company[j]] += 1
    w.L.breadth[i] = max(1, w.L.breadth[i])
    for name, value in values.items():
        getattr(w.L, name)[i] = value


def pair_world(learners, places=10, health=0.8, status=0):
    return make_tiny(
        orgs=[school(), company(places=places)],
        partnerships=[{"school": 0, "company": 1, "health": health, "status": status}],
        learners=learners,
    )


def test_in_month_12_the_cohort_enrolled_24_months_before_graduates_and_reenrols(engine, kp):
    w = pair_world([{"enrolled": -12}, {"enrolled": -12}, {"enrolled": 0}])
    place(w, 0, 0, competence=0.3, breadth=2, months_placed=9, months_here=2)
    place(w, 2, 0)
    p = kp(NO_PLACEMENT, hard_to_reach_share=0.5, motivation_min=0.3, motivation_max=0.9)
    graduates, placed, competence, breadth, placements, hard = step(engine, w, p, t=12)
    assert (graduates, placed, competence, breadth, placements, hard) == (2, 1, pytest.approx(0.3), 2.0, 0, 0)
    L = w.L
    assert L.enrolled.tolist() == [12, 12, 0]
    assert L.placement.tolist() == [-1, -1, 0]
    assert (L.competence[0], L.breadth[0], L.months_placed[0], L.months_here[0]) == (0.0, 0, 0, 0)
    assert (w.P.placed[0], w.O.hosted[1]) == (1, 1)
    for i in (0, 1):
        assert L.motivation[i] == pytest.approx(0.3 + 0.6 * uniform(SEED, S_ENROL_MOTIVATION, i, 12), abs=1e-15)
        assert L.hard[i] == (uniform(SEED, S_ENROL_HARD, i, 12) < 0.5)
    assert w.logged() == [(12, EV_GRADUATED, -1, 2, -1)]


def test_in_month_24_only_the_cohort_enrolled_at_month_0_graduates(engine, kp):
    w = pair_world([{"enrolled": 0}, {"enrolled": 12}, {"enrolled": 0}])
    assert step(engine, w, kp(NO_PLACEMENT), t=24)[0] == 2
    assert w.L.enrolled.tolist() == [24, 12, 24]


@pytest.mark.parametrize("t", [0, 1, 6, 11, 13, 18, 23])
def test_no_graduation_outside_multiples_of_twelve(engine, kp, t):
    w = pair_world([{"enrolled": -24}, {"enrolled": -12}])
    assert step(engine, w, kp(NO_PLACEMENT), t=t)[0] == 0
    assert w.L.enrolled.tolist() == [-24, -12]
    assert w.logged() == []


def test_learners_of_an_ended_partnership_are_released(engine, kp):
    w = pair_world([{}, {}], status=ENDED)
    place(w, 0, 0, breadth=1)
    place(w, 1, 0, breadth=3)
    step(engine, w, kp(NO_PLACEMENT))
    assert w.L.placement.tolist() == [-1, -1]
    assert (w.P.placed[0], w.O.hosted[1]) == (0, 0)
    assert w.L.breadth.tolist() == [1, 3]  # workplaces seen stay counted


def test_learners_of_a_stalled_partnership_stay_placed(engine, kp):
    w = pair_world([{}], status=STALLED)
    place(w, 0, 0)
    step(engine, w, kp(NO_PLACEMENT))
    assert w.L.placement.tolist() == [0]


def eligibility_world(n_learners):
    """School 0: pair 0 with company 2 (no places) and stalled pair 1 with company 3; pair 2 (school 1, company 4)
    shares pair 0's ecosystem; pair 3 (school 1, company 5) is another ecosystem school 0 is not in."""
    return make_tiny(
        orgs=[school(), school(), company(places=0), company(places=50), company(places=50), company(places=50)],
        partnerships=[
            {"school": 0, "company": 2},
            {"school": 0, "company": 3, "status": STALLED},
            {"school": 1, "company": 4, "parent": 0},
            {"school": 1, "company": 5},
        ],
        learners=[{"school": 0, "motivation": 1.0} for _ in range(n_learners)],
    )


def test_placement_only_in_active_partnerships_with_a_free_place_of_ecosystems_holding_the_school(engine, kp):
    w = eligibility_world(12)
    assert step(engine, w, kp(CERTAIN))[4] == 12
    assert w.L.placement.tolist() == [2] * 12  # the other school's pair in the same ecosystem
    assert w.P.placed[:4].tolist() == [0, 0, 12, 0]
    assert w.O.hosted.tolist() == [0, 0, 0, 0, 12, 0]
    assert w.L.breadth.tolist() == [1] * 12  # breadth is 1 at the first placement


def test_no_placement_without_a_free_place(engine, kp):
    w = eligibility_world(3)
    w.O.places[4] = 0
    assert step(engine, w, kp(CERTAIN))[4] == 0
    assert w.L.placement.tolist() == [-1, -1, -1]


def test_a_company_filled_from_one_ecosystem_has_no_place_left_in_another(engine, kp):
    """School 0 is in two ecosystems that share company 2 (3 places); company 3 has 2 places.

    Every learner tries, so exactly the 5 places are filled and no company is over-filled.
    """
    w = make_tiny(
        orgs=[school(), school(), company(places=3), company(places=2)],
        partnerships=[
            {"school": 0, "company": 2},
            {"school": 1, "company": 2, "parent": 0},
            {"school": 0, "company": 3},
            {"school": 1, "company": 3, "parent": 2},
        ],
        learners=[{"school": 0, "motivation": 1.0} for _ in range(9)],
    )
    assert step(engine, w, kp(CERTAIN))[4] == 5
    assert w.O.hosted.tolist() == [0, 0, 3, 2]
    assert (w.P.placed[0] + w.P.placed[1], w.P.placed[2] + w.P.placed[3]) == (3, 2)  # any pair of the ecosystems
    assert (w.L.placement >= 0).sum() == 5


def test_places_go_to_tries_in_keyed_order_until_the_company_is_full(engine, kp):
    learners = [{"motivation": 1.0} for _ in range(10)]
    w = pair_world(learners, places=3)
    assert step(engine, w, kp(CERTAIN), t=7)[4] == 3
    first = sorted(range(10), key=lambda i: key(SEED, S_PLACE_ORDER, i, 7))[:3]
    assert sorted(np.flatnonzero(w.L.placement == 0).tolist()) == sorted(first)
    assert (w.P.placed[0], w.O.hosted[1]) == (3, 3)


@pytest.mark.parametrize("outreach", [False, True])
def test_placement_chance_is_beta_times_motivation_times_hard_to_reach_factor(engine, kp, outreach):
    n = 400
    motivation = np.linspace(0.3, 0.9, n)
    learners = [{"motivation": m, "hard": i % 2 == 0} for i, m in enumerate(motivation)]
    w = pair_world(learners, places=1000)
    p = kp(placement_rate=0.5, hard_to_reach_factor=0.3, outreach=outreach, outreach_factor=0.7)
    result = step(engine, w, p, t=5)
    factor = 0.7 if outreach else 0.3
    expected = []
    for i in range(n):
        chance = 0.5 * motivation[i]
        if i % 2 == 0:
            chance *= factor
        expected.append(uniform(SEED, S_PLACE, i, 5) < chance)
    assert (w.L.placement[:n] == 0).tolist() == expected
    assert result[4] == sum(expected)
    assert result[5] == sum(e for i, e in enumerate(expected) if i % 2 == 0)


def test_outreach_places_more_hard_to_reach_learners(engine, kp):
    def hard_placed(outreach):
        w = pair_world([{"motivation": 0.9, "hard": True} for _ in range(300)], places=1000)
        return step(engine, w, kp(placement_rate=0.5, outreach=outreach), t=2)[5]

    assert hard_placed(True) > 1.5 * hard_placed(False)


def test_partnership_is_chosen_uniformly_among_all_eligible(engine, kp):
    # school 0 is in two ecosystems, pairs 0 and 1: each learner's pick is its keyed draw of below(2)
    n = 200
    w = make_tiny(
        orgs=[school(), company(places=500), company(places=500)],
        partnerships=[{"school": 0, "company": 1}, {"school": 0, "company": 2}],
        learners=[{"motivation": 1.0} for _ in range(n)],
    )
    step(engine, w, kp(CERTAIN), t=9)
    assert w.L.placement.tolist() == [below(SEED, S_PLACE_CHOICE, i, 9, 2) for i in range(n)]
    assert 60 < w.P.placed[0] < 140


def test_a_placed_learner_learns_from_health_and_moves_motivation_towards_it(engine, kp):
    w = pair_world([{"motivation": 0.5}], health=0.8)
    place(w, 0, 0, competence=0.1, months_placed=2, months_here=2)
    step(engine, w, kp(NO_PLACEMENT, competence_gain=0.02, motivation_adjustment=0.1))
    assert w.L.competence[0] == pytest.approx(0.1 + 0.02 * 0.8 * 0.5, abs=1e-15)
    assert w.L.motivation[0] == pytest.approx(0.5 + 0.1 * (0.8 - 0.5), abs=1e-15)
    assert (w.L.months_placed[0], w.L.months_here[0]) == (3, 3)


def rotation_world(second_company_places=5, second_status=0, second_company=2):
    """Pairs 0 (school 0, company 1) and 1 (school 0, `second_company`) in one ecosystem; learner 0 in pair 0."""
    w = make_tiny(
        orgs=[school(), company(places=5), company(places=second_company_places)],
        partnerships=[
            {"school": 0, "company": 1},
            {"school": 0, "company": second_company, "parent": 0, "status": second_status},
        ],
        learners=[{"motivation": 0.5}],
    )
    place(w, 0, 0, months_here=5, months_placed=5)
    return w


def test_after_six_months_in_one_place_a_learner_rotates_to_another_company_of_the_ecosystem(engine, kp):
    w = rotation_world()
    step(engine, w, kp(NO_PLACEMENT, rotation_interval=6))
    assert (w.L.placement[0], w.L.breadth[0], w.L.months_here[0], w.L.months_placed[0]) == (1, 2, 0, 6)
    assert w.P.placed[:2].tolist() == [0, 1]
    assert w.O.hosted.tolist() == [0, 0, 1]


@pytest.mark.parametrize("case", ["same company", "full", "stalled"])
def test_no_rotation_without_another_company_with_a_free_place_in_an_active_partnership(engine, kp, case):
    w = {
        "same company": lambda: rotation_world(second_company=1),
        "full": lambda: rotation_world(second_company_places=0),
        "stalled": lambda: rotation_world(second_status=STALLED),
    }[case]()
    step(engine, w, kp(NO_PLACEMENT, rotation_interval=6))
    assert (w.L.placement[0], w.L.breadth[0], w.L.months_here[0]) == (0, 1, 0)


def test_rotation_target_is_drawn_uniformly(engine, kp):
    targets = set()
    for t in range(1, 24):  # no graduation in these months
        w = make_tiny(
            orgs=[school(), company(places=5), company(places=5), school(), company(places=5)],
            partnerships=[
                {"school": 0, "company": 1},
                {"school": 0, "company": 2, "parent": 0},
                {"school": 3, "company": 4, "parent": 0},
            ],
            learners=[{}],
        )
        place(w, 0, 0, months_here=5)
        step(engine, w, kp(NO_PLACEMENT), t=t)
        assert w.L.placement[0] == [1, 2][below(SEED, S_ROTATE, 0, t, 2)]
        targets.add(int(w.L.placement[0]))
    assert targets == {1, 2}


def test_rotation_repeats_every_interval(engine, kp):
    w = rotation_world()
    w.L.months_here[0] = 0
    history = []
    for t in range(1, 13):
        step(engine, w, kp(NO_PLACEMENT, rotation_interval=4), t=t)
        history.append(int(w.L.placement[0]))
    assert history == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1]
    assert w.L.breadth[0] == 4
