"""The Compare page: strategies of a batch side by side on one outcome (paired effects, indicator bands, survival).

:func:`comparison` gathers the paired effects and indicator bands, reading only what they
need: the runs table and the indicator shown for the chosen strategies (their partitions
only). :func:`survival_curves` reads the partnerships' start and end months when they were
recorded; they lie in the batch's part files, slower to read, so the page draws them in a
callback of their own and the effects appear first.
"""

from dataclasses import dataclass

import pandas as pd
from dash import Dash, Input, Output, dcc, html, no_update

from ecosim.analysis.compare import compare
from ecosim.analysis.survival import lifetimes
from ecosim.dashboard.data import DashboardError, Results, outcomes
from ecosim.dashboard.widgets import ROW, batch_chooser, blank, drawn, field, guarded
from ecosim.results import recorded_columns
from ecosim.tables import INDICATOR_COLUMNS
from ecosim.viz import figures
from ecosim.viz.colours import strategy_order

OUTCOME = "share_not_ended_24"  # the default of comparison() for a call from Python
INDICATOR = "partnerships_active"
RESAMPLES = 1999  # BCa resamples: fewer than `ecosim compare` (9,999), so the page answers at once
SHOWN = 3  # strategies chosen at first besides the baseline


@dataclass(frozen=True)
class Comparison:
    """What the Compare page draws for one batch, slice, baseline, set of strategies and outcome."""

    table: pd.DataFrame
    indicators: pd.DataFrame | None
    reference_month: int
    runs: int


def slices(runs: pd.DataFrame) -> list[dict]:
    """The (scenario, design point) pairs of a batch as dropdown options, values their positions."""
    design = [c for c in runs if c.startswith("design_")]
    firsts = runs.groupby(["scenario", "point"], sort=True).first()
    options = []
    for k, ((scenario, point), row) in enumerate(firsts.iterrows()):
        values = ", ".join(f"{c.removeprefix('design_')}={row[c]:g}" for c in design)
        options.append({"label": f"{scenario}, point {point}" + (f" ({values})" if values else ""), "value": k})
    return options


def _slice(runs: pd.DataFrame, index: int | None) -> tuple[str, int]:
    keys = sorted(runs.groupby(["scenario", "point"]).groups)
    if index is None or not 0 <= int(index) < len(keys):
        raise DashboardError(f"slice: expected one of {len(keys)} scenario and design point pairs, found {index!r}")
    scenario, point = keys[int(index)]
    return scenario, int(point)


def comparison(
    results: Results,
    name: str,
    strategies: list[str],
    baseline: str = "none",
    outcome: str = OUTCOME,
    indicator: str = INDICATOR,
    index: int = 0,
) -> Comparison:
    """The paired comparison and the indicator bands of the chosen strategies against `baseline`."""
    scenario, point, chosen, frame = _chosen(results, name, strategies, baseline, index)
    table = results.cached(
        name,
        ("compare", scenario, point, tuple(chosen), outcome),
        lambda: compare(frame, baseline, [outcome], resamples=RESAMPLES),
    )
    folder = results.batch(name)
    reference = int(frame["reference_month"].median()) if "reference_month" in frame else 0
    bands = _indicators(results, name, chosen, indicator, frame) if "indicators" in folder.recorded else None
    return Comparison(table, bands, reference, len(frame))


def survival_curves(
    results: Results, name: str, strategies: list[str], baseline: str = "none", index: int = 0
) -> pd.DataFrame | None:
    """Kaplan-Meier per chosen strategy of the partnerships alive at the reference month (None: not recorded)."""
    scenario, point, chosen, frame = _chosen(results, name, strategies, baseline, index)
    if "partnerships" not in results.batch(name).recorded:
        return None
    return results.cached(name, ("km", scenario, point, tuple(chosen)), lambda: _km(results, name, frame))


def _chosen(results: Results, name: str, strategies: list[str], baseline: str, index: int) -> tuple:
    """The slice's scenario and point, the baseline with the chosen strategies, and their runs."""
    runs = results.runs(name)
    scenario, point = _slice(runs, index)
    chosen = [baseline, *sorted({s for s in strategies or [] if s != baseline})]
    unknown = sorted(set(chosen) - set(runs["strategy"]))
    if unknown:
        raise DashboardError(f"{name}: expected strategies of the batch, found {', '.join(unknown)}")
    frame = runs[(runs["scenario"] == scenario) & (runs["point"] == point) & runs["strategy"].isin(chosen)]
    return scenario, point, chosen, frame


def _indicators(results: Results, name: str, chosen: list[str], indicator: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One indicator of the chosen strategies' runs, read partition by partition (each cached on its own)."""
    if indicator not in INDICATOR_COLUMNS:
        raise DashboardError(f"indicator: expected one of {', '.join(INDICATOR_COLUMNS)}, found {indicator!r}")
    if indicator not in recorded_columns(results.batch(name).path, "indicators"):
        raise DashboardError(
            f"indicator: expected an indicator the batch recorded, found {indicator!r}, which this version records "
            "and the batch does not; run the batch again to have it"
        )
    parts = []
    for strategy in chosen:
        rows = results.load(name, "indicators", ["run", "month", indicator], [("strategy", "==", strategy)])
        parts.append(rows[rows["run"].isin(frame["run"])].assign(strategy=strategy))
    return pd.concat(parts, ignore_index=True)


def _km(results: Results, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier per strategy of the partnerships alive at the reference month, in the chosen runs."""
    partnerships = results.load(name, "partnerships", ["run", "start", "end"])
    mine = partnerships[partnerships["run"].isin(frame["run"])]
    mine = mine.merge(frame[["run", "strategy", "replication"]], on="run", how="inner")
    return figures.km_table(lifetimes(mine, frame, "reference"))


def options(results: Results, name: str) -> tuple:
    """The slices, strategies, outcomes and first choices of a batch, for the page's dropdowns."""
    runs = results.runs(name)
    strategies = strategy_order(runs["strategy"])
    baseline = "none" if "none" in strategies else strategies[0]
    measured, outcome = outcomes(runs)
    others = [s for s in strategies if s != baseline]
    return slices(runs), strategies, baseline, others[:SHOWN], measured, outcome


def summary(table: pd.DataFrame, interval: str) -> html.Table:
    """The comparison as a table: one row per strategy with its paired difference and interval."""
    low, high = f"{interval}_low", f"{interval}_high"
    head = ["strategy", "pairs", "mean", "difference", f"{interval} interval", "p (Holm)", "rank"]
    rows = [html.Tr([html.Th(h) for h in head])]
    for _, r in table.set_index("strategy").loc[strategy_order(table["strategy"])].reset_index().iterrows():
        rows.append(
            html.Tr(
                [
                    html.Td(r["strategy"]),
                    html.Td(f"{int(r['pairs']):d}"),
                    html.Td(f"{r['mean']:.4g}"),
                    html.Td(f"{r['difference']:+.4g}"),
                    html.Td(f"[{r[low]:+.4g}, {r[high]:+.4g}]"),
                    html.Td("" if pd.isna(r["p_holm"]) else f"{r['p_holm']:.3g}"),
                    html.Td(f"{r['rank']:.0f}"),
                ],
                id=f"compare-row-{r['strategy']}",
            )
        )
    return html.Table(rows, className="compare-summary", style={"borderSpacing": "12px 2px"})


def _draw(results: Results, name: str, index: int, baseline: str, strategies: tuple, outcome: str, indicator: str,
          interval: str) -> tuple:
    """The forest plot, indicator bands and summary table of one choice (kept: the same choice draws the same)."""
    found = comparison(results, name, list(strategies), baseline, outcome, indicator, index)
    if len(found.table) > 1:
        forest = figures.forest(found.table, outcome, interval)
    else:
        forest = blank(f"choose a strategy besides the baseline {baseline}")
    bands = (
        figures.indicators(found.indicators, indicator, found.reference_month)
        if found.indicators is not None
        else blank("indicators were not recorded in this batch")
    )
    return forest, bands, summary(found.table, interval)


def layout(results: Results, wanted: str | None) -> html.Div:
    """The page: batch, slice, baseline, strategies, outcome and indicator; a summary table and three figures."""
    chooser, problem = batch_chooser(results, "compare-batch", wanted)
    indicators = [{"label": k, "value": k} for k in INDICATOR_COLUMNS]
    return html.Div(
        [
            html.H2("Compare strategies"),
            html.P(
                "Paired by seed against the baseline: each strategy's effect on one outcome with its interval "
                f"(t, or BCa with {RESAMPLES:,} resamples), the indicator over the months (median, 50% and 90% "
                "of the runs), and partnership survival after the reference month when partnerships were recorded."
            ),
            html.Div(
                [
                    field("batch", chooser, "340px"),
                    field("scenario and design point", dcc.Dropdown(id="compare-slice", clearable=False), "300px"),
                    field("baseline", dcc.Dropdown(id="compare-baseline", clearable=False), "200px"),
                    field("strategies", dcc.Dropdown(id="compare-strategies", multi=True), "420px"),
                ],
                style=ROW,
            ),
            html.Div(
                [
                    field("outcome", dcc.Dropdown(id="compare-outcome", clearable=False), "300px"),
                    field("indicator", dcc.Dropdown(id="compare-indicator", options=indicators, value=INDICATOR,
                                                    clearable=False), "300px"),
                    field("interval", dcc.RadioItems(id="compare-interval", value="t", inline=True,
                                                     options=[{"label": " t ", "value": "t"},
                                                              {"label": " BCa ", "value": "bca"}]), "160px"),
                ],
                style=ROW,
            ),
            html.Div(problem, id="compare-options-message"),
            html.Div(id="compare-message"),
            html.Div(id="compare-summary"),
            dcc.Graph(id="compare-forest", figure=blank()),
            dcc.Graph(id="compare-indicators", figure=blank()),
            dcc.Graph(id="compare-km", figure=blank()),
        ]
    )


def register(app: Dash, results: Results) -> None:
    """The page's callbacks: a batch fills the dropdowns; any choice redraws the comparison."""

    @app.callback(
        Output("compare-slice", "options"),
        Output("compare-slice", "value"),
        Output("compare-baseline", "options"),
        Output("compare-baseline", "value"),
        Output("compare-strategies", "options"),
        Output("compare-strategies", "value"),
        Output("compare-outcome", "options"),
        Output("compare-outcome", "value"),
        Output("compare-options-message", "children"),
        Input("compare-batch", "value"),
    )
    @guarded([], None, [], None, [], [], [], None)
    def choose_batch(name):
        if not name:  # keep the chooser's own message (e.g. a refused folder in the URL)
            return [], None, [], None, [], [], [], None, no_update
        found, strategies, baseline, shown, outcomes, outcome = options(results, name)
        return found, 0, strategies, baseline, strategies, shown, outcomes, outcome, ""

    @app.callback(
        Output("compare-forest", "figure"),
        Output("compare-indicators", "figure"),
        Output("compare-summary", "children"),
        Output("compare-message", "children"),
        Input("compare-batch", "value"),
        Input("compare-slice", "value"),
        Input("compare-baseline", "value"),
        Input("compare-strategies", "value"),
        Input("compare-outcome", "value"),
        Input("compare-indicator", "value"),
        Input("compare-interval", "value"),
    )
    @guarded(blank(), blank(), "")
    def draw(name, index, baseline, strategies, outcome, indicator, interval):
        if not name or baseline is None or outcome is None:
            return blank(), blank(), "", ""
        chosen = tuple(sorted(set(strategies or [])))
        key = ("drawn", index, baseline, chosen, outcome, indicator, interval)

        def make() -> tuple:
            return _draw(results, name, index, baseline, chosen, outcome, indicator, interval)

        return (*results.cached(name, key, make), "")

    @app.callback(
        Output("compare-km", "figure"),
        Input("compare-batch", "value"),
        Input("compare-slice", "value"),
        Input("compare-baseline", "value"),
        Input("compare-strategies", "value"),
    )
    @drawn
    def draw_survival(name, index, baseline, strategies):
        if not name or baseline is None:
            return blank()
        km = survival_curves(results, name, strategies or [], baseline, index)
        if km is None:
            return blank("partnerships were not recorded in this batch: no survival curves")
        return figures.survival(km, "reference")
