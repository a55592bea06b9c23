"""Experiments and batches: files, designs and seeds; identical results on every executor; kill, resume, fail."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ecosim.batch import InProcessExecutor, executor_for, run_batch
from ecosim.cli import app
from ecosim.experiment import ExperimentError, PlannedRun, design_points, load_experiment, plan
from ecosim.results import load_results
from ecosim.spec import RunSpec
from ecosim.store import ResultsFolderError

ROOT = Path(__file__).resolve().parents[1]
ECOSIM = Path(sys.executable).parent / "ecosim"
DASK = Path(sys.executable).parent / "dask"

SMALL = """
name = "small-batch"
scenarios = ["scenarios/baseline.toml"]
strategies = ["none", "aftercare"]
replications = 3
months = 40
record = ["indicators"]
[sweep]
funding_end = [12, 24]
"""


LONG = SMALL.replace('name = "small-batch"', 'name = "long-batch"').replace("replications = 3", "replications = 10")
LONG = LONG.replace("months = 40", "months = 120")  # 40 runs: long enough to be interrupted part-way


def with_baseline(folder: Path) -> Path:
    """`folder` as a project: the shipped baseline under scenarios/, experiments beside it."""
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "baseline.toml").write_text((ROOT / "scenarios" / "baseline.toml").read_text())
    return folder


@pytest.fixture
def project(tmp_path) -> Path:
    with_baseline(tmp_path)
    (tmp_path / "small.toml").write_text(SMALL)
    return tmp_path


def write(folder: Path, text: str, name: str = "e.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def batch(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ECOSIM), "batch", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)


# --- files, designs, seeds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("[sweep]\nerosoin = [0.1]\n", "sweep.erosoin: expected a parameter name, found 'erosoin'"),
        ('[sample]\nmethod = "sobol"\npoints = 10\nranges = { erosion = [0.01, 0.03] }\n', "expected a power of 2"),
        ("[sample]\npoints = 4\nranges = { erosion = [0.03, 0.01] }\n", "sample.ranges.erosion: expected [low, high]"),
        ('record = ["learner"]\n', "record.0: expected one of indicators"),
        ("first_seed = -1\n", "first_seed: expected greater than or equal to 0"),
        ('colour = "red"\n', "colour: unknown key"),
    ],
)
def test_a_mistake_in_an_experiment_file_is_one_line(project, change, message):
    base = SMALL.replace("[sweep]\nfunding_end = [12, 24]\n", "").replace('record = ["indicators"]\n', "")
    head, _, _ = base.partition("\n[")
    path = write(project, head + "\n" + change)
    with pytest.raises(ExperimentError) as caught:
        plan(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_an_unknown_strategy_names_the_scenario_and_the_choices(project):
    path = write(project, SMALL.replace('"aftercare"]', '"aftercar"]'))
    with pytest.raises(ExperimentError, match=r"baseline, strategy aftercar, point 0: strategy: expected one of"):
        plan(path)


def test_the_plan_crosses_scenarios_strategies_points_and_replications_with_shared_seeds(project):
    p = plan(project / "small.toml")
    assert len(p.runs) == 2 * 2 * 3 and [dict(pt) for pt in p.points] == [{"funding_end": 12}, {"funding_end": 24}]
    by_seed = {}
    for r in p.runs:
        assert r.spec.seed == 1 + r.replication and r.spec.months == 40
        assert r.spec.parameters.funding_end == dict(r.design)["funding_end"]
        by_seed.setdefault(r.replication, set()).add((r.strategy, r.point))
    assert all(len(v) == 4 for v in by_seed.values())  # every replication under every strategy and point
    assert len({r.spec.run_id for r in p.runs}) == len(p.runs)


@pytest.mark.parametrize("method", ["lhs", "sobol", "saltelli", "morris"])
def test_sampled_designs_lie_in_their_ranges_and_are_seeded(project, method):
    text = (
        SMALL.replace("[sweep]", 'combine = "factorial"\n[sweep]')
        + f'[sample]\nmethod = "{method}"\npoints = 8\nseed = 5\n'
    )
    text += "ranges = { erosion = [0.01, 0.03], merge_rate = [0.0, 0.1], rotation_interval = [2, 12] }\n"
    experiment = load_experiment(write(project, text))
    points = design_points(experiment)
    sampled = {len(points) // 2}
    assert len(sampled) == 1 and len(points) % 2 == 0  # two grid values, each with every sample point
    erosion = np.array([pt["erosion"] for pt in points])
    assert ((erosion >= 0.01) & (erosion <= 0.03)).all() and len(set(erosion)) > 1
    assert all(isinstance(pt["rotation_interval"], int) and 2 <= pt["rotation_interval"] <= 12 for pt in points)
    assert design_points(experiment) == points  # the design seed fixes it


def test_joint_sampling_draws_the_grid_values_with_the_ranges(project):
    text = (
        SMALL.replace("[sweep]", 'combine = "joint"\n[sweep]')
        + "[sample]\npoints = 16\nranges = { erosion = [0.01, 0.03] }\n"
    )
    points = design_points(load_experiment(write(project, text)))
    assert len(points) == 16 and {pt["funding_end"] for pt in points} == {12, 24}


def test_plan_prints_counts_estimates_and_first_runs_and_writes_nothing(project):
    result = CliRunner().invoke(app, ["plan", str(project / "small.toml")])
    assert result.exit_code == 0, result.output
    assert (
        "12 runs = 1 scenario(s) x strategies (aftercare, none) x 2 design point(s) x 3 replications" in result.output
    )
    assert "CPU minutes" in result.output and re.search(r"\d+ (MiB|KiB) on disk", result.output)
    assert "first runs" in result.output
    assert not (project / "results").exists()


# --- running ------------------------------------------------------------------------------


def run_whole(folder: Path, text: str) -> tuple[Path, bytes]:
    """An experiment run whole in this process, in a project folder: the bytes other ways of running must give."""
    with_baseline(folder)
    path = write(folder, text, "experiment.toml")
    summary = run_batch(plan(path), folder / "out", InProcessExecutor())
    assert summary.ran == summary.planned and summary.failed == 0 and not summary.interrupted
    return path, (folder / "out" / "runs.parquet").read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, bytes]:
    """The small experiment (12 runs)."""
    return run_whole(tmp_path_factory.mktemp("reference"), SMALL)


def test_the_store_holds_every_run_with_labels_design_and_outcomes(reference):
    path, _ = reference
    out = path.parent / "out"
    runs = load_results(out)
    assert len(runs) == 12 and (runs["status"] == "ok").all() and list(runs["run"]) == list(range(12))
    assert set(runs["design_funding_end"]) == {12, 24} and runs["alive_at_reference"].notna().all()
    indicators = load_results(
        out, "indicators", columns=["run", "month", "strategy"], filters=[("strategy", "==", "none")]
    )
    assert len(indicators) == 6 * 40 and set(indicators["strategy"]) == {"none"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["runs"] == 12 and manifest["content_hash"] == plan(path).content_hash
    assert manifest["design"]["points"] == [{"funding_end": 12}, {"funding_end": 24}] and manifest["code_hash"]


def test_two_local_dask_workers_give_the_same_bytes(reference, tmp_path):
    path, expected = reference
    with executor_for(2) as (executor, workers):
        assert workers == 2
        run_batch(plan(path), tmp_path / "out", executor, workers)
    assert (tmp_path / "out" / "runs.parquet").read_bytes() == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_running_dask_scheduler_with_two_workers_gives_the_same_bytes(reference, tmp_path):
    path, expected = reference
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    logs = open(tmp_path / "dask.log", "w")
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=logs,
        stderr=logs,
        env=env,
    )
    workers = [
        subprocess.Popen(
            [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard"], stdout=logs, stderr=logs, env=env
        )
        for _ in range(2)
    ]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        result = batch(path, "--scheduler", address, "--out", tmp_path / "out", cwd=path.parent)
        assert result.returncode == 0, result.stderr
    finally:
        for process in (*workers, scheduler):
            process.terminate()
        for process in (*workers, scheduler):
            process.wait(timeout=30)
        logs.close()
    assert (tmp_path / "out" / "runs.parquet").read_bytes() == expected


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory) -> tuple[Path, bytes, float]:
    """The 40-run experiment, for the interruption tests, and the seconds it takes whole.

    The tests interrupt at shares of those seconds, so a faster model or machine still
    interrupts a batch part-way.
    """
    started = time.perf_counter()
    path, expected = run_whole(tmp_path_factory.mktemp("long"), LONG)
    return path, expected, time.perf_counter() - started


def _wait_for_parts(out: Path, parts: int, process: subprocess.Popen, limit: float = 120.0) -> None:
    """Wait until the running batch has listed `parts` part groups in its manifest (some runs are safely in)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if len(json.loads((out / "manifest.json").read_text())["parts"]) >= parts:
                return
        except (FileNotFoundError, ValueError, KeyError):
            pass
        assert process.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no part was written in time")


def _killed_then_resumed(path: Path, out: Path, delay: float, expected: bytes) -> None:
    process = subprocess.Popen(
        [str(ECOSIM), "batch", str(path), "--workers", "0", "--out", str(out)],
        cwd=path.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_parts(out, 1, process)
    time.sleep(delay)  # then a moment later: inside a run, a write or between them
    assert process.poll() is None, "the batch ended before it could be killed: make it longer"
    process.send_signal(signal.SIGKILL)
    process.wait()
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest.get("complete")  # it really was cut off
    again = batch(path, "--workers", "0", "--out", out, "--resume", cwd=path.parent)
    assert again.returncode == 0, again.stderr
    assert (out / "runs.parquet").read_bytes() == expected
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no lock or staging left beside it


def test_a_batch_killed_part_way_and_resumed_equals_one_run_whole(long_reference, tmp_path):
    path, expected, seconds = long_reference
    _killed_then_resumed(path, tmp_path / "out", 0.2 * seconds, expected)


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.0, 0.08, 0.27, 0.55])
def test_a_batch_killed_at_other_moments_and_resumed_equals_one_run_whole(long_reference, tmp_path, share):
    """Killed `share` of the whole batch's time after its first part: inside a run, a write or between them."""
    path, expected, seconds = long_reference
    _killed_then_resumed(path, tmp_path / "out", share * seconds, expected)


def test_ctrl_c_keeps_the_finished_runs_and_resume_completes(long_reference, tmp_path):
    path, expected, _ = long_reference
    out = tmp_path / "out"
    process = subprocess.Popen(
        [str(ECOSIM), "batch", str(path), "--workers", "0", "--out", str(out)],
        cwd=path.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_parts(out, 1, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted: the finished runs are kept" in stdout + stderr and "Traceback" not in stderr
    assert "nothing was written" not in stdout + stderr
    manifest = json.loads((out / "manifest.json").read_text())
    kept = sum(len(part["runs"]) for part in manifest["parts"])
    assert 0 < kept < 40 and not manifest["complete"]
    again = batch(path, "--workers", "0", "--out", out, "--resume", cwd=path.parent)
    assert again.returncode == 0 and f"{kept} were already in" in again.stdout
    assert (out / "runs.parquet").read_bytes() == expected


def test_earlier_results_are_refused_without_resume_and_another_experiment_always(reference, tmp_path):
    path, _ = reference
    out = path.parent / "out"
    with pytest.raises(ResultsFolderError, match="pass --resume"):
        run_batch(plan(path), out, InProcessExecutor())
    other = write(path.parent, SMALL.replace("replications = 3", "replications = 4"), "other.toml")
    with pytest.raises(ResultsFolderError, match="found those of another version of it"):
        run_batch(plan(other), out, InProcessExecutor(), resume=True)


def test_a_run_that_raises_is_recorded_as_failed_and_the_batch_goes_on(reference, tmp_path):
    path, _ = reference
    p = plan(path)
    broken = p.runs[4]
    bad = RunSpec(broken.spec.scenario, None, (), broken.spec.seed, 40, engine="fortran")  # no such engine
    runs = list(p.runs)
    runs[4] = PlannedRun(bad, broken.scenario, broken.strategy, broken.point, broken.replication, broken.design)
    summary = run_batch(
        type(p)(p.experiment, p.path, p.content_hash, p.points, tuple(runs), p.scenarios),
        tmp_path / "out",
        InProcessExecutor(),
    )
    assert summary.failed == 1 and summary.ran == 12
    table = load_results(tmp_path / "out")
    failed = table[table["status"] == "failed"]
    assert list(failed["run"]) == [4] and "engine: expected one of numba, python" in failed["error"].iloc[0]
    parts = sorted((tmp_path / "out" / "parts").glob("runs-*.parquet"))
    assert len(parts) > 1 and len({str(pq.read_schema(part)) for part in parts}) == 1  # failed or not, one schema
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (
        "Traceback" in manifest["failed"]["4"]["traceback"] and manifest["failed"]["4"]["spec"]["engine"] == "fortran"
    )


def test_a_worker_killed_mid_batch_loses_nothing(long_reference, tmp_path):
    """SIGKILL one of two local Dask workers while runs are in flight: its runs are retried elsewhere."""
    import threading

    path, expected, seconds = long_reference
    with executor_for(2) as (executor, workers):
        client = executor._client
        pids = list(client.run(os.getpid).values())
        kill_after = 0.3 * seconds  # two workers take about 0.6 of it, after the warm-up
        killer = threading.Timer(kill_after, os.kill, (pids[0], signal.SIGKILL))
        started = time.monotonic()
        killer.start()
        summary = run_batch(plan(path), tmp_path / "out", executor, workers)
        took = time.monotonic() - started
        killer.join()
        assert pids[0] not in client.run(os.getpid).values()  # the worker was killed (and its nanny started a new one)
    assert took > kill_after + 0.5, "the batch ended before the worker was killed: make it longer"
    assert summary.failed == 0 and summary.ran == 40
    assert (tmp_path / "out" / "runs.parquet").read_bytes() == expected


ADAPTIVE = """
name = "adaptive"
scenarios = ["scenarios/baseline.toml"]
strategies = ["none", "gradual-handover"]
replications = 3
months = 61

[adaptive]
outcome = "share_not_ended_24"
against = "none"
width = {width}
step = 3
max_replications = 12
"""


@pytest.mark.parametrize(("width", "stopped"), [(0.2, "converged"), (1e-6, "cap")])
def test_adaptive_replications_add_rounds_until_the_interval_is_narrow_or_the_cap(project, tmp_path, width, stopped):
    path = write(project, ADAPTIVE.format(width=width), "adaptive.toml")
    summary = run_batch(plan(path), tmp_path / "out", InProcessExecutor())
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    adaptive = manifest["adaptive"]
    runs = load_results(tmp_path / "out")
    n = adaptive["replications"]
    assert adaptive["stopped"] == stopped and manifest["complete"] and len(runs) == 2 * n == summary.planned
    assert [r["replications"] for r in adaptive["rounds"]] == list(range(3, n + 1, 3))
    # the width the manifest reports is the paired t interval of the stored outcomes, recomputed here
    pairs = runs.pivot(index="replication", columns="strategy", values="share_not_ended_24")
    d = (pairs["gradual-handover"] - pairs["none"]).to_numpy()
    from scipy import stats

    width_now = 2 * stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    assert adaptive["widths"]["baseline/gradual-handover/0"] == pytest.approx(width_now, rel=1e-9)
    if stopped == "converged":
        assert width_now <= width and n > 3 and adaptive["rounds"][-2]["widest"] > width  # it needed more rounds
    else:
        assert n == 12 and width_now > width
    assert sorted(runs["seed"].unique()) == list(range(1, n + 1))


def test_a_corrupted_part_file_is_detected_and_its_runs_recomputed(reference, tmp_path):
    path, expected = reference
    out = tmp_path / "out"
    run_batch(plan(path), out, InProcessExecutor())
    part = sorted((out / "parts").glob("runs-*.parquet"))[0]
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    part.write_bytes(bytes(data))
    manifest = json.loads((out / "manifest.json").read_text())
    lost = next(p["runs"] for p in manifest["parts"] if part.name in p["files"])
    summary = run_batch(plan(path), out, InProcessExecutor(), resume=True)
    assert summary.ran == len(lost) and summary.kept == 12 - len(lost)
    assert (out / "runs.parquet").read_bytes() == expected


def test_the_progress_bar_shows_the_rate_of_finished_runs():
    from rich.progress import Progress

    from ecosim.cli import RateColumn

    with Progress(RateColumn(), disable=True) as progress:
        task = progress.add_task("batch", total=10)
        assert str(RateColumn().render(progress.tasks[task])) == "- runs/s"
        for done in range(1, 6):
            progress.update(task, completed=done)
            time.sleep(0.05)
        rate = float(str(RateColumn().render(progress.tasks[task])).split()[0])
    assert 5 < rate < 40  # about 20 runs/s: one every 0.05 s
