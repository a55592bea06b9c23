"""Item 9: where a month's time goes, step by step of the schedule, at each size.

Each step of :data:`ecosim.schedule.SCHEDULE` is timed in two parts: building its arguments in
Python (views of the tables, making room) and the kernel call itself (unboxing the arguments,
the loop, boxing the result); the record (step 8) is timed as a whole. The months are run as
:func:`ecosim.schedule.advance` runs them, so the world evolves as in a real run. The fixed
cost per month is the time the same steps take on the smallest world. The first month of
each world is not timed (the compiled kernels load on their first call).
"""

import time

from benchmarks.common import gc_off, model_of, sized_scenario
from ecosim.schedule import SCHEDULE, MonthStats, make_room_for_events

SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 100_000)
MONTHS = 24
QUICK_MONTHS = 6


def month_profile(model) -> dict[str, tuple[float, float]]:
    """One month of `model`, step by step: {step label: (seconds building arguments, seconds in the kernel)}."""
    world, engine = model.world, model.engine
    make_room_for_events(world)
    month = MonthStats()
    spent: dict[str, tuple[float, float]] = {}
    for step in SCHEDULE:
        if step.arguments is None:
            continue
        start = time.perf_counter()
        arguments = step.arguments(world, month)
        built = time.perf_counter()
        step.keep(world, month, engine.call(step.kernel, arguments, world.kernel_entries))
        done = time.perf_counter()
        label = f"{step.number} {step.process}"
        before = spent.get(label, (0.0, 0.0))
        spent[label] = (before[0] + built - start, before[1] + done - built)
    world.month += 1
    start = time.perf_counter()
    model.latest = model.recorder.record(world, engine, month)
    spent["8 record"] = (0.0, time.perf_counter() - start)
    return spent


def measure(quick: bool, sizes: tuple[int, ...] | None = None) -> dict:
    """Per size: learners, mean seconds per month of each step (Python, kernel), and the total."""
    months = QUICK_MONTHS if quick else MONTHS
    sizes = sizes or (QUICK_SIZES if quick else SIZES)
    found = []
    for size in sizes:
        model = model_of(sized_scenario(size))
        month_profile(model)  # untimed: the compiled kernels are loaded on their first call
        totals: dict[str, list[float]] = {}
        with gc_off():
            for _ in range(months):
                for label, (python, kernel) in month_profile(model).items():
                    total = totals.setdefault(label, [0.0, 0.0])
                    total[0] += python / months
                    total[1] += kernel / months
        found.append(
            {
                "learners": model.world.learners.n,
                "months": months,
                "steps": {label: {"python_s": p, "kernel_s": k} for label, (p, k) in totals.items()},
                "month_s": sum(p + k for p, k in totals.values()),
                "python_s": sum(p for p, _ in totals.values()),
            }
        )
    return {"detail": {"sizes": found}}


def table(detail: dict) -> str:
    """The profile as a Markdown table: milliseconds per month, Python + kernel, one column per size."""
    sizes = detail["sizes"]
    head = "| step | " + " | ".join(f"{s['learners']:,} learners" for s in sizes) + " |"
    rows = [head, "|---|" + "---|" * len(sizes)]
    for label in sizes[0]["steps"]:
        cells = []
        for s in sizes:
            step = s["steps"][label]
            cells.append(f"{1e3 * step['python_s']:.3f} + {1e3 * step['kernel_s']:.3f}")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    rows.append("| **month** | " + " | ".join(f"**{1e3 * s['month_s']:.2f}**" for s in sizes) + " |")
    rows.append("| of it Python between kernels | " + " | ".join(f"{1e3 * s['python_s']:.2f}" for s in sizes) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(table(measure(parser.parse_args().quick)["detail"]))
