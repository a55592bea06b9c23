"""The Mesa peer of the benchmark (benchmarks/mesa_peer) against ecosim on the baseline scenario.

The peer is an independent, idiomatic-Mesa implementation of docs/ODD.md with its own random
numbers, so it cannot match ecosim run by run; what must agree are the outcome means over
replications (within sampling error), and the world it builds from a scenario (agent counts).
The quick test runs a few dozen seeds a side; the slow one enough for a sharper check.
"""

import math
import sys
from pathlib import Path

import mesa
import numpy as np
import pytest

from ecosim import load_scenario, run
from ecosim.build import build_world

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmarks/ is a folder of the repository, not an installed package

from benchmarks.mesa_peer import PeerModel, run_peer  # noqa: E402
from benchmarks.mesa_peer.agents import BridgeBuilder, Company, Learner, Partnership, School  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"
OUTCOMES = ("share_not_ended_24", "share_active_24", "learner_months_after_reference")
ACTIVE_MONTHS = (12, 36, 60)
SLOW_OUTCOMES = (
    *OUTCOMES,
    "alive_at_reference",
    "share_not_ended_60",
    "share_active_60",
    "cohort_share_placed",
    "hard_to_reach_share_of_placed_months",
    "partnerships_formed",
    "ecosystems",
)
MAX_Z = 3.0  # the difference of the means may be at most this many standard errors


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def samples(scenario, seeds, names, months=120):
    """Per implementation, per measure: the values over `seeds` (the same seed numbers on both sides)."""
    ours = {name: [] for name in (*names, *(f"partnerships_active_{m}" for m in ACTIVE_MONTHS))}
    theirs = {name: [] for name in ours}
    for seed in seeds:
        result = run(scenario, seed=seed, months=months, record=("indicators",), check_invariants=False)
        active = result.indicators["partnerships_active"].to_numpy()
        peer = run_peer(scenario, seed, months)
        for name in names:
            ours[name].append(float(result.outcomes[name]))
            theirs[name].append(float(peer[name]))
        for m in ACTIVE_MONTHS:
            ours[f"partnerships_active_{m}"].append(float(active[m]))
            theirs[f"partnerships_active_{m}"].append(float(peer["active_series"][m]))
    return ours, theirs


def agreement(ours, theirs):
    """Rows (measure, ecosim mean, its SE, peer mean, its SE, z of the difference) with Welch's standard error."""
    rows = []
    for name in ours:
        a, b = np.asarray(ours[name]), np.asarray(theirs[name])
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        se_a, se_b = a.std(ddof=1) / math.sqrt(len(a)), b.std(ddof=1) / math.sqrt(len(b))
        se = math.hypot(se_a, se_b)
        z = (a.mean() - b.mean()) / se if se > 0 else 0.0 if a.mean() == b.mean() else math.inf
        rows.append((name, a.mean(), se_a, b.mean(), se_b, z))
    return rows


def check_agreement(scenario, seeds, names):
    rows = agreement(*samples(scenario, seeds, names))
    print(f"\n{len(seeds)} seeds a side: measure, ecosim mean ± SE, peer mean ± SE, z")
    for name, ma, sa, mb, sb, z in rows:
        print(f"  {name:38s} {ma:12.4f} ± {sa:9.4f}   {mb:12.4f} ± {sb:9.4f}   z = {z:+.2f}")
    off = [f"{name}: {ma:.4g} vs {mb:.4g} (z = {z:+.2f})" for name, ma, _, mb, _, z in rows if abs(z) > MAX_Z]
    assert not off, "ecosim and the Mesa peer disagree beyond sampling error: " + "; ".join(off)


def test_peer_agrees_with_ecosim_on_the_baseline(baseline):
    check_agreement(baseline, range(1, 51), OUTCOMES)


@pytest.mark.slow
def test_peer_agrees_with_ecosim_on_the_baseline_many_seeds(baseline):
    check_agreement(baseline, range(1, 401), SLOW_OUTCOMES)


def test_peer_has_the_agents_of_the_ecosim_world(baseline):
    model = PeerModel(baseline, seed=5)
    world = build_world(baseline)
    assert isinstance(model, mesa.Model)
    kinds = {School: 0, Company: 0, BridgeBuilder: 0, Partnership: 0, Learner: 0}
    for agent in model.agents:
        assert isinstance(agent, mesa.Agent)
        kinds[type(agent)] += 1
    O = world.organisations
    assert kinds[School] == int(np.count_nonzero(O.kind[: O.n] == 0)) == 12
    assert kinds[Company] == int(np.count_nonzero(O.kind[: O.n] == 1)) == 18
    assert kinds[BridgeBuilder] == world.bridge_builders.n == 3
    assert kinds[Partnership] == world.partnerships.n == 12
    assert kinds[Learner] == model.learner_count == world.learners.n == 1200
    assert {type(a) for a in model.agents} == set(kinds)
    names, P = world.org_names, world.partnerships
    pairs = {(names[s], names[c]) for s, c in zip(P.school[: P.n], P.company[: P.n], strict=True)}
    assert {(j.school.name, j.company.name) for j in model.agents_by_type[Partnership]} == pairs
    for school in model.agents_by_type[School]:
        assert sum(x.school is school for x in model.agents_by_type[Learner]) == school.learners
    demanded = {c.name for c in model.agents_by_type[Company] if c.demand}
    assert {"baseline-region/company-03", "baseline-region/company-10", "baseline-region/company-15"} <= demanded


def test_peer_is_reproducible_from_its_seed(baseline):
    def series(seed, strategy=None):
        model = PeerModel(baseline, seed, strategy)
        for _ in range(40):
            model.step()
        return model.active_series, model.outcomes()

    same, again, other = series(3), series(3), series(4)
    assert same[0] == again[0] and same[1] == pytest.approx(again[1], nan_ok=True)
    assert same[1] != other[1]
    assert PeerModel(baseline, 3, "aftercare").p.aftercare and not PeerModel(baseline, 3).p.aftercare


def test_peer_outcomes_are_nan_until_measurable(baseline):
    result = run_peer(baseline, seed=2, months=40)
    assert len(result["active_series"]) == 40 and result["learner_count"] == 1200
    assert result["alive_at_reference"] >= 0 and result["learner_months_after_reference"] >= 0
    for name in ("share_not_ended_24", "share_active_24", "share_not_ended_60"):
        assert math.isnan(result[name])
    assert result["learner_steps_per_second"] > 0
    short = PeerModel(baseline, 2)
    short.step()
    assert math.isnan(short.outcomes()["alive_at_reference"])
    assert math.isnan(short.outcomes()["learner_months_after_reference"])
