"""The nine patterns of docs/ODD.md §1 (P1-P9) as paired experiments, one function each.

Each pattern runs `replications` seeds (scenario seed + 0, 1, ...) of the patterns scenario
(``experiments/patterns.toml``: the baseline's parameters and strategies in one generated
region of 150 starting pairs) under two arms with the same seeds. Draws are keyed by
(seed, process, entity, month), so the arms share their random numbers wherever their
states agree (common random numbers) and the per-seed difference of a metric isolates the
mechanism. A pattern passes when the mean paired difference lies in the stated direction,
is at least the stated minimum size, and its 99% Student-t interval over the seeds
excludes zero. The minimum sizes are set a priori as the smallest effect that would
still count as "the pattern shows", not fitted to the measured effect.
"""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ecosim.analysis.paired import paired_interval
from ecosim.batch import run_specs
from ecosim.kernels.codes import ENDED
from ecosim.model import EcosystemModel
from ecosim.runner import RunResult
from ecosim.scenario import Scenario
from ecosim.spec import RunSpec
from ecosim.validation import Check, experiment_scenario

PATTERNS = "patterns.toml"  # in the repository's experiments/ folder
LEVEL = 0.99  # confidence level of the paired interval
REPLICATIONS = 20

Arm = tuple[str | None, dict | None]  # (strategy, parameter overrides)
Metric = Callable[[RunResult], float]
BASELINE: Arm = (None, None)


def _verdict(name: str, expected: str, differences: np.ndarray, minimum: float, direction: int, note: str) -> Check:
    """A pattern Check: the mean difference times `direction` must reach `minimum` with the interval beyond zero."""
    mean, low, high = paired_interval(differences)
    beyond_zero = low > 0 if direction > 0 else high < 0
    passed = beyond_zero and direction * mean >= minimum
    return Check("pattern", name, expected, mean, low, high, bool(passed),
                 f"{note}; {differences.size} paired seeds, {int(LEVEL * 100)}% t interval")


def _paired(scenario: Scenario, control: Arm, treatment: Arm, metric: Callable[[RunResult], float | tuple],
            replications: int, months: int | None = None) -> np.ndarray:
    """The metric (one value or a tuple) of both arms for seeds scenario.seed + 0 .. replications - 1.

    Returns an array (2, replications, values per run): control first, then treatment.
    """
    specs = [
        RunSpec.of(scenario, strategy, scenario.seed + r, overrides, months=months)
        for r in range(replications)
        for strategy, overrides in (control, treatment)
    ]
    values = [np.atleast_1d(np.asarray(metric(result), float)) for result in run_specs(specs)]
    return np.array(values).reshape(replications, 2, -1).transpose(1, 0, 2)


def _arms_note(control: np.ndarray, treatment: np.ndarray, labels: tuple[str, str]) -> str:
    return f"{labels[0]} {control.mean():.4f}, {labels[1]} {treatment.mean():.4f}"


def starting_pairs(result: RunResult) -> int:
    """Partnerships the run started with (every later row was formed by recruitment)."""
    return len(result.tables["partnerships"]) - int((result.events["event"] == "formed").sum())


def share_starting_not_ended(result: RunResult, month: int) -> float:
    """Share of the starting partnerships not ended by the end of `month`."""
    pp = result.tables["partnerships"].iloc[: starting_pairs(result)]
    return float((pp["end"].isna() | pp["end"].gt(month).fillna(False)).mean())


def ending_hazard(result: RunResult, first: int, last: int) -> float:
    """Endings per live partnership-month over months first..last (live at the start of each month)."""
    ind = result.indicators
    ended = ind["partnerships_ended"].to_numpy()
    live = (ind["partnerships_active"] + ind["partnerships_stalled"]).to_numpy()
    return float((ended[last] - ended[first - 1]) / live[first - 1 : last].sum())


# --- P1-P9 ---------------------------------------------------------------------------------


def p1_funding_end(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS,
                   window: int = 24) -> Check:
    """P1: the monthly hazard of ending rises at the funding end T (baseline, no strategy).

    Per seed: endings per live partnership-month in months T..T+window-1 minus the same in
    T-window..T-1. Minimum: the hazard after is at least twice the hazard before.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    end = sc.parameters.funding_end
    results = run_specs([RunSpec.of(sc, seed=sc.seed + r, months=end + window) for r in range(replications)])
    before = np.array([ending_hazard(result, end - window, end - 1) for result in results])
    after = np.array([ending_hazard(result, end, end + window - 1) for result in results])
    ratio = after.mean() / before.mean() if before.mean() > 0 else np.inf
    check = _verdict("P1 hazard of ending rises at the funding end",
                     f"hazard after T - hazard before T > 0, after/before >= 2 ({window} months each side)",
                     after - before, 0.0, +1,
                     f"hazard before {before.mean():.5f}, after {after.mean():.5f} a month (ratio {ratio:.1f})")
    values = {"hazard_before": float(before.mean()), "hazard_after": float(after.mean()), "ratio": float(ratio)}
    return replace(check, passed=check.passed and bool(ratio >= 2.0), values=values)


def stalled_in_first_year(result: RunResult) -> float:
    """Share of the starting partnerships that stalled at least once in months 0-11."""
    n0 = starting_pairs(result)
    ev = result.events
    stalled = ev[(ev["event"] == "stalled") & (ev["month"] < 12) & (ev["partnership"] < n0)]
    return stalled["partnership"].nunique() / n0


def p2_board_only(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P2: board support high but lower layers low -> more stalling in the first year ("lintjes knippen").

    Both arms start with board support 0.9; leaders/floor start at 0.7/0.6 (carried) or
    0.3/0.2 (board only). Minimum: +0.02 in the share of starting pairs stalling in year one.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    carried: Arm = (None, {"initial_board": 0.9, "initial_leaders": 0.7, "initial_floor": 0.6})
    board_only: Arm = (None, {"initial_board": 0.9, "initial_leaders": 0.3, "initial_floor": 0.2})
    a, b = _paired(sc, carried, board_only, stalled_in_first_year, replications, months=12)[..., 0]
    return _verdict("P2 board-only support stalls more in the first year",
                    "board-only - carried by all layers: share stalled in year one >= +0.02", b - a, 0.02, +1,
                    _arms_note(a, b, ("carried", "board only")))


def p3_contact_persons(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P3: hanging on one contact person is less durable (baseline vs distributed-contacts, k >= 2).

    Metric: share of the partnerships alive at T not ended 60 months later. Minimum: +0.02.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    metric: Metric = lambda r: r.outcomes["share_not_ended_60"]  # noqa: E731
    months = sc.outcome_month + 61
    a, b = _paired(sc, BASELINE, ("distributed-contacts", None), metric, replications, months)[..., 0]
    return _verdict("P3 several contact persons are more durable than one",
                    "distributed-contacts - baseline: share not ended 60 months after T >= +0.02", b - a, 0.02, +1,
                    _arms_note(a, b, ("baseline", "distributed-contacts")))


def p4_merged_outlive_isolated(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS,
                               follow_up: int = 60) -> Check:
    """P4: merging into ecosystems keeps partnerships alive: the causal, paired contrast.

    Metric: share of the partnerships alive at T not ended 24 months later, with merging on
    (the baseline) minus merging off (merge_rate = 0), on the same seeds. Minimum: +0.01.
    Merging off also removes recruitment into ecosystems and the coordination penalties of
    large ones, so this is the net effect of the ecosystem channel as a whole. The landmark
    comparison (starting pairs in an ecosystem of >= 3 organisations at T against isolated
    pairs, share not ended `follow_up` months later, within each run) is reported in the
    note: it describes, but membership is not randomised.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    end = sc.outcome_month
    metric: Metric = lambda r: r.outcomes["share_not_ended_24"]  # noqa: E731
    a, b = _paired(sc, (None, {"merge_rate": 0.0}), BASELINE, metric, replications, end + 25)[..., 0]
    shares = np.empty((2, replications))
    for r in range(replications):
        model = EcosystemModel(sc, rng=sc.seed + r, months=end + follow_up + 1, reporters=())
        n0 = model.world.partnerships.n
        while model.world.month <= end:
            model.step()
        status = model.world.partnerships.status
        root, organisations = model.world.census[0], model.world.census[2]
        live = np.flatnonzero(status[:n0] != ENDED)
        in_ecosystem = live[organisations[root[live]] >= 3]
        isolated = live[organisations[root[live]] == 2]
        while model.running:
            model.step()
        shares[:, r] = (status[isolated] != ENDED).mean(), (status[in_ecosystem] != ENDED).mean()
    landmark = paired_interval(shares[1] - shares[0])
    return _verdict("P4 merging into ecosystems keeps partnerships alive",
                    "merging on - off (merge_rate 0): share not ended 24 months after T >= +0.01", b - a, 0.01, +1,
                    f"{_arms_note(a, b, ('merging off', 'merging on'))}; landmark within runs, in ecosystem "
                    f"(>= 3 organisations at T) - isolated, share not ended {follow_up} months later: "
                    f"{landmark[0]:+.4f} [{landmark[1]:+.4f}, {landmark[2]:+.4f}]")


def p5_gradual_handover(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P5: gradual handover makes the bridge-builders' departure survivable (gradual-handover vs baseline).

    Metric: share of the partnerships alive at T not ended 24 months later. Minimum: +0.05.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    metric: Metric = lambda r: r.outcomes["share_not_ended_24"]  # noqa: E731
    a, b = _paired(sc, BASELINE, ("gradual-handover", None), metric, replications, sc.outcome_month + 25)[..., 0]
    return _verdict("P5 gradual handover makes the departure survivable",
                    "gradual-handover - baseline: share not ended 24 months after T >= +0.05", b - a, 0.05, +1,
                    _arms_note(a, b, ("baseline", "gradual-handover")))


def school_leaders_support(result: RunResult) -> float:
    """Mean leaders' support of the schools with a live partnership at the end of the run."""
    pp, orgs = result.tables["partnerships"], result.tables["organisations"]
    schools = pp.loc[pp["status"] != "ended", "school"].unique().to_numpy(np.int64)
    return float(orgs["leaders"].to_numpy()[schools].mean())


def p6_company_demand(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P6: companies' explicit demand keeps school leaders motivated (company-demand-signal vs baseline).

    Metric: school leaders' support 24 months after T. Minimum: +0.02.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    a, b = _paired(sc, BASELINE, ("company-demand-signal", None), school_leaders_support, replications,
                   sc.outcome_month + 25)[..., 0]
    return _verdict("P6 company demand keeps school leaders' support up",
                    "company-demand-signal - baseline: school leaders' support 24 months after T >= +0.02", b - a,
                    0.02, +1, _arms_note(a, b, ("baseline", "company-demand-signal")))


def p7_coordination_cost(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P7: ecosystems without network-leadership capacity pay a coordination cost (baseline vs network-support).

    Metric: share of the partnerships alive at T not ended 60 months later. Minimum: +0.01.
    The note gives the share of all partnerships that ended by the coordination cause.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    months = sc.outcome_month + 61

    def metrics(r: RunResult) -> tuple[float, float]:
        coordination = r.indicators["ended_coordination"].iloc[-1] / len(r.tables["partnerships"])
        return r.outcomes["share_not_ended_60"], coordination

    values = _paired(sc, BASELINE, ("network-support", None), metrics, replications, months)
    a, b = values[..., 0]
    ca, cb = values[..., 1]
    return _verdict("P7 large ecosystems without capacity pay a coordination cost",
                    "network-support - baseline: share not ended 60 months after T >= +0.01", b - a, 0.01, +1,
                    f"{_arms_note(a, b, ('baseline', 'network-support'))}; ended by coordination: baseline "
                    f"{ca.mean():.4f}, network-support {cb.mean():.4f} of all partnerships")


def p8_outreach(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P8: hard-to-reach learners take part much less unless someone reaches out (outreach vs baseline).

    Metric: hard-to-reach share of placed learner-months after T. Minimum: +0.05.
    """
    sc = experiment_scenario(scenario, PATTERNS)
    metric: Metric = lambda r: r.outcomes["hard_to_reach_share_of_placed_months"]  # noqa: E731
    a, b = _paired(sc, BASELINE, ("outreach", None), metric, replications)[..., 0]
    share = sc.parameters.hard_to_reach_share
    return _verdict("P8 outreach raises the hard-to-reach share of placed learners",
                    "outreach - baseline: hard-to-reach share of placed learner-months >= +0.05", b - a, 0.05, +1,
                    f"{_arms_note(a, b, ('baseline', 'outreach'))} (hard to reach among enrolled: {share:g})")


def p9_evaluation(scenario: Scenario | str | Path | None = None, replications: int = REPLICATIONS) -> Check:
    """P9: regular reflection restores shared mission and health (evaluation vs baseline).

    Metric: mean shared mission of live partnerships at the horizon. Minimum: +0.1. The mean
    health of live partnerships over months 12..horizon must rise too (interval beyond zero).
    """
    sc = experiment_scenario(scenario, PATTERNS)

    def mission_and_health(r: RunResult) -> tuple[float, float]:
        pp = r.tables["partnerships"]
        return pp.loc[pp["status"] != "ended", "mission"].mean(), r.indicators["mean_health"].iloc[12:].mean()

    values = _paired(sc, BASELINE, ("evaluation", None), mission_and_health, replications)
    a, b = values[..., 0]
    health = paired_interval(values[1, :, 1] - values[0, :, 1])
    check = _verdict("P9 evaluation restores shared mission and health",
                     "evaluation - baseline: mean mission of live partnerships >= +0.1; mean health rises", b - a,
                     0.1, +1,
                     f"{_arms_note(a, b, ('baseline', 'evaluation'))}; mean health months 12+: "
                     f"{health[0]:+.4f} [{health[1]:+.4f}, {health[2]:+.4f}]")
    values = {"health_difference": health[0], "health_low": health[1], "health_high": health[2]}
    return replace(check, passed=check.passed and health[1] > 0, values=values)


PATTERN_CHECKS: tuple[Callable[..., Check], ...] = (
    p1_funding_end, p2_board_only, p3_contact_persons, p4_merged_outlive_isolated, p5_gradual_handover,
    p6_company_demand, p7_coordination_cost, p8_outreach, p9_evaluation,
)


def all_checks(replications: int = REPLICATIONS) -> list[Check]:
    """Every pattern on the shipped patterns scenario."""
    return [check(replications=replications) for check in PATTERN_CHECKS]
