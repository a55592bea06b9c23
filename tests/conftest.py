"""Shared fixtures: the shipped scenarios, a small-scenario factory, both engines, kernel parameters.

Tiny hand-built array worlds for the kernel tests are in tiny.py.

Nothing here reads outside the repository: scenario paths are relative to this folder.
Every model the tests build checks the world's invariants after every month
(ecosim.invariants), also in the `ecosim` processes the tests start.
"""

import copy
import os
from pathlib import Path

import pytest

from browser import browser, page  # noqa: F401  (the headless-Chromium fixtures, one browser per session)
from ecosim.kernels import ENGINES, Engine
from ecosim.parameters import KernelParams, Parameters, kernel_params
from ecosim.scenario import Scenario, deep_merge

os.environ.setdefault("ECOSIM_CHECK_INVARIANTS", "1")

TESTS = Path(__file__).resolve().parent
SCENARIOS = TESTS.parent / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))

# A small listed world: one region, three schools, four companies, three starting pairs.
SMALL = {
    "name": "small",
    "seed": 7,
    "horizon": 24,
    "sectors": ["care", "construction", "technology"],
    "regions": [
        {
            "name": "town",
            "schools": [
                {"name": "s1", "sectors": ["care", "construction"], "learners": 30},
                {"name": "s2", "sectors": ["construction", "technology"], "learners": 20},
                {"name": "s3", "sectors": ["technology"], "learners": 10},
            ],
            "companies": [
                {"name": "c1", "sector": "care", "places": 6},
                {"name": "c2", "sector": "construction", "places": 4, "demand": True},
                {"name": "c3", "sector": "technology", "places": 5},
                {"name": "c4", "sector": "care", "places": 3},
            ],
            "bridge_builders": [{"name": "bb1"}],
            "partnerships": [
                {"school": "s1", "company": "c1", "bridge_builder": "bb1"},
                {"school": "s2", "company": "c2", "bridge_builder": "bb1"},
                {"school": "s3", "company": "c3"},
            ],
        }
    ],
}


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    """The repository's scenarios/ folder."""
    return SCENARIOS


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    """scenarios/baseline.toml."""
    return SCENARIOS / "baseline.toml"


@pytest.fixture(params=SHIPPED, ids=[p.stem for p in SHIPPED])
def shipped_scenario(request) -> Path:
    """Every scenario file shipped in scenarios/ (a new file is picked up automatically)."""
    return request.param


@pytest.fixture
def small_dict() -> dict:
    """A fresh copy of the small scenario as a plain dict."""
    return copy.deepcopy(SMALL)


def small_with(**changes) -> Scenario:
    """A validated Scenario: the small scenario with parts replaced (tables merge key by key, lists are replaced)."""
    return Scenario.model_validate(deep_merge(copy.deepcopy(SMALL), changes))


@pytest.fixture
def make_scenario():
    """Build a validated Scenario from the small scenario with parts replaced (tables merge key by key)."""
    return small_with


@pytest.fixture(scope="session")
def make_scenario_once():
    """make_scenario for session- and module-scoped fixtures."""
    return small_with


@pytest.fixture(params=ENGINES)
def engine(request) -> Engine:
    """Both engines: every kernel test runs compiled and as plain Python."""
    return Engine(request.param)


@pytest.fixture
def kp():
    """KernelParams from Parameters overrides (validated, so every value is in bounds).

    Positional dicts are merged first, keywords last: ``kp(FROZEN, stall_base=1.0)``.
    """

    def make(*bases: dict, **overrides) -> KernelParams:
        merged = {}
        for base in bases:
            merged.update(base)
        return kernel_params(Parameters(**{**merged, **overrides}))

    return make
