"""Tiny hand-built worlds for the kernel tests: tables with exactly the World's dtypes.

Rows are given as dicts; anything not given takes a plain default (listed below), so a
test states only the values its hand computation uses. Kernels take the tables' views
(``w.P.view()``) and the event log ``w.events``.

Also here: :class:`RecordingEngine`, an engine that notes every kernel call it passes on.
"""

import copy
from dataclasses import dataclass, field

import numpy as np

from ecosim.build import (
    BRIDGE_BUILDER_COLUMNS,
    EVENT_COLUMNS,
    LEARNER_COLUMNS,
    ORGANISATION_COLUMNS,
    PARTNERSHIP_COLUMNS,
    BridgeBuildersView,
    EventsView,
    LearnersView,
    OrganisationsView,
    PartnershipsView,
)
from ecosim.kernels import KERNELS, Engine
from ecosim.kernels.codes import ACTIVE, BB_ACTIVE, COMPANY, PROGRAMME, SCHOOL
from ecosim.kernels.ecosystems import Census
from ecosim.world import Table

SECTOR_BITS = {"A": 1, "B": 2, "C": 4, "D": 8}

ORG_DEFAULTS = {
    "region": 0,
    "board": 0.7,
    "leaders": 0.6,
    "floor": 0.5,
    "commitment": 0.5,
    "demand": False,
    "places": 0,
    "hosted": 0,
    "learners": 0,
}
PARTNERSHIP_DEFAULTS = {
    "region": 0,
    "bridge_builder": -1,
    "ownership": 0.1,
    "pace": 1.0,
    "mission": 0.8,
    "value": 0.5,
    "health": 0.6,
    "contacts": 2,
    "consultation": False,
    "status": ACTIVE,
    "end": -1,
    "cause": -1,
    "placed": 0,
    "penalty": 0.0,
    "contact_loss": 0.0,
}
BRIDGE_BUILDER_DEFAULTS = {"region": 0, "payer": PROGRAMME, "status": BB_ACTIVE, "intensity": 1.0}
LEARNER_DEFAULTS = {
    "enrolled": 0,
    "placement": -1,
    "months_placed": 0,
    "months_here": 0,
    "motivation": 0.5,
    "competence": 0.0,
    "breadth": 0,
    "hard": False,
}


def sector_mask(letters: str) -> int:
    """'AB' -> the bitmask of sectors A and B."""
    mask = 0
    for letter in letters:
        mask |= SECTOR_BITS[letter]
    return mask


def school(sectors: str = "A", **values) -> dict:
    """An organisation row of kind school training for `sectors` (letters)."""
    return {"kind": SCHOOL, "sectors": sector_mask(sectors), **values}


def company(sector: str = "A", places: int = 10, **values) -> dict:
    """An organisation row of kind company in `sector` (one letter)."""
    return {"kind": COMPANY, "sectors": sector_mask(sector), "places": places, **values}


@dataclass
class Tiny:
    """Organisations O, partnerships P, bridge-builders B, learners L, and an event log E."""

    O: Table
    P: Table
    B: Table
    L: Table
    E: Table = field(default_factory=lambda: Table(EVENT_COLUMNS, 256, view=EventsView))

    @property
    def events(self) -> tuple:
        """The event log as kernels take it (the events view)."""
        return self.E.view()

    def census(self, engine: Engine) -> Census:
        """The census kernel on these tables."""
        return engine.census(self.P.view(), self.O.view(), self.B.view())

    def logged(self) -> list[tuple[int, ...]]:
        """The event rows written so far, as tuples (month, kind, entity, other, cause)."""
        return [tuple(int(x) for x in row) for row in self.E.row[: self.E.n]]


def _fill(table: Table, rows: list[dict], defaults: dict) -> None:
    table.n = len(rows)
    for i, row in enumerate(rows):
        for name, value in {**defaults, **row}.items():
            getattr(table, name)[i] = value


def make_tiny(orgs, partnerships=(), bridge_builders=(), learners=()) -> Tiny:
    """Tables from lists of row dicts.

    A partnership is its own ecosystem unless given a `parent`; `leaders_start` defaults to
    the starting leaders; each organisation's `learners` is counted from the learners' schools.
    Organisation, bridge-builder and learner tables are exactly as long
    as their rows (the kernels read whole columns); partnerships have spare rows.
    """
    orgs = [{**ORG_DEFAULTS, **o} for o in orgs]
    for o in orgs:
        o.setdefault("leaders_start", o["leaders"])
    O = Table(ORGANISATION_COLUMNS, len(orgs), view=OrganisationsView)
    _fill(O, orgs, {})
    P = Table(
        PARTNERSHIP_COLUMNS,
        len(partnerships) + 8,
        fill={"end": -1, "cause": -1, "bridge_builder": -1, "parent": -1},
        view=PartnershipsView,
    )
    P.parent[:] = np.arange(P.capacity)
    _fill(P, list(partnerships), PARTNERSHIP_DEFAULTS)
    B = Table(BRIDGE_BUILDER_COLUMNS, len(bridge_builders), view=BridgeBuildersView)
    _fill(B, list(bridge_builders), BRIDGE_BUILDER_DEFAULTS)
    L = Table(LEARNER_COLUMNS, len(learners), view=LearnersView)
    _fill(L, list(learners), LEARNER_DEFAULTS)
    # as in a built world, a school's learners are a run of rows, in organisation order
    if np.any(np.diff(L.school[: L.n]) < 0):
        raise ValueError("tiny learners must be listed school by school, in organisation order")
    O.learners[:] = np.bincount(L.school[: L.n], minlength=O.n)
    return Tiny(O, P, B, L)


KERNEL_NAMES = frozenset(kernel.__name__ for kernel in KERNELS)


class RecordingEngine:
    """An engine that passes every kernel call on to `engine` and notes it in `calls`.

    Each call is noted as (kernel name, arguments); with `copies`, the arguments are deep
    copies taken before the call (the state the kernel saw), otherwise None.
    """

    def __init__(self, engine: Engine, copies: bool = False):
        self.engine, self.copies = engine, copies
        self.calls: list[tuple[str, tuple | None]] = []

    @property
    def name(self) -> str:
        """The wrapped engine's name."""
        return self.engine.name

    def call(self, kernel: str, args: tuple, entries: dict) -> object:
        """As Engine.call, noted (always through the dispatcher)."""
        return getattr(self, kernel)(*args)

    def __getattr__(self, name: str):
        kernel = getattr(self.engine, name)
        if name not in KERNEL_NAMES:
            return kernel

        def noted(*args):
            self.calls.append((name, copy.deepcopy(args) if self.copies else None))
            return kernel(*args)

        return noted
