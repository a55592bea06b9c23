"""The HTML report: its sentences carry compare()'s numbers, it is self-contained, renders offline, is written whole."""

import html
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from plotly.offline import get_plotlyjs
from scipy import stats

from batches import batch
from browser import screenshot
from ecosim import report
from ecosim.analysis import AnalysisError
from ecosim.analysis.compare import compare
from ecosim.report import summary, write_report
from ecosim.results import load_results

MAIN = "share_not_ended_24"
STRATEGIES = ["none", "aftercare", "outreach", "funding-extension"]
MONTHS = 62  # the reference month 36 + 24 + 1: share_not_ended_24 is known
STRATEGIES_TOML = f"""
name = "report-strategies"
description = "A few strategies against none <for the report test> & more."
scenarios = ["scenarios/baseline.toml"]
strategies = {STRATEGIES!r}
replications = 4
months = {MONTHS}
record = ["indicators", "partnerships"]
""".replace("'", '"')
BARE_TOML = f"""
name = "report-bare"
scenarios = ["scenarios/baseline.toml"]
strategies = ["none", "aftercare"]
replications = 3
months = {MONTHS}
"""
LEARNERS_TOML = f"""
name = "report-learners"
scenarios = ["scenarios/baseline.toml"]
strategies = ["none", "outreach"]
replications = 2
months = {MONTHS}
record = ["learners"]
"""
SWEEP_TOML = f"""
name = "report-sweep"
scenarios = ["scenarios/baseline.toml"]
replications = 2
months = {MONTHS}
[sweep]
funding_end = [24, 36]
handover_rate = [0.02, 0.06]
"""


@pytest.fixture(scope="module")
def strategies(tmp_path_factory) -> Path:
    return batch(tmp_path_factory.mktemp("strategies"), STRATEGIES_TOML)


@pytest.fixture(scope="module")
def written(strategies, tmp_path_factory) -> Path:
    return write_report(strategies, tmp_path_factory.mktemp("report") / "report.html")


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def expected_figures(folder: Path) -> int:
    """The figures the recorded tables and the design call for, counted from the manifest and the runs."""
    found = manifest(folder)
    recorded = found["content"]["record"]
    strategies = load_results(folder)["strategy"].nunique()
    count = 2 if strategies > 1 else 0  # the forest plots of the main outcome and of alive_24
    count += "partnerships" in recorded  # Kaplan-Meier
    count += (len(report.SHOWN_INDICATORS) + 1) * ("indicators" in recorded)  # indicators and support layers
    count += 2 * ("learners" in recorded)  # placements and learning by cohort
    count += strategies * (len(found["design"]["sweep"]) >= 2)  # a heat map per strategy
    return count


def close(text: str, value: float) -> bool:
    """`text` is `value` rounded to as many decimals as `text` shows."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text.replace(",", "")) - value) <= 0.5 * 10**-decimals + 1e-9


def t_interval(values: np.ndarray) -> tuple[float, float, float]:
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    return values.mean(), values.mean() - half, values.mean() + half


UNSIGNED = r"[\d,]+(?:\.\d+)?"
NUMBER = rf"-?{UNSIGNED}"
SHARE_SENTENCE = re.compile(
    rf"^Under (?P<strategy>[\w-]+), (?P<m>{NUMBER})%(?: \((?P<ml>{NUMBER})–(?P<mh>{NUMBER})\))? of the partnerships "
    rf"alive \(active or stalled\) at the reference month \(month 36, the funding end\) are not ended 24 months "
    rf"later, against (?P<b>{NUMBER})%(?: \((?P<bl>{NUMBER})–(?P<bh>{NUMBER})\))? without a strategy: "
    rf"(?P<d>[+-]{UNSIGNED}) percentage points? \((?P<dl>{NUMBER}) to (?P<dh>{NUMBER})\), "
    rf"paired over (?P<pairs>\d+) seeds(?P<verdict>.*)\.$"
)


# --------------------------------------------------------------------------- the summary


def test_the_summary_sentences_carry_the_numbers_of_compare(strategies):
    sentences = summary(strategies)
    table = compare(strategies, outcomes=[MAIN]).set_index("strategy")
    runs = load_results(strategies).set_index(["strategy", "replication"])[MAIN]
    effects = [s for s in sentences if s.startswith("Under ")]
    assert len(effects) == len(STRATEGIES) - 1
    clear = 0
    shown = []
    for sentence in effects:
        found = SHARE_SENTENCE.match(sentence)
        assert found, sentence
        row = table.loc[found["strategy"]]
        shown.append(found["strategy"])
        both = np.array([(runs["none", r], runs[found["strategy"], r]) for r in range(4)])
        for arm, values, mean in (("m", both[:, 1], row["mean"]), ("b", both[:, 0], row["baseline_mean"])):
            _, low, high = t_interval(values)
            low, high = max(low, 0.0), min(high, 1.0)  # a share's interval stays within 0-100%
            assert close(found[arm], 100 * mean)
            if found[f"{arm}l"] is not None:
                assert close(found[f"{arm}l"], 100 * low) and close(found[f"{arm}h"], 100 * high)
        assert close(found["d"], 100 * row["difference"])
        assert close(found["dl"], 100 * row["t_low"]) and close(found["dh"], 100 * row["t_high"])
        assert int(found["pairs"]) == row["pairs"] == 4
        unclear = row["t_low"] <= 0 <= row["t_high"]
        clear += not unclear
        assert ("no clear effect" in found["verdict"] or "no effect" in found["verdict"]) == unclear
    by_effect = table.drop("none").sort_values("difference", ascending=False).index.tolist()
    assert shown == by_effect  # best effect first
    assert f"{clear} have a clear effect" in sentences[0] and sentences[0].startswith("3 strategies were compared")


def test_the_summary_speaks_in_the_outcomes_own_unit(strategies):
    table = compare(strategies, outcomes=["alive_24"]).set_index("strategy")
    for sentence in summary(strategies, outcome="alive_24")[1:]:
        strategy = sentence.split(",")[0].removeprefix("Under ")
        assert "partnerships alive 24 months after the reference month (month 36, the funding end): " in sentence
        assert "%" not in sentence and "percentage" not in sentence
        difference = re.search(rf"without a strategy: ([+-]{UNSIGNED}) partnerships \(", sentence)
        assert difference and close(difference[1], table.loc[strategy, "difference"])
    spending = [s.split(",")[0].removeprefix("Under ") for s in summary(strategies, outcome="programme_spending")[1:]]
    costs = compare(strategies, outcomes=["programme_spending"]).set_index("strategy").drop("none")
    assert spending == costs.sort_values("difference", kind="stable").index.tolist()  # lower spending is better


# --------------------------------------------------------------------------- the HTML


def test_the_report_is_self_contained_with_figures_tables_and_provenance(strategies, written):
    text = written.read_text(encoding="utf-8")
    plotly = get_plotlyjs()
    assert text.count(plotly) == 1 and text.count("<script") == 1 + expected_figures(strategies)
    ours = text.replace(plotly, "")  # plotly's bundle names map servers it never asks for in these figures
    for external in ('src="http', 'href="http', "http://", "https://", "cdn", "<link", "@import", "url("):
        assert external not in ours, external
    assert not re.search(r"<script[^>]*\ssrc=", text)
    assert ours.count('class="figure"') == expected_figures(strategies) == 6
    assert ours.count('<table class="data">') == 3  # the main outcome, alive_24, cost-effectiveness
    found = manifest(strategies)
    assert found["content_hash"] in ours and found["code_hash"] in ours
    assert "&lt;for the report test&gt; &amp; more." in ours  # inserted text is escaped
    assert f"ecosim batch {found['file']} --out {strategies}" in ours
    assert f"ecosim report {strategies} --out {written}" in ours
    for sentence in summary(strategies):
        assert f"<li>{html.escape(sentence)}</li>" in ours
    assert "Sweep heat map: a heat map needs a sweep over two parameters; the design has no [sweep]." in ours


@pytest.mark.parametrize(
    ("toml", "missing"),
    [
        (BARE_TOML, ["Kaplan-Meier survival per strategy: the partnerships table was not recorded", "indicators"]),
        (SWEEP_TOML, ["Paired effects on share_not_ended_24: the experiment ran only none", "Sobol' indices"]),
        (LEARNERS_TOML, ["Kaplan-Meier survival per strategy: the partnerships table was not recorded"]),
    ],
    ids=["outcomes-only", "sweep", "learners"],
)
def test_the_figures_follow_the_recorded_tables_and_the_design(tmp_path, toml, missing):
    folder = batch(tmp_path, toml)
    text = html.unescape(write_report(folder, tmp_path / "report.html").read_text(encoding="utf-8"))
    assert text.count('class="figure"') == expected_figures(folder)
    for reason in missing:
        assert reason in text.split("Figures not drawn")[1]


@pytest.mark.browser
def test_the_report_renders_offline_in_chromium(strategies, written, page):  # noqa: F811
    from playwright.sync_api import expect

    asked = []

    def only_files(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_files)
    page.context.set_offline(True)
    page.goto(written.resolve().as_uri())
    figures = page.locator("div.figure")
    expect(figures).to_have_count(expected_figures(strategies))
    for k in range(figures.count()):
        expect(figures.nth(k).locator(".main-svg").first).to_be_visible()
        expect(figures.nth(k).locator(".scatterlayer .trace")).not_to_have_count(0)
    expect(page.locator("table.data").first).to_be_visible()
    screenshot(page, "report")
    assert page.errors == [] and asked == []


# --------------------------------------------------------------------------- writing whole, and mistakes


def test_a_failing_report_leaves_no_file_and_an_existing_one_untouched(strategies, tmp_path):
    out = tmp_path / "report.html"
    with pytest.raises(AnalysisError, match="--baseline"):
        write_report(strategies, out, baseline="nobody")
    assert list(tmp_path.iterdir()) == []
    write_report(strategies, out)
    before = out.read_bytes()
    with pytest.raises(AnalysisError, match="--outcome"):
        write_report(strategies, out, outcome="share_not_ended_25")
    assert list(tmp_path.iterdir()) == [out] and out.read_bytes() == before
    write_report(strategies, out)
    assert out.read_bytes() == before  # the same results give the same bytes


def unfinished(strategies: Path, tmp_path: Path) -> tuple[Path, str]:
    copy = tmp_path / "unfinished"
    shutil.copytree(strategies, copy)
    found = manifest(copy)
    found["complete"] = False
    found["parts"] = found["parts"][:0]
    (copy / "manifest.json").write_text(json.dumps(found))
    return copy, f"found 0 of {found['runs']} runs finished; go on with `ecosim batch {found['file']} --resume`"


def test_user_mistakes_are_one_line_errors_naming_what_was_expected(strategies, tmp_path):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "no-manifest").mkdir()
    (tmp_path / "one-run").mkdir()
    (tmp_path / "one-run" / "manifest.json").write_text(json.dumps({"run_id": "0123456789abcdef"}))
    folder, incomplete = unfinished(strategies, tmp_path)
    known = ", ".join(sorted(STRATEGIES))
    cases = [
        (tmp_path / "nowhere", {}, "expected an experiment's results folder (ecosim batch), found no such folder"),
        (tmp_path / "a-file", {}, "expected an experiment's results folder (ecosim batch), found a file"),
        (tmp_path / "no-manifest", {}, "expected an experiment's results folder (ecosim batch), found no manifest"),
        (tmp_path / "one-run", {}, "found a single run's folder (ecosim run)"),
        (folder, {}, incomplete),
        (strategies, {"baseline": "nobody"}, f"--baseline: expected one of the strategies in the results ({known})"),
        (strategies, {"outcome": "reach"}, "--outcome: expected one of alive_at_reference, share_not_ended_24, "),
    ]
    for results, options, expected in cases:
        with pytest.raises(AnalysisError) as caught:
            write_report(results, tmp_path / "report.html", **options)
        message = str(caught.value)
        assert "\n" not in message and expected in message and message.startswith(str(results)), message
    assert message.endswith("found 'reach'") and "'months'" not in message  # run labels are no outcomes
    with pytest.raises(AnalysisError, match=r"^--out: expected a file name for the report, found the folder"):
        write_report(strategies, tmp_path)
    assert not (tmp_path / "report.html").exists()
