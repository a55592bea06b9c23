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
