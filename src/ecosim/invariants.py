"""Invariants of the world, checked after every month when asked for (``--check-invariants``; on in the tests).

Each check recomputes a fact from the arrays by other means than the kernels do (plain
NumPy, its own union-find over the event log) and raises :class:`InvariantError` naming
the month, the rule and the first rows that break it. A broken invariant is a bug of ecosim,
never a user mistake.
"""

from dataclasses import dataclass

import numpy as np

from ecosim.build import World
from ecosim.kernels.codes import ACTIVE, BB_ACTIVE, BB_AFTERCARE, BB_DEPARTED, ENDED, EV_FORMED, EV_MERGED, STALLED

SUPPORT = ("board", "leaders", "floor")
SHARES = ("ownership", "mission", "value", "health")


class InvariantError(AssertionError):
    """The world broke one of its invariants: a bug, reported with the month and the rows."""


@dataclass
class Snapshot:
    """What the next month's checks compare with: statuses and placements at the end of a month."""

    partnership_status: np.ndarray
    bridge_builder_status: np.ndarray
    placement: np.ndarray
    learners: int


def snapshot(world: World) -> Snapshot:
    """The state the transition checks need, copied."""
    P, B, L = world.partnerships, world.bridge_builders, world.learners
    return Snapshot(P.status[: P.n].copy(), B.status[: B.n].copy(), L.placement[: L.n].copy(), L.n)


def _fail(world: World, rule: str, rows: np.ndarray) -> None:
    rows = np.flatnonzero(rows) if rows.dtype == bool else np.asarray(rows)
    if len(rows):
        shown = ", ".join(str(int(r)) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise InvariantError(f"month {world.month - 1}: {rule}: broken by {len(rows)} row(s): {shown}")


def roots_of(parent: np.ndarray) -> np.ndarray:
    """The root of every row of a union-find parent array, by pointer jumping."""
    roots = parent.copy()
    while True:
        jumped = roots[roots]
        if np.array_equal(jumped, roots):
            return roots
        roots = jumped


def ecosystems_from_events(world: World) -> np.ndarray:
    """Each partnership's ecosystem rebuilt from the event log alone: formed joins, merged unites."""
    n = world.partnerships.n
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = world.events.row[: world.event_count[0]]
    for _, kind, entity, other, _ in rows:
        if kind in (EV_FORMED, EV_MERGED) and other >= 0:
            parent[find(entity)] = find(other)
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def check(world: World, before: Snapshot | None) -> Snapshot:
    """Check every invariant after a month (`before`: the previous month's snapshot); return this month's."""
    O, P, L = world.organisations, world.partnerships, world.learners
    no, n, nl = O.n, P.n, L.n
    # no NaN, and every level that is a share lies in [0, 1]
    for name in SUPPORT:
        level = getattr(O, name)[:no]
        _fail(world, f"organisation {name} support is a number in [0, 1]", ~((level >= 0) & (level <= 1)))
    for name in SHARES:
        level = getattr(P, name)[:n]
        _fail(world, f"partnership {name} is a number in [0, 1]", ~((level >= 0) & (level <= 1)))
    _fail(world, "learner motivation is a number in [0, 1]", ~((L.motivation[:nl] >= 0) & (L.motivation[:nl] <= 1)))
    _fail(
        world,
        "learner competence is a finite number >= 0",
        ~(np.isfinite(L.competence[:nl]) & (L.competence[:nl] >= 0)),
    )
    # statuses, ends and causes agree
    status = P.status[:n]
    ended = status == ENDED
    _fail(world, "a partnership's status is active, stalled or ended", ~np.isin(status, (ACTIVE, STALLED, ENDED)))
    _fail(world, "an ended partnership has an end month and a cause, a live one neither", ended != (P.end[:n] >= 0))
    _fail(world, "an ended partnership has a cause, a live one none", ended != (P.cause[:n] >= 0))
    _fail(world, "a partnership ends in or after the month it formed", ended & (P.end[:n] < P.start[:n]))
    # learners are conserved and sit where the model may put them
    placement = L.placement[:nl]
    placed = placement >= 0
    _fail(
        world,
        "a placed learner's partnership exists and has not ended",
        placed & np.append(ended, True)[np.where(placed & (placement < n), placement, n)],
    )
    counted = np.bincount(placement[placed], minlength=n)
    _fail(world, "a partnership's placed count equals the learners placed in it", counted != P.placed[:n])
    company = P.company[:n]
    hosted = np.bincount(company[placement[placed]], minlength=no)
    _fail(world, "a company hosts exactly the learners placed in its partnerships", hosted != O.hosted[:no])
    _fail(world, "a company hosts no more learners than it has places", O.hosted[:no] > O.places[:no])
    # the learner kernel finds a school's learners as a run of rows, in organisation order
    grouped = np.repeat(np.arange(no), O.learners[:no])
    if len(grouped) != nl:
        raise InvariantError(f"month {world.month - 1}: the schools' learner counts sum to {len(grouped)}, not {nl}")
    _fail(
        world,
        "a school's learners are the run of learner rows O.learners long, in organisation order",
        L.school[:nl] != grouped,
    )
    # ecosystems: the kernels' union-find agrees with the event log's
    roots = roots_of(P.parent[:n])
    rebuilt = ecosystems_from_events(world)
    same_set = _partition(roots) == _partition(rebuilt)
    _fail(world, "ecosystems (union-find) equal those rebuilt from the formed and merged events", ~same_set)
    if before is not None:
        _transitions(world, before, roots)
    return snapshot(world)


def _partition(roots: np.ndarray) -> np.ndarray:
    """A canonical label per row: the smallest row of its set (so two partitions compare row by row)."""
    smallest = np.full(len(roots), len(roots))
    np.minimum.at(smallest, roots, np.arange(len(roots)))
    return smallest[roots]


def _transitions(world: World, before: Snapshot, roots: np.ndarray) -> None:
    """Month-to-month rules: ended and departed are final, learners are conserved, new placements are allowed."""
    P, B, L = world.partnerships, world.bridge_builders, world.learners
    old = before.partnership_status
    now = P.status[: len(old)]
    _fail(world, "an ended partnership stays ended", (old == ENDED) & (now != ENDED))
    old_b, now_b = before.bridge_builder_status, B.status[: len(before.bridge_builder_status)]
    _fail(world, "a departed bridge-builder stays departed", (old_b == BB_DEPARTED) & (now_b != BB_DEPARTED))
    _fail(
        world,
        "a bridge-builder in aftercare never becomes active again",
        (old_b == BB_AFTERCARE) & (now_b == BB_ACTIVE),
    )
    if L.n != before.learners:
        raise InvariantError(f"month {world.month - 1}: learners are conserved: {before.learners} became {L.n}")
    t = world.month - 1
    placement, previous = L.placement[: L.n], before.placement
    moved = (placement >= 0) & (placement != previous)
    _fail(
        world,
        "a learner is placed only in an active partnership",
        moved & (P.status[np.maximum(placement, 0)] != ACTIVE),
    )
    # a new placement (after being unplaced, re-enrolled or released) goes to an ecosystem of its school...
    fresh = moved & ((previous < 0) | (L.enrolled[: L.n] == t) | (P.status[np.maximum(previous, 0)] == ENDED))
    n = P.n
    live = P.status[:n] != ENDED
    reach = set(zip(P.school[:n][live].tolist(), roots[live].tolist(), strict=True))
    rows = np.flatnonzero(fresh)
    allowed = [(s, r) in reach for s, r in zip(L.school[rows].tolist(), roots[placement[rows]].tolist(), strict=True)]
    _fail(
        world,
        "a new placement is in an ecosystem holding a live partnership of the learner's school",
        rows[~np.array(allowed, bool)],
    )
    # ... and a rotation moves to another company of the same ecosystem
    rotated = moved & ~fresh
    old, new = previous[rotated], placement[rotated]
    _fail(
        world,
        "a rotation moves a learner to another company of its ecosystem",
        np.flatnonzero(rotated)[(roots[old] != roots[new]) | (P.company[old] == P.company[new])],
    )
