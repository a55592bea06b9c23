"""Item 2: the learner kernel and the whole model against the memory limit.

The "touch" kernel reads and writes every learner column (same dtypes, same count) once
with trivial arithmetic: a month of learners cannot be faster than moving its arrays
through memory. Month by month, side by side on the same world: one whole model step
(the learner kernel's share of it timed inside the step), then the touch kernel on copies
of the learner columns.
"""

import time
from statistics import median

import numpy as np
from numba import njit

from benchmarks.common import model_of, seconds, sized_scenario

LEARNERS = 10_000_000
QUICK_LEARNERS = 100_000
MONTHS = 13  # months 0-12: one graduation month among them, as in every year of a run


@njit(cache=False)
def touch(school, enrolled, placement, months_placed, months_here, motivation, competence, breadth, hard):
    """Read and write every element of the learner columns once."""
    for i in range(school.shape[0]):
        school[i] += 1
        enrolled[i] += 1
        placement[i] += 1
        months_placed[i] += 1
        months_here[i] += 1
        motivation[i] = 0.5 * motivation[i] + 0.25
        competence[i] += 0.125
        breadth[i] += 1
        hard[i] = not hard[i]


class KernelClock:
    """A kernel that keeps the wall seconds of each of its calls (put in place of an Engine's kernel).

    Called directly or, as ``Engine.call`` does, at the entry point from :meth:`compile`.
    """

    def __init__(self, kernel):
        self.kernel = kernel
        self.seconds: list[float] = []

    def _timed(self, function, args: tuple):
        start = time.perf_counter()
        result = function(*args)
        self.seconds.append(time.perf_counter() - start)
        return result

    def __call__(self, *args):
        return self._timed(self.kernel, args)

    def __getattr__(self, name: str):
        return getattr(self.kernel, name)  # typeof_pyval and the rest, as the dispatcher's

    def compile(self, signature: tuple):
        """The kernel's entry point for `signature`, timed."""
        entry = self.kernel.compile(signature)
        return lambda *args: self._timed(entry, args)


def measure(quick: bool) -> dict:
    """`bandwidth_fraction` (learner kernel / touch) and `model_bandwidth_fraction` (whole model / touch)."""
    learners = QUICK_LEARNERS if quick else LEARNERS
    started = time.perf_counter()
    model = model_of(sized_scenario(learners))
    build = time.perf_counter() - started
    n = model.world.learners.n
    columns = [column.copy() for column in model.world.learners.view()[:-1]]  # every column, not `used`
    touch(*columns)  # compile
    clock = model.engine.learners = KernelClock(model.engine.learners)
    steps, touches = [], []
    for _ in range(MONTHS):
        steps.append(seconds(model.step))
        touches.append(seconds(lambda: touch(*columns)))
    touch_rate = n / median(touches)
    kernel_rate = n * MONTHS / sum(clock.seconds)
    model_rate = n * MONTHS / sum(steps)
    moved = 2 * sum(column.nbytes for column in columns)  # read and written
    return {
        "bandwidth_fraction": kernel_rate / touch_rate,
        "model_bandwidth_fraction": model_rate / touch_rate,
        "detail": {
            "learners": n,
            "months": MONTHS,
            "build_seconds": build,
            "touch_learner_steps_per_s": touch_rate,
            "touch_gb_per_s": moved / median(touches) / 1e9,
            "learner_kernel_learner_steps_per_s": kernel_rate,
            "model_learner_steps_per_s": model_rate,
            "learner_kernel_seconds": clock.seconds,
            "step_seconds": steps,
            "touch_seconds": touches,
            "learner_bytes_per_learner": sum(column.itemsize for column in columns),
            "bytes_touched_per_learner": moved / n,
            "dtypes": {name: str(np.dtype(c.dtype)) for name, c in zip(model.world.learners, columns, strict=True)},
        },
    }
