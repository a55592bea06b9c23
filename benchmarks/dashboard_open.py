"""How long the dashboard takes to open a 10,000-run batch: the Compare page's data, cold and warm.

The batch is synthesised cheaply from a small real one: a real batch of 10 strategies x 4
replications (120 months, indicators and partnerships recorded) is run in this process,
and its tables are tiled to 1,000 replications (10,000 runs) with the run numbers,
replications, seeds and run ids renumbered, then written in the batch's own layout:
runs.parquet, indicators/strategy=<s>/part-0.parquet and parts/<kind>-<n>.parquet of 8
runs each (what a batch on two workers writes), with a manifest listing them. Every file's
schema is checked against the real batch's before anything is timed.

    .venv/bin/python benchmarks/dashboard_open.py                    # synthesise in a temporary folder, time it
    .venv/bin/python benchmarks/dashboard_open.py --open results/strategies   # also time a real batch
"""

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ecosim.batch import InProcessExecutor, run_batch
from ecosim.dashboard import compare as compare_page
from ecosim.dashboard.data import Results
from ecosim.experiment import plan
from ecosim.results import read_parts, sha256
from ecosim.viz import figures
from ecosim.viz.colours import STRATEGIES

REPOSITORY = Path(__file__).resolve().parents[1]
SHOWN = list(STRATEGIES[:10])  # none and the first nine strategies of the baseline
TEMPLATE_REPLICATIONS = 4
KINDS = ("runs", "indicators", "partnerships")


def template(folder: Path) -> Path:
    """A real batch of 10 strategies x 4 replications of the baseline, run here into folder/template."""
    (folder / "scenarios").mkdir(parents=True)
    shutil.copy(REPOSITORY / "scenarios" / "baseline.toml", folder / "scenarios" / "baseline.toml")
    experiment = folder / "template.toml"
    experiment.write_text(
        'name = "dashboard-open"\nscenarios = ["scenarios/baseline.toml"]\n'
        f"strategies = {json.dumps(SHOWN)}\nreplications = {TEMPLATE_REPLICATIONS}\n"
        'record = ["indicators", "partnerships"]\n'
    )
    summary = run_batch(plan(experiment), folder / "template", InProcessExecutor())
    assert summary.failed == 0 and summary.ran == summary.planned
    return folder / "template"


def tile(frame: pd.DataFrame, replications: int, per_replication: int, first_seed: int) -> pd.DataFrame:
    """The rows of the template's runs repeated for `replications` replications, relabelled as new runs."""
    groups = frame.groupby("run", sort=True).indices
    template_runs = np.array([(r % TEMPLATE_REPLICATIONS) * per_replication + k
                              for r in range(replications) for k in range(per_replication)])
    rows = np.concatenate([groups[t] for t in template_runs])
    sizes = np.array([len(groups[t]) for t in template_runs])
    out = frame.iloc[rows].reset_index(drop=True)
    new_runs = np.arange(len(template_runs))
    out["run"] = np.repeat(new_runs, sizes).astype(frame["run"].dtype)
    out["replication"] = np.repeat(new_runs // per_replication, sizes).astype(frame["replication"].dtype)
    out["seed"] = (out["replication"] + first_seed).astype(frame["seed"].dtype)
    ids = [hashlib.sha256(f"synthetic-{k}".encode()).hexdigest()[:16] for k in new_runs]
    out["run_id"] = pd.Series(np.repeat(np.array(ids, dtype=object), sizes), dtype=frame["run_id"].dtype)
    return out


def write(frame: pd.DataFrame, path: Path) -> None:
    """A table as the batch writes it (pandas through pyarrow, no index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def synthesise(source: Path, target: Path, runs: int, runs_per_part: int) -> None:
    """A complete batch of `runs` runs in `target`, tiled from the real batch `source`."""
    manifest = json.loads((source / "manifest.json").read_text())
    per_replication = len(SHOWN)
    replications = runs // per_replication
    first_seed = manifest["seeds"]["first_seed"]
    tables = {kind: tile(read_parts(source, kind), replications, per_replication, first_seed) for kind in KINDS}
    (target / "parts").mkdir(parents=True)
    parts = []
    edges = np.r_[np.arange(0, runs, runs_per_part), runs]
    bounds = {kind: np.searchsorted(frame["run"].to_numpy(), edges) for kind, frame in tables.items()}
    for n, start in enumerate(range(0, runs, runs_per_part), start=1):
        files, sums = [], {}
        for kind, frame in tables.items():
            name = f"{kind}-{n:06d}.parquet"
            write(frame.iloc[bounds[kind][n - 1]:bounds[kind][n]], target / "parts" / name)
            files.append(name)
            sums[name] = sha256(target / "parts" / name)
        parts.append({"files": files, "sha256": sums, "runs": list(range(start, min(start + runs_per_part, runs)))})
    write(tables["runs"], target / "runs.parquet")
    indicators = tables["indicators"].sort_values(["run", "month"], kind="mergesort", ignore_index=True)
    for strategy, rows in indicators.groupby("strategy", sort=True):
        write(rows.drop(columns="strategy").reset_index(drop=True),
              target / "indicators" / f"strategy={strategy}" / "part-0.parquet")
    manifest["content"]["replications"] = replications
    manifest.update(parts=parts, runs=runs, complete=True, failed={},
                    seeds={"first_seed": first_seed, "replications": replications})
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def same_schemas(source: Path, target: Path) -> None:
    """Every synthesised file has the schema (names and types) of the real batch's file of the same kind."""
    pairs = [(source / "runs.parquet", target / "runs.parquet")]
    pairs += [(source / "parts" / f"{kind}-000001.parquet", target / "parts" / f"{kind}-000001.parquet")
              for kind in KINDS]
    for strategy in SHOWN:
        part = Path("indicators") / f"strategy={strategy}" / "part-0.parquet"
        pairs.append((source / part, target / part))
    for real, made in pairs:
        a, b = pq.read_schema(real), pq.read_schema(made)
        assert a.remove_metadata() == b.remove_metadata(), f"{made}: schema differs from {real}"


def open_compare(root: Path, name: str) -> dict[str, float]:
    """Seconds to open a batch on the Compare page through the dashboard's own functions, cold then warm.

    The page's first callback draws the paired effects and indicator bands; the survival
    curves (from the partnerships in the part files) come in a second one.
    """
    results = Results(root)
    timings = {}
    for attempt in ("cold", "warm"):
        started = time.perf_counter()
        _, _, baseline, shown, _, outcome = compare_page.options(results, name)
        found = compare_page.comparison(results, name, shown, baseline, outcome, compare_page.INDICATOR, 0)
        effects = time.perf_counter()
        km = compare_page.survival_curves(results, name, shown, baseline, 0)
        ready = time.perf_counter()
        figures.forest(found.table, outcome)
        figures.indicators(found.indicators, compare_page.INDICATOR, found.reference_month)
        if km is not None:
            figures.survival(km)
        drawn = time.perf_counter()
        timings[f"{attempt}: effects and bands"] = effects - started
        timings[f"{attempt}: all data (with survival)"] = ready - started
        timings[f"{attempt}: data + figures"] = drawn - started
    return timings


def report(what: str, timings: dict[str, float]) -> None:
    print(f"{what}:")
    for key, seconds in timings.items():
        print(f"  {key:32s} {seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs of the synthesised batch (a multiple of 10)")
    parser.add_argument("--runs-per-part", type=int, default=8, help="runs per part file (8: a batch on 2 workers)")
    parser.add_argument("--keep", type=Path, help="write the synthesised batch here (default: a temporary folder)")
    parser.add_argument("--open", type=Path, action="append", default=[], help="also time this real batch folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dashboard-open-") as scratch:
        scratch = Path(scratch)
        started = time.perf_counter()
        source = template(scratch / "work")
        root = args.keep or scratch / "root"
        target = root / f"synthetic-{args.runs}"
        synthesise(source, target, args.runs, args.runs_per_part)
        same_schemas(source, target)
        files = list(target.rglob("*.parquet"))
        size = sum(p.stat().st_size for p in files) / 2**20
        print(f"synthesised {args.runs:,} runs ({len(files):,} Parquet files, {size:.0f} MiB) "
              f"in {time.perf_counter() - started:.0f} s")
        report(f"{args.runs:,}-run batch, Compare page", open_compare(root, target.name))
    for folder in args.open:
        folder = folder.resolve()
        runs = json.loads((folder / "manifest.json").read_text()).get("runs")
        report(f"{folder.name} ({runs} runs), Compare page", open_compare(folder.parent, folder.name))


if __name__ == "__main__":
    main()
