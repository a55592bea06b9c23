"""An experiment's results on disk: Parquet datasets that grow as runs finish, and a manifest that says what is in them.

Layout of ``results/<experiment>/``:

- ``manifest.json``: the plan (experiment content and hash, design, seeds), versions, code
  hash, git state, start and end, and every part file with its SHA-256 and the runs it holds;
- ``parts/<kind>-<n>.parquet``: rows of the runs finished together, for each kind recorded
  (runs, indicators, events, entity tables);
- when the batch is complete, ``runs.parquet`` (one row per run in plan order) and
  ``indicators/strategy=<s>/part-0.parquet``, rewritten from the parts, so a finished
  experiment's main tables are the same bytes however it was run.

Every file is written under a temporary name and renamed; the manifest is replaced only
after the files it lists are in place. A part file the manifest does not list, or whose
checksum does not match, is removed on resume and its runs run again.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ecosim.store import ResultsFolderError, strict_json

MANIFEST = "manifest.json"
PARTS = "parts"
KINDS = ("runs", "indicators", "events", "organisations", "bridge_builders", "partnerships", "learners")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` to `path` through a temporary name, flushed to disk before the rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temporary)
    with open(temporary, "rb") as f:
        os.fsync(f.fileno())
    os.replace(temporary, path)


def write_json(value: dict, path: Path) -> None:
    """Write JSON through a temporary name and a rename (a reader sees the old file or the new one)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(strict_json(value), indent=2, sort_keys=True, allow_nan=False) + "\n")
    os.replace(temporary, path)


@dataclass
class ExperimentStore:
    """The results folder of one experiment, opened for writing by one batch (the caller holds its lock)."""

    folder: Path
    manifest: dict[str, Any]
    finished: set[int] = field(default_factory=set)

    @classmethod
    def open(cls, folder: Path, plan_fields: dict[str, Any], resume: bool) -> "ExperimentStore":
        """Start a new store, or (resume) verify an existing one and keep what checks out."""
        folder = Path(folder)
        (folder / PARTS).mkdir(parents=True, exist_ok=True)
        old = folder / MANIFEST
        if old.is_file():
            manifest = json.loads(old.read_text())
            if manifest.get("content_hash") != plan_fields["content_hash"]:
                raise ResultsFolderError(
                    f"expected the results of this experiment in {folder}, found those of another version of it "
                    f"({manifest.get('experiment')}, content hash {str(manifest.get('content_hash'))[:12]}); "
                    "choose another --out"
                )
            if not resume:
                raise ResultsFolderError(
                    f"expected an empty folder, found earlier results of this experiment in {folder}; "
                    "pass --resume to go on with them, or choose another --out"
                )
        else:
            manifest = {**plan_fields, "parts": [], "failed": {}, "started_utc": _now()}
        store = cls(folder, manifest)
        store._verify()
        return store

    def _verify(self) -> None:
        """Keep the parts whose checksum matches; remove everything else in parts/ and the final tables."""
        kept, listed = [], set()
        for part in self.manifest["parts"]:
            paths = [self.folder / PARTS / name for name in part["files"]]
            if all(p.is_file() and sha256(p) == part["sha256"][p.name] for p in paths):
                kept.append(part)
                listed.update(part["files"])
                self.finished.update(part["runs"])
        self.manifest["parts"] = kept
        for path in (self.folder / PARTS).iterdir():
            if path.name not in listed:
                path.unlink()
        (self.folder / "runs.parquet").unlink(missing_ok=True)
        shutil.rmtree(self.folder / "indicators", ignore_errors=True)
        self.manifest.pop("finished_utc", None)
        self.manifest["failed"] = {k: v for k, v in self.manifest.get("failed", {}).items() if int(k) in self.finished}
        write_json(self.manifest, self.folder / MANIFEST)

    def add(self, tables: dict[str, list[pd.DataFrame]], runs: Sequence[int], failed: dict[int, dict]) -> None:
        """Write the rows of a group of finished runs as one part per kind, then list them in the manifest."""
        numbers = [
            int(name.rsplit("-", 1)[1].split(".")[0]) for part in self.manifest["parts"] for name in part["files"]
        ]
        number = max(numbers, default=0) + 1
        files, sums = [], {}
        for kind, frames in tables.items():
            if not frames:
                continue
            name = f"{kind}-{number:06d}.parquet"
            write_parquet(pd.concat(frames, ignore_index=True), self.folder / PARTS / name)
            files.append(name)
            sums[name] = sha256(self.folder / PARTS / name)
        self.manifest["parts"].append({"files": files, "sha256": sums, "runs": sorted(runs)})
        self.manifest["failed"].update({str(k): v for k, v in failed.items()})
        self.finished.update(runs)
        write_json(self.manifest, self.folder / MANIFEST)

    def finish(self, order: Sequence[int], complete: bool) -> None:
        """Mark the batch ended; when every run is in, write the final runs and indicators tables."""
        if complete:
            runs = read_parts(self.folder, "runs")
            runs = runs.set_index("run").loc[list(order)].reset_index()
            write_parquet(runs, self.folder / "runs.parquet")
            indicators = read_parts(self.folder, "indicators")
            if len(indicators):
                indicators = indicators.sort_values(["run", "month"], kind="mergesort", ignore_index=True)
                for strategy, rows in indicators.groupby("strategy", sort=True):
                    target = self.folder / "indicators" / f"strategy={strategy}"
                    target.mkdir(parents=True, exist_ok=True)
                    write_parquet(rows.drop(columns="strategy").reset_index(drop=True), target / "part-0.parquet")
            self.manifest["finished_utc"] = _now()
        self.manifest["complete"] = complete
        write_json(self.manifest, self.folder / MANIFEST)


def read_parts(folder: Path, kind: str, columns: list[str] | None = None, filters: Any = None) -> pd.DataFrame:
    """The rows of one kind over all listed part files, in run order."""
    manifest = json.loads((Path(folder) / MANIFEST).read_text())
    names = [n for part in manifest["parts"] for n in part["files"] if n.startswith(f"{kind}-")]
    if not names:
        return pd.DataFrame()
    dataset = ds.dataset([str(Path(folder) / PARTS / n) for n in names], format="parquet")
    frame = dataset.to_table(columns=columns, filter=_filter(filters)).to_pandas()
    return frame.sort_values("run", kind="mergesort", ignore_index=True) if "run" in frame else frame


def load_results(
    folder: str | Path, kind: str = "runs", columns: list[str] | None = None, filters: Any = None
) -> pd.DataFrame:
    """One kind of an experiment's results as a pandas frame, reading only the columns and rows asked for.

    `filters` are pyarrow filters, e.g. ``[("strategy", "==", "aftercare")]`` or a
    ``pyarrow.dataset`` expression. A finished experiment reads its final tables; an
    unfinished one (or a kind that has only parts) reads its parts.
    """
    folder = Path(folder)
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, found {kind!r}")
    if not (folder / MANIFEST).is_file():
        raise ResultsFolderError(f"expected an experiment's results folder, found no {MANIFEST} in {folder}")
    if kind == "runs" and (folder / "runs.parquet").is_file():
        return pq.read_table(folder / "runs.parquet", columns=columns, filters=filters).to_pandas()
    if kind == "indicators" and (folder / "indicators").is_dir():
        dataset = ds.dataset(str(folder / "indicators"), format="parquet", partitioning="hive")
        frame = dataset.to_table(columns=columns, filter=_filter(filters)).to_pandas()
        if "strategy" in frame:
            frame["strategy"] = frame["strategy"].astype(str)
        return frame.sort_values(["run", "month"], ignore_index=True) if {"run", "month"} <= set(frame) else frame
    return read_parts(folder, kind, columns, filters)


def recorded_columns(folder: str | Path, kind: str) -> list[str]:
    """The column names one kind of an experiment's results has (from the schema; no rows are read)."""
    folder = Path(folder)
    if kind == "runs" and (folder / "runs.parquet").is_file():
        return pq.read_schema(folder / "runs.parquet").names
    if kind == "indicators" and (folder / "indicators").is_dir():
        return ds.dataset(str(folder / "indicators"), format="parquet", partitioning="hive").schema.names
    manifest = json.loads((folder / MANIFEST).read_text())
    names = [n for part in manifest["parts"] for n in part["files"] if n.startswith(f"{kind}-")]
    return pq.read_schema(folder / PARTS / names[0]).names if names else []


def _filter(filters: Any) -> Any:
    """Pyarrow filters in list-of-tuples form as an expression (an expression passes through)."""
    if filters is None or isinstance(filters, ds.Expression):
        return filters
    return pq.filters_to_expression(filters)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
