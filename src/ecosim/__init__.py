"""ecosim: an agent-based model of school-company learning environments and learning ecosystems."""

from ecosim.model import EcosystemModel
from ecosim.run import RunResult, run
from ecosim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["EcosystemModel", "RunResult", "Scenario", "ScenarioError", "load_scenario", "run"]
