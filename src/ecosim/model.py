"""EcosystemModel: the Mesa face of the array world.

`step()` runs one month of the schedule on the World's arrays with the chosen engine and
records the month. `model.agents` holds School, Company and BridgeBuilder views onto
array rows; learners become agents only through :meth:`EcosystemModel.learner_agents`.
`mesa.DataCollector` and `mesa.batch_run` work as Mesa users expect: the model collects
its reporters at the end of every step, and `rng=` is the keyed seed.
"""

import os
from functools import partial
from pathlib import Path

import mesa
import numpy as np

from ecosim import interrupt, invariants
from ecosim.agents import BridgeBuilder, Learner, Partnership, organisation_kind
from ecosim.build import build_world
from ecosim.kernels import Engine
from ecosim.mesa_scenario import RunScenario
from ecosim.record import INDICATORS, Recorder
from ecosim.scenario import MAX_SEED, Scenario, ScenarioError, load_scenario
from ecosim.schedule import advance, initialise

INVARIANTS_ENV = "ECOSIM_CHECK_INVARIANTS"


def latest_indicator(model: "EcosystemModel", name: str) -> float | None:
    """Indicator `name` of the latest month, None before the first step."""
    return model.latest.get(name)


def reporter(name: str) -> partial:
    """A DataCollector model reporter returning indicator `name` of the latest month (picklable, unlike a lambda)."""
    return partial(latest_indicator, name=name)


class EcosystemModel(mesa.Model):
    """School-company learning environments, month by month.

    Args:
        scenario: a Scenario, the path of a scenario file, or a Mesa `RunScenario` (whose file,
            strategy, months, engine, overrides and rng are then used instead of the arguments).
        strategy: name of one of the scenario's strategies, or None for none.
        months: months to run before `running` turns False (default: the scenario's horizon).
        engine: 'numba' (compiled kernels) or 'python' (the same kernels uncompiled).
        rng: the seed of the keyed random numbers (an int; default: the scenario's seed).
        reporters: indicator names the DataCollector records each month (default: all).
        overrides: parameter values applied after the strategy's (sweeps, analytic cases).
        check_invariants: check the world's invariants after every month (:mod:`ecosim.invariants`);
            default: on when the environment sets ECOSIM_CHECK_INVARIANTS=1 (the tests do).

    """

    def __init__(
        self,
        scenario: Scenario | str | Path | RunScenario,
        strategy: str | None = None,
        months: int | None = None,
        engine: str = "numba",
        rng: int | None = None,
        reporters: tuple[str, ...] = INDICATORS,
        overrides: dict | None = None,
        check_invariants: bool | None = None,
    ):
        """Build the world, initialise it and create the organisation and bridge-builder agents."""
        mesa_scenario = scenario if isinstance(scenario, RunScenario) else None
        if mesa_scenario is not None:
            m = mesa_scenario
            scenario, strategy, months, engine, overrides, rng = (
                m.file,
                m.strategy,
                m.months,
                m.engine,
                m.overrides,
                m.rng,
            )
        scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        seed = scenario.seed if rng is None else int(rng)
        if not 0 <= seed <= MAX_SEED:
            raise ScenarioError(f"rng: expected a seed between 0 and {MAX_SEED}, found {seed}")
        if months is not None and months < 0:
            raise ScenarioError(f"months: expected 0 or more, found {months}")
        if mesa_scenario is not None:
            mesa_scenario.rng = seed
        super().__init__(rng=seed, scenario=mesa_scenario)
        self.strategy = strategy
        self.overrides = dict(overrides or {})
        self.seed = seed
        self.months = scenario.horizon if months is None else months
        self.engine = Engine(engine)
        self.parameters = scenario.parameters_for(strategy, overrides)
        with interrupt.whole():
            self.world = build_world(scenario, self.parameters, seed, self.engine)
            initialise(self.world, self.engine)
        if check_invariants is None:
            check_invariants = os.environ.get(INVARIANTS_ENV, "") == "1"
        self._invariants = invariants.check(self.world, None) if check_invariants else None
        self.recorder = Recorder()
        self.latest: dict[str, float] = {}
        for row in range(self.world.organisations.n):
            organisation_kind(self, row)(self, row)
        for row in range(self.world.bridge_builders.n):
            BridgeBuilder(self, row)
        self.datacollector = mesa.DataCollector(model_reporters={name: reporter(name) for name in reporters})
        self.running = self.months > 0
        self._views: dict[tuple[type, int], mesa.Agent] = {}

    def step(self) -> None:
        """Run one month: the schedule, then the record and the DataCollector."""
        with interrupt.whole():  # a Ctrl-C lands between months
            stats = advance(self.world, self.engine)
            self.latest = self.recorder.record(self.world, self.engine, stats)
        if self._invariants is not None:
            self._invariants = invariants.check(self.world, self._invariants)
        self.datacollector.collect(self)
        self.running = self.world.month < self.months

    def learner_agents(self, rows: np.ndarray | list[int] | None = None) -> list[Learner]:
        """Learner views for the given rows (all learners if None: mind the size of national runs).

        A row's view is made once and registered with the model; asking again returns the same agent.
        """
        return self._views_of(Learner, range(self.world.learners.n) if rows is None else rows)

    def partnership_agents(self, rows: np.ndarray | list[int] | None = None) -> list[Partnership]:
        """Partnership views (all partnership rows, live and ended, if None); made once per row, like learners."""
        return self._views_of(Partnership, range(self.world.partnerships.n) if rows is None else rows)

    def _views_of(self, kind: type, rows) -> list:
        views = []
        for row in rows:
            key = (kind, int(row))
            if key not in self._views:
                self._views[key] = kind(self, int(row))
            views.append(self._views[key])
        return views
