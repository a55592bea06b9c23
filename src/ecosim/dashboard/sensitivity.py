"""The Sensitivity page: what a batch's design can say about its parameters.

- a Saltelli design: first-order and total Sobol' indices; a Morris design: mu* and sigma
  (:mod:`ecosim.analysis.sensitivity`);
- any design with varying parameters: PRIM boxes for a condition on an outcome
  (:mod:`ecosim.analysis.discovery`);
- a grid sweep of two or more parameters: a heat map of the outcome.

A batch whose design is a single point has none of these, and the page says so.
"""

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html, no_update

from ecosim.analysis.compare import outcome_units, with_derived
from ecosim.analysis.discovery import COMPARISONS, cases, prim_boxes
from ecosim.analysis.sensitivity import METHODS, analyse
from ecosim.dashboard.data import DashboardError, Results, outcomes
from ecosim.dashboard.widgets import NOTE, ROW, batch_chooser, blank, field, guarded
from ecosim.viz import figures
from ecosim.viz.colours import BLACK

SHOWN, HIDDEN = {"display": "block"}, {"display": "none"}


def design_kind(design: dict[str, Any]) -> str:
    """'saltelli' or 'morris' (indices), 'sampled' (another sample: PRIM only), 'grid' (a sweep), or 'point'."""
    method = (design.get("sample") or {}).get("method")
    if method in METHODS:
        return method
    if method:
        return "sampled"
    return "grid" if design.get("sweep") else "point"


def variants(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """The (scenario, strategy) pairs of a batch: the design is analysed for one at a time."""
    return sorted(runs.groupby(["scenario", "strategy"]).groups)


def _variant(runs: pd.DataFrame, index: int | None) -> pd.DataFrame:
    pairs = variants(runs)
    if index is None or not 0 <= int(index) < len(pairs):
        raise DashboardError(f"variant: expected one of {len(pairs)} scenario and strategy pairs, found {index!r}")
    scenario, strategy = pairs[int(index)]
    return runs[(runs["scenario"] == scenario) & (runs["strategy"] == strategy)]


def indices(results: Results, name: str, index: int, outcome: str) -> pd.DataFrame:
    """Sobol' or Morris indices of one outcome for one scenario and strategy of a sampled batch (cached)."""
    design = results.batch(name).design
    frame = _variant(with_derived(results.runs(name)), index)
    return results.cached(name, ("indices", index, outcome), lambda: analyse(frame, design, [outcome]))


def prim(results: Results, name: str, index: int, outcome: str, symbol: str, threshold: float) -> tuple:
    """The PRIM trajectory and chosen box of 'outcome symbol threshold' over the design points (cached)."""
    if symbol not in COMPARISONS:
        raise DashboardError(f"condition: expected one of {', '.join(COMPARISONS)}, found {symbol!r}")
    frame = _variant(with_derived(results.runs(name)), index)
    return results.cached(
        name, ("prim", index, outcome, symbol, threshold), lambda: prim_boxes(*cases(frame, outcome, symbol, threshold))
    )


def median_threshold(results: Results, name: str, index: int, outcome: str) -> float:
    """The median over the design points of the outcome's replication mean: a condition half of them meet."""
    frame = _variant(with_derived(results.runs(name)), index)
    return float(frame.groupby("point")[outcome].mean().median())


def morris_bars(table: pd.DataFrame) -> go.Figure:
    """Morris mu* with its interval and sigma per parameter, for one outcome."""
    outcome = str(table["outcome"].iloc[0])
    fig = go.Figure()
    fig.add_trace(go.Bar(x=table["parameter"], y=table["mu_star"], name="mu*", marker={"color": "#555555"},
                         error_y={"type": "data", "array": table["mu_star_conf"], "color": BLACK}))
    fig.add_trace(go.Bar(x=table["parameter"], y=table["sigma"], name="sigma", marker={"color": "#BBBBBB"}))
    unit = outcome_units().get(outcome, "value")
    fig.update_layout(
        title=f"{outcome.replace('_', ' ')}: Morris mu* (with its interval) and sigma",
        barmode="group",
        xaxis_title="parameter (name)",
        yaxis_title=f"effect over the parameter's range ({unit})",
        legend_title="index",
    )
    return fig


def _attempt(draw: Callable[[], Any]) -> tuple[Any, str]:
    """A section's figure, or a blank one and the reason it could not be drawn."""
    try:
        return draw(), ""
    except (ValueError, OSError) as exc:
        text = " ".join(str(exc).split())
        return blank(text), text


def layout(results: Results, wanted: str | None) -> html.Div:
    """The page: batch, scenario and strategy, outcome, a PRIM condition, grid axes; the sections the design allows."""
    chooser, problem = batch_chooser(results, "sens-batch", wanted)
    return html.Div(
        [
            html.H2("Sensitivity and scenario discovery"),
            html.Div(
                [
                    field("batch", chooser, "340px"),
                    field("scenario and strategy", dcc.Dropdown(id="sens-variant", clearable=False), "300px"),
                    field("outcome", dcc.Dropdown(id="sens-outcome", clearable=False), "300px"),
                ],
                style=ROW,
            ),
            html.Div(problem, id="sens-options-message"),
            html.Div(id="sens-message"),
            html.P(id="sens-kind", style={**NOTE, "fontWeight": "600"}),
            html.Div(dcc.Graph(id="sens-indices", figure=blank()), id="sens-indices-section", style=HIDDEN),
            html.Div(
                [
                    html.H3("Scenario discovery (PRIM)"),
                    html.Div(
                        [
                            field("condition", dcc.Dropdown(id="sens-symbol", value=">=", clearable=False,
                                                            options=list(COMPARISONS)), "100px"),
                            field("threshold (empty: the median design point)",
                                  dcc.Input(id="sens-threshold", type="number", debounce=True), "320px"),
                        ],
                        style=ROW,
                    ),
                    html.P(id="sens-box", style=NOTE),
                    dcc.Graph(id="sens-prim", figure=blank()),
                ],
                id="sens-prim-section",
                style=HIDDEN,
            ),
            html.Div(
                [
                    html.Div(
                        [
                            field("x", dcc.Dropdown(id="sens-x", clearable=False), "240px"),
                            field("y", dcc.Dropdown(id="sens-y", clearable=False), "240px"),
                        ],
                        style=ROW,
                    ),
                    dcc.Graph(id="sens-heatmap", figure=blank()),
                ],
                id="sens-grid-section",
                style=HIDDEN,
            ),
        ]
    )


KIND_NOTES = {
    "saltelli": "Saltelli design: Sobol' indices (first-order and total) of the outcome, PRIM boxes below.",
    "morris": "Morris design: mu* and sigma of the outcome per parameter, PRIM boxes below.",
    "sampled": "Sampled design (not Saltelli or Morris): no sensitivity indices; PRIM boxes below.",
    "grid": "Grid sweep: the outcome over two swept parameters (mean of the other cells), PRIM boxes below.",
    "point": (
        "This batch's design is a single point (no [sample] or [sweep] in its experiment file): there are no "
        "sensitivity indices, PRIM boxes or sweep maps to show. Sobol' indices need a Saltelli design "
        "(experiments/sensitivity.toml), Morris indices a Morris design (experiments/morris.toml), a heat map "
        "a grid sweep (experiments/funding-sweep.toml)."
    ),
}


def register(app: Dash, results: Results) -> None:
    """The page's callbacks: a batch fills the choices; any choice redraws the sections its design allows."""

    @app.callback(
        Output("sens-variant", "options"),
        Output("sens-variant", "value"),
        Output("sens-outcome", "options"),
        Output("sens-outcome", "value"),
        Output("sens-x", "options"),
        Output("sens-x", "value"),
        Output("sens-y", "options"),
        Output("sens-y", "value"),
        Output("sens-options-message", "children"),
        Input("sens-batch", "value"),
    )
    @guarded([], None, [], None, [], None, [], None)
    def choose_batch(name):
        if not name:  # keep the chooser's own message (e.g. a refused folder in the URL)
            return [], None, [], None, [], None, [], None, no_update
        runs = results.runs(name)
        found = variants(runs)
        pairs = [{"label": f"{s}, {t}", "value": k} for k, (s, t) in enumerate(found)]
        first = next((k for k, (_, t) in enumerate(found) if t == "none"), 0)
        measured, outcome = outcomes(runs)
        swept = list(results.batch(name).design.get("sweep") or {})
        second = swept[1] if len(swept) > 1 else None
        return pairs, first, measured, outcome, swept, swept[0] if swept else None, swept, second, ""

    @app.callback(
        Output("sens-kind", "children"),
        Output("sens-indices", "figure"),
        Output("sens-indices-section", "style"),
        Output("sens-prim", "figure"),
        Output("sens-box", "children"),
        Output("sens-prim-section", "style"),
        Output("sens-heatmap", "figure"),
        Output("sens-grid-section", "style"),
        Output("sens-message", "children"),
        Input("sens-batch", "value"),
        Input("sens-variant", "value"),
        Input("sens-outcome", "value"),
        Input("sens-symbol", "value"),
        Input("sens-threshold", "value"),
        Input("sens-x", "value"),
        Input("sens-y", "value"),
    )
    @guarded("", blank(), HIDDEN, blank(), "", HIDDEN, blank(), HIDDEN)
    def draw(name, index, outcome, symbol, threshold, x, y):
        if not name or outcome is None or index is None:
            return "", blank(), HIDDEN, blank(), "", HIDDEN, blank(), HIDDEN, ""
        kind = design_kind(results.batch(name).design)
        note = KIND_NOTES[kind]
        sobol, sobol_style = blank(), HIDDEN
        if kind in METHODS:
            sobol_style = SHOWN

            def bars() -> go.Figure:
                table = indices(results, name, index, outcome)
                first = table[table["group"] == table["group"].iloc[0]]
                return figures.sobol_bars(first) if kind == "saltelli" else morris_bars(first)

            sobol, _ = _attempt(bars)
        trade, box, prim_style = blank(), "", HIDDEN
        if kind != "point":
            prim_style = SHOWN
            level = median_threshold(results, name, index, outcome) if threshold is None else float(threshold)

            def peel() -> go.Figure:
                trajectory, limits = prim(results, name, index, outcome, symbol, level)
                return figures.prim_tradeoff(trajectory, int(limits["box"].iloc[0]) if len(limits) else None)

            trade, problem = _attempt(peel)
            box = problem or _box_text(results, name, index, outcome, symbol, level)
        heat, heat_style = blank(), HIDDEN
        if kind == "grid":
            heat_style = SHOWN
            frame = _variant(with_derived(results.runs(name)), index)
            if x is None or y is None or x == y:
                heat = blank("a heat map needs two different swept parameters; the Batch page scatters one")
            else:
                heat, _ = _attempt(lambda: figures.sweep_heatmap(frame, x, y, outcome))
        return note, sobol, sobol_style, trade, box, prim_style, heat, heat_style, ""


def _box_text(results: Results, name: str, index: int, outcome: str, symbol: str, level: float) -> str:
    """The chosen PRIM box in words: the condition, coverage, density and the limits of each restricted parameter."""
    _, limits = prim(results, name, index, outcome, symbol, level)
    condition = f"{outcome} {symbol} {level:.4g}"
    if limits.empty:
        return f"{condition}: the chosen box restricts no parameter."
    head = limits.iloc[0]
    parts = ", ".join(f"{r['parameter']} in [{r['low']:.4g}, {r['high']:.4g}]" for _, r in limits.iterrows())
    return (
        f"{condition}: box {int(head['box'])} (coverage {head['coverage']:.2f}, density {head['density']:.2f}): "
        f"{parts}"
    )
