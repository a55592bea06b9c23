"""The results under one root folder as the dashboard reads them: listed by manifest, path-guarded, loaded in parts.

Everything a page shows comes from here. A folder named by the browser is resolved and
checked to lie inside the root (no ``..``, no absolute path, no symlink out) before any
file is opened; tables are read with only the columns and rows a page asks for
(:func:`ecosim.results.load_results`) and kept in a small cache keyed by folder, kind,
columns and filters, dropped when the folder's manifest changes.
"""

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ecosim.analysis import inputs
from ecosim.analysis.compare import default_outcomes, with_derived
from ecosim.results import MANIFEST, load_results

SKIPPED_FOLDERS = frozenset({"parts", "indicators", "__pycache__"})
DEPTH = 3  # folders below the root searched for results
HEAVY_RUN_COLUMNS = ("run_id", "error")  # long strings no page shows
PREFERRED = "share_not_ended_24"  # the outcome the programme asks about first


class DashboardError(ValueError):
    """A mistake a page shows as one line: a folder outside the root, not a results folder, an incomplete batch."""


class LRU:
    """A thread-safe least-recently-used cache that computes each missing key once, however many threads ask."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value under `key`, made by `make()` on a miss (other threads asking for it wait)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                value = make()
            except BaseException:
                with self._lock:
                    self._making.pop(key, None)
                raise
            with self._lock:
                self._items[key] = value
                self._making.pop(key, None)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value


@dataclass(frozen=True)
class Folder:
    """One results folder under the root: its name there (a relative path), kind ('batch' or 'run') and manifest."""

    name: str
    path: Path
    kind: str
    manifest: dict[str, Any]

    @property
    def complete(self) -> bool:
        """Whether every planned run is in (always true for a single run)."""
        return self.kind == "run" or bool(self.manifest.get("complete"))

    @property
    def recorded(self) -> list[str]:
        """The tables kept besides the outcomes."""
        if self.kind == "run":
            return list(self.manifest.get("recorded") or [])
        return list((self.manifest.get("content") or {}).get("record") or [])

    @property
    def design(self) -> dict[str, Any]:
        """The batch's design (sweep, sample, combine, points); empty for a single run."""
        return self.manifest.get("design") or {}

    def describe(self) -> str:
        """One line for a list: what it is and how big."""
        m = self.manifest
        if self.kind == "run":
            return f"run: {m.get('scenario')}, strategy {m.get('strategy') or 'none'}, seed {m.get('seed')}"
        done = "complete" if self.complete else "incomplete"
        return f"batch {m.get('experiment')}: {m.get('runs', '?')} runs, {done}"


def inside(root: Path, name: str) -> Path:
    """The folder `name` (a relative path from the browser) under `root`, or DashboardError if it could lead outside.

    Refused: empty names, absolute paths, drive letters, ``..`` parts, backslashes, NUL bytes,
    and any path that resolves (symlinks followed) outside `root`.
    """
    if not isinstance(name, str) or not name.strip():
        raise DashboardError("folder: expected a results folder under the results root, found nothing chosen")
    pure = PurePosixPath(name)
    windows = PureWindowsPath(name)
    if pure.is_absolute() or windows.is_absolute() or windows.drive or "\\" in name or "\x00" in name:
        raise DashboardError(f"folder: expected a path relative to the results root, found {name!r}: refused")
    if ".." in pure.parts:
        raise DashboardError(
            f"folder: expected a path inside the results root, found {name!r} (it climbs with ..): refused"
        )
    path = (root / pure).resolve()
    if not path.is_relative_to(root):
        raise DashboardError(
            f"folder: expected a path inside the results root, found {name!r}, leading outside: refused"
        )
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    """A folder's manifest, or DashboardError saying why it cannot be read."""
    file = path / MANIFEST
    if not file.is_file():
        raise DashboardError(
            f"{path.name}: expected a results folder (ecosim batch or ecosim run), found no {MANIFEST}"
        )
    try:
        found = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise DashboardError(f"{path.name}/{MANIFEST}: expected JSON, found unreadable content ({exc})") from None
    if not isinstance(found, dict):
        raise DashboardError(f"{path.name}/{MANIFEST}: expected a JSON object, found {type(found).__name__}")
    return found


def outcomes(runs: pd.DataFrame) -> tuple[list[str], str]:
    """The outcomes a batch measured (some value not NaN), derived ones included, and the one to show first.

    The first is share_not_ended_24 when it varies over the runs, else the first outcome that varies.
    """
    frame = with_derived(runs)
    measured = [k for k in default_outcomes(frame) if frame[k].notna().any()]
    if not measured:
        raise DashboardError("runs table: expected outcomes with values, found none (were the runs too short?)")
    varying = [k for k in measured if frame[k].nunique() > 1]
    first = PREFERRED if PREFERRED in varying else (varying or measured)[0]
    return measured, first


def kind_of(manifest: dict[str, Any]) -> str:
    """'batch' for an experiment's manifest, 'run' for a single run's."""
    return "batch" if "parts" in manifest or "experiment" in manifest else "run"


class Results:
    """The results root the dashboard serves: its folders, and their tables read in parts through a cache."""

    def __init__(self, root: str | Path, cached_frames: int = 24, cached_results: int = 128):
        root = Path(root)
        if not root.is_dir():
            raise DashboardError(f"results root: expected a folder of results, found no folder {root}")
        self.root = root.resolve()
        self._frames = LRU(cached_frames)
        self._derived = LRU(cached_results)
        self._manifests = LRU(256)

    # ----------------------------------------------------------------------- folders

    def folders(self) -> list[Folder]:
        """Every results folder under the root (to a depth of 3), by name; folders inside them are not searched."""
        found = []
        for top, dirs, _ in os.walk(self.root, followlinks=False):
            here = Path(top)
            depth = len(here.relative_to(self.root).parts)
            keep = []
            for d in sorted(dirs):
                candidate = here / d
                if d.startswith(".") or d in SKIPPED_FOLDERS or not candidate.resolve().is_relative_to(self.root):
                    continue
                if (candidate / MANIFEST).is_file():
                    try:
                        found.append(self.folder(candidate.relative_to(self.root).as_posix()))
                    except DashboardError:
                        continue
                elif depth + 1 < DEPTH and not candidate.is_symlink():
                    keep.append(d)
            dirs[:] = keep
        return sorted(found, key=lambda f: f.name)

    def batches(self) -> list[Folder]:
        """The experiment folders under the root."""
        return [f for f in self.folders() if f.kind == "batch"]

    def folder(self, name: str) -> Folder:
        """The results folder `name`, checked to lie inside the root."""
        path = inside(self.root, name)
        if not path.is_dir():
            raise DashboardError(f"folder: expected a results folder under the results root, found no folder {name!r}")
        file = path / MANIFEST
        stamp = file.stat().st_mtime_ns if file.is_file() else None
        manifest = self._manifests.get((str(path), stamp), lambda: read_manifest(path))
        return Folder(path.relative_to(self.root).as_posix() or ".", path, kind_of(manifest), manifest)

    def batch(self, name: str) -> Folder:
        """The complete experiment folder `name`; DashboardError for a single run or a batch still missing runs."""
        folder = self.folder(name)
        if folder.kind != "batch":
            raise DashboardError(
                f"{name}: expected an experiment's results (ecosim batch), found a single run's folder"
            )
        if not folder.complete:
            done = sum(len(p.get("runs", [])) for p in folder.manifest.get("parts", []))
            raise DashboardError(
                f"{name}: expected a complete batch, found {done} of {folder.manifest.get('runs', '?')} runs "
                "finished; finish it with `ecosim batch EXPERIMENT --resume` and reload"
            )
        return folder

    # ----------------------------------------------------------------------- tables

    def cached(self, name: str, what: Hashable, make: Callable[[], Any], frames: bool = False) -> Any:
        """`make()` for the complete batch `name`, kept until its manifest changes (callers must not modify it).

        Tables read from disk (`frames`) are kept in a cache of their own, smaller: they are the large ones.
        """
        folder = self.batch(name)
        stamp = (folder.path / MANIFEST).stat().st_mtime_ns
        return (self._frames if frames else self._derived).get((str(folder.path), stamp, what), make)

    def load(
        self, name: str, kind: str, columns: list[str] | None = None, filters: list[tuple] | None = None
    ) -> pd.DataFrame:
        """Columns and rows of one kind of a complete batch (:func:`ecosim.results.load_results`), cached."""
        path = self.batch(name).path
        what = ("load", kind, tuple(columns) if columns else None, repr(filters))
        return self.cached(name, what, lambda: load_results(path, kind, columns=columns, filters=filters), frames=True)

    def runs(self, name: str) -> pd.DataFrame:
        """The finished runs of a batch: labels, design values and outcomes (not the run ids and error texts)."""
        path = self.batch(name).path

        def read() -> pd.DataFrame:
            columns = [c for c in pq.read_schema(path / "runs.parquet").names if c not in HEAVY_RUN_COLUMNS]
            return inputs.runs(self.load(name, "runs", columns))

        return self.cached(name, ("runs",), read)

    def needs(self, name: str, kind: str) -> None:
        """DashboardError unless the batch recorded the table `kind`."""
        folder = self.batch(name)
        if kind not in folder.recorded:
            raise DashboardError(
                f"{name}: expected the {kind} table, found only {', '.join(folder.recorded) or 'the outcomes'} "
                f'recorded; add "{kind}" to record = [...] in the experiment file and run the batch again'
            )
