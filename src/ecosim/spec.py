"""What one run is, before it runs: a frozen RunSpec and its RunId.

The roles follow Mesa 4's experiment API: the scenario file is the *Scenario* (world,
parameters, strategies); months, engine and what to record are the *RunConfiguration*; a
RunSpec joins one scenario variant (strategy, overrides, seed) to one configuration, and
its :attr:`RunSpec.run_id` names the results. The id hashes exactly what decides the
results: the world (sectors and regions), the resolved parameters, the seed, the months,
the reference month and the source of the code that computes them. It leaves out what
does not change a number: the scenario's name and description, strategies not used, the
name of the strategy (only the values it sets), the engine (both are bit-identical) and
what is recorded.
"""

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NewType

from ecosim.compile_cache import source_hash
from ecosim.kernels import ENGINES
from ecosim.parameters import Parameters
from ecosim.scenario import MAX_SEED, Scenario, ScenarioError, content_hash, load_scenario

RunId = NewType("RunId", str)

RESULT_SOURCES = ("rng.py", "kernels/*.py", "world.py", "build.py", "schedule.py", "record.py")
"""The package files whose code decides a run's numbers (part of every run id)."""

RECORDED = ("indicators", "events", "organisations", "bridge_builders", "partnerships", "learners")
"""The tables a run can keep beside its outcomes (the outcomes are always kept)."""


@dataclass(frozen=True)
class RunConfiguration:
    """How to run a scenario variant: months (None: the scenario's horizon), engine, tables to keep."""

    months: int | None = None
    engine: str = "numba"
    record: tuple[str, ...] = RECORDED

    def __post_init__(self) -> None:
        if self.months is not None and self.months < 0:
            raise ScenarioError(f"months: expected 0 or more, found {self.months}")
        if self.engine not in ENGINES:
            raise ScenarioError(f"engine: expected one of {', '.join(ENGINES)}, found {self.engine!r}")
        unknown = [name for name in self.record if name not in RECORDED]
        if unknown:
            raise ScenarioError(f"record: expected tables among {', '.join(RECORDED)}, found {', '.join(unknown)}")
        object.__setattr__(self, "record", tuple(name for name in RECORDED if name in self.record))


@dataclass(frozen=True)
class RunSpec:
    """One run, complete: a pure function of it gives the RunResult (:func:`ecosim.runner.run`).

    Build it with :meth:`of`, which resolves the defaults (seed, months) and checks the
    strategy and overrides, so every field holds the value the run will use.
    """

    scenario: Scenario
    strategy: str | None
    overrides: tuple[tuple[str, Any], ...]
    seed: int
    months: int
    engine: str = "numba"
    record: tuple[str, ...] = RECORDED
    parameters: Parameters = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", self.scenario.parameters_for(self.strategy, dict(self.overrides)))

    @classmethod
    def of(
        cls,
        scenario: Scenario | str | Path,
        strategy: str | None = None,
        seed: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        configuration: RunConfiguration | None = None,
        **config: Any,
    ) -> "RunSpec":
        """The spec of a run of `scenario` (a Scenario or a file) with the given variant and configuration.

        `config` (months, engine, record) is a shorthand for `configuration`.
        """
        if configuration is not None and config:
            raise TypeError("give either a RunConfiguration or its fields, not both")
        configuration = configuration or RunConfiguration(**config)
        scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        seed = scenario.seed if seed is None else int(seed)
        if not 0 <= seed <= MAX_SEED:
            raise ScenarioError(f"seed: expected a seed between 0 and {MAX_SEED}, found {seed}")
        return cls(
            scenario=scenario,
            strategy=strategy,
            overrides=tuple(sorted((overrides or {}).items())),
            seed=seed,
            months=scenario.horizon if configuration.months is None else configuration.months,
            engine=configuration.engine,
            record=configuration.record,
        )

    @property
    def configuration(self) -> RunConfiguration:
        """Months, engine and recorded tables of this run."""
        return RunConfiguration(self.months, self.engine, self.record)

    def results_key(self) -> dict[str, Any]:
        """Everything that decides this run's numbers, as plain JSON values."""
        world = self.scenario.model_dump(mode="json", include={"sectors", "regions"})
        return {
            "world": world,
            "parameters": self.parameters.model_dump(mode="json"),
            "seed": self.seed,
            "months": self.months,
            "reference_month": self.scenario.outcome_month,
            "code": code_hash(),
        }

    @cached_property
    def run_id(self) -> RunId:
        """16 hex digits naming the results (not the label): the same for every spec that gives the same numbers."""
        text = json.dumps(self.results_key(), sort_keys=True, separators=(",", ":"))
        return RunId(hashlib.sha256(text.encode()).hexdigest()[:16])

    def describe(self) -> dict[str, Any]:
        """The spec as manifest fields: labels, the resolved parameters and the configuration."""
        return {
            "run_id": self.run_id,
            "scenario": self.scenario.name,
            "scenario_hash": content_hash(self.scenario),
            "strategy": self.strategy,
            "overrides": dict(self.overrides),
            "parameters": self.parameters.model_dump(),
            "seed": self.seed,
            "months": self.months,
            "reference_month": self.scenario.outcome_month,
            "engine": self.engine,
            "recorded": list(self.record),
            "code_hash": code_hash(),
        }


@functools.cache
def code_hash() -> str:
    """Hash of the source files that decide the numbers (:data:`RESULT_SOURCES`); read once per process."""
    return source_hash(RESULT_SOURCES)
