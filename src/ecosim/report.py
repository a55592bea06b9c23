"""One self-contained HTML report of an experiment's results folder, for the programme team (``ecosim report``).

The report reads a finished batch (``ecosim batch``) and puts in one file what the analysis
commands print: a summary in plain sentences built from :func:`ecosim.analysis.compare.compare`,
how to read it, the figures of :mod:`ecosim.viz` that the recorded tables and the design allow
(and which were left out, and why), the comparison tables, the batch's provenance and the
commands that reproduce it. It opens offline: plotly's JavaScript is embedded once and nothing
is fetched. The file is written beside its final name and swapped in, so a failure never leaves
half a report, and the same results give the same bytes.
"""

import html
import math
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ecosim.analysis import AnalysisError, inputs
from ecosim.analysis.compare import DERIVED, LOWER_IS_BETTER, compare, cost_effectiveness, pairs, with_derived
from ecosim.analysis.output import cell
from ecosim.analysis.paired import paired_interval
from ecosim.results import recorded_columns
from ecosim.tables import OUTCOMES
from ecosim.viz.figures import KINDS, LAYERS

LEVEL = 0.95
"""Level of every interval in the report (that of ``ecosim compare`` by default)."""
MAIN_OUTCOME = "share_not_ended_24"
COUNT_OUTCOME = "alive_24"  # the count docs/analysis.md says to quote beside a share
SHOWN_INDICATORS = ("partnerships_active", "learners_placed")
MAX_GROUPS = 12
"""At most this many scenarios x design points (or sweep strategies) get their own sentences and figures."""
SHARE = "share 0-1"
COHORT = "of those, "  # outcomes whose description refers to the cohort alive at the reference month
HEIGHT = 480  # pixels of a figure; more with many strategies, so the legend fits without scrolling


# --------------------------------------------------------------------------- reading the results


def _experiment(results: str | Path) -> dict[str, Any]:
    """The manifest of a finished batch's results folder, or a one-line AnalysisError saying what is wrong."""
    folder = Path(results)
    if not folder.exists():
        raise AnalysisError(f"{results}: expected an experiment's results folder (ecosim batch), found no such folder")
    if not folder.is_dir():
        raise AnalysisError(f"{results}: expected an experiment's results folder (ecosim batch), found a file")
    manifest = inputs.manifest(folder)
    if "parts" not in manifest or "experiment" not in manifest:
        found = "a single run's folder (ecosim run)" if "run_id" in manifest else "another manifest"
        raise AnalysisError(f"{results}: expected an experiment's results folder (ecosim batch), found {found}")
    if not manifest.get("complete"):
        done = sum(len(part.get("runs", ())) for part in manifest["parts"])
        raise AnalysisError(
            f"{results}: expected a complete batch, found {done} of {manifest.get('runs', '?')} runs finished; "
            f"go on with `ecosim batch {manifest.get('file', 'EXPERIMENT')} --resume`"
        )
    return manifest


def _descriptions() -> dict[str, tuple[str, str]]:
    """Outcome key -> (description, unit), the model's outcomes and the derived ones."""
    return {**OUTCOMES, **DERIVED}


def _recorded(manifest: dict[str, Any]) -> list[str]:
    return list((manifest.get("content") or {}).get("record") or [])


def _groups(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """The (scenario, design point) pairs of the runs, in order."""
    return sorted({(str(s), int(p)) for s, p in zip(frame["scenario"], frame["point"], strict=True)})


def _funding_ends(folder: Path, manifest: dict[str, Any], baseline: str) -> dict[tuple[str, int], int]:
    """Per scenario and point: the first month the baseline's funding is below 1 (only when indicators were kept)."""
    if "indicators" not in _recorded(manifest):
        return {}
    frame = inputs.table(folder, "indicators", ["scenario", "point", "strategy", "month", "funding"])
    frame = frame[(frame["strategy"].astype(str) == baseline) & (frame["funding"] < 1)]
    first = frame.groupby(["scenario", "point"])["month"].min()
    return {(str(s), int(p)): int(m) for (s, p), m in first.items()}


@dataclass
class Context:
    """What every part of the report reads: the folder, its manifest and runs, and the choices asked for."""

    folder: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    baseline: str
    outcome: str
    comparison: pd.DataFrame
    funding_ends: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def groups(self) -> list[tuple[str, int]]:
        """The (scenario, point) pairs of the runs."""
        return _groups(self.runs)

    def reference_month(self, group: tuple[str, int]) -> int | None:
        """The reference month of the outcomes in one scenario and point (None if the runs do not say)."""
        rows = self.runs[(self.runs["scenario"] == group[0]) & (self.runs["point"] == group[1])]
        months = rows["reference_month"].dropna().unique() if "reference_month" in rows else []
        return int(months[0]) if len(months) else None

    def label(self, group: tuple[str, int]) -> str:
        """The scenario and point as words, naming only what varies in the experiment."""
        parts = []
        if len({s for s, _ in self.groups}) > 1:
            parts.append(group[0])
        if len({p for _, p in self.groups}) > 1:
            points = (self.manifest.get("design") or {}).get("points") or []
            values = points[group[1]] if group[1] < len(points) else {}
            design = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
            parts.append(f"design point {group[1]}" + (f" ({design})" if design else ""))
        return ", ".join(parts)


def _context(results: str | Path, baseline: str, outcome: str) -> Context:
    folder = Path(results)
    manifest = _experiment(folder)
    main = [outcome] + ([COUNT_OUTCOME] if outcome != COUNT_OUTCOME else [])
    runs = with_derived(inputs.runs(folder))
    main = [name for name in main if name == outcome or name in runs]
    comparison = compare(folder, baseline, main, LEVEL)
    return Context(folder, manifest, runs, baseline, outcome, comparison, _funding_ends(folder, manifest, baseline))


# --------------------------------------------------------------------------- the summary in sentences


def _decimals(width: float, value: float) -> int:
    """Decimals that resolve an interval of `width` (to its half-width); without one, 3 significant digits."""
    if math.isfinite(width) and width > 0:
        return min(4, max(0, -math.floor(math.log10(width / 2))))
    if math.isfinite(value) and value != 0:
        return min(4, max(0, 2 - math.floor(math.log10(abs(value)))))
    return 0


def _width(interval: tuple[float, float, float], unit: str) -> tuple[float, float]:
    """(width, mean) of an interval as shown, for :func:`_decimals`."""
    mean, low, high = _scaled(interval, unit)
    return high - low, mean


def _number(value: float, decimals: int, sign: bool = False) -> str:
    value = round(value, decimals) + 0.0  # no "-0"
    return f"{value:{'+' if sign else ''},.{decimals}f}"


def _scaled(interval: tuple[float, float, float], unit: str) -> tuple[float, float, float]:
    """(mean, low, high) as shown: shares in percent (points), other units as they are."""
    scale = 100.0 if unit == SHARE else 1.0
    return interval[0] * scale, interval[1] * scale, interval[2] * scale


def _level_text(interval: tuple[float, float, float], unit: str, d: int) -> str:
    """A mean with its interval, '88% (85–91)' for shares, '10.6 (9.8–11.4) partnerships' otherwise."""
    mean, low, high = _scaled(interval, unit)
    value = f"{_number(mean, d)}%" if unit == SHARE else f"{_number(mean, d)} {unit}"
    if math.isnan(low) or _number(low, d) == _number(high, d):
        return value
    if unit == SHARE:  # a share lies in 0-100%, and so does its interval
        return f"{value} ({_number(max(low, 0.0), d)}–{_number(min(high, 100.0), d)})"
    return f"{_number(mean, d)} ({_number(low, d)}–{_number(high, d)}) {unit}"


def _effect_text(interval: tuple[float, float, float], unit: str, d: int) -> tuple[str, str]:
    """The paired difference with its interval, and what the interval says ('' for a clear effect)."""
    mean, low, high = _scaled(interval, unit)
    shown = _number(mean, d, True)
    name = unit if unit != SHARE else "percentage point" if shown in ("+1", "-1") else "percentage points"
    if math.isnan(low):
        return f"{shown} {name}", "; too few seeds for an interval"
    text = f"{shown} {name} ({_number(low, d)} to {_number(high, d)})"
    if low == high == mean == 0:
        return text, "; the same in every seed: no effect"
    if low <= 0 <= high:
        return text, "; the interval includes zero: no clear effect"
    return text, ""


def _subject(outcome: str, reference: str) -> tuple[str, str]:
    """How a sentence names the outcome: (text before the strategy's value, text after it)."""
    description, unit = _descriptions()[outcome]
    description = description.replace("the reference month", reference)
    if description.startswith(COHORT) and unit == SHARE:
        cohort = OUTCOMES["alive_at_reference"][0].replace("the reference month", reference)
        rest = description.removeprefix(COHORT).removeprefix("share ")
        return "", f" of the {cohort} are {rest}"
    if unit == SHARE:
        return f"the {description} is ", ""
    return f"{description}: ", ""


def _meaning(outcome: str) -> str:
    """What the outcome is, in words that stand alone (the cohort named where the description says 'of those')."""
    description, unit = _descriptions()[outcome]
    if description.startswith(COHORT):
        cohort = OUTCOMES["alive_at_reference"][0]
        description = f"of the {cohort}, the {description.removeprefix(COHORT)}"
    return f"{description}, {unit}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _baseline_words(baseline: str) -> str:
    return "without a strategy" if baseline == "none" else f"under {baseline}"


def _sentences(context: Context, group: tuple[str, int]) -> list[str]:
    """The lead sentence and one sentence per strategy, best effect first, for one scenario and point."""
    outcome, baseline = context.outcome, context.baseline
    unit = _descriptions()[outcome][1]
    rows = context.comparison
    rows = rows[(rows["outcome"] == outcome) & (rows["scenario"] == group[0]) & (rows["point"] == group[1])]
    rows = rows[rows["strategy"] != baseline]
    prefix = f"{context.label(group)}: " if context.label(group) else ""
    if rows.empty:
        return [f"{prefix}The experiment ran only {baseline}: there is no strategy to compare with it."]
    month = context.reference_month(group)
    reference = "the reference month"
    if month is not None and context.funding_ends.get(group) == month:
        reference = f"the reference month (month {month}, the funding end)"
    elif month is not None:
        reference = f"the reference month (month {month})"
    before, after = _subject(outcome, reference)
    lower = outcome in LOWER_IS_BETTER
    rows = rows.sort_values(["difference", "strategy"], ascending=[lower, True], na_position="last")
    clear = rows[(rows["t_low"] > 0) | (rows["t_high"] < 0)]
    better = int(((clear["difference"] < 0) if lower else (clear["difference"] > 0)).sum())
    compared = "no strategy" if baseline == "none" else baseline
    unclear = len(rows) - len(clear)
    lead = (
        f"{prefix}{_count(len(rows), 'strategy was', 'strategies were')} compared with {compared} on {outcome} "
        f"({unit}): {_count(len(clear), 'has', 'have')} a clear effect (the {LEVEL:.0%} interval of the paired "
        f"difference excludes zero), {better} for the better and {len(clear) - better} for the worse; "
        f"{_count(unclear, 'has', 'have')} no clear effect."
    )
    sentences = [lead]
    frame = context.runs[(context.runs["scenario"] == group[0]) & (context.runs["point"] == group[1])]
    for row in rows.itertuples(index=False):
        both = pairs(frame, row.strategy, baseline, outcome).dropna(subset=["a", "b"])
        if both.empty:
            sentences.append(f"{prefix}Under {row.strategy}, {outcome} was not measured: the runs are too short.")
            continue
        strategy = paired_interval(both["b"].to_numpy(float), LEVEL)  # t interval of each arm's own mean
        reference_arm = paired_interval(both["a"].to_numpy(float), LEVEL)
        effect = (row.difference, row.t_low, row.t_high)
        d = max(_decimals(*_width(x, unit)) for x in (strategy, reference_arm, effect))
        text, verdict = _effect_text(effect, unit, d)
        sentences.append(
            f"{prefix}Under {row.strategy}, {before}{_level_text(strategy, unit, d)}{after}, "
            f"against {_level_text(reference_arm, unit, d)} {_baseline_words(baseline)}: "
            f"{text}, paired over {row.pairs} seeds{verdict}."
        )
    return sentences


def _summary(context: Context) -> list[str]:
    groups = context.groups
    sentences = [s for group in groups[:MAX_GROUPS] for s in _sentences(context, group)]
    if len(groups) > MAX_GROUPS:
        sentences.append(
            f"{len(groups) - MAX_GROUPS} more scenarios and design points are left out here; "
            "their paired effects are in the comparison table."
        )
    return sentences


def summary(results: str | Path, baseline: str = "none", outcome: str = MAIN_OUTCOME) -> list[str]:
    """The summary for the programme team: per strategy, its mean and its paired effect on `outcome`, in words.

    Every number comes from :func:`ecosim.analysis.compare.compare` (the mean and paired
    difference with its Student-t interval) and the same pairs of runs (the t interval of each
    arm's mean); strategies are sorted by effect, best first. The outcome's description and
    unit decide the words, so the sentence says what the outcome measures.
    """
    return _summary(_context(results, baseline, outcome))


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One figure of the report: its heading, what it shows, and the plotly figure."""

    title: str
    caption: str
    figure: Any


@dataclass
class Figures:
    """The figures drawn, and those left out with the reason."""

    drawn: list[Figure] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _in(frame: pd.DataFrame, group: tuple[str, int]) -> pd.DataFrame:
    return frame[(frame["scenario"].astype(str) == group[0]) & (frame["point"] == group[1])]


def _heading(context: Context, what: str, group: tuple[str, int]) -> str:
    label = context.label(group)
    return f"{what}, {label}" if label else what


def _capped(context: Context, figures: Figures, what: str) -> list[tuple[str, int]]:
    groups = context.groups
    if len(groups) > MAX_GROUPS:
        figures.skipped.append(
            (what, f"drawn for the first {MAX_GROUPS} of {len(groups)} scenarios and design points only")
        )
    return groups[:MAX_GROUPS]


def _forests(context: Context, figures: Figures) -> None:
    from ecosim.viz import forest

    for outcome in context.comparison["outcome"].unique():
        what = f"Paired effects on {outcome}"
        if set(context.comparison["strategy"]) == {context.baseline}:
            figures.skipped.append((what, f"the experiment ran only {context.baseline}: no strategy to compare"))
            continue
        for group in _capped(context, figures, what):
            rows = _in(context.comparison, group)
            figures.drawn.append(
                Figure(
                    _heading(context, what, group),
                    f"{outcome} ({_meaning(outcome)}): each strategy's mean difference from "
                    f"{context.baseline}, paired seed by seed, with its {LEVEL:.0%} Student-t interval. An interval "
                    "that does not cross the zero line is an effect the seeds agree on.",
                    forest(rows, outcome),
                )
            )


def _survival(context: Context, figures: Figures) -> None:
    from ecosim.analysis.survival import read_lifetimes
    from ecosim.viz import km_table, survival

    what = "Kaplan-Meier survival per strategy"
    if "partnerships" not in _recorded(context.manifest):
        figures.skipped.append((what, 'the partnerships table was not recorded (record = ["partnerships"])'))
        return
    lifetimes = read_lifetimes(context.folder, "reference")
    for group in _capped(context, figures, what):
        rows = _in(lifetimes, group) if len(lifetimes) else lifetimes
        if rows.empty:
            figures.skipped.append(
                (_heading(context, what, group), "no partnership is followed after the reference month")
            )
            continue
        figures.drawn.append(
            Figure(
                _heading(context, what, group),
                "Share of the partnerships alive at the reference month that have not ended, by months since it, "
                "pooled over the seeds, with pointwise intervals. The bands treat partnerships as independent, so "
                "they are too narrow; the paired intervals above account for the seeds.",
                survival(km_table(rows, LEVEL), "reference"),
            )
        )


def _learners(context: Context, figures: Figures) -> None:
    from ecosim.viz import learners, learning

    what = "Learners by cohort"
    if "learners" not in _recorded(context.manifest):
        figures.skipped.append((what, 'the learners table was not recorded (record = ["learners"])'))
        return
    columns = ["run", "scenario", "point", "strategy", "enrolled", "hard_to_reach", "months_placed", "competence",
               "breadth"]
    table = inputs.table(context.folder, "learners", columns)
    table["strategy"] = table["strategy"].astype(str)
    for group in _capped(context, figures, what):
        rows = _in(table, group)
        figures.drawn.append(
            Figure(
                _heading(context, "placements of hard-to-reach learners and others", group),
                "Share of the learners of each cohort (month of enrolment) ever placed, hard-to-reach learners "
                "hatched, median of the runs with the 90% range; only the cohorts still enrolled at the end of "
                "the run are in the learners table.",
                learners(rows),
            )
        )
        figures.drawn.append(
            Figure(
                _heading(context, "learning by cohort", group),
                "Mean competence (the model's own units) and workplaces joined by the placed learners of each "
                "cohort, median of the runs with the 90% range.",
                learning(rows),
            )
        )


def _indicators(context: Context, figures: Figures) -> None:
    from ecosim.tables import INDICATOR_COLUMNS
    from ecosim.viz import indicators, support_layers

    what = "Indicators over the months per strategy"
    if "indicators" not in _recorded(context.manifest):
        figures.skipped.append((what, 'the indicators table was not recorded (record = ["indicators"])'))
        return
    support = [f"{layer}{suffix}" for layer in LAYERS for suffix in ("", *(f"_{kinds}" for kinds in KINDS))]
    layers = [c for c in support if c in recorded_columns(context.folder, "indicators")]
    split = any(c.endswith(f"_{KINDS[0]}") for c in layers)  # results from before the split pool the two
    columns = ["run", "scenario", "point", "strategy", "month", *SHOWN_INDICATORS, *layers]
    frame = inputs.table(context.folder, "indicators", columns)
    frame["strategy"] = frame["strategy"].astype(str)
    for group in _capped(context, figures, what):
        rows = _in(frame, group)
        end = context.funding_ends.get(group)
        mark = end if end is not None else context.reference_month(group) or 0
        line = (
            f"the dashed line marks the funding end of {context.baseline} (month {end}); a strategy that changes "
            "the funding ends it elsewhere"
            if end is not None
            else f"funding did not end within the run; the dashed line marks the reference month ({mark})"
        )
        for name in SHOWN_INDICATORS:
            fig = indicators(rows, name, mark)
            if end is None:
                fig.layout.annotations[0].text = "reference month"
            figures.drawn.append(
                Figure(
                    _heading(context, f"{name.replace('_', ' ')} over the months", group),
                    f"{INDICATOR_COLUMNS[name].description} ({INDICATOR_COLUMNS[name].unit}): per strategy the "
                    "median of the runs, with the bands holding the middle 50% and 90% of the runs (how much the "
                    f"seeds differ, not the uncertainty of a mean); {line}.",
                    fig,
                )
            )
        figures.drawn.append(
            Figure(
                _heading(context, "support per layer over the months", group),
                "Mean support of the board, the leaders and the floor over the "
                + ("schools (top) and the companies (bottom)" if split else "schools and companies together")
                + f" with a live partnership, median of the runs per strategy; {line}.",
                support_layers(rows, mark),
            )
        )


def _sweep(context: Context, figures: Figures) -> None:
    from ecosim.viz import sweep_heatmap

    what = "Sweep heat map"
    swept = list((context.manifest.get("design") or {}).get("sweep") or {})
    if len(swept) < 2:
        found = f"sweeps {len(swept)} parameter ({swept[0]})" if swept else "has no [sweep]"
        figures.skipped.append((what, f"a heat map needs a sweep over two parameters; the design {found}"))
        return
    x, y = swept[:2]
    design = [c.removeprefix("design_") for c in context.runs if c.startswith("design_")]
    others = [name for name in design if name not in (x, y)]
    cells = sorted({(str(s), str(t)) for s, t in zip(context.runs["scenario"], context.runs["strategy"], strict=True)})
    scenarios = {scenario for scenario, _ in cells}
    if len(cells) > MAX_GROUPS:
        figures.skipped.append((what, f"drawn for the first {MAX_GROUPS} of {len(cells)} scenarios and strategies"))
    for scenario, strategy in cells[:MAX_GROUPS]:
        rows = context.runs[(context.runs["scenario"] == scenario) & (context.runs["strategy"] == strategy)]
        averaged = f" and over the other design parameters ({', '.join(others)})" if others else ""
        figures.drawn.append(
            Figure(
                f"{context.outcome} over {x} and {y}, {strategy}" + (f", {scenario}" if len(scenarios) > 1 else ""),
                f"The mean of {context.outcome} over the replications{averaged} at each grid point.",
                sweep_heatmap(rows, x, y, context.outcome),
            )
        )


def _sobol(context: Context, figures: Figures) -> None:
    from ecosim.analysis.sensitivity import sensitivity
    from ecosim.viz import sobol_bars

    what = "Sobol' indices"
    sample = (context.manifest.get("design") or {}).get("sample") or {}
    if sample.get("method") != "saltelli":
        found = f"a {sample['method']} sample" if sample.get("method") else "no [sample]"
        figures.skipped.append((what, f"Sobol' indices need a Saltelli sample; the design has {found}"))
        return
    try:
        indices = sensitivity(context.folder, [context.outcome], LEVEL)
    except AnalysisError as exc:
        figures.skipped.append((what, str(exc)))
        return
    for group, rows in list(indices.groupby("group", sort=False))[:MAX_GROUPS]:
        figures.drawn.append(
            Figure(
                f"Sobol' indices of {context.outcome}" + (f", {group}" if group else ""),
                f"First-order (S1) and total (ST) Sobol' indices with their {LEVEL:.0%} bootstrap intervals: the "
                "share of the outcome's variance over the design that each parameter explains alone (S1) and with "
                "its interactions (ST).",
                sobol_bars(rows),
            )
        )


def _figures(context: Context) -> Figures:
    figures = Figures()
    for draw in (_forests, _survival, _indicators, _learners, _sweep, _sobol):
        draw(context, figures)
    return figures


# --------------------------------------------------------------------------- HTML


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(frame: pd.DataFrame, columns: dict[str, str | Callable[[Any], str]], caption: str) -> str:
    """An HTML table of `frame`: header -> column name, or a function of the row giving the cell's text."""
    head = "".join(f"<th>{_e(name)}</th>" for name in columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for source in columns.values():
            text = source(row) if callable(source) else cell(getattr(row, source))
            cells.append(f"<td>{_e(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="data"><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _interval(low: float, high: float) -> str:
    return f"[{cell(float(low))}, {cell(float(high))}]"


def _valued(value: float, low: float, high: float) -> str:
    return f"{cell(float(value))} {_interval(low, high)}"


def _comparison_tables(context: Context) -> list[str]:
    out = []
    for (scenario, point, outcome), rows in context.comparison.groupby(["scenario", "point", "outcome"], sort=False):
        better = "higher" if rows["higher_is_better"].iloc[0] else "lower"
        label = context.label((scenario, point))
        caption = (
            f"{outcome} ({_meaning(outcome)}){', ' + label if label else ''}: each strategy - {context.baseline}, "
            f"paired over {int(rows['pairs'].max())} seeds ({better} is better)"
        )
        pct = f"{LEVEL:.0%}"
        out.append(
            _table(
                rows,
                {
                    "strategy": lambda r: r.strategy + (" (baseline)" if r.strategy == context.baseline else ""),
                    "seeds": "pairs",
                    "mean": "mean",
                    "difference": "difference",
                    f"{pct} t interval": lambda r: _interval(r.t_low, r.t_high),
                    f"{pct} BCa interval": lambda r: _interval(r.bca_low, r.bca_high),
                    "p (Holm)": "p_holm",
                    "CRN variance ratio": "variance_ratio",
                    "runs saved": "runs_saved",
                    "rank": lambda r: cell(float(r.rank)) if r.rank == r.rank else "n/a",
                },
                caption,
            )
        )
    return out


def _cost_table(context: Context) -> str:
    if set(context.comparison["strategy"]) == {context.baseline}:
        return ""
    try:
        costs = cost_effectiveness(context.folder, context.baseline, LEVEL)
    except AnalysisError as exc:
        return f"<p>No cost-effectiveness table: {_e(exc)}.</p>"
    return _table(
        costs,
        {
            "strategy": "strategy",
            "seeds": "pairs",
            "spending (EUR)": "spending",
            "extra spending (EUR)": lambda r: _valued(r.extra_spending, r.extra_spending_low, r.extra_spending_high),
            "extra learner-months per 1,000 EUR": lambda r: _valued(
                r.extra_learner_months_per_1000_eur,
                r.extra_learner_months_per_1000_eur_low,
                r.extra_learner_months_per_1000_eur_high,
            ),
            "extra partnerships alive 24 months after the reference month": "extra_alive_24",
            "per 100,000 EUR": lambda r: _valued(
                r.extra_alive_24_per_100k_eur, r.extra_alive_24_per_100k_eur_low, r.extra_alive_24_per_100k_eur_high
            ),
        },
        f"cost-effectiveness against {context.baseline}: paired extra programme spending over the run and what it "
        f"buys, with {LEVEL:.0%} intervals (t for spending, BCa for the ratios); n/a: the strategy costs no more",
    )


def _provenance(context: Context) -> str:
    m = context.manifest
    content = m.get("content") or {}
    seeds = m.get("seeds") or {}
    first, replications = seeds.get("first_seed"), seeds.get("replications")
    months = sorted({int(v) for v in context.runs["months"].dropna()}) if "months" in context.runs else []
    design = m.get("design") or {}
    sample = design.get("sample") or {}
    shape = []
    if design.get("sweep"):
        shape.append("sweep " + ", ".join(f"{k} = {v}" for k, v in design["sweep"].items()))
    if sample:
        ranges = ", ".join(sample.get("ranges") or {})
        shape.append(f"{sample.get('method')} sample of {sample.get('points')} points over {ranges}")
    revision = m.get("git_revision") or "unknown (not a git checkout)"
    if m.get("git_dirty"):
        revision += " with uncommitted changes (the revision alone does not reproduce it)"
    facts = [
        ("experiment", m.get("experiment")),
        ("description", content.get("description") or ""),
        ("experiment file", m.get("file")),
        ("experiment file hash (SHA-256)", m.get("content_hash")),
        ("scenarios", ", ".join(content.get("scenarios") or [])),
        ("strategies", ", ".join(sorted(context.runs["strategy"].unique()))),
        ("design", "; ".join(shape) or f"one point ({len(design.get('points') or [])} in all)"),
        ("seeds", f"{first} to {first + replications - 1}" if first is not None and replications else "unknown"),
        ("replications", replications),
        ("months", ", ".join(map(str, months)) or "unknown"),
        ("tables recorded", ", ".join(_recorded(m)) or "outcomes only"),
        ("runs", f"{m.get('runs')} ({len(m.get('failed') or {})} failed, left out of every number)"),
        ("code hash", m.get("code_hash")),
        ("code git revision", revision),
        ("batch started (UTC)", m.get("started_utc")),
        ("batch finished (UTC)", m.get("finished_utc")),
    ]
    if m.get("adaptive"):
        facts.append(("adaptive rounds", len((m["adaptive"] or {}).get("rounds") or [])))
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e('' if v is None else v)}</td></tr>" for k, v in facts)
    versions = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in sorted((m.get("versions") or {}).items())
    )
    return (
        f'<table class="facts"><caption>the batch manifest (manifest.json)</caption>{rows}</table>'
        f'<table class="facts"><caption>versions of Python and the main packages</caption>{versions}</table>'
    )


def _commands(context: Context, out: Path) -> list[str]:
    m = context.manifest
    lines = []
    if m.get("git_revision"):
        lines.append(f"git checkout {m['git_revision']}")
    batch = f"ecosim batch {shlex.quote(str(m.get('file')))}"
    if Path(context.folder) != Path("results") / str(m.get("experiment")):
        batch += f" --out {shlex.quote(str(context.folder))}"
    lines.append(batch)
    report = f"ecosim report {shlex.quote(str(context.folder))} --out {shlex.quote(str(out))}"
    if context.baseline != "none":
        report += f" --baseline {shlex.quote(context.baseline)}"
    if context.outcome != MAIN_OUTCOME:
        report += f" --outcome {shlex.quote(context.outcome)}"
    lines.append(report)
    return lines


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.figure { margin: 1em 0; } .caption { color: #444; font-size: 0.95em; margin-top: 0.2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; }
table.data td { text-align: right; } table.data td:first-child { text-align: left; }
table.facts { min-width: 50%; } table.facts th { text-align: left; background: #f4f4f4; font-weight: 600; }
pre { background: #f4f4f4; padding: 0.8em; overflow-x: auto; }
"""


def _reading(baseline: str) -> list[str]:
    """The short 'how to read this': what is paired, what the intervals are, what 'no clear effect' means."""
    return [
        "Replication r of the experiment ran with the same seed under every strategy, and every random draw of the "
        "model is keyed by seed, process, entity and month. So the runs of two strategies with the same seed share "
        "their draws wherever their states agree, and their difference is the strategy's effect on that seed.",
        f"An effect is the mean of these per-seed differences against {baseline}: a paired comparison over the seeds.",
        f"Every interval is a {LEVEL:.0%} interval: a Student-t interval of the mean in the sentences and figures, "
        "with SciPy's BCa bootstrap interval beside it in the tables. An interval that includes zero means the "
        "seeds do not agree on the direction: no clear effect.",
        "A share is written as a percentage (its interval cut at 0% and 100%), its difference in percentage points.",
        "p (Holm) is the paired t test, adjusted over the strategies of one outcome; strategies whose intervals "
        "overlap share a rank (1 is best).",
        "The bands of the indicator figures show how much the runs differ from seed to seed, not the uncertainty "
        "of a mean; those of the survival curves treat partnerships as independent and are too narrow. Click a "
        "strategy in a figure's legend to hide it, double-click to show it alone.",
    ]


def _page(context: Context, out: Path) -> str:
    """The whole report as one HTML document."""
    from plotly.offline import get_plotlyjs

    name = str(context.manifest.get("experiment"))
    figures = _figures(context)
    parts = [
        f"<h1>Experiment {_e(name)}</h1>",
        f"<p>{_e((context.manifest.get('content') or {}).get('description') or '')}</p>",
        "<h2>Summary</h2>",
        "<ul>" + "".join(f"<li>{_e(s)}</li>" for s in _summary(context)) + "</ul>",
        "<h2>How to read this</h2>",
        "<ul>" + "".join(f"<li>{_e(point)}</li>" for point in _reading(context.baseline)) + "</ul>",
        "<h2>Figures</h2>",
    ]
    height = max(HEIGHT, 200 + 32 * context.runs["strategy"].nunique())
    for k, shown in enumerate(figures.drawn):
        div = shown.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"figure-{k + 1}",
            default_height=f"{height}px",
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(
            f"<h3>{_e(shown.title)}</h3>"
            f'<div class="figure" data-figure="{k + 1}">{div}</div><p class="caption">{_e(shown.caption)}</p>'
        )
    if figures.skipped:
        parts.append("<h3>Figures not drawn</h3><ul>")
        parts += [f"<li>{_e(what)}: {_e(why)}.</li>" for what, why in figures.skipped]
        parts.append("</ul>")
    parts.append("<h2>Tables</h2>")
    parts += _comparison_tables(context)
    parts.append(_cost_table(context))
    parts += ["<h2>Provenance</h2>", _provenance(context), "<h2>How to reproduce it</h2>"]
    parts.append(
        "<p>From the folder the batch ran in (paths as the manifest gives them): check out the code, run the "
        "batch, write this report. The same code and experiment file give the same results, and the same results "
        "give the same report. <code>ecosim compare</code> and <code>ecosim survival</code> on the results folder "
        "print every outcome and the survival tests.</p>"
    )
    parts.append("<pre><code>" + "\n".join(_e(line) for line in _commands(context, out)) + "</code></pre>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>ecosim report: {_e(name)}</title>\n<style>{STYLE}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n" + "\n".join(parts) + "\n</body>\n</html>\n"
    )


def write_report(results: str | Path, out: str | Path, *, baseline: str = "none", outcome: str = MAIN_OUTCOME) -> Path:
    """Write the HTML report of a finished batch's results folder to `out` and return its path.

    Everything is computed before anything is written; the file is written beside `out` under
    a temporary name and then renamed over it, so a failure leaves `out` as it was. A mistake
    (no such folder, not a finished batch, a baseline or outcome the results do not have) is an
    AnalysisError in one line.
    """
    out = Path(out)
    if out.is_dir():
        raise AnalysisError(f"--out: expected a file name for the report, found the folder {out}")
    text = _page(_context(results, baseline, outcome), out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return out
