"""Items 4 and 5: the national scenario (~1,000,000 learners, 10,000 starting pairs): memory and wall time.

The model loop runs in a fresh child process (``python -m benchmarks.national``), warm
(kernels loaded by a one-month run first), so its peak RSS is the national run's alone; the
command line ``ecosim run scenarios/national.toml`` runs as a child too, results into a
temporary folder. A quick run times 12 months instead of 120.
"""

import argparse
import gc
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from benchmarks.common import NATIONAL, child_json, measured_child, model_of, peak_rss_mib, steps_seconds
from ecosim import load_scenario

MONTHS = 120
QUICK_MONTHS = 12


def ecosim_command() -> list[str]:
    """The `ecosim` command of this Python's environment (``python -m ecosim`` if it has no script)."""
    script = Path(sys.executable).with_name("ecosim")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ecosim"]


def model_loop(months: int, repeats: int) -> dict:
    """In this process: build and run the national scenario `repeats` times; times, memory and state per learner."""
    scenario = load_scenario(NATIONAL)
    model_of(scenario, months=1).step()  # load the compiled kernels before timing
    builds, loops = [], []
    for _ in range(repeats):
        model = None
        gc.collect()  # the previous world is gone before the next is built
        started = time.perf_counter()
        model = model_of(scenario, months=months)
        builds.append(time.perf_counter() - started)
        loops.append(steps_seconds(model, months))
    world = model.world
    learners = world.learners.n
    return {
        "learners": learners,
        "partnership_rows": world.partnerships.n,
        "organisations": world.organisations.n,
        "months": months,
        "loop_seconds": loops,
        "national_seconds": median(loops),
        "months_per_s": months / median(loops),
        "build_seconds": median(builds),
        "state_bytes": world.state_bytes(),
        "bytes_per_learner": world.state_bytes() / learners,
        "learner_table_bytes_per_learner": world.learners.nbytes() / learners,
        "peak_rss_mib": peak_rss_mib(),
    }


def command_line(months: int, repeats: int) -> dict:
    """Wall seconds and peak RSS of ``ecosim run scenarios/national.toml`` (results to a temporary folder)."""
    walls, peaks = [], []
    folder = Path(tempfile.mkdtemp(prefix="ecosim-bench-"))
    try:
        for k in range(repeats):
            extra = [] if months == MONTHS else ["--months", str(months)]
            command = [*ecosim_command(), "run", str(NATIONAL), "--out", str(folder / str(k)), *extra]
            wall, peak, _ = measured_child(command)
            walls.append(wall)
            peaks.append(peak)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "command": "ecosim run scenarios/national.toml" + (f" --months {months}" if months != MONTHS else ""),
        "seconds": walls,
        "cli_seconds": median(walls),
        "peak_rss_mib": max(peaks),
    }


def measure(quick: bool) -> dict:
    """`national_seconds` (model loop, warm), `bytes_per_learner`, and the command line's wall time and peak RSS."""
    months = QUICK_MONTHS if quick else MONTHS
    repeats = 1 if quick else 3
    loop = child_json("benchmarks.national", "--months", str(months), "--repeats", str(repeats))
    cli = command_line(months, repeats)
    return {
        "national_seconds": loop["national_seconds"],
        "bytes_per_learner": loop["bytes_per_learner"],
        "detail": {"model_loop": loop, "cli": cli},
    }


def main() -> None:
    """The child process: print the model loop's figures as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(model_loop(args.months, args.repeats)))


if __name__ == "__main__":
    main()
