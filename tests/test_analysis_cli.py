"""A tiny real batch through `ecosim compare`, `survival` and `search`; user mistakes are one line."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from batches import batch
from ecosim.cli import app

TINY = """
name = "tiny-strategies"
scenarios = ["scenarios/baseline.toml"]
strategies = ["none", "aftercare", "gradual-handover"]
replications = 4
months = 64
record = ["partnerships"]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = batch(tmp_path_factory.mktemp("tiny"), TINY, "out")
    assert len(pd.read_parquet(out / "runs.parquet")) == 12
    return out


def invoke(*args: str):
    return CliRunner().invoke(app, [*map(str, args)], catch_exceptions=False)


def test_compare_prints_a_table_per_outcome_and_writes_csv_parquet_markdown(results, tmp_path):
    done = invoke("compare", results, "--outcome", "share_not_ended_24", "--outcome", "alive_24", "--out", tmp_path)
    assert done.exit_code == 0, done.output
    assert "share_not_ended_24 (share 0-1)" in done.output and "none (baseline)" in done.output
    assert "cost-effectiveness against none" in done.output and "CRN variance ratio" in done.output
    table = pd.read_parquet(tmp_path / "compare.parquet")
    assert set(table["strategy"]) == {"none", "aftercare", "gradual-handover"} and (table["pairs"] == 4).all()
    assert (table.loc[table["strategy"] == "none", "difference"] == 0).all()
    assert pd.read_csv(tmp_path / "compare.csv").shape == table.shape
    assert (tmp_path / "compare.md").read_text().startswith("| scenario | point | outcome |")
    assert (tmp_path / "cost_effectiveness.parquet").is_file()


def test_survival_and_search_run_on_the_same_results(results):
    done = invoke("survival", results, "--origin", "start")
    assert done.exit_code == 0, done.output
    assert "Kaplan-Meier" in done.output and "strategy=aftercare" in done.output and "log-rank" in done.output
    done = invoke("search", results, "--budget", "10000000", "--outcome", "share_not_ended_24")
    assert done.exit_code == 0, done.output
    assert "aftercare+gradual-handover" in done.output and "best" in done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("compare", "{missing}"), "expected an experiment's results folder (ecosim batch), found no manifest.json"),
        (("compare", "{results}", "--baseline", "nothing"), "--baseline: expected one of the strategies"),
        (("compare", "{results}", "--outcome", "nothing"), "--outcome: expected one of"),
        (("survival", "{results}", "--origin", "birth"), "--origin: expected one of start, reference"),
        (("sensitivity", "{results}"), "expected the results of a sampled experiment"),
        (("search", "{results}", "--budget", "1"), "--budget: expected a budget that covers at least the baseline"),
    ],
)
def test_user_mistakes_are_one_line(results, tmp_path, args, message):
    filled = [a.format(results=results, missing=tmp_path / "missing") for a in args]
    done = CliRunner().invoke(app, filled)
    assert done.exit_code == 2
    lines = [line for line in done.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0] and "Traceback" not in done.output
