"""`python -m benchmarks --quick --json` runs every item and reports every figure (not a timing test)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = (
    "mesa_ratio",
    "bandwidth_fraction",
    "model_bandwidth_fraction",
    "scaling_exponent",
    "bytes_per_learner",
    "national_seconds",
    "jit_cold_s",
    "jit_warm_s",
    "dask_speedup",
    "crn_variance_ratio",
)
MACHINE = ("cpu", "cores", "ram_gib", "python", "numba", "numpy", "date")
ITEMS = ("national", "scaling", "bandwidth", "vs_mesa", "jit", "batch", "crn")


@pytest.mark.slow
def test_quick_benchmarks_report_every_figure():
    env = {k: v for k, v in os.environ.items() if k != "ECOSIM_CHECK_INVARIANTS"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    for key in KEYS:
        value = result[key]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
    assert set(MACHINE) <= set(result["machine"])
    for item in ITEMS:
        assert "error" not in result["detail"][item] and "missing" not in result["detail"][item], item


def test_the_profile_times_every_step_of_a_month_run_as_advance_runs_it():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # benchmarks/ is a folder of the repository, not an installed package
    from benchmarks import profile
    from benchmarks.common import BASELINE, model_of
    from pandas.testing import assert_frame_equal

    from ecosim.schedule import SCHEDULE

    profiled, stepped = model_of(BASELINE), model_of(BASELINE)
    for _ in range(13):  # past a graduation
        spent = profile.month_profile(profiled)
        stepped.step()
    assert_frame_equal(profiled.recorder.frame(), stepped.recorder.frame(), check_exact=True)
    assert list(spent) == list(dict.fromkeys(f"{s.number} {s.process}" for s in SCHEDULE))
    assert all(kernel > 0 for _, kernel in spent.values())
    (size,) = profile.measure(quick=True, sizes=(1_000,))["detail"]["sizes"]
    assert size["month_s"] == pytest.approx(sum(s["python_s"] + s["kernel_s"] for s in size["steps"].values()))
    table = profile.table({"sizes": [size]})
    assert all(f"| {label} |" in table for label in spent) and f"{size['learners']:,} learners" in table
