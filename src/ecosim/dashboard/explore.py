"""The Explore page: run one scenario with a strategy and a few parameters set by sliders, and step through its months.

Every slider release runs the model again (a baseline run takes well under a second once
compiled; runs are cached by scenario, strategy, parameters and seed). The month slider, or
Play, steps the network figure through the months of the run; the indicator figure shows
the whole run.
"""

from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from ecosim.dashboard.data import Results
from ecosim.dashboard.model import SLIDERS, Models
from ecosim.dashboard.widgets import NOTE, ROW, blank, drawn, field, guarded, message
from ecosim.tables import INDICATOR_COLUMNS, OUTCOMES
from ecosim.viz import figures

SHOWN_OUTCOMES = (
    "alive_at_reference",
    "share_not_ended_24",
    "share_not_ended_60",
    "learner_months_after_reference",
    "programme_spending",
    "partnerships_formed",
)
PLAY_MS = 600  # one month per tick while playing
INDICATOR = "partnerships_active"
NETWORK_HEIGHT = 640  # px: the layout keeps its aspect ratio, so the default height draws it small
MODEL_CONTROLS = ("explore-scenario", "explore-strategy", "explore-seed", *(f"explore-{name}" for name in SLIDERS))


def _slider(name: str, high: float) -> html.Div:
    label, low, top, step = SLIDERS[name]
    top = high if top is None else top
    return field(label, dcc.Slider(id=f"explore-{name}", min=low, max=top, step=step, marks=None,
                                   tooltip={"placement": "bottom"}), "330px")


def layout(results: Results, models: Models, wanted_run: str | None) -> html.Div:
    """The page: scenario, strategy, seed and sliders (or a saved run), the run's outcomes, network and indicator."""
    scenarios = models.scenarios()
    saved = [{"label": f.name, "value": f.name} for f in results.folders() if f.kind == "run"]
    horizon = models.scenario(scenarios[0]["value"]).horizon if scenarios else 120
    problem = None
    if wanted_run is not None:
        try:
            models.saved(wanted_run)  # a folder under the root holding a run: checked before it is offered
        except (ValueError, OSError) as exc:
            wanted_run, problem = None, exc
    source = "saved" if wanted_run else "model"
    return html.Div(
        [
            html.H2("Explore one run"),
            html.P("Choose a scenario and a strategy, move a slider and release it: the model runs again. "
                   "The month slider (or Play) steps the network through the months.", style=NOTE),
            html.Div(id="explore-status", style=NOTE),
            dcc.Interval(id="explore-warm-poll", interval=1000),
            html.Div(
                [
                    field("source", dcc.RadioItems(id="explore-source", value=source, inline=True, options=[
                        {"label": " run the model ", "value": "model"},
                        {"label": " a saved run ", "value": "saved", "disabled": not saved},
                    ]), "260px"),
                    field("scenario", dcc.Dropdown(id="explore-scenario", options=scenarios, clearable=False,
                                                   value=scenarios[0]["value"] if scenarios else None), "300px"),
                    field("strategy", dcc.Dropdown(id="explore-strategy", clearable=False), "260px"),
                    field("seed", dcc.Input(id="explore-seed", type="number", min=0, step=1, value=1,
                                            debounce=True), "120px"),
                    field("saved run", dcc.Dropdown(id="explore-saved", options=saved, value=wanted_run), "300px"),
                ],
                style=ROW,
            ),
            html.Div([_slider(name, horizon) for name in SLIDERS], style=ROW),
            html.Div(message(problem), id="explore-url-message"),
            html.Div(id="explore-message"),
            html.Div(id="explore-summary"),
            dcc.Store(id="explore-run"),
            html.Div(
                [
                    field("month", dcc.Slider(id="explore-month", min=0, max=horizon - 1, step=1, value=horizon - 1,
                                              marks=None, tooltip={"placement": "bottom"}), "600px"),
                    html.Button("Play", id="explore-play", n_clicks=0),
                    dcc.Interval(id="explore-tick", interval=PLAY_MS, disabled=True),
                ],
                style=ROW,
            ),
            dcc.Graph(id="explore-network", figure=blank()),
            field("indicator", dcc.Dropdown(id="explore-indicator", clearable=False, value=INDICATOR,
                                            options=[{"label": k, "value": k} for k in INDICATOR_COLUMNS]), "320px"),
            dcc.Graph(id="explore-indicators", figure=blank()),
        ]
    )


def _seed(value: Any) -> Any:
    """A number input's value as a whole number where it is one (the model checks the rest)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _summary(run) -> html.Div:
    cells = []
    for key in SHOWN_OUTCOMES:
        value = run.outcomes.get(key)
        text = "n/a" if value is None or pd.isna(value) else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
        unit = OUTCOMES[key][1] if key in OUTCOMES else ""
        cells.append(html.Li([f"{key.replace('_', ' ')}: ", html.Span(text, id=f"explore-{key}"), f" ({unit})"]))
    return html.Div([html.P(f"{run.label} (run id {run.run_id}, {run.months} months)"), html.Ul(cells)])


def register(app: Dash, results: Results, models: Models) -> None:
    """The page's callbacks: warm-up status, scenario and strategy defaults, the run, the month and Play."""

    @app.callback(Output("explore-status", "children"), Output("explore-warm-poll", "disabled"),
                  Input("explore-warm-poll", "n_intervals"))
    def warm_status(_):
        if not models.warm.is_set():
            if models.compiled:
                return "loading the model's compiled kernels…", False
            return "compiling the model's kernels (the first run on a machine takes 1-2 minutes)…", False
        if models.warm_error:
            return message(f"the model could not start: {models.warm_error}"), True
        return "model ready", True

    @app.callback(
        *[Output(control, "disabled") for control in MODEL_CONTROLS],
        Output("explore-saved", "disabled"),
        Input("explore-source", "value"),
    )
    def choose_source(source):
        saved = source == "saved"
        return (*[saved] * len(MODEL_CONTROLS), not saved)

    @app.callback(
        Output("explore-strategy", "options"),
        Output("explore-strategy", "value"),
        Output("explore-funding_end", "max"),
        Output("explore-month", "max"),
        Output("explore-message", "children", allow_duplicate=True),
        Input("explore-scenario", "value"),
        prevent_initial_call="initial_duplicate",
    )
    @guarded([], None, no_update, no_update)
    def choose_scenario(value):
        scenario = models.scenario(value)
        names = ["none", *scenario.strategies]
        return [{"label": n, "value": n} for n in names], "none", scenario.horizon, scenario.horizon - 1, ""

    @app.callback(
        *[Output(f"explore-{name}", "value") for name in SLIDERS],
        Output("explore-message", "children", allow_duplicate=True),
        Input("explore-scenario", "value"),
        Input("explore-strategy", "value"),
        prevent_initial_call="initial_duplicate",
    )
    @guarded(*[no_update] * len(SLIDERS))
    def defaults(value, strategy):
        if strategy is None:
            return (*[no_update] * len(SLIDERS), "")
        found = models.defaults(value, None if strategy == "none" else strategy)
        return (*[found[name] for name in SLIDERS], "")

    @app.callback(
        Output("explore-run", "data"),
        Output("explore-summary", "children"),
        Output("explore-message", "children"),
        Input("explore-source", "value"),
        Input("explore-scenario", "value"),
        Input("explore-strategy", "value"),
        Input("explore-seed", "value"),
        Input("explore-saved", "value"),
        *[Input(f"explore-{name}", "value") for name in SLIDERS],
    )
    @guarded(None, "")
    def run(source, value, strategy, seed, saved, *settings):
        if source == "saved":
            if not saved:
                return no_update, no_update, message("choose a saved run (a folder of ecosim run under the root)")
            key = {"source": "saved", "name": saved}
        else:
            if strategy is None or any(s is None for s in settings):
                return no_update, no_update, ""
            key = {"source": "model", "scenario": value, "strategy": strategy, "seed": _seed(seed),
                   "settings": dict(zip(SLIDERS, settings, strict=True))}
        return key, _summary(_fetch(models, key)), ""

    @app.callback(Output("explore-indicators", "figure"), Input("explore-run", "data"),
                  Input("explore-indicator", "value"))
    @drawn
    def draw_indicator(key, indicator):
        if not key:
            return blank()
        found = _fetch(models, key)
        frame = found.indicators.assign(strategy=found.strategy, run=0)
        return figures.indicators(frame, indicator, found.funding_end)

    @app.callback(Output("explore-network", "figure"), Input("explore-run", "data"), Input("explore-month", "value"))
    @drawn
    def draw_network(key, month):
        if not key:
            return blank()
        found = _fetch(models, key)
        month = min(int(month or 0), found.months - 1)
        fig = figures.network(found.partnerships, month, found.events)
        fig.update_layout(height=NETWORK_HEIGHT)
        return fig

    @app.callback(
        Output("explore-month", "value"),
        Output("explore-tick", "disabled"),
        Output("explore-play", "children"),
        Input("explore-play", "n_clicks"),
        Input("explore-tick", "n_intervals"),
        State("explore-month", "value"),
        State("explore-month", "max"),
        State("explore-tick", "disabled"),
        prevent_initial_call=True,
    )
    def play(_, __, month, last, stopped):
        month, last = int(month or 0), int(last or 0)
        if ctx.triggered_id == "explore-play":
            if stopped:  # start, from the first month if at the end
                return (0 if month >= last else month), False, "Pause"
            return month, True, "Play"
        if month >= last:
            return last, True, "Play"
        return month + 1, False, "Pause"


def _fetch(models: Models, key: dict) -> Any:
    """The run a stored key names, from the cache (run again or read again if it was dropped)."""
    if key["source"] == "saved":
        return models.saved(key["name"])
    strategy = None if key["strategy"] == "none" else key["strategy"]
    return models.run(key["scenario"], strategy, key["seed"], key["settings"])
