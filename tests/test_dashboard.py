"""The dashboard: its data functions on small real batches, and every page in Chromium against a real local server."""

import json
import re
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

import ecosim
from browser import screenshot
from ecosim.analysis.compare import compare
from ecosim.batch import InProcessExecutor, run_batch
from ecosim.dashboard import compare as compare_page
from ecosim.dashboard import make_server
from ecosim.dashboard import sensitivity as sensitivity_page
from ecosim.dashboard.batch import filtered
from ecosim.dashboard.data import DashboardError, Results, inside
from ecosim.dashboard.model import SLIDERS, Models
from ecosim.experiment import plan
from ecosim.results import load_results
from ecosim.store import save_run

REPOSITORY = Path(__file__).resolve().parents[1]
STRATEGIES = ["none", "gradual-handover", "aftercare", "outreach", "funding-extension"]
MONTHS = 62  # the reference month 36 + 24 + 1: share_not_ended_24 is known
FIRST_RENDER = 90_000  # ms: the app loads (or compiles) the kernels as it starts; a page's first run waits for them
BATCHES = {
    "strategies": f"""
name = "dash-strategies"
scenarios = ["scenarios/baseline.toml"]
strategies = {json.dumps(STRATEGIES)}
replications = 3
months = {MONTHS}
record = ["indicators", "partnerships"]
""",
    "sobol": """
name = "dash-sobol"
scenarios = ["scenarios/baseline.toml"]
months = 40
[sample]
method = "saltelli"
points = 4
seed = 2
ranges = { merge_rate = [0.005, 0.1], handover_rate = [0.01, 0.08] }
""",
    "grid": """
name = "dash-grid"
scenarios = ["scenarios/baseline.toml"]
replications = 2
months = 40
record = ["indicators"]
[sweep]
funding_end = [24, 36]
handover_rate = [0.02, 0.06]
""",
}


def build_root(base: Path, batches: dict[str, str]) -> Path:
    """base/results holding real batches run in this process (base/work has the experiment files and baseline)."""
    work = base / "work"
    (work / "scenarios").mkdir(parents=True)
    shutil.copy(REPOSITORY / "scenarios" / "baseline.toml", work / "scenarios" / "baseline.toml")
    root = base / "results"
    for name, text in batches.items():
        (work / f"{name}.toml").write_text(text)
        summary = run_batch(plan(work / f"{name}.toml"), root / name, InProcessExecutor())
        assert summary.failed == 0 and summary.ran == summary.planned
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A results root: three batches, a single run, an incomplete batch, and a symlink to a batch outside it."""
    base = tmp_path_factory.mktemp("dashboard")
    root = build_root(base, BATCHES)
    save_run(ecosim.run(base / "work" / "scenarios" / "baseline.toml", seed=3, months=30), root / "one-run")
    incomplete = root / "incomplete"
    shutil.copytree(root / "strategies", incomplete)
    manifest = json.loads((incomplete / "manifest.json").read_text())
    manifest.update(complete=False, parts=manifest["parts"][:-1])
    (incomplete / "manifest.json").write_text(json.dumps(manifest))
    (incomplete / "runs.parquet").unlink()
    shutil.rmtree(incomplete / "indicators")
    shutil.copytree(root / "strategies", base / "outside" / "strategies")
    (root / "escape").symlink_to(base / "outside" / "strategies", target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def results(root) -> Results:
    return Results(root)


@pytest.fixture(scope="module")
def server(root) -> Iterator[str]:
    """The dashboard over the root, served by a real threaded server on a free port of 127.0.0.1."""
    httpd = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.port}"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


def callback_payload(base: str, output: str, values: dict) -> dict:
    """The request body the browser sends for the callback with `output` (from the app's own dependency list)."""
    with urllib.request.urlopen(f"{base}/_dash-dependencies", timeout=30) as response:
        dependencies = json.loads(response.read())
    dependency = next(d for d in dependencies if output in d["output"])
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
               for o in dependency["output"].strip(".").split("...")]
    inputs = [{**i, "value": values[i["id"]]} for i in dependency["inputs"]]
    state = [{**s, "value": values.get(s["id"])} for s in dependency["state"]]
    changed = [f"{i['id']}.{i['property']}" for i in dependency["inputs"]]
    return {"output": dependency["output"], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": changed, "parsedChangedPropsIds": changed}


def post(base: str, payload: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/_dash-update-component", json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


COMPARE_VALUES = {
    "compare-batch": "strategies",
    "compare-slice": 0,
    "compare-baseline": "none",
    "compare-strategies": ["aftercare", "outreach"],
    "compare-outcome": "share_not_ended_24",
    "compare-indicator": "partnerships_active",
    "compare-interval": "t",
}


def traces(tab, graph: str) -> list[dict]:
    """The traces a dcc.Graph draws now in the browser tab: name and y values as JSON."""
    return tab.evaluate(
        "id => Array.from(document.querySelector(`#${id} .js-plotly-plot`).data || [],"
        " t => ({name: t.name, y: JSON.stringify(t.y ?? null)}))",
        graph,
    )


def wait_for_names(tab, graph: str, names: list[str]) -> None:
    """Wait until the graph draws traces named `names` (with others if `names` ends with '...')."""
    tab.wait_for_function(
        """([id, names]) => {
            const gd = document.querySelector(`#${id} .js-plotly-plot`);
            const drawn = Array.from((gd && gd.data) || [], t => t.name);
            const open = names[names.length - 1] === '...';
            const wanted = open ? names.slice(0, -1) : names;
            return open ? wanted.every(n => drawn.includes(n)) : JSON.stringify(drawn) === JSON.stringify(wanted);
        }""",
        arg=[graph, names],
    )


# --------------------------------------------------------------------------- data functions


def test_the_guard_refuses_every_path_that_could_leave_the_root(root):
    resolved = root.resolve()
    assert inside(resolved, "strategies") == resolved / "strategies"
    for name in ("..", "../outside/strategies", "strategies/../../outside", "/etc", "C:\\x", "a\\b", "a\x00",
                 "", "   ", "escape", "escape/indicators"):
        with pytest.raises(DashboardError, match="refused|nothing chosen"):
            inside(resolved, name)


def test_the_folders_are_listed_from_their_manifests(results):
    found = {f.name: f for f in results.folders()}
    assert sorted(found) == ["grid", "incomplete", "one-run", "sobol", "strategies"]  # not the symlink out
    assert found["one-run"].kind == "run" and found["strategies"].kind == "batch"
    assert found["strategies"].recorded == ["indicators", "partnerships"] and not found["incomplete"].complete
    with pytest.raises(DashboardError, match=r"expected a complete batch, found \d+ of 15 runs finished"):
        results.batch("incomplete")
    with pytest.raises(DashboardError, match="found a single run's folder"):
        results.batch("one-run")
    with pytest.raises(DashboardError, match="found no folder"):
        results.folder("missing")


def test_loading_reads_only_the_columns_and_rows_asked_for_and_keeps_them(results, root):
    columns = ["run", "month", "mean_health"]
    frame = results.load("strategies", "indicators", columns, [("strategy", "==", "aftercare")])
    assert list(frame.columns) == columns
    runs = load_results(root / "strategies", "runs")
    assert set(frame["run"]) == set(runs.loc[runs["strategy"] == "aftercare", "run"])
    assert len(frame) == 3 * MONTHS
    assert results.load("strategies", "indicators", columns, [("strategy", "==", "aftercare")]) is frame
    ends = results.load("strategies", "partnerships", ["run", "end"], [("strategy", "==", "outreach")])
    assert list(ends.columns) == ["run", "end"]
    assert set(ends["run"]) == set(runs.loc[runs["strategy"] == "outreach", "run"])
    assert "run_id" not in results.runs("strategies") and "error" not in results.runs("strategies")


def test_the_comparison_is_the_analysis_of_the_chosen_strategies_only(results, root):
    found = compare_page.comparison(results, "strategies", ["aftercare"], "none", "share_not_ended_24")
    assert list(found.table["strategy"]) == ["none", "aftercare"] and found.runs == 6
    full = compare(root / "strategies", outcomes=["share_not_ended_24"], resamples=999).set_index("strategy")
    mine = found.table.set_index("strategy")
    for column in ("difference", "t_low", "t_high", "p"):
        assert mine.loc["aftercare", column] == pytest.approx(full.loc["aftercare", column], nan_ok=True)
    assert set(found.indicators["strategy"]) == {"none", "aftercare"}
    assert list(found.indicators.columns) == ["run", "month", "partnerships_active", "strategy"]
    assert found.reference_month == 36
    km = compare_page.survival_curves(results, "strategies", ["aftercare"], "none")
    assert set(km["strategy"]) == {"none", "aftercare"} and km["survival"].between(0, 1).all()
    grid = compare_page.comparison(results, "grid", [], "none", "ecosystems", index=3)
    assert grid.runs == 2  # point 3 of the 2 x 2 grid, one strategy, two replications
    assert compare_page.survival_curves(results, "grid", [], "none", 3) is None  # partnerships not recorded
    with pytest.raises(DashboardError, match="expected strategies of the batch"):
        compare_page.comparison(results, "strategies", ["evaluation"])


def test_the_batch_filter_keeps_the_runs_inside_every_range(results):
    runs = results.runs("grid")
    shown = filtered(runs, ["none"], {"design_funding_end": [30, 40], "design_handover_rate": [0.0, 0.03]})
    assert set(shown["design_funding_end"]) == {36} and set(shown["design_handover_rate"]) == {0.02}
    assert len(shown) == 2
    with pytest.raises(DashboardError, match="expected a design column"):
        filtered(runs, ["none"], {"design_merge_rate": [0, 1]})


def test_the_sensitivity_sections_follow_the_design(results):
    kinds = {name: sensitivity_page.design_kind(results.batch(name).design) for name in ("sobol", "grid", "strategies")}
    assert kinds == {"sobol": "saltelli", "grid": "grid", "strategies": "point"}
    indices = sensitivity_page.indices(results, "sobol", 0, "ecosystems")
    assert set(indices["parameter"]) == {"merge_rate", "handover_rate"} and {"S1", "ST"} <= set(indices)
    level = sensitivity_page.median_threshold(results, "sobol", 0, "ecosystems")
    trajectory, box = sensitivity_page.prim(results, "sobol", 0, "ecosystems", ">=", level)
    assert len(trajectory) >= 1 and {"coverage", "density"} <= set(trajectory)
    with pytest.raises(DashboardError, match="condition"):
        sensitivity_page.prim(results, "sobol", 0, "ecosystems", "=>", level)


def test_explore_runs_are_cached_and_a_national_world_is_refused(results):
    models = Models(results)
    models.start_warm_up()
    values = [o["value"] for o in models.scenarios()]
    assert {"shipped:baseline.toml", "shipped:flanders-pilots.toml", "shipped:national.toml"} <= set(values)
    settings = models.defaults("shipped:baseline.toml", "gradual-handover")
    assert set(settings) == set(SLIDERS) and settings["handover_rate"] == 0.06
    first = models.run("shipped:baseline.toml", "gradual-handover", 2, settings)
    assert models.run("shipped:baseline.toml", "gradual-handover", 2, dict(settings)) is first
    earlier = models.run("shipped:baseline.toml", "gradual-handover", 2, {**settings, "funding_end": 24})
    assert earlier.run_id != first.run_id and earlier.funding_end == 24
    assert earlier.outcomes["programme_spending"] < first.outcomes["programme_spending"]
    with pytest.raises(DashboardError, match="at most 500 organisations"):
        models.scenario("shipped:national.toml")
    for value in ("shipped:../pyproject.toml", "results:../work/scenarios/baseline.toml", "elsewhere:x.toml"):
        with pytest.raises(DashboardError):
            models.scenario(value)
    saved = models.saved("one-run")
    assert saved.months == 30 and len(saved.indicators) == 30 and saved.strategy == "none"


def test_a_callback_asked_for_a_folder_outside_the_root_refuses_it(server):
    for name in ("../outside/strategies", "escape", "/etc"):
        payload = callback_payload(server, "compare-forest.figure", {**COMPARE_VALUES, "compare-batch": name})
        answer = post(server, payload)
        text = json.dumps(answer["response"]["compare-message"])
        assert "refused" in text, text
        assert answer["response"]["compare-forest"]["figure"]["data"] == []
    answer = post(server, callback_payload(server, "compare-forest.figure", COMPARE_VALUES))
    assert [t["name"] for t in answer["response"]["compare-forest"]["figure"]["data"]] == ["aftercare", "outreach"]


# --------------------------------------------------------------------------- pages in the browser

PAGES = [
    ("/", "#home-folders", "strategies", "dashboard-home"),
    ("/explore", "#explore-network", "partnerships at the end of month", "dashboard-explore"),
    ("/compare?batch=strategies", "#compare-km", "Kaplan-Meier", "dashboard-compare"),
    ("/batch?batch=grid", "#batch-scatter", "of each run against", "dashboard-batch"),
    ("/sensitivity?batch=sobol", "#sens-prim", "PRIM", "dashboard-sensitivity"),
    ("/sensitivity?batch=grid", "#sens-heatmap", "per grid point", "dashboard-sensitivity-grid"),
    ("/sensitivity?batch=strategies", "#sens-kind", "single point", "dashboard-sensitivity-none"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("path", "selector", "text", "shot"), PAGES, ids=[p[3] for p in PAGES])
def test_every_page_loads_without_console_errors(page, server, path, selector, text, shot):  # noqa: F811
    page.goto(server + path)
    expect(page.locator(selector)).to_contain_text(text, timeout=FIRST_RENDER)
    if path.startswith("/sensitivity?batch=sobol"):
        expect(page.locator("#sens-indices")).to_contain_text("Sobol' indices")
    screenshot(page, shot)
    assert page.errors == []


@pytest.mark.browser
def test_explore_a_slider_runs_the_model_again_and_the_month_steps_the_network(page, server):  # noqa: F811
    page.goto(server + "/explore")
    spending = page.locator("#explore-programme_spending")
    expect(spending).to_have_text(re.compile(r"\d"), timeout=FIRST_RENDER)
    expect(page.locator("#explore-indicators")).to_contain_text("partnerships active")
    before, data = spending.inner_text(), json.dumps(traces(page, "explore-indicators"))
    funding_end = page.locator("#explore-funding_end input")
    funding_end.fill("24")
    funding_end.blur()
    expect(spending).not_to_have_text(before)
    assert float(spending.inner_text().replace(",", "")) < float(before.replace(",", ""))  # two years less funding
    page.wait_for_function(
        "old => JSON.stringify(Array.from(document.querySelector('#explore-indicators .js-plotly-plot').data,"
        " t => ({name: t.name, y: JSON.stringify(t.y ?? null)}))) !== old",
        arg=data,
    )
    month = page.locator("#explore-month input")
    month.fill("12")
    month.blur()
    network = page.locator("#explore-network")
    expect(network).to_contain_text("partnerships at the end of month 12")
    play = page.locator("#explore-play")
    play.click()
    expect(play).to_have_text("Pause")
    expect(network).to_contain_text("partnerships at the end of month 14")
    play.click()
    expect(play).to_have_text("Play")
    assert page.errors == []


@pytest.mark.browser
def test_compare_choosing_a_strategy_updates_the_comparison(page, server):  # noqa: F811
    page.goto(server + "/compare?batch=strategies")
    expect(page.locator("#compare-row-outreach")).to_be_visible(timeout=FIRST_RENDER)
    expect(page.locator("#compare-row-funding-extension")).to_have_count(0)
    wait_for_names(page, "compare-forest", ["gradual-handover", "aftercare", "outreach"])
    page.locator("#compare-strategies").click()
    page.get_by_role("option", name="funding-extension").click()
    page.keyboard.press("Escape")
    expect(page.locator("#compare-row-funding-extension")).to_be_visible()
    wait_for_names(page, "compare-forest", ["gradual-handover", "aftercare", "outreach", "funding-extension"])
    wait_for_names(page, "compare-km", ["none", "funding-extension", "..."])
    wait_for_names(page, "compare-indicators", ["funding-extension", "..."])
    assert page.errors == []


@pytest.mark.browser
def test_batch_a_range_narrows_the_runs_and_a_click_opens_one(page, server):  # noqa: F811
    page.goto(server + "/batch?batch=grid")
    count = page.locator("#batch-count")
    expect(count).to_have_text("8 of 8 runs shown", timeout=FIRST_RENDER)
    low = page.locator(".dash-range-slider-min-input").first  # the first design column: funding_end
    low.fill("36")
    low.blur()
    expect(count).to_have_text("4 of 8 runs shown")
    point = page.locator("#batch-scatter .scatterlayer .point").first
    expect(point).to_be_visible()
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#batch-run-title")).to_contain_text("run ")
    expect(page.locator("#batch-run-indicators")).to_contain_text("over the months")
    assert page.errors == []


@pytest.mark.browser
def test_a_folder_outside_the_root_or_unfinished_is_a_message_in_the_page(page, server):  # noqa: F811
    cases = {
        "/explore?run=../outside/strategies": "refused",
        "/batch?batch=escape": "leading outside",
        "/sensitivity?batch=%2Fetc": "refused",
        "/compare?batch=incomplete": "expected a complete batch",
        "/compare?batch=missing": "found no folder",
        "/compare?batch=../outside/strategies": "refused",
    }
    for path, text in cases.items():
        page.goto(server + path)
        expect(page.locator("[role=alert]").first).to_contain_text(text, timeout=FIRST_RENDER)
    screenshot(page, "dashboard-refused")
    assert page.errors == []
