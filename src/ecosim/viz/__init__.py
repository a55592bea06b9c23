"""Figures of an experiment's results (plotly), one function per figure, with one fixed look per strategy.

:mod:`~ecosim.viz.figures` draws the tables of the results store and of :mod:`ecosim.analysis`;
:mod:`~ecosim.viz.colours` gives every strategy the same colour and line style in every figure.
"""

from ecosim.viz.colours import strategy_colours, strategy_look
from ecosim.viz.figures import (
    forest,
    indicators,
    km_table,
    learners,
    learning,
    network,
    network_slider,
    network_state,
    prim_tradeoff,
    sobol_bars,
    support_layers,
    survival,
    sweep_heatmap,
)

__all__ = [
    "forest",
    "indicators",
    "km_table",
    "learners",
    "learning",
    "network",
    "network_slider",
    "network_state",
    "prim_tradeoff",
    "sobol_bars",
    "strategy_colours",
    "strategy_look",
    "support_layers",
    "survival",
    "sweep_heatmap",
]
