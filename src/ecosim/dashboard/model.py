"""The model behind the Explore page: the scenarios it offers, runs cached by what decides them, a warm-up at start.

A baseline run of 120 months takes a fraction of a second once the kernels are compiled;
the first run on a machine compiles them (1-2 minutes), so the app loads or compiles them
in a background thread as it starts and the page says so until they are ready.
"""

import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ecosim.compile_cache import is_warm, use_keyed_cache_dir
from ecosim.dashboard.data import DEPTH, LRU, DashboardError, Results, inside
from ecosim.parameters import Parameters
from ecosim.scenario import MAX_SEED, Scenario, largest_world, load_scenario

SHIPPED, UNDER_ROOT = "shipped", "results"
MAX_ORGANISATIONS = 500  # more nodes than the network figure can show legibly
RECORD = ("indicators", "events", "partnerships")
NETWORK_COLUMNS = ["partnership", "school", "company", "school_name", "company_name", "start", "end", "ecosystem"]
EVENT_COLUMNS = ["month", "event", "partnership", "ecosystem"]
SLIDERS = {  # parameter -> (label, low, high, step); funding_end's high is the scenario's horizon
    "funding_end": ("funding end (month)", 0, None, 1),
    "handover_rate": ("handover rate h (1/month)", 0.0, 0.2, 0.005),
    "merge_rate": ("merge rate m (1/month)", 0.0, 0.2, 0.005),
    "leave_rate": ("bridge-builder leave rate q (1/month)", 0.0, 1.0, 0.05),
}


def shipped_folder(near: Path = Path(__file__)) -> Path | None:
    """The repository's scenarios/ folder, searched above this package, then above the working directory.

    The same search as the shipped experiment files (:func:`ecosim.validation.experiment_file`):
    a source checkout finds its own files; an installed wheel has none, and the page then
    offers only the scenario files under the results root.
    """
    for folder in (*near.resolve().parents, Path.cwd().resolve(), *Path.cwd().resolve().parents):
        candidate = folder / "scenarios"
        if candidate.is_dir() and any(candidate.glob("*.toml")):
            return candidate
    return None


def is_scenario_file(path: Path) -> bool:
    """Whether a TOML file looks like a scenario (it has regions or extends another), not an experiment."""
    try:
        content = tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return "regions" in content or "extends" in content


@dataclass(frozen=True)
class ExploreRun:
    """What the Explore page shows of one run: its tables, outcomes, months and funding end."""

    label: str
    strategy: str
    indicators: pd.DataFrame
    partnerships: pd.DataFrame
    events: pd.DataFrame
    outcomes: dict[str, Any]
    months: int
    funding_end: int
    run_id: str


class Models:
    """Scenarios to explore and their runs, cached by (scenario, strategy, parameters, seed)."""

    def __init__(self, results: Results, cached_runs: int = 16):
        self.results = results
        self.shipped = shipped_folder()
        self._runs = LRU(cached_runs)
        self._scenarios = LRU(16)
        self.warm = threading.Event()
        self.warm_error: str | None = None
        self.compiled = is_warm(use_keyed_cache_dir())  # kernels already compiled on this machine: only loaded

    # ----------------------------------------------------------------------- scenarios

    def scenarios(self) -> list[dict[str, str]]:
        """Dropdown options: the shipped scenarios, then scenario files under the results root."""
        options = []
        if self.shipped is not None:
            for path in sorted(self.shipped.glob("*.toml")):
                options.append({"label": f"{path.name} (shipped)", "value": f"{SHIPPED}:{path.name}"})
        root = self.results.root
        for top, dirs, files in os.walk(root):
            here = Path(top)
            dirs[:] = [d for d in sorted(dirs) if not d.startswith(".") and len(here.relative_to(root).parts) < DEPTH]
            for name in sorted(files):
                path = here / name
                if name.endswith(".toml") and path.resolve().is_relative_to(root) and is_scenario_file(path):
                    relative = path.relative_to(root).as_posix()
                    options.append({"label": f"{relative} (results)", "value": f"{UNDER_ROOT}:{relative}"})
        return options

    def path(self, value: str) -> Path:
        """The scenario file a dropdown value names, checked: a shipped file by name, or a file under the root."""
        where, _, name = str(value).partition(":")
        if where == SHIPPED and self.shipped is not None:
            path = self.shipped / name
            if "/" in name or "\\" in name or not path.is_file():
                raise DashboardError(f"scenario: expected a shipped scenario file, found {name!r}")
            return path
        if where == UNDER_ROOT:
            path = inside(self.results.root, name)
            if path.suffix != ".toml" or not path.is_file():
                raise DashboardError(
                    f"scenario: expected a scenario file (.toml) under the results root, found {name!r}"
                )
            return path
        raise DashboardError(f"scenario: expected a shipped scenario or one under the results root, found {value!r}")

    def scenario(self, value: str) -> Scenario:
        """The scenario a dropdown value names, loaded once per file version; too large a world is refused."""
        path = self.path(value)
        loaded = self._scenarios.get((str(path), path.stat().st_mtime_ns), lambda: load_scenario(path))
        organisations = largest_world(loaded)[1]
        if organisations > MAX_ORGANISATIONS:
            raise DashboardError(
                f"{path.name}: expected a world the network figure can draw (at most {MAX_ORGANISATIONS} "
                f"organisations), found up to {organisations:,}; run it with `ecosim run {path.name}` instead"
            )
        return loaded

    def defaults(self, value: str, strategy: str | None) -> dict[str, Any]:
        """The slider parameters' values under the scenario and strategy (what a run without overrides uses)."""
        parameters = self.scenario(value).parameters_for(strategy)
        return {name: getattr(parameters, name) for name in SLIDERS}

    # ----------------------------------------------------------------------- runs

    def run(self, value: str, strategy: str | None, seed: int, settings: dict[str, Any]) -> ExploreRun:
        """A run of the scenario with the strategy, seed and slider settings (overrides), from the cache if it ran."""
        from ecosim.spec import RunSpec

        scenario = self.scenario(value)
        if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise DashboardError(f"seed: expected a whole number between 0 and {MAX_SEED}, found {seed!r}")
        overrides = {}
        for name, setting in settings.items():
            if name not in SLIDERS or setting is None:
                raise DashboardError(f"{name}: expected a value for a parameter of the sliders, found {setting!r}")
            kind = Parameters.model_fields[name].annotation
            overrides[name] = int(round(setting)) if kind is int else float(setting)
        spec = RunSpec.of(scenario, strategy, seed, overrides, record=RECORD)
        label = f"{scenario.name}, strategy {strategy or 'none'}, seed {seed}"
        return self._runs.get((value, spec.run_id), lambda: self._execute(spec, label))

    def _execute(self, spec, label: str) -> ExploreRun:
        from ecosim.runner import run

        self.warm.wait()
        result = run(spec)
        return ExploreRun(
            label=label,
            strategy=spec.strategy or "none",
            indicators=result.indicators,
            partnerships=result.tables["partnerships"],
            events=result.events,
            outcomes=result.outcomes,
            months=spec.months,
            funding_end=spec.parameters.funding_end,
            run_id=spec.run_id,
        )

    def saved(self, name: str) -> ExploreRun:
        """A single run saved under the root (``ecosim run --out``), with the tables the network needs."""
        folder = self.results.folder(name)
        if folder.kind != "run":
            raise DashboardError(f"{name}: expected a single run's folder (ecosim run), found an experiment's")
        missing = [kind for kind in RECORD if not (folder.path / f"{kind}.parquet").is_file()]
        if missing:
            raise DashboardError(f"{name}: expected the tables {', '.join(RECORD)}, found no {', '.join(missing)}")
        stamp = (folder.path / "manifest.json").stat().st_mtime_ns
        key = ("saved", str(folder.path), stamp)
        return self._runs.get(key, lambda: self._read_saved(folder.path, folder.manifest))

    @staticmethod
    def _read_saved(path: Path, manifest: dict[str, Any]) -> ExploreRun:
        def read(kind: str, columns: list[str] | None = None) -> pd.DataFrame:
            return pq.read_table(path / f"{kind}.parquet", columns=columns).to_pandas()

        return ExploreRun(
            label=f"saved run {path.name}",
            strategy=str(manifest.get("strategy") or "none"),
            indicators=read("indicators"),
            partnerships=read("partnerships", NETWORK_COLUMNS),
            events=read("events", EVENT_COLUMNS),
            outcomes=manifest.get("outcomes") or {},
            months=int(manifest.get("months") or 0),
            funding_end=int((manifest.get("parameters") or {}).get("funding_end", 0)),
            run_id=str(manifest.get("run_id", "")),
        )

    # ----------------------------------------------------------------------- warm-up

    def start_warm_up(self) -> threading.Thread:
        """Load (or compile) the kernels in a background thread; `warm` is set when runs can start."""
        thread = threading.Thread(target=self._warm_up, name="ecosim-dashboard-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm_up(self) -> None:
        from ecosim.runner import run
        from ecosim.spec import RunSpec

        try:
            options = self.scenarios()
            if options:
                spec = RunSpec.of(load_scenario(self.path(options[0]["value"])), months=1, record=("indicators",))
                run(spec, check_invariants=False)
        except Exception as exc:  # noqa: BLE001 - reported on the page; a run then says what is wrong
            self.warm_error = f"{type(exc).__name__}: {exc}"
        finally:
            self.warm.set()
