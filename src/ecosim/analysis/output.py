"""Writing analysis tables: CSV, Parquet and Markdown side by side, each through a temporary name."""

import math
import os
from pathlib import Path

import pandas as pd

from ecosim.results import write_parquet


def cell(value: object) -> str:
    """A table cell as text: 4 significant digits for floats, n/a for NaN, inf spelled out."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    return str(value)


def to_markdown(frame: pd.DataFrame) -> str:
    """A pipe table of the frame (no index)."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v).replace("|", "\\|") for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *body]) + "\n"


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write each table as <name>.csv, <name>.parquet and <name>.md into `folder` (made if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        for suffix, write in (
            (".csv", lambda f, p: p.write_text(f.to_csv(index=False, lineterminator="\n"))),
            (".md", lambda f, p: p.write_text(to_markdown(f))),
        ):
            path = folder / f"{name}{suffix}"
            temporary = path.with_name(f".{path.name}.tmp")
            write(frame, temporary)
            os.replace(temporary, path)
            written.append(path)
        write_parquet(frame, folder / f"{name}.parquet")
        written.append(folder / f"{name}.parquet")
    return written
