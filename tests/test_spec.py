"""A run is a pure function of its RunSpec; the spec's id is known before the run and names what decides the numbers."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecosim
from ecosim import compile_cache
from ecosim.kernels.codes import ACTIVE, ENDED
from ecosim.record import outcomes
from ecosim.scenario import ScenarioError, load_scenario
from ecosim.spec import RECORDED, RESULT_SOURCES, RunConfiguration, RunSpec
from ecosim.store import read_run, save_run

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
MONTHS = 40


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE)


def variant(scenario, **changes):
    return scenario.model_copy(update=changes, deep=True)


def test_the_id_is_known_before_the_run_and_named_in_its_results(scenario, tmp_path):
    spec = RunSpec.of(scenario, "aftercare", seed=5, months=MONTHS)
    before = spec.run_id
    result = ecosim.run(spec)
    assert result.run_id == before == result.manifest["run_id"] and len(before) == 16
    assert read_run(save_run(result, tmp_path / "r"))[1]["run_id"] == before


def test_what_does_not_change_a_number_does_not_change_the_id(scenario):
    base = RunSpec.of(scenario, seed=5, months=MONTHS)
    renamed = variant(scenario, name="other", description="only the words differ")
    more = variant(scenario, strategies={**scenario.strategies, "unused": scenario.strategies["aftercare"]})
    same = [
        RunSpec.of(renamed, seed=5, months=MONTHS),
        RunSpec.of(more, seed=5, months=MONTHS),
        RunSpec.of(scenario, seed=5, months=MONTHS, engine="python"),
        RunSpec.of(scenario, seed=5, months=MONTHS, record=("indicators",)),
        RunSpec.of(scenario, seed=5, overrides={"erosion": scenario.parameters.erosion}, months=MONTHS),
    ]
    assert {spec.run_id for spec in same} == {base.run_id}
    # and the runs behind those ids do give the same numbers
    a, b = ecosim.run(base), ecosim.run(same[0])
    pd.testing.assert_frame_equal(a.indicators, b.indicators, check_exact=True)


def test_whatever_changes_a_number_changes_the_id(scenario):
    base = RunSpec.of(scenario, seed=5, months=MONTHS)
    region = scenario.regions[0].model_copy(update={"name": "elsewhere"})
    others = [
        RunSpec.of(scenario, seed=6, months=MONTHS),
        RunSpec.of(scenario, seed=5, months=MONTHS + 1),
        RunSpec.of(scenario, "aftercare", seed=5, months=MONTHS),
        RunSpec.of(scenario, seed=5, overrides={"erosion": 0.03}, months=MONTHS),
        RunSpec.of(variant(scenario, regions=[region]), seed=5, months=MONTHS),
        RunSpec.of(variant(scenario, reference_month=30), seed=5, months=MONTHS),
    ]
    ids = [spec.run_id for spec in others]
    assert base.run_id not in ids and len(set(ids)) == len(ids)


def test_editing_the_code_that_computes_results_changes_the_id(tmp_path, monkeypatch):
    copy = tmp_path / "ecosim"
    shutil.copytree(compile_cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(compile_cache, "PACKAGE", copy)
    before = compile_cache.source_hash(RESULT_SOURCES)
    kernel = copy / "kernels" / "support.py"
    kernel.write_text(kernel.read_text() + "\n# an edit\n")
    assert compile_cache.source_hash(RESULT_SOURCES) != before
    (copy / "cli.py").write_text("# the command line does not decide numbers\n")
    kernel.write_text(kernel.read_text().removesuffix("\n# an edit\n"))
    assert compile_cache.source_hash(RESULT_SOURCES) == before


def test_the_spec_records_only_what_it_asks_for_and_the_outcomes_do_not_depend_on_it(scenario):
    full = ecosim.run(RunSpec.of(scenario, seed=2, months=70))
    lean = ecosim.run(RunSpec.of(scenario, seed=2, months=70, record=("indicators",)))
    assert set(full.tables) == set(RECORDED) and set(lean.tables) == {"indicators"}
    assert pd.Series(lean.outcomes).equals(pd.Series(full.outcomes))
    with pytest.raises(KeyError, match="events: not recorded by this run"):
        _ = lean.events


def test_outcomes_are_computed_from_the_stored_files(tmp_path, scenario):
    result = ecosim.run(RunSpec.of(scenario, "gradual-handover", seed=4, months=100))
    tables, manifest = read_run(save_run(result, tmp_path / "r"))
    again = outcomes(
        tables["indicators"], tables["events"], tables["partnerships"], manifest["reference_month"], manifest["months"]
    )
    assert pd.Series(again).equals(pd.Series(result.outcomes))
    stored = tables["outcomes"].set_index("outcome")["measured"]
    assert np.allclose(stored.to_numpy(), pd.Series(result.outcomes)[stored.index].astype(float), equal_nan=True)


@pytest.mark.parametrize("strategy", [None, "aftercare", "ecosystem-brokerage"])
def test_follow_up_shares_match_the_world_read_month_by_month(scenario, strategy):
    """Independent count: step the model and read the status arrays at the reference month, 24 and 60 months later."""
    ref = scenario.outcome_month
    model = ecosim.EcosystemModel(scenario, strategy=strategy, rng=11, months=ref + 61, reporters=())
    P, later = model.world.partnerships, {}
    while model.running:
        model.step()
        if model.world.month - 1 == ref:
            cohort = np.flatnonzero(P.status[: P.n] != ENDED)
        for follow in (24, 60):
            if model.world.month - 1 == ref + follow:
                later[follow] = P.status[cohort]
    result = ecosim.run(RunSpec.of(scenario, strategy, seed=11, months=ref + 61))
    assert result.outcomes["alive_at_reference"] == len(cohort) > 0
    for follow, status in later.items():
        assert result.outcomes[f"share_not_ended_{follow}"] == np.count_nonzero(status != ENDED) / len(cohort)
        assert result.outcomes[f"share_active_{follow}"] == np.count_nonzero(status == ACTIVE) / len(cohort)
    assert 0 < result.outcomes["share_active_60"] < 1  # some partnerships ended or stalled: the count is not trivial


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "aftercar"}, "strategy: expected one of the scenario's strategies"),
        ({"seed": -1}, "seed: expected a seed between 0 and"),
        ({"record": ("indicators", "learner")}, "record: expected tables among indicators, events"),
        ({"engine": "fortran"}, "engine: expected one of numba, python, found 'fortran'"),
        ({"months": -2}, "months: expected 0 or more, found -2"),
    ],
)
def test_a_bad_spec_is_one_clear_error(scenario, kwargs, message):
    with pytest.raises(ScenarioError, match=message):
        RunSpec.of(scenario, **kwargs)


def test_a_spec_is_a_frozen_value_and_run_takes_nothing_beside_it(scenario):
    spec = RunSpec.of(scenario, seed=3, months=2)
    assert spec == RunSpec.of(scenario, seed=3, configuration=RunConfiguration(months=2))
    assert hash(spec.configuration) == hash(RunConfiguration(2, "numba", RECORDED))
    with pytest.raises(AttributeError):
        spec.seed = 4  # type: ignore[misc]
    with pytest.raises(TypeError, match="the spec holds"):
        ecosim.run(spec, seed=4)
