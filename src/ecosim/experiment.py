"""Experiment files: scenarios x strategies x a design (grid sweeps, sampled ranges) x replications.

An experiment file (TOML, validated like a scenario; `ecosim schema --experiment`) expands
into one :class:`~ecosim.spec.RunSpec` per run, each with its labels (scenario, strategy,
design point, replication). Seed policy: replication r runs with seed `first_seed + r`
under every scenario variant, strategy and design point, so strategies and design points
see common random numbers and every comparison between them is paired.
"""

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import qmc

from ecosim.parameters import Parameters
from ecosim.scenario import (
    MAX_SEED,
    FieldMistake,
    SafeName,
    Scenario,
    ScenarioError,
    _read_toml,
    describe_error,
    first_error,
    load_scenario,
    scenario_root,
)
from ecosim.spec import RECORDED, RunSpec

NONE = "none"  # the strategy name of "no strategy" in experiment files and results
MAX_RUNS = 10_000_000


class ExperimentError(ScenarioError):
    """A mistake in an experiment file, explained in one line (file, field, expected, found)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sample(_Strict):
    """Points drawn over parameter ranges by a seeded design."""

    method: Literal["lhs", "sobol", "saltelli", "morris"] = Field(
        "lhs", description="Latin hypercube or Sobol' sequence (SciPy qmc); Saltelli or Morris (SALib)"
    )
    points: int = Field(
        ge=1, le=1_000_000, description="lhs/sobol: points; saltelli: base samples N; morris: trajectories"
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the design (not of the runs)")
    ranges: dict[str, tuple[float, float]] = Field(min_length=1, description="parameter -> [low, high]")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels")

    @model_validator(mode="after")
    def _ranges(self) -> "Sample":
        for name, (low, high) in self.ranges.items():
            if not low < high:
                raise FieldMistake(("ranges", name), f"expected [low, high] with low < high, found [{low:g}, {high:g}]")
        if self.method == "sobol" and self.points & (self.points - 1):
            raise FieldMistake(("points",), f"expected a power of 2 for a Sobol' sequence, found {self.points}")
        return self


class Adaptive(_Strict):
    """Add replications in rounds until every strategy's paired interval against a reference is narrow enough."""

    outcome: str = Field(description="the outcome compared (a key of the outcomes table)")
    against: str = Field(NONE, description="the strategy every other strategy is compared with")
    width: float = Field(gt=0, le=1e9, description="target full width of the paired confidence interval")
    level: float = Field(0.95, gt=0, lt=1, description="confidence level")
    step: int = Field(10, ge=1, le=100_000, description="replications added per round")
    max_replications: int = Field(ge=2, le=100_000, description="the cap on replications")

    @model_validator(mode="after")
    def _outcome(self) -> "Adaptive":
        from ecosim.tables import OUTCOMES

        if self.outcome not in OUTCOMES:
            raise FieldMistake(
                ("outcome",), f"expected one of the outcomes ({', '.join(OUTCOMES)}), found {self.outcome!r}"
            )
        return self


class Experiment(_Strict):
    """A whole experiment file."""

    name: SafeName
    description: str = Field("", max_length=10_000)
    scenarios: list[str] = Field(min_length=1, description="scenario files, relative to this file")
    strategies: list[str] | Literal["all"] = Field(
        default_factory=lambda: [NONE], description="strategies to run ('none' for no strategy), or 'all'"
    )
    replications: int = Field(1, ge=1, le=100_000, description="seeds first_seed .. first_seed + replications - 1")
    first_seed: int = Field(1, ge=0, le=MAX_SEED - 100_000)
    months: int | None = Field(None, ge=1, le=1200, description="default: each scenario's horizon")
    record: list[str] = Field(default_factory=list, description=f"tables to keep besides outcomes: {list(RECORDED)}")
    sweep: dict[str, list[Any]] = Field(default_factory=dict, description="parameter -> values: a full grid")
    sample: Sample | None = None
    adaptive: Adaptive | None = None
    combine: Literal["factorial", "joint"] = Field(
        "factorial", description="factorial: every grid point with every sample point; joint: grid values sampled too"
    )

    @model_validator(mode="after")
    def _known(self) -> "Experiment":
        known = set(Parameters.model_fields)
        for where, names in (
            (("sweep",), self.sweep),
            (("sample", "ranges"), self.sample.ranges if self.sample else {}),
        ):
            for name in names:
                if name not in known:
                    raise FieldMistake((*where, name), f"expected a parameter name, found {name!r}")
        for name, values in self.sweep.items():
            if not values:
                raise FieldMistake(("sweep", name), "expected at least one value, found none")
        for k, name in enumerate(self.record):
            if name not in RECORDED:
                raise FieldMistake(("record", k), f"expected one of {', '.join(RECORDED)}, found {name!r}")
        if self.sample and set(self.sample.ranges) & set(self.sweep):
            both = ", ".join(sorted(set(self.sample.ranges) & set(self.sweep)))
            raise FieldMistake(("sample", "ranges"), f"expected parameters not also in sweep, found {both}")
        if self.combine == "joint" and not self.sample:
            raise FieldMistake(("combine",), "expected 'factorial' without a sample, found 'joint'")
        if self.adaptive and self.adaptive.max_replications < self.replications:
            found = self.adaptive.max_replications
            raise FieldMistake(
                ("adaptive", "max_replications"), f"expected at least replications ({self.replications}), found {found}"
            )
        return self


@dataclass(frozen=True)
class PlannedRun:
    """One run of an experiment: its spec and the labels the results carry."""

    spec: RunSpec
    scenario: str
    strategy: str
    point: int
    replication: int
    design: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Plan:
    """An expanded experiment: the file's content and hash, its design points and every run."""

    experiment: Experiment
    path: Path
    content_hash: str
    points: tuple[dict[str, Any], ...]
    runs: tuple[PlannedRun, ...]
    scenarios: tuple[Scenario, ...]
    allowed: tuple[Path, ...] = ()
    replications: int = 1

    def extended(self, replications: int) -> "Plan":
        """The same experiment with `replications` replications: the runs so far, then the new ones."""
        return plan(self.path, self.allowed, replications)

    def describe(self) -> dict[str, Any]:
        """The plan as manifest fields."""
        return {
            "experiment": self.experiment.name,
            "file": str(self.path),
            "content": self.experiment.model_dump(mode="json"),
            "content_hash": self.content_hash,
            "design": {
                "sweep": self.experiment.sweep,
                "sample": self.experiment.sample.model_dump(mode="json") if self.experiment.sample else None,
                "combine": self.experiment.combine,
                "points": [dict(p) for p in self.points],
            },
            "seeds": {"first_seed": self.experiment.first_seed, "replications": self.replications},
            "runs": len(self.runs),
        }


def load_experiment(path: str | Path, allowed: tuple[Path, ...] = ()) -> Experiment:
    """Read and validate an experiment file; ExperimentError on any mistake."""
    path = Path(path)
    try:
        data = _read_toml(path)
    except ScenarioError as exc:
        raise ExperimentError(str(exc)) from None
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        error = first_error(exc)
        raise ExperimentError(f"{path}: {describe_error(error, root=Experiment)}") from None


def design_points(experiment: Experiment) -> list[dict[str, Any]]:
    """The design: grid points crossed with (or sampled jointly with) sample points; [{}] for neither."""
    grid_names = list(experiment.sweep)
    grid = [dict(zip(grid_names, values, strict=True)) for values in itertools.product(*experiment.sweep.values())]
    sample = experiment.sample
    if sample is None:
        return grid or [{}]
    names = list(sample.ranges)
    if experiment.combine == "joint":
        names += grid_names
    unit = _unit_points(sample, len(names))
    points = []
    for row in unit:
        point = {}
        for name, u in zip(names, row, strict=True):
            if name in sample.ranges:
                low, high = sample.ranges[name]
                point[name] = _cast(name, low + u * (high - low))
            else:  # a grid parameter sampled jointly: one of its listed values
                values = experiment.sweep[name]
                point[name] = values[min(int(u * len(values)), len(values) - 1)]
        points.append(point)
    if experiment.combine == "joint" or not grid:
        return points
    return [{**g, **p} for g in grid for p in points]


def _unit_points(sample: Sample, dimensions: int) -> np.ndarray:
    """Design points in the unit cube, rows = points."""
    if sample.method == "lhs":
        return qmc.LatinHypercube(d=dimensions, seed=sample.seed).random(sample.points)
    if sample.method == "sobol":
        return qmc.Sobol(d=dimensions, scramble=True, seed=sample.seed).random(sample.points)
    problem = {"num_vars": dimensions, "names": [f"x{k}" for k in range(dimensions)], "bounds": [[0, 1]] * dimensions}
    if sample.method == "saltelli":
        from SALib.sample import sobol as saltelli

        return saltelli.sample(problem, sample.points, calc_second_order=False, seed=sample.seed)
    from SALib.sample import morris

    return morris.sample(problem, sample.points, num_levels=sample.levels, seed=sample.seed)


def _cast(name: str, value: float) -> Any:
    """A sampled value as its parameter's type (integers rounded)."""
    return int(round(value)) if Parameters.model_fields[name].annotation is int else float(value)


def plan(path: str | Path, allowed: tuple[Path, ...] = (), replications: int | None = None) -> Plan:
    """Expand an experiment file into its runs, checking every scenario, strategy and design point.

    `replications` overrides the file's (adaptive rounds extend a plan this way).
    """
    path = Path(path)
    experiment = load_experiment(path, allowed)
    root = (*allowed, scenario_root(path))
    scenarios = []
    for k, name in enumerate(experiment.scenarios):
        scenario_path = path.parent / name
        if not any(scenario_path.resolve().is_relative_to(Path(r).resolve()) for r in root):
            raise ExperimentError(f"{path}: scenarios.{k}: expected a file inside {root[-1]}, found a path outside it")
        try:
            scenarios.append(load_scenario(scenario_path, tuple(allowed)))
        except ScenarioError as exc:
            raise ExperimentError(f"{path}: scenarios.{k}: {exc}") from None
    points = design_points(experiment)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ExperimentError(f"{path}: scenarios: expected scenarios of different names, found {names}")
    count = (
        len(scenarios)
        * len(points)
        * experiment.replications
        * max(
            len(s.strategies) + 1 if experiment.strategies == "all" else len(experiment.strategies) for s in scenarios
        )
    )
    if count > MAX_RUNS:
        raise ExperimentError(f"{path}: expected at most {MAX_RUNS:,} runs, found a design of {count:,}")
    runs = []
    replications = experiment.replications if replications is None else replications
    for r in range(replications):  # replication first: more replications (adaptive rounds) only append runs
        for scenario in scenarios:
            strategies = [NONE, *scenario.strategies] if experiment.strategies == "all" else experiment.strategies
            for strategy in strategies:
                for p, point in enumerate(points):
                    try:
                        spec = RunSpec.of(
                            scenario,
                            None if strategy == NONE else strategy,
                            experiment.first_seed + r,
                            point,
                            months=experiment.months,
                            record=tuple(experiment.record),
                        )
                    except ScenarioError as exc:
                        raise ExperimentError(
                            f"{path}: {scenario.name}, strategy {strategy}, point {p}: {exc}"
                        ) from None
                    runs.append(PlannedRun(spec, scenario.name, strategy, p, r, tuple(sorted(point.items()))))
    text = json.dumps(experiment.model_dump(mode="json"), sort_keys=True)
    content = hashlib.sha256(text.encode()).hexdigest()
    return Plan(experiment, path, content, tuple(points), tuple(runs), tuple(scenarios), tuple(allowed), replications)


def json_schema() -> dict:
    """The JSON Schema of an experiment file, for editors."""
    return Experiment.model_json_schema()
