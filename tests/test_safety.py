"""A scenario file cannot read the machine, break a path or exhaust memory: each mistake is one clear error."""

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecosim.cli import app
from ecosim.scenario import MAX_COUNT, MAX_EXTENDS, ScenarioError, check_fits, load_scenario

BASE = """
name = "{name}"
[[regions]]
name = "town"
schools = [{{ name = "s1", sectors = ["care"], learners = {learners} }}]
companies = [{{ name = "c1", sector = "care", places = 4 }}]
partnerships = [{{ school = "s1", company = "c1" }}]
"""


def scenario(folder: Path, file: str = "s.toml", name: str = "small", learners: int = 10, extra: str = "") -> Path:
    path = folder / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(extra + BASE.format(name=name, learners=learners))
    return path


def error_of(path: Path, *allowed: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, allowed)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_extends_may_not_leave_the_scenarios_tree(tmp_path):
    outside = tmp_path / "outside"
    secret = outside / "secret.toml"
    secret.parent.mkdir()
    secret.write_text('token = "hunter2-secret"\n')
    project = tmp_path / "project"
    absolute = scenario(project, "a.toml", extra=f'extends = "{secret}"\n')
    upward = scenario(project, "b.toml", extra='extends = "../outside/secret.toml"\n')
    missing = scenario(project, "c.toml", extra='extends = "../outside/not-there.toml"\n')
    for path in (absolute, upward):
        message = error_of(path)
        assert "expected a file inside" in message and "hunter2" not in message and "token" not in message
    # whether an outside file exists is not revealed: the same words for a missing one
    assert error_of(missing).split(": ", 1)[1].split("found")[0] == error_of(upward).split(": ", 1)[1].split("found")[0]
    assert "no such file" not in error_of(missing)


def test_a_symlink_out_of_the_tree_is_refused_and_a_named_folder_is_allowed(tmp_path):
    outside = tmp_path / "elsewhere"
    scenario(outside, "parent.toml", name="parent")
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.toml").symlink_to(outside / "parent.toml")
    child = project / "child.toml"
    child.write_text('extends = "link.toml"\nname = "child"\n')
    assert "expected a file inside" in error_of(child)
    assert load_scenario(child, (outside,)).name == "child"
    result = CliRunner().invoke(app, ["check", str(child), "--allow-extends", str(outside)])
    assert result.exit_code == 0 and "ok:" in result.output


def test_experiments_may_extend_the_projects_scenarios(tmp_path):
    scenario(tmp_path / "scenarios", "base.toml", name="base")
    child = tmp_path / "experiments" / "x.toml"
    child.parent.mkdir()
    child.write_text('extends = "../scenarios/base.toml"\nname = "x"\n')
    assert load_scenario(child).name == "x"


def test_an_error_in_an_extended_file_does_not_echo_its_value(tmp_path):
    scenario(tmp_path, "parent.toml", name="parent", extra='seed = "hunter2-secret"\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n')
    message = error_of(child)
    assert "parent.toml" in message and "seed" in message and "found a value of type str" in message
    assert "hunter2" not in message
    own = scenario(tmp_path, "own.toml", extra='seed = "visible"\n')
    assert "'visible'" in error_of(own)  # the file the user named is theirs to see


@pytest.mark.parametrize("name", ["../../x", "/abs/path", "", ".hidden", "a b", "x" * 81, "naïve"])
def test_a_scenario_name_must_be_a_safe_folder_name(tmp_path, name):
    message = error_of(scenario(tmp_path, name=name))
    assert "name: expected a name of 1-80 letters, digits" in message


def test_a_long_extends_chain_is_refused_before_python_recursion_would_fail(tmp_path):
    scenario(tmp_path, "f0.toml", name="f0")
    for k in range(1, 1000):
        (tmp_path / f"f{k}.toml").write_text(f'extends = "f{k - 1}.toml"\n')
    message = error_of(tmp_path / "f999.toml")
    assert f"expected a chain of at most {MAX_EXTENDS} files" in message


def test_huge_files_and_huge_names_fail_fast(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text('name = "' + "x" * (50 * 2**20) + '"\n')
    started = time.perf_counter()
    assert "expected a scenario file of at most 10 MB" in error_of(big)
    long_region = scenario(tmp_path, "r.toml").read_text().replace('name = "town"', 'name = "' + "t" * 2_000_000 + '"')
    (tmp_path / "r.toml").write_text(long_region)
    message = error_of(tmp_path / "r.toml")
    assert "regions.0.name: expected a text with at most 200 characters" in message and len(message) < 400
    assert time.perf_counter() - started < 10


def test_counts_beyond_the_arrays_and_worlds_beyond_memory_are_refused_before_building(tmp_path):
    assert "learners: expected" in error_of(scenario(tmp_path, learners=MAX_COUNT + 1))
    started = time.perf_counter()
    message = error_of(scenario(tmp_path, "m.toml", learners=MAX_COUNT))
    assert "expected a world that fits in memory, found one needing about" in message and "GiB" in message
    assert time.perf_counter() - started < 5  # nothing was allocated
    many = scenario(tmp_path, "c.toml").read_text().replace('name = "town"', 'name = "town"\ncopies = 1000000')
    (tmp_path / "c.toml").write_text(many)
    assert "regions.0.copies: expected" in error_of(tmp_path / "c.toml")


def test_the_memory_check_uses_the_machines_memory(tmp_path):
    small = load_scenario(scenario(tmp_path))
    check_fits(small, "s.toml", memory=2**30)  # fits in 1 GiB
    with pytest.raises(ScenarioError, match="on a machine with 0.2 GiB"):
        check_fits(small, "s.toml", memory=2**28)


def test_generated_schools_need_a_sector(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(
        'name = "g"\n[[regions]]\nname = "r"\n'
        "generate = { schools = 2, companies = 2, partnerships = 1, sectors_per_school = [0, 0] }\n"
    )
    assert "sectors_per_school: expected a low end of 1 or more" in error_of(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe name = 1", "expected a UTF-8 text file, found byte 0 is not UTF-8"),
        (b"a = " + b"[" * 5000 + b"]" * 5000, "expected valid TOML"),
        (bytes(range(256)), "expected a UTF-8 text file"),
    ],
)
def test_bytes_that_are_not_a_scenario_are_one_error(tmp_path, content, expected):
    path = tmp_path / "x.toml"
    path.write_bytes(content)
    assert expected in error_of(path)


def test_unreadable_and_folder_paths_are_one_error(tmp_path):
    assert "found a folder" in error_of(tmp_path)
    locked = scenario(tmp_path, "locked.toml")
    os.chmod(locked, 0)
    try:
        if os.access(locked, os.R_OK):  # root reads anything: nothing to test here
            return
        assert "no permission to read it" in error_of(locked)
    finally:
        os.chmod(locked, 0o644)


# --- results folders ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def run_into(out: Path, *more: str):
    return CliRunner().invoke(app, ["run", str(BASELINE), "--months", "3", "--out", str(out), *more])


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("x" * 300, "expected a folder that can be written, found File name too long"),
        ("/proc/ecosim-results/run", "expected a folder that can be written, found"),
    ],
)
def test_an_unwritable_out_is_refused_before_the_run(tmp_path, out, expected):
    target = Path(out) if out.startswith("/") else tmp_path / out
    started = time.perf_counter()
    result = run_into(target)
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output
    assert "written:" not in result.output and time.perf_counter() - started < 5


def test_a_read_only_empty_folder_is_refused_not_replaced(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        result = run_into(folder)
        assert result.exit_code == 2 and "found a read-only one" in result.output
        assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o555
    finally:
        os.chmod(folder, 0o755)


def test_a_second_writer_to_the_same_folder_is_refused_while_the_first_writes(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "shared"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom ecosim.store import reserve\n"
            f"with reserve({str(folder)!r}):\n    print('held', flush=True)\n    time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run_into(folder)
        assert result.exit_code == 2
        assert "expected no other run writing to" in result.output and "found one writing to it now" in result.output
    finally:
        holder.kill()
        holder.wait()
    # the holder was killed: its lock died with it, and the next run writes
    assert run_into(folder).exit_code == 0 and (folder / "manifest.json").is_file()


def test_a_staging_folder_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    left = tmp_path / ".run.staging-k1ll3d"
    left.mkdir()
    (left / "learners.parquet").write_bytes(b"PAR1 truncated")
    result = run_into(tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("erosion = 1.5", "parameters.erosion: expected less than or equal to 1, found 1.5"),
        ("merge_rate = 1000", "parameters.merge_rate: expected less than or equal to 100, found 1000"),
        ("bridge_builder_cost = 1e308", "parameters.bridge_builder_cost: expected less than or equal to 10000000"),
        ("funding_end = 100000", "parameters.funding_end: expected less than or equal to 1200, found 100000"),
        ("capacity = -1", "parameters.capacity: expected greater than or equal to 0"),
    ],
)
def test_every_parameter_has_a_domain_and_a_value_outside_it_is_one_error(tmp_path, setting, message):
    path = tmp_path / "p.toml"
    path.write_text(BASE.format(name="p", learners=10) + f"[parameters]\n{setting}\n")
    assert message in error_of(path)


def test_the_schema_shows_every_parameters_domain():
    from ecosim.scenario import json_schema

    parameters = json_schema()["$defs"]["Parameters"]["properties"]
    for name, spec in parameters.items():
        if spec.get("type") != "boolean":
            assert {"minimum", "exclusiveMinimum"} & spec.keys() and {"maximum", "exclusiveMaximum"} & spec.keys(), name
