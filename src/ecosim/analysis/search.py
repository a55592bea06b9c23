"""The best bundle of strategies under a programme budget, with paired intervals; ties reported as ties.

A bundle is a set of the scenario's strategies applied together (their parameter overrides
merged; two strategies that set one parameter to different values do not combine). From a
strategies experiment (every strategy and ``none``, paired replications), :func:`search`:

1. predicts each bundle's spending as the baseline's plus its strategies' extra spending,
   and keeps the bundles predicted within the budget (with 10% slack: costs need not add up);
2. runs each kept bundle of two or more strategies with the experiment's seeds, months and
   design point, so its runs pair with the stored ones seed by seed (the run ids of the
   stored baseline runs are checked first: the same code and scenario must make them);
3. measures each bundle's mean spending (those over the budget are out), its paired effect
   on the outcome against ``none``, and the paired difference from the best bundle. A bundle
   whose difference from the best has an interval that covers zero is a tie of the best.
"""

import itertools
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ecosim.analysis import AnalysisError, inputs
from ecosim.analysis.compare import NONE, with_derived
from ecosim.analysis.paired import paired_interval

SLACK = 0.10  # bundles predicted at most this much over the budget are still run: costs need not add up
SEPARATOR = "+"


def combinable(sets: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The merged overrides of strategies applied together, or None if two set one parameter differently."""
    merged: dict[str, Any] = {}
    for s in sets:
        for key, value in s.items():
            if key in merged and merged[key] != value:
                return None
            merged[key] = value
    return merged


def candidates(strategies: dict[str, dict[str, Any]], max_size: int) -> dict[str, dict[str, Any]]:
    """Bundle name -> merged overrides, for every combinable bundle of 1..max_size strategies."""
    out = {}
    names = sorted(strategies)
    for size in range(1, max_size + 1):
        for combo in itertools.combinations(names, size):
            merged = combinable([strategies[n] for n in combo])
            if merged is not None:
                out[SEPARATOR.join(combo)] = merged
    return out


def _scenario(results: str | Path, found: dict[str, Any]):
    from ecosim.scenario import ScenarioError, load_scenario

    content = found.get("content") or {}
    names = content.get("scenarios") or []
    if len(names) != 1:
        raise AnalysisError(f"{results}: expected an experiment of one scenario, found {len(names)}")
    path = Path(found.get("file", "")).parent / names[0]
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise AnalysisError(f"{results}: the experiment's scenario {path}: {exc}") from None


def _check_pairing(scenario, frame: pd.DataFrame, months: int | None, overrides: dict[str, Any], results) -> None:
    """The stored baseline runs must be what this code and scenario make (else bundles would not pair)."""
    from ecosim.spec import RunSpec

    for _, row in frame[frame["strategy"] == NONE].head(3).iterrows():
        spec = RunSpec.of(scenario, None, int(row["seed"]), overrides, months=months)
        if "run_id" in row and spec.run_id != row["run_id"]:
            raise AnalysisError(
                f"{results}: expected runs this code and scenario would make, found run {row['run']} with another "
                f"run id ({row['run_id']}, now {spec.run_id}): the model or scenario changed; run the batch again"
            )


def search(
    results: str | Path,
    budget: float,
    outcome: str = "alive_24",
    max_size: int = 2,
    level: float = 0.95,
    workers: int = 1,
    run_bundles: bool = True,
) -> pd.DataFrame:
    """Every bundle within the budget: spending, paired effect against none, difference from the best, tie or not.

    Columns: bundle, strategies, pairs, spending, predicted_spending, effect, low, high (the
    effect's Student-t interval), versus_best, versus_best_low, versus_best_high, best, tie
    (the interval of the difference from the best covers zero), sorted best first. The budget
    is mean programme spending over the run (EUR, the outcome programme_spending).
    """
    from ecosim.batch import run_specs
    from ecosim.spec import RunSpec

    found = inputs.manifest(results)
    frame = with_derived(inputs.runs(results))
    if outcome not in frame:
        raise AnalysisError(f"{results}: --outcome: expected an outcome of the runs table, found {outcome!r}")
    if frame["point"].nunique() != 1 or NONE not in set(frame["strategy"]):
        raise AnalysisError(f"{results}: expected one design point and the strategy {NONE!r}, found otherwise")
    if not budget > 0 or math.isinf(budget):
        raise AnalysisError(f"--budget: expected a positive amount of EUR, found {budget}")
    scenario = _scenario(results, found)
    content = found.get("content") or {}
    months = content.get("months")
    point = (found.get("design") or {}).get("points", [{}])[int(frame["point"].iloc[0])]
    stored = sorted(s for s in frame["strategy"].unique() if s != NONE and s in scenario.strategies)
    sets = {s: scenario.strategies[s].set for s in stored}
    keys = ["replication"]
    base = frame[frame["strategy"] == NONE].set_index(keys)
    spent = {s: frame[frame["strategy"] == s].set_index(keys)["programme_spending"] for s in stored}
    extra = {s: float((spent[s] - base["programme_spending"]).mean()) for s in stored}
    per_run: dict[str, pd.DataFrame] = {NONE: base[[outcome, "programme_spending"]]}
    for s in stored:
        per_run[s] = frame[frame["strategy"] == s].set_index(keys)[[outcome, "programme_spending"]]
    predicted = {NONE: float(base["programme_spending"].mean())}
    todo = {}
    for name, merged in candidates(sets, max_size).items():
        parts = name.split(SEPARATOR)
        predicted[name] = predicted[NONE] + sum(extra[p] for p in parts)
        if len(parts) > 1 and predicted[name] <= budget * (1 + SLACK):
            todo[name] = merged
    if todo and run_bundles:
        _check_pairing(scenario, frame, months, point, results)
        seeds = base["seed"].astype(int)
        specs, labels = [], []
        for name, merged in todo.items():
            for replication, seed in seeds.items():
                specs.append(
                    RunSpec.of(scenario, None, int(seed), {**point, **merged}, months=months, record=("indicators",))
                )
                labels.append((name, replication))
        ran = run_specs(specs, workers=workers)
        rows = pd.DataFrame(
            [{"bundle": n, "replication": r, **result.outcomes} for (n, r), result in zip(labels, ran, strict=True)]
        )
        rows = with_derived(rows)
        for name, g in rows.groupby("bundle"):
            per_run[name] = g.set_index(keys)[[outcome, "programme_spending"]]
    out = []
    for name, values in per_run.items():
        spending = float(values["programme_spending"].mean())
        if spending > budget:
            continue
        d = (values[outcome] - base[outcome]).dropna()
        effect, low, high = paired_interval(d.to_numpy(), level)
        out.append(
            {
                "bundle": name,
                "strategies": 0 if name == NONE else len(name.split(SEPARATOR)),
                "pairs": len(d),
                "spending": spending,
                "predicted_spending": predicted.get(name, spending),
                "effect": effect,
                "low": low,
                "high": high,
            }
        )
    table = pd.DataFrame(out)
    if table.empty:
        raise AnalysisError(
            f"--budget: expected a budget that covers at least the baseline's "
            f"{predicted[NONE]:,.0f} EUR, found {budget:,.0f}"
        )
    table = table.sort_values(["effect", "spending"], ascending=[False, True], kind="mergesort", ignore_index=True)
    best = table["bundle"].iloc[0]
    versus = [
        paired_interval((per_run[n][outcome] - per_run[best][outcome]).dropna().to_numpy(), level)
        for n in table["bundle"]
    ]
    table["versus_best"] = [v[0] for v in versus]
    table["versus_best_low"] = [v[1] for v in versus]
    table["versus_best_high"] = [v[2] for v in versus]
    table["best"] = table["bundle"] == best
    table["tie"] = table["best"] | ((table["versus_best_low"] <= 0) & (table["versus_best_high"] >= 0))
    table.loc[table["best"], ["versus_best_low", "versus_best_high"]] = 0.0
    table["budget"] = budget
    table["outcome"] = outcome
    return table
