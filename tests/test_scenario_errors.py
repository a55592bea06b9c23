"""Every user mistake in a scenario gives one line naming the file, the field, what was expected and what was found."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecosim.cli import app
from ecosim.scenario import ScenarioError, load_scenario

BASE = """\
name = "tiny"
seed = 3
horizon = 24
sectors = ["care", "construction"]

[parameters]
merge_rate = 0.03
aftercare = false

[strategies.fast]
set = { handover_rate = 0.06 }

[[regions]]
name = "town"
schools = [ { name = "s1", sectors = ["care"], learners = 20 } ]
companies = [ { name = "c1", sector = "care", places = 5 } ]
bridge_builders = [ { name = "b1" } ]
partnerships = [ { school = "s1", company = "c1", bridge_builder = "b1" } ]
"""


def edited(old: str, new: str) -> str:
    assert old in BASE, old  # the edit must apply, or the case tests nothing
    return BASE.replace(old, new, 1)


# id -> (file text, fragments the message must contain besides the file name)
TEXT_CASES = {
    "unknown key": (
        edited("merge_rate =", "merge_rat ="),
        ["parameters.merge_rat", "unknown key", "did you mean 'merge_rate'"],
    ),
    "unknown top-level key": (edited("horizon =", "horizn ="), ["horizn", "unknown key", "did you mean 'horizon'"]),
    "unknown key in a company": (
        edited("places = 5", "places = 5, demnd = true"),
        ["regions.0.companies.0.demnd", "unknown key", "did you mean 'demand'"],
    ),
    # a misspelt required key is the typo "did you mean" exists for: it should win over "field required"
    "misspelt required key in a school": (
        edited('sectors = ["care"]', 'sectorz = ["care"]'),
        ["regions.0.schools.0.sectorz", "unknown key", "did you mean 'sectors'"],
    ),
    "unknown key in a strategy set": (
        edited("handover_rate = 0.06", "handover_rat = 0.06"),
        ["strategies.fast.set.handover_rat", "unknown key", "did you mean 'handover_rate'"],
    ),
    "value out of range": (
        edited("merge_rate = 0.03", "merge_rate = 0.03\nhandover_rate = 1.5"),
        ["parameters.handover_rate", "expected less than or equal to 1", "found 1.5"],
    ),
    "negative count": (
        edited("places = 5", "places = -1"),
        ["regions.0.companies.0.places", "expected greater than or equal to 0", "found -1"],
    ),
    "strategy value out of range": (
        edited("handover_rate = 0.06", "handover_rate = 6"),
        ["strategies.fast.set.handover_rate", "expected less than or equal to 1", "found 6"],
    ),
    "wrong type": (edited("horizon = 24", 'horizon = "long"'), ["horizon", "expected a valid integer", "found 'long'"]),
    "wrong type of switch": (
        edited("aftercare = false", 'aftercare = "maybe"'),
        ["parameters.aftercare", "expected a valid boolean", "found 'maybe'"],
    ),
    "missing required field": (
        edited(", learners = 20", ""),
        ["regions.0.schools.0.learners", "expected a value", "found nothing"],
    ),
    "missing name": (edited('name = "tiny"\n', ""), ["name", "expected a value", "found nothing"]),
    "toml syntax error": (edited("horizon = 24", "horizon = = 24"), ["expected valid TOML", "syntax error", "line 3"]),
    "extends not a string": ("extends = 3\n" + BASE, ["extends", "expected a file name", "found 3"]),
    "unknown sector": (
        edited('sector = "care"', 'sector = "cars"'),
        ["regions.0.companies.0.sector", "expected", "found 'cars'", "did you mean 'care'"],
    ),
    "partnership naming an unknown school": (
        edited('school = "s1"', 'school = "s9"'),
        ["regions.0.partnerships.0.school", "expected", "found 's9'"],
    ),
    # a region generated with more starting pairs than companies silently got fewer pairs than asked for
    "more starting pairs than companies": (
        edited(
            "[[regions]]",
            '[[regions]]\nname = "gen"\ngenerate = { schools = 2, companies = 3, partnerships = 5 }\n[[regions]]',
        ),
        ["regions.0.generate", "partnerships", "found 5"],
    ),
    "bracketed range": (
        edited(
            "[[regions]]",
            '[[regions]]\nname = "gen"\ngenerate = { schools = 2, companies = 2, '
            "partnerships = 1, learners_per_school = [160, 40] }\n[[regions]]",
        ),
        ["regions.0.generate.learners_per_school", "expected [low, high] with 0 <= low <= high", "found [160, 40]"],
    ),
}


def write_case(tmp_path: Path, case: str) -> tuple[Path, Path, list[str]]:
    """(file to load, file the message must name, fragments) for case `case`."""
    if case in TEXT_CASES:
        text, fragments = TEXT_CASES[case]
        path = tmp_path / "scenario.toml"
        path.write_text(text)
        return path, path, fragments
    if case == "missing file":
        path = tmp_path / "nowhere.toml"
        return path, path, ["expected a scenario file", "found no such file"]
    if case == "extends a missing file":
        path = tmp_path / "child.toml"
        path.write_text('extends = "nothere.toml"\nname = "child"\n')
        return path, path, ["extends", "nothere.toml", "expected", "found no such file"]
    if case == "extends cycle":
        (tmp_path / "a.toml").write_text('extends = "b.toml"\nname = "a"\n')
        (tmp_path / "b.toml").write_text('extends = "a.toml"\nname = "b"\n')
        path = tmp_path / "a.toml"
        return path, path, ["extends", "expected no cycle", "found a.toml -> b.toml -> a.toml"]
    if case == "extends itself":
        path = tmp_path / "self.toml"
        path.write_text('extends = "self.toml"\n' + BASE)
        return path, path, ["extends", "expected no cycle", "found self.toml -> self.toml"]
    raise AssertionError(case)


CASES = [*TEXT_CASES, "missing file", "extends a missing file", "extends cycle", "extends itself"]


def assert_one_line(message: str, file: Path, fragments: list[str]) -> None:
    assert "\n" not in message.strip(), message
    assert message.startswith(f"{file}: "), message  # names the file with the mistake first
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_base_file_of_the_cases_is_valid(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text(BASE)
    assert load_scenario(path).name == "tiny"


@pytest.mark.parametrize("case", CASES)
def test_load_scenario_explains_the_mistake_in_one_line(tmp_path, case):
    path, named, fragments = write_case(tmp_path, case)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert_one_line(str(caught.value), named, fragments)


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("case", CASES)
def test_cli_prints_the_same_line_and_exits_2_without_traceback(tmp_path, case, command):
    path, _, _ = write_case(tmp_path, case)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    extra = ["--months", "1", "--out", tmp_path / "out"] if command == "run" else []
    result = invoke(command, path, *extra)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output == f"error: {caught.value}\n"  # verbatim, one line
    assert not (tmp_path / "out").exists()


def test_unknown_strategy_names_the_known_ones_and_suggests_the_closest(baseline_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(baseline_path).parameters_for("aftercar")
    message = str(caught.value)
    assert message.startswith("strategy: expected one of the scenario's strategies (")
    assert "aftercare" in message and "found 'aftercar'" in message and "did you mean 'aftercare'?" in message


def test_cli_unknown_strategy_is_one_line_naming_the_file(baseline_path, tmp_path):
    result = invoke("run", baseline_path, "--strategy", "aftercar", "--months", "1", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    line = result.output.strip()
    assert "\n" not in line
    assert line.startswith(f"error: {baseline_path}: strategy: expected one of")
    assert "found 'aftercar'; did you mean 'aftercare'?" in line
    assert not (tmp_path / "out").exists()


def test_cli_unknown_engine_is_one_line(baseline_path, tmp_path):
    result = invoke("run", baseline_path, "--engine", "fortran", "--months", "1", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == "error: --engine: expected one of numba, python, found 'fortran'\n"


def test_override_out_of_range_names_the_parameter(baseline_path):
    with pytest.raises(ScenarioError, match=r"^parameters\.merge_rate: expected greater than or equal to 0, found -1"):
        load_scenario(baseline_path).parameters_for(None, {"merge_rate": -1})


def test_check_accepts_every_shipped_scenario(shipped_scenario):
    result = invoke("check", shipped_scenario)
    assert result.exit_code == 0, result.output
    scenario = load_scenario(shipped_scenario)
    assert result.output.startswith(f"ok: {shipped_scenario}: scenario {scenario.name!r}")


def test_schema_is_valid_json_describing_parameters_and_extends():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "parameters" in schema["properties"]
    assert "extends" in schema["properties"]
    assert "regions" in schema["required"]


def test_a_mistake_in_an_extended_file_names_that_file(tmp_path):
    (tmp_path / "parent.toml").write_text(BASE.replace("aftercare = false", "aftercare = false\nleave_rat = 0.2"))
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'parent.toml'} (extended by {child}): parameters.leave_rat: unknown key")
    assert "did you mean 'leave_rate'" in message


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (('sectors = ["care", "construction"]', 'sectors = ["care", "care"]'), ["sectors.1", "found 'care' again"]),
        (("seed = 3", "seed = 18446744073709551616"), ["seed", "less than or equal to 9223372036854775807"]),
    ],
)
def test_duplicate_sectors_and_oversized_seeds_are_refused(tmp_path, text, fragments):
    path = tmp_path / "scenario.toml"
    path.write_text(BASE.replace(*text))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_region_copies_may_not_collide_with_another_region_name(tmp_path):
    path = tmp_path / "scenario.toml"
    generated = "generate = { schools = 2, companies = 2, partnerships = 1 }\n"
    path.write_text(
        f'name = "x"\n[[regions]]\nname = "r"\ncopies = 2\n{generated}[[regions]]\nname = "r-2"\n{generated}'
    )
    with pytest.raises(ScenarioError, match=r"regions\.1\.name: expected unique region names, found 'r-2' again"):
        load_scenario(path)
