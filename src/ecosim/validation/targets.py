"""Calibration targets: read the targets file, measure the targets on replicated runs, report Check rows.

The targets file (``experiments/calibration-targets.toml``) defines every target, its range
and its sources; this module only computes, with the estimators of
:mod:`ecosim.analysis.hazards` (at risk, age, monthly and annual hazard, cohort are defined there).

Numerators and denominators are summed over replications (seeds 1..R) before dividing;
intervals are percentile intervals of a bootstrap that resamples whole replications.
"""

import math
import tomllib
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.analysis.hazards import (
    Window,
    annual_hazard,
    bootstrap_weights,
    cluster_bootstrap,
    end_months,
    hazard_counts,
    survival_counts,
)
from ecosim.scenario import Scenario, load_scenario
from ecosim.spec import RunSpec
from ecosim.validation import Check, experiment_file

TARGETS_FILE = Path("experiments") / "calibration-targets.toml"
MEASURES = ("survival", "hazard", "hazard_ratio")
COHORTS = ("all", "alive_at_reference")
KINDS = ("calendar", "age")
CLUSTERS = ("seed", "region")


class TargetsError(ValueError):
    """A missing or malformed targets file, explained in one line."""


# --------------------------------------------------------------------------- the file

@dataclass(frozen=True)
class Target:
    """One calibration target as the file defines it."""

    name: str
    title: str
    measure: str  # one of MEASURES
    range: tuple[float, float]
    aim: tuple[float, float]
    require: str  # "estimate" or "interval"
    scale: str  # "linear" or "log"
    sources: tuple[str, ...]  # full references
    what: str
    follow: int = 0  # survival: months after T
    window: Window | None = None  # hazard
    numerator: Window | None = None  # hazard_ratio
    denominator: Window | None = None
    weight: float = 1.0
    tolerance: float | None = None  # calibration: the distance (on the scale) that counts as one unit

    def expected(self) -> str:
        """The pass rule in words, e.g. 'estimate in [0.7225, 0.75]'."""
        lo, hi = self.range
        what = "95% interval within" if self.require == "interval" else "estimate in"
        return f"{what} [{lo:g}, {'inf' if math.isinf(hi) else f'{hi:g}'}]"


@dataclass(frozen=True)
class SearchParameter:
    """A calibrated parameter and its search range; `scale` 'log' spreads samples evenly in log."""

    name: str
    low: float
    high: float
    scale: str
    design: float
    why: str

    def value(self, u: float) -> float:
        """The parameter value at position u in [0, 1] of the range."""
        u = min(max(float(u), 0.0), 1.0)
        if self.scale == "log":
            return math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)

    def unit(self, value: float) -> float:
        """Inverse of :meth:`value`."""
        if self.scale == "log":
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Scale:
    """A further scenario every target must hold on ([validation.scales.NAME]): one calibration for every scale.

    `cluster` is what the bootstrap resamples: whole seeds, or (for a few seeds of a world of
    many regions) each seed's regions, which share no partnership.
    """

    name: str
    path: Path
    replications: int  # seeds for `ecosim validate`
    calibration_replications: int  # seeds per calibration evaluation (0: validated, not searched on)
    cluster: str = "seed"


@dataclass(frozen=True)
class TargetsFile:
    """The parsed targets file: targets, the search space and the settings."""

    path: Path
    root: Path  # the repository root: the folder holding experiments/
    targets: tuple[Target, ...]
    parameters: tuple[SearchParameter, ...]
    validation: dict[str, Any]
    calibration: dict[str, Any]
    scales: tuple[Scale, ...] = ()

    @property
    def scenario_path(self) -> Path:
        """The validated scenario, resolved against the repository root."""
        return self.root / self.validation.get("scenario", "scenarios/baseline.toml")


def default_targets_path() -> Path:
    """experiments/calibration-targets.toml above this source file, then above the working directory."""
    try:
        return experiment_file(TARGETS_FILE.name, __file__)
    except FileNotFoundError as exc:
        raise TargetsError(f"no {TARGETS_FILE.as_posix()}: {exc}") from None


def load_targets(path: str | Path | None = None) -> TargetsFile:
    """Read and check the targets file; raise TargetsError naming the file and the field on any mistake."""
    path = default_targets_path() if path is None else Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetsError(f"{path}: expected a calibration targets file, found no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: expected valid TOML, found a syntax error: {exc}") from None
    root = path.resolve().parent.parent if path.resolve().parent.name == "experiments" else path.resolve().parent
    sources = raw.get("sources", {})
    targets = tuple(_target(path, name, spec, sources) for name, spec in raw.get("targets", {}).items())
    if not targets:
        raise TargetsError(f"{path}: targets: expected at least one [targets.NAME] table, found none")
    calibration = dict(raw.get("calibration", {}))
    parameters = tuple(_parameter(path, name, spec) for name, spec in calibration.pop("parameters", {}).items())
    validation = dict(raw.get("validation", {}))
    scales = tuple(_scale(path, root, name, spec) for name, spec in validation.pop("scales", {}).items())
    return TargetsFile(path, root, targets, parameters, validation, calibration, scales)


def _scale(path: Path, root: Path, name: str, spec: Any) -> Scale:
    where = f"validation.scales.{name}"
    if not isinstance(spec, dict) or not isinstance(spec.get("scenario"), str):
        raise TargetsError(f"{path}: {where}.scenario: expected a scenario path (text), found {spec!r}")
    counts = {}
    for key, least in (("replications", 1), ("calibration_replications", 0)):
        value = spec.get(key, spec.get("replications"))
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise TargetsError(f"{path}: {where}.{key}: expected a whole number of seeds >= {least}, found {value!r}")
        counts[key] = value
    cluster = spec.get("cluster", "seed")
    if cluster not in CLUSTERS:
        raise TargetsError(f"{path}: {where}.cluster: expected one of {', '.join(CLUSTERS)}, found {cluster!r}")
    unknown = set(spec) - {"scenario", "replications", "calibration_replications", "cluster"}
    if unknown:
        raise TargetsError(f"{path}: {where}: unknown field(s) {', '.join(sorted(unknown))}")
    return Scale(name, root / spec["scenario"], counts["replications"], counts["calibration_replications"], cluster)


def _pair(path: Path, where: str, value: Any) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(x, int | float) for x in value)
            and value[0] <= value[1]):
        raise TargetsError(f"{path}: {where}: expected [low, high] with low <= high, found {value!r}")
    return float(value[0]), float(value[1])


def _window(path: Path, where: str, spec: dict, kind: str | None = None) -> Window:
    kind = spec.get("kind", kind)
    if kind not in KINDS:
        raise TargetsError(f"{path}: {where}.kind: expected one of {', '.join(KINDS)}, found {kind!r}")
    key = "months" if kind == "calendar" else "ages"
    lo, hi = _pair(path, f"{where}.{key}", spec.get(key))
    cohort = spec.get("cohort", "all")
    if cohort not in COHORTS:
        raise TargetsError(f"{path}: {where}.cohort: expected one of {', '.join(COHORTS)}, found {cohort!r}")
    if kind == "age" and lo < 1:
        raise TargetsError(f"{path}: {where}.ages: expected ages from 1 (the first month at risk), found {lo:g}")
    return Window(kind, lo, hi, cohort)


def _target(path: Path, name: str, spec: dict, sources: dict[str, str]) -> Target:
    where = f"targets.{name}"
    measure = spec.get("measure")
    if measure not in MEASURES:
        raise TargetsError(f"{path}: {where}.measure: expected one of {', '.join(MEASURES)}, found {measure!r}")
    range_ = _pair(path, f"{where}.range", spec.get("range"))
    aim = _pair(path, f"{where}.aim", spec.get("aim", list(range_)))
    if aim[0] < range_[0] or aim[1] > range_[1]:
        raise TargetsError(f"{path}: {where}.aim: expected inside the range {list(range_)}, found {list(aim)}")
    require, scale = spec.get("require", "estimate"), spec.get("scale", "linear")
    if require not in ("estimate", "interval"):
        raise TargetsError(f"{path}: {where}.require: expected 'estimate' or 'interval', found {require!r}")
    if scale not in ("linear", "log"):
        raise TargetsError(f"{path}: {where}.scale: expected 'linear' or 'log', found {scale!r}")
    keys = spec.get("sources", [])
    if not keys:
        raise TargetsError(f"{path}: {where}.sources: expected at least one source key, found none")
    missing = [k for k in keys if not str(sources.get(k, "")).strip()]
    if missing:
        raise TargetsError(f"{path}: {where}.sources: expected keys of the [sources] table, found unknown {missing}")
    fields: dict[str, Any] = {}
    if measure == "survival":
        follow = spec.get("follow")
        if not isinstance(follow, int) or follow < 1:
            raise TargetsError(f"{path}: {where}.follow: expected months after T (an integer >= 1), found {follow!r}")
        fields["follow"] = follow
    elif measure == "hazard":
        fields["window"] = _window(path, where, spec, kind="calendar")
    else:
        for part in ("numerator", "denominator"):
            if not isinstance(spec.get(part), dict):
                raise TargetsError(f"{path}: {where}.{part}: expected a window table, found {spec.get(part)!r}")
            fields[part] = _window(path, f"{where}.{part}", spec[part])
    what = " ".join(str(spec.get("what", "")).split())
    return Target(name=name, title=spec.get("title", name), measure=measure, range=range_, aim=aim, require=require,
                  scale=scale, sources=tuple(sources[k] for k in keys), what=what,
                  weight=float(spec.get("weight", 1.0)),
                  tolerance=float(spec["tolerance"]) if "tolerance" in spec else None, **fields)


def _parameter(path: Path, name: str, spec: dict) -> SearchParameter:
    from ecosim.parameters import Parameters

    where = f"calibration.parameters.{name}"
    if name not in Parameters.model_fields:
        raise TargetsError(f"{path}: {where}: expected a model parameter, found unknown {name!r}")
    low, high = _pair(path, where, [spec.get("low"), spec.get("high")])
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log") or (scale == "log" and low <= 0):
        raise TargetsError(f"{path}: {where}.scale: expected 'linear', or 'log' with low > 0, "
                           f"found {scale!r}, low {low:g}")
    return SearchParameter(name, low, high, scale, float(spec.get("design", low)), spec.get("why", ""))


# --------------------------------------------------------------------------- runs

@dataclass(frozen=True)
class Sample:
    """The partnerships of R replications (columns rep, start, end), the reference month T and the months run."""

    partnerships: pd.DataFrame
    reps: tuple[int, ...]
    reference_month: int
    months: int


def simulate(scenario: Scenario | str | Path, replications: int, overrides: dict[str, float] | None = None,
             strategy: str | None = None, months: int | None = None, first_seed: int = 1, workers: int = 1,
             executor: Executor | None = None, cluster: str = "seed") -> Sample:
    """Run seeds first_seed..first_seed+R-1 and pool their partnership tables.

    The same seeds for every parameter set are the common random numbers of the calibration.
    The runs go through the batch engine (:func:`ecosim.batch.run_specs`): on `executor`, or
    in this process for one worker, or on a local Dask cluster of `workers`. With cluster =
    "region" every (seed, region) is its own replication (rep = seed*100000 + region number).
    """
    from ecosim.batch import run_specs

    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seeds = list(range(first_seed, first_seed + replications))
    specs = [RunSpec.of(scenario, strategy, seed, overrides, months=months, record=("partnerships",)) for seed in seeds]
    results = run_specs(specs, executor, workers)
    frames = []
    for seed, r in zip(seeds, results, strict=True):
        table = r.tables["partnerships"]
        rep = np.full(len(table), seed, np.int64)
        if cluster == "region":
            rep = rep * 100_000 + np.unique(table["region"].to_numpy(str), return_inverse=True)[1]
        frames.append(pd.DataFrame({"rep": rep, "start": table["start"].to_numpy(np.int64),
                                    "end": end_months(table["end"])}))
    frame = pd.concat(frames, ignore_index=True)
    first = results[0].outcomes
    return Sample(frame, tuple(int(x) for x in np.unique(frame["rep"])), int(first["reference_month"]),
                  int(first["months"]))


# --------------------------------------------------------------------------- measures

def target_counts(target: Target, sample: Sample) -> np.ndarray:
    """Per replication (rows in the order of sample.reps) the counts the target's estimate is a function of.

    survival: (survived, cohort); hazard: (endings, months at risk);
    hazard_ratio: (endings, months at risk) of the numerator, then of the denominator.
    """
    frame, T, months = sample.partnerships, sample.reference_month, sample.months
    start, end = frame["start"].to_numpy(np.int64), frame["end"].to_numpy(np.int64)
    if target.measure == "survival":
        if T + target.follow > months - 1:
            raise TargetsError(f"target {target.name}: needs month T+{target.follow} = {T + target.follow}, "
                               f"but the runs stop at month {months - 1}")
        columns = survival_counts(start, end, T, target.follow)
    elif target.measure == "hazard":
        assert target.window is not None
        columns = hazard_counts(start, end, target.window, T, months)
    else:
        assert target.numerator is not None and target.denominator is not None
        columns = (*hazard_counts(start, end, target.numerator, T, months),
                   *hazard_counts(start, end, target.denominator, T, months))
    index = pd.Index(sample.reps).get_indexer(frame["rep"].to_numpy())
    return np.stack([np.bincount(index, weights=c, minlength=len(sample.reps)) for c in columns], axis=1)


@dataclass(frozen=True)
class Measurement:
    """A target measured on pooled replications: estimate, bootstrap interval and the pooled counts."""

    value: float
    low: float
    high: float
    counts: tuple[float, ...]
    replications: int


def measure(sample: Sample, targets: Iterable[Target], bootstrap: int = 1000, level: float = 0.95,
            seed: int = 20261128) -> dict[str, Measurement]:
    """Measure every target on the sample, with a cluster-bootstrap interval over replications.

    All targets share the same bootstrap resamples (a deterministic function of `seed`).
    """
    R = len(sample.reps)
    weights = bootstrap_weights(R, bootstrap, seed)
    out = {}
    for target in targets:
        counts = target_counts(target, sample)
        value, low, high = cluster_bootstrap(target.measure, counts, weights, level)
        out[target.name] = Measurement(value, low, high, tuple(float(x) for x in counts.sum(axis=0)), R)
    return out


# --------------------------------------------------------------------------- checks

def passes(target: Target, m: Measurement) -> bool:
    """The target's pass rule: its estimate, or its whole interval, inside its range."""
    lo, hi = target.range
    if target.require == "interval":
        return bool(lo <= m.low and m.high <= hi)
    return bool(lo <= m.value <= hi)


def _note(target: Target, m: Measurement) -> str:
    c = m.counts
    if target.measure == "survival":
        text = f"{c[0]:.0f} of {c[1]:.0f} cohort partnerships not ended at T+{target.follow}"
    elif target.measure == "hazard":
        text = f"{c[0]:.0f} endings in {c[1]:.0f} partnership-months"
    else:
        assert target.numerator is not None and target.denominator is not None
        parts = []
        for window, d, n in ((target.numerator, c[0], c[1]), (target.denominator, c[2], c[3])):
            parts.append(f"{window.describe()}: annual {annual_hazard(d / n) if n else math.nan:.3f} ({d:.0f}/{n:.0f})")
        text = " vs ".join(parts)
    return f"{text}; {m.replications} replications; {target.what}"


def to_checks(targets: Iterable[Target], measurements: dict[str, Measurement]) -> list[Check]:
    """One Check row (group 'target') per target."""
    return [Check("target", t.name, t.expected(), measurements[t.name].value, measurements[t.name].low,
                  measurements[t.name].high, passes(t, measurements[t.name]), _note(t, measurements[t.name]))
            for t in targets]


def check_targets(targets: TargetsFile | str | Path | None = None, scenario: Scenario | str | Path | None = None,
                  replications: int | None = None, overrides: dict[str, float] | None = None,
                  workers: int = 1, first_seed: int = 1, scales: bool = False) -> list[Check]:
    """Measure every target on the scenario (default: the file's, i.e. the baseline) and return Check rows.

    Replications, bootstrap size and level default to the file's [validation] table. With
    `scales`, every target is measured again on each of the file's scales, on their own
    replications (check names "target [scale]").
    """
    spec = targets if isinstance(targets, TargetsFile) else load_targets(targets)
    v = spec.validation
    runs = [(None, scenario if scenario is not None else spec.scenario_path,
             replications or int(v.get("replications", 200)), "seed")]
    runs += [(sc.name, sc.path, sc.replications, sc.cluster) for sc in (spec.scales if scales else ())]
    checks = []
    for name, path, reps, cluster in runs:
        sample = simulate(path, reps, overrides=overrides, strategy=v.get("strategy") or None,
                          first_seed=first_seed, workers=workers, cluster=cluster)
        found = measure(sample, spec.targets, int(v.get("bootstrap", 1000)), float(v.get("level", 0.95)),
                        int(v.get("bootstrap_seed", 20261128)))
        checks += [c if name is None else replace(c, name=f"{c.name} [{name}]")
                   for c in to_checks(spec.targets, found)]
    return checks
