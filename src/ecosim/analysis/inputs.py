"""Reading an experiment's results for analysis: the runs table, the manifest and the recorded tables.

Every mistake (no results folder, a table that was not recorded, a missing column) is an
:class:`~ecosim.analysis.AnalysisError` in one line naming the file, what was expected and
what was found.
"""

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ecosim.analysis import AnalysisError
from ecosim.results import MANIFEST, load_results
from ecosim.store import ResultsFolderError

LABELS = ("run", "scenario", "strategy", "point", "replication", "seed")


def manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of an experiment's results folder."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise AnalysisError(f"{folder}: expected an experiment's results folder (ecosim batch), found no {MANIFEST}")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AnalysisError(f"{path}: expected a JSON manifest, found unreadable content ({exc})") from None


def runs(results: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The runs table (one row per run) of a results folder, or the frame itself; only the runs that finished."""
    if isinstance(results, pd.DataFrame):
        frame = results
        where = "the runs table"
    else:
        where = str(results)
        manifest(results)
        try:
            frame = load_results(results, "runs")
        except (ResultsFolderError, OSError, ValueError) as exc:
            raise AnalysisError(f"{results}: expected a readable runs table, found {exc}") from None
    missing = [c for c in ("strategy", "replication") if c not in frame]
    if missing:
        raise AnalysisError(f"{where}: expected the columns strategy and replication, found no {', '.join(missing)}")
    if "status" in frame:
        frame = frame[frame["status"] == "ok"]
    frame = frame.copy()
    for column, value in (("scenario", ""), ("point", 0)):
        if column not in frame:
            frame[column] = value
    frame["strategy"] = frame["strategy"].astype(str)
    if frame.empty:
        raise AnalysisError(f"{where}: expected finished runs, found none")
    return frame.reset_index(drop=True)


def table(folder: str | Path, kind: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A recorded table of every run (e.g. partnerships), or an error that says to record it."""
    found = manifest(folder)
    recorded = (found.get("content") or {}).get("record")
    if recorded is not None and kind not in recorded:
        raise AnalysisError(
            f"{folder}: expected the {kind} table in the results, found only {', '.join(recorded) or 'outcomes'} "
            f'recorded; add "{kind}" to record = [...] in the experiment file and run the batch again'
        )
    frame = load_results(folder, kind, columns=columns)
    if frame.empty:
        raise AnalysisError(f"{folder}: expected rows of the {kind} table, found none")
    return frame
