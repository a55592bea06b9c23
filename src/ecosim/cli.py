"""The `ecosim` command: the only module that talks to a terminal.

Output that is piped or captured is never hard-wrapped (a line stays one line, whatever
the terminal width or the length of a path), and every user mistake, in a scenario file
or in an option, is one line ``error: ...`` with exit code 2.
"""

import json
import math
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from typer import _click
from typer.core import TyperGroup

from ecosim.invariants import InvariantError
from ecosim.kernels import ENGINES, Engine
from ecosim.scenario import MAX_SEED, Scenario, ScenarioError, json_schema, load_scenario
from ecosim.schedule import SCHEDULE
from ecosim.spec import RunSpec
from ecosim.store import MANIFEST, ResultsFolderError, check_target, reserve, save_run
from ecosim.tables import OUTCOMES, outcomes_table

UNWRAPPED = 100_000  # console width when output is not a terminal: nothing is wrapped


def console(stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr) that hard-wraps nothing unless it is a terminal."""
    file = sys.stderr if stderr else sys.stdout
    out = Console(file=file, soft_wrap=True, highlight=False)
    if not out.is_terminal:
        out = Console(file=file, soft_wrap=True, highlight=False, width=UNWRAPPED)
    return out


def fail(message: str) -> None:
    """Print one line for a user mistake and exit with code 2."""
    console(stderr=True).print(f"[bold red]error:[/] {escape(' '.join(message.split()))}")
    raise typer.Exit(2)


def usage_line(exc: _click.exceptions.UsageError) -> str:
    """A click usage error (bad option value, unknown option, missing argument) as one 'error:' line."""
    text = " ".join(exc.format_message().split())
    param = getattr(exc, "param", None)
    if param is not None:
        where = "/".join(param.opts) if param.param_type_name == "option" else param.name
        if isinstance(exc, _click.exceptions.MissingParameter):
            text = f"{where}: expected a value, found nothing (it is required)"
        elif isinstance(exc, _click.exceptions.BadParameter):
            cause = exc.__cause__
            errors = cause.errors() if isinstance(cause, ValidationError) else []
            if errors:
                expected = errors[0]["msg"].removeprefix("Input should be ")
                if expected.startswith(("greater", "less")):
                    expected = f"a value {expected}"
                text = f"{where}: expected {expected}, found {errors[0]['input']!r}"
            else:
                text = f"{where}: {exc.message}"
    command = " ".join(["ecosim", *(exc.ctx.command_path.split()[1:] if exc.ctx is not None else [])])
    return f"{text} (see '{command} --help')"


INTERRUPTED = 130  # the shell's code for a program stopped by Ctrl-C
REPORTED: list[str] = []  # a command that said itself what an interruption kept (batch) adds a line here


class OneLineErrors(TyperGroup):
    """The ecosim command group: click's usage errors become one line, as scenario errors are."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: D102
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click.exceptions.UsageError as exc:
            console(stderr=True).print(f"[bold red]error:[/] {escape(usage_line(exc))}")
            code = 2
        except typer.exceptions.Abort:  # end of input at a prompt
            code = INTERRUPTED
        if code == INTERRUPTED and not REPORTED:  # typer turns Ctrl-C into 130; a folder appears whole or not at all
            console(stderr=True).print("interrupted: nothing was written")
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    help="Simulate school-company learning environments and learning ecosystems (model reference: docs/ODD.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich's boxes truncate words in a narrow terminal or a log
    context_settings={"max_content_width": 100},
)

# outcome -> (label, unit); the label says what the number is so that an analyst can quote it


def _format(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}")
    return f"{value:,}" if isinstance(value, int) else str(value)


def _plain(value: Any) -> Any:
    """A JSON/CSV value: NumPy scalars as Python numbers, NaN as None."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


AllowExtends = Annotated[
    list[Path] | None,
    typer.Option(
        "--allow-extends",
        help="a folder outside the scenario's own tree that `extends` may read (repeatable)",
    ),
]


def _load(path: Path, allowed: list[Path] | None = None) -> Scenario:
    try:
        return load_scenario(path, tuple(allowed or ()))
    except ScenarioError as exc:
        fail(str(exc))


def _reference_note(scenario: Scenario, ref: int) -> str:
    if scenario.reference_month is None:
        return f"reference month {ref} = the funding end without strategies"
    return f"reference month {ref}, set in the scenario"


def _check_out(folder: Path, planned: dict[str, Any], overwrite: bool) -> Path:
    """The results folder, refused before the run if it holds another run and --overwrite is not given."""
    try:
        folder = check_target(folder)
    except ResultsFolderError as exc:
        fail(f"--out: {exc}")
    manifest = folder / MANIFEST
    if manifest.is_file() and not overwrite:
        try:
            earlier = json.loads(manifest.read_text())
        except (OSError, ValueError):
            earlier = {}
        if {k: earlier.get(k) for k in planned} != planned:
            fail(
                f"--out: {folder} holds another run ({earlier.get('scenario')}, strategy "
                f"{earlier.get('strategy') or 'none'}, seed {earlier.get('seed')}, {earlier.get('months')} months); "
                "choose another --out or pass --overwrite to replace it"
            )
    return folder


@contextmanager
def stage(out: Console, text: str, usual: str) -> Iterator[None]:
    """Show what runs now: a spinner in a terminal, a start and an end line (with the time taken) in a log."""
    started = time.perf_counter()
    if out.is_terminal:
        with out.status(f"{text} (usually {usual})"):
            yield
    else:
        out.print(f"{text} (usually {usual}) ...")
        yield
    out.print(f"{text}: done in {time.perf_counter() - started:.0f} s")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")],
    strategy: Annotated[
        str | None, typer.Option(help="a strategy named in the scenario (`ecosim strategies SCENARIO` lists them)")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED, help="keyed seed (default: the scenario's)")] = None,
    months: Annotated[int | None, typer.Option(min=1, help="months to run (default: the scenario's horizon)")] = None,
    engine: Annotated[str, typer.Option(help=f"kernel engine: {' or '.join(ENGINES)}")] = "numba",
    out: Annotated[
        Path | None, typer.Option(help="folder for the run's Parquet files (default: results/<scenario>...)")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="replace a different earlier run in --out")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcomes as JSON on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print the outcomes as CSV on stdout")] = False,
    allow_extends: AllowExtends = None,
    check_invariants: Annotated[
        bool, typer.Option("--check-invariants", help="check the world's invariants after every month (slower)")
    ] = False,
) -> None:
    """Run one scenario, write its tables and print its outcomes (docs/ODD.md §7.8)."""
    from ecosim.compile_cache import is_warm
    from ecosim.runner import run as run_scenario

    if as_json and as_csv:
        fail("--json, --csv: expected at most one output format, found both")
    try:
        Engine(engine)  # its own check of the name, before any work
    except ValueError as exc:
        fail(f"--{exc}")
    loaded = _load(scenario, allow_extends)
    try:
        spec = RunSpec.of(loaded, strategy, seed, months=months, engine=engine)
    except ScenarioError as exc:
        fail(f"{scenario}: {exc}")
    total, seed_used = spec.months, spec.seed
    folder = out or Path("results") / f"{loaded.name}{'-' + strategy if strategy else ''}-seed{seed_used}-{total}m"
    folder = _check_out(folder, {"run_id": spec.run_id, "strategy": strategy}, overwrite)
    report = console(stderr=as_json or as_csv)
    with ExitStack() as held:
        try:
            held.enter_context(reserve(folder))  # one writer at a time, from before the run until the files are in
        except ResultsFolderError as exc:
            fail(f"--out: {exc}")
        if engine == "numba" and not is_warm():
            report.print("first run on this machine: compiling the kernels (1-2 minutes, once; later runs start fast)")
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("months"),
            TimeElapsedColumn(),
            console=console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task(f"{loaded.name}{' / ' + strategy if strategy else ''}", total=total)
            try:
                result = run_scenario(
                    spec,
                    on_month=lambda done, _: progress.update(task, completed=done),
                    check_invariants=check_invariants or None,
                )
            except InvariantError as exc:
                bug = escape(str(exc))
                console(stderr=True).print(f"error: ecosim broke an invariant (a bug, please report it): {bug}")
                raise typer.Exit(3) from None
        try:
            save_run(result, folder)
        except (OSError, ResultsFolderError) as exc:
            fail(f"--out: could not write the run to {folder}: {getattr(exc, 'strerror', None) or exc}")
    outcomes = result.outcomes
    recruits = int((result.events["event"] == "formed").sum())
    if as_json:
        record = {
            "scenario": loaded.name,
            "strategy": strategy,
            "seed": seed_used,
            "months": total,
            "run_id": result.run_id,
            "folder": str(folder),
            "outcomes": {k: _plain(outcomes[k]) for k in OUTCOMES},
            "units": {k: unit for k, (_, unit) in OUTCOMES.items()},
        }
        typer.echo(json.dumps(record, indent=2))
    elif as_csv:
        sys.stdout.write(outcomes_table(outcomes).to_csv(index=False, lineterminator="\n"))
    else:
        ref = outcomes["reference_month"]
        table = Table(
            title=f"{loaded.name}, strategy {strategy or 'none'}, seed {seed_used}, {total} months: "
            f"outcomes of one run ({_reference_note(loaded, ref)})"
        )
        for column in ("outcome", "value", "unit"):
            table.add_column(column, justify="right" if column == "value" else "left")
        for key_, (label, unit) in OUTCOMES.items():
            if key_ == "partnerships_formed":
                label = f"{label}: {outcomes[key_] - recruits} starting, {recruits} recruited"
            table.add_row(label, _format(outcomes[key_]), unit)
        report.print(table)
        report.print(
            f"One run is one draw of a random process (seed {seed_used}). Compare strategies on the same seed "
            f"(add --seed {seed_used} to both runs): the draws are shared, so the difference is the strategy's; "
            "repeat over many seeds before quoting a difference."
        )
    report.print(f"written: {folder}")


@app.command()
def check(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")], allow_extends: AllowExtends = None
) -> None:
    """Validate a scenario file: exit 0 and a one-line description, or one error line and exit 2."""
    loaded = _load(scenario, allow_extends)
    regions = sum(r.copies for r in loaded.regions)
    console().print(
        f"ok: {scenario}: scenario {loaded.name!r}, {regions} region(s), {loaded.horizon} months, "
        f"{len(loaded.strategies)} strategies ({', '.join(loaded.strategies) or 'none'})"
    )


@app.command()
def strategies(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")], allow_extends: AllowExtends = None
) -> None:
    """List the strategies a scenario names: what each changes and where it comes from."""
    loaded = _load(scenario, allow_extends)
    table = Table(title=f"strategies of {loaded.name} ({scenario})")
    for column in ("strategy", "parameters it sets", "what it stands for", "seed text"):
        table.add_column(column)
    for name, s in loaded.strategies.items():
        table.add_row(name, ", ".join(f"{k} = {v}" for k, v in s.set.items()), s.description, s.seed_text)
    console().print(table if loaded.strategies else f"{scenario}: no strategies")


@app.command()
def new(path: Annotated[Path, typer.Argument(help="the scenario file to create (TOML)")]) -> None:
    """Write a commented example scenario to start a region of your own from."""
    from ecosim.template import scenario_template

    if path.exists():
        fail(f"{path}: expected a new file, found one already there (nothing was changed)")
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "my-region"
    try:
        path.write_text(scenario_template(name), encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: could not write the file: {exc.strerror or exc}")
    console().print(f"written: {path} (check it with `ecosim check {path}`, run it with `ecosim run {path}`)")


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option(help="write here instead of printing")] = None,
    experiment: Annotated[bool, typer.Option("--experiment", help="the schema of experiment files instead")] = False,
) -> None:
    """Print (or write) the JSON Schema of scenario files (or experiment files), for editors."""
    from ecosim.experiment import json_schema as experiment_schema

    text = json.dumps(experiment_schema() if experiment else json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text)
        except OSError as exc:
            fail(f"--out: could not write {out}: {exc.strerror or exc}")
        console().print(f"written: {out}")


class RateColumn(ProgressColumn):
    """Runs finished per second, as rich measures it over the last moments."""

    def render(self, task: Task) -> Text:  # noqa: D102
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} runs/s" if speed else "- runs/s")


def _bytes(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB" if size >= 2**20 else f"{size / 2**10:,.0f} KiB"


def _plan(path: Path, allowed: list[Path] | None = None):
    from ecosim.experiment import ExperimentError, plan

    try:
        return plan(path, tuple(allowed or ()))
    except ExperimentError as exc:
        fail(str(exc))


@app.command("plan")
def plan_command(
    experiment: Annotated[Path, typer.Argument(help="experiment file (TOML)")],
    workers: Annotated[
        int | None, typer.Option(min=1, help="workers the estimate assumes (default: the cores)")
    ] = None,
    allow_extends: AllowExtends = None,
) -> None:
    """Show what an experiment would run: the run count, an estimate of time and disk, the first runs."""
    import tempfile

    from ecosim.runner import run as run_one

    planned = _plan(experiment, allow_extends)
    out = console()
    e = planned.experiment
    strategies = sorted({r.strategy for r in planned.runs})
    out.print(
        f"{e.name}: {len(planned.runs):,} runs = {len(planned.scenarios)} scenario(s) x strategies "
        f"({', '.join(strategies)}) x {len(planned.points)} design point(s) x {e.replications} replications "
        f"(seeds {e.first_seed}..{e.first_seed + e.replications - 1}, the same under every strategy and point)"
    )
    seconds = size = 0.0
    for scenario in planned.scenarios:  # a pilot run of each scenario, as the batch will run it
        pilot = next(r for r in planned.runs if r.scenario == scenario.name)
        started = time.perf_counter()
        result = run_one(pilot.spec, check_invariants=False)
        took = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            written = save_run(result, Path(folder) / "pilot")
            bytes_ = sum(p.stat().st_size for p in written.iterdir())
        share = sum(r.scenario == scenario.name for r in planned.runs)
        seconds += took * share
        size += bytes_ * share
    n = workers or os.cpu_count() or 1
    out.print(
        f"estimate from a pilot run of each scenario: {seconds / 60:,.1f} CPU minutes "
        f"(about {seconds / n / 60:,.1f} minutes on {n} workers), about {_bytes(size)} on disk"
    )
    table = Table(title="first runs")
    for column in ("run", "scenario", "strategy", "point", "replication", "seed", "design", "run id"):
        table.add_column(column)
    for index, r in enumerate(planned.runs[:10]):
        design = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.design) or "-"
        cells = (str(index), r.scenario, r.strategy, str(r.point), str(r.replication), str(r.spec.seed), design)
        table.add_row(*cells, r.spec.run_id)
    out.print(table)


@app.command()
def batch(
    experiment: Annotated[Path, typer.Argument(help="experiment file (TOML)")],
    workers: Annotated[
        int | None, typer.Option(min=0, help="local worker processes (default: one per core; 0: in this process)")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler, e.g. tcp://host:8786")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="results folder (default: results/<experiment>)")] = None,
    resume: Annotated[bool, typer.Option(help="go on with the results already in --out, checking them first")] = False,
    allow_extends: AllowExtends = None,
) -> None:
    """Run an experiment's runs in parallel, streaming results to one folder; Ctrl-C keeps finished runs."""
    from ecosim.batch import executor_for, run_batch

    planned = _plan(experiment, allow_extends)
    folder = out or Path("results") / planned.experiment.name
    try:
        folder = check_target(folder)
    except ResultsFolderError as exc:
        fail(f"--out: {exc}")
    report = console()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, {task.fields[failed]} failed"),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(planned.experiment.name, total=len(planned.runs), failed=0)
        try:
            with executor_for(workers, scheduler) as (executor, count):
                summary = run_batch(
                    planned,
                    folder,
                    executor,
                    count,
                    resume,
                    lambda done, failed, _: progress.update(task, completed=done, failed=failed),
                )
        except ResultsFolderError as exc:
            fail(f"--out: {exc}")
        except OSError as exc:
            fail(f"--scheduler: could not reach {scheduler}: {exc}" if scheduler else f"--out: {exc}")
    report.print(
        f"{summary.planned:,} runs planned: {summary.kept:,} were already in {folder}, {summary.ran:,} ran now, "
        f"{summary.failed:,} failed"
    )
    if summary.interrupted:
        report.print("interrupted: the finished runs are kept; add --resume to go on")
        REPORTED.append("batch")
        raise typer.Exit(INTERRUPTED)
    report.print(f"written: {folder}")
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def schedule() -> None:
    """Print the monthly schedule: which kernel runs when (docs/ODD.md §3)."""
    table = Table(title="one month of ecosim (docs/ODD.md §3)")
    for column in ("step", "process", "kernel", "what it computes"):
        table.add_column(column)
    for step in SCHEDULE:
        table.add_row(step.number, step.process, step.kernel, step.what)
    console().print(table)


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
    scales: Annotated[
        bool, typer.Option(help="also measure the targets on every scale of the targets file (generated, national)")
    ] = True,
) -> None:
    """Run the analytic cases, the nine patterns, the credibility checks and the calibration targets.

    Exits 1 if any fails. Takes about 3 minutes on an idle 2-core machine (longer on a busy one),
    and about 4 more for the scales; each stage says when it starts and ends.
    """
    from ecosim.validation import credibility, patterns
    from ecosim.validation.report import analytic_checks, pattern_checks, to_markdown
    from ecosim.validation.targets import TargetsError, check_targets

    if markdown is not None and not markdown.resolve().parent.is_dir():
        fail(f"--markdown: expected a file in an existing folder, found no folder {markdown.resolve().parent}")
    out = console()
    with stage(out, "analytic special cases (docs/ODD.md §7.9)", "20 s"):
        checks = analytic_checks()
    with stage(out, "patterns P1-P9 (paired replications)", "40 s"):
        checks += pattern_checks(pattern_replications or patterns.REPLICATIONS)
    with stage(out, "credibility checks (paired strategies, ownership, funded endings)", "1 min on 2 workers"):
        checks += credibility.checks(workers=workers)
    where = "the baseline and every scale" if scales else "the baseline"
    with stage(out, f"calibration targets on {where}", "4 min on 2 workers" if scales else "30 s on 2 workers"):
        try:
            checks += check_targets(targets, replications=target_replications, workers=workers, scales=scales)
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
    out.print(table)
    failed = [c.name for c in checks if not c.passed]
    out.print(
        f"{len(checks) - len(failed)} of {len(checks)} checks pass"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    if markdown is not None:
        try:
            markdown.write_text(to_markdown(checks))
        except OSError as exc:
            fail(f"--markdown: could not write {markdown}: {exc.strerror or exc}")
        out.print(f"written: {markdown}")
    if failed:
        raise typer.Exit(1)


def _start_point(text: str, names: list[str]) -> dict[str, float]:
    """--start NAME=VALUE,...: every searched parameter once, as a number."""
    point = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        try:
            point[name.strip()] = float(value)
        except ValueError:
            fail(f"--start: expected NAME=VALUE with a number, found {item!r}")
    if set(point) != set(names):
        fail(f"--start: expected a value for each searched parameter ({', '.join(names)}), found {', '.join(point)}")
    return point


@app.command()
def calibrate(
    targets: Annotated[
        Path | None, typer.Option(help="calibration targets (default: experiments/calibration-targets.toml)")
    ] = None,
    scenario: Annotated[Path | None, typer.Option(help="scenario to calibrate (default: the targets file's)")] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="Latin hypercube points (default: the file's)")] = None,
    start: Annotated[
        list[str] | None,
        typer.Option(help="a point to refine first, as NAME=VALUE,NAME=VALUE (repeatable; e.g. a previous result)"),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="processes")] = 2,
) -> None:
    """Search the targets file's parameter ranges (Latin hypercube, then Nelder-Mead) and print the best values."""
    from ecosim.validation.calibrate import calibrate as search
    from ecosim.validation.calibrate import report
    from ecosim.validation.targets import TargetsError, load_targets

    out = console()
    try:
        spec = load_targets(targets)
        starts = [_start_point(text, [p.name for p in spec.parameters]) for text in start or ()]
        result = search(spec, scenario, samples=samples, workers=workers, starts=starts,
                        progress=lambda line: out.print(line))
    except (TargetsError, ScenarioError) as exc:
        fail(str(exc))
    out.print(report(result), markup=False)
    out.print("[parameters] lines for the scenario file:", markup=False)
    for line in result.toml_lines(f"{time.strftime('%Y-%m-%d')}, ecosim calibrate"):
        out.print(line, markup=False)


# --------------------------------------------------------------------------- analysis (docs/analysis.md)

ResultsArgument = Annotated[Path, typer.Argument(help="an experiment's results folder (ecosim batch)")]
OutOption = Annotated[Path | None, typer.Option(help="also write the tables here as CSV, Parquet and Markdown")]
LevelOption = Annotated[float, typer.Option(min=0.5, max=0.999, help="confidence level of the intervals")]


def _interval(low: float, high: float) -> str:
    return f"[{_format(float(low))}, {_format(float(high))}]"


def _write_out(out: Console, folder: Path | None, tables: dict[str, Any]) -> None:
    from ecosim.analysis.output import write_tables

    if folder is None:
        return
    try:
        written = write_tables(folder, tables)
    except OSError as exc:
        fail(f"--out: could not write to {folder}: {exc.strerror or exc}")
    out.print(f"written: {', '.join(str(p) for p in written)}")


def _rows(table: Table, frame: Any, columns: list[str]) -> None:
    from ecosim.analysis.output import cell

    for row in frame[columns].itertuples(False):
        table.add_row(*[cell(v) for v in row])


@app.command()
def compare(
    results: ResultsArgument,
    baseline: Annotated[str, typer.Option(help="the strategy every other is compared with")] = "none",
    outcome: Annotated[
        list[str] | None, typer.Option(help="an outcome to compare (repeatable; default: every outcome)")
    ] = None,
    level: LevelOption = 0.95,
    out: OutOption = None,
) -> None:
    """Compare every strategy with a baseline, paired seed by seed: differences, intervals, tests, ranks, costs."""
    from ecosim.analysis import AnalysisError
    from ecosim.analysis.compare import compare as compare_strategies
    from ecosim.analysis.compare import cost_effectiveness

    try:
        table = compare_strategies(results, baseline, outcome, level)
        costs = cost_effectiveness(results, baseline, level) if not outcome or "alive_24" in outcome else None
    except AnalysisError as exc:
        fail(str(exc))
    report = console()
    pct = f"{level:.0%}"
    for (scenario, point, name), rows in table.groupby(["scenario", "point", "outcome"], sort=False):
        unit = rows["unit"].iloc[0]
        better = "higher" if rows["higher_is_better"].iloc[0] else "lower"
        view = Table(
            title=f"{name} ({unit}), {scenario}, point {point}: each strategy - {baseline}, paired over "
            f"{int(rows['pairs'].max())} seeds ({better} is better)"
        )
        for column in ("strategy", "mean", "difference", f"{pct} t interval", f"{pct} BCa interval", "p (Holm)",
                       "CRN variance ratio", "runs saved", "rank"):
            view.add_column(column, justify="left" if column == "strategy" else "right")
        for r in rows.itertuples(False):
            own = r.strategy == baseline
            view.add_row(
                r.strategy + (" (baseline)" if own else ""),
                _format(float(r.mean)),
                "0" if own else f"{r.difference:+.4g}",
                "" if own else _interval(r.t_low, r.t_high),
                "" if own else _interval(r.bca_low, r.bca_high),
                "" if own else _format(float(r.p_holm)),
                "" if own else _format(float(r.variance_ratio)),
                "" if own else ("inf" if math.isinf(r.runs_saved) else f"{r.runs_saved:,.0f}"),
                f"{r.rank:.0f}" if r.rank == r.rank else "n/a",
            )
        report.print(view)
    tables = {"compare": table}
    if costs is not None and not costs.empty:
        view = Table(title=f"cost-effectiveness against {baseline} (EUR of programme spending over the run; "
                     "n/a: the strategy costs no more than the baseline)")
        for column in ("strategy", "spending", "extra spending", "extra learner-months per 1,000 EUR",
                       "extra partnerships alive at T+24", "per 100,000 EUR"):
            view.add_column(column, justify="left" if column == "strategy" else "right")
        for r in costs.itertuples(False):
            view.add_row(
                r.strategy, _format(float(r.spending)), _format(float(r.extra_spending)),
                f"{_format(float(r.extra_learner_months_per_1000_eur))} "
                f"{_interval(r.extra_learner_months_per_1000_eur_low, r.extra_learner_months_per_1000_eur_high)}",
                f"{r.extra_alive_24:+.3g}",
                f"{_format(float(r.extra_alive_24_per_100k_eur))} "
                f"{_interval(r.extra_alive_24_per_100k_eur_low, r.extra_alive_24_per_100k_eur_high)}",
            )
        report.print(view)
        tables["cost_effectiveness"] = costs
    report.print(
        f"Differences are paired: replication r of every strategy ran with the same seed. p is the paired t test, "
        f"Holm-adjusted over the strategies of each outcome; ranks tie where the {pct} t intervals overlap."
    )
    _write_out(report, out, tables)


@app.command()
def survival(
    results: ResultsArgument,
    origin: Annotated[
        str, typer.Option(help="lifetimes from 'reference' (the funding end, cohort alive then) or 'start'")
    ] = "reference",
    baseline: Annotated[str, typer.Option(help="the strategy every other is compared with")] = "none",
    covariates: Annotated[
        str | None, typer.Option(help="Cox covariates, comma-separated, or 'none' (default: those recorded)")
    ] = None,
    level: LevelOption = 0.95,
    out: OutOption = None,
) -> None:
    """Partnership lifetimes per strategy: Kaplan-Meier, log-rank tests and a Cox model clustered by seed."""
    from ecosim.analysis import AnalysisError
    from ecosim.analysis import survival as surv

    if origin not in surv.ORIGINS:
        fail(f"--origin: expected one of {', '.join(surv.ORIGINS)}, found {origin!r}")
    try:
        frame = surv.read_lifetimes(results, origin)
        if frame.empty:
            raise AnalysisError(f"{results}: expected partnerships at risk from the {origin}, found none")
        chosen = None if covariates is None else [c for c in covariates.split(",") if c and c != "none"]
        for name in chosen or []:
            if name not in surv.default_covariates(frame):
                known = ", ".join(surv.default_covariates(frame)) or "none"
                raise AnalysisError(f"--covariates: expected some of {known}, found {name!r}")
        km = surv.survival_table(frame, level)
        tests = surv.logrank(frame, baseline)
        model = surv.cox(frame, baseline, chosen, level=level)
    except AnalysisError as exc:
        fail(str(exc))
    report = console()
    since = "the reference month (funding end)" if origin == "reference" else "their own start"
    view = Table(title=f"Kaplan-Meier: partnership lifetimes in months since {since}, right-censored at the horizon")
    for column in ("strategy", "partnerships", "ended", "median", "S(+24)", f"{level:.0%} interval", "S(+60)",
                   f"{level:.0%} interval "):
        view.add_column(column, justify="left" if column == "strategy" else "right")
    for r in km.itertuples(False):
        median = "not reached" if math.isinf(r.median) else _format(float(r.median))
        view.add_row(r.strategy, str(r.partnerships), str(r.ended), median, _format(float(r.S24)),
                     _interval(r.S24_low, r.S24_high), _format(float(r.S60)), _interval(r.S60_low, r.S60_high))
    report.print(view)
    view = Table(title=f"log-rank tests against {baseline} (partnerships taken as independent; Holm-adjusted)")
    for column in ("strategy", "chi2", "df", "p", "p (Holm)"):
        view.add_column(column, justify="left" if column == "strategy" else "right")
    _rows(view, tests.assign(p_holm=tests.get("p_holm")), ["strategy", "chi2", "df", "p", "p_holm"])
    report.print(view)
    view = Table(
        title=f"Cox model (Efron ties, strata scenario x point), errors clustered by seed "
        f"({int(model['clusters'].iloc[0])} clusters, {int(model['events'].iloc[0])} endings)"
    )
    for column in ("term", "hazard ratio", f"{level:.0%} interval", "p", "PH check p", "coef (Breslow)"):
        view.add_column(column, justify="left" if column == "term" else "right")
    for r in model.itertuples(False):
        view.add_row(r.term, _format(float(r.hazard_ratio)), _interval(r.low, r.high), _format(float(r.p)),
                     _format(float(r.p_ph)), f"{r.coef_breslow:+.4g} (Efron {r.coef:+.4g})")
    report.print(view)
    report.print("A PH check p below 0.05 says the term's hazard ratio changes with time; docs/analysis.md.")
    _write_out(report, out, {"survival": km, "logrank": tests, "cox": model})


@app.command()
def sensitivity(
    results: ResultsArgument,
    outcome: Annotated[list[str] | None, typer.Option(help="an outcome (repeatable; default: every outcome)")] = None,
    where: Annotated[
        str | None, typer.Option(help="scenario discovery: a condition such as 'share_not_ended_24>=0.7'")
    ] = None,
    level: LevelOption = 0.95,
    out: OutOption = None,
) -> None:
    """Sobol' (Saltelli design) or Morris indices per outcome, with a half-sample convergence check."""
    from ecosim.analysis import AnalysisError
    from ecosim.analysis.sensitivity import sensitivity as indices

    try:
        table = indices(results, outcome, level)
        found = None
        if where is not None:
            from ecosim.analysis.discovery import discover

            found = discover(results, where)
    except AnalysisError as exc:
        fail(str(exc))
    report = console()
    sobol = "ST" in table
    for (group, name), rows in table.groupby(["group", "outcome"], sort=False):
        state = "converged" if rows["converged"].iloc[0] else "NOT converged"
        view = Table(
            title=f"{name}{', ' + group if group else ''}: "
            f"{'Sobol indices' if sobol else 'Morris elementary effects'} from {int(rows['samples'].iloc[0])} "
            f"{'base samples' if sobol else 'trajectories'} ({state}: largest change from half the samples "
            f"{rows['change'].iloc[0]:.3f})"
        )
        columns = (["parameter", "S1", "+-", "ST", "+- ", "S1 (half)", "ST (half)"] if sobol
                   else ["parameter", "mu*", "+-", "mu", "sigma", "mu* (half)"])
        for column in columns:
            view.add_column(column, justify="left" if column == "parameter" else "right")
        keys = (["parameter", "S1", "S1_conf", "ST", "ST_conf", "S1_half", "ST_half"] if sobol
                else ["parameter", "mu_star", "mu_star_conf", "mu", "sigma", "mu_star_half"])
        _rows(view, rows, keys)
        report.print(view)
    tables = {"sensitivity": table}
    if found is not None:
        total, hits = found["cases"]
        view = Table(title=f"PRIM box for {where}: {hits} of {total} design points meet it "
                     f"(coverage {found['box']['coverage'].iloc[0] if len(found['box']) else 1:.3f}, "
                     f"density {found['box']['density'].iloc[0] if len(found['box']) else hits / total:.3f})")
        for column in ("parameter", "low", "high"):
            view.add_column(column, justify="left" if column == "parameter" else "right")
        _rows(view, found["box"], ["parameter", "low", "high"])
        report.print(view)
        report.print(f"decision tree (depth 2, accuracy {found['accuracy']:.3f}):")
        report.print(found["rules"], markup=False)
        tables.update(prim_trajectory=found["trajectory"], prim_box=found["box"])
    _write_out(report, out, tables)


@app.command()
def search(
    results: ResultsArgument,
    budget: Annotated[float, typer.Option(help="mean programme spending over the run that a bundle may use (EUR)")],
    outcome: Annotated[str, typer.Option(help="the outcome to maximise")] = "alive_24",
    max_size: Annotated[int, typer.Option(min=1, max=4, help="most strategies in a bundle")] = 2,
    workers: Annotated[int, typer.Option(min=1, help="processes for the bundle runs")] = 1,
    level: LevelOption = 0.95,
    out: OutOption = None,
) -> None:
    """Find the best bundle of strategies under a budget; bundles not distinguishable from the best are ties."""
    from ecosim.analysis import AnalysisError
    from ecosim.analysis.search import search as find

    try:
        table = find(results, budget, outcome, max_size, level, workers)
    except AnalysisError as exc:
        fail(str(exc))
    report = console()
    view = Table(title=f"bundles within {budget:,.0f} EUR by {outcome} against none (paired over "
                 f"{int(table['pairs'].max())} seeds; tie: its difference from the best covers 0)")
    for column in ("bundle", "spending", "effect", f"{level:.0%} interval", "vs best", "interval", "verdict"):
        view.add_column(column, justify="left" if column in ("bundle", "verdict") else "right")
    for r in table.itertuples(False):
        verdict = "best" if r.best else ("tie" if r.tie else "")
        view.add_row(r.bundle, _format(float(r.spending)), f"{r.effect:+.4g}", _interval(r.low, r.high),
                     f"{r.versus_best:+.4g}", _interval(r.versus_best_low, r.versus_best_high), verdict)
    report.print(view)
    _write_out(report, out, {"search": table})


@app.command()
def report(
    results: ResultsArgument,
    out: Annotated[Path | None, typer.Option(help="the HTML file to write (default: RESULTS/report.html)")] = None,
    baseline: Annotated[str, typer.Option(help="the strategy every other is compared with")] = "none",
    outcome: Annotated[str, typer.Option(help="the outcome the summary speaks of")] = "share_not_ended_24",
) -> None:
    """Write one self-contained HTML report (opens offline): plain-language summary, figures, tables, provenance."""
    from ecosim.analysis import AnalysisError
    from ecosim.report import write_report

    target = out if out is not None else results / "report.html"
    try:
        written = write_report(results, target, baseline=baseline, outcome=outcome)
    except AnalysisError as exc:
        fail(str(exc))
    console().print(f"report: {written} ({_bytes(written.stat().st_size)})")


@app.command()
def dashboard(
    results: Annotated[Path, typer.Argument(help="the folder of results the dashboard may show")] = Path("results"),
    port: Annotated[int, typer.Option(min=1, max=65535, help="the port to serve on")] = 8050,
    host: Annotated[str, typer.Option(help="the address to bind (only this machine unless told)")] = "127.0.0.1",
) -> None:
    """Serve the dashboard (Explore, Compare, Batch, Sensitivity) over a results folder; Ctrl-C stops it."""
    from ecosim.dashboard.app import make_server, run_forever

    if not results.is_dir():
        fail(f"{results}: expected a folder of results, found {'a file' if results.exists() else 'nothing'}")
    try:  # werkzeug would print its own lines and exit on a taken port: ask first
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        fail(f"--port: expected a free port on {host}, found {port} taken or not allowed ({why})")
    server = make_server(results.resolve(), host, port)
    console(stderr=True).print(f"dashboard: http://{host}:{server.port}/ over {results.resolve()} (Ctrl-C stops it)")
    run_forever(server)
