"""Calibration targets: read the targets file, measure the targets on replicated runs, report Check rows.

The targets file (``experiments/calibration-targets.toml``) defines every target, its range
and its sources; this module only computes. The definitions, as in the file:

- *at risk* in month t: ``start < t <= last``, with last = end if the partnership ended,
  else the last month run (a recruit formed in month s is first at risk in month s + 1);
- *age* in month t: ``t - start``; an ending in month ``end`` happens at age ``end - start``;
- *monthly hazard* over a set of months (a calendar window or an age band): endings in them
  divided by partnership-months at risk in them (occurrence/exposure);
- *annual hazard*: ``1 - (1 - monthly)^12``;
- *cohort*: the partnerships alive at the end of the reference month T (ecosim's
  ``alive_at_reference``).

Numerators and denominators are summed over replications (seeds 1..R) before dividing;
intervals are percentile intervals of a bootstrap that resamples whole replications.
"""

import math
import tomllib
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.scenario import Scenario, load_scenario
from ecosim.spec import RunSpec
from ecosim.validation import Check, experiment_file

TARGETS_FILE = Path("experiments") / "calibration-targets.toml"
MEASURES = ("survival", "hazard", "hazard_ratio")
COHORTS = ("all", "alive_at_reference")
KINDS = ("calendar", "age")


class TargetsError(ValueError):
    """A missing or malformed targets file, explained in one line."""


# --------------------------------------------------------------------------- the file

@dataclass(frozen=True)
class Window:
    """Months at risk: a calendar window (months relative to T) or an age band (months of age), inclusive."""

    kind: str
    lo: float
    hi: float
    cohort: str = "all"

    def describe(self) -> str:
        """E.g. 'months T+1..T+24 (cohort)' or 'ages 61+'."""
        def bound(x: float, rel: bool) -> str:
            if math.isinf(x):
                return ""
            return f"T{int(x):+d}" if rel and x != 0 else ("T" if rel else str(int(x)))
        rel = self.kind == "calendar"
        lo = bound(self.lo, rel) or "1"
        hi = bound(self.hi, rel)
        span = f"{lo}..{hi}" if hi else f"{lo}+"
        who = ", cohort alive at T" if self.cohort == "alive_at_reference" else ""
        return f"{'months' if rel else 'ages'} {span}{who}"


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
class TargetsFile:
    """The parsed targets file: targets, the search space and the settings."""

    path: Path
    root: Path  # the repository root: the folder holding experiments/
    targets: tuple[Target, ...]
    parameters: tuple[SearchParameter, ...]
    validation: dict[str, Any]
    calibration: dict[str, Any]

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
    return TargetsFile(path, root, targets, parameters, dict(raw.get("validation", {})), calibration)


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
             executor: Executor | None = None) -> Sample:
    """Run seeds first_seed..first_seed+R-1 and pool their partnership tables.

    The same seeds for every parameter set are the common random numbers of the calibration.
    The runs go through the batch engine (:func:`ecosim.batch.run_specs`): on `executor`, or
    in this process for one worker, or on a local Dask cluster of `workers`.
    """
    from ecosim.batch import run_specs

    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seeds = list(range(first_seed, first_seed + replications))
    specs = [RunSpec.of(scenario, strategy, seed, overrides, months=months, record=("partnerships",)) for seed in seeds]
    results = run_specs(specs, executor, workers)
    runs = [
        (seed, r.tables["partnerships"]["start"].to_numpy(np.int64), end_months(r.tables["partnerships"]["end"]),
         int(r.outcomes["reference_month"]), int(r.outcomes["months"]))
        for seed, r in zip(seeds, results, strict=True)
    ]
    frame = pd.DataFrame({
        "rep": np.concatenate([np.full(len(start), seed, np.int64) for seed, start, *_ in runs]),
        "start": np.concatenate([start for _, start, *_ in runs]),
        "end": np.concatenate([end for _, _, end, *_ in runs]),
    })
    return Sample(frame, tuple(seeds), runs[0][3], runs[0][4])


# --------------------------------------------------------------------------- measures

NOT_ENDED = -1
"""The end month of a partnership that has not ended, in the survival arrays of this module."""


def end_months(end: pd.Series) -> np.ndarray:
    """A results table's `end` column (missing while live) as the int64 array this module counts on."""
    return end.to_numpy(np.int64, na_value=NOT_ENDED)


def cohort_mask(start: np.ndarray, end: np.ndarray, reference_month: int) -> np.ndarray:
    """Partnerships alive at the end of month T: started by T and not ended by T."""
    return (start <= reference_month) & ((end < 0) | (end > reference_month))


def survival_counts(start: np.ndarray, end: np.ndarray, reference_month: int,
                    follow: int) -> tuple[np.ndarray, np.ndarray]:
    """Per partnership: (survived, in cohort) as 0/1, survived = not ended by the end of month T + follow."""
    alive = cohort_mask(start, end, reference_month)
    survived = alive & ((end < 0) | (end > reference_month + follow))
    return survived.astype(np.int64), alive.astype(np.int64)


def hazard_counts(start: np.ndarray, end: np.ndarray, window: Window, reference_month: int,
                  months: int) -> tuple[np.ndarray, np.ndarray]:
    """Per partnership: (endings, months at risk) inside `window`.

    At risk in month t when start < t <= last (last = end, or months - 1 if it did not end);
    a calendar window is months T+lo..T+hi (from month 1 at most), an age band ages lo..hi.
    """
    start = np.asarray(start, np.int64)
    end = np.asarray(end, np.int64)
    last = np.where(end >= 0, end, months - 1)
    ended = end >= 0
    if window.kind == "calendar":
        lo = max(1.0, reference_month + window.lo)
        hi = min(float(months - 1), reference_month + window.hi)
        first = np.maximum(start + 1, lo)
        exposure = np.clip(np.minimum(last, hi) - first + 1, 0, None)
        endings = ended & (end >= lo) & (end <= hi)
    else:
        lo, hi = max(1.0, window.lo), window.hi
        exposure = np.clip(np.minimum(last - start, hi) - lo + 1, 0, None)
        age = end - start
        endings = ended & (age >= lo) & (age <= hi)
    if window.cohort == "alive_at_reference":
        member = cohort_mask(start, end, reference_month)
        exposure = np.where(member, exposure, 0)
        endings = endings & member
    return endings.astype(np.int64), np.asarray(exposure, np.int64)


def annual_hazard(monthly: np.ndarray | float) -> np.ndarray | float:
    """1 - (1 - monthly)^12: the probability of ending within a year at a constant monthly hazard."""
    return 1.0 - (1.0 - monthly) ** 12


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


def estimate(measure: str, sums: np.ndarray) -> np.ndarray:
    """The estimate from summed counts (last axis: the counts of :func:`target_counts`); nan where undefined."""
    sums = np.asarray(sums, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "survival":
            return sums[..., 0] / sums[..., 1]
        if measure == "hazard":
            return annual_hazard(sums[..., 0] / sums[..., 1])
        ratio = (sums[..., 0] / sums[..., 1]) / (sums[..., 2] / sums[..., 3])
        return np.where(sums[..., 1] * sums[..., 3] > 0, ratio, np.nan)


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
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(R, np.full(R, 1.0 / R), size=bootstrap) if bootstrap > 0 else np.zeros((0, R))
    tail = (1.0 - level) / 2
    out = {}
    for target in targets:
        counts = target_counts(target, sample)
        sums = counts.sum(axis=0)
        value = float(estimate(target.measure, sums))
        boot = estimate(target.measure, weights @ counts)
        boot = boot[~np.isnan(boot)]
        if len(boot):
            low, high = np.quantile(boot, [tail, 1.0 - tail], method="inverted_cdf")
        else:
            low = high = np.nan
        out[target.name] = Measurement(value, float(low), float(high), tuple(float(s) for s in sums), R)
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
                  workers: int = 1, first_seed: int = 1) -> list[Check]:
    """Measure every target on the scenario (default: the file's, i.e. the baseline) and return Check rows.

    Replications, bootstrap size and level default to the file's [validation] table.
    """
    spec = targets if isinstance(targets, TargetsFile) else load_targets(targets)
    v = spec.validation
    sample = simulate(scenario if scenario is not None else spec.scenario_path,
                      replications or int(v.get("replications", 200)), overrides=overrides,
                      strategy=v.get("strategy") or None, first_seed=first_seed, workers=workers)
    found = measure(sample, spec.targets, int(v.get("bootstrap", 1000)), float(v.get("level", 0.95)),
                    int(v.get("bootstrap_seed", 20261128)))
    return to_checks(spec.targets, found)
