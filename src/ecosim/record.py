"""Recording: per-month indicators and the outcomes of a run."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ecosim.build import World
from ecosim.kernels import Engine
from ecosim.kernels.codes import BB_ACTIVE, BB_AFTERCARE, CAUSES, PROGRAMME
from ecosim.kernels.learners import PROGRAMME_MONTHS
from ecosim.schedule import MonthStats
from ecosim.tables import conform

STRUCTURE = (
    "partnerships_active",
    "partnerships_stalled",
    "partnerships_ended",
    "ecosystems",
    "largest_ecosystem",
    "share_in_ecosystems_of_3_plus",
    "bridge_builders_active",
    "bridge_builders_aftercare",
    "support_board",
    "support_leaders",
    "support_floor",
    "mean_health",
    "learners_placed",
    "hard_to_reach_placed",
    "mean_competence_placed",
    "mean_breadth_placed",
    "support_board_schools",
    "support_leaders_schools",
    "support_floor_schools",
    "support_board_companies",
    "support_leaders_companies",
    "support_floor_companies",
)
INDICATORS = (
    "month",
    "funding",
    *STRUCTURE,
    *(f"ended_{c}" for c in CAUSES),
    "hard_to_reach_share_placed",
    "merges",
    "recruits",
    "placements",
    "graduates",
    "graduates_placed",
    "graduate_competence",
    "graduate_breadth",
    "spending",
)
FOLLOW_UP = (24, 60)  # months after the reference month at which survival is read


@dataclass
class Recorder:
    """Collects one row of indicators per month."""

    rows: list[list[float]] = field(default_factory=list)

    def record(self, world: World, engine: Engine, stats: MonthStats) -> dict[str, float]:
        """Append and return the indicators of the month just run."""
        t = world.month - 1
        O, B, P, L = world.organisations, world.bridge_builders, world.partnerships, world.learners
        by_cause = np.zeros(len(CAUSES), np.int64)
        arguments = (P.view(), O.view(), B.view(), L.view(), world.census, by_cause)
        structure = engine.call("indicators", arguments, world.kernel_entries)
        row = dict(month=t, funding=stats.funding, **dict(zip(STRUCTURE, structure, strict=True)))
        row.update({f"ended_{c}": int(k) for c, k in zip(CAUSES, by_cause, strict=True)})
        row["hard_to_reach_share_placed"] = ratio(row["hard_to_reach_placed"], row["learners_placed"])
        row.update(
            merges=stats.merges,
            recruits=stats.recruits,
            placements=stats.placements,
            graduates=stats.graduates,
            graduates_placed=stats.graduates_placed,
            graduate_competence=ratio(stats.graduate_competence, stats.graduates_placed),
            graduate_breadth=ratio(stats.graduate_breadth, stats.graduates_placed),
            spending=self._spending(world, stats),
        )
        self.rows.append([row[name] for name in INDICATORS])
        return row

    @staticmethod
    def _spending(world: World, stats: MonthStats) -> float:
        """Programme spending of the month (docs/ODD.md §7.8, costs)."""
        p, B = world.parameters, world.bridge_builders
        paid = np.count_nonzero((B.status == BB_ACTIVE) & (B.payer == PROGRAMME))
        spending = p.bridge_builder_cost * stats.funding * paid
        spending += p.aftercare_cost * np.count_nonzero((B.status == BB_AFTERCARE) & (B.payer == PROGRAMME))
        if p.network_support:
            spending += p.expert_card_cost / 12 * stats.large_ecosystems
        if p.outreach:
            spending += p.outreach_cost * stats.hard_placements
        return float(spending + p.evaluation_cost * stats.sessions)

    def frame(self) -> pd.DataFrame:
        """The indicators as a DataFrame, one row per month."""
        return conform(pd.DataFrame(self.rows, columns=list(INDICATORS)))


def ratio(numerator: float, denominator: float) -> float:
    """The ratio numerator / denominator; NaN when there is nothing to divide by (no partnerships, no learners)."""
    return numerator / denominator if denominator else np.nan


def status_at(events: pd.DataFrame, partnerships: pd.DataFrame, month: int) -> pd.Series:
    """Each partnership's status ('active', 'stalled', 'ended') at the end of `month`, from the stored tables.

    NA for a partnership not yet formed. Ended: `end` <= month; stalled: its last stalled or
    reactivated event by then was a stall; active otherwise.
    """
    ids = partnerships["partnership"]
    moves = events[events["event"].isin(["stalled", "reactivated"]) & (events["month"] <= month)]
    last = moves.drop_duplicates("partnership", keep="last")
    stalled = ids.isin(last.loc[last["event"] == "stalled", "partnership"])
    status = pd.Series(np.where(stalled, "stalled", "active"), index=partnerships.index, dtype="str")
    status[partnerships["end"].le(month).fillna(False).to_numpy(bool)] = "ended"
    status[(partnerships["start"] > month).to_numpy()] = None
    return status


def outcomes(
    indicators: pd.DataFrame, events: pd.DataFrame, partnerships: pd.DataFrame, reference_month: int, months: int
) -> dict[str, Any]:
    """The outcomes of docs/ODD.md §7.8 for one run, from its stored tables; NaN where the run is too short to tell.

    The cohort are the partnerships alive (not ended) at the end of the reference month.
    Cohort outcomes count the cohorts enrolled at month 0 or later (graduating from month 24):
    the cohort that starts the run mid-programme graduates after only 12 simulated months.
    """
    ref = reference_month
    reached = ref <= months - 1
    cohort = status_at(events, partnerships, ref).isin(["active", "stalled"]) if reached else None
    alive = int(cohort.sum()) if reached else 0
    out: dict[str, Any] = {"reference_month": ref, "alive_at_reference": alive if reached else np.nan}
    for later in FOLLOW_UP:
        seen = status_at(events, partnerships, ref + later)[cohort] if reached and ref + later <= months - 1 else None
        out[f"share_not_ended_{later}"] = ratio(int((seen != "ended").sum()), alive) if seen is not None else np.nan
        out[f"share_active_{later}"] = ratio(int((seen == "active").sum()), alive) if seen is not None else np.nan
    after = indicators[indicators["month"] > ref]
    placed_months = int(after["learners_placed"].sum())
    out["learner_months_after_reference"] = placed_months if len(after) else np.nan
    out["hard_to_reach_share_of_placed_months"] = ratio(after["hard_to_reach_placed"].sum(), placed_months)
    grads = indicators[(indicators["graduates"] > 0) & (indicators["month"] >= PROGRAMME_MONTHS)]
    out["cohort_share_placed"] = (
        float((grads["graduates_placed"] / grads["graduates"]).mean()) if len(grads) else np.nan
    )
    weights = grads["graduates_placed"]
    for name in ("graduate_competence", "graduate_breadth"):  # means over placed graduates of all cohorts
        out[name] = float(ratio((grads[name] * weights).sum(), weights.sum()))
    last = indicators.iloc[-1] if len(indicators) else None
    out["ecosystems"] = int(last["ecosystems"]) if last is not None else np.nan
    out["share_in_ecosystems_of_3_plus"] = float(last["share_in_ecosystems_of_3_plus"]) if last is not None else np.nan
    out["largest_ecosystem"] = int(last["largest_ecosystem"]) if last is not None else np.nan
    spending = float(indicators["spending"].sum())
    out["programme_spending"] = spending
    out["learner_months_per_1000_eur"] = ratio(indicators["learners_placed"].sum(), spending / 1000)
    out["partnerships_formed"] = len(partnerships)
    out["months"] = months
    return out
