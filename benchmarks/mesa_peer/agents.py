"""The five kinds of agent of the Mesa peer, each holding its own state and process logic (docs/ODD.md §2, §7).

Plain Python throughout: every rule is written from the equations of docs/ODD.md §7, not
from ecosim's kernels. All draws come from the model's RNG (``self.random``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from benchmarks.mesa_peer.model import Ecosystem, PeerModel

# statuses (partnerships: active / stalled / ended; bridge-builders: active / aftercare / departed)
ACTIVE = "active"
STALLED = "stalled"
ENDED = "ended"
AFTERCARE = "aftercare"
DEPARTED = "departed"

CAUSES = ("support", "carrier", "mission", "value", "coordination", "contact")


def clamp(x: float) -> float:
    """X limited to [0, 1]."""
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


class Organisation(mesa.Agent):
    """What schools and companies share: three layers of support and the partnerships they sit in (7.3)."""

    model: PeerModel

    def __init__(self, model: PeerModel, name: str, region: int, sectors: frozenset[str]):
        super().__init__(model)
        p = model.p
        self.name = name
        self.region = region
        self.sectors = sectors
        self.board = self._start(p.initial_board)
        self.leaders = self._start(p.initial_leaders)
        self.floor = self._start(p.initial_floor)
        self.leaders_start = self.leaders
        self.commitment = p.commitment_min + (p.commitment_max - p.commitment_min) * self.random.random()
        self.partnerships: list[Partnership] = []  # every partnership it ever joined, in order of formation
        self.demanded = False  # set each month by its partnerships (process 3)
        self.energy = 0.0

    def _start(self, mean: float) -> float:
        return clamp(mean + self.model.p.support_spread * (2.0 * self.random.random() - 1.0))

    def has_live_partnership_with(self, other: Organisation) -> bool:
        """Whether it and `other` already share a live partnership."""
        return any(j.status != ENDED and (j.school is other or j.company is other) for j in self.partnerships)

    def update_support(self) -> None:
        """Process 3: erosion, leaders' pull, downward diffusion, demand signal, bridge-builder energy."""
        p = self.model.p
        board, leaders, floor, c = self.board, self.leaders, self.floor, self.commitment
        eps, phi, a, d = p.erosion, p.erosion_floor, p.leaders_pull, p.diffusion
        d_board = -eps * (board - phi) + a * (c - board)
        d_leaders = -eps * (leaders - phi) + a * (c - leaders) + d * (board - leaders)
        d_floor = -eps * (floor - phi) + d * (leaders - floor) + p.bridge_builder_energy * self.energy * (1.0 - floor)
        if p.leadership_engagement:
            d_floor += a * (c - floor)
        if self.demanded:
            if isinstance(self, School):
                d_leaders += p.demand_signal * (1.0 - leaders)
            else:
                d_floor += p.demand_signal * (1.0 - floor)
        self.board = clamp(board + d_board)
        self.leaders = clamp(leaders + d_leaders)
        self.floor = clamp(floor + d_floor)

    def reflect(self) -> None:
        """Process 4: leaders recover the share r of their gap to their starting support."""
        if self.leaders < self.leaders_start:
            self.leaders += self.model.p.reflection_recovery * (self.leaders_start - self.leaders)


class School(Organisation):
    """A school: trains for some sectors and has programme learners."""

    def __init__(self, model: PeerModel, name: str, region: int, sectors: frozenset[str], learners: int):
        super().__init__(model, name, region, sectors)
        self.learners = learners
        self._reachable: list[Partnership] | None = None
        self._reachable_month = -1

    def reachable(self) -> list[Partnership]:
        """Active partnerships of every ecosystem holding a live partnership of this school (this month's census)."""
        if self._reachable_month != self.model.month:
            seen: set[int] = set()
            found: list[Partnership] = []
            for j in self.partnerships:
                eco = j.ecosystem
                if j.status == ENDED or eco is None or id(eco) in seen:
                    continue
                seen.add(id(eco))
                found.extend(m for m in eco.members if m.status == ACTIVE)
            self._reachable, self._reachable_month = found, self.model.month
        return self._reachable


class Company(Organisation):
    """A company: one sector, places for learners, perhaps an explicit demand for the collaboration."""

    def __init__(
        self, model: PeerModel, name: str, region: int, sectors: frozenset[str], places: int, listed_demand: bool
    ):
        super().__init__(model, name, region, sectors)
        self.places = places
        self.hosted = 0
        self.demand = listed_demand or self.random.random() < model.p.demand_share

    @property
    def has_free_place(self) -> bool:
        """Whether it can host one more learner."""
        return self.hosted < self.places


class BridgeBuilder(mesa.Agent):
    """A bridge-builder (kwartiermaker): carries partnerships until their teams own them (7.2)."""

    model: PeerModel

    def __init__(self, model: PeerModel, name: str, region: int, partner_paid: bool):
        super().__init__(model)
        self.name = name
        self.region = region
        self.partner_paid = partner_paid
        self.status = ACTIVE
        self.intensity = 1.0
        self.departing = False  # departs this month
        self.shock_intensity = 0.0

    def change_status(self, funding: float) -> None:
        """Process 2a: leave (or enter aftercare); in aftercare, decay and depart below the exit intensity."""
        p = self.model.p
        self.departing = False
        if self.status == ACTIVE:
            rate = p.partner_turnover if self.partner_paid else p.leave_rate * (1.0 - funding)
            if self.random.random() < rate:
                if p.aftercare:
                    self.status = AFTERCARE
                else:
                    self.departing, self.shock_intensity = True, self.intensity
        elif self.status == AFTERCARE:
            before = self.intensity
            self.intensity = before * (1.0 - p.aftercare_decay)
            if self.intensity < p.aftercare_exit_intensity:
                self.departing, self.shock_intensity = True, before
        if self.departing:
            self.status = DEPARTED

    @property
    def serving(self) -> bool:
        """Active or in aftercare (not departed)."""
        return self.status != DEPARTED


class Partnership(mesa.Agent):
    """A hybrid learning environment: one school, one company, perhaps a bridge-builder (7.5, 7.6)."""

    model: PeerModel

    def __init__(
        self,
        model: PeerModel,
        school: School,
        company: Company,
        region: int,
        bridge_builder: BridgeBuilder | None,
        ownership: float,
        start: int,
        parent: Partnership | None = None,
    ):
        super().__init__(model)
        self.number = len(model.partnerships)  # order of formation: an ecosystem's root is its lowest number
        model.partnerships.append(self)
        self.school, self.company, self.region = school, company, region
        self.bridge_builder = bridge_builder
        self.ownership = ownership
        self.start = start
        self.parent: Partnership = self if parent is None else parent  # union-find over partnerships
        self.status = ACTIVE
        self.end: int | None = None
        self.cause: str | None = None
        self.placed = 0
        self.penalty = 0.0
        self.ecosystem: Ecosystem | None = None  # its ecosystem in the latest census
        self.mission = self.value = self.health = self.contact_loss = 0.0
        self.contacts, self.consultation, self.pace = 1, False, 1.0
        self.recent_terms = [0.0] * 5
        school.partnerships.append(self)
        company.partnerships.append(self)

    @property
    def live(self) -> bool:
        """Active or stalled."""
        return self.status != ENDED

    def root(self) -> Partnership:
        """The root of its ecosystem in the union-find (path halving)."""
        node = self
        while node.parent is not node:
            node.parent = node.parent.parent
            node = node.parent
        return node

    def complete(self) -> None:
        """Process 6d: contact persons, consultation structures, handover pace, M0, V0 and H = H*."""
        p, rnd = self.model.p, self.random
        u = rnd.random()
        k = 1 if u < p.contacts_one_share else 2 if u < p.contacts_one_share + p.contacts_two_share else 3
        self.contacts = max(k, p.min_contacts)
        self.consultation = rnd.random() < p.consultation_share
        sigma = math.sqrt(math.log1p(p.handover_spread**2))
        self.pace = rnd.lognormvariate(-0.5 * sigma * sigma, sigma) if sigma > 0 else 1.0
        self.mission, self.value, self.contact_loss = p.initial_mission, p.initial_value, 0.0
        self.health, terms = self.health_target()
        self.start_target = self.health
        self.recent_terms = terms

    def health_target(self) -> tuple[float, list[float]]:
        """H* and its weighted terms (support, carrier, mission, value, -penalty) (7.5 step 3)."""
        p = self.model.p
        s, c = self.school, self.company
        weakest = min(s.board, s.leaders, s.floor, c.board, c.leaders, c.floor)
        b = self.bridge_builder
        intensity = b.intensity if b is not None and b.serving else 0.0
        terms = [
            p.weight_support * weakest,
            p.weight_carrier * (self.ownership + (1.0 - self.ownership) * intensity),
            p.weight_mission * self.mission,
            p.weight_value * self.value,
            -self.penalty,
        ]
        consult = p.weight_consultation if self.consultation else 0.0
        return clamp(sum(terms) + consult), terms

    def feel_bridge_builder(self) -> None:
        """Process 2b: the departure shock, or handover of ownership by a serving bridge-builder."""
        b = self.bridge_builder
        if b is None or self.status == ENDED:
            return
        p = self.model.p
        if b.departing:
            s = p.departure_shock * (1.0 - self.ownership) * b.shock_intensity
            self.health = clamp(self.health - s)
            self.school.floor = clamp(self.school.floor * (1.0 - s))
            self.company.floor = clamp(self.company.floor * (1.0 - s))
        elif b.serving:
            gain = p.handover_rate * self.pace * b.intensity
            self.ownership = clamp(self.ownership + gain * (1.0 - self.ownership))

    def mark_support(self) -> None:
        """Process 3, first part: tell its school and company about demand and bridge-builder energy."""
        if self.status == ACTIVE and self.company.demand:
            self.school.demanded = self.company.demanded = True
        b = self.bridge_builder
        if b is not None and b.serving:
            for o in (self.school, self.company):
                o.energy = max(o.energy, b.intensity)

    def update_health(self) -> None:
        """Process 5: consolidation, mission, value, health towards H*, contact persons, status."""
        if self.status == ENDED:
            return
        p, eco, rnd = self.model.p, self.ecosystem, self.random
        orgs = len(eco.orgs)
        backing = 1.0 - p.ecosystem_backing * (1.0 - 2.0 / orgs)
        if self.status == ACTIVE:
            self.ownership = clamp(self.ownership + p.consolidation_rate * self.ownership * (1.0 - self.ownership))
        self.mission = clamp(self.mission + p.mission_drift * (self.ownership - self.mission))
        places = self.company.places
        fill = self.placed / places if places > 0 else 0.0
        variety = 0.5 * ((1.0 - 1.0 / len(eco.companies)) + (1.0 - 1.0 / len(eco.sectors)))
        v = self.value
        loss = p.isolation_loss * v if orgs == 2 else 0.0
        self.value = clamp(v + p.value_gain * 0.5 * (fill + variety) * (1.0 - v) - loss)
        target, terms = self.health_target()
        self.health += p.health_adjustment * (target - self.health)
        self.contact_loss *= 1.0 - p.health_adjustment
        if self.contacts == 1 and rnd.random() < 1.0 / p.contact_tenure:
            self.health -= backing * p.contact_shock
            self.contact_loss += backing * p.contact_shock
        self.health = clamp(self.health)
        if self.status == STALLED:
            s = self._above(self.health)
            if rnd.random() < p.reactivation_rate * s:
                self.status = ACTIVE
            elif rnd.random() < p.stalled_end * (1.0 - s):
                self.status, self.end = ENDED, self.model.month
                self.cause = self._cause(terms)
                return
        else:
            gap = 1.0 - self.health
            if rnd.random() < backing * (p.stall_base + p.stall_slope * gap * gap):
                self.status = STALLED
        w = 1.0 / p.cause_window
        self.recent_terms = [r + w * (now - r) for r, now in zip(self.recent_terms, terms, strict=True)]

    def _above(self, h: float) -> float:
        p = self.model.p
        if p.health_slope <= 0.0:
            return 1.0 if h > p.reactivation_health else 0.0
        z = max(-500.0, min(500.0, (h - p.reactivation_health) / p.health_slope))
        return 1.0 / (1.0 + math.exp(-z))

    def _cause(self, terms: list[float]) -> str:
        losses = [r - now for r, now in zip(self.recent_terms, terms, strict=True)]
        best = max(range(5), key=lambda k: (losses[k], -k))
        return CAUSES[5] if self.contact_loss > losses[best] else CAUSES[best]

    def reflect(self) -> None:
        """Process 4: a reflection session restores part of the shared mission."""
        self.mission += self.model.p.reflection_recovery * (1.0 - self.mission)


class Learner(mesa.Agent):
    """A programme learner of a school: enrols, is placed, learns, rotates, graduates (7.7)."""

    model: PeerModel

    def __init__(self, model: PeerModel, school: School, enrolled: int):
        super().__init__(model)
        self.school = school
        self.placement: Partnership | None = None
        self.enrol(enrolled)

    def enrol(self, month: int) -> None:
        """Start the programme: unplaced, fresh motivation, hard to reach with the scenario's share."""
        p = self.model.p
        self.enrolled = month
        if self.placement is not None:
            self.leave()
        self.months_placed = self.months_here = 0
        self.competence = 0.0
        self.breadth = 0
        self.motivation = p.motivation_min + (p.motivation_max - p.motivation_min) * self.random.random()
        self.hard = self.random.random() < p.hard_to_reach_share

    def leave(self) -> None:
        """Leave its placement."""
        j = self.placement
        j.placed -= 1
        j.company.hosted -= 1
        self.placement = None

    def join(self, j: Partnership) -> None:
        """Take a place in partnership j."""
        self.placement = j
        j.placed += 1
        j.company.hosted += 1
        self.months_here = 0
        self.breadth += 1

    def release_if_ended(self) -> None:
        """Leave a placement whose partnership ended."""
        if self.placement is not None and self.placement.status == ENDED:
            self.leave()

    def tries(self) -> bool:
        """Whether an unplaced learner tries to find a place this month (beta * motivation, chi if hard to reach)."""
        if self.placement is not None:
            return False
        p = self.model.p
        chance = p.placement_rate * self.motivation
        if self.hard:
            chance *= p.outreach_factor if p.outreach else p.hard_to_reach_factor
        return self.random.random() < chance

    def find_placement(self) -> None:
        """Take a free place in an active partnership reachable from its school, chosen uniformly."""
        free = [j for j in self.school.reachable() if j.company.hosted < j.company.places]
        if free:
            self.join(self.random.choice(free))
            self.model.month_placements += 1
            if self.hard:
                self.model.month_hard_placements += 1

    def learn(self) -> None:
        """Learning while placed, and a rotation attempt every rotation interval."""
        j = self.placement
        if j is None:
            return
        p = self.model.p
        h = j.health
        self.competence += p.competence_gain * h * self.motivation
        self.motivation = clamp(self.motivation + p.motivation_adjustment * (h - self.motivation))
        self.months_placed += 1
        self.months_here += 1
        if self.months_here >= p.rotation_interval:
            self.months_here = 0
            here = j.company
            free = [
                x
                for x in j.ecosystem.members
                if x.company is not here and x.status == ACTIVE and x.company.hosted < x.company.places
            ]
            if free:
                self.leave()
                self.join(self.random.choice(free))
