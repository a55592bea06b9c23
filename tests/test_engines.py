"""The compiled kernels and the same kernels run as plain Python give bit-identical runs."""

import pickle
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import ecosim
from ecosim.kernels import KERNELS, Engine
from ecosim.scenario import Scenario, load_scenario
from ecosim.schedule import SCHEDULE

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
LARGE = 100_000  # estimated learners above which the Python engine is too slow for more than a month by default
BASELINE_STRATEGIES = list(load_scenario(SCENARIOS / "baseline.toml").strategies)


def estimated_learners(scenario: Scenario) -> float:
    total = 0.0
    for region in scenario.regions:
        if region.generate is not None:
            total += region.copies * region.generate.schools * sum(region.generate.learners_per_school) / 2
        else:
            total += region.copies * sum(s.learners for s in region.schools)
    return total


def assert_identical(a: ecosim.RunResult, b: ecosim.RunResult) -> None:
    assert_frame_equal(a.indicators, b.indicators, check_exact=True)
    assert_frame_equal(a.events, b.events, check_exact=True)
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        assert_frame_equal(a.tables[name], b.tables[name], check_exact=True, obj=name)
    pd.testing.assert_series_equal(pd.Series(a.outcomes), pd.Series(b.outcomes), check_exact=True)


def both(scenario, months, strategy=None):
    return [ecosim.run(scenario, strategy=strategy, months=months, engine=name) for name in ("numba", "python")]


SHIPPED = sorted(SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize(
    "shipped",
    [
        pytest.param(path, marks=[pytest.mark.slow] if estimated_learners(load_scenario(path)) > LARGE else [])
        for path in SHIPPED
    ],
    ids=[path.stem for path in SHIPPED],
)
def test_engines_agree_on_every_shipped_scenario(shipped):
    """Each shipped scenario (the national one, a minute and a half on the Python engine, in the slow suite)."""
    scenario = load_scenario(shipped)
    months = 1 if estimated_learners(scenario) > LARGE else 60
    compiled, python = both(scenario, months)
    assert python.manifest["engine"] == "python"
    assert len(compiled.indicators) == months
    assert_identical(compiled, python)


@pytest.mark.slow
def test_engines_agree_on_every_shipped_scenario_across_a_graduation(shipped_scenario):
    scenario = load_scenario(shipped_scenario)
    if estimated_learners(scenario) <= LARGE:
        compiled, python = both(scenario, 13)
        assert compiled.indicators["graduates"].iloc[12] > 0
        assert_identical(compiled, python)
        return
    # a national world: twelve compiled months, then the graduation month on both engines from the same state
    model = ecosim.EcosystemModel(scenario, months=13, reporters=())
    for _ in range(12):
        model.step()
    twin = pickle.loads(pickle.dumps(model))
    twin.engine = Engine("python")
    model.step()
    twin.step()
    assert model.latest["graduates"] > 0 and model.latest == pytest.approx(twin.latest, nan_ok=True, abs=0)
    for name in ("organisations", "bridge_builders", "partnerships", "learners", "events"):
        ours, theirs = getattr(model.world, name), getattr(twin.world, name)
        assert ours.n == theirs.n, name
        for column in ours:
            np.testing.assert_array_equal(getattr(ours, column)[: ours.n], getattr(theirs, column)[: theirs.n])


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.toml")


@pytest.mark.parametrize("strategy", BASELINE_STRATEGIES)
def test_engines_agree_under_each_baseline_strategy(baseline, strategy):
    compiled, python = both(baseline, 72, strategy)
    assert_identical(compiled, python)


def test_aftercare_comparison_exercises_entering_and_leaving_aftercare(baseline):
    compiled, python = both(baseline, 72, "aftercare")
    kinds = set(compiled.events["event"])
    assert {"entered_aftercare", "bridge_builder_left"} <= kinds
    assert compiled.indicators["bridge_builders_aftercare"].max() > 0
    assert_identical(compiled, python)


def test_brokerage_comparison_exercises_merging_and_recruitment(baseline):
    compiled, python = both(baseline, 72, "ecosystem-brokerage")
    assert compiled.indicators["merges"].sum() > 0
    assert compiled.indicators["recruits"].sum() > 0
    assert_identical(compiled, python)


def test_the_python_engine_reaches_no_compiled_code():
    """Every kernel of the Python engine, and every helper it calls, is a plain function."""
    from numba.core.dispatcher import Dispatcher

    engine = Engine("python")
    seen, todo = set(), [getattr(engine, kernel.__name__).__wrapped__ for kernel in KERNELS]
    while todo:
        function = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        for name in function.__code__.co_names:
            value = function.__globals__.get(name)
            assert not isinstance(value, Dispatcher), f"{function.__name__} calls compiled {name}"
            if isinstance(value, types.FunctionType):
                todo.append(value)
    assert len(seen) > len(KERNELS)  # helpers were reached, not only the kernels


def test_a_world_calls_each_compiled_kernel_at_its_entry_point_after_the_first_call(baseline_path):
    model = ecosim.EcosystemModel(str(baseline_path), months=3, reporters=())
    entries = model.world.kernel_entries
    assert {key[0] for key in entries} == {"enrol_all", "census", "coordination", "init_partnerships"}  # building
    model.step()
    found = dict(entries)
    assert {key[0] for key in found} == {"enrol_all"} | {step.kernel for step in SCHEDULE}
    assert all(isinstance(entry, types.BuiltinFunctionType) for entry in found.values())
    model.step()
    assert entries == found  # the later months reuse them
    plain = ecosim.EcosystemModel(str(baseline_path), months=3, reporters=())
    for _ in range(2):  # the same months through the dispatcher: the same state
        plain.step()
        for key in list(plain.world.kernel_entries):
            del plain.world.kernel_entries[key]
    assert_frame_equal(plain.recorder.frame(), model.recorder.frame(), check_exact=True)
    again = pickle.loads(pickle.dumps(model.world))
    assert again.kernel_entries == {}  # entry points are of this process: found again after unpickling


def test_the_python_engine_keeps_no_entry_points(baseline_path):
    model = ecosim.EcosystemModel(str(baseline_path), months=1, engine="python", reporters=())
    model.step()
    assert model.world.kernel_entries == {}
