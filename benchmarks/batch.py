"""Batch benchmark: runs per second on 1 and 2 local Dask workers, side by side, and a 2,000-run batch.

Prints, for the same runs (baseline, two strategies, 60 months), the rate on one worker and on
two and their ratio; then a 2,000-run batch on two workers with its wall time, the plan's
estimate for it (`ecosim plan`'s pilot method) and the peak memory of this process and of a
worker. Absolute rates drift on shared machines; the ratio and the estimate's error are what
to compare.

    python benchmarks/batch.py [--runs 2000] [--rate-runs 200]
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

from ecosim.batch import executor_for, run_batch
from ecosim.experiment import plan
from ecosim.runner import run

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = """
name = "benchmark"
scenarios = ["{scenarios}/baseline.toml"]
strategies = ["none", "aftercare"]
replications = {replications}
months = 60
"""


def timed_batch(folder: Path, runs: int, workers: int) -> tuple[float, int]:
    """Seconds to run `runs` runs on `workers` local workers, and the workers' peak memory (KiB)."""
    path = folder / f"benchmark-{runs}-{workers}.toml"
    path.write_text(EXPERIMENT.format(scenarios=ROOT / "scenarios", replications=runs // 2))
    planned = plan(path, (ROOT / "scenarios",))
    with executor_for(workers) as (executor, count):
        started = time.perf_counter()
        run_batch(planned, folder / f"out-{runs}-{workers}", executor, count)
        wall = time.perf_counter() - started
        peak = max(executor._client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--rate-runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one, _ = timed_batch(folder, args.rate_runs, 1)
        two, _ = timed_batch(folder, args.rate_runs, 2)
        print(
            f"{args.rate_runs} runs: 1 worker {args.rate_runs / one:.1f} runs/s, 2 workers {args.rate_runs / two:.1f} "
            f"runs/s, ratio {one / two:.2f}x"
        )
        path = folder / "estimate.toml"
        path.write_text(EXPERIMENT.format(scenarios=ROOT / "scenarios", replications=args.runs // 2))
        pilot = plan(path, (ROOT / "scenarios",)).runs[0].spec
        started = time.perf_counter()
        run(pilot, check_invariants=False)
        estimate = (time.perf_counter() - started) * args.runs / 2
        wall, worker_peak = timed_batch(folder, args.runs, 2)
        parent_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"{args.runs} runs on 2 workers: {wall:.1f} s wall ({args.runs / wall:.1f} runs/s); plan estimate "
            f"{estimate:.1f} s ({estimate / wall:.2f} of the measured); peak memory: this process "
            f"{parent_peak / 1024:.0f} MiB, a worker {worker_peak / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main()
