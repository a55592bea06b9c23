"""ecosim: an agent-based model of school-company learning environments and learning ecosystems.

The names below are imported on first use, so ``import ecosim`` (or a kernel module) does not
load Mesa, pandas or pydantic until they are needed, and a command line interrupted while
starting can still say so in one line.
"""

import importlib

_EXPORTS = {
    "EcosystemModel": "ecosim.model",
    "RunConfiguration": "ecosim.spec",
    "RunId": "ecosim.spec",
    "RunResult": "ecosim.runner",
    "RunSpec": "ecosim.spec",
    "Scenario": "ecosim.scenario",
    "ScenarioError": "ecosim.scenario",
    "compare": "ecosim.analysis.compare",
    "load_scenario": "ecosim.scenario",
    "run": "ecosim.runner",
    "save_run": "ecosim.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import an exported name from its module the first time it is asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ecosim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
