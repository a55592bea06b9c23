"""Figures: the data each figure draws, checked against the same numbers computed here from small real batches."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from batches import batch
from ecosim.analysis.compare import compare
from ecosim.analysis.discovery import discover
from ecosim.analysis.sensitivity import sensitivity
from ecosim.analysis.survival import read_lifetimes
from ecosim.results import load_results
from ecosim.scenario import load_scenario
from ecosim.viz import colours, figures
from ecosim.viz.colours import BLACK, STRATEGIES, strategy_colours, strategy_look

ROOT = Path(__file__).resolve().parents[1]
SHOWN = ["none", "aftercare", "outreach", "funding-extension"]
MONTHS = 62  # the reference month 36 + 24 + 1: share_not_ended_24 is known
STRATEGIES_TOML = f"""
name = "viz-strategies"
scenarios = ["scenarios/baseline.toml"]
strategies = {SHOWN!r}
replications = 4
months = {MONTHS}
record = ["indicators", "events", "partnerships", "learners"]
""".replace("'", '"')
SOBOL_TOML = """
name = "viz-sobol"
scenarios = ["scenarios/baseline.toml"]
months = 40
[sample]
method = "saltelli"
points = 4
seed = 2
ranges = { merge_rate = [0.005, 0.1], handover_rate = [0.01, 0.08] }
"""
GRID_TOML = """
name = "viz-grid"
scenarios = ["scenarios/baseline.toml"]
replications = 2
months = 40
[sweep]
funding_end = [24, 36]
handover_rate = [0.02, 0.06]
"""


@pytest.fixture(scope="module")
def strategies(tmp_path_factory) -> Path:
    return batch(tmp_path_factory.mktemp("strategies"), STRATEGIES_TOML)


@pytest.fixture(scope="module")
def indicator_table(strategies) -> pd.DataFrame:
    return load_results(strategies, "indicators")


def by_name(fig: go.Figure) -> dict:
    return {trace.name: trace for trace in fig.data}


def has_unit(title: str) -> bool:
    return bool(title) and "(" in title and title.rstrip().endswith(")")


def quantiles_by_month(frame: pd.DataFrame, strategy: str, column: str, q: float) -> np.ndarray:
    """Per month, the q-quantile over the strategy's runs (numpy's linear interpolation, NaN left out)."""
    wide = frame[frame["strategy"] == strategy].pivot(index="month", columns="run", values=column)
    return np.nanquantile(wide.to_numpy(float), q, axis=1)


# --------------------------------------------------------------------------- colours


def test_every_strategy_keeps_its_look_whatever_else_is_shown():
    every = list(STRATEGIES)
    full = strategy_colours(every)
    assert strategy_colours(reversed(every)) == full
    assert strategy_colours(["outreach", "none"]) == {"outreach": full["outreach"], "none": full["none"]}
    assert full["none"] == BLACK and strategy_look("none").dash == "solid"
    looks = {(strategy_look(s).colour, strategy_look(s).dash) for s in every}
    assert len(looks) == len(every)  # colour and dash together tell every baseline strategy apart
    assert strategy_look("a+b") == strategy_look("a+b") and strategy_look("a+b").dash == "dot"


def test_the_fixed_order_is_the_baseline_scenarios_strategy_list():
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert list(STRATEGIES) == ["none", *scenario.strategies]
    order = colours.strategy_order(["zeta", "outreach", "none", "aftercare"])
    assert order == ["none", "aftercare", "outreach", "zeta"]


# --------------------------------------------------------------------------- indicators and support


def test_indicator_medians_and_bands_are_the_runs_quantiles(indicator_table):
    fig = figures.indicators(indicator_table, "partnerships_active", 36)
    assert len(fig.data) == 3 * len(SHOWN)
    traces = by_name(fig)
    months = np.sort(indicator_table["month"].unique())
    for strategy in SHOWN:
        median = traces[strategy]
        assert np.array_equal(median.x, months)
        assert np.allclose(median.y, quantiles_by_month(indicator_table, strategy, "partnerships_active", 0.5))
        assert median.line.color == strategy_colours([strategy])[strategy]
        band = traces[f"{strategy}: 90% of runs"]
        high = quantiles_by_month(indicator_table, strategy, "partnerships_active", 0.95)
        low = quantiles_by_month(indicator_table, strategy, "partnerships_active", 0.05)
        assert np.allclose(band.y, np.r_[high, low[::-1]]) and np.array_equal(band.x, np.r_[months, months[::-1]])
        inner = traces[f"{strategy}: 50% of runs"]
        q75 = quantiles_by_month(indicator_table, strategy, "partnerships_active", 0.75)
        assert np.allclose(inner.y[: len(months)], q75)
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == 36
    assert has_unit(fig.layout.xaxis.title.text) and fig.layout.yaxis.title.text == "partnerships active (partnerships)"


def test_a_subset_of_strategies_keeps_their_colours(indicator_table):
    two = indicator_table[indicator_table["strategy"].isin(["outreach", "funding-extension"])]
    both = by_name(figures.indicators(indicator_table, "mean_health", 36))
    some = by_name(figures.indicators(two, "mean_health", 36))
    assert len(some) == 6
    for strategy in ("outreach", "funding-extension"):
        a, b = some[strategy].line, both[strategy].line
        assert (a.color, a.dash) == (b.color, b.dash)


def test_support_layers_are_the_runs_medians_for_schools_and_companies(indicator_table):
    fig = figures.support_layers(indicator_table, funding_end=36)
    assert len(fig.data) == 2 * 3 * len(SHOWN)
    assert [a.text for a in fig.layout.annotations] == [
        f"{kinds}: {layer}" for kinds in ("schools", "companies") for layer in ("board", "leaders", "floor")
    ]
    panels = {f"x{k}" if k > 1 else "x": f"support_{layer}_{kinds}" for k, (kinds, layer) in enumerate(
        ((kinds, layer) for kinds in ("schools", "companies") for layer in ("board", "leaders", "floor")), start=1
    )}
    for trace in fig.data:
        column = panels[trace.xaxis]
        assert np.allclose(trace.y, quantiles_by_month(indicator_table, trace.name, column, 0.5), equal_nan=True)
    assert sum(t.showlegend for t in fig.data) == len(SHOWN)
    assert [s.x0 for s in fig.layout.shapes] == [36] * 6
    assert has_unit(fig.layout.yaxis.title.text) and has_unit(fig.layout.yaxis4.title.text)
    assert all(has_unit(fig.layout[f"xaxis{k}"].title.text) for k in (4, 5, 6))
    # the two kinds differ (schools and companies erode differently), and together they make the pooled mean
    assert not np.allclose(indicator_table["support_floor_schools"], indicator_table["support_floor_companies"])
    pooled = indicator_table[["support_board", "support_board_schools", "support_board_companies"]].dropna()
    low = pooled[["support_board_schools", "support_board_companies"]].min(axis=1)
    high = pooled[["support_board_schools", "support_board_companies"]].max(axis=1)
    assert ((pooled["support_board"] >= low - 1e-12) & (pooled["support_board"] <= high + 1e-12)).all()


def test_support_layers_of_older_results_pool_the_two_kinds(indicator_table):
    older = indicator_table.drop(columns=[c for c in indicator_table if c.endswith(("_schools", "_companies"))])
    fig = figures.support_layers(older, funding_end=36)
    assert len(fig.data) == 3 * len(SHOWN)
    assert [a.text for a in fig.layout.annotations] == [
        f"schools and companies: {layer}" for layer in ("board", "leaders", "floor")
    ]
    for trace in fig.data:
        column = {"x": "support_board", "x2": "support_leaders", "x3": "support_floor"}[trace.xaxis]
        assert np.allclose(trace.y, quantiles_by_month(older, trace.name, column, 0.5), equal_nan=True)


def test_a_table_of_two_design_points_is_refused(indicator_table):
    mixed = indicator_table.assign(point=indicator_table["run"] % 2)
    with pytest.raises(ValueError, match="expected one point, found several"):
        figures.indicators(mixed, "partnerships_active", 36)
    with pytest.raises(ValueError, match="expected support columns"):
        figures.support_layers(indicator_table[["strategy", "run", "month"]])


# --------------------------------------------------------------------------- survival and paired effects


def product_limit(duration: np.ndarray, ended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times and S just after each: the product of (1 - endings / at risk), by hand."""
    times = np.unique(duration[ended == 1])
    s, out = 1.0, []
    for t in times:
        s *= 1 - ((duration == t) & (ended == 1)).sum() / (duration >= t).sum()
        out.append(s)
    return times, np.array(out)


def test_kaplan_meier_curves_step_from_one_with_their_bands(strategies):
    lifetimes = read_lifetimes(strategies, "reference")
    km = figures.km_table(lifetimes)
    fig = figures.survival(km)
    assert len(fig.data) == 3 * lifetimes["strategy"].nunique()
    traces = by_name(fig)
    for strategy, rows in lifetimes.groupby("strategy"):
        times, expected = product_limit(rows["duration"].to_numpy(), rows["ended"].to_numpy())
        curve = traces[strategy]
        assert np.array_equal(curve.x, np.r_[0, times]) and np.allclose(curve.y, np.r_[1, expected])
        assert curve.line.shape == "hv" and curve.line.color == strategy_look(strategy).colour
        low, high = traces[f"{strategy}: interval low"], traces[f"{strategy}: interval high"]
        assert high.fill == "tonexty" and np.all(np.asarray(low.y[1:]) <= np.asarray(curve.y[1:]) + 1e-12)
        assert np.all(np.asarray(high.y[1:]) >= np.asarray(curve.y[1:]) - 1e-12)
    assert fig.layout.xaxis.title.text == "months since the funding end (months)"
    assert has_unit(fig.layout.yaxis.title.text)


def test_the_forest_plot_shows_the_paired_differences_and_their_intervals(strategies):
    outcome = "share_not_ended_24"
    table = compare(strategies, outcomes=[outcome], resamples=999)
    fig = figures.forest(table, outcome)
    assert [t.name for t in fig.data] == SHOWN[1:]  # the baseline is the zero line, not a point
    runs = load_results(strategies, "runs").set_index(["strategy", "replication"])[outcome]
    for trace in fig.data:
        d = (runs.loc[trace.name] - runs.loc["none"]).to_numpy()
        assert trace.x[0] == pytest.approx(d.mean()) and trace.y[0] == trace.name
        row = table.set_index("strategy").loc[trace.name]
        assert trace.x[0] + trace.error_x.array[0] == pytest.approx(row["t_high"])
        assert trace.x[0] - trace.error_x.arrayminus[0] == pytest.approx(row["t_low"])
        assert trace.marker.color == strategy_look(trace.name).colour
    (zero,) = fig.layout.shapes
    assert zero.x0 == zero.x1 == 0
    assert fig.layout.xaxis.title.text == "difference from none (share 0-1)"
    bca = figures.forest(table, outcome, interval="bca").data[0]
    assert bca.x[0] + bca.error_x.array[0] == pytest.approx(table.set_index("strategy").loc[bca.name, "bca_high"])
    with pytest.raises(ValueError, match="expected the outcome 'alive_60'"):
        figures.forest(table, "alive_60")


# --------------------------------------------------------------------------- network


@pytest.fixture(scope="module")
def one_run(strategies) -> tuple[pd.DataFrame, pd.DataFrame]:
    partnerships = load_results(strategies, "partnerships", filters=[("run", "==", 0)])
    events = load_results(strategies, "events", filters=[("run", "==", 0)])
    return partnerships, events


def test_the_state_at_the_last_month_is_the_partnerships_table(one_run):
    partnerships, events = one_run
    state = figures.network_state(partnerships, MONTHS - 1, events).set_index("partnership")
    final = partnerships.set_index("partnership")
    assert list(state["status"]) == list(final["status"])
    live = final["status"] != "ended"
    assert list(state.loc[live, "ecosystem"]) == list(final.loc[live, "ecosystem"].astype(int))
    start = figures.network_state(partnerships, 0, events)
    assert len(start) == (partnerships["start"] == 0).sum() and set(start["status"]) <= {"active", "stalled"}
    plain = figures.network_state(partnerships, MONTHS - 1)  # without events: no stalls, the final ecosystems
    assert set(plain["status"]) <= {"active", "ended"} and list(plain["ecosystem"]) == list(final["ecosystem"])


def test_a_table_of_several_runs_is_refused_for_the_network(strategies):
    with pytest.raises(ValueError, match="expected one run, found several"):
        figures.network(load_results(strategies, "partnerships"), 12)


def edge_count(trace) -> int:
    return len(trace.x) // 3


def test_the_network_draws_every_partnership_once_at_fixed_positions(one_run):
    partnerships, events = one_run
    month = 40
    fig = figures.network(partnerships, month, events)
    state = figures.network_state(partnerships, month, events)
    live = sorted(state.loc[state["status"] != "ended", "ecosystem"].unique())
    assert len(fig.data) == 2 * len(live) + 3
    traces = by_name(fig)
    for status in ("active", "stalled"):
        drawn = sum(edge_count(t) for name, t in traces.items() if name.endswith(f", {status}"))
        assert drawn == (state["status"] == status).sum()
    assert edge_count(traces["ended"]) == (state["status"] == "ended").sum()
    schools, companies = traces["schools"], traces["companies"]
    assert len(schools.x) == partnerships["school"].nunique() and len(companies.x) == partnerships["company"].nunique()
    again = figures.network(partnerships, month, events)
    assert by_name(again)["schools"].x == schools.x and by_name(again)["schools"].y == schools.y


def test_the_slider_has_one_frame_per_month_with_the_same_traces(one_run):
    partnerships, events = one_run
    months = [0, 12, 36, MONTHS - 1]
    fig = figures.network_slider(partnerships, events, months)
    assert [f.name for f in fig.frames] == ["0", "12", "36", str(MONTHS - 1)]
    assert len({len(f.data) for f in fig.frames}) == 1 and len(fig.data) == len(fig.frames[0].data)
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "12", "36", str(MONTHS - 1)]
    for frame, month in zip(fig.frames, months, strict=True):
        state = figures.network_state(partnerships, month, events)
        lines = [t for t in frame.data if t.mode == "lines"]
        assert sum(edge_count(t) for t in lines) == len(state)
    assert len(figures.network_slider(partnerships, events).frames) >= MONTHS - 1


# --------------------------------------------------------------------------- learners


def test_learner_bars_are_the_runs_median_shares_placed(strategies):
    table = load_results(strategies, "learners")
    fig = figures.learners(table)
    cohorts = sorted(table["enrolled"].unique())
    assert len(fig.data) == 2 * len(SHOWN) * len(cohorts)
    axis = {("x" if k == 0 else f"x{k + 1}"): c for k, c in enumerate(cohorts)}
    for trace in fig.data:
        strategy, group = trace.name.split(", ")
        rows = table[(table["strategy"] == strategy) & (table["enrolled"] == axis[trace.xaxis])]
        rows = rows[rows["hard_to_reach"] == (group == "hard-to-reach")]
        shares = rows.groupby("run")["months_placed"].apply(lambda m: (m > 0).mean()).to_numpy()
        assert trace.y[0] == pytest.approx(np.median(shares)) and trace.x[0] == strategy
        assert trace.marker.pattern.shape == ("x" if group == "hard-to-reach" else "")
    assert has_unit(fig.layout.yaxis.title.text)


def test_learning_points_are_the_runs_median_competence_and_breadth_of_placed_learners(strategies):
    table = load_results(strategies, "learners")
    fig = figures.learning(table)
    assert len(fig.data) == 2 * len(SHOWN)
    placed = table[table["months_placed"] > 0]
    for trace in fig.data:
        column = {"x": "competence", "x2": "breadth"}[trace.xaxis]
        mine = placed[placed["strategy"] == trace.name]
        for cohort, y in zip(trace.x, trace.y, strict=True):
            per_run = mine[mine["enrolled"] == int(cohort)].groupby("run")[column].mean()
            assert y == pytest.approx(np.median(per_run))
    breadth = [t for t in fig.data if t.xaxis == "x2"]
    assert len(breadth) == len(SHOWN) and all(t.y.min() >= 1 for t in breadth)  # placed: joined a workplace
    assert all(has_unit(fig.layout[f"{a}axis{k}"].title.text) for a in "xy" for k in ("", 2))


# --------------------------------------------------------------------------- designs


def test_the_sweep_heatmap_holds_the_mean_of_each_grid_point(tmp_path_factory):
    folder = batch(tmp_path_factory.mktemp("grid"), GRID_TOML)
    runs = load_results(folder, "runs")
    fig = figures.sweep_heatmap(runs, "funding_end", "design_handover_rate", "programme_spending")
    (heat,) = fig.data
    means = runs.groupby(["design_handover_rate", "design_funding_end"])["programme_spending"].mean()
    assert list(heat.x) == [24, 36] and list(heat.y) == [0.02, 0.06]
    for i, h in enumerate(heat.y):
        for j, f in enumerate(heat.x):
            assert heat.z[i][j] == pytest.approx(means.loc[(h, f)])
    assert fig.layout.xaxis.title.text == "funding end (month)"
    assert fig.layout.yaxis.title.text == "handover rate (1/month)"
    assert heat.colorbar.title.text == "programme spending (EUR)"
    with pytest.raises(ValueError, match="expected a design parameter 'erosion'"):
        figures.sweep_heatmap(runs, "erosion", "funding_end", "programme_spending")


@pytest.fixture(scope="module")
def sampled(tmp_path_factory) -> Path:
    return batch(tmp_path_factory.mktemp("sobol"), SOBOL_TOML)


def test_sobol_bars_are_the_indices_with_their_intervals(sampled):
    indices = sensitivity(sampled, ["ecosystems"])
    fig = figures.sobol_bars(indices)
    first, total = fig.data
    assert list(first.x) == list(indices["parameter"]) == list(total.x)
    assert np.allclose(first.y, indices["S1"]) and np.allclose(total.y, indices["ST"])
    assert np.allclose(first.error_y.array, indices["S1_conf"]) and np.allclose(total.error_y.array, indices["ST_conf"])
    assert has_unit(fig.layout.yaxis.title.text) and has_unit(fig.layout.xaxis.title.text)


def test_the_prim_tradeoff_is_the_peeling_trajectory(sampled):
    runs = load_results(sampled, "runs")
    threshold = runs.groupby("point")["ecosystems"].mean().median()
    found = discover(sampled, f"ecosystems>={threshold}")
    trajectory = found["trajectory"]
    chosen = int(trajectory["box"].iloc[len(trajectory) // 2])
    fig = figures.prim_tradeoff(trajectory, chosen)
    boxes, ring = fig.data
    assert np.allclose(boxes.x, trajectory["coverage"]) and np.allclose(boxes.y, trajectory["density"])
    assert list(boxes.marker.color) == list(trajectory["restricted"])
    row = trajectory.set_index("box").loc[chosen]
    assert ring.x[0] == pytest.approx(row["coverage"]) and ring.y[0] == pytest.approx(row["density"])
    assert has_unit(fig.layout.xaxis.title.text) and has_unit(fig.layout.yaxis.title.text)
