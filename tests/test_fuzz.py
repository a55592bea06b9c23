"""Fuzzed scenario documents: every one either loads or gives one ScenarioError, and every one that loads runs.

Documents are a small valid scenario with random mutations (keys deleted, values of the
wrong type or out of range, huge numbers, odd strings, unknown keys, `extends` to itself,
to a sibling that extends back, or out of the tree), plus random bytes. Any exception that
is not ecosim's own error fails the test, with the document hypothesis shrank it to.
The runs are derandomised, so CI sees the same documents every time.
"""

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecosim
from ecosim.scenario import ScenarioError, load_scenario

BASE = {
    "name": "fuzz",
    "seed": 3,
    "horizon": 24,
    "sectors": ["care", "technology"],
    "parameters": {"funding_end": 2, "merge_rate": 0.1, "leave_rate": 0.5, "placement_rate": 0.3},
    "regions": [
        {
            "name": "town",
            "schools": [{"name": "s1", "sectors": ["care", "technology"], "learners": 12}],
            "companies": [
                {"name": "c1", "sector": "care", "places": 3},
                {"name": "c2", "sector": "technology", "places": 2},
            ],
            "partnerships": [{"school": "s1", "company": "c1"}],
            "bridge_builders": [{"name": "b1"}],
        },
        {"name": "gen", "generate": {"schools": 2, "companies": 3, "partnerships": 2}},
    ],
    "strategies": {"aftercare": {"set": {"aftercare": True}}},
}


def toml_value(value) -> str:
    """A value in TOML (the test's own small writer: strings, numbers, booleans, lists, tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_document(document: dict) -> str:
    return "".join(f"{json.dumps(str(key))} = {toml_value(value)}\n" for key, value in document.items())


LEAVES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from(["", "care", "s1", "c1", "../x", "/etc/passwd", "town", "aftercare", "a" * 300]),
    st.lists(st.integers(-5, 50), max_size=3),
    st.just([]),
    st.just({}),
)


def paths(value, prefix=()):
    """Every key path of a nested document (tables and lists)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def mutate(document: dict, path: tuple, action: str, leaf) -> dict:
    document = json.loads(json.dumps(document))
    if not path:
        return document
    holder = document
    for part in path[:-1]:
        holder = holder[part]
    last = path[-1]
    if action == "delete":
        del holder[last]
    elif action == "replace":
        holder[last] = leaf
    elif action == "extra" and isinstance(holder, dict):
        holder[f"unknown_{last}"] = leaf
    elif action == "grow" and isinstance(holder[last], int) and not isinstance(holder[last], bool):
        holder[last] = holder[last] * 10**9 + 1
    elif action == "tweak" and isinstance(holder[last], int | float) and not isinstance(holder[last], bool):
        holder[last] = (
            type(holder[last])(leaf) if isinstance(leaf, int | float) and math.isfinite(leaf) else holder[last]
        )
    return document


@st.composite
def documents(draw):
    """BASE with 1-4 mutations, each at a path of the document as it is by then, and an `extends` line or none."""
    document = BASE
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(paths(document))))
        action = draw(st.sampled_from(["delete", "replace", "extra", "grow", "tweak", "tweak", "tweak"]))
        leaf = draw(st.one_of(st.integers(0, 60), st.floats(0, 1))) if action == "tweak" else draw(LEAVES)
        document = mutate(document, path, action, leaf)
        if not isinstance(document, dict):
            break
    extends = draw(st.sampled_from([None, None, None, "self.toml", "loop.toml", "../outside.toml", "/etc/hostname"]))
    return document, extends


def load_or_refuse(path: Path):
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return None


def test_fuzzed_documents_load_or_give_one_error_and_those_that_load_run(tmp_path):
    """8,000 mutated documents and 2,000 random byte strings; every loaded one runs 3 months."""
    counts = {"documents": 0, "loaded": 0, "ran": 0}
    (tmp_path / "loop.toml").write_text('extends = "self.toml"\n')
    path = tmp_path / "self.toml"

    @settings(
        max_examples=8000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
    )
    @given(case=documents())
    def mutated(case):
        document, extends = case
        text = toml_document(document)
        path.write_text(text if extends is None else f'extends = "{extends}"\n' + text)
        counts["documents"] += 1
        scenario = load_or_refuse(path)
        if scenario is None:
            return
        counts["loaded"] += 1
        try:
            result = ecosim.run(
                scenario, months=3, strategy=next(iter(scenario.strategies), None), record=("indicators",)
            )
        except ScenarioError:
            return
        assert len(result.indicators) == 3
        counts["ran"] += 1

    @settings(
        max_examples=2000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
    )
    @given(content=st.binary(max_size=400))
    def raw(content):
        path.write_bytes(content)
        counts["documents"] += 1
        load_or_refuse(path)

    mutated()
    raw()
    assert counts["documents"] >= 10_000
    assert counts["ran"] >= 500, counts  # the mutations are not all fatal: many documents do run


EXPERIMENT = {
    "name": "fuzz-experiment",
    "scenarios": ["scenario.toml"],
    "strategies": ["none", "aftercare"],
    "replications": 2,
    "months": 6,
    "record": ["indicators"],
    "sweep": {"funding_end": [2, 4]},
    "sample": {"method": "lhs", "points": 3, "seed": 1, "ranges": {"erosion": [0.01, 0.03]}},
}


def test_fuzzed_experiment_documents_plan_or_give_one_error(tmp_path):
    """1,000 mutated experiment documents: each plans (expanding every run spec) or gives one ExperimentError."""
    from ecosim.experiment import ExperimentError, plan

    (tmp_path / "scenario.toml").write_text(toml_document(BASE))
    path = tmp_path / "experiment.toml"
    counts = {"documents": 0, "planned": 0}

    @settings(
        max_examples=1000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
    )
    @given(data=st.data())
    def mutated(data):
        document = EXPERIMENT
        for _ in range(data.draw(st.integers(1, 3))):
            where = data.draw(st.sampled_from(list(paths(document))))
            action = data.draw(st.sampled_from(["delete", "replace", "extra", "grow", "tweak"]))
            leaf = data.draw(st.one_of(st.integers(0, 9), st.floats(0, 1))) if action == "tweak" else data.draw(LEAVES)
            document = mutate(document, where, action, leaf)
        path.write_text(toml_document(document))
        counts["documents"] += 1
        try:
            planned = plan(path)
        except ExperimentError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        assert all(r.spec.months >= 1 for r in planned.runs)
        counts["planned"] += 1

    mutated()
    assert counts["documents"] == 1000 and counts["planned"] >= 50, counts
