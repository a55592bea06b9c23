"""The Mesa face: agents are views onto array rows, DataCollector and batch_run work as Mesa users expect."""

import math

import mesa
import pandas as pd
import pytest

import ecosim
from ecosim import EcosystemModel
from ecosim.agents import BridgeBuilder, Company, Learner, School
from ecosim.kernels.codes import BB_AFTERCARE
from ecosim.model import reporter
from ecosim.record import INDICATORS
from ecosim.scenario import load_scenario


@pytest.fixture
def model(baseline_path) -> EcosystemModel:
    return EcosystemModel(str(baseline_path), months=6)


def test_agents_are_the_scenarios_schools_companies_and_bridge_builders(model, baseline_path):
    region = load_scenario(baseline_path).regions[0]
    by_type = model.agents_by_type
    assert (len(by_type[School]), len(by_type[Company]), len(by_type[BridgeBuilder])) == (12, 18, 3)
    assert (len(region.schools), len(region.companies), len(region.bridge_builders)) == (12, 18, 3)
    assert len(model.agents) == 33
    assert Learner not in by_type
    assert sorted(a.name for a in by_type[School]) == sorted(f"baseline-region/{s.name}" for s in region.schools)


def test_learner_agents_exist_only_when_asked_for(model):
    model.step()
    learners = model.learner_agents([0, 5, 7])
    assert [a.row for a in learners] == [0, 5, 7]
    assert len(model.agents_by_type[Learner]) == 3
    L = model.world.learners
    assert [a.school for a in learners] == [int(L.school[i]) for i in (0, 5, 7)]
    assert [a.placement for a in learners] == [None if L.placement[i] < 0 else int(L.placement[i]) for i in (0, 5, 7)]


def test_agent_attributes_read_the_arrays(model):
    O, B = model.world.organisations, model.world.bridge_builders
    school = model.agents_by_type[School][0]
    company = model.agents_by_type[Company][0]
    builder = model.agents_by_type[BridgeBuilder][0]
    assert school.support == {
        "board": O.board[school.row],
        "leaders": O.leaders[school.row],
        "floor": O.floor[school.row],
    }
    O.board[school.row] = 0.123
    O.places[company.row] = 77
    O.hosted[company.row] = 5
    B.status[builder.row] = BB_AFTERCARE
    B.intensity[builder.row] = 0.45
    assert school.support["board"] == 0.123
    assert (company.places, company.hosted) == (77, 5)
    assert (builder.status, builder.intensity, builder.paid_by) == ("aftercare", 0.45, "programme")


def test_agents_follow_the_model_as_it_steps(model, baseline_path):
    school = next(a for a in model.agents_by_type[School] if a.name == "baseline-region/school-01")
    before = school.support
    model.step()
    after = school.support
    assert after != before
    assert after["floor"] == model.world.organisations.floor[school.row]
    assert school.learners == 60  # as listed in scenarios/baseline.toml
    # school-01 starts in one pair, with company-01 (the scenario's list); no recruit in month 0 takes it
    partnership = model.partnership_agents(school.partnerships())[0]
    assert model.world.org_names[partnership.company] == "baseline-region/company-01"
    assert partnership.status == "active" and partnership.ecosystem == partnership.row


def test_views_are_made_once_per_row_and_refuse_rows_that_do_not_exist(model):
    first = model.learner_agents([0, 1, 2])
    again = model.learner_agents([0, 1, 2])
    assert [a is b for a, b in zip(first, again, strict=True)] == [True] * 3
    assert len(model.agents_by_type[Learner]) == 3
    for bad in (-1, model.world.learners.n):
        with pytest.raises(IndexError, match="learners: expected a row in 0"):
            model.learner_agents([bad])
    assert len(model.agents_by_type[Learner]) == 3


def test_writing_through_an_agent_changes_the_arrays_and_the_next_month(baseline_path):
    plain = EcosystemModel(str(baseline_path), months=2, reporters=())
    changed = EcosystemModel(str(baseline_path), months=2, reporters=())
    school = changed.agents_by_type[School][0]
    school.support = {"floor": 0.05}
    pair = changed.partnership_agents([0])[0]
    pair.health = 0.1
    assert changed.world.organisations.floor[school.row] == 0.05 and changed.world.partnerships.health[0] == 0.1
    with pytest.raises(ValueError, match=r"support.floor: expected a value in \[0, 1\], found 1.5"):
        school.support = {"floor": 1.5}
    with pytest.raises(ValueError, match="support layer: expected one of board, leaders, floor"):
        school.support = {"flor": 0.2}
    for m in (plain, changed):
        m.step()
    assert changed.world.partnerships.health[0] < plain.world.partnerships.health[0]
    assert changed.world.organisations.floor[school.row] < plain.world.organisations.floor[school.row]


def test_a_model_pickles_mid_run_and_goes_on_exactly_as_the_original(baseline_path):
    import pickle

    for engine in ("numba", "python"):
        model = EcosystemModel(str(baseline_path), months=8, engine=engine)
        for _ in range(4):
            model.step()
        copy = pickle.loads(pickle.dumps(model))
        while model.running:
            model.step()
            copy.step()
        pd.testing.assert_frame_equal(copy.recorder.frame(), model.recorder.frame(), check_exact=True)
        assert copy.datacollector.get_model_vars_dataframe().equals(model.datacollector.get_model_vars_dataframe())


def test_a_data_collector_with_model_reporters_collects_one_row_per_step(model):
    collector = mesa.DataCollector(
        model_reporters={"active": reporter("partnerships_active"), "placed": lambda m: m.latest["learners_placed"]}
    )
    while model.running:
        model.step()
        collector.collect(model)
    frame = collector.get_model_vars_dataframe()
    indicators = model.recorder.frame()
    assert len(frame) == model.steps == 6
    assert frame["active"].tolist() == indicators["partnerships_active"].tolist()
    assert frame["placed"].tolist() == indicators["learners_placed"].tolist()
    own = model.datacollector.get_model_vars_dataframe()  # the model's own collector, every indicator
    assert len(own) == 6
    assert list(own.columns) == list(INDICATORS)


def same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def test_batch_run_covers_every_combination_and_the_same_rng_gives_the_same_numbers(baseline_path):
    path = str(baseline_path)

    def batch():
        return mesa.batch_run(
            EcosystemModel,
            parameters={"scenario": path, "months": 6, "strategy": [None, "aftercare"]},
            rng=[1, 2],
            max_steps=6,
            display_progress=False,
        )

    rows = batch()
    assert sorted((r["strategy"] or "", r["rng"]) for r in rows) == [
        ("", 1),
        ("", 2),
        ("aftercare", 1),
        ("aftercare", 2),
    ]
    assert all(r["Step"] == 6 for r in rows)
    again = batch()

    def key(r):
        return r["strategy"] or "", r["rng"]

    assert len(again) == len(rows)
    for a, b in zip(sorted(rows, key=key), sorted(again, key=key), strict=True):
        assert all(same(a[name], b[name]) for name in INDICATORS)
    for r in rows:  # the rng is the keyed seed: the same numbers as a direct run with that seed
        direct = ecosim.run(path, strategy=r["strategy"], seed=r["rng"], months=6).indicators.iloc[-1]
        assert all(same(r[name], direct[name].item()) for name in INDICATORS)
    by_seed = {r["rng"]: r for r in rows if r["strategy"] is None}
    assert any(not same(by_seed[1][name], by_seed[2][name]) for name in INDICATORS)


def test_a_mesa_run_scenario_drives_the_model_like_the_arguments_do(baseline_path):
    from ecosim.mesa_scenario import RunScenario

    spec = RunScenario(file=str(baseline_path), strategy="aftercare", months=40, rng=5)
    via_mesa = EcosystemModel(spec, reporters=())
    direct = EcosystemModel(baseline_path, strategy="aftercare", months=40, rng=5, reporters=())
    for model in (via_mesa, direct):
        while model.running:
            model.step()
    assert via_mesa.scenario is spec and spec.model is via_mesa
    assert via_mesa.seed == 5 and via_mesa.parameters.aftercare
    pd.testing.assert_frame_equal(via_mesa.recorder.frame(), direct.recorder.frame(), check_exact=True)
    with pytest.raises(ValueError, match="during model run"):
        EcosystemModel(RunScenario(file=str(baseline_path), months=3)).scenario.strategy = "evaluation"
