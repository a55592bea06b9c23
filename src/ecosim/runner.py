"""One run: ``ecosim.run(RunSpec.of(scenario, strategy=..., seed=...))`` returns a RunResult."""

import functools
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from ecosim.model import EcosystemModel
from ecosim.record import outcomes
from ecosim.scenario import Scenario
from ecosim.spec import RECORDED, RunId, RunSpec
from ecosim.tables import ENTITY_TABLES, entity_tables, event_table


@dataclass
class RunResult:
    """What one run produced: its spec, outcomes, the tables it recorded, and its manifest (provenance)."""

    spec: RunSpec
    outcomes: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]

    @property
    def run_id(self) -> RunId:
        """The id of the results, known before the run (:attr:`RunSpec.run_id`)."""
        return self.spec.run_id

    @property
    def indicators(self) -> pd.DataFrame:
        """The per-month indicators (if the spec records them)."""
        return self._table("indicators")

    @property
    def events(self) -> pd.DataFrame:
        """The event log (if the spec records it)."""
        return self._table("events")

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise KeyError(f"{name}: not recorded by this run (its spec records {', '.join(self.spec.record)})")
        return self.tables[name]


def run(
    spec: RunSpec | Scenario | str | Path,
    strategy: str | None = None,
    seed: int | None = None,
    months: int | None = None,
    engine: str = "numba",
    overrides: dict[str, Any] | None = None,
    record: tuple[str, ...] = RECORDED,
    on_month: Callable[[int, int], None] | None = None,
    check_invariants: bool | None = None,
) -> RunResult:
    """Run a RunSpec, or a scenario with the keywords of :meth:`RunSpec.of`, and return its RunResult.

    The result is a function of the spec alone: the same spec gives bit-identical tables and
    outcomes on either engine. `on_month(done, months)` is called after each month (progress bars).
    """
    if not isinstance(spec, RunSpec):
        spec = RunSpec.of(spec, strategy, seed, overrides, months=months, engine=engine, record=record)
    elif (strategy, seed, months, engine, overrides, record) != (None, None, None, "numba", None, RECORDED):
        raise TypeError("run(spec): the spec holds strategy, seed, months, engine, overrides and record")
    model = EcosystemModel(
        spec.scenario,
        strategy=spec.strategy,
        months=spec.months,
        engine=spec.engine,
        rng=spec.seed,
        reporters=(),
        overrides=dict(spec.overrides),
        check_invariants=check_invariants,
    )
    while model.running:
        model.step()
        if on_month is not None:
            on_month(model.world.month, model.months)
    world = model.world
    entities = [name for name in ENTITY_TABLES if name in spec.record or name == "partnerships"]  # outcomes need it
    tables = {"indicators": model.recorder.frame(), "events": event_table(world), **entity_tables(world, entities)}
    found = outcomes(
        tables["indicators"], tables["events"], tables["partnerships"], spec.scenario.outcome_month, spec.months
    )
    manifest = {
        **spec.describe(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        **git_state(),
    }
    return RunResult(spec, found, {name: tables[name] for name in spec.record}, manifest)


DEPENDENCIES = ("ecosim", "numpy", "numba", "pandas", "pyarrow", "mesa", "pydantic")


@functools.cache
def versions() -> dict[str, str]:
    """Python's and the main packages' versions: what a result needs to be reproduced."""
    found = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


@functools.cache
def git_state() -> dict[str, str | bool | None]:
    """The source tree's git commit and whether it had uncommitted changes (None outside a checkout).

    Asked once per process: every run of a batch shares the answer.
    """

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout if out.returncode == 0 else None

    revision = git("rev-parse", "HEAD")
    if not revision:
        return {"git_revision": None, "git_dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_revision": revision.strip(), "git_dirty": None if status is None else bool(status.strip())}
