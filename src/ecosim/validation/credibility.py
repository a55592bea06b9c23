"""The credibility figures of issue 17 (items 1-6), measured on the calibrated baseline.

1. knife-edge: health a year after the funding end T, and paired strategy effects on survival;
2. ownership (and handover pace, if the model has one) spread at T;
3. ecosystem protection: paired merging / recruitment / isolation contrasts, landmark split at T;
4. end causes of the starting pairs' endings after T;
5. ending hazard while funded and in the first year after T; share alive 24 months after own start;
6. two-year survival on the listed baseline, generated regions and the national scenario.

Snapshots (items 1-5) come from one EcosystemModel pass per seed; paired contrasts and the
scales go through :func:`ecosim.batch.run_specs`. A parameter, strategy or partnership
column the model does not have is skipped. Seeds are 1..N everywhere (common random
numbers: seed s of every arm is the same world). Run it as

    python -m ecosim.validation.credibility --seeds 1000 --paired 200 --national 4 --workers 2 --json PATH
"""

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from ecosim.analysis.paired import paired_interval
from ecosim.batch import executor_for, run_specs
from ecosim.kernels.codes import CAUSES, ENDED
from ecosim.model import EcosystemModel
from ecosim.parameters import Parameters
from ecosim.runner import RunResult, run
from ecosim.scenario import Scenario, load_scenario
from ecosim.spec import RunSpec
from ecosim.store import strict_json
from ecosim.validation import Check, experiment_file

LEVEL = 0.95
NEAR = 0.05  # "near the threshold": |H - reactivation_health| <= NEAR
TWO_YEARS, FIVE_YEARS, A_YEAR = 24, 60, 12
CHECK_SEEDS = 60  # seeds of the credibility checks in ecosim validate
MAX_EFFECT_PP = 15.0  # published sustainability interventions seldom move two-year survival by more
MIN_OWNERSHIP_SPREAD = 0.10  # P90 - P10 of ownership at T
MIN_FUNDED_HAZARD = 0.001  # monthly ending hazard while funded (issue 17 measured 0.0006 before)
MIN_FUNDED_OTHER = 0.5  # share of funded-period endings with a cause other than "carrier"
GENERATED = "generated-regions.toml"  # experiments/
CONSULTATION = "consultation-structures"
GRADUAL_HANDOVER = "gradual-handover"
BROKERAGE = "ecosystem-brokerage"
RECRUITMENT = ("recruitment_rate", "max_recruitment")  # rho, rho_max: either at 0 stops recruitment
CONTRASTS: dict[str, dict[str, float]] = {
    "merge_rate = 0": {"merge_rate": 0.0},
    "merging and recruitment off": {"merge_rate": 0.0, **dict.fromkeys(RECRUITMENT, 0.0)},
    "isolation_loss = 0": {"isolation_loss": 0.0},
}
ISSUE = {  # figures of issue 17, measured at commit 384e17c
    "health": "0.505", "near": "0.58", "gradual-handover": "+22.0", "gradual-handover 5y": "+38",
    "consultation-structures": "+21.6", "aftercare": "+20.7", "evaluation": "+14.2", "above": "0.47 → 0.91",
    "ownership sd": "0 (one value)", "merge_rate = 0": "−0.2 [−0.8, +0.5]", "merging and recruitment off": "+0.1",
    "landmark": "0.733 vs 0.745", "ecosystem-brokerage": "+0.8 [−0.4, +1.9]", "isolation_loss = 0": "+5.2",
    "carrier": "0.83", "support": "0.00", "funded": "~0.0006", "ratio": "~19", "scale baseline": "0.7375",
    "scale generated": "0.709 [0.696, 0.721]", "scale national": "0.701 [0.697, 0.706]",
}


def repository() -> Path:
    """The repository root: the folder holding experiments/ and scenarios/."""
    return experiment_file(GENERATED, __file__).parent.parent


def known(overrides: dict[str, float]) -> dict[str, float]:
    """The overrides the model has a parameter for (others are skipped)."""
    return {k: v for k, v in overrides.items() if k in Parameters.model_fields}


# --------------------------------------------------------------------------- statistics

def cluster_ratio(numerators: Sequence[float], denominators: Sequence[float], level: float = LEVEL) -> dict:
    """Σy/Σx with a normal interval from the cluster-robust (linearised) variance; one cluster per entry."""
    y, x = np.asarray(numerators, float), np.asarray(denominators, float)
    keep = x > 0
    y, x = y[keep], x[keep]
    g = y.size
    ratio = float(y.sum() / x.sum()) if g else math.nan
    if g < 2:
        return {"value": ratio, "low": math.nan, "high": math.nan, "clusters": int(g)}
    se = math.sqrt(g / (g - 1) * float(((y - ratio * x) ** 2).sum())) / float(x.sum())
    z = float(stats.norm.ppf(0.5 + level / 2))
    return {"value": ratio, "low": ratio - z * se, "high": ratio + z * se, "clusters": int(g)}


def spread(values: np.ndarray) -> dict[str, float]:
    """Mean, SD, 10th and 90th percentile and count."""
    v = np.asarray(values, float)
    if not v.size:
        return {"mean": math.nan, "sd": math.nan, "p10": math.nan, "p90": math.nan, "n": 0}
    p10, p90 = np.percentile(v, [10, 90])
    return {"mean": float(v.mean()), "sd": float(v.std()), "p10": float(p10), "p90": float(p90), "n": int(v.size)}


def not_ended(end: np.ndarray, month: int) -> np.ndarray:
    """Not ended by the end of `month` (end -1: not ended at all)."""
    return (end < 0) | (end > month)


def endings_and_exposure(start: np.ndarray, end: np.ndarray, first: int, last: int, months: int) -> tuple[int, int]:
    """Endings in months first..last and partnership-months at risk (start < t <= end, or the last month run)."""
    stop = np.where(end >= 0, end, months - 1)
    exposure = np.clip(np.minimum(stop, last) - np.maximum(start + 1, first) + 1, 0, None)
    return int(((end >= first) & (end <= last)).sum()), int(exposure.sum())


# --------------------------------------------------------------------------- one pass per seed

def snapshot(scenario: Scenario, strategy: str | None, seed: int, months: int) -> dict[str, Any]:
    """One EcosystemModel pass: the live partnerships at T and T+12, and every partnership at the end.

    At T: ownership (and pace, if the model has it), and for the live starting pairs their
    row and the organisations of their ecosystem. At T+12: health and consultation of the
    live partnerships. At the end: start, end (-1 if not ended) and cause of every row.
    """
    model = EcosystemModel(scenario, strategy=strategy, months=months, rng=seed, reporters=())
    world = model.world
    T = scenario.outcome_month
    starting = int(np.sum(world.region_start_pairs))
    out: dict[str, Any] = {"seed": seed, "starting": starting, "months": months}
    while model.running:
        model.step()
        month, P = world.month - 1, world.partnerships  # the month just run
        live = np.flatnonzero(P.status[: P.n] != ENDED)
        if month == T:
            census = world.census
            rows = live[live < starting]
            out["at_T"] = {
                "ownership": P.ownership[live].copy(),
                "pace": P.pace[live].copy() if "pace" in P else None,
                "starting_live": rows,
                "organisations": np.asarray(census.orgs)[np.asarray(census.root)[rows]].copy(),
            }
        elif month == T + A_YEAR:
            out["at_T+12"] = {"health": P.health[live].copy(), "consultation": P.consultation[live].copy()}
    P, n = world.partnerships, world.partnerships.n
    ended = P.status[:n] == ENDED
    out["start"] = P.start[:n].astype(np.int64)
    out["end"] = np.where(ended, P.end[:n], -1).astype(np.int64)
    out["cause"] = np.where(ended, P.cause[:n], -1).astype(np.int64)
    return out


def snapshots(executor: Executor, scenario: Scenario, strategy: str | None, seeds: Sequence[int],
              months: int) -> list[dict]:
    """:func:`snapshot` for every seed, on the executor."""
    futures = [executor.submit(snapshot, scenario, strategy, seed, months) for seed in seeds]
    return [f.result() for f in futures]


# --------------------------------------------------------------------------- items from snapshots

def knife_edge(passes: list[dict], threshold: float) -> dict[str, Any]:
    """Item 1: health of the live partnerships at T+12 against the reactivation threshold H_r."""
    health = np.concatenate([p["at_T+12"]["health"] for p in passes])
    consult = np.concatenate([p["at_T+12"]["consultation"] for p in passes]).astype(bool)
    above = health > threshold
    return {
        "live": int(health.size),
        "mean_health": float(health.mean()) if health.size else math.nan,
        "share_near_threshold": float((np.abs(health - threshold) <= NEAR).mean()) if health.size else math.nan,
        "share_above": float(above.mean()) if health.size else math.nan,
        "share_above_with_consultation": float(above[consult].mean()) if consult.any() else math.nan,
        "share_above_without_consultation": float(above[~consult].mean()) if (~consult).any() else math.nan,
    }


def ownership(passes: list[dict]) -> dict[str, Any]:
    """Item 2: spread of O (and of pace, if present) over the live partnerships at T."""
    out = {"ownership": spread(np.concatenate([p["at_T"]["ownership"] for p in passes]))}
    if all(p["at_T"]["pace"] is not None for p in passes):
        out["pace"] = spread(np.concatenate([p["at_T"]["pace"] for p in passes]))
    return out


def landmark(passes: list[dict], T: int) -> dict[str, Any]:
    """Item 3: starting pairs live at T, in an ecosystem of >= 3 organisations vs isolated pairs, not ended at T+24."""
    counts = np.zeros((2, 2), np.int64)  # [isolated, in ecosystem] x [survived, members]
    for p in passes:
        rows, orgs = p["at_T"]["starting_live"], p["at_T"]["organisations"]
        survived = not_ended(p["end"][rows], T + TWO_YEARS)
        for k, member in enumerate((orgs == 2, orgs >= 3)):
            counts[k] += survived[member].sum(), member.sum()
    share = [float(s / m) if m else math.nan for s, m in counts]
    return {"isolated": share[0], "in_ecosystem": share[1],
            "isolated_pairs": int(counts[0, 1]), "in_ecosystem_pairs": int(counts[1, 1])}


def end_causes(passes: list[dict], T: int) -> dict[str, Any]:
    """Item 4: shares of the causes of the starting pairs' endings in months T.. (to the end of the runs)."""
    causes = np.concatenate([p["cause"][: p["starting"]][p["end"][: p["starting"]] >= T] for p in passes])
    total = int(causes.size)
    shares = {name: float((causes == k).sum() / total) if total else math.nan for k, name in enumerate(CAUSES)}
    return {"endings": total, "months": f"{T}..{passes[0]['months'] - 1}", "shares": shares}


def hazards(passes: list[dict], T: int) -> dict[str, Any]:
    """Item 5: monthly ending hazard in months 1..T-1 (funded) and T..T+11; share alive 24 months after own start."""
    funded = np.zeros(2, np.int64)
    after = np.zeros(2, np.int64)
    alive = np.zeros(2, np.int64)
    for p in passes:
        start, end, months = p["start"], p["end"], p["months"]
        funded += endings_and_exposure(start, end, 1, T - 1, months)
        after += endings_and_exposure(start, end, T, T + A_YEAR - 1, months)
        seen = start + TWO_YEARS <= months - 1
        alive += int(not_ended(end[seen], (start + TWO_YEARS)[seen]).sum()), int(seen.sum())
    h_funded = funded[0] / funded[1] if funded[1] else math.nan
    h_after = after[0] / after[1] if after[1] else math.nan
    return {
        "funded_monthly": float(h_funded), "funded_endings": int(funded[0]), "funded_exposure": int(funded[1]),
        "after_first_year_monthly": float(h_after),
        "ratio": float(h_after / h_funded) if h_funded > 0 else math.inf,
        "alive_24_after_start": float(alive[0] / alive[1]) if alive[1] else math.nan,
    }


def cohort_survival(start: np.ndarray, end: np.ndarray, T: int, follow: int = TWO_YEARS) -> tuple[int, int]:
    """(survived, cohort): partnerships alive at the end of T, and of them those not ended at T+follow."""
    cohort = (start <= T) & not_ended(end, T)
    return int((cohort & not_ended(end, T + follow)).sum()), int(cohort.sum())


# --------------------------------------------------------------------------- runs through the batch engine

def starting_share(result: RunResult, month: int) -> float:
    """Share of the starting pairs not ended by the end of `month` (the rows before every recruit)."""
    pp = result.tables["partnerships"]
    n0 = len(pp) - int((result.events["event"] == "formed").sum())
    end = pp["end"].iloc[:n0].to_numpy(np.int64, na_value=-1)
    return float(not_ended(end, month).mean())


def paired_effects(scenario: Scenario, arms: dict[str, tuple[str | None, dict]], seeds: Sequence[int],
                   executor: Executor | None = None) -> dict[str, Any]:
    """Every arm minus no strategy, paired by seed, in pp: starting pairs not ended at T+24 and T+60."""
    T = scenario.outcome_month
    arms = {"none": (None, {}), **arms}
    specs = [RunSpec.of(scenario, strategy, seed, overrides, months=T + FIVE_YEARS + 1,
                        record=("partnerships", "events"))
             for strategy, overrides in arms.values() for seed in seeds]
    results = run_specs(specs, executor)
    shares = np.array([[starting_share(r, T + TWO_YEARS), starting_share(r, T + FIVE_YEARS)] for r in results])
    shares = shares.reshape(len(arms), len(seeds), 2)
    out = {}
    for k, (label, (strategy, overrides)) in enumerate(arms.items()):
        effects = {}
        for j, years in enumerate(("two_year", "five_year")):
            mean, low, high = paired_interval(100 * (shares[k, :, j] - shares[0, :, j]), LEVEL)
            effects[years] = {"share": float(shares[k, :, j].mean()), "effect_pp": mean, "low": low, "high": high}
        out[label] = {"strategy": strategy, "overrides": overrides, **effects}
    return out


def scale_survival(scenario: Scenario, seeds: Sequence[int], by_region: bool,
                   executor: Executor | None = None) -> dict[str, Any]:
    """Item 6: two-year survival of the cohort alive at T, clustered by seed (or seed x region)."""
    T = scenario.outcome_month
    specs = [RunSpec.of(scenario, seed=seed, months=T + TWO_YEARS + 1, record=("partnerships",)) for seed in seeds]
    counts = []
    for result in run_specs(specs, executor):
        pp = result.tables["partnerships"]
        groups = pp.groupby("region", sort=True) if by_region else [(None, pp)]
        for _, rows in groups:
            counts.append(cohort_survival(rows["start"].to_numpy(np.int64),
                                          rows["end"].to_numpy(np.int64, na_value=-1), T))
    y, x = np.array(counts).T
    return {**cluster_ratio(y, x), "seeds": len(seeds), "cluster": "seed x region" if by_region else "seed"}


# --------------------------------------------------------------------------- all items

def measure(seeds: int = 1000, paired: int = 200, national: int = 4, regions: int = 400, workers: int = 1,
            baseline: Scenario | str | Path | None = None, generated: Scenario | str | Path | None = None,
            national_scenario: Scenario | str | Path | None = None) -> dict[str, Any]:
    """Items 1-6 of issue 17 as one JSON-ready dict (a scale with 0 seeds is left out)."""
    started = time.perf_counter()
    root = repository()
    sc = _scenario(baseline, root / "scenarios" / "baseline.toml")
    T, threshold = sc.outcome_month, sc.parameters.reactivation_health
    strategies = {name: (name, {}) for name in sc.strategies}
    contrasts = {label: (None, known(o)) for label, o in CONTRASTS.items() if known(o)}
    run(RunSpec.of(sc, months=1, record=("indicators",)), check_invariants=False)  # compile here, not in workers
    with executor_for(0 if workers <= 1 else workers) as (executor, _):
        passes = snapshots(executor, sc, None, range(1, seeds + 1), max(sc.horizon, T + FIVE_YEARS + 1))
        knife = knife_edge(passes, threshold)
        if CONSULTATION in sc.strategies:
            arm = snapshots(executor, sc, CONSULTATION, range(1, paired + 1), T + A_YEAR + 1)
            same = [p for p in passes if p["seed"] <= paired]
            knife["consultation_arm"] = {"strategy": CONSULTATION, "seeds": len(arm),
                                         "share_above_none": knife_edge(same, threshold)["share_above"],
                                         "share_above_strategy": knife_edge(arm, threshold)["share_above"]}
        effects = paired_effects(sc, {**strategies, **contrasts}, range(1, paired + 1), executor)
        per_seed = np.array([cohort_survival(p["start"], p["end"], T) for p in passes]).T
        scales = {"baseline": {**cluster_ratio(*per_seed), "seeds": seeds, "cluster": "seed"}}
        if regions:
            scales["generated"] = scale_survival(_scenario(generated, root / "experiments" / GENERATED),
                                                 range(1, regions + 1), False, executor)
        if national:
            scales["national"] = scale_survival(_scenario(national_scenario, root / "scenarios" / "national.toml"),
                                                range(1, national + 1), True, executor)
    return {
        "settings": {"scenario": sc.name, "funding_end": T, "reactivation_health": threshold, "seeds": seeds,
                     "paired": paired, "regions": regions, "national": national, "workers": workers,
                     "level": LEVEL, "near": NEAR, "seconds": round(time.perf_counter() - started, 1)},
        "knife_edge": knife,
        "effects": effects,
        "ownership": ownership(passes),
        "ecosystems": landmark(passes, T),
        "end_causes": end_causes(passes, T),
        "hazard": hazards(passes, T),
        "scales": scales,
    }


def _scenario(given: Scenario | str | Path | None, default: Path) -> Scenario:
    return given if isinstance(given, Scenario) else load_scenario(default if given is None else given)


# --------------------------------------------------------------------------- validation checks

def checks(seeds: int = CHECK_SEEDS, workers: int = 2, scenario: Scenario | str | Path | None = None) -> list[Check]:
    """The credibility checks of ``ecosim validate`` on the baseline, `seeds` seeds (paired for the strategies).

    - no strategy moves two-year survival of the starting pairs after T by more than 15 pp;
    - ownership at T spreads over the partnerships (P90 - P10 >= 0.10);
    - partnerships end while funded (monthly hazard in months 1..T-1 at least 0.001), and mostly
      for reasons that exist while funded (causes other than the bridge-builder's departure).
    """
    sc = _scenario(scenario, repository() / "scenarios" / "baseline.toml")
    T = sc.outcome_month
    run(RunSpec.of(sc, months=1, record=("indicators",)), check_invariants=False)  # compile here, not in workers
    with executor_for(0 if workers <= 1 else workers) as (executor, _):
        passes = snapshots(executor, sc, None, range(1, seeds + 1), T + 1)
        effects = paired_effects(sc, {name: (name, {}) for name in sc.strategies}, range(1, seeds + 1), executor)
    found = []
    effects.pop("none")
    if effects:
        label, largest = max(effects.items(), key=lambda kv: abs(kv[1]["two_year"]["effect_pp"]))
        e = largest["two_year"]
        note = "; ".join(f"{k} {v['two_year']['effect_pp']:+.1f}" for k, v in effects.items())
        found.append(Check("credibility", "largest strategy effect (pp)", f"|effect| <= {MAX_EFFECT_PP:g} pp",
                           e["effect_pp"], e["low"], e["high"], abs(e["effect_pp"]) <= MAX_EFFECT_PP,
                           f"{label}, paired over {seeds} seeds, two-year survival of the starting pairs after T; "
                           f"all: {note}"))
    o = spread(np.concatenate([p["at_T"]["ownership"] for p in passes]))
    found.append(Check("credibility", "ownership spread at T (P90 - P10)", f">= {MIN_OWNERSHIP_SPREAD:g}",
                       o["p90"] - o["p10"], o["p10"], o["p90"], o["p90"] - o["p10"] >= MIN_OWNERSHIP_SPREAD,
                       f"interval: P10 and P90 of ownership over {o['n']} live partnerships; mean {o['mean']:.3f}"))
    per_seed = np.array([endings_and_exposure(p["start"], p["end"], 1, T - 1, p["months"]) for p in passes]).T
    h = cluster_ratio(*per_seed)
    found.append(Check("credibility", "ending hazard while funded (monthly)",
                       f">= {MIN_FUNDED_HAZARD:g}, interval above 0", h["value"], h["low"], h["high"],
                       h["value"] >= MIN_FUNDED_HAZARD and h["low"] > 0,
                       f"months 1..{T - 1}, {int(per_seed[0].sum())} endings; interval clustered by seed"))
    causes = np.concatenate([p["cause"][(p["end"] >= 1) & (p["end"] <= T - 1)] for p in passes])
    other = (causes != CAUSES.index("carrier")).astype(float)
    share = float(other.mean()) if other.size else math.nan
    low, high = (stats.binomtest(int(other.sum()), other.size).proportion_ci(LEVEL, "wilson") if other.size
                 else (math.nan, math.nan))
    counts = ", ".join(f"{name} {int((causes == k).sum())}" for k, name in enumerate(CAUSES))
    found.append(Check("credibility", "funded endings not caused by the departure", f">= {MIN_FUNDED_OTHER:g}",
                       share, low, high, other.size > 0 and share >= MIN_FUNDED_OTHER,
                       f"causes of the endings in months 1..{T - 1}: {counts}"))
    return found


# --------------------------------------------------------------------------- the table

def _pp(e: dict) -> str:
    return f"{e['effect_pp']:+.1f} [{e['low']:+.1f}, {e['high']:+.1f}]"


def _ci(s: dict) -> str:
    return f"{s['value']:.4f} [{s['low']:.4f}, {s['high']:.4f}]"


def markdown(result: dict[str, Any]) -> str:
    """The figures as a Markdown table beside issue 17's (measured at 384e17c)."""
    s, k, e, o = result["settings"], result["knife_edge"], result["effects"], result["ownership"]
    T, h_r = s["funding_end"], s["reactivation_health"]
    rows: list[tuple[str, str, str, str]] = [
        ("1", f"mean health of live partnerships at T+12 (T = {T})", f"{k['mean_health']:.3f}", "health"),
        ("1", f"share within ±{s['near']} of H_r = {h_r:g}", f"{k['share_near_threshold']:.3f}", "near"),
    ]
    for label, effect in e.items():
        if label in ("none", BROKERAGE) or effect["strategy"] is None:
            continue  # brokerage: item 3
        rows.append(("1", f"{label}: two-year survival after T, paired (pp)", _pp(effect["two_year"]), label))
        if label == GRADUAL_HANDOVER:
            rows.append(("1", f"{label}: five-year survival after T, paired (pp)", _pp(effect["five_year"]),
                         f"{label} 5y"))
    if "consultation_arm" in k:
        c = k["consultation_arm"]
        rows.append(("1", f"share above H_r at T+12: none → {CONSULTATION}",
                     f"{c['share_above_none']:.2f} → {c['share_above_strategy']:.2f}", "above"))
    rows.append(("1", "share above H_r at T+12 (no strategy): without / with consultation structures",
                 f"{k['share_above_without_consultation']:.2f} / {k['share_above_with_consultation']:.2f}", ""))
    for name, v in o.items():
        rows.append(("2", f"{name} of live partnerships at T: mean, SD, P10-P90",
                     f"{v['mean']:.3f}, {v['sd']:.3f}, {v['p10']:.3f}-{v['p90']:.3f}", f"{name} sd"))
    for label in CONTRASTS:
        if label in e:
            rows.append(("3", f"{label}: two-year survival after T, paired (pp)", _pp(e[label]["two_year"]), label))
    eco = result["ecosystems"]
    rows.append(("3", "starting pairs at T in ecosystems of ≥ 3 organisations vs isolated: not ended at T+24",
                 f"{eco['in_ecosystem']:.3f} vs {eco['isolated']:.3f}", "landmark"))
    if BROKERAGE in e:
        rows.append(("3", f"{BROKERAGE}: two-year survival after T, paired (pp)", _pp(e[BROKERAGE]["two_year"]),
                     BROKERAGE))
    c = result["end_causes"]
    for name, share in c["shares"].items():
        rows.append(("4", f"share of endings after T labelled {name} ({c['endings']} endings, months {c['months']})",
                     f"{share:.3f}", name))
    hz = result["hazard"]
    rows += [
        ("5", f"ending hazard while funded (months 1..{T - 1}), monthly", f"{hz['funded_monthly']:.5f}", "funded"),
        ("5", f"first year after T (months {T}..{T + 11}) / funded hazard", f"{hz['ratio']:.1f}", "ratio"),
        ("5", "share alive 24 months after own start", f"{hz['alive_24_after_start']:.3f}", ""),
    ]
    for name, v in result["scales"].items():
        what = f"two-year survival of the cohort at T, {name} ({v['seeds']} seeds, clusters: {v['cluster']})"
        rows.append(("6", what, _ci(v), f"scale {name}"))
    lines = ["| item | figure | measured | issue 17 (384e17c) |", "|---|---|---|---|"]
    lines += [f"| {item} | {what} | {value} | {ISSUE.get(key, '')} |" for item, what, value, key in rows]
    lines.append("")
    lines.append(f"{s['seeds']} seeds (snapshots, baseline scale), {s['paired']} paired seeds, "
                 f"{s['regions']} generated regions, {s['national']} national seeds; {int(s['level'] * 100)}% "
                 f"intervals; {s['seconds']:.0f} s on {s['workers']} worker(s).")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, print the table, optionally write JSON and Markdown."""
    parser = argparse.ArgumentParser(prog="python -m ecosim.validation.credibility",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000, help="seeds of the snapshot passes (items 1-6)")
    parser.add_argument("--paired", type=int, default=200, help="paired seeds of the strategy contrasts")
    parser.add_argument("--national", type=int, default=4, help="seeds of the national scenario (0: skip)")
    parser.add_argument("--regions", type=int, default=400, help="seeds of the generated regions (0: skip)")
    parser.add_argument("--workers", type=int, default=1, help="Dask workers (1: in this process)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    args = parser.parse_args(argv)
    result = measure(args.seeds, args.paired, args.national, args.regions, args.workers)
    table = markdown(result)
    if args.json:
        args.json.write_text(json.dumps(strict_json(result), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
