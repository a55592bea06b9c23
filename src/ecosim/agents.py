"""Mesa agents as views onto rows of the World's arrays.

An agent holds only its row number; every attribute reads (or writes) the arrays, so the
agents and the kernels always agree and no state is copied. Learners are created as views
only when asked (:meth:`ecosim.model.EcosystemModel.learner_agents`).
"""

import mesa


class _RowView(mesa.Agent):
    """A mesa Agent standing for one row of a table of the World."""

    table_name = ""

    def __init__(self, model: mesa.Model, row: int):
        """Register with the model as the view of `row`."""
        super().__init__(model)
        self.row = row

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
        t = self._table
        return {
            "board": float(t.board[self.row]),
            "leaders": float(t.leaders[self.row]),
            "floor": float(t.floor[self.row]),
        }

    @property
    def commitment(self) -> float:
        """Leaders' (managers') commitment c."""
        return float(self._table.commitment[self.row])

    @property
    def sectors(self) -> list[str]:
        """Sectors it trains for (school) or works in (company)."""
        mask = int(self._table.sectors[self.row])
        return [s for k, s in enumerate(self.model.world.scenario.sectors) if mask >> k & 1]

    def partnerships(self) -> list[int]:
        """Rows of its live partnerships."""
        P = self.model.world.partnerships
        column = P.school if isinstance(self, School) else P.company
        return [i for i in range(P.n) if column[i] == self.row and P.status[i] != 2]


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

    @property
    def hosted(self) -> int:
        """Learners it hosts now."""
        return int(self._table.hosted[self.row])

    @property
    def demand(self) -> bool:
        """Whether it asks explicitly for the collaboration."""
        return bool(self._table.demand[self.row])


class BridgeBuilder(_RowView):
    """A bridge-builder (kwartiermaker): payer, status, intensity."""

    table_name = "bridge_builders"

    @property
    def status(self) -> str:
        """active, aftercare or departed."""
        return ("active", "aftercare", "departed")[int(self._table.status[self.row])]

    @property
    def intensity(self) -> float:
        """Intensity of involvement (1 while active)."""
        return float(self._table.intensity[self.row])

    @property
    def paid_by(self) -> str:
        """Programme or partner."""
        return ("programme", "partner")[int(self._table.payer[self.row])]


class Learner(_RowView):
    """A learner, created on request only: school, placement, competence, breadth."""

    table_name = "learners"

    @property
    def school(self) -> int:
        """Row of its school in the organisations table."""
        return int(self._table.school[self.row])

    @property
    def placement(self) -> int | None:
        """Row of its partnership, or None when unplaced."""
        j = int(self._table.placement[self.row])
        return None if j < 0 else j

    @property
    def competence(self) -> float:
        """Competence gained in the programme."""
        return float(self._table.competence[self.row])

    @property
    def breadth(self) -> int:
        """Distinct workplaces seen."""
        return int(self._table.breadth[self.row])

    @property
    def hard_to_reach(self) -> bool:
        """Whether it belongs to a group that finds it harder to take part."""
        return bool(self._table.hard[self.row])
