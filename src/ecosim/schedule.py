"""The monthly schedule: which kernel runs when, in one place (docs/ODD.md §3).

:data:`SCHEDULE` is the month as data: one :class:`Step` per kernel call, in order, the
three censuses of ecosystems included. :func:`advance` runs its steps on a World, and
``ecosim schedule`` prints the same steps, so the printed plan is the one that runs. The
last step, the record, is made by the caller (``record.Recorder.record``) after
:func:`advance` returns.
"""

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ecosim.build import World
from ecosim.kernels import Engine


@dataclass
class MonthStats:
    """What the kernels of one month report beyond the state (for indicators and costs).

    The steps fill it in as they run; `first_new` is the first partnership row the month
    formed (the rows from it on are completed by step 6d).
    """

    funding: float = 0.0
    sessions: int = 0
    merges: int = 0
    recruits: int = 0
    large_ecosystems: int = 0
    graduates: int = 0
    graduates_placed: int = 0
    graduate_competence: float = 0.0
    graduate_breadth: float = 0.0
    placements: int = 0
    hard_placements: int = 0
    first_new: int = 0


Arguments = Callable[[World, MonthStats], tuple]
Keep = Callable[[World, MonthStats, object], None]


def _ignore(world: World, month: MonthStats, result: object) -> None:
    """For a kernel whose effect is all in the arrays it writes."""


@dataclass(frozen=True)
class Step:
    """One kernel call of the month.

    `arguments` builds the call from the world as the previous step left it (making any room
    the kernel needs first); `keep` stores what the kernel returns. A step without
    `arguments` is not run by :func:`advance` (the record, made by its caller).
    """

    number: str
    process: str
    kernel: str  # the Engine's kernel (kernels.KERNELS) it calls
    what: str
    arguments: Arguments | None
    keep: Keep = _ignore

    def run(self, world: World, engine: Engine, month: MonthStats) -> None:
        """Call the kernel on the world and keep its result in `month`."""
        self.keep(world, month, engine.call(self.kernel, self.arguments(world, month), world.kernel_entries))


Views = namedtuple("Views", "O B P L E")
"""Organisations, bridge-builders, partnerships, learners and events, as the kernels take them."""


def _views(world: World) -> Views:
    return Views(
        world.organisations.view(),
        world.bridge_builders.view(),
        world.partnerships.view(),
        world.learners.view(),
        world.events.view(),
    )


def _funding(world: World, month: MonthStats) -> tuple:
    return world.month, world.params.funding_end, world.params.funding_taper


def _bridge_builders(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return world.month, world.seed, month.funding, world.params, v.B, v.P, v.O, v.E


def _support(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return world.params, v.O, v.P, v.B


def _reflection(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return world.month, world.params, v.P, v.O


def _partnerships(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return world.month, world.seed, world.params, v.P, v.O, v.B, world.census, v.E


def _census(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return v.P, v.O, v.B


def _merge(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return world.month, world.seed, world.params, v.P, world.region_start_pairs, world.census, v.E


def _recruit(world: World, month: MonthStats) -> tuple:
    world.partnerships.reserve(int(np.count_nonzero(world.census.size)))  # at most one recruit per live ecosystem
    month.first_new = world.partnerships.n
    v = _views(world)
    return world.month, world.seed, world.params, v.P, v.O, v.B, world.region_org_start, world.census, v.E


def _coordination(world: World, month: MonthStats) -> tuple:
    return world.params, world.partnerships.view(), world.census


def _new_partnerships(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return month.first_new, world.seed, world.params, v.P, v.O, v.B


def _learners(world: World, month: MonthStats) -> tuple:
    v = _views(world)
    return world.month, world.seed, world.params, v.L, v.P, v.O, world.census, v.E


def _keep_census(world: World, month: MonthStats, census: object) -> None:
    world.census = census


def _keep_learners(world: World, month: MonthStats, report: object) -> None:
    (
        month.graduates,
        month.graduates_placed,
        month.graduate_competence,
        month.graduate_breadth,
        month.placements,
        month.hard_placements,
    ) = report


def _keep(field: str) -> Keep:
    """Keep the kernel's result as `field`, a plain int or float like the field's default (not a NumPy scalar)."""

    def keep(world: World, month: MonthStats, result: object) -> None:
        setattr(month, field, type(getattr(month, field))(result))

    return keep


CENSUS_WHAT = "ecosystems of the live partnerships, "
COORDINATION = Step(
    "6c",
    "coordination",
    "coordination",
    "penalty min(pi_max, pi max(0, organisations - capacity)), felt next month",
    _coordination,
    _keep("large_ecosystems"),
)
NEW_PARTNERSHIPS = Step(
    "6d",
    "new partnerships",
    "init_partnerships",
    "recruits start with M0, V0, drawn contacts and handover pace, H = H*",
    _new_partnerships,
)
CENSUS_AFTER_RECRUITMENT = Step(
    "6c",
    "census",
    "census",
    CENSUS_WHAT + "after recruitment (for 6c, 6d, 7, the record, next month's 5)",
    _census,
    _keep_census,
)

SCHEDULE = (
    Step(
        "1",
        "funding",
        "funding_level",
        "f(t): 1 before T, linear taper over n months, 0 after",
        _funding,
        _keep("funding"),
    ),
    Step(
        "2",
        "bridge-builders",
        "bridge_builders",
        "leave (q(1-f), q_p) or aftercare; handover O += h i (1-O); departure shock",
        _bridge_builders,
    ),
    Step(
        "3",
        "support",
        "support",
        "erosion, leaders' pull, diffusion, demand signal, bridge-builder energy",
        _support,
    ),
    Step(
        "4",
        "reflection",
        "reflection",
        "every k_e months: M += r(1-M), leaders recover the share r of their gap",
        _reflection,
        _keep("sessions"),
    ),
    Step(
        "5",
        "partnerships",
        "partnerships",
        "mission drift, value, health towards H*, contact shock, stall / reactivate / end",
        _partnerships,
    ),
    Step("6a", "census", "census", CENSUS_WHAT + "after this month's endings (for merging)", _census, _keep_census),
    Step(
        "6a",
        "merging",
        "merge",
        "pairs of live ecosystems of a region merge with p_ij = m A_ij B_ij / n_r",
        _merge,
        _keep("merges"),
    ),
    Step("6b", "census", "census", CENSUS_WHAT + "after the merges (for recruitment)", _census, _keep_census),
    Step(
        "6b",
        "recruitment",
        "recruit",
        "an ecosystem recruits an organisation with min(rho_max, rho * organisations)",
        _recruit,
        _keep("recruits"),
    ),
    CENSUS_AFTER_RECRUITMENT,
    COORDINATION,
    NEW_PARTNERSHIPS,
    Step(
        "7",
        "learners",
        "learners",
        "graduation, release, placement (outreach), learning, rotation",
        _learners,
        _keep_learners,
    ),
    Step("8", "record", "indicators", "indicators of the month and the event log (record.py, after advance)", None),
)
"""One month, step by step: what `advance` runs (all but the record) and `ecosim schedule` prints."""

INITIALISATION = (CENSUS_AFTER_RECRUITMENT, COORDINATION, NEW_PARTNERSHIPS)
"""Completing the starting partnerships: the steps that complete a month's recruits, from row 0."""

LEARNERS = SCHEDULE[-2]


def learners_month(world: World, engine: Engine) -> tuple:
    """Process 7 for month `world.month` (the clock is not moved); returns the kernel's report."""
    return engine.learners(*LEARNERS.arguments(world, MonthStats()))


def initialise(world: World, engine: Engine) -> None:
    """Give the starting partnerships their penalties, draws and health (H = H*)."""
    month = MonthStats(first_new=0)
    for step in INITIALISATION:
        step.run(world, engine, month)


def make_room_for_events(world: World) -> None:
    """Room in the event log for a month: at most 3 per partnership, 2 per bridge-builder and 1 graduation."""
    world.events.reserve(4 * world.partnerships.n + 2 * world.bridge_builders.n + 16)


def advance(world: World, engine: Engine) -> MonthStats:
    """Run month `world.month` of the schedule and move the clock on."""
    make_room_for_events(world)
    month = MonthStats()
    for step in SCHEDULE:
        if step.arguments is not None:
            step.run(world, engine, month)
    world.month += 1
    return month
