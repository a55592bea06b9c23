"""Checks every kernel passes on both engines, on the calls a run really makes (docs/ODD.md §3).

The samples are the kernels' own calls: small worlds (the small scenario of conftest.py
with its region built twice, a few seeds, parameters that make every process act) run
month by month through a
RecordingEngine, which keeps a deep copy of every call's arguments. On each sample, each
kernel must be

- deterministic: the same arguments give the same results and arrays, bit for bit;
- the same on the other engine, bit for bit;
- a writer of its declared outputs only (``kernel.writes``): every array it is given,
  inside a table view or the census or on its own, is unchanged unless declared.

Every declared output must change in at least one sample, so none of these passes on a
kernel that did nothing; the few that cannot change on real calls are listed in
UNCHANGING, each with the reason.
"""

import copy
import inspect
import pkgutil
import sys

import numpy as np
import pytest

import ecosim.kernels
from ecosim import EcosystemModel
from ecosim.build import build_world
from ecosim.kernels import ENGINES, KERNELS, Engine
from ecosim.scenario import Scenario
from ecosim.world import Table
from tiny import RecordingEngine

SEEDS = (1, 2, 3)
MONTHS = 30  # two graduations (12, 24) and 24 months after the funding end
VARIANTS = {
    # every process acts within the first months: early funding end, frequent contact changes and reflection,
    # merging and recruitment, a capacity the ecosystems soon outgrow
    "busy": {
        "funding_end": 6,
        "contact_tenure": 6.0,
        "stall_slope": 0.5,
        "evaluation_interval": 3,
        "merge_rate": 1.0,
        "affinity_none": 1.0,
        "recruitment_rate": 0.2,
        "max_recruitment": 0.5,
        "capacity": 3.0,
        "placement_rate": 0.5,
        "rotation_interval": 3,
    },
    # a leaving bridge-builder stays in aftercare, whose intensity decays until it departs
    "aftercare": {"funding_end": 3, "aftercare": True, "aftercare_decay": 0.3, "merge_rate": 0.3},
}
UNCHANGING = {
    "recruit": {"P.status": "a new row is written ACTIVE, and rows past the used ones are allocated ACTIVE (0)"},
}


def two_towns(scenario: Scenario) -> Scenario:
    """`scenario` with its (one) region built twice: two regions, so rows differ by region."""
    (region,) = scenario.regions
    return scenario.model_copy(update={"regions": [region.model_copy(update={"copies": 2})]})


def _sample_calls(scenario) -> dict[str, list[tuple]]:
    calls: list[tuple[str, tuple]] = []
    for overrides in VARIANTS.values():
        for seed in SEEDS:
            model = EcosystemModel(scenario, months=MONTHS, rng=seed, reporters=(), overrides=overrides)
            recording = RecordingEngine(model.engine, copies=True)
            model.engine = recording
            while model.running:
                model.step()
            calls += recording.calls
            world = model.world
            # re-enrolling and re-completing a world that has run: the build-time and recruit-time kernels
            # then meet learners and partnerships with a history (real calls meet fresh rows only)
            calls.append(("enrol_all", copy.deepcopy((seed, world.params, world.learners.view()))))
            P, O, B = world.partnerships.view(), world.organisations.view(), world.bridge_builders.view()
            calls.append(("init_partnerships", copy.deepcopy((0, seed, world.params, P, O, B))))
            building = RecordingEngine(Engine("numba"), copies=True)
            build_world(scenario, model.parameters, seed, building)
            calls += building.calls
    samples: dict[str, list[tuple]] = {kernel.__name__: [] for kernel in KERNELS}
    for name, args in calls:
        samples[name].append(args)
    return samples


@pytest.fixture(scope="module")
def samples(make_scenario_once) -> dict[str, list[tuple]]:
    """Per kernel, the arguments of its calls in the sample runs (copies taken before each call)."""
    return _sample_calls(two_towns(make_scenario_once()))


def arrays(kernel, args: tuple) -> dict[str, np.ndarray]:
    """Every array among a call's arguments, named as in `writes`: 'P.health', 'census.root', 'ended_by_cause'."""
    found = {}
    for name, value in zip(inspect.signature(kernel.py_func).parameters, args, strict=True):
        if isinstance(value, np.ndarray):
            found[name] = value
        elif isinstance(value, tuple) and hasattr(value, "_fields"):
            for field, column in zip(value._fields, value, strict=True):
                if isinstance(column, np.ndarray):
                    found[f"{name}.{field}"] = column
    return found


def bits(value) -> object:
    """A value as bytes to compare exactly: arrays by dtype, shape and content, tuples item by item."""
    if isinstance(value, tuple):
        return tuple(bits(v) for v in value)
    array = np.asarray(value)
    return array.dtype.str, array.shape, array.tobytes()


def differing(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> set[str]:
    """Names of the arrays whose bits differ between two snapshots of the same call."""
    return {name for name in a if bits(a[name]) != bits(b[name])}


def test_every_kernel_declares_the_arrays_it_writes():
    for kernel in KERNELS:
        assert isinstance(kernel.writes, tuple), kernel.__name__
        assert len(set(kernel.writes)) == len(kernel.writes), kernel.__name__


def test_samples_reach_every_kernel_many_times(samples):
    for kernel in KERNELS:
        assert len(samples[kernel.__name__]) >= len(SEEDS) * len(VARIANTS), kernel.__name__


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("kernel", KERNELS, ids=[kernel.__name__ for kernel in KERNELS])
def test_kernel_is_deterministic_engine_independent_and_writes_only_its_outputs(samples, kernel, engine_name):
    name = kernel.__name__
    engine = getattr(Engine(engine_name), name)
    other = getattr(Engine(next(e for e in ENGINES if e != engine_name)), name)
    declared = set(kernel.writes)
    changed: set[str] = set()
    for k, args in enumerate(samples[name]):
        runs = [copy.deepcopy(args) for _ in range(3)]
        results = [engine(*runs[0]), engine(*runs[1]), other(*runs[2])]
        before = arrays(kernel, args)
        after = [arrays(kernel, run) for run in runs]
        assert declared <= before.keys(), f"{name}: declares outputs it is not given: {declared - before.keys()}"
        assert bits(results[0]) == bits(results[1]), f"{name}, sample {k}: two calls returned different results"
        assert not differing(after[0], after[1]), f"{name}, sample {k}: two calls left different arrays"
        assert bits(results[0]) == bits(results[2]), f"{name}, sample {k}: the engines returned different results"
        assert not differing(after[0], after[2]), f"{name}, sample {k}: the engines left different arrays"
        written = differing(before, after[0])
        assert written <= declared, f"{name}, sample {k}: wrote undeclared {sorted(written - declared)}"
        changed |= written
    unchanging = set(UNCHANGING.get(name, {}))
    assert not changed & unchanging, f"{name}: {sorted(changed & unchanging)} changed after all: update UNCHANGING"
    never = declared - changed - unchanging
    assert not never, f"{name}: declared outputs {sorted(never)} never changed in the samples (a vacuous check)"


def test_unchanging_outputs_are_declared_ones():
    declared = {kernel.__name__: set(kernel.writes) for kernel in KERNELS}
    for name, outputs in UNCHANGING.items():
        assert set(outputs) <= declared[name], name


def test_each_kernel_module_is_reached_as_a_module_not_as_a_function_of_the_same_name():
    modules = [info.name for info in pkgutil.iter_modules(ecosim.kernels.__path__)]
    assert {"partnerships", "bridge_builders", "support", "reflection", "learners", "indicators"} <= set(modules)
    for module in modules:
        __import__(f"ecosim.kernels.{module}")
        assert getattr(ecosim.kernels, module) is sys.modules[f"ecosim.kernels.{module}"], module


def test_a_growing_table_hands_out_a_view_of_its_new_columns():
    table = Table({"x": ("f8", ()), "rows": ("i4", (2,))}, 2)
    table.n = 2
    table.x[:2] = [1.0, 2.0]
    view = table.view()
    assert table.view() is view  # made once
    assert view.x is table.x and view.used[0] == 2
    table.reserve(5)
    grown = table.view()
    assert grown is not view and grown.x is table.x and grown.x.shape == (7,)
    assert grown.x[:2].tolist() == [1.0, 2.0] and grown.rows.shape == (7, 2)
    grown.used[0] = 4  # a kernel appending rows
    assert table.n == 4
