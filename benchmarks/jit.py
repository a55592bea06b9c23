"""Item 6: start-up to the first month, with an empty numba cache (cold) and a filled one (warm).

Each start is a fresh child process that imports ecosim, builds the baseline and runs one
month; its wall time from launch to exit is the figure. The cold start points numba's cache
at an empty temporary folder (NUMBA_CACHE_DIR, the parent of ecosim's keyed cache folder,
:mod:`ecosim.compile_cache`), so every kernel compiles. Beside them, for what compiling buys:
the compiled and the pure-Python engine on the same months of the baseline.
"""

import shutil
import sys
import tempfile
from statistics import median

from benchmarks.common import BASELINE, measured_child, model_of, quiet_env, seconds

FIRST_MONTH = f"from ecosim import EcosystemModel; EcosystemModel({str(BASELINE)!r}, reporters=()).step()"
ENGINE_MONTHS = 12


def first_month_seconds(cache: str | None = None) -> float:
    """Wall seconds of a child process that runs the baseline's first month (`cache`: NUMBA_CACHE_DIR)."""
    env = quiet_env() if cache is None else quiet_env(NUMBA_CACHE_DIR=cache)
    wall, _, _ = measured_child([sys.executable, "-c", FIRST_MONTH], env)
    return wall


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
        cold = first_month_seconds(cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    first_month_seconds()  # the default cache is filled (by now it is) and in the page cache
    warm = [first_month_seconds() for _ in range(1 if quick else 3)]
    return {
        "jit_cold_s": cold,
        "jit_warm_s": median(warm),
        "detail": {
            "what": "wall seconds from launching python to the end of the baseline's first month",
            "warm_runs": warm,
            "engines": engines_ratio(1 if quick else ENGINE_MONTHS),
        },
    }
