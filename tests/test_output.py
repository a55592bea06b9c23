"""What the command prints, read as a newcomer and a log would: no hard wrapping, one line per mistake.

Output that is piped or captured must not depend on the terminal width or the length of a
path (CI also runs this file from a clone in a deep folder with COLUMNS=40). Some tests run
the real `ecosim` executable in a subprocess, with a narrow COLUMNS and no terminal.
"""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ecosim.cli import app, stage
from ecosim.compile_cache import is_warm
from ecosim.scenario import load_scenario
from ecosim.tables import OUTCOMES

ECOSIM = Path(sys.executable).parent / "ecosim"
LONG = "a-folder-name-long-enough-that-any-path-inside-it-is-wider-than-a-narrow-terminal-line"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def ecosim(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "40"}
    return subprocess.run(
        [str(ECOSIM), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


@pytest.fixture
def deep(tmp_path, baseline_path) -> Path:
    folder = tmp_path / LONG / LONG
    folder.mkdir(parents=True)
    shutil.copy(baseline_path, folder / "baseline.toml")
    return folder


def test_check_prints_one_line_in_a_narrow_pipe_from_a_deep_folder(deep):
    done = ecosim("check", deep / "baseline.toml", cwd=deep)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith(f"ok: {deep / 'baseline.toml'}: scenario 'baseline', 1 region(s), 120 months, 12 ")


def test_a_scenario_mistake_is_one_line_in_a_narrow_pipe_from_a_deep_folder(deep):
    bad = deep / "bad.toml"
    bad.write_text((deep / "baseline.toml").read_text().replace("leave_rate = 0.25", "leave_rate = 2.5"))
    done = ecosim("check", bad, cwd=deep)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: {bad}: parameters.leave_rate: expected less than or equal to 1")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--months", "0"], "error: --months: expected a value greater than or equal to 1, found '0'"),
        (["--months", "many"], "error: --months: expected a valid integer"),
        (["--seed", "-3"], "error: --seed: expected a value greater than or equal to 0, found '-3'"),
        (["--monthz", "3"], "error: No such option: --monthz"),
    ],
)
def test_option_mistakes_are_one_error_line_like_scenario_mistakes(baseline_path, args, line):
    result = invoke("run", baseline_path, *args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith(line)
    assert result.output.rstrip().endswith("(see 'ecosim run --help')")


def test_a_missing_argument_is_one_error_line():
    result = invoke("check")
    assert result.exit_code == 2
    assert (
        result.output
        == "error: scenario: expected a value, found nothing (it is required) (see 'ecosim check --help')\n"
    )


def test_run_help_points_to_the_strategies_of_the_scenario():
    result = invoke("run", "--help")
    assert result.exit_code == 0
    assert "ecosim strategies SCENARIO" in " ".join(result.output.replace("│", " ").split())  # help is for a terminal


def test_strategies_lists_every_strategy_with_what_it_sets(baseline_path):
    result = invoke("strategies", baseline_path)
    assert result.exit_code == 0
    for name, strategy in load_scenario(baseline_path).strategies.items():
        line = next(line for line in result.output.splitlines() if f" {name} " in line)
        for key, value in strategy.set.items():
            assert f"{key} = {value}" in line


def test_new_writes_a_template_that_checks_and_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "My Region.toml").exit_code == 0
    assert invoke("check", "My Region.toml").output.startswith("ok: My Region.toml: scenario 'my-region'")
    result = invoke("run", "My Region.toml", "--months", 40, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["scenario"] == "my-region" and record["months"] == 40
    assert record["outcomes"]["alive_at_reference"] >= 1
    again = invoke("new", "My Region.toml")
    assert again.exit_code == 2 and "already there" in again.output


def test_json_and_csv_give_every_outcome_with_its_unit_and_nothing_else_on_stdout(baseline_path, tmp_path):
    as_json = invoke("run", baseline_path, "--months", 40, "--json", "--out", tmp_path / "j")
    as_csv = invoke("run", baseline_path, "--months", 40, "--csv", "--out", tmp_path / "c")
    assert as_json.exit_code == 0 and as_csv.exit_code == 0
    record = json.loads(as_json.stdout)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["outcome"] for r in rows] == list(OUTCOMES) == list(record["outcomes"])
    for row in rows:
        value = record["outcomes"][row["outcome"]]
        assert (float(row["measured"]) if row["measured"] else None) == (None if value is None else float(value))
        assert row["unit"] == record["units"][row["outcome"]] and row["description"]
    assert record["outcomes"]["share_not_ended_24"] is None  # 40 months do not reach 36 + 24
    assert f"written: {tmp_path / 'j'}" in as_json.stderr


def test_stages_print_a_start_and_an_end_line_when_not_in_a_terminal():
    buffer = io.StringIO()
    out = Console(file=buffer, width=40, soft_wrap=True)  # as ecosim.cli.console() makes it for a log
    with stage(out, "patterns P1-P9 (paired replications)", "40 s"):
        pass
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "patterns P1-P9 (paired replications) (usually 40 s) ..."
    assert lines[1].startswith("patterns P1-P9 (paired replications): done in ")


def test_the_compile_notice_knows_a_cold_cache_from_a_warm_one(tmp_path):
    assert not is_warm(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    assert not is_warm(tmp_path / "empty")
    (tmp_path / "warm" / "sub").mkdir(parents=True)
    (tmp_path / "warm" / "sub" / "rng.key-31.py312.nbi").write_bytes(b"")
    assert is_warm(tmp_path / "warm")


@pytest.mark.parametrize("after", [0.5, 2.0, 8.0], ids=["while-importing", "while-starting", "while-stepping"])
def test_an_interrupted_run_says_so_and_writes_nothing(deep, after):
    """Ctrl-C at any moment of a run: one line, exit code 130, no results folder and no staging folder left."""
    process = subprocess.Popen(
        [str(ECOSIM), "run", "baseline.toml", "--months", "100000", "--out", "interrupted"],
        cwd=deep,
        env={**os.environ, "COLUMNS": "40"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted: nothing was written"
    assert "Traceback" not in stderr
    assert sorted(p.name for p in deep.iterdir()) == ["baseline.toml"]
