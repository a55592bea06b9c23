"""The invariant checks pass on every shipped world and strategy, and each one catches the fault it names."""

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import ecosim
from ecosim import invariants
from ecosim.cli import app
from ecosim.invariants import InvariantError
from ecosim.kernels.codes import ACTIVE, ENDED

ROOT = Path(__file__).resolve().parents[1]
WORLDS = [ROOT / "scenarios" / "baseline.toml", ROOT / "scenarios" / "flanders-pilots.toml"]
STRATEGIES = [None, "aftercare", "ecosystem-brokerage", "outreach", "gradual-handover"]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("scenario", WORLDS, ids=lambda p: p.stem)
def test_every_month_of_the_shipped_worlds_keeps_every_invariant(scenario, strategy):
    model = ecosim.EcosystemModel(scenario, strategy=strategy, months=120, reporters=(), check_invariants=True)
    while model.running:
        model.step()
    assert model.world.month == 120 and model._invariants is not None


@pytest.fixture
def stepped():
    """A baseline world after 50 months (partnerships ended, learners placed, ecosystems merged), and its snapshot."""
    model = ecosim.EcosystemModel(WORLDS[0], strategy="ecosystem-brokerage", months=50, reporters=())
    while model.running:
        model.step()
    world = model.world
    status = world.partnerships.status[: world.partnerships.n]
    assert (status == ENDED).any() and (status == ACTIVE).any() and (world.learners.placement >= 0).any()
    return world, invariants.check(world, None)


def _corrupt(world, fault: str) -> None:
    O, P, L = world.organisations, world.partnerships, world.learners
    status = P.status[: P.n]
    live, ended = np.flatnonzero(status != ENDED), np.flatnonzero(status == ENDED)
    if fault == "support":
        O.board[0] = 1.5
    elif fault == "health":
        P.health[live[0]] = np.nan
    elif fault == "end":
        P.end[live[0]] = 3
    elif fault == "placed in ended":
        i = int(np.flatnonzero(L.placement[: L.n] >= 0)[0])
        P.placed[L.placement[i]] -= 1
        L.placement[i] = ended[0]
        P.placed[ended[0]] += 1
    elif fault == "placed count":
        P.placed[live[0]] += 1
    elif fault == "hosted":
        O.hosted[P.company[live[0]]] += 1
    elif fault == "ecosystems":
        roots = invariants.roots_of(P.parent[: P.n])
        other = next(j for j in live if roots[j] != roots[live[0]])
        P.parent[roots[live[0]]] = roots[other]  # a merge that no event records
    elif fault == "ended revived":
        P.status[ended[0]] = ACTIVE
        P.end[ended[0]] = -1
        P.cause[ended[0]] = -1


FAULTS = {
    "support": "organisation board support is a number in [0, 1]",
    "health": "partnership health is a number in [0, 1]",
    "end": "an ended partnership has an end month and a cause, a live one neither",
    "placed in ended": "a placed learner's partnership exists and has not ended",
    "placed count": "a partnership's placed count equals the learners placed in it",
    "hosted": "a company hosts exactly the learners placed in its partnerships",
    "ecosystems": "ecosystems (union-find) equal those rebuilt from the formed and merged events",
    "ended revived": "an ended partnership stays ended",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_invariant_catches_its_fault(stepped, fault):
    world, before = stepped
    _corrupt(world, fault)
    with pytest.raises(InvariantError, match=re.escape(f"month 49: {FAULTS[fault]}: broken by")):
        invariants.check(world, before)


def test_a_placement_outside_the_schools_ecosystems_is_caught(stepped):
    world, before = stepped
    P, L = world.partnerships, world.learners
    roots = invariants.roots_of(P.parent[: P.n])
    active = np.flatnonzero(P.status[: P.n] == ACTIVE)
    for i in np.flatnonzero(L.placement[: L.n] < 0):  # an unplaced learner, and an ecosystem its school is not in
        own = set(roots[(P.school[: P.n] == L.school[i]) & (P.status[: P.n] != ENDED)])
        O = world.organisations
        foreign = [j for j in active if roots[j] not in own and O.hosted[P.company[j]] < O.places[P.company[j]]]
        if foreign:
            L.placement[i] = foreign[0]
            P.placed[foreign[0]] += 1
            world.organisations.hosted[P.company[foreign[0]]] += 1
            break
    else:
        pytest.fail("no unplaced learner with a foreign ecosystem to be misplaced into")
    with pytest.raises(InvariantError, match="a new placement is in an ecosystem holding a live partnership"):
        invariants.check(world, before)


def test_the_cli_checks_invariants_on_request(tmp_path):
    args = ["run", str(WORLDS[0]), "--months", "30", "--check-invariants", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
