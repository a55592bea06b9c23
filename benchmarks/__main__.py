"""``python -m benchmarks [--quick] [--json] [--only ITEM ...] [--out FILE]``: every benchmark in one run."""

import argparse
import datetime
import importlib
import json
import math
import os
import platform
import sys
import time
import traceback
from importlib.metadata import version
from pathlib import Path

from benchmarks.common import BASELINE, model_of

ITEMS = ("national", "jit", "batch", "crn", "scaling", "vs_mesa", "bandwidth")
"""The measurement modules, in the order they run: child processes first (a child's ru_maxrss counts this
process's size at the fork), the 10,000,000-learner world last."""

KEYS = {
    "mesa_ratio": "vs_mesa",
    "bandwidth_fraction": "bandwidth",
    "model_bandwidth_fraction": "bandwidth",
    "scaling_exponent": "scaling",
    "bytes_per_learner": "national",
    "national_seconds": "national",
    "jit_cold_s": "jit",
    "jit_warm_s": "jit",
    "dask_speedup": "batch",
    "crn_variance_ratio": "crn",
}
"""Every headline key of the JSON and the item that measures it."""


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "numba": version("numba"),
        "numpy": version("numpy"),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def finite(value: object) -> object:
    """JSON-safe: a non-finite float becomes None (null), containers recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def run_items(items: tuple[str, ...], quick: bool, log) -> dict:
    """Run the items: the headline keys, `detail` per item (with its seconds), and the machine."""
    result: dict = {key: None for key, item in KEYS.items() if item in items}
    result["machine"] = machine()
    result["quick"] = quick
    result["detail"] = {}
    model_of(BASELINE).step()  # the compiled kernels are loaded before anything is timed
    for item in items:
        log(f"{item} ...")
        started = time.perf_counter()
        try:
            found = importlib.import_module(f"benchmarks.{item}").measure(quick)
        except Exception as exc:  # noqa: BLE001 - one failed item is reported, the others still run
            found = {"detail": {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}}
        detail = found.pop("detail")
        detail["item_seconds"] = time.perf_counter() - started
        result.update(found)
        result["detail"][item] = detail
        log(f"{item}: {time.perf_counter() - started:.0f} s" + (f" ({detail['error']})" if "error" in detail else ""))
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return finite(result)


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every item at small sizes (a few minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--only", nargs="+", choices=ITEMS, help="run only these items")
    parser.add_argument("--out", type=Path, help="also write the JSON object to this file")
    args = parser.parse_args()
    os.environ.pop("ECOSIM_CHECK_INVARIANTS", None)  # benchmarks time the model as users run it
    items = tuple(item for item in ITEMS if args.only is None or item in args.only)
    result = run_items(items, args.quick, lambda message: print(message, file=sys.stderr, flush=True))
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        from benchmarks.table import print_table

        print_table(result)
    failed = [item for item, detail in result["detail"].items() if "error" in detail or "missing" in detail]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
