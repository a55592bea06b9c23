"""Figures of an experiment's results, one function per figure, each a plotly Figure built from plain tables.

Every function takes the tables the results store holds (:func:`ecosim.results.load_results`)
or that :mod:`ecosim.analysis` computes from them, and only draws: the estimates come from
the analysis functions. Strategies keep one look in every figure (:mod:`ecosim.viz.colours`),
every axis says its unit, and a table that mixes what one figure cannot show (several
scenarios or design points, several runs where one is drawn) is a ValueError that says
what to select.
"""

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ecosim.analysis.compare import outcome_units
from ecosim.analysis.survival import ORIGINS, kaplan_meier
from ecosim.parameters import Parameters
from ecosim.tables import INDICATOR_COLUMNS
from ecosim.viz.colours import BLACK, GREY, category_colour, strategy_look, strategy_order, translucent

BANDS = ((0.05, 0.95, 0.15, "90%"), (0.25, 0.75, 0.3, "50%"))
"""Replication bands: (low quantile, high quantile, opacity, label), widest first."""
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
LAYERS = {"support_board": "board", "support_leaders": "leaders", "support_floor": "floor"}
KINDS = ("schools", "companies")  # the suffixes of the support indicators split by kind of organisation
MONTH_AXIS = "month (0 = first simulated month)"
LAYOUT_SEED = 20261128  # the network layout's seed: the same picture every time


# --------------------------------------------------------------------------- checks and labels


def _need(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ValueError(f"{what}: expected the columns {', '.join(columns)}, found no {', '.join(missing)}")


def _single(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a table with more than one value in any of `columns` (those it has)."""
    for column in columns:
        if column in frame and frame[column].nunique() > 1:
            found = ", ".join(map(str, sorted(frame[column].unique())[:5]))
            raise ValueError(f"{what}: expected one {column}, found several ({found}); select one first")


def _label(name: str, unit: str) -> str:
    return f"{name.replace('_', ' ')} ({unit})"


def _parameter_unit(name: str) -> str:
    field = Parameters.model_fields.get(name)
    extra = field.json_schema_extra if field is not None else None
    return extra["unit"] if isinstance(extra, dict) and "unit" in extra else "value"


def _design_column(runs: pd.DataFrame, name: str) -> tuple[str, str]:
    """('design_<name>', name) for a parameter given with or without its prefix."""
    bare = name.removeprefix("design_")
    column = f"design_{bare}"
    if column not in runs:
        found = ", ".join(c.removeprefix("design_") for c in runs if c.startswith("design_")) or "none"
        raise ValueError(f"runs table: expected a design parameter {bare!r}, found {found}")
    return column, bare


# --------------------------------------------------------------------------- indicators over months


def indicators(frame: pd.DataFrame, indicator: str, funding_end: int) -> go.Figure:
    """An indicator over the months per strategy: median of the runs with their 50% and 90% bands.

    `frame` is the indicators table of one scenario and design point (many runs, labelled by
    strategy and run). The bands show how much replications differ, which a mean alone
    hides; the dashed line marks the funding end, where the programme's effect is judged.
    """
    _need(frame, ("strategy", "run", "month", indicator), "indicators table")
    _single(frame, ("scenario", "point"), "indicators table")
    unit = INDICATOR_COLUMNS[indicator].unit if indicator in INDICATOR_COLUMNS else "value"
    fig = go.Figure()
    for strategy in strategy_order(frame["strategy"]):
        look = strategy_look(strategy)
        q = frame[frame["strategy"] == strategy].groupby("month")[indicator].quantile(list(QUANTILES)).unstack()
        months = q.index.to_numpy()
        for low, high, alpha, label in BANDS:
            fig.add_trace(
                go.Scatter(
                    x=np.r_[months, months[::-1]],
                    y=np.r_[q[high].to_numpy(), q[low].to_numpy()[::-1]],
                    fill="toself",
                    fillcolor=translucent(look.colour, alpha),
                    line={"width": 0},
                    name=f"{strategy}: {label} of runs",
                    legendgroup=strategy,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=months,
                y=q[0.5].to_numpy(),
                mode="lines",
                line={"color": look.colour, "dash": look.dash},
                name=strategy,
                legendgroup=strategy,
            )
        )
    fig.add_vline(x=funding_end, line_dash="dash", line_color=GREY, annotation_text="funding end")
    fig.update_layout(
        title=f"{indicator.replace('_', ' ')}: median of the runs, 50% and 90% bands",
        xaxis_title=MONTH_AXIS,
        yaxis_title=_label(indicator, unit),
        legend_title="strategy",
    )
    return fig


def support_layers(frame: pd.DataFrame, funding_end: int | None = None) -> go.Figure:
    """Support in each layer (board, leaders, floor) of schools and of companies over the months.

    One panel per layer (columns) and kind of organisation (rows: schools, companies), each a
    median of the runs per strategy over the organisations with a live partnership: which
    layer erodes first, on which side, and whether a strategy holds it up. Indicators from
    before the split by kind have only the pooled means; they are drawn as one row.
    """
    _need(frame, ("strategy", "run", "month"), "indicators table")
    _single(frame, ("scenario", "point"), "indicators table")
    split = all(f"{column}_{kinds}" in frame for column in LAYERS for kinds in KINDS)
    rows = [(f"_{kinds}", kinds) for kinds in KINDS] if split else [("", "schools and companies")]
    layers = [c for c in LAYERS if all(f"{c}{suffix}" in frame for suffix, _ in rows)]
    if not layers:
        raise ValueError(f"indicators table: expected support columns ({', '.join(LAYERS)}), found none")
    fig = make_subplots(
        rows=len(rows),
        cols=len(layers),
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=[f"{who}: {LAYERS[c]}" for _, who in rows for c in layers],
    )
    for strategy in strategy_order(frame["strategy"]):
        look = strategy_look(strategy)
        median = frame[frame["strategy"] == strategy].groupby("month").median(numeric_only=True)
        for r, (suffix, _) in enumerate(rows):
            for k, column in enumerate(layers):
                fig.add_trace(
                    go.Scatter(
                        x=median.index.to_numpy(),
                        y=median[column + suffix].to_numpy(),
                        mode="lines",
                        line={"color": look.colour, "dash": look.dash},
                        name=strategy,
                        legendgroup=strategy,
                        showlegend=r == 0 and k == 0,
                    ),
                    row=r + 1,
                    col=k + 1,
                )
    for r in range(len(rows)):
        for k in range(len(layers)):
            if r == len(rows) - 1:
                fig.update_xaxes(title_text=MONTH_AXIS, row=r + 1, col=k + 1)
            if funding_end is not None:
                fig.add_vline(x=funding_end, line_dash="dash", line_color=GREY, row=r + 1, col=k + 1)
        fig.update_yaxes(title_text="support, median of the runs (share 0-1)", row=r + 1, col=1)
    fig.update_layout(
        title="support per layer, schools and companies", legend_title="strategy", height=300 * len(rows) + 150
    )
    return fig


# --------------------------------------------------------------------------- survival


def km_table(lifetimes: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The Kaplan-Meier table of :func:`ecosim.analysis.survival.kaplan_meier` per strategy, with a strategy column.

    `lifetimes` are those of :func:`ecosim.analysis.survival.read_lifetimes` for one
    scenario and design point.
    """
    _need(lifetimes, ("strategy", "duration", "ended"), "lifetimes")
    _single(lifetimes, ("scenario", "point"), "lifetimes")
    tables = []
    for strategy in strategy_order(lifetimes["strategy"]):
        rows = lifetimes[lifetimes["strategy"] == strategy]
        km = kaplan_meier(rows["duration"].to_numpy(), rows["ended"].to_numpy(), level)
        km.insert(0, "strategy", strategy)
        tables.append(km)
    return pd.concat(tables, ignore_index=True)


def survival(km: pd.DataFrame, origin: str = "reference") -> go.Figure:
    """Kaplan-Meier curves per strategy with their pointwise interval bands, as steps from 1 at month 0.

    `km` is :func:`km_table`'s; `origin` is the lifetimes' origin ('reference': months since
    the funding end, the outcomes' cohort; 'start': months since each partnership formed). The
    bands treat partnerships as independent, so they are too narrow (docs/analysis.md).
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin: expected one of {', '.join(ORIGINS)}, found {origin!r}")
    _need(km, ("strategy", "time", "survival", "low", "high"), "Kaplan-Meier table")
    fig = go.Figure()
    for strategy in strategy_order(km["strategy"]):
        look = strategy_look(strategy)
        rows = km[km["strategy"] == strategy]
        x = np.r_[0.0, rows["time"].to_numpy(float)]
        edge = {"shape": "hv", "width": 0}
        for column, fill in (("low", None), ("high", "tonexty")):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=np.r_[1.0, rows[column].to_numpy(float)],
                    mode="lines",
                    line=edge,
                    fill=fill,
                    fillcolor=translucent(look.colour, 0.2),
                    name=f"{strategy}: interval {column}",
                    legendgroup=strategy,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.r_[1.0, rows["survival"].to_numpy(float)],
                mode="lines",
                line={"shape": "hv", "color": look.colour, "dash": look.dash},
                name=strategy,
                legendgroup=strategy,
            )
        )
    since = "the funding end" if origin == "reference" else "the partnership formed"
    fig.update_layout(
        title="partnerships not ended: Kaplan-Meier with pointwise intervals",
        xaxis_title=f"months since {since} (months)",
        yaxis_title="share of partnerships not ended (share 0-1)",
        yaxis_range=[0, 1.02],
        legend_title="strategy",
    )
    return fig


# --------------------------------------------------------------------------- paired effects


def forest(comparison: pd.DataFrame, outcome: str, interval: str = "t") -> go.Figure:
    """Paired effects of the strategies on one outcome: mean difference from the baseline with its interval.

    `comparison` is :func:`ecosim.analysis.compare.compare`'s table for one scenario and design
    point; `interval` is 't' (Student-t) or 'bca' (bootstrap). An interval that does not cross
    the zero line is an effect the seeds agree on.
    """
    if interval not in ("t", "bca"):
        raise ValueError(f"interval: expected 't' or 'bca', found {interval!r}")
    low, high = f"{interval}_low", f"{interval}_high"
    _need(comparison, ("outcome", "unit", "strategy", "baseline", "difference", low, high), "comparison table")
    rows = comparison[comparison["outcome"] == outcome]
    if rows.empty:
        found = ", ".join(sorted(comparison["outcome"].unique()))
        raise ValueError(f"comparison table: expected the outcome {outcome!r}, found {found}")
    _single(rows, ("scenario", "point", "baseline"), "comparison table")
    baseline, unit = str(rows["baseline"].iloc[0]), str(rows["unit"].iloc[0])
    rows = rows[rows["strategy"] != baseline].set_index("strategy")
    order = strategy_order(rows.index)
    fig = go.Figure()
    for strategy in order:
        look = strategy_look(strategy)
        row = rows.loc[strategy]
        fig.add_trace(
            go.Scatter(
                x=[row["difference"]],
                y=[strategy],
                mode="markers",
                marker={"color": look.colour, "symbol": look.symbol, "size": 10, "line": {"color": BLACK, "width": 1}},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [row[high] - row["difference"]],
                    "arrayminus": [row["difference"] - row[low]],
                    "color": look.colour,
                },
                name=strategy,
                showlegend=False,
            )
        )
    fig.add_vline(x=0, line_color=BLACK)
    kind = "Student-t" if interval == "t" else "BCa bootstrap"
    fig.update_layout(
        title=f"{outcome.replace('_', ' ')}: paired effect against {baseline}, {kind} interval",
        xaxis_title=f"difference from {baseline} ({unit})",
        yaxis_title="strategy",
        yaxis={"categoryorder": "array", "categoryarray": order[::-1]},
    )
    return fig


# --------------------------------------------------------------------------- network of partnerships


def network_state(partnerships: pd.DataFrame, month: int, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The partnerships formed by the end of `month`, with their status and ecosystem then.

    `partnerships` and `events` are one run's tables. The status is 'ended' from the month a
    partnership ends; 'stalled' after a stalled event not followed by a reactivation;
    'active' otherwise. The ecosystem follows the formed and merged events up to `month`.
    Without `events` no stall is known and every ecosystem is the one at the end of the run.
    """
    _need(partnerships, ("partnership", "school", "company", "start", "end", "ecosystem"), "partnerships table")
    _single(partnerships, ("run",), "partnerships table")
    p = partnerships[partnerships["start"] <= month].copy()
    ended = p["end"].le(month).to_numpy(bool, na_value=False)
    p["status"] = np.where(ended, "ended", "active")
    if events is None:
        p["ecosystem"] = p["ecosystem"].astype(int)
        return p.reset_index(drop=True)
    _single(events, ("run",), "events table")
    past = events[events["month"] <= month]
    turns = past[past["event"].isin(["stalled", "reactivated"])].groupby("partnership")["event"].last()
    stalled = p["partnership"].map(turns).eq("stalled").to_numpy(bool, na_value=False) & ~ended
    p.loc[stalled, "status"] = "stalled"
    parent = {int(k): int(k) for k in partnerships["partnership"]}
    joins = past[past["event"].isin(["formed", "merged"])]
    for child, root in zip(joins["partnership"], joins["ecosystem"], strict=True):
        parent[int(child)] = int(root)

    def find(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    p["ecosystem"] = [find(int(k)) for k in p["partnership"]]
    return p.reset_index(drop=True)


def _layout(partnerships: pd.DataFrame) -> dict[int, np.ndarray]:
    """Fixed positions of every organisation of the run: a seeded spring layout of all its partnerships."""
    graph = nx.Graph()
    pairs = sorted({(int(s), int(c)) for s, c in zip(partnerships["school"], partnerships["company"], strict=True)})
    graph.add_nodes_from(sorted({k for pair in pairs for k in pair}))
    graph.add_edges_from(pairs)
    return nx.spring_layout(graph, seed=LAYOUT_SEED)


def _organisations(partnerships: pd.DataFrame) -> pd.DataFrame:
    """Every organisation of the run's partnerships: id, name, kind."""
    parts = [
        partnerships[[kind, f"{kind}_name"]].set_axis(["organisation", "name"], axis=1).assign(kind=kind)
        for kind in ("school", "company")
    ]
    return pd.concat(parts).drop_duplicates("organisation").sort_values("organisation", ignore_index=True)


def _edges(pairs: list[tuple[int, int]], positions: dict[int, np.ndarray]) -> tuple[list, list]:
    """Line coordinates of school-company pairs, one segment each, separated by gaps."""
    x, y = [], []
    for s, c in pairs:
        (x0, y0), (x1, y1) = positions[s], positions[c]
        x += [x0, x1, None]
        y += [y0, y1, None]
    return x, y


def _network_traces(
    state: pd.DataFrame, positions: dict[int, np.ndarray], organisations: pd.DataFrame, ecosystems: Sequence[int]
) -> list[dict]:
    """The traces of one month, always the same list (active and stalled edges per ecosystem, ended, nodes)."""
    rows = sorted(
        zip(
            state["partnership"].astype(int),
            state["school"].astype(int),
            state["company"].astype(int),
            state["ecosystem"].astype(int),
            state["status"],
            strict=True,
        )
    )
    groups: dict[tuple, list[tuple[int, int]]] = {}
    member: dict[int, int] = {}
    for _, school, company, eco, status in rows:
        groups.setdefault((eco, status) if status != "ended" else "ended", []).append((school, company))
        if status != "ended":
            member.setdefault(school, eco)
            member.setdefault(company, eco)
    traces = []
    for eco in ecosystems:
        for status, dash, width in (("active", "solid", 3), ("stalled", "dot", 2)):
            x, y = _edges(groups.get((eco, status), []), positions)
            traces.append(
                {
                    "type": "scatter",
                    "x": x,
                    "y": y,
                    "mode": "lines",
                    "line": {"color": category_colour(eco), "dash": dash, "width": width},
                    "name": f"ecosystem {eco}, {status}",
                    "legendgroup": f"ecosystem {eco}",
                    "showlegend": status == "active",
                    "hoverinfo": "skip",
                }
            )
    x, y = _edges(groups.get("ended", []), positions)
    line = {"color": GREY, "dash": "dash", "width": 1}
    traces.append({"type": "scatter", "x": x, "y": y, "mode": "lines", "line": line, "name": "ended"})
    for kind, symbol, plural in (("school", "circle", "schools"), ("company", "square", "companies")):
        nodes = organisations[organisations["kind"] == kind]
        ids = nodes["organisation"].astype(int).tolist()
        eco = [member.get(k) for k in ids]
        traces.append(
            {
                "type": "scatter",
                "x": [positions[k][0] for k in ids],
                "y": [positions[k][1] for k in ids],
                "mode": "markers",
                "marker": {
                    "symbol": symbol,
                    "size": 12,
                    "color": [GREY if e is None else category_colour(e) for e in eco],
                    "line": {"color": BLACK, "width": 1},
                },
                "text": [
                    f"{n}<br>{'no live partnership' if e is None else f'ecosystem {e}'}"
                    for n, e in zip(nodes["name"], eco, strict=True)
                ],
                "hoverinfo": "text",
                "name": plural,
            }
        )
    return traces


def _network_layout(fig: go.Figure, positions: dict[int, np.ndarray], title: str) -> None:
    xy = np.array(list(positions.values()))
    pad = 0.1
    hidden = {"showgrid": False, "zeroline": False, "showticklabels": False, "title": None}
    fig.update_layout(
        title=title,
        xaxis={**hidden, "range": [xy[:, 0].min() - pad, xy[:, 0].max() + pad]},
        yaxis={**hidden, "range": [xy[:, 1].min() - pad, xy[:, 1].max() + pad], "scaleanchor": "x"},
        legend_title="partnerships (edges); schools o, companies \u25a1",
    )


def network(partnerships: pd.DataFrame, month: int, events: pd.DataFrame | None = None) -> go.Figure:
    """Schools and companies of one run as nodes, its partnerships as edges, coloured by ecosystem, at one month.

    Active partnerships are solid, stalled ones dotted, ended ones grey dashed; an
    organisation takes the colour of the ecosystem of its first live partnership (grey: none
    live). Positions do not depend on the month, so figures of different months compare.
    The axes are layout coordinates and carry no unit, so they are hidden.
    """
    state = network_state(partnerships, month, events)
    positions = _layout(partnerships)
    ecosystems = sorted(state.loc[state["status"] != "ended", "ecosystem"].unique())
    fig = go.Figure(_network_traces(state, positions, _organisations(partnerships), ecosystems))
    _network_layout(fig, positions, f"partnerships at the end of month {month}")
    return fig


def network_slider(
    partnerships: pd.DataFrame, events: pd.DataFrame | None = None, months: Sequence[int] | None = None
) -> go.Figure:
    """:func:`network` with a slider over `months` (default every month up to the last start, end or event).

    One frame per month: pairs appear as they form, turn dotted as they stall and grey as
    they end, and change colour as ecosystems merge.
    """
    if months is None:
        last = [partnerships["start"].max(), partnerships["end"].max()]
        if events is not None and len(events):
            last.append(events["month"].max())
        months = range(int(max(v for v in last if pd.notna(v))) + 1)
    months = list(months)
    if not months:
        raise ValueError("months: expected at least one month, found none")
    positions = _layout(partnerships)
    organisations = _organisations(partnerships)
    states = [network_state(partnerships, m, events) for m in months]
    ecosystems = sorted({int(e) for s in states for e in s.loc[s["status"] != "ended", "ecosystem"]})
    frames = [
        {"data": _network_traces(s, positions, organisations, ecosystems), "name": str(m)}
        for m, s in zip(months, states, strict=True)
    ]
    fig = go.Figure(data=frames[0]["data"], frames=frames)  # dicts: plotly checks each trace once
    _network_layout(fig, positions, "partnerships over the months")
    step = {"mode": "immediate", "frame": {"duration": 300, "redraw": True}, "transition": {"duration": 0}}
    fig.update_layout(
        sliders=[
            {
                "currentvalue": {"prefix": "end of month "},
                "steps": [{"label": str(m), "method": "animate", "args": [[str(m)], step]} for m in months],
            }
        ],
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "buttons": [
                    {"label": "play", "method": "animate", "args": [None, {**step, "fromcurrent": True}]},
                    {"label": "pause", "method": "animate", "args": [[None], step]},
                ],
            }
        ],
    )
    return fig


# --------------------------------------------------------------------------- designs: sweeps, Sobol', PRIM


def sweep_heatmap(runs: pd.DataFrame, x: str, y: str, outcome: str) -> go.Figure:
    """An outcome over a two-parameter grid: the mean of the replications in each cell.

    `runs` is the runs table of a swept experiment for one scenario and strategy; `x` and
    `y` are design parameters (with or without the 'design_' prefix). The sequential Cividis
    scale reads the same with colour blindness and in grey.
    """
    (x_column, x_name), (y_column, y_name) = _design_column(runs, x), _design_column(runs, y)
    _need(runs, (outcome,), "runs table")
    _single(runs, ("scenario", "strategy"), "runs table")
    cells = runs.pivot_table(index=y_column, columns=x_column, values=outcome, aggfunc="mean").sort_index()
    cells = cells.sort_index(axis=1)
    unit = outcome_units().get(outcome, "value")
    fig = go.Figure(
        go.Heatmap(
            z=cells.to_numpy(float),
            x=cells.columns.to_numpy(),
            y=cells.index.to_numpy(),
            colorscale="Cividis",
            colorbar={"title": {"text": _label(outcome, unit)}},
            texttemplate="%{z:.3g}",
            hovertemplate=f"{x_name}=%{{x}}<br>{y_name}=%{{y}}<br>{outcome}=%{{z}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{outcome.replace('_', ' ')}: mean of the replications per grid point",
        xaxis_title=_label(x_name, _parameter_unit(x_name)),
        yaxis_title=_label(y_name, _parameter_unit(y_name)),
        xaxis={"type": "category"},
        yaxis={"type": "category"},
    )
    return fig


def sobol_bars(indices: pd.DataFrame) -> go.Figure:
    """First-order and total Sobol' indices per parameter with their intervals, for one outcome.

    `indices` is :func:`ecosim.analysis.sensitivity.analyse`'s table (one outcome and grid
    group). A total index well above the first-order one means the parameter acts through
    interactions; greys, not strategy colours, because the bars are not strategies.
    """
    _need(indices, ("outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"), "Sobol' indices")
    _single(indices, ("outcome", "group"), "Sobol' indices")
    outcome = str(indices["outcome"].iloc[0])
    fig = go.Figure()
    for column, colour, label in (("S1", "#555555", "first-order S1"), ("ST", "#BBBBBB", "total ST")):
        fig.add_trace(
            go.Bar(
                x=indices["parameter"],
                y=indices[column],
                error_y={"type": "data", "array": indices[f"{column}_conf"], "color": BLACK},
                marker={"color": colour, "line": {"color": BLACK, "width": 1}},
                name=label,
            )
        )
    fig.update_layout(
        title=f"{outcome.replace('_', ' ')}: Sobol' indices with their intervals",
        barmode="group",
        xaxis_title="parameter (name)",
        yaxis_title="share of the variance (0-1)",
        legend_title="index",
    )
    return fig


def prim_tradeoff(trajectory: pd.DataFrame, chosen: int | None = None) -> go.Figure:
    """The PRIM peeling trajectory: each box's coverage against its density, coloured by parameters restricted.

    `trajectory` is :func:`ecosim.analysis.discovery.prim_boxes`'s (or ``discover(...)
    ["trajectory"]``); `chosen` (a box number) is ringed. Peeling buys density with coverage:
    the figure shows how much of one is given up for the other.
    """
    _need(trajectory, ("box", "coverage", "density", "restricted"), "PRIM trajectory")
    fig = go.Figure(
        go.Scatter(
            x=trajectory["coverage"],
            y=trajectory["density"],
            mode="lines+markers",
            line={"color": GREY},
            marker={
                "color": trajectory["restricted"],
                "colorscale": "Cividis",
                "size": 9,
                "colorbar": {"title": {"text": "parameters restricted (count)"}},
            },
            text=[f"box {int(b)}" for b in trajectory["box"]],
            name="boxes",
        )
    )
    if chosen is not None:
        row = trajectory[trajectory["box"] == chosen]
        fig.add_trace(
            go.Scatter(
                x=row["coverage"],
                y=row["density"],
                mode="markers",
                marker={"symbol": "circle-open", "size": 18, "color": BLACK, "line": {"width": 2}},
                name=f"chosen box {chosen}",
            )
        )
    fig.update_layout(
        title="PRIM: coverage against density of the peeled boxes",
        xaxis={"title": "coverage: share of the cases meeting the condition inside the box (share 0-1)",
               "range": [0, 1.05]},
        yaxis_title="density: share of the box's cases meeting it (share 0-1)",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


# --------------------------------------------------------------------------- learners


def learners(table: pd.DataFrame) -> go.Figure:
    """Share of learners placed at least once, hard-to-reach and others, per cohort and strategy.

    `table` is the learners table (the learners enrolled at the end of each run) of one
    scenario and design point; a cohort is the month of enrolment. Bars are the median of the
    runs' shares with the 90% range of the runs; hard-to-reach bars are hatched. Cohorts that
    graduated before the end of the run are not in the table (use the outcome
    cohort_share_placed for them).
    """
    _need(table, ("run", "strategy", "enrolled", "hard_to_reach", "months_placed"), "learners table")
    _single(table, ("scenario", "point"), "learners table")
    placed = table.assign(placed=table["months_placed"] > 0, group=np.where(table["hard_to_reach"], "hard", "other"))
    shares = placed.groupby(["strategy", "enrolled", "group", "run"])["placed"].mean()
    summary = shares.groupby(["strategy", "enrolled", "group"]).quantile([0.05, 0.5, 0.95]).unstack()
    cohorts = sorted(table["enrolled"].unique())
    order = strategy_order(table["strategy"])
    fig = make_subplots(
        rows=1, cols=len(cohorts), shared_yaxes=True, subplot_titles=[f"enrolled in month {c}" for c in cohorts]
    )
    for k, cohort in enumerate(cohorts):
        for group, label in (("hard", "hard-to-reach"), ("other", "others")):
            for strategy in order:
                key = (strategy, cohort, group)
                if key not in summary.index:
                    continue
                low, mid, high = summary.loc[key, [0.05, 0.5, 0.95]]
                look = strategy_look(strategy)
                fig.add_trace(
                    go.Bar(
                        x=[strategy],
                        y=[mid],
                        error_y={"type": "data", "symmetric": False, "array": [high - mid], "arrayminus": [mid - low]},
                        marker={
                            "color": look.colour,
                            "pattern": {"shape": "x" if group == "hard" else ""},
                            "line": {"color": BLACK, "width": 1},
                        },
                        offsetgroup=group,
                        name=f"{strategy}, {label}",
                        legendgroup=label,
                        showlegend=False,
                    ),
                    row=1,
                    col=k + 1,
                )
        fig.update_xaxes(title_text="strategy (bars: others solid, hard-to-reach hatched)", row=1, col=k + 1)
    fig.update_yaxes(title_text="learners placed at least once, median of the runs (share 0-1)", row=1, col=1)
    fig.update_layout(title="placements of hard-to-reach learners and others, by cohort", barmode="group")
    return fig


def learning(table: pd.DataFrame) -> go.Figure:
    """Competence and breadth of the learners ever placed, per cohort and strategy (median of the runs, 90% range).

    `table` is the learners table (the learners enrolled at the end of each run) of one
    scenario and design point; a cohort is the month of enrolment. Competence is in the
    model's own units (docs/results.md), breadth counts the workplaces joined.
    """
    _need(table, ("run", "strategy", "enrolled", "months_placed", "competence", "breadth"), "learners table")
    _single(table, ("scenario", "point"), "learners table")
    placed = table[table["months_placed"] > 0]
    cohorts = sorted(table["enrolled"].unique())
    measures = (("competence", "competence of the placed learners (competence units)"),
                ("breadth", "workplaces joined by the placed learners (placements)"))
    fig = make_subplots(rows=1, cols=2, subplot_titles=[title for _, title in measures])
    for strategy in strategy_order(table["strategy"]):
        look = strategy_look(strategy)
        mine = placed[placed["strategy"] == strategy]
        per_run = mine.groupby(["enrolled", "run"])[["competence", "breadth"]].mean()
        for k, (column, _) in enumerate(measures):
            summary = per_run[column].groupby("enrolled").quantile([0.05, 0.5, 0.95]).unstack().reindex(cohorts)
            fig.add_trace(
                go.Scatter(
                    x=[str(c) for c in cohorts],
                    y=summary[0.5].to_numpy(),
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": (summary[0.95] - summary[0.5]).to_numpy(),
                        "arrayminus": (summary[0.5] - summary[0.05]).to_numpy(),
                    },
                    mode="markers+lines",
                    line={"color": look.colour, "dash": look.dash},
                    marker={"symbol": look.symbol, "size": 8},
                    name=strategy,
                    legendgroup=strategy,
                    showlegend=k == 0,
                ),
                row=1,
                col=k + 1,
            )
    for k in (1, 2):
        fig.update_xaxes(title_text="cohort: month of enrolment (month)", row=1, col=k)
    fig.update_yaxes(title_text="mean competence, median of the runs (competence units)", row=1, col=1)
    fig.update_yaxes(title_text="mean workplaces joined, median of the runs (placements)", row=1, col=2)
    fig.update_layout(title="learning by cohort: competence and breadth of placed learners", legend_title="strategy")
    return fig
