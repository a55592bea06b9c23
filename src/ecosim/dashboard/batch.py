"""The Batch page: filter a batch's runs by their design values, scatter an outcome against a parameter, open one run.

Each design parameter (a ``design_*`` column of the runs table) gets a range slider; the
scatter shows the runs inside every range, one colour per strategy. Clicking (or
selecting) a point opens that run: its labels, outcomes and one indicator over the months.
"""

import pandas as pd
import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from ecosim.analysis.compare import outcome_units, with_derived
from ecosim.dashboard.data import DashboardError, Results, outcomes
from ecosim.dashboard.widgets import NOTE, ROW, batch_chooser, blank, field, guarded
from ecosim.parameters import Parameters
from ecosim.tables import INDICATOR_COLUMNS
from ecosim.viz import figures
from ecosim.viz.colours import strategy_look, strategy_order

INDICATOR = "partnerships_active"
WEBGL_FROM = 2000  # points: above this the scatter is drawn with WebGL
MARKED_VALUES = 12  # a design column with at most this many values snaps to them


def design_columns(runs: pd.DataFrame) -> list[str]:
    """The numeric design columns of a runs table."""
    return [c for c in runs if c.startswith("design_") and pd.api.types.is_numeric_dtype(runs[c])]


def filtered(runs: pd.DataFrame, strategies: list[str], ranges: dict[str, list[float]]) -> pd.DataFrame:
    """The runs of the chosen strategies whose design values lie in every [low, high] range."""
    keep = runs["strategy"].isin(strategies)
    for column, (low, high) in ranges.items():
        if column not in runs:
            raise DashboardError(f"range: expected a design column of the batch, found {column!r}")
        keep &= runs[column].between(low, high)
    return runs[keep]


def _unit(column: str) -> str:
    name = column.removeprefix("design_")
    field_ = Parameters.model_fields.get(name)
    extra = field_.json_schema_extra if field_ is not None else None
    if isinstance(extra, dict):
        return extra.get("unit", "value")
    return outcome_units().get(name, "count" if name in ("replication", "seed") else "value")


def scatter(runs: pd.DataFrame, x: str, outcome: str) -> go.Figure:
    """One point per run, the outcome against `x`, a trace per strategy; each point carries its run number."""
    kind = go.Scattergl if len(runs) > WEBGL_FROM else go.Scatter
    fig = go.Figure()
    for strategy in strategy_order(runs["strategy"]):
        rows = runs[runs["strategy"] == strategy]
        look = strategy_look(strategy)
        fig.add_trace(
            kind(
                x=rows[x],
                y=rows[outcome],
                customdata=rows["run"].tolist(),  # a plain list: the browser returns it with a click
                mode="markers",
                marker={"color": look.colour, "symbol": look.symbol, "size": 8, "opacity": 0.8},
                name=strategy,
                hovertemplate=f"run %{{customdata}}<br>{x}=%{{x}}<br>{outcome}=%{{y}}<extra>{strategy}</extra>",
            )
        )
    fig.update_layout(
        title=f"{outcome.replace('_', ' ')} of each run against {x.removeprefix('design_').replace('_', ' ')}",
        xaxis_title=f"{x.removeprefix('design_').replace('_', ' ')} ({_unit(x)})",
        yaxis_title=f"{outcome.replace('_', ' ')} ({outcome_units().get(outcome, 'value')})",
        legend_title="strategy",
        clickmode="event+select",
    )
    return fig


def _range(runs: pd.DataFrame, column: str) -> html.Div:
    values = sorted(runs[column].dropna().unique())
    low, high = float(values[0]), float(values[-1])
    if len(values) <= MARKED_VALUES:  # a grid: marks at its values, steps of its smallest gap
        marks = {float(v): f"{v:g}" for v in values}
        step = float(f"{min(b - a for a, b in zip(values, values[1:], strict=False)):.12g}")
    else:
        marks, step = None, float(f"{(high - low) / 100:.12g}")
    slider = dcc.RangeSlider(
        id={"type": "batch-range", "column": column},
        min=low,
        max=high,
        value=[low, high],
        step=step,
        marks=marks,
        tooltip={"placement": "bottom"},
    )
    return field(column.removeprefix("design_"), slider, "340px")


def layout(results: Results, wanted: str | None) -> html.Div:
    """The page: batch, strategies, parameter and outcome; a range slider per design column; the scatter; one run."""
    chooser, problem = batch_chooser(results, "batch-batch", wanted)
    return html.Div(
        [
            html.H2("Runs of a batch"),
            html.P("Narrow the runs by their design values, then click a point to open that run.", style=NOTE),
            html.Div(
                [
                    field("batch", chooser, "340px"),
                    field("strategies", dcc.Dropdown(id="batch-strategies", multi=True), "420px"),
                    field("against", dcc.Dropdown(id="batch-x", clearable=False), "240px"),
                    field("outcome", dcc.Dropdown(id="batch-outcome", clearable=False), "300px"),
                ],
                style=ROW,
            ),
            html.Div(problem, id="batch-options-message"),
            html.Div(id="batch-ranges", style=ROW),
            html.Div(id="batch-message"),
            html.P(id="batch-count", style=NOTE),
            dcc.Graph(id="batch-scatter", figure=blank()),
            html.Div(id="batch-run"),
            field("indicator", dcc.Dropdown(id="batch-indicator", clearable=False, value=INDICATOR,
                                            options=[{"label": k, "value": k} for k in INDICATOR_COLUMNS]), "320px"),
            dcc.Graph(id="batch-run-indicators", figure=blank("click a run in the scatter to open it")),
        ]
    )


def _run_details(row: pd.Series, outcome: str) -> html.Div:
    design = ", ".join(f"{c.removeprefix('design_')}={row[c]:g}" for c in row.index if c.startswith("design_"))
    return html.Div(
        [
            html.H3(f"run {int(row['run'])}", id="batch-run-title"),
            html.P(
                f"scenario {row['scenario']}, strategy {row['strategy']}, point {int(row['point'])}"
                f"{' (' + design + ')' if design else ''}, replication {int(row['replication'])}, "
                f"seed {int(row['seed'])}; {outcome} = {row[outcome]:.4g}"
            ),
        ]
    )


def _clicked(click: dict | None, selection: dict | None) -> int | None:
    """The run number of the point clicked, or of the only point selected."""
    prop = next(iter(ctx.triggered_prop_ids), "")
    data = selection if prop.endswith("selectedData") else click
    points = (data or {}).get("points") or []
    if len(points) != 1 or "customdata" not in points[0]:
        return None
    return int(points[0]["customdata"])


def register(app: Dash, results: Results) -> None:
    """The page's callbacks: a batch fills the choices and ranges; filters redraw the scatter; a click opens a run."""

    @app.callback(
        Output("batch-strategies", "options"),
        Output("batch-strategies", "value"),
        Output("batch-x", "options"),
        Output("batch-x", "value"),
        Output("batch-outcome", "options"),
        Output("batch-outcome", "value"),
        Output("batch-ranges", "children"),
        Output("batch-options-message", "children"),
        Input("batch-batch", "value"),
    )
    @guarded([], [], [], None, [], None, [])
    def choose_batch(name):
        if not name:  # keep the chooser's own message (e.g. a refused folder in the URL)
            return [], [], [], None, [], None, [], no_update
        runs = results.runs(name)
        strategies = strategy_order(runs["strategy"])
        design = design_columns(runs)
        axes = [*design, "replication", "seed"]
        measured, outcome = outcomes(runs)
        ranges = [_range(runs, c) for c in design if runs[c].nunique() > 1]
        if not ranges:
            ranges = [html.P("This batch has one design point: no design values to filter by.", style=NOTE)]
        options = [{"label": a.removeprefix("design_"), "value": a} for a in axes]
        return strategies, strategies, options, axes[0], measured, outcome, ranges, ""

    @app.callback(
        Output("batch-scatter", "figure"),
        Output("batch-count", "children"),
        Output("batch-message", "children"),
        Input("batch-batch", "value"),
        Input("batch-strategies", "value"),
        Input("batch-x", "value"),
        Input("batch-outcome", "value"),
        Input({"type": "batch-range", "column": ALL}, "value"),
        State({"type": "batch-range", "column": ALL}, "id"),
    )
    @guarded(blank(), "")
    def draw(name, strategies, x, outcome, values, ids):
        if not name or not x or not outcome:
            return blank(), "", ""
        runs = with_derived(results.runs(name))
        ranges = {i["column"]: v for i, v in zip(ids, values, strict=True) if v}
        shown = filtered(runs, strategies or [], ranges)
        count = f"{len(shown):,} of {len(runs):,} runs shown"
        if shown.empty:
            return blank("no run in these ranges and strategies"), count, ""
        return scatter(shown, x, outcome), count, ""

    @app.callback(
        Output("batch-run", "children"),
        Output("batch-run-indicators", "figure"),
        Output("batch-message", "children", allow_duplicate=True),
        Input("batch-scatter", "clickData"),
        Input("batch-scatter", "selectedData"),
        Input("batch-indicator", "value"),
        State("batch-batch", "value"),
        State("batch-outcome", "value"),
        prevent_initial_call=True,
    )
    @guarded("", blank())
    def open_run(click, selection, indicator, name, outcome):
        number = _clicked(click, selection)
        if number is None or not name:
            return "", blank("click a run in the scatter to open it"), ""
        runs = with_derived(results.runs(name))
        row = runs.loc[runs["run"] == number]
        if row.empty:
            raise DashboardError(f"{name}: expected a run of the batch, found run {number}")
        row = row.iloc[0]
        results.needs(name, "indicators")
        where = [("strategy", "==", row["strategy"]), ("run", "==", number)]
        frame = results.load(name, "indicators", ["run", "month", indicator], where)
        fig = figures.indicators(frame.assign(strategy=row["strategy"]), indicator, int(row["reference_month"]))
        fig.update_layout(title=f"run {number}: {indicator.replace('_', ' ')} over the months")
        return _run_details(row, outcome), fig, ""
