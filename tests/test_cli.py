"""The `ecosim` command end to end: run, its files and manifest, its options, and the schedule."""

import json
import re

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

import ecosim
from ecosim.cli import app
from ecosim.scenario import content_hash, load_scenario
from ecosim.tables import OUTCOMES
from tiny import RecordingEngine

TABLES = ("indicators", "events", "partnerships", "organisations", "bridge_builders", "learners", "outcomes")
MONTHS = 40


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def baseline_run(baseline_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "baseline-run"
    result = invoke("run", baseline_path, "--months", MONTHS, "--out", out)
    return result, out


def test_run_exits_zero_and_prints_the_outcome_table(baseline_run, baseline_path):
    result, out = baseline_run
    assert result.exit_code == 0, result.output
    seed = load_scenario(baseline_path).seed
    title = f"baseline, strategy none, seed {seed}, {MONTHS} months: outcomes of one run"
    assert f"{title} (reference month 36 = the funding end without strategies)" in result.output
    for label in (
        "partnerships alive (active or stalled) at the reference month",
        "programme spending over the run",
        "partnerships in all (starting pairs and recruits)",
    ):
        assert label in result.output
    assert sum(label in result.output for label, _ in OUTCOMES.values()) == len(OUTCOMES)
    assert f"One run is one draw of a random process (seed {seed})" in result.output
    assert result.output.rstrip().endswith(f"written: {out}")


def test_run_writes_every_table_and_the_manifest(baseline_run):
    _, out = baseline_run
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{name}.parquet" for name in TABLES] + ["manifest.json"])


def test_manifest_records_scenario_hash_seed_engine_and_parameters(baseline_run, baseline_path):
    _, out = baseline_run
    manifest = json.loads((out / "manifest.json").read_text())
    scenario = load_scenario(baseline_path)
    assert manifest["scenario"] == "baseline"
    assert manifest["scenario_hash"] == content_hash(scenario)
    assert manifest["seed"] == scenario.seed
    assert manifest["engine"] == "numba"
    assert manifest["months"] == MONTHS
    assert manifest["strategy"] is None
    assert manifest["parameters"] == scenario.parameters.model_dump()
    assert manifest["outcomes"]["reference_month"] == scenario.parameters.funding_end


def test_manifest_is_strict_json_even_when_an_outcome_is_undefined(baseline_run):
    # 40 months do not reach 24 months after the reference month: share_not_ended_24 is undefined
    _, out = baseline_run

    def reject(constant):
        raise ValueError(f"not JSON: {constant}")

    manifest = json.loads((out / "manifest.json").read_text(), parse_constant=reject)
    assert manifest["outcomes"]["share_not_ended_24"] is None


def test_written_indicators_are_those_of_the_python_api(baseline_run, baseline_path):
    _, out = baseline_run
    api = ecosim.run(baseline_path, months=MONTHS)
    assert_frame_equal(pd.read_parquet(out / "indicators.parquet"), api.indicators, check_exact=True)
    assert len(pd.read_parquet(out / "learners.parquet")) == len(api.tables["learners"])


def test_strategy_option_runs_the_strategy(baseline_path, tmp_path):
    result = invoke("run", baseline_path, "--strategy", "aftercare", "--months", MONTHS, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert "baseline, strategy aftercare, seed" in result.output
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["strategy"] == "aftercare"
    assert manifest["parameters"] == load_scenario(baseline_path).parameters_for("aftercare").model_dump()
    assert manifest["parameters"]["aftercare"] is True
    events = pd.read_parquet(tmp_path / "r" / "events.parquet")
    assert (events["event"] == "entered_aftercare").any()


def test_seed_option_sets_the_keyed_seed(baseline_path, tmp_path):
    result = invoke("run", baseline_path, "--seed", 7, "--months", 12, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["seed"] == 7
    expected = ecosim.run(baseline_path, seed=7, months=12).indicators
    assert_frame_equal(pd.read_parquet(tmp_path / "r" / "indicators.parquet"), expected, check_exact=True)


def test_python_engine_option_gives_the_same_indicators(baseline_path, tmp_path):
    result = invoke("run", baseline_path, "--engine", "python", "--months", 12, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["engine"] == "python"
    expected = ecosim.run(baseline_path, months=12).indicators
    assert_frame_equal(pd.read_parquet(tmp_path / "r" / "indicators.parquet"), expected, check_exact=True)


def test_default_output_folder_is_named_after_scenario_seed_and_months(baseline_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", baseline_path, "--months", 2)
    assert result.exit_code == 0, result.output
    seed = load_scenario(baseline_path).seed
    assert (tmp_path / "results" / f"baseline-seed{seed}-2m" / "manifest.json").is_file()


def test_a_different_run_into_the_same_folder_is_refused_unless_overwrite(baseline_path, tmp_path):
    out = tmp_path / "r"
    assert invoke("run", baseline_path, "--months", 3, "--out", out).exit_code == 0
    before = (out / "indicators.parquet").read_bytes()
    refused = invoke("run", baseline_path, "--months", 5, "--out", out)
    assert refused.exit_code == 2
    assert refused.output.count("\n") == 1 and "--overwrite" in refused.output and "seed" in refused.output
    assert (out / "indicators.parquet").read_bytes() == before  # nothing lost
    assert invoke("run", baseline_path, "--months", 3, "--out", out).exit_code == 0  # the same run again: identical
    assert invoke("run", baseline_path, "--months", 5, "--out", out, "--overwrite").exit_code == 0
    assert len(pd.read_parquet(out / "indicators.parquet")) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no staging or retired folders left behind


def printed_rows(output: str) -> list[list[str]]:
    """The body rows of a printed table, one line each: its cells between the column rules."""
    rows = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if len(cells) > 1:
            rows.append(cells)
    return rows


def test_schedule_prints_the_kernels_a_month_calls_in_the_order_it_calls_them(baseline_path):
    result = invoke("schedule")
    assert result.exit_code == 0
    rows = printed_rows(result.output)
    assert rows and all(len(cells) == 4 and all(cells) for cells in rows)  # step, process, kernel, what: one line
    model = ecosim.EcosystemModel(baseline_path, months=2, reporters=())
    model.engine = RecordingEngine(model.engine)
    model.step()  # month 0: the schedule, then the record
    assert [kernel for _, _, kernel, _ in rows] == [name for name, _ in model.engine.calls]
    assert [process for _, process, _, _ in rows].count("census") == 3  # the three censuses are steps too


@pytest.mark.slow
def test_validate_passes_on_a_clean_checkout_and_writes_its_markdown_table(tmp_path):
    table = tmp_path / "validation.md"
    result = CliRunner().invoke(app, ["validate", "--markdown", str(table)])
    assert result.exit_code == 0, result.output
    text = table.read_text()
    passed, total = re.search(r"(\d+) of (\d+) checks pass", text).groups()
    assert passed == total and int(total) >= 38  # 5 analytic, 9 patterns, 4 credibility, 5 targets on 1 + 3 scales
    scales = ("two_year_survival [generated-regions]", "two_year_survival [national-region]",
              "two_year_survival [national]")
    credibility = ("largest strategy effect", "ownership spread at T", "ending hazard while funded",
                   "funded endings not caused by the departure")
    for name in ("constant hazard", "merging alone", *(f"P{k} " for k in range(1, 10)), *credibility,
                 "two_year_survival", *scales):
        assert name in text


def test_calibrate_with_a_missing_targets_file_is_one_clear_error(tmp_path):
    missing = tmp_path / "no-targets.toml"
    result = CliRunner().invoke(app, ["calibrate", "--targets", str(missing), "--samples", "2"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(missing) in result.output.replace("\n", "")


def test_run_to_an_out_path_under_a_file_fails_before_running_with_one_line(baseline_path, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    for out in (blocker, blocker / "run"):
        result = invoke("run", baseline_path, "--months", 2, "--out", out)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "--out" in result.output
    assert blocker.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_run_stopping_before_the_reference_month_reports_n_a_not_zero(baseline_path, tmp_path):
    result = invoke("run", baseline_path, "--months", 20, "--out", tmp_path / "short")
    assert result.exit_code == 0, result.output
    labels = ("partnerships alive (active or stalled) at the reference", "learner-months placed after the reference")
    for label in labels:
        line = next(line for line in result.output.splitlines() if label in line)
        assert "n/a" in line
    manifest = json.loads((tmp_path / "short" / "manifest.json").read_text())
    assert manifest["outcomes"]["alive_at_reference"] is None


def test_seeds_beyond_int64_are_refused_before_any_work(baseline_path):
    result = invoke("run", baseline_path, "--seed", 2**64)
    assert result.exit_code == 2 and "Traceback" not in result.output
