"""Invariants after every month: learners are never lost or duplicated, places are never overbooked."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim import EcosystemModel
from ecosim.build import World
from ecosim.kernels.codes import BB_ACTIVE, COMPANY, ENDED, SCHOOL
from ecosim.kernels.ecosystems import find
from ecosim.kernels.learners import PROGRAMME_MONTHS
from ecosim.scenario import Scenario

SHARE_INDICATORS = (
    "funding",
    "share_in_ecosystems_of_3_plus",
    "support_board",
    "support_leaders",
    "support_floor",
    "mean_health",
    "hard_to_reach_share_placed",
)


def check_learners_and_places(world: World, learners_at_start: np.ndarray) -> None:
    O, P, L = world.organisations, world.partnerships, world.learners
    n = P.n
    placement = L.placement[: L.n]
    placed = placement >= 0
    # never lost or duplicated: the same rows, the same count per school
    assert np.array_equal(np.bincount(L.school[: L.n], minlength=O.n), learners_at_start)
    # every placement points at a live partnership
    assert (placement[placed] < n).all()
    assert (P.status[placement[placed]] != ENDED).all()
    # per partnership: `placed` is its learners; per company: `hosted` is its learners, within its places
    assert np.array_equal(np.bincount(placement[placed], minlength=n), P.placed[:n])
    assert np.array_equal(np.bincount(P.company[placement[placed]], minlength=O.n), O.hosted)
    assert (O.hosted <= O.places).all()
    assert (P.placed[:n][P.status[:n] == ENDED] == 0).all()
    # two cohorts inside the programme window; placed learners have seen a workplace
    t = world.month - 1
    assert ((L.enrolled[: L.n] > t - PROGRAMME_MONTHS) & (L.enrolled[: L.n] <= max(t, 0))).all()
    assert (L.breadth[: L.n][placed] >= 1).all()
    assert (L.months_here[: L.n] <= L.months_placed[: L.n]).all()


def check_structure_and_shares(world: World, row: dict) -> None:
    O, P, B, L = world.organisations, world.partnerships, world.bridge_builders, world.learners
    n, p = P.n, world.parameters
    for column in (
        O.board,
        O.leaders,
        O.floor,
        P.ownership[:n],
        P.mission[:n],
        P.value[:n],
        P.health[:n],
        B.intensity,
        L.motivation,
    ):
        assert ((column >= 0.0) & (column <= 1.0)).all()
    assert ((P.penalty[:n] >= 0.0) & (P.penalty[:n] <= p.max_coordination_penalty)).all()
    for name in SHARE_INDICATORS:
        assert np.isnan(row[name]) or 0.0 <= row[name] <= 1.0, name
    # every partnership pairs a school with a company of its own region; ecosystems never cross regions
    assert (O.kind[P.school[:n]] == SCHOOL).all()
    assert (O.kind[P.company[:n]] == COMPANY).all()
    assert (O.region[P.school[:n]] == P.region[:n]).all()
    assert (O.region[P.company[:n]] == P.region[:n]).all()
    parent = P.parent.copy()
    assert all(P.region[find(parent, i)] == P.region[i] for i in range(n))
    # a pair never has two live partnerships
    live = P.status[:n] != ENDED
    pairs = list(zip(P.school[:n][live].tolist(), P.company[:n][live].tolist(), strict=True))
    assert len(pairs) == len(set(pairs))
    # indicator counts agree with the tables
    assert row["partnerships_active"] + row["partnerships_stalled"] + row["partnerships_ended"] == n
    assert row["learners_placed"] == int((L.placement[: L.n] >= 0).sum())
    assert row["bridge_builders_active"] == int((B.status == BB_ACTIVE).sum())
    members: dict[int, set[int]] = {}
    for i in np.flatnonzero(live):
        members.setdefault(find(parent, i), set()).update((int(P.school[i]), int(P.company[i])))
    assert row["ecosystems"] == len(members)
    assert row["largest_ecosystem"] == max((len(m) for m in members.values()), default=0)


def run_checked(model: EcosystemModel) -> EcosystemModel:
    world = model.world
    learners_at_start = np.bincount(world.learners.school[: world.learners.n], minlength=world.organisations.n)
    assert np.array_equal(learners_at_start, world.organisations.learners)
    total = world.learners.n
    check_learners_and_places(world, learners_at_start)
    while model.running:
        model.step()
        assert world.learners.n == total
        check_learners_and_places(world, learners_at_start)
        check_structure_and_shares(world, model.latest)
    return model


@pytest.mark.parametrize("strategy", [None, "ecosystem-brokerage", "outreach"])
def test_baseline_conserves_learners_and_places_every_month(baseline_path, strategy):
    model = run_checked(EcosystemModel(baseline_path, strategy=strategy))
    assert model.world.month == 120
    indicators = model.recorder.frame()
    assert indicators["graduates"].sum() > 0  # graduation, release and rotation all happened along the way
    assert indicators["partnerships_ended"].iloc[-1] > 0
    assert model.world.learners.breadth.max() >= 2


FLOAT = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)


@st.composite
def small_scenarios(draw) -> Scenario:
    n_sectors = draw(st.integers(1, 4))
    regions = []
    for g in range(draw(st.integers(1, 3))):
        companies = draw(st.integers(1, 6))
        regions.append(
            {
                "name": f"r{g}",
                "copies": draw(st.integers(1, 2)),
                "generate": {
                    "schools": draw(st.integers(1, 4)),
                    "companies": companies,
                    "partnerships": draw(st.integers(0, companies)),
                    "bridge_builders": draw(st.none() | st.integers(0, 3)),
                    "learners_per_school": [0, 40],
                    "places_per_company": [0, 8],
                    "sectors_per_school": [1, 3],
                },
            }
        )
    parameters = draw(
        st.fixed_dictionaries(
            {
                "funding_end": st.integers(0, 20),
                "funding_taper": st.integers(0, 8),
                "leave_rate": FLOAT,
                "partner_paid_share": FLOAT,
                "aftercare": st.booleans(),
                "aftercare_decay": FLOAT,
                "handover_rate": FLOAT,
                "departure_shock": FLOAT,
                "erosion": FLOAT,
                "leaders_pull": FLOAT,
                "diffusion": FLOAT,
                "leadership_engagement": st.booleans(),
                "demand_signal": FLOAT,
                "demand_share": FLOAT,
                "evaluation_interval": st.integers(0, 6),
                "mission_drift": FLOAT,
                "value_gain": FLOAT,
                "isolation_loss": FLOAT,
                "health_adjustment": FLOAT,
                "stall_base": FLOAT,
                "stall_slope": FLOAT,
                "stalled_end": FLOAT,
                "contact_tenure": st.floats(1.0, 100.0),
                "min_contacts": st.integers(1, 3),
                "consultation_share": FLOAT,
                "merge_rate": st.floats(0.0, 5.0),
                "affinity_sector": st.floats(0.0, 2.0),
                "affinity_none": st.floats(0.0, 2.0),
                "brokerage": st.booleans(),
                "network_support": st.booleans(),
                "capacity": st.floats(0.0, 8.0),
                "coordination_penalty": FLOAT,
                "max_coordination_penalty": FLOAT,
                "recruitment_rate": FLOAT,
                "max_recruitment": FLOAT,
                "hard_to_reach_share": FLOAT,
                "placement_rate": FLOAT,
                "outreach": st.booleans(),
                "competence_gain": FLOAT,
                "rotation_interval": st.integers(1, 8),
            }
        )
    )
    return Scenario.model_validate(
        {
            "name": "property",
            "seed": draw(st.integers(0, 2**40)),
            "horizon": 30,
            "sectors": [f"sector-{k}" for k in range(n_sectors)],
            "parameters": parameters,
            "regions": regions,
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=small_scenarios())
def test_random_small_scenarios_keep_every_invariant(scenario):
    model = run_checked(EcosystemModel(scenario, months=30))
    assert len(model.recorder.rows) == 30
