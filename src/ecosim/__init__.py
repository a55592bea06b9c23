"""ecosim: an agent-based model of school-company learning environments and learning ecosystems."""

from ecosim.compile_cache import use_keyed_cache_dir

use_keyed_cache_dir()  # before any kernel is decorated: a cache keyed by the kernel sources


from ecosim.model import EcosystemModel  # noqa: E402
from ecosim.run import RunResult, run  # noqa: E402
from ecosim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from ecosim.spec import RunConfiguration, RunId, RunSpec  # noqa: E402
from ecosim.store import save_run  # noqa: E402

__all__ = [
    "EcosystemModel",
    "RunConfiguration",
    "RunId",
    "RunResult",
    "RunSpec",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run",
    "save_run",
]
