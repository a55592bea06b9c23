"""Running an experiment: every planned run through any `concurrent.futures.Executor`, results streamed to the store.

One code path for every scale: :func:`executor_for` gives an in-process executor
(``workers=0``, for debugging), a Dask ``LocalCluster`` of single-threaded worker
processes (the default, one per core), or a client of a running Dask scheduler
(``scheduler="tcp://host:8786"``; a cluster of many machines, e.g. started by
dask-jobqueue on SLURM or PBS). Runs are pure functions of their spec, so results do not
depend on the executor, the worker count or how often a batch was interrupted.
"""

import contextlib
import logging
import math
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from ecosim.experiment import Plan, PlannedRun
from ecosim.results import ExperimentStore, read_parts
from ecosim.runner import RunResult, git_state, run, versions
from ecosim.spec import RunSpec, code_hash
from ecosim.store import reserve

FLUSH_RUNS = 64  # at most this many finished runs are kept in memory before they are written as one part
FLUSH_PER_WORKER = 4  # ... and fewer for few workers (4 per worker), so little is lost when a batch is killed
FLUSH_SECONDS = 10.0  # ... or this long after the last write, whichever comes first
IN_FLIGHT = 4  # runs submitted per worker ahead of the ones finished (memory stays flat)


class InProcessExecutor(Executor):
    """Runs each task when it is submitted, in this process (``--workers 0``: a debugger sees everything)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:  # noqa: D102
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def executor_for(workers: int | None = None, scheduler: str | None = None) -> Iterator[tuple[Executor, int]]:
    """An executor and its number of workers: in-process (0), a local Dask cluster (N), or a running scheduler."""
    if scheduler is None and workers == 0:
        yield InProcessExecutor(), 1
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        client = Client(scheduler)
        cluster = None
    else:
        n = workers or os.cpu_count() or 1
        # Failed runs come back as results (execute); what the workers log at shutdown (a heartbeat
        # to a scheduler that already closed) is noise with a traceback, so only CRITICAL is shown.
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.CRITICAL
        )
        client = Client(cluster)
    try:
        count = max(1, len(client.scheduler_info().get("workers", {})))
        yield client.get_executor(retries=2, pure=False), count
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute(spec: RunSpec) -> dict[str, Any]:
    """One run in a worker: its outcomes and recorded tables, or its error and traceback (never raises)."""
    started = time.perf_counter()
    try:
        result = run(spec, check_invariants=False)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the batch goes on
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    return {
        "status": "ok",
        "outcomes": result.outcomes,
        "tables": result.tables,
        "seconds": time.perf_counter() - started,
    }


def run_specs(specs: Sequence[RunSpec], executor: Executor | None = None, workers: int = 1) -> list[RunResult]:
    """The RunResults of `specs`, in order: validation's replications through the batch engine.

    On `executor`, or by default in this process for one worker and on a local Dask cluster
    of `workers` otherwise. A run that raises raises here: validation needs every run.
    """
    if not specs:
        return []
    if executor is None:
        with executor_for(0 if workers <= 1 else workers) as (local, _):
            return run_specs(specs, local)
    if not isinstance(executor, InProcessExecutor):
        run(RunSpec.of(specs[0].scenario, months=1, record=("indicators",)), check_invariants=False)  # warm cache
    futures = [executor.submit(run, spec, check_invariants=False) for spec in specs]
    return [future.result() for future in futures]


@dataclass
class BatchSummary:
    """What a batch did: runs in the plan, already there, run now, failed, and whether it was interrupted."""

    planned: int
    kept: int
    ran: int
    failed: int
    interrupted: bool
    folder: Path


def labels(index: int, planned: PlannedRun) -> dict[str, Any]:
    """The columns that say which run a row belongs to."""
    return {
        "run": index,
        "run_id": planned.spec.run_id,
        "scenario": planned.scenario,
        "strategy": planned.strategy,
        "point": planned.point,
        "replication": planned.replication,
        "seed": planned.spec.seed,
    }


def run_row(index: int, planned: PlannedRun, done: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The runs-table row of one finished run: labels, design values, status, every outcome."""
    row = {**labels(index, planned), **{f"design_{k}": v for k, v in planned.design}, "status": done["status"]}
    row["error"] = done.get("error")
    outcomes = done.get("outcomes") or {}
    row.update({name: float(outcomes[name]) if name in outcomes else float("nan") for name in names})
    return row


def runs_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The runs-table rows of a group of finished runs, one frame for the group (one schema in every part)."""
    return pd.DataFrame(rows).astype({"error": "str", "status": "str", "run_id": "str"})


def tagged(frame: pd.DataFrame, index: int, planned: PlannedRun) -> pd.DataFrame:
    """A run's recorded table with the columns that say which run it is in front."""
    return pd.concat([pd.DataFrame(labels(index, planned), index=frame.index), frame], axis=1)


def warm_up(plan: Plan) -> None:
    """Compile (or load) the kernels here, once: no worker compiles (numba's cache is unsafe for concurrent writers)."""
    for scenario in plan.scenarios:
        run(RunSpec.of(scenario, months=1, record=("indicators",)), check_invariants=False)


def run_batch(
    plan: Plan,
    folder: Path,
    executor: Executor,
    workers: int = 1,
    resume: bool = False,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> BatchSummary:
    """Run every planned run not yet in `folder`, writing results as they finish; Ctrl-C keeps what finished.

    `on_progress(done, failed, total)` is called as runs finish. The folder is held for this
    batch alone (a second batch into it is refused).
    """
    from ecosim.tables import OUTCOMES

    fields = {**plan.describe(), "versions": versions(), "code_hash": code_hash(), **git_state()}
    with reserve(folder) as folder:
        store = ExperimentStore.open(folder, fields, resume)
        kept = len(store.finished)
        warm_up(plan)
        names = list(OUTCOMES)
        rows: list[dict[str, Any]] = []  # the runs table's rows, one frame per flush (a frame per row is slow)
        buffer: dict[str, list[pd.DataFrame]] = {}
        buffered: list[int] = []
        failed: dict[int, dict] = {}
        last_flush = time.monotonic()
        counts = {"failed": 0, "ran": 0}

        def flush() -> None:
            nonlocal rows, buffer, buffered, failed, last_flush
            if buffered:
                store.add({"runs": [runs_table(rows)], **buffer}, buffered, failed)
            rows, buffer, buffered, failed, last_flush = [], {}, [], {}, time.monotonic()

        def take(index: int, done: dict[str, Any]) -> None:
            planned = plan.runs[index]
            rows.append(run_row(index, planned, done, names))
            for kind, frame in (done.get("tables") or {}).items():
                buffer.setdefault(kind, []).append(tagged(frame, index, planned))
            if done["status"] != "ok":
                failed[index] = {
                    "error": done["error"],
                    "traceback": done.get("traceback"),
                    "spec": planned.spec.describe(),
                }
                counts["failed"] += 1
            buffered.append(index)
            counts["ran"] += 1
            if on_progress is not None:
                on_progress(kept + counts["ran"], counts["failed"], len(plan.runs))
            if (
                len(buffered) >= min(FLUSH_RUNS, FLUSH_PER_WORKER * workers)
                or time.monotonic() - last_flush > FLUSH_SECONDS
            ):
                flush()

        interrupted = False
        while True:  # one round; an adaptive experiment adds replications and goes round again
            store.manifest.update(plan.describe())
            todo = [i for i in range(len(plan.runs)) if i not in store.finished]
            pending: dict[Future, int] = {}
            queue = iter(todo)
            try:
                while True:
                    while len(pending) < IN_FLIGHT * workers:
                        index = next(queue, None)
                        if index is None:
                            break
                        pending[executor.submit(execute, plan.runs[index].spec)] = index
                    if not pending:
                        break
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index = pending.pop(future)
                        try:
                            done = future.result()
                        except Exception as exc:  # noqa: BLE001 - a worker lost for good (e.g. killed repeatedly)
                            done = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": None}
                        take(index, done)
            except KeyboardInterrupt:
                interrupted = True
                for future in pending:
                    future.cancel()
            finally:
                flush()
            if interrupted or plan.experiment.adaptive is None:
                break
            more = next_replications(plan, store)
            if more is None:
                break
            plan = plan.extended(more)
        complete = not interrupted and len(store.finished) >= len(plan.runs)
        store.finish(range(len(plan.runs)), complete)
    return BatchSummary(len(plan.runs), kept, counts["ran"], counts["failed"], interrupted, folder)


def paired_widths(plan: Plan, store: ExperimentStore) -> dict[str, float]:
    """Per scenario, strategy and design point: the full width of the paired interval of the adaptive outcome.

    The pairs are replication by replication against the reference strategy (same seed);
    fewer than two finished pairs give an infinite width.
    """
    a = plan.experiment.adaptive
    keys = ["scenario", "point", "replication"]
    runs = read_parts(store.folder, "runs", columns=[*keys, "run", "strategy", a.outcome])
    runs = runs[runs["run"] < len(plan.runs)]
    reference = runs[runs["strategy"] == a.against].set_index(keys)[a.outcome]
    widths = {}
    for (scenario, strategy, point), rows in runs[runs["strategy"] != a.against].groupby(
        ["scenario", "strategy", "point"]
    ):
        d = (rows.set_index(keys)[a.outcome] - reference).dropna()
        n = len(d)
        half = stats.t.ppf(0.5 + a.level / 2, n - 1) * d.std(ddof=1) / math.sqrt(n) if n >= 2 else math.inf
        widths[f"{scenario}/{strategy}/{point}"] = float(2 * half)
    return widths


def next_replications(plan: Plan, store: ExperimentStore) -> int | None:
    """The replications of the next adaptive round, or None when every interval is narrow enough or the cap is hit."""
    a = plan.experiment.adaptive
    widths = paired_widths(plan, store)
    widest = max(widths.values(), default=math.inf)
    rounds = store.manifest.setdefault("adaptive", {"rounds": []})["rounds"]
    if not rounds or rounds[-1]["replications"] != plan.replications:
        rounds.append({"replications": plan.replications, "widest": widest})
    converged = widest <= a.width
    if converged or plan.replications >= a.max_replications:
        store.manifest["adaptive"].update(
            stopped="converged" if converged else "cap", replications=plan.replications, widths=widths
        )
        return None
    return min(a.max_replications, plan.replications + a.step)
