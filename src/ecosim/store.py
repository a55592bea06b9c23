"""Results on disk: Parquet tables and a JSON manifest, written atomically.

A run's files appear in their folder all at once or not at all: they are written into a
temporary sibling folder that then replaces the target, so an interrupted write never
leaves a half-written result.
"""

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def write_run(folder: Path, tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> Path:
    """Write each table as `<name>.parquet` and `manifest.json` into `folder`, atomically."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, frame in tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        text = json.dumps(strict_json(manifest), indent=2, sort_keys=True, allow_nan=False)
        (staging / "manifest.json").write_text(text + "\n")
        if folder.exists():
            retired = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(folder, retired)
            os.replace(staging, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


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
    return tables, json.loads((folder / "manifest.json").read_text())
