"""The `ecosim` command: the only module that talks to a terminal."""

import json
import math
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ecosim.kernels import ENGINES, Engine
from ecosim.scenario import MAX_SEED, ScenarioError, json_schema, load_scenario
from ecosim.schedule import SCHEDULE
from ecosim.store import ResultsFolderError, check_target

app = typer.Typer(
    help="Simulate school-company learning environments and learning ecosystems.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)

OUTCOME_LABELS = {
    "alive_at_reference": "partnerships alive at the reference month",
    "share_not_ended_24": "share not ended 24 months later",
    "share_active_24": "share active 24 months later",
    "share_not_ended_60": "share not ended 60 months later",
    "share_active_60": "share active 60 months later",
    "learner_months_after_reference": "learner-months placed after the reference month",
    "hard_to_reach_share_of_placed_months": "hard-to-reach share of placed learner-months",
    "cohort_share_placed": "share of a graduating cohort ever placed",
    "graduate_competence": "competence of placed graduates",
    "graduate_breadth": "breadth of placed graduates (workplaces)",
    "ecosystems": "live ecosystems at the end",
    "share_in_ecosystems_of_3_plus": "share of live partnerships in ecosystems of >= 3 organisations",
    "largest_ecosystem": "largest ecosystem (organisations)",
    "programme_spending": "programme spending (EUR)",
    "learner_months_per_1000_eur": "learner-months placed per 1,000 EUR",
    "partnerships_formed": "partnerships in all (starting and recruited)",
}


def fail(message: str) -> None:
    """Print one line for a user mistake and exit with code 2."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _format(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}")
    return f"{value:,}" if isinstance(value, int) else str(value)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")],
    strategy: Annotated[str | None, typer.Option(help="a strategy named in the scenario")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED, help="keyed seed (default: the scenario's)")] = None,
    months: Annotated[int | None, typer.Option(min=1, help="months to run (default: the scenario's horizon)")] = None,
    engine: Annotated[str, typer.Option(help=f"kernel engine: {' or '.join(ENGINES)}")] = "numba",
    out: Annotated[
        Path | None, typer.Option(help="folder for the run's Parquet files (default: results/<scenario>...)")
    ] = None,
) -> None:
    """Run one scenario and print the outcomes (MODEL.md §5)."""
    from ecosim.run import run as run_scenario

    try:
        Engine(engine)  # its own check of the name, before any work
    except ValueError as exc:
        fail(f"--{exc}")
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    try:
        loaded.parameters_for(strategy)
    except ScenarioError as exc:
        fail(f"{scenario}: {exc}")
    total = months or loaded.horizon
    seed_used = loaded.seed if seed is None else seed
    folder = out or Path("results") / f"{loaded.name}{'-' + strategy if strategy else ''}-seed{seed_used}-{total}m"
    try:  # fail before the run, not after it
        folder = check_target(folder)
    except ResultsFolderError as exc:
        fail(f"--out: {exc}")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{loaded.name}{' / ' + strategy if strategy else ''}", total=total)
        result = run_scenario(
            loaded,
            strategy=strategy,
            seed=seed,
            months=months,
            engine=engine,
            on_month=lambda done, _: progress.update(task, completed=done),
        )
    try:
        result.save(folder)
    except (OSError, ResultsFolderError) as exc:
        fail(f"--out: could not write the run to {folder}: {getattr(exc, 'strerror', None) or exc}")
    table = Table(
        title=f"{loaded.name}{' under ' + strategy if strategy else ''}: outcomes (reference month "
        f"{result.outcomes['reference_month']})"
    )
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for key_, label in OUTCOME_LABELS.items():
        table.add_row(label, _format(result.outcomes[key_]))
    console.print(table)
    console.print(f"written: {folder}", highlight=False)


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")]) -> None:
    """Validate a scenario file: exit 0 and a one-line description, or one error line and exit 2."""
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    regions = sum(r.copies for r in loaded.regions)
    console.print(
        f"ok: {scenario}: scenario {loaded.name!r}, {regions} region(s), {loaded.horizon} months, "
        f"{len(loaded.strategies)} strategies ({', '.join(loaded.strategies) or 'none'})",
        highlight=False,
    )


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="write here instead of printing")] = None) -> None:
    """Print (or write) the JSON Schema of scenario files, for editors."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text)
        except OSError as exc:
            fail(f"--out: could not write {out}: {exc.strerror or exc}")
        console.print(f"written: {out}", highlight=False)


@app.command()
def schedule() -> None:
    """Print the monthly schedule: which kernel runs when."""
    table = Table(title="one month of ecosim (MODEL.md §3)")
    for column in ("step", "process", "kernel", "what it computes"):
        table.add_column(column)
    for row in SCHEDULE:
        table.add_row(*row)
    console.print(table)


@app.command()
def validate(
    markdown: Annotated[Path | None, typer.Option(help="also write the table as Markdown to this file")] = None,
    targets: Annotated[
        Path | None, typer.Option(help="calibration targets (default: experiments/calibration-targets.toml)")
    ] = None,
    pattern_replications: Annotated[int | None, typer.Option(min=2, help="paired seeds per pattern")] = None,
    target_replications: Annotated[
        int | None, typer.Option(min=2, help="seeds for the targets (default: the file's)")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="processes for the target replications")] = 2,
) -> None:
    """Run the analytic cases, the nine patterns and the calibration targets; exit 1 if any fails."""
    from ecosim.validation import patterns
    from ecosim.validation.report import analytic_checks, pattern_checks, to_markdown
    from ecosim.validation.targets import TargetsError, check_targets

    if markdown is not None and not markdown.resolve().parent.is_dir():
        fail(f"--markdown: expected a file in an existing folder, found no folder {markdown.resolve().parent}")
    with console.status("analytic special cases (MODEL.md §7)"):
        checks = analytic_checks()
    with console.status("patterns P1-P9 (paired replications)"):
        checks += pattern_checks(pattern_replications or patterns.REPLICATIONS)
    with console.status("calibration targets on the baseline"):
        try:
            checks += check_targets(targets, replications=target_replications, workers=workers)
        except TargetsError as exc:
            fail(str(exc))
    table = Table(title="ecosim validate")
    for column in ("group", "check", "expected", "measured", "interval", "result"):
        table.add_column(column, overflow="fold")
    for c in checks:
        table.add_row(
            c.group,
            c.name,
            c.expected,
            f"{c.measured:.4g}",
            f"[{c.low:.4g}, {c.high:.4g}]",
            "[green]pass[/]" if c.passed else "[bold red]FAIL[/]",
        )
    console.print(table)
    failed = [c.name for c in checks if not c.passed]
    console.print(
        f"{len(checks) - len(failed)} of {len(checks)} checks pass"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    if markdown is not None:
        try:
            markdown.write_text(to_markdown(checks))
        except OSError as exc:
            fail(f"--markdown: could not write {markdown}: {exc.strerror or exc}")
        console.print(f"written: {markdown}", highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def calibrate(
    targets: Annotated[
        Path | None, typer.Option(help="calibration targets (default: experiments/calibration-targets.toml)")
    ] = None,
    scenario: Annotated[Path | None, typer.Option(help="scenario to calibrate (default: the targets file's)")] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="Latin hypercube points (default: the file's)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="processes")] = 2,
) -> None:
    """Search the targets file's parameter ranges (Latin hypercube, then Nelder-Mead) and print the best values."""
    from ecosim.validation.calibrate import calibrate as search
    from ecosim.validation.calibrate import report
    from ecosim.validation.targets import TargetsError

    try:
        result = search(targets, scenario, samples=samples, workers=workers, progress=lambda line: console.print(line))
    except (TargetsError, ScenarioError) as exc:
        fail(str(exc))
    console.print(report(result), highlight=False)
    console.print("[parameters] lines for the scenario file:")
    for line in result.toml_lines(f"{time.strftime('%Y-%m-%d')}, ecosim calibrate"):
        console.print(line, highlight=False, markup=False)
