"""One look per strategy in every figure: an Okabe-Ito colour and, past seven strategies, a second line style.

The Okabe-Ito palette stays distinct for the common forms of colour blindness, but it has
only seven colours besides black, and the baseline scenario has twelve strategies. So a
strategy's look is its colour *and* its mark (line dash, marker symbol): the
first seven strategies are solid, the next seven dashed. The look depends only on the
strategy's name, never on which strategies a figure shows or in what order, so a strategy
looks the same in every figure; "none", the usual baseline, is always black and solid.
"""

import hashlib
from collections.abc import Iterable
from typing import NamedTuple

BLACK = "#000000"
GREY = "#999999"
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow (last: the faintest on white)
)
MARKS = (("solid", "circle"), ("dash", "diamond"))
"""(line dash, marker symbol) of the first and the second round through the colours."""
UNKNOWN_MARK = ("dot", "x")

NONE = "none"
STRATEGIES = (
    NONE,
    "gradual-handover",
    "aftercare",
    "distributed-contacts",
    "consultation-structures",
    "leadership-engagement",
    "company-demand-signal",
    "ecosystem-brokerage",
    "network-support",
    "evaluation",
    "outreach",
    "funding-taper",
    "funding-extension",
)
""""none", then the baseline scenario's strategies in the order of its file (scenarios/baseline.toml)."""


class Look(NamedTuple):
    """How a strategy is drawn: colour, line dash and marker symbol."""

    colour: str
    dash: str
    symbol: str


def strategy_look(name: str) -> Look:
    """The look of one strategy: fixed by its place in :data:`STRATEGIES`, or by a hash of an unknown name.

    Unknown names (bundles, strategies of other scenarios) are dotted so they are not taken
    for a known strategy of the same colour.
    """
    if name == NONE:
        return Look(BLACK, "solid", "circle")
    if name in STRATEGIES:
        k = STRATEGIES.index(name) - 1
        return Look(OKABE_ITO[k % len(OKABE_ITO)], *MARKS[k // len(OKABE_ITO) % len(MARKS)])
    k = int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(OKABE_ITO)
    return Look(OKABE_ITO[k], *UNKNOWN_MARK)


def strategy_colours(names: Iterable[str]) -> dict[str, str]:
    """Strategy name -> colour; the same colour for a name whatever else is in `names`."""
    return {name: strategy_look(name).colour for name in names}


def strategy_order(names: Iterable[str]) -> list[str]:
    """The distinct names in the fixed order: known strategies as in :data:`STRATEGIES`, then others sorted."""
    found = set(names)
    return [s for s in STRATEGIES if s in found] + sorted(found - set(STRATEGIES))


def translucent(colour: str, alpha: float) -> str:
    """A '#RRGGBB' colour as 'rgba(r, g, b, alpha)', for bands drawn over each other."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def category_colour(k: int) -> str:
    """The k-th colour for categories that are not strategies (ecosystems): Okabe-Ito, cycling."""
    return OKABE_ITO[k % len(OKABE_ITO)]
