"""One run from Python: ``ecosim.run(scenario, strategy=..., seed=...)`` returns a RunResult."""

import functools
import hashlib
import json
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
from ecosim.scenario import Scenario, content_hash, load_scenario
from ecosim.store import write_run
from ecosim.tables import column_metadata, entity_tables, event_table


@dataclass
class RunResult:
    """What one run produced: indicators per month, events, final entity tables, outcomes, provenance."""

    indicators: pd.DataFrame
    events: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    outcomes: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def run_id(self) -> str:
        """Content id: scenario hash, strategy, seed and months."""
        return self.manifest["run_id"]

    def save(self, folder: str | Path) -> Path:
        """Write indicators, events, entity tables (Parquet, columns described) and the manifest into `folder`."""
        tables = {"indicators": self.indicators, "events": self.events, **self.tables}
        return write_run(Path(folder), tables, {**self.manifest, "outcomes": self.outcomes}, column_metadata(tables))


def run(
    scenario: Scenario | str | Path,
    strategy: str | None = None,
    seed: int | None = None,
    months: int | None = None,
    engine: str = "numba",
    overrides: dict[str, Any] | None = None,
    on_month: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run a scenario (optionally under a strategy) and return its RunResult.

    Args:
        scenario: a Scenario or the path of a scenario file.
        strategy: a strategy named in the scenario, or None.
        seed: the keyed seed (default: the scenario's).
        months: months to run (default: the scenario's horizon).
        engine: 'numba' or 'python'.
        overrides: parameter values applied after the strategy's.
        on_month: called with (months done, months in all) after each month (progress bars).

    """
    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    model = EcosystemModel(
        scenario, strategy=strategy, months=months, engine=engine, rng=seed, reporters=(), overrides=overrides
    )
    while model.running:
        model.step()
        if on_month is not None:
            on_month(model.world.month, model.months)
    indicators = model.recorder.frame()
    tables = entity_tables(model.world)
    manifest = _manifest(scenario, model)
    return RunResult(
        indicators,
        event_table(model.world),
        tables,
        outcomes(indicators, tables["partnerships"], model.recorder, model.months),
        manifest,
    )


def _manifest(scenario: Scenario, model: EcosystemModel) -> dict[str, Any]:
    scenario_hash = content_hash(scenario)
    key = json.dumps([scenario_hash, model.strategy, model.overrides, model.seed, model.months], sort_keys=True)
    return {
        "run_id": hashlib.sha256(key.encode()).hexdigest()[:16],
        "scenario": scenario.name,
        "scenario_hash": scenario_hash,
        "strategy": model.strategy,
        "overrides": model.overrides,
        "parameters": model.parameters.model_dump(),
        "seed": model.seed,
        "months": model.months,
        "engine": model.engine.name,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        **git_state(),
    }


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
