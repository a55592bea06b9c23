"""PeerModel: ecosim's model written as an idiomatic Mesa model, for the performance benchmark.

The world's structure (regions, schools, companies, bridge-builders, starting pairs, learners
per school) and the resolved parameters are read from the scenario as ecosim builds it: that
is input. Everything random (support, commitment, demand, learners, every monthly draw) comes
from the model's own RNG, and the monthly schedule of docs/ODD.md §3 runs as agent methods.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Any

import mesa

from benchmarks.mesa_peer.agents import (
    ACTIVE,
    AFTERCARE,
    ENDED,
    STALLED,
    BridgeBuilder,
    Company,
    Learner,
    Organisation,
    Partnership,
    School,
)
from ecosim.build import build_world
from ecosim.scenario import Scenario, region_names

PROGRAMME_MONTHS = 24  # a programme lasts two years ...
COHORT_INTERVAL = 12  # ... and a cohort starts every year
FOLLOW_UP = (24, 60)  # months after the reference month at which survival is read
LARGE_ECOSYSTEM = 3  # organisations from which an ecosystem counts as large


class Ecosystem:
    """A set of partnerships joined by merging, as one census sees it: its live members and what they share."""

    __slots__ = ("root", "region", "members", "orgs", "companies", "sectors", "active_bridge_builder", "ownership")

    def __init__(self, root: Partnership):
        self.root = root
        self.region = root.region
        self.members: list[Partnership] = []  # live, in order of formation
        self.orgs: dict[Organisation, None] = {}  # an ordered set
        self.companies: set[Company] = set()
        self.sectors: set[str] = set()  # its companies' sectors
        self.active_bridge_builder = False
        self.ownership = 0.0  # summed over its live members

    def add(self, j: Partnership) -> None:
        """Count live partnership j in."""
        self.members.append(j)
        self.orgs[j.school] = None
        self.orgs[j.company] = None
        self.companies.add(j.company)
        self.sectors |= j.company.sectors
        self.ownership += j.ownership
        if j.bridge_builder is not None and j.bridge_builder.status == ACTIVE:
            self.active_bridge_builder = True


class PeerModel(mesa.Model):
    """School-company learning partnerships, month by month, as Mesa agents.

    Args:
        scenario: an ecosim Scenario (``ecosim.load_scenario(path)``).
        seed: seed of the model's RNG (``self.random``, ``self.rng``), and the seed with which ecosim's
            builder lays out a generated region (listed regions do not depend on it).
        strategy: one of the scenario's strategies, or None.

    """

    def __init__(self, scenario: Scenario, seed: int, strategy: str | None = None):
        super().__init__(rng=seed)
        self.ecosim_scenario = scenario
        self.p = scenario.parameters_for(strategy)
        self.reference_month = scenario.outcome_month
        self.month = 0
        self.partnerships: list[Partnership] = []  # in order of formation
        self.ecosystems: list[Ecosystem] = []
        self.active_series: list[int] = []
        self.history: list[dict[str, float]] = []
        self.cohort: list[Partnership] | None = None
        self.follow_up: dict[int, tuple[int, int]] = {}
        self.month_placements = self.month_hard_placements = 0
        self._populate(scenario, seed)
        self._census()
        self._coordination()
        for j in self.partnerships:
            j.complete()

    # ---------------------------------------------------------------- set-up
    def _populate(self, scenario: Scenario, seed: int) -> None:
        """Create the agents from the scenario's structure (its regions, organisations, pairs and learners)."""
        world = build_world(scenario, self.p, seed)  # the structure only (as ecosim builds it for this seed)
        o, b, pp = world.organisations, world.bridge_builders, world.partnerships
        listed_demand = {
            f"{name}/{c.name}"
            for region in scenario.regions
            if region.generate is None
            for name in region_names(region)
            for c in region.companies
            if c.demand
        }
        sectors = scenario.sectors
        orgs: list[Organisation] = []
        self.region_orgs: dict[int, list[Organisation]] = defaultdict(list)
        for row in range(o.n):
            name, region = world.org_names[row], int(o.region[row])
            mask = int(o.sectors[row])
            trained = frozenset(s for k, s in enumerate(sectors) if mask >> k & 1)
            if o.kind[row] == 0:
                org: Organisation = School(self, name, region, trained, int(o.learners[row]))
            else:
                org = Company(self, name, region, trained, int(o.places[row]), name in listed_demand)
            orgs.append(org)
            self.region_orgs[region].append(org)
        bbs = [BridgeBuilder(self, world.bb_names[k], int(b.region[k]), bool(b.payer[k] == 1)) for k in range(b.n)]
        for i in range(pp.n):
            k = int(pp.bridge_builder[i])
            Partnership(
                self,
                orgs[int(pp.school[i])],
                orgs[int(pp.company[i])],
                int(pp.region[i]),
                bbs[k] if k >= 0 else None,
                self.p.initial_ownership,
                0,
            )
        self.start_pairs = [int(n) for n in world.region_start_pairs]
        for school in self.agents_by_type.get(School, []):
            for k in range(school.learners):
                Learner(self, school, -COHORT_INTERVAL if k < school.learners // 2 else 0)

    @property
    def learner_count(self) -> int:
        """Programme learners (constant: a graduate's place re-enrols)."""
        return len(self.agents_by_type.get(Learner, []))

    def _type(self, kind: type) -> mesa.agent.AgentSet:
        return self.agents_by_type.get(kind) or mesa.agent.AgentSet([], random=self.random)

    def live_partnerships(self) -> mesa.agent.AgentSet:
        """The active and stalled partnerships."""
        return self._type(Partnership).select(lambda j: j.status != ENDED)

    # ---------------------------------------------------------------- the month
    def step(self) -> None:
        """One month, in the order of docs/ODD.md §3."""
        t, p = self.month, self.p
        f = self.funding(t)
        # 2 bridge-builders: status first, then their effects on the partnerships they serve
        self._type(BridgeBuilder).shuffle_do("change_status", f)
        live = self.live_partnerships()
        live.shuffle_do("feel_bridge_builder")
        # 3 support: demand and energy from the partnerships, then every organisation from its own layers
        organisations = [*self._type(School), *self._type(Company)]
        for o in organisations:
            o.demanded, o.energy = False, 0.0
        live.do("mark_support")
        for kind in (School, Company):
            self._type(kind).shuffle_do("update_support")
        # 4 reflection
        sessions = 0
        if p.evaluation_interval > 0 and t > 0 and t % p.evaluation_interval == 0:
            live.shuffle_do("reflect")
            sessions = len(live)
            touched = {o for j in live for o in (j.school, j.company)}
            for o in touched:
                o.reflect()
        # 5 partnerships (with the ecosystems of last month's census)
        live.shuffle_do("update_health")
        # 6a merging, 6b recruitment, 6c coordination, 6d new partnerships
        self._census()
        merges = self._merge()
        self._census()
        recruits = self._recruit()
        self._census()
        large = self._coordination()
        for j in recruits:
            j.complete()
        # 7 learners
        graduation = self._learners()
        # 8 record
        self._record(f, merges, len(recruits), large, sessions, graduation)
        self.month += 1

    def funding(self, t: int) -> float:
        """Process 1: f(t), 1 before T, a linear taper over n months, 0 after."""
        end, taper = self.p.funding_end, self.p.funding_taper
        if t < end:
            return 1.0
        if t < end + taper:
            return 1.0 - (t - end + 1) / (taper + 1)
        return 0.0

    def _census(self) -> None:
        """The live ecosystems: each live partnership's union-find root and what its set holds."""
        found: dict[Partnership, Ecosystem] = {}
        for j in self.partnerships:
            if j.status == ENDED:
                j.ecosystem = None
                continue
            root = j.root()
            eco = found.get(root)
            if eco is None:
                eco = found[root] = Ecosystem(root)
            eco.add(j)
            j.ecosystem = eco
        self.ecosystems = sorted(found.values(), key=lambda e: e.root.number)

    def _merge(self) -> int:
        """Process 6a: every pair of live ecosystems of a region merges with m*A*B/n_r, applied together."""
        p = self.p
        by_region: dict[int, list[Ecosystem]] = defaultdict(list)
        for eco in self.ecosystems:
            by_region[eco.region].append(eco)
        chosen = []
        brokered = p.brokerage_merge_factor if p.brokerage else 1.0
        for g, ecos in by_region.items():
            if p.merge_rate == 0.0 or self.start_pairs[g] == 0:
                continue
            base = p.merge_rate / self.start_pairs[g]
            for a, x in enumerate(ecos):
                for y in ecos[a + 1 :]:
                    if not x.orgs.keys().isdisjoint(y.orgs):
                        affinity = 1.0
                    elif x.sectors & y.sectors:
                        affinity = p.affinity_sector
                    else:
                        affinity = p.affinity_none
                    boost = brokered
                    if x.active_bridge_builder or y.active_bridge_builder:
                        boost *= p.bridge_builder_merge_factor
                    if self.random.random() < base * affinity * boost:
                        chosen.append((x.root, y.root))
        merges = 0
        for x, y in chosen:
            rx, ry = x.root(), y.root()
            if rx is not ry:
                keep, gone = (rx, ry) if rx.number < ry.number else (ry, rx)
                gone.parent = keep
                merges += 1
        return merges

    def _recruit(self) -> list[Partnership]:
        """Process 6b: in root order, an ecosystem recruits an organisation of its region into a new partnership."""
        p = self.p
        recruits = []
        for eco in self.ecosystems:
            if not self.random.random() < min(p.max_recruitment, p.recruitment_rate * len(eco.orgs)):
                continue
            candidates = [o for o in self.region_orgs[eco.region] if o not in eco.orgs and o.sectors & eco.sectors]
            if not candidates:
                continue
            newcomer = self.random.choice(candidates)
            partners = [
                m
                for m in eco.orgs
                if type(m) is not type(newcomer)
                and m.sectors & newcomer.sectors
                and not newcomer.has_live_partnership_with(m)
            ]
            if not partners:
                continue
            member = self.random.choice(partners)
            school, company = (newcomer, member) if isinstance(newcomer, School) else (member, newcomer)
            first = next(j for j in eco.members if j.school is member or j.company is member)
            b = first.bridge_builder
            recruits.append(
                Partnership(
                    self,
                    school,
                    company,
                    eco.region,
                    b if b is not None and b.serving else None,
                    eco.ownership / len(eco.members),
                    self.month,
                    parent=eco.root,
                )
            )
        return recruits

    def _coordination(self) -> int:
        """Process 6c: the coordination penalty of every live partnership; returns the large ecosystems."""
        p = self.p
        capacity = p.capacity + (p.network_capacity if p.network_support else 0.0)
        capacity += p.brokerage_capacity if p.brokerage else 0.0
        large = 0
        for eco in self.ecosystems:
            large += len(eco.orgs) >= LARGE_ECOSYSTEM
            penalty = min(p.max_coordination_penalty, p.coordination_penalty * max(0.0, len(eco.orgs) - capacity))
            for j in eco.members:
                j.penalty = penalty
        return large

    def _learners(self) -> tuple[int, int, float, float]:
        """Process 7: graduation, release, tries in random order, learning and rotation in row order."""
        t = self.month
        learners = self._type(Learner)
        graduates = placed = 0
        competence = breadth = 0.0
        if t > 0 and t % COHORT_INTERVAL == 0:
            leaving = learners.select(lambda x: x.enrolled <= t - PROGRAMME_MONTHS)
            for x in leaving:
                graduates += 1
                if x.breadth > 0:
                    placed += 1
                    competence += x.competence
                    breadth += x.breadth
            leaving.do("enrol", t)
        learners.do("release_if_ended")
        self.month_placements = self.month_hard_placements = 0
        learners.select(lambda x: x.tries()).shuffle_do("find_placement")
        learners.do("learn")
        return graduates, placed, competence, breadth

    # ---------------------------------------------------------------- record and outcomes
    def _record(self, f: float, merges: int, recruits: int, large: int, sessions: int, graduation: tuple) -> None:
        p, t = self.p, self.month
        active = stalled = 0
        health = 0.0
        for j in self.partnerships:
            if j.status == ACTIVE:
                active += 1
            elif j.status == STALLED:
                stalled += 1
            if j.status != ENDED:
                health += j.health
        placed = hard = 0
        competence = 0.0
        for x in self._type(Learner):
            if x.placement is not None:
                placed += 1
                hard += x.hard
                competence += x.competence
        bbs = list(self._type(BridgeBuilder))
        paid = sum(1 for b in bbs if b.status == ACTIVE and not b.partner_paid)
        aftercare = sum(1 for b in bbs if b.status == AFTERCARE and not b.partner_paid)
        spending = p.bridge_builder_cost * f * paid + p.aftercare_cost * aftercare + p.evaluation_cost * sessions
        if p.network_support:
            spending += p.expert_card_cost / 12 * large
        if p.outreach:
            spending += p.outreach_cost * self.month_hard_placements
        live = active + stalled
        in_large = sum(len(e.members) for e in self.ecosystems if len(e.orgs) >= LARGE_ECOSYSTEM)
        graduates, grad_placed, grad_competence, grad_breadth = graduation
        self.active_series.append(active)
        self.history.append(
            {
                "month": t,
                "partnerships_active": active,
                "partnerships_stalled": stalled,
                "ecosystems": len(self.ecosystems),
                "largest_ecosystem": max((len(e.orgs) for e in self.ecosystems), default=0),
                "share_in_ecosystems_of_3_plus": in_large / live if live else math.nan,
                "mean_health": health / live if live else math.nan,
                "learners_placed": placed,
                "mean_competence_placed": competence / placed if placed else math.nan,
                "hard_to_reach_placed": hard,
                "merges": merges,
                "recruits": recruits,
                "placements": self.month_placements,
                "graduates": graduates,
                "graduates_placed": grad_placed,
                "graduate_competence_sum": grad_competence,
                "graduate_breadth_sum": grad_breadth,
                "spending": spending,
            }
        )
        ref = self.reference_month
        if t == ref:
            self.cohort = [j for j in self.partnerships if j.status != ENDED]
        for later in FOLLOW_UP:
            if t == ref + later and self.cohort is not None:
                self.follow_up[later] = (
                    sum(j.status != ENDED for j in self.cohort),
                    sum(j.status == ACTIVE for j in self.cohort),
                )

    def outcomes(self) -> dict[str, float]:
        """The run's outcomes as docs/ODD.md §7.8 defines them; NaN where the run is too short to tell."""
        nan = math.nan
        ref, h = self.reference_month, self.history
        alive = len(self.cohort) if self.cohort is not None else 0
        out: dict[str, float] = {
            "reference_month": ref,
            "alive_at_reference": alive if self.cohort is not None else nan,
        }
        for later in FOLLOW_UP:
            seen = self.follow_up.get(later)
            out[f"share_not_ended_{later}"] = seen[0] / alive if seen and alive else nan
            out[f"share_active_{later}"] = seen[1] / alive if seen and alive else nan
        after = [row for row in h if row["month"] > ref]
        placed_months = sum(row["learners_placed"] for row in after)
        out["learner_months_after_reference"] = placed_months if after else nan
        hard_months = sum(row["hard_to_reach_placed"] for row in after)
        out["hard_to_reach_share_of_placed_months"] = hard_months / placed_months if placed_months else nan
        grads = [row for row in h if row["graduates"] > 0 and row["month"] >= PROGRAMME_MONTHS]
        out["cohort_share_placed"] = (
            sum(row["graduates_placed"] / row["graduates"] for row in grads) / len(grads) if grads else nan
        )
        n_placed = sum(row["graduates_placed"] for row in grads)
        for name in ("competence", "breadth"):
            total = sum(row[f"graduate_{name}_sum"] for row in grads)
            out[f"graduate_{name}"] = total / n_placed if n_placed else nan
        last = h[-1] if h else None
        for name in ("ecosystems", "share_in_ecosystems_of_3_plus", "largest_ecosystem"):
            out[name] = last[name] if last else nan
        spending = sum(row["spending"] for row in h)
        out["programme_spending"] = spending
        total_placed = sum(row["learners_placed"] for row in h)
        out["learner_months_per_1000_eur"] = total_placed / (spending / 1000) if spending else nan
        out["partnerships_formed"] = len(self.partnerships)
        out["months"] = self.month
        return out


def run_peer(scenario: Scenario, seed: int, months: int, strategy: str | None = None) -> dict[str, Any]:
    """Build a PeerModel, run `months` months and return its outcomes.

    Besides the outcomes, the dict holds ``active_series`` (partnerships active per month),
    ``learner_count``, ``step_seconds`` (wall time of the step loop) and ``learner_steps_per_second``.
    """
    model = PeerModel(scenario, seed, strategy)
    start = time.perf_counter()
    for _ in range(months):
        model.step()
    seconds = time.perf_counter() - start
    return {
        **model.outcomes(),
        "active_series": list(model.active_series),
        "learner_count": model.learner_count,
        "step_seconds": seconds,
        "learner_steps_per_second": model.learner_count * months / seconds if seconds > 0 else math.nan,
    }
