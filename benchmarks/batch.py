"""Item 7: runs per second of a batch on one and on two local Dask workers.

The same runs (baseline, two strategies, 60 months) on 1 and 2 single-threaded worker
processes, alternating, started afresh each time; the cluster's start-up and each worker's
loading of the compiled kernels (a one-month run on every worker) are not timed. Beside the
rates: the workers' peak memory and ``ecosim plan``'s pilot-based estimate of the batch
against its measured time (the estimate leaves out the per-run overhead of the task and of
writing results).
"""

import tempfile
import time
from pathlib import Path
from statistics import median

from benchmarks.common import SCENARIOS, peak_rss_mib
from ecosim.batch import executor_for, run_batch
from ecosim.experiment import plan
from ecosim.runner import run
from ecosim.spec import RunSpec

EXPERIMENT = """
name = "benchmark"
scenarios = ["{scenarios}/baseline.toml"]
strategies = ["none", "aftercare"]
replications = {replications}
months = 60
"""
RUNS = 40
QUICK_RUNS = 20


def planned(folder: Path, runs: int):
    """The plan of the benchmark batch of `runs` runs."""
    path = folder / f"benchmark-{runs}.toml"
    path.write_text(EXPERIMENT.format(scenarios=SCENARIOS, replications=runs // 2))
    return plan(path, (SCENARIOS,))


def warm_worker() -> None:
    """Load the compiled kernels in a worker: a one-month run of the baseline."""
    run(RunSpec.of(SCENARIOS / "baseline.toml", months=1, record=()), check_invariants=False)


def timed_batch(folder: Path, runs: int, workers: int) -> tuple[float, float]:
    """Seconds to run the batch on `workers` local workers, and the workers' peak RSS (MiB)."""
    batch = planned(folder, runs)
    with executor_for(workers) as (executor, count):
        executor._client.run(warm_worker)
        out = folder / f"out-{time.perf_counter_ns()}"
        started = time.perf_counter()
        run_batch(batch, out, executor, count)
        wall = time.perf_counter() - started
        peak = max(executor._client.run(peak_rss_mib).values())
    return wall, peak


def measure(quick: bool) -> dict:
    """Runs per second on 1 and 2 workers and `dask_speedup`, their ratio."""
    runs = QUICK_RUNS if quick else RUNS
    repeats = 1 if quick else 3
    walls: dict[int, list[float]] = {1: [], 2: []}
    peak = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(repeats):
            for workers in (1, 2):
                wall, worker_peak = timed_batch(folder, runs, workers)
                walls[workers].append(wall)
                peak = max(peak, worker_peak)
        pilot = planned(folder, runs).runs[0].spec
        started = time.perf_counter()
        run(pilot, check_invariants=False)
        estimate = (time.perf_counter() - started) * runs / 2
    rate = {workers: runs / median(w) for workers, w in walls.items()}
    return {
        "dask_speedup": rate[2] / rate[1],
        "detail": {
            "runs": runs,
            "experiment": "baseline, strategies none and aftercare, 60 months",
            "seconds": {str(k): v for k, v in walls.items()},
            "runs_per_s_1_worker": rate[1],
            "runs_per_s_2_workers": rate[2],
            "worker_peak_rss_mib": peak,
            "plan_estimate_share_of_measured_2_workers": estimate / median(walls[2]),
        },
    }
