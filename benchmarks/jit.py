"""Item 6: start-up to the first month, with an empty numba cache (cold) and a filled one (warm).

Each start is a fresh child process that imports ecosim, builds the baseline and runs one
month; the figure is the time from its launch to the end of that month, read on the clock
both processes share (``time.perf_counter``: system-wide and monotonic), so the interpreter's
tear-down after the month (about 0.3 s, most of it freeing the modules Mesa imports) is not
counted; launch to exit is kept beside it. The cold start points numba's cache
at an empty temporary folder (NUMBA_CACHE_DIR, the parent of ecosim's keyed cache folder,
:mod:`ecosim.compile_cache`), so every kernel compiles. Beside them, for what compiling buys:
the compiled and the pure-Python engine on the same months of the baseline.
"""

import shutil
import sys
import tempfile
import time
from statistics import median

from benchmarks.common import BASELINE, measured_child, model_of, quiet_env, seconds

FIRST_MONTH = (
    f"from ecosim import EcosystemModel; EcosystemModel({str(BASELINE)!r}, reporters=()).step(); "
    "import time; print(time.perf_counter())"
)
ENGINE_MONTHS = 12


def first_month_seconds(cache: str | None = None) -> tuple[float, float]:
    """Seconds from launching a child that runs the baseline's first month to that month's end, and to its exit.

    `cache`: the child's NUMBA_CACHE_DIR.
    """
    env = quiet_env() if cache is None else quiet_env(NUMBA_CACHE_DIR=cache)
    launched = time.perf_counter()
    to_exit, _, out = measured_child([sys.executable, "-c", FIRST_MONTH], env)
    return float(out.split()[-1]) - launched, to_exit


def engines_ratio(months: int) -> dict:
    """Seconds of `months` months of the baseline on each engine (build not timed) and their ratio."""
    timed = {}
    for engine in ("numba", "python"):
        model = model_of(BASELINE, months=months, engine=engine)
        timed[engine] = seconds(lambda m=model: [m.step() for _ in range(months)])
    return {"months": months, **timed, "ratio": timed["python"] / timed["numba"]}


def measure(quick: bool) -> dict:
    """`jit_cold_s` and `jit_warm_s`, and the compiled/pure-Python ratio."""
    cache = tempfile.mkdtemp(prefix="ecosim-cold-numba-")
    try:
        cold, cold_exit = first_month_seconds(cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    first_month_seconds()  # the default cache is filled (by now it is) and in the page cache
    warm, warm_exit = zip(*(first_month_seconds() for _ in range(1 if quick else 3)), strict=True)
    return {
        "jit_cold_s": cold,
        "jit_warm_s": median(warm),
        "detail": {
            "what": "seconds from launching python to the end of the baseline's first month",
            "warm_runs": list(warm),
            "to_exit": {"cold": cold_exit, "warm": median(warm_exit)},
            "engines": engines_ratio(1 if quick else ENGINE_MONTHS),
        },
    }
