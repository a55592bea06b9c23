"""Calibration search: a Latin hypercube over the targets file's search ranges, then Nelder-Mead.

Every evaluation runs the scenario on the same seeds 1..R (common random numbers), so two
parameter sets are compared on the same draws and the objective is a deterministic function
of the parameters: Nelder-Mead then compares like with like instead of chasing noise. The
search works in the unit cube of the ranges (log-scaled where the file says so). Targets,
ranges, aims, budgets and seeds all come from the targets file; arguments override its
[calibration] table.
"""

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from ecosim.scenario import Scenario, load_scenario
from ecosim.validation.targets import (
    Measurement,
    Target,
    TargetsFile,
    load_targets,
    measure,
    passes,
    simulate,
)

NAN_DISTANCE = 10.0  # distance of a target that cannot be measured (no endings in a window, say)


def _on_scale(x: float, scale: str) -> float:
    if scale != "log":
        return x
    return math.log(x) if x > 0 else -math.inf


def distance(target: Target, m: Measurement) -> float:
    """How far the target lies outside its aim, on its scale, in units of its tolerance; 0 on aim.

    The tolerance defaults to the aim's width, or 1 on an open aim.
    The estimate is compared for require = 'estimate'; the interval's bounds for 'interval'
    (its low bound against the aim's low end, its high bound against the high end).
    """
    lo, hi = (_on_scale(x, target.scale) for x in target.aim)
    below_value, above_value = (m.low, m.high) if target.require == "interval" else (m.value, m.value)
    if math.isnan(below_value) or math.isnan(above_value):
        return NAN_DISTANCE
    below, above = _on_scale(below_value, target.scale), _on_scale(above_value, target.scale)
    width = target.tolerance or (hi - lo if math.isfinite(lo) and math.isfinite(hi) and hi > lo else 1.0)
    gap = (max(0.0, lo - below) if math.isfinite(lo) else 0.0) + (max(0.0, above - hi) if math.isfinite(hi) else 0.0)
    return gap / width if math.isfinite(gap) else NAN_DISTANCE


def centre_offset(target: Target, m: Measurement) -> float:
    """Distance of the estimate from the centre of a bounded aim, in aim widths (0 for open aims)."""
    lo, hi = (_on_scale(x, target.scale) for x in target.aim)
    if target.require == "interval" or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or math.isnan(m.value):
        return 0.0
    return (_on_scale(m.value, target.scale) - (lo + hi) / 2) / (hi - lo)


def score(targets: Sequence[Target], measurements: dict[str, Measurement], centre_weight: float = 0.0) -> float:
    """Sum of weight * distance^2 over the targets, plus centre_weight * weight * centre_offset^2.

    The small centre term breaks the ties inside the aims, so that the search settles in the
    middle of a bounded aim rather than on its edge (a margin for Monte Carlo error).
    """
    total = 0.0
    for t in targets:
        m = measurements[t.name]
        total += t.weight * (distance(t, m) ** 2 + centre_weight * centre_offset(t, m) ** 2)
    return total


@dataclass
class Evaluation:
    """One point of the search: where, on how many replications, its score and measured targets."""

    stage: str  # "lhs", "design", "first", "start" or "refine"
    unit: tuple[float, ...]
    values: dict[str, float]
    replications: int
    score: float
    measurements: dict[str, Measurement]
    scales: dict[str, dict[str, Measurement]] = field(default_factory=dict)  # the targets on each further scale


@dataclass
class CalibrationResult:
    """The best parameter values found, their measured targets and the whole search history."""

    values: dict[str, float]
    score: float
    measurements: dict[str, Measurement]
    replications: int
    first_sample_score: float  # the first LHS sample, re-measured on `replications`
    design_score: float  # the scenario's own values, on `replications`
    history: list[Evaluation] = field(default_factory=list)
    targets: tuple[Target, ...] = ()
    seconds: float = 0.0
    holdout: dict[str, Measurement] | None = None  # the best values on independent seeds (no search used them)

    def rounded(self, digits: int = 3) -> dict[str, float]:
        """The values rounded to `digits` significant digits (what goes into a scenario file)."""
        return {k: float(f"{v:.{digits}g}") for k, v in self.values.items()}

    def frame(self) -> pd.DataFrame:
        """The history as a table: stage, replications, score, parameter values, measured estimates."""
        rows = []
        for e in self.history:
            row: dict[str, Any] = {"stage": e.stage, "replications": e.replications, "score": e.score, **e.values}
            row.update({name: m.value for name, m in e.measurements.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def toml_lines(self, note: str, digits: int = 3) -> list[str]:
        """`[parameters]` lines with a provenance comment, for the scenario file."""
        return [f"{f'{k} = {v:g}':<28}# calibrated {note}" for k, v in self.rounded(digits).items()]


def calibrate(targets_path: str | Path | TargetsFile | None = None, scenario_path: str | Path | Scenario | None = None,
              samples: int | None = None, replications: int | None = None, refine_replications: int | None = None,
              refine_starts: int | None = None, maxfev: int | None = None, seed: int | None = None,
              bootstrap: int | None = None, months: int | None = None, workers: int = 1,
              starts: Sequence[dict[str, float]] = (), step: float | None = None,
              holdout_replications: int | None = None,
              progress: Callable[[str], None] | None = None) -> CalibrationResult:
    """Search the file's parameter ranges for values that put the scenario's targets on aim.

    1. Latin hypercube of `samples` points, each measured on `replications` seeds (1..R);
    2. the first sample and the scenario's own values re-measured on `refine_replications`
       seeds (for a like-for-like comparison);
    3. Nelder-Mead (bounded to the unit cube, first simplex `step` wide) from the given
       `starts` (parameter values, e.g. a previous result to polish on more seeds), then
       from the best `refine_starts` hypercube points, at most `maxfev` evaluations each, on
       `refine_replications` seeds.
    The best point of steps 2-3 (common seeds, so comparable) is returned with its measured
    targets, and measured again on `holdout_replications` seeds that no step used (from
    `holdout_first_seed`): a fixed seed set can sit a standard error or two off the model's
    mean, and a search on it fits that set. Unset arguments come from the file's
    [calibration] table; `samples` = 0 skips the hypercube (then there is no first sample
    and its score is nan); `holdout_replications` = 0 skips the holdout.
    """
    started = time.perf_counter()
    spec = targets_path if isinstance(targets_path, TargetsFile) else load_targets(targets_path)
    if not spec.parameters:
        raise ValueError(f"{spec.path}: calibration.parameters: expected at least one parameter to search, found none")
    cal = spec.calibration
    samples = int(samples if samples is not None else cal.get("lhs_samples", 200))
    replications = int(replications if replications is not None else cal.get("lhs_replications", 30))
    refine_replications = int(refine_replications if refine_replications is not None
                              else cal.get("refine_replications", 100))
    refine_starts = int(refine_starts if refine_starts is not None else cal.get("refine_starts", 3))
    maxfev = int(maxfev if maxfev is not None else cal.get("refine_maxfev", 40))
    seed = int(seed if seed is not None else cal.get("lhs_seed", 20261128))
    bootstrap = int(bootstrap if bootstrap is not None else cal.get("bootstrap", 200))
    centre_weight = float(cal.get("centre_weight", 1e-3))
    step = float(step if step is not None else cal.get("refine_step", 0.15))
    holdout_replications = int(holdout_replications if holdout_replications is not None
                               else cal.get("holdout_replications", 0))
    holdout_first_seed = int(cal.get("holdout_first_seed", 100_001))
    level = float(spec.validation.get("level", 0.95))
    boot_seed = int(spec.validation.get("bootstrap_seed", 20261128))
    strategy = spec.validation.get("strategy") or None
    scenario = (scenario_path if isinstance(scenario_path, Scenario)
                else load_scenario(scenario_path or spec.scenario_path))
    params = spec.parameters
    searched = [sc for sc in spec.scales if sc.calibration_replications > 0]
    planned_refine = int(cal.get("refine_replications", 100))  # the scales' seeds are given for this many
    scales = {sc.name: load_scenario(sc.path) for sc in searched}
    say = progress or (lambda _: None)
    history: list[Evaluation] = []
    from ecosim.batch import executor_for

    pool = executor_for(0 if workers <= 1 else workers)  # one executor for every evaluation of the search
    executor: Executor = pool.__enter__()[0]

    def evaluate(unit: Sequence[float], reps: int, stage: str, overrides: dict[str, float] | None = None) -> Evaluation:
        """Score one point: the sum of its scores on the scenario and on every scale of the file (joint fit)."""
        unit = tuple(float(min(max(u, 0.0), 1.0)) for u in unit)
        values = overrides if overrides is not None else {p.name: p.value(u) for p, u in zip(params, unit, strict=True)}
        sample = simulate(scenario, reps, overrides=values, strategy=strategy, months=months, workers=workers,
                          executor=executor)
        found = measure(sample, spec.targets, bootstrap, level, boot_seed)
        total = score(spec.targets, found, centre_weight)
        on_scales = {}
        for sc in searched:  # the file's seeds for a scale, in proportion to this evaluation's replications
            n = max(1, round(sc.calibration_replications * reps / planned_refine))
            sample = simulate(scales[sc.name], n, overrides=values, strategy=strategy, months=months,
                              workers=workers, executor=executor, cluster=sc.cluster)
            on_scales[sc.name] = measure(sample, spec.targets, bootstrap, level, boot_seed)
            total += score(spec.targets, on_scales[sc.name], centre_weight)
        e = Evaluation(stage, unit, dict(values), reps, total, found, on_scales)
        history.append(e)
        return e

    try:
        lhs = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed)).random(samples)
        for i, unit in enumerate(lhs):
            e = evaluate(unit, replications, "lhs")
            say(f"lhs {i + 1}/{samples}: score {e.score:.4g}  {_short(e.values)}")
        design = evaluate([p.unit(getattr(scenario.parameters, p.name)) for p in params], refine_replications, "design",
                          overrides={})
        first = evaluate(lhs[0], refine_replications, "first") if samples else None
        say(f"scenario's own values: score {design.score:.4g}; "
            f"first sample on {refine_replications} seeds: {first.score if first else math.nan:.4g}")
        given = [tuple(p.unit(values[p.name]) for p in params) for values in starts]
        ranked = sorted((e for e in history if e.stage == "lhs"), key=lambda e: e.score)[:refine_starts]
        points = given + [e.unit for e in ranked]
        for k, start in enumerate(points):
            cache: dict[tuple[float, ...], float] = {}

            def objective(u: np.ndarray, k: int = k, cache: dict = cache) -> float:
                key = tuple(np.round(np.clip(u, 0.0, 1.0), 6))
                if key not in cache:
                    e = evaluate(key, refine_replications, "refine")
                    cache[key] = e.score
                    say(f"refine {k + 1}/{len(points)} eval {len(cache)}: score {e.score:.4g}  {_short(e.values)}")
                return cache[key]

            x0 = np.array(start)
            objective(x0)
            history[-1].stage = "start"
            minimize(objective, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(params),
                     options={"maxfev": maxfev, "initial_simplex": _simplex(x0, step), "xatol": 1e-3, "fatol": 1e-6})
        best = min((e for e in history if e.stage in ("first", "start", "refine")), key=lambda e: e.score)
        holdout = None
        if holdout_replications > 0:
            sample = simulate(scenario, holdout_replications, overrides=best.values, strategy=strategy, months=months,
                              first_seed=holdout_first_seed, workers=workers, executor=executor)
            holdout = measure(sample, spec.targets, int(spec.validation.get("bootstrap", 1000)), level, boot_seed)
            say(f"holdout on seeds {holdout_first_seed}..{holdout_first_seed + holdout_replications - 1}: "
                + " ".join(f"{k}={m.value:.4g}" for k, m in holdout.items()))
    finally:
        pool.__exit__(None, None, None)
    return CalibrationResult(best.values, best.score, best.measurements, refine_replications,
                             first.score if first else math.nan, design.score, history, spec.targets,
                             time.perf_counter() - started, holdout)


def _simplex(x0: np.ndarray, step: float) -> np.ndarray:
    """x0 and one vertex `step` along each axis (inwards when the step would leave the unit cube)."""
    vertices = [x0.copy()]
    for i in range(len(x0)):
        v = x0.copy()
        v[i] = x0[i] + step if x0[i] + step <= 1.0 else x0[i] - step
        vertices.append(v)
    return np.array(vertices)


def identifiability(result: CalibrationResult, near: float = 1.0) -> pd.DataFrame:
    """Which parameters the targets pin down, from the Latin hypercube of the search.

    One row per parameter: the Spearman correlation of its sampled values with each target's
    estimate on the scenario (how strongly that target responds to it), and the spread of
    its values among the near-best points (score within `near` of the best sampled score) as
    a share of its search range: near 0 the targets fix it, near 1 they leave it free (a
    ridge of equally good values, often traded against another parameter: see the pairwise
    correlations of the near-best points in the `with` column).
    """
    from scipy.stats import spearmanr

    lhs = [e for e in result.history if e.stage == "lhs"]
    names = list(result.values)
    if len(lhs) < 3:
        return pd.DataFrame(index=pd.Index(names, name="parameter"))
    units = np.array([e.unit for e in lhs])
    scores = np.array([e.score for e in lhs])
    best = scores <= scores.min() + near
    rows = []
    for j, name in enumerate(names):
        row: dict[str, Any] = {"parameter": name}
        for t in result.targets:
            est = np.array([e.measurements[t.name].value for e in lhs])
            ok = np.isfinite(est)
            row[f"rho {t.name}"] = float(spearmanr(units[ok, j], est[ok]).statistic) if ok.sum() > 2 else math.nan
        row["near-best points"] = int(best.sum())
        row["near-best spread"] = float(np.ptp(units[best, j])) if best.sum() > 1 else 0.0
        if best.sum() > 2 and len(names) > 1:
            corr = np.corrcoef(units[best].T)[j]
            k = int(np.argmax(np.where(np.arange(len(names)) == j, -np.inf, np.abs(corr))))
            row["with"] = f"{names[k]} {corr[k]:+.2f}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("parameter")


def _short(values: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in values.items())


def report(result: CalibrationResult) -> str:
    """The calibrated values and the measured targets, as text."""
    lines = [f"best score {result.score:.4g} on {result.replications} seeds "
             f"(first sample {result.first_sample_score:.4g}, scenario's own values {result.design_score:.4g}); "
             f"{len(result.history)} evaluations, {result.seconds:.0f} s"]
    lines += [f"  {k} = {v:.6g}" for k, v in result.values.items()]
    for t in result.targets:
        m = result.measurements[t.name]
        lines.append(f"  {'PASS' if passes(t, m) else 'FAIL'} {t.name:<28} {m.value:.4f} [{m.low:.4f}, {m.high:.4f}]  "
                     f"{t.expected()}")
    best = min((e for e in result.history if e.values == result.values), key=lambda e: -e.replications, default=None)
    for name, found in (best.scales.items() if best else ()):
        lines.append(f"  on the scale {name}:")
        for t in result.targets:
            m = found[t.name]
            lines.append(f"  {'PASS' if passes(t, m) else 'FAIL'} {t.name:<28} {m.value:.4f} [{m.low:.4f}, "
                         f"{m.high:.4f}]  {m.replications} replications")
    if result.holdout:
        lines.append("  on independent (holdout) seeds:")
        for t in result.targets:
            m = result.holdout[t.name]
            lines.append(f"  {'PASS' if passes(t, m) else 'FAIL'} {t.name:<28} {m.value:.4f} [{m.low:.4f}, "
                         f"{m.high:.4f}]  {m.replications} replications")
    table = identifiability(result)
    if len(table.columns):
        lines.append("identifiability (Latin hypercube: Spearman rho of each target with each parameter; "
                     "spread of the near-best points as a share of the range):")
        lines.append(table.to_string(float_format=lambda x: f"{x:.2f}"))
    return "\n".join(lines)
