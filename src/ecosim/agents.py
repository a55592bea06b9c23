"""Mesa agents as views onto rows of the World's arrays.

An agent holds only its row number; every attribute reads the arrays, and setting one
writes the arrays (validated to the column's range), so agents and kernels always agree
and no state is copied. Schools, companies and bridge-builders are agents from the start;
learners and partnerships become agents only when asked
(:meth:`ecosim.model.EcosystemModel.learner_agents`, :meth:`~ecosim.model.EcosystemModel.partnership_agents`),
and asking twice for a row gives the same agent.
"""

import mesa

from ecosim.kernels.codes import CAUSES, ENDED, SCHOOL

LAYERS = ("board", "leaders", "floor")
PARTNERSHIP_STATUS = ("active", "stalled", "ended")
BRIDGE_BUILDER_STATUS = ("active", "aftercare", "departed")


def _share(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a value in [0, 1], found {value}")
    return value


def _count(name: str, value: int) -> int:
    if int(value) != value or value < 0:
        raise ValueError(f"{name}: expected a whole number >= 0, found {value}")
    return int(value)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> int:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(choices)}, found {value!r}")
    return choices.index(value)


class _RowView(mesa.Agent):
    """A mesa Agent standing for one row of a table of the World."""

    table_name = ""

    def __init__(self, model: mesa.Model, row: int):
        """Register with the model as the view of `row` (which must be a used row of the table)."""
        table = getattr(model.world, self.table_name)
        if not 0 <= int(row) < table.n:
            raise IndexError(f"{self.table_name}: expected a row in 0..{table.n - 1}, found {row}")
        super().__init__(model)
        self.row = int(row)

    @property
    def _table(self):
        return getattr(self.model.world, self.table_name)


class _Organisation(_RowView):
    table_name = "organisations"

    @property
    def name(self) -> str:
        """Name as in the scenario (region/name)."""
        return self.model.world.org_names[self.row]

    @property
    def region(self) -> str:
        """Region name."""
        return self.model.world.region_names[int(self._table.region[self.row])]

    @property
    def support(self) -> dict[str, float]:
        """Support per layer: board, leaders (managers), floor."""
        return {layer: float(getattr(self._table, layer)[self.row]) for layer in LAYERS}

    @support.setter
    def support(self, layers: dict[str, float]) -> None:
        """Set some or all layers, e.g. ``school.support = {"floor": 0.3}`` (each in [0, 1])."""
        for layer in layers:
            _choice("support layer", layer, LAYERS)
        for layer, value in layers.items():
            getattr(self._table, layer)[self.row] = _share(f"support.{layer}", value)

    @property
    def commitment(self) -> float:
        """Leaders' (managers') commitment c."""
        return float(self._table.commitment[self.row])

    @commitment.setter
    def commitment(self, value: float) -> None:
        self._table.commitment[self.row] = _share("commitment", value)

    @property
    def sectors(self) -> list[str]:
        """Sectors it trains for (school) or works in (company)."""
        mask = int(self._table.sectors[self.row])
        return [s for k, s in enumerate(self.model.world.scenario.sectors) if mask >> k & 1]

    def partnerships(self) -> list[int]:
        """Rows of its live partnerships."""
        P = self.model.world.partnerships
        column = P.school if isinstance(self, School) else P.company
        return [i for i in range(P.n) if column[i] == self.row and P.status[i] != ENDED]


class School(_Organisation):
    """A school: support in three layers, the sectors it trains for, its programme learners."""

    @property
    def learners(self) -> int:
        """Programme learners (both cohorts)."""
        return int(self._table.learners[self.row])


class Company(_Organisation):
    """A company: support in three layers, its sector, places, explicit demand."""

    @property
    def places(self) -> int:
        """Concurrent learners it can host."""
        return int(self._table.places[self.row])

    @places.setter
    def places(self, value: int) -> None:
        self._table.places[self.row] = _count("places", value)

    @property
    def hosted(self) -> int:
        """Learners it hosts now (the kernels keep this count; it is not set by hand)."""
        return int(self._table.hosted[self.row])

    @property
    def demand(self) -> bool:
        """Whether it asks explicitly for the collaboration."""
        return bool(self._table.demand[self.row])

    @demand.setter
    def demand(self, value: bool) -> None:
        self._table.demand[self.row] = bool(value)


class BridgeBuilder(_RowView):
    """A bridge-builder (kwartiermaker): payer, status, intensity."""

    table_name = "bridge_builders"

    @property
    def name(self) -> str:
        """Name as in the scenario (region/name)."""
        return self.model.world.bb_names[self.row]

    @property
    def status(self) -> str:
        """active, aftercare or departed."""
        return BRIDGE_BUILDER_STATUS[int(self._table.status[self.row])]

    @status.setter
    def status(self, value: str) -> None:
        self._table.status[self.row] = _choice("status", value, BRIDGE_BUILDER_STATUS)

    @property
    def intensity(self) -> float:
        """Intensity of involvement (1 while active)."""
        return float(self._table.intensity[self.row])

    @intensity.setter
    def intensity(self, value: float) -> None:
        self._table.intensity[self.row] = _share("intensity", value)

    @property
    def paid_by(self) -> str:
        """Programme or partner."""
        return ("programme", "partner")[int(self._table.payer[self.row])]


class Partnership(_RowView):
    """A partnership (hybrid learning environment), created on request: its school, company, state and ecosystem."""

    table_name = "partnerships"

    @property
    def school(self) -> int:
        """Row of its school in the organisations table."""
        return int(self._table.school[self.row])

    @property
    def company(self) -> int:
        """Row of its company in the organisations table."""
        return int(self._table.company[self.row])

    @property
    def status(self) -> str:
        """active, stalled or ended."""
        return PARTNERSHIP_STATUS[int(self._table.status[self.row])]

    @property
    def cause(self) -> str | None:
        """Cause of ending, None while live."""
        k = int(self._table.cause[self.row])
        return None if k < 0 else CAUSES[k]

    @property
    def ecosystem(self) -> int | None:
        """Its ecosystem: the root partnership row of its set in the latest census, None once ended."""
        root = self.model.world.census[0]
        r = int(root[self.row]) if self.row < len(root) else -1
        return None if r < 0 else r

    def _get(self, name: str) -> float:
        return float(getattr(self._table, name)[self.row])

    def _set(self, name: str, value: float) -> None:
        getattr(self._table, name)[self.row] = _share(name, value)

    ownership = property(
        lambda self: self._get("ownership"),
        lambda self, v: self._set("ownership", v),
        doc="O: the team's ownership of the work, in [0, 1].",
    )
    mission = property(
        lambda self: self._get("mission"), lambda self, v: self._set("mission", v), doc="M: shared mission, in [0, 1]."
    )
    value = property(
        lambda self: self._get("value"), lambda self, v: self._set("value", v), doc="V: value created, in [0, 1]."
    )
    health = property(
        lambda self: self._get("health"), lambda self, v: self._set("health", v), doc="H: health, in [0, 1]."
    )

    @property
    def contacts(self) -> int:
        """Contact persons (1 to 3)."""
        return int(self._table.contacts[self.row])

    @contacts.setter
    def contacts(self, value: int) -> None:
        if value not in (1, 2, 3):
            raise ValueError(f"contacts: expected 1, 2 or 3, found {value}")
        self._table.contacts[self.row] = value


class Learner(_RowView):
    """A learner, created on request only: school, placement, competence, breadth, motivation."""

    table_name = "learners"

    @property
    def school(self) -> int:
        """Row of its school in the organisations table."""
        return int(self._table.school[self.row])

    @property
    def placement(self) -> int | None:
        """Row of its partnership, or None when unplaced (placements are the kernels' to make)."""
        j = int(self._table.placement[self.row])
        return None if j < 0 else j

    @property
    def competence(self) -> float:
        """Competence gained in the programme."""
        return float(self._table.competence[self.row])

    @property
    def motivation(self) -> float:
        """Motivation, in [0, 1]."""
        return float(self._table.motivation[self.row])

    @motivation.setter
    def motivation(self, value: float) -> None:
        self._table.motivation[self.row] = _share("motivation", value)

    @property
    def breadth(self) -> int:
        """Workplaces joined since enrolment."""
        return int(self._table.breadth[self.row])

    @property
    def hard_to_reach(self) -> bool:
        """Whether it belongs to a group that finds it harder to take part."""
        return bool(self._table.hard[self.row])

    @hard_to_reach.setter
    def hard_to_reach(self, value: bool) -> None:
        self._table.hard[self.row] = bool(value)


def organisation_kind(model: mesa.Model, row: int) -> type[_Organisation]:
    """School or Company, by the organisation row's kind."""
    return School if model.world.organisations.kind[row] == SCHOOL else Company
