"""A Mesa `Scenario` for ecosim: Mesa's experimental parameter set, pointing at a scenario file.

Mesa 3.5 ships `mesa.experimental.scenarios.Scenario` (a typed, frozen-while-running
parameter set passed as ``Model(scenario=...)``). `RunScenario` carries what one ecosim run
needs (scenario file, strategy, months, engine, overrides) and its `rng` is the keyed seed,
so Mesa users can write ``EcosystemModel(RunScenario(file="scenarios/baseline.toml",
strategy="aftercare", rng=3))``. Mesa's API is experimental: this contact is kept to this
module and its tests.
"""

from mesa.experimental.scenarios import Scenario as MesaScenario


class RunScenario(MesaScenario):
    """One ecosim run as a Mesa Scenario (`rng` = the keyed seed; None = the file's seed)."""

    file: str = "scenarios/baseline.toml"
    strategy: str | None = None
    months: int | None = None
    engine: str = "numba"
    overrides: dict | None = None
