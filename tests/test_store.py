"""Results folders: atomic, never emptied when they hold something else, readable back."""

import os
import stat

import pandas as pd
import pytest
from typer.testing import CliRunner

import ecosim
from ecosim.cli import app
from ecosim.store import MANIFEST, ResultsFolderError, check_target, read_run, save_run, write_run


@pytest.fixture(scope="module")
def short_run(baseline_path):
    return ecosim.run(baseline_path, months=14)


def test_a_saved_run_reads_back_identical(short_run, tmp_path):
    folder = save_run(short_run, tmp_path / "run")
    tables, manifest = read_run(folder)
    pd.testing.assert_frame_equal(tables["indicators"], short_run.indicators, check_exact=True)
    pd.testing.assert_frame_equal(tables["partnerships"], short_run.tables["partnerships"], check_exact=True)
    assert manifest["run_id"] == short_run.run_id and manifest["seed"] == short_run.manifest["seed"]


def test_an_earlier_run_is_replaced_whole_and_nothing_is_left_beside_it(short_run, tmp_path):
    folder = tmp_path / "run"
    write_run(folder, {"stale": pd.DataFrame({"x": [1]})}, {"run_id": "old"})
    save_run(short_run, folder)
    assert not (folder / "stale.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging or retired folder left


def test_a_folder_holding_other_files_is_refused_and_kept(short_run, baseline_path, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(ResultsFolderError, match="other files"):
        save_run(short_run, folder)
    assert (folder / "keep.txt").read_text() == "mine"
    assert not (folder / MANIFEST).exists()
    result = CliRunner().invoke(app, ["run", str(baseline_path), "--months", "2", "--out", str(folder)])
    assert result.exit_code == 2 and "other files" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


def test_relative_and_root_targets_resolve_or_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check_target(".") == tmp_path
    with pytest.raises(ResultsFolderError, match="root"):
        check_target("/")


def test_results_folders_follow_the_umask_not_owner_only(short_run, tmp_path):
    old = os.umask(0o022)
    try:
        folder = save_run(short_run, tmp_path / "run")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
