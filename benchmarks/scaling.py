"""Item 3: how the whole model's step time grows with the learners (linear is the goal).

Worlds of national proportions at each size, the sizes alternating within each repeat, a
fresh model each time; the step time is the mean over the months timed, and the exponent
the slope of log(step time) against log(learners).
"""

from statistics import median

import numpy as np

from benchmarks.common import model_of, sized_scenario, steps_seconds

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
MONTHS = 24
QUICK_MONTHS = 12


def measure(quick: bool) -> dict:
    """Step time per size and the fitted log-log `scaling_exponent`."""
    sizes = QUICK_SIZES if quick else SIZES
    months = QUICK_MONTHS if quick else MONTHS
    repeats = 2 if quick else 3
    scenarios = [sized_scenario(size) for size in sizes]
    learners = []
    times: list[list[float]] = [[] for _ in sizes]
    for _ in range(repeats):
        for k, scenario in enumerate(scenarios):
            model = model_of(scenario)
            times[k].append(steps_seconds(model, months) / months)
            if len(learners) < len(sizes):
                learners.append(model.world.learners.n)
    step = [median(t) for t in times]
    exponent, _ = np.polyfit(np.log(learners), np.log(step), 1)
    return {
        "scaling_exponent": float(exponent),
        "detail": {
            "months": months,
            "repeats": repeats,
            "sizes": [
                {"learners": n, "step_seconds": s, "runs": t, "learner_steps_per_s": n / s}
                for n, s, t in zip(learners, step, times, strict=True)
            ],
        },
    }
