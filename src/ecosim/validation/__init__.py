"""Validation: analytic special cases, the nine patterns, calibration targets.

Every check reports a :class:`Check` row; `ecosim validate` prints them as a table.
"""

from dataclasses import dataclass


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
