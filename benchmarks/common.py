"""What the benchmarks share: timing with the garbage collector off, worlds of a given size, child processes."""

import contextlib
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ecosim import EcosystemModel, load_scenario
from ecosim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
NATIONAL = SCENARIOS / "national.toml"
BASELINE = SCENARIOS / "baseline.toml"
REGION_SCHOOLS = 250  # a national region: 250 schools, 375 companies, 250 starting pairs, ~25,000 learners
LEARNERS_PER_SCHOOL = 100  # the mean of a generated school's 40-160 programme learners


@contextlib.contextmanager
def gc_off() -> Iterator[None]:
    """The garbage collector off for a timed section: its pauses are not the model's."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def seconds(work: Callable[[], object]) -> float:
    """Wall seconds of `work()`, with the garbage collector off."""
    with gc_off():
        start = time.perf_counter()
        work()
        return time.perf_counter() - start


def steps_seconds(model, months: int) -> float:
    """Wall seconds of `months` calls of ``model.step()`` (ecosim's model or the Mesa peer)."""

    def steps() -> None:
        for _ in range(months):
            model.step()

    return seconds(steps)


def sized_scenario(learners: int) -> Scenario:
    """The national scenario scaled to about `learners` learners: copies of one generated region.

    Regions keep the national proportions (1.5 companies and one starting pair per school,
    ~100 learners per school); up to 250 schools a region, then more copies.
    """
    base = load_scenario(NATIONAL).model_dump()
    schools = max(1, round(learners / LEARNERS_PER_SCHOOL))
    copies = max(1, round(schools / REGION_SCHOOLS))
    per_region = max(1, round(schools / copies))
    base["name"] = f"sized-{learners}"
    base["description"] = f"national proportions, about {learners:,} learners"
    base["regions"] = [
        {
            "name": "region",
            "copies": copies,
            "generate": {"schools": per_region, "companies": 3 * per_region // 2, "partnerships": per_region},
        }
    ]
    return Scenario.model_validate(base)


def model_of(scenario: Scenario | Path, months: int | None = None, engine: str = "numba") -> EcosystemModel:
    """ecosim's model as a benchmark runs it: no DataCollector reporters, no invariant checks."""
    return EcosystemModel(scenario, months=months, engine=engine, reporters=(), check_invariants=False)


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB: VmHWM, its own (ru_maxrss keeps a forked parent's across exec)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quiet_env(**changes: str) -> dict[str, str]:
    """This process's environment for a child, without invariant checks (tests switch them on), with `changes`."""
    env = {k: v for k, v in os.environ.items() if k != "ECOSIM_CHECK_INVARIANTS"}
    return {**env, **changes}


def measured_child(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run `command` from the project folder: (wall seconds, its peak RSS in MiB, its stdout).

    The peak is the child's ru_maxrss, which also counts this process's size when it forked:
    figures of a child are its own while this process is smaller (run memory items first).

    Raises RuntimeError with the end of its stderr if it fails.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env or quiet_env(), stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {child.returncode}: {err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def child_json(module: str, *args: str) -> dict:
    """Run ``python -m module args`` and return the JSON object it prints last."""
    _, _, out = measured_child([sys.executable, "-m", module, *args])
    return json.loads(out.strip().splitlines()[-1])
