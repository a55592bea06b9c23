"""The readable table of a benchmark run: each figure beside its goal."""

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    """One line of the table: what, the figure (from the result), the goal and whether the figure meets it."""

    what: Callable[[dict], str]
    key: str
    shown: Callable[[float], str]
    goal: str
    met: Callable[[float], bool] | None


def _size(result: dict, item: str, where: Callable[[dict], int]) -> str:
    detail = result["detail"].get(item, {})
    try:
        return f"{where(detail):,}"
    except (KeyError, IndexError, TypeError):
        return "?"


def _mesa(result: dict) -> str:
    return f"whole model vs idiomatic Mesa, {_size(result, 'vs_mesa', lambda d: d['sizes'][-1]['learners'])} learners"


def _national(result: dict) -> str:
    months = _size(result, "national", lambda d: d["model_loop"]["months"])
    return f"national {months} months, model loop, warm"


ROWS = (
    Row(
        _mesa,
        "mesa_ratio",
        lambda v: f"{v:,.0f}×",
        "≥ 300×",
        lambda v: v >= 300,
    ),
    Row(
        lambda r: f"learner kernel vs touch kernel, {_size(r, 'bandwidth', lambda d: d['learners'])} learners",
        "bandwidth_fraction",
        lambda v: f"{v:.0%}",
        "≥ 50%",
        lambda v: v >= 0.5,
    ),
    Row(
        lambda r: f"whole model vs touch kernel, {_size(r, 'bandwidth', lambda d: d['learners'])} learners",
        "model_bandwidth_fraction",
        lambda v: f"{v:.0%}",
        "≥ 20%",
        lambda v: v >= 0.2,
    ),
    Row(
        lambda r: (
            "scaling exponent "
            + "→".join(_size(r, "scaling", lambda d, k=k: d["sizes"][k]["learners"]) for k in (0, -1))
        ),
        "scaling_exponent",
        lambda v: f"{v:.2f}",
        "0.95–1.05",
        lambda v: 0.95 <= v <= 1.05,
    ),
    Row(
        lambda r: "state per learner, national",
        "bytes_per_learner",
        lambda v: f"{v:.1f} B",
        "≤ 48 B",
        lambda v: v <= 48,
    ),
    Row(_national, "national_seconds", lambda v: f"{v:.2f} s", "≤ 1.5 s on one core", lambda v: v <= 1.5),
    Row(lambda r: "JIT cold start to first month", "jit_cold_s", lambda v: f"{v:.1f} s", "≤ 30 s", lambda v: v <= 30),
    Row(lambda r: "JIT warm start to first month", "jit_warm_s", lambda v: f"{v:.2f} s", "≤ 2 s", lambda v: v <= 2),
    Row(lambda r: "Dask 2 vs 1 workers", "dask_speedup", lambda v: f"{v:.2f}×", "≥ 1.8×", lambda v: v >= 1.8),
    Row(
        lambda r: "CRN variance ratio (median over strategies)",
        "crn_variance_ratio",
        lambda v: f"{v:.1f}",
        "—",
        None,
    ),
)


def extra_rows(result: dict) -> list[tuple[str, str]]:
    """Figures without a goal that belong beside the table: the command line, the peak memory, start-up to exit."""
    rows = []
    national = result["detail"].get("national", {})
    if "cli" in national:
        cli = national["cli"]
        rows.append((f"`{cli['command']}` wall", f"{cli['cli_seconds']:.1f} s"))
        rows.append(("  its peak RSS", f"{cli['peak_rss_mib']:,.0f} MiB"))
        rows.append(("national model loop peak RSS", f"{national['model_loop']['peak_rss_mib']:,.0f} MiB"))
    exits = result["detail"].get("jit", {}).get("to_exit")
    if exits:
        rows.append(("JIT cold / warm start, launch to exit", f"{exits['cold']:.1f} s / {exits['warm']:.2f} s"))
    return rows


def print_table(result: dict, console: Console | None = None) -> None:
    """Print the figures with their goals, the machine and the failed or missing items."""
    console = console or Console()
    table = Table(title="ecosim benchmarks" + (" (quick: small sizes)" if result.get("quick") else ""))
    for column in ("measure", "figure", "goal", "met"):
        table.add_column(column)
    for row in ROWS:
        if row.key not in result:
            continue
        value = result[row.key]
        met = "" if value is None or row.met is None else ("yes" if row.met(value) else "no")
        table.add_row(row.what(result), "missing" if value is None else row.shown(value), row.goal, met)
    for what, figure in extra_rows(result):
        table.add_row(what, figure, "", "")
    console.print(table)
    m = result["machine"]
    console.print(
        f"{m['date']}: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB; Python {m['python']}, "
        f"numba {m['numba']}, NumPy {m['numpy']}; load average {m['load_average_at_start']} at the start, "
        f"{m['load_average_at_end']} at the end"
    )
    for item, detail in result["detail"].items():
        for problem in ("missing", "error"):
            if problem in detail:
                console.print(f"{item}: {detail[problem]}")
