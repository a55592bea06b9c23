"""The World of one run: array tables for every entity, built from a scenario.

Organisations (schools and companies) share one table so that support, the census of
ecosystems and the agents treat them alike; `kind` tells them apart. Every draw made
while building is keyed (seed, stream, entity, what), so the same scenario and seed give
the same world, and strategies that change a share (demand, consultation, partner-paid)
change only the entities whose draw falls between the two shares.
"""

from dataclasses import dataclass, field

import numpy as np

from ecosim.kernels import Engine
from ecosim.kernels.codes import BB_ACTIVE, COMPANY, PARTNER, PROGRAMME, S_BUILD, SCHOOL
from ecosim.kernels.ecosystems import Census
from ecosim.kernels.learners import COHORT_INTERVAL, PROGRAMME_MONTHS
from ecosim.parameters import KernelParams, Parameters, kernel_params
from ecosim.rng import key, uniform
from ecosim.scenario import Region, Scenario, region_names
from ecosim.world import Table, view_type

ORGANISATION_COLUMNS = {
    "kind": ("i1", ()),
    "region": ("i4", ()),
    "sectors": ("u8", ()),
    "board": ("f8", ()),
    "leaders": ("f8", ()),
    "floor": ("f8", ()),
    "commitment": ("f8", ()),
    "leaders_start": ("f8", ()),
    "demand": ("?", ()),
    "places": ("i4", ()),
    "hosted": ("i4", ()),
    "learners": ("i4", ()),
}
BRIDGE_BUILDER_COLUMNS = {"region": ("i4", ()), "payer": ("i1", ()), "status": ("i1", ()), "intensity": ("f8", ())}
PARTNERSHIP_COLUMNS = {
    "school": ("i4", ()),
    "company": ("i4", ()),
    "region": ("i4", ()),
    "parent": ("i8", ()),
    "bridge_builder": ("i4", ()),
    "ownership": ("f8", ()),
    "mission": ("f8", ()),
    "value": ("f8", ()),
    "health": ("f8", ()),
    "contacts": ("i1", ()),
    "consultation": ("?", ()),
    "start": ("i4", ()),
    "status": ("i1", ()),
    "end": ("i4", ()),
    "cause": ("i1", ()),
    "placed": ("i4", ()),
    "penalty": ("f8", ()),
    "pace": ("f8", ()),
    "start_target": ("f8", ()),
    "recent_terms": ("f8", (5,)),
    "contact_loss": ("f8", ()),
}
LEARNER_COLUMNS = {
    "school": ("i4", ()),
    "enrolled": ("i4", ()),
    "placement": ("i4", ()),
    "months_placed": ("i2", ()),
    "months_here": ("i2", ()),
    "motivation": ("f8", ()),
    "competence": ("f8", ()),
    "breadth": ("i2", ()),
    "hard": ("?", ()),
}
EVENT_COLUMNS = {"row": ("i4", (5,))}

# The views kernels take (world.Table.view): one namedtuple class per table, made here once.
OrganisationsView = view_type("OrganisationsView", ORGANISATION_COLUMNS, __name__)
BridgeBuildersView = view_type("BridgeBuildersView", BRIDGE_BUILDER_COLUMNS, __name__)
PartnershipsView = view_type("PartnershipsView", PARTNERSHIP_COLUMNS, __name__)
LearnersView = view_type("LearnersView", LEARNER_COLUMNS, __name__)
EventsView = view_type("EventsView", EVENT_COLUMNS, __name__)

# what each build draw is for (the `step` key of the S_BUILD stream)
(
    W_BOARD,
    W_LEADERS,
    W_FLOOR,
    W_COMMITMENT,
    W_DEMAND,
    W_PLACES,
    W_LEARNERS,
    W_SECTOR_COUNT,
    W_PAYER,
    W_PAIR_ORDER,
    W_PAIR_SCHOOL,
    W_SERVED,
) = range(12)
W_SECTORS = 100  # + j for the j-th sector picked


@dataclass
class World:
    """All state of a run: entity tables, region structure, parameters, the clock."""

    scenario: Scenario
    parameters: Parameters
    params: KernelParams
    seed: int
    organisations: Table
    bridge_builders: Table
    partnerships: Table
    learners: Table
    events: Table
    region_names: list[str]
    region_start_pairs: np.ndarray  # n_r: partnerships each region started with
    region_org_start: np.ndarray  # organisations of region g are rows region_org_start[g]:region_org_start[g+1]
    org_names: list[str]
    bb_names: list[str]
    month: int = 0
    census: Census | tuple = ()  # the latest census of ecosystems (kernels/ecosystems.py), () before the first
    kernel_entries: dict = field(default_factory=dict, repr=False, compare=False)  # Engine.call's, per process

    def __getstate__(self) -> dict:
        """Pickled without the compiled entry points (found again on the first call in the new process)."""
        return {**self.__dict__, "kernel_entries": {}}

    @property
    def event_count(self) -> np.ndarray:
        """Events logged so far: the one-element array the kernels count in (the events view's `used`)."""
        return self.events.view().used

    def state_bytes(self) -> int:
        """Bytes of array state held by all tables."""
        return sum(
            t.nbytes()
            for t in (self.organisations, self.bridge_builders, self.partnerships, self.learners, self.events)
        )


def _u(seed: int, entity: int, what: int) -> float:
    return uniform(seed, S_BUILD, entity, what)


def _int_between(seed: int, entity: int, what: int, lo: int, hi: int) -> int:
    return lo + int(_u(seed, entity, what) * (hi - lo + 1))


class _Builder:
    """Collects rows region by region, then freezes them into tables."""

    def __init__(self, scenario: Scenario, parameters: Parameters, seed: int):
        self.sc, self.p, self.seed = scenario, parameters, seed
        self.sector_index = {name: k for k, name in enumerate(scenario.sectors)}
        self.orgs: dict[str, list] = {name: [] for name in ORGANISATION_COLUMNS}
        self.org_names: list[str] = []
        self.pairs: list[tuple[int, int, int, int]] = []  # school, company, region, bridge-builder
        self.bbs: list[tuple[int, int]] = []  # region, payer
        self.bb_names: list[str] = []
        self.learner_school: list[np.ndarray] = []
        self.region_names: list[str] = []
        self.region_start_pairs: list[int] = []
        self.region_org_start = [0]

    def add_org(self, name: str, kind: int, region: int, sectors: int, places: int, demand: bool, learners: int) -> int:
        o = len(self.org_names)
        p, seed = self.p, self.seed
        spread = p.support_spread
        row = {
            "kind": kind,
            "region": region,
            "sectors": sectors,
            "board": p.initial_board + spread * (2 * _u(seed, o, W_BOARD) - 1),
            "leaders": p.initial_leaders + spread * (2 * _u(seed, o, W_LEADERS) - 1),
            "floor": p.initial_floor + spread * (2 * _u(seed, o, W_FLOOR) - 1),
            "commitment": p.commitment_min + (p.commitment_max - p.commitment_min) * _u(seed, o, W_COMMITMENT),
            "demand": kind == COMPANY and (demand or _u(seed, o, W_DEMAND) < p.demand_share),
            "places": places,
            "hosted": 0,
            "learners": learners,
        }
        row = {k: (min(1.0, max(0.0, v)) if k in ("board", "leaders", "floor") else v) for k, v in row.items()}
        row["leaders_start"] = row["leaders"]
        for k, v in row.items():
            self.orgs[k].append(v)
        self.org_names.append(name)
        return o

    def add_bb(self, name: str, region: int, payer: int | None) -> int:
        b = len(self.bbs)
        if payer is None:
            payer = PARTNER if _u(self.seed, b, W_PAYER) < self.p.partner_paid_share else PROGRAMME
        self.bbs.append((region, payer))
        self.bb_names.append(name)
        return b

    def add_region(self, region: Region, name: str) -> None:
        g = len(self.region_names)
        self.region_names.append(name)
        first_pair = len(self.pairs)
        if region.generate is not None:
            self._generated(region, g, name)
        else:
            self._listed(region, g, name)
        self.region_start_pairs.append(len(self.pairs) - first_pair)
        self.region_org_start.append(len(self.org_names))

    def _listed(self, region: Region, g: int, name: str) -> None:
        ids = {}
        for s in region.schools:
            mask = 0
            for sector in s.sectors:
                mask |= 1 << self.sector_index[sector]
            ids[("s", s.name)] = self.add_org(f"{name}/{s.name}", SCHOOL, g, mask, 0, False, s.learners)
        for c in region.companies:
            ids[("c", c.name)] = self.add_org(
                f"{name}/{c.name}", COMPANY, g, 1 << self.sector_index[c.sector], c.places, c.demand, 0
            )
        bbs = {
            b.name: self.add_bb(f"{name}/{b.name}", g, PARTNER if b.paid_by == "partner" else PROGRAMME)
            for b in region.bridge_builders
        }
        for pair in region.partnerships:
            bb = bbs[pair.bridge_builder] if pair.bridge_builder is not None else -1
            self.pairs.append((ids[("s", pair.school)], ids[("c", pair.company)], g, bb))

    def _generated(self, region: Region, g: int, name: str) -> None:
        gen, seed, n_sectors = region.generate, self.seed, len(self.sc.sectors)
        schools, companies = [], []
        for k in range(gen.schools):
            o = len(self.org_names)
            lo, hi = gen.sectors_per_school
            count = min(n_sectors, _int_between(seed, o, W_SECTOR_COUNT, lo, hi))
            pool = list(range(n_sectors))
            mask = 0
            for j in range(count):  # partial Fisher-Yates over the sectors
                pick = j + int(_u(seed, o, W_SECTORS + j) * (n_sectors - j))
                pool[j], pool[pick] = pool[pick], pool[j]
                mask |= 1 << pool[j]
            learners = _int_between(seed, o, W_LEARNERS, *gen.learners_per_school)
            schools.append(self.add_org(f"{name}/school-{k + 1}", SCHOOL, g, mask, 0, False, learners))
        for k in range(gen.companies):
            o = len(self.org_names)
            sector = int(_u(seed, o, W_SECTOR_COUNT) * n_sectors)
            places = _int_between(seed, o, W_PLACES, *gen.places_per_company)
            companies.append(self.add_org(f"{name}/company-{k + 1}", COMPANY, g, 1 << sector, places, False, 0))
        # starting pairs: companies in a keyed random order, each with a school training for its sector
        order = sorted(companies, key=lambda c: int(key(seed, S_BUILD, c, W_PAIR_ORDER)))
        pairs = []
        for c in order[: gen.partnerships]:
            sector_bit = self.orgs["sectors"][c]
            eligible = [s for s in schools if self.orgs["sectors"][s] & sector_bit]
            if not eligible:  # no school trains for it yet: one starts to
                eligible = schools
            s = eligible[int(_u(seed, c, W_PAIR_SCHOOL) * len(eligible))]
            self.orgs["sectors"][s] |= sector_bit
            pairs.append((s, c))
        served = [-1] * len(pairs)
        k = 0
        while k < len(pairs) and (
            gen.bridge_builders is None or len(self.bbs) - self._bb_first(g) < gen.bridge_builders
        ):
            b = self.add_bb(f"{name}/bridge-builder-{len(self.bbs) - self._bb_first(g) + 1}", g, None)
            block = _int_between(seed, b, W_SERVED, *gen.served_per_bridge_builder)
            for j in range(k, min(len(pairs), k + block)):
                served[j] = b
            k += block
        self.pairs.extend((s, c, g, b) for (s, c), b in zip(pairs, served, strict=True))

    def _bb_first(self, g: int) -> int:
        return next((b for b, (region, _) in enumerate(self.bbs) if region == g), len(self.bbs))


def build_world(
    scenario: Scenario, parameters: Parameters | None = None, seed: int | None = None, engine: Engine | None = None
) -> World:
    """Build the starting World of a scenario (its own parameters unless given, its seed unless given)."""
    parameters = parameters or scenario.parameters
    seed = scenario.seed if seed is None else seed
    engine = engine or Engine("numba")
    b = _Builder(scenario, parameters, seed)
    for region in scenario.regions:
        for name in region_names(region):
            b.add_region(region, name)
    organisations = Table(ORGANISATION_COLUMNS, len(b.org_names), view=OrganisationsView)
    organisations.n = len(b.org_names)
    for name, values in b.orgs.items():
        getattr(organisations, name)[:] = values
    bridge_builders = Table(
        BRIDGE_BUILDER_COLUMNS, len(b.bbs), fill={"intensity": 1.0, "status": BB_ACTIVE}, view=BridgeBuildersView
    )
    bridge_builders.n = len(b.bbs)
    if b.bbs:
        bridge_builders.region[:], bridge_builders.payer[:] = np.array(b.bbs).T
    n_pairs = len(b.pairs)
    partnerships = Table(
        PARTNERSHIP_COLUMNS,
        max(16, 2 * n_pairs),
        fill={"end": -1, "cause": -1, "bridge_builder": -1, "parent": -1},
        view=PartnershipsView,
    )
    partnerships.n = n_pairs
    if n_pairs:
        pp = np.array(b.pairs)
        partnerships.school[:n_pairs], partnerships.company[:n_pairs] = pp[:, 0], pp[:, 1]
        partnerships.region[:n_pairs], partnerships.bridge_builder[:n_pairs] = pp[:, 2], pp[:, 3]
    partnerships.parent[:] = np.arange(partnerships.capacity)
    partnerships.ownership[:n_pairs] = parameters.initial_ownership
    learner_school = np.repeat(np.arange(len(b.org_names), dtype=np.int32), organisations.learners)
    learners = Table(LEARNER_COLUMNS, len(learner_school), view=LearnersView)
    learners.n = len(learner_school)
    learners.school[:] = learner_school
    _stagger_cohorts(learners, organisations.learners)
    events = Table(EVENT_COLUMNS, 1024, view=EventsView)
    world = World(
        scenario,
        parameters,
        kernel_params(parameters),
        seed,
        organisations,
        bridge_builders,
        partnerships,
        learners,
        events,
        b.region_names,
        np.array(b.region_start_pairs, np.int64),
        np.array(b.region_org_start, np.int64),
        b.org_names,
        b.bb_names,
    )
    engine.call("enrol_all", (seed, world.params, learners.view()), world.kernel_entries)
    return world


assert PROGRAMME_MONTHS == 2 * COHORT_INTERVAL, "_stagger_cohorts starts exactly two cohorts"


def _stagger_cohorts(learners: Table, per_school: np.ndarray) -> None:
    """Two cohorts per school: the first half enrolled one cohort interval (a year) before month 0, the rest at 0."""
    start = 0
    for count in per_school:
        learners.enrolled[start : start + count // 2] = -COHORT_INTERVAL
        start += count
