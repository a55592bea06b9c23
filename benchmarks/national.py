"""Scale benchmark: the national scenario (about 1,000,000 learners, 10,000 starting pairs).

Prints wall time, months per second, peak memory, state bytes per learner, and the learner
kernel's learner-steps per second, and the speed ratio of the compiled to the pure-Python
engine measured side by side on the same months. Absolute times drift on shared machines;
the ratios are what to compare between versions.

    python benchmarks/national.py [--months 120] [--python-months 2]
"""

import argparse
import resource
import time
from pathlib import Path

from ecosim import EcosystemModel, load_scenario
from ecosim.schedule import learners_month

SCENARIO = Path(__file__).parent.parent / "scenarios" / "national.toml"


def learner_kernel_rate(model: EcosystemModel, months: int) -> float:
    """Learner-steps per second of the learners kernel alone, over `months` further months."""
    world = model.world
    spent = 0.0
    for _ in range(months):
        start = time.perf_counter()
        learners_month(world, model.engine)
        spent += time.perf_counter() - start
        world.month += 1
    return world.learners.n * months / spent


def timed_run(scenario, months: int, engine: str) -> tuple[float, EcosystemModel]:
    """Seconds to build and run `months` months."""
    start = time.perf_counter()
    model = EcosystemModel(scenario, months=months, engine=engine, reporters=())
    while model.running:
        model.step()
    return time.perf_counter() - start, model


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--python-months", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    timed_run(scenario, 1, "numba")  # load the numba cache before timing
    wall, model = timed_run(scenario, args.months, "numba")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    learners = model.world.learners.n
    state = model.world.state_bytes()
    print(
        f"national: {learners:,} learners, {model.world.partnerships.n:,} partnership rows, "
        f"{model.world.organisations.n:,} organisations"
    )
    print(
        f"run of {args.months} months (numba): {wall:.2f} s wall, {args.months / wall:.1f} months/s, "
        f"peak RSS {peak_mib:,.0f} MiB"
    )
    print(
        f"state: {state / 2**20:,.1f} MiB in arrays = {state / learners:.1f} bytes per learner "
        f"(learner table alone {model.world.learners.nbytes() / learners:.1f})"
    )
    rate = learner_kernel_rate(model, 12)
    print(f"learner kernel (numba): {rate / 1e6:.1f} million learner-steps/s")
    fast, _ = timed_run(scenario, args.python_months, "numba")
    slow, _ = timed_run(scenario, args.python_months, "python")
    print(
        f"engines side by side, {args.python_months} months incl. build: numba {fast:.2f} s, python {slow:.2f} s, "
        f"ratio {slow / fast:.1f}x"
    )


if __name__ == "__main__":
    main()
