"""Results on disk: Parquet tables and a JSON manifest, written atomically (:func:`save_run` for a run).

A run's files appear in their folder all at once or not at all: they are written into a
temporary sibling folder (`.<name>.staging-*`) that then replaces the target, so an
interrupted write never leaves a half-written result. Only an empty folder or an earlier
run's folder (one with a `manifest.json`) is ever replaced: a folder holding anything else
is refused, not emptied. One writer at a time: :func:`reserve` holds a lock file beside the
folder from before the run until its files are in place; a staging folder found while
holding it was left by a writer that was killed, and is removed.
"""

import contextlib
import fcntl
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ecosim.tables import column_metadata, outcomes_table

if TYPE_CHECKING:
    from ecosim.runner import RunResult

MANIFEST = "manifest.json"


class ResultsFolderError(ValueError):
    """A results folder that cannot be written or must not be replaced."""


def check_target(folder: Path) -> Path:
    """The absolute folder a run may be written to; raise ResultsFolderError if it may not.

    Checked before a run starts, so a mistake costs nothing: the folder is not the root, not
    a file, empty or an earlier run's, not read-only, and its parent can be written (a probe
    file with the staging folder's name is made and removed).
    """
    folder = Path(folder).resolve()
    if folder == Path(folder.anchor):
        raise ResultsFolderError(f"expected a folder for the results, found the file-system root {folder}")
    try:
        if folder.exists() and not folder.is_dir():
            raise ResultsFolderError(f"expected a folder, found a file: {folder}")
        if folder.is_dir():
            if any(folder.iterdir()) and not (folder / MANIFEST).is_file():
                raise ResultsFolderError(
                    f"expected an empty folder or an earlier run's folder, found other files in {folder}"
                )
            if not os.access(folder, os.W_OK) or not folder.stat().st_mode & 0o222:
                raise ResultsFolderError(f"expected a folder that may be written, found a read-only one: {folder}")
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{folder.name}.staging-", dir=folder.parent):
            pass
    except OSError as exc:
        found = exc.strerror or str(exc)
        raise ResultsFolderError(f"expected a folder that can be written, found {found}: {folder}") from None
    return folder


_held: dict[Path, int] = {}  # lock file -> open descriptor, for the reservations this process holds


@contextlib.contextmanager
def reserve(folder: Path) -> Iterator[Path]:
    """Hold `folder` for one writer (this process) while the body runs; refuse if another holds it.

    Re-entrant within a process. On entering, staging folders left by a killed writer are removed.
    """
    folder = Path(folder).resolve()
    lock = folder.with_name(f".{folder.name}.lock")
    if lock in _held:  # this process holds it already: checked when it was taken
        yield folder
        return
    folder = check_target(folder)
    try:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise ResultsFolderError(f"expected a folder that can be written, found {exc.strerror}: {folder}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(descriptor).st_ino != os.stat(lock).st_ino:  # a writer just finished and removed this file
            raise BlockingIOError
    except (BlockingIOError, FileNotFoundError):
        os.close(descriptor)
        raise ResultsFolderError(f"expected no other run writing to {folder}, found one writing to it now") from None
    _held[lock] = descriptor
    try:
        for stale in folder.parent.glob(f".{folder.name}.staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield folder
    finally:
        del _held[lock]
        os.unlink(lock)  # removed while still held, so no other writer can hold a lock file that is gone
        os.close(descriptor)


Described = Mapping[str, Mapping[str, Mapping[str, str]]]
"""Per table, per column: text metadata (e.g. unit, description); the column '' describes the table."""


def write_run(
    folder: Path, tables: dict[str, pd.DataFrame], manifest: dict[str, Any], described: Described | None = None
) -> Path:
    """Write each table as `<name>.parquet` and `manifest.json` into `folder`, atomically.

    `described` goes into each Parquet file's schema: a column's entries as its field metadata,
    the table's ('' key) as the schema's, so the files explain themselves to any reader.
    """
    with reserve(folder) as folder:
        _write(folder, tables, manifest, described or {})
    return folder


def _write(folder: Path, tables: dict[str, pd.DataFrame], manifest: dict[str, Any], described: Described) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it owner-only; results are shared like any folder
        for name, frame in tables.items():
            pq.write_table(_arrow_table(frame, described.get(name, {})), staging / f"{name}.parquet")
        text = json.dumps(strict_json(manifest), indent=2, sort_keys=True, allow_nan=False)
        (staging / MANIFEST).write_text(text + "\n")
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def save_run(result: "RunResult", folder: str | Path) -> Path:
    """Write a run's recorded tables, its outcomes table and its manifest (with the outcomes) into `folder`."""
    tables = {**result.tables, "outcomes": outcomes_table(result.outcomes)}
    return write_run(Path(folder), tables, {**result.manifest, "outcomes": result.outcomes}, column_metadata(tables))


def _arrow_table(frame: pd.DataFrame, described: Mapping[str, Mapping[str, str]]) -> pa.Table:
    """`frame` as an Arrow table whose fields and schema carry `described`'s metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [field.with_metadata(described.get(field.name, {})) for field in table.schema]
    metadata = {**(table.schema.metadata or {}), **{k.encode(): v.encode() for k, v in described.get("", {}).items()}}
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=metadata))


def _swap_in(staging: Path, folder: Path) -> None:
    """Put `staging` in the place of `folder`; the old folder comes back if that fails."""
    if not folder.exists():
        os.replace(staging, folder)
        return
    retired = folder.with_name(f".{folder.name}.staging-retired")
    shutil.rmtree(retired, ignore_errors=True)
    os.replace(folder, retired)
    try:
        os.replace(staging, folder)
    except BaseException:
        os.replace(retired, folder)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def strict_json(value: Any) -> Any:
    """`value` with NaN and infinities as None and NumPy scalars as Python ones, for strict JSON."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def read_run(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The tables and manifest of a run written by :func:`write_run`."""
    folder = Path(folder)
    tables = {path.stem: pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))}
    return tables, json.loads((folder / MANIFEST).read_text())


def read_described(path: Path) -> dict[str, dict[str, str]]:
    """The metadata :func:`write_run` put in one Parquet file: per column, and '' for the table."""
    schema = pq.read_schema(path)
    out = {"": {k.decode(): v.decode() for k, v in (schema.metadata or {}).items() if k != b"pandas"}}
    for field in schema:
        out[field.name] = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
    return out
