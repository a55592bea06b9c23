"""The monthly schedule: which kernel runs when, in one place (docs/ODD.md §3).

`SCHEDULE` is the plan as data (print it with ``ecosim schedule``); :func:`advance` runs
one month of it on a World.
"""

from dataclasses import dataclass

import numpy as np

from ecosim.build import World
from ecosim.kernels import Engine

SCHEDULE = (
    ("1", "funding", "funding_level", "f(t): 1 before T, linear taper over n months, 0 after"),
    (
        "2",
        "bridge-builders",
        "bridge_builders",
        "leave (q(1-f), q_p) or aftercare; handover O += h i (1-O); departure shock",
    ),
    ("3", "support", "support", "erosion, leaders' pull, diffusion, demand signal, bridge-builder energy"),
    ("4", "reflection", "reflection", "every k_e months: M += (1-M)/2, leaders recover half their gap"),
    (
        "5",
        "partnerships",
        "partnerships",
        "mission drift, value, health towards H*, contact shock, stall / reactivate / end",
    ),
    ("6a", "merging", "merge", "pairs of live ecosystems of a region merge with p_ij = m A_ij B_ij / n_r"),
    ("6b", "recruitment", "recruit", "an ecosystem recruits an organisation with min(rho_max, rho * organisations)"),
    ("6c", "coordination", "coordination", "penalty min(pi_max, pi max(0, organisations - capacity)), felt next month"),
    ("6d", "new partnerships", "init_partnerships", "recruits start with M0, V0, drawn contacts, H = H*"),
    ("7", "learners", "learners", "graduation, release, placement (outreach), learning, rotation"),
    ("8", "record", "indicators", "indicators of the month and the event log"),
)


@dataclass
class MonthStats:
    """What the kernels of one month report beyond the state (for indicators and costs)."""

    funding: float
    sessions: int
    merges: int
    recruits: int
    large_ecosystems: int
    graduates: int
    graduates_placed: int
    graduate_competence: float
    graduate_breadth: float
    placements: int
    hard_placements: int


def _census(world: World, engine: Engine) -> tuple:
    O, B, P = world.organisations, world.bridge_builders, world.partnerships
    return engine.census(
        P.n, P.parent, P.status, P.school, P.company, P.bridge_builder, P.ownership, B.status, O.sectors, O.kind
    )


def _complete(world: World, engine: Engine, lo: int) -> int:
    """Census, coordination penalty, then initialise partnership rows lo.. ; returns large ecosystems."""
    O, B, P, p = world.organisations, world.bridge_builders, world.partnerships, world.params
    world.census = _census(world, engine)
    large = engine.coordination(p, P.n, world.census, P.penalty)
    engine.init_partnerships(
        lo,
        P.n,
        world.seed,
        p,
        P.school,
        P.company,
        P.bridge_builder,
        P.contacts,
        P.consultation,
        P.ownership,
        P.mission,
        P.value,
        P.health,
        P.penalty,
        P.start_terms,
        P.contact_loss,
        O.board,
        O.leaders,
        O.floor,
        B.status,
        B.intensity,
    )
    return large


def learners_month(world: World, engine: Engine) -> tuple:
    """Process 7 for month `world.month` (the clock is not moved); returns the kernel's report."""
    O, P, L = world.organisations, world.partnerships, world.learners
    return engine.learners(
        world.month,
        world.seed,
        world.params,
        L.school,
        L.enrolled,
        L.placement,
        L.months_placed,
        L.months_here,
        L.motivation,
        L.competence,
        L.breadth,
        L.hard,
        P.status,
        P.company,
        P.placed,
        P.health,
        O.places,
        O.hosted,
        world.census,
        world.events.row,
        world.event_count,
    )


def initialise(world: World, engine: Engine) -> None:
    """Give the starting partnerships their penalties, draws and health (H = H*)."""
    _complete(world, engine, 0)


def advance(world: World, engine: Engine) -> MonthStats:
    """Run month `world.month` of the schedule and move the clock on."""
    t, p, seed = world.month, world.params, world.seed
    O, B, P, E = world.organisations, world.bridge_builders, world.partnerships, world.events
    E.reserve(4 * P.n + 2 * B.n + 16)  # a month logs at most 3 per partnership, 2 per bridge-builder, 1 graduation
    ev, count = E.row, world.event_count
    f = engine.funding_level(t, p.funding_end, p.funding_taper)
    engine.bridge_builders(
        t,
        seed,
        f,
        p,
        B.payer,
        B.status,
        B.intensity,
        P.n,
        P.status,
        P.bridge_builder,
        P.school,
        P.company,
        P.ownership,
        P.health,
        O.floor,
        ev,
        count,
    )
    engine.support(
        p,
        O.kind,
        O.board,
        O.leaders,
        O.floor,
        O.commitment,
        O.demand,
        P.n,
        P.status,
        P.school,
        P.company,
        P.bridge_builder,
        B.status,
        B.intensity,
    )
    sessions = engine.reflection(
        t, p.evaluation_interval, P.n, P.status, P.school, P.company, P.mission, O.leaders, O.leaders_start
    )
    engine.partnerships(
        t,
        seed,
        p,
        P.n,
        P.status,
        P.school,
        P.company,
        P.bridge_builder,
        P.end,
        P.cause,
        P.placed,
        P.contacts,
        P.consultation,
        P.ownership,
        P.mission,
        P.value,
        P.health,
        P.penalty,
        P.start_terms,
        P.contact_loss,
        O.places,
        O.board,
        O.leaders,
        O.floor,
        B.status,
        B.intensity,
        world.census,
        ev,
        count,
    )
    scratch = np.empty(O.n, np.int64)
    merges = engine.merge(
        t, seed, p, P.n, P.parent, P.region, world.region_start_pairs, _census(world, engine), scratch, ev, count
    )
    after_merge = _census(world, engine)
    P.reserve(int(np.count_nonzero(after_merge[1])))
    lo = P.n
    P.n = engine.recruit(
        t,
        seed,
        p,
        P.n,
        after_merge,
        world.region_org_start,
        O.kind,
        O.sectors,
        P.parent,
        P.region,
        P.school,
        P.company,
        P.status,
        P.bridge_builder,
        P.start,
        P.ownership,
        B.status,
        ev,
        count,
    )
    large = _complete(world, engine, lo)
    learned = learners_month(world, engine)
    E.n = int(count[0])  # the kernels count their events in event_count
    world.month += 1
    return MonthStats(f, sessions, merges, P.n - lo, large, *learned)
