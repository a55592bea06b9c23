"""Validation: analytic special cases, the nine patterns, calibration targets.

Every check reports a :class:`Check` row; `ecosim validate` prints them as a table.
"""

from dataclasses import dataclass, field
from pathlib import Path

from ecosim.scenario import Scenario, load_scenario


@dataclass(frozen=True)
class Check:
    """One validation result: what was expected, what was measured, with its interval."""

    group: str  # "analytic", "pattern" or "target"
    name: str
    expected: str
    measured: float
    low: float  # the interval around `measured` (confidence or sampling interval)
    high: float
    passed: bool
    note: str = ""
    values: dict[str, float] = field(default_factory=dict, compare=False)  # the numbers behind the verdict, by name


def experiment_file(name: str, near: str | Path = __file__) -> Path:
    """experiments/`name` of the repository, searched above `near` (a source file), then above the working directory.

    A source checkout finds its own files first; an installed wheel does not ship experiments/.
    """
    here = Path(near).resolve()
    for folder in (*here.parents, Path.cwd().resolve(), *Path.cwd().resolve().parents):
        candidate = folder / "experiments" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"experiments/{name} not found above {Path.cwd()} or {here.parent}: pass the file's path "
        "(it lives in the repository's experiments/ folder, which an installed wheel does not ship)"
    )


def experiment_scenario(scenario: Scenario | str | Path | None, default: str) -> Scenario:
    """The given scenario (object or file), or the shipped experiments/`default`."""
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(experiment_file(default) if scenario is None else scenario)
