"""docs/ODD.md's parameter table lists exactly the fields of Parameters, with their defaults."""

import math
import re
from fractions import Fraction
from pathlib import Path

import pytest

from ecosim.parameters import Parameters, domain

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
ROW = re.compile(r"^\|\s*`(?P<name>[A-Za-z_][A-Za-z0-9_]*)`\s*\|")


def parameter_rows() -> dict[str, list[str]]:
    """Rows of the table under '## Parameters': name -> the row's cells (name first)."""
    lines = ODD.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index("## Parameters")
    except ValueError:
        pytest.fail(f"{ODD} has no '## Parameters' heading")
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        match = ROW.match(line)
        if match is None:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = match["name"]
        assert name not in rows, f"parameter {name!r} has two rows in the ODD table"
        rows[name] = cells
    return rows


def parse_number(text: str) -> float:
    """A default cell as a number: '0.25', '6000', '1e-3' or a fraction such as '1/60'."""
    text = text.replace("`", "").strip()
    if "/" in text:
        return float(Fraction(text.replace(" ", "")))
    return float(text)


def test_table_lists_every_parameter_and_nothing_else():
    names = set(parameter_rows())
    fields = set(Parameters.model_fields)
    assert not fields - names, f"missing from docs/ODD.md: {sorted(fields - names)}"
    assert not names - fields, f"stale in docs/ODD.md: {sorted(names - fields)}"


def test_every_row_has_six_cells():
    for name, cells in parameter_rows().items():
        assert len(cells) == 6, (
            f"{name}: expected 6 cells (name, default, unit, range, meaning, source), found {len(cells)}"
        )
        assert all(cells), f"{name}: a cell is empty"


@pytest.mark.parametrize("name", list(Parameters.model_fields))
def test_default_matches_the_code(name):
    rows = parameter_rows()
    if name not in rows:
        pytest.fail(f"{name} is missing from docs/ODD.md")
    cell = rows[name][1]
    default = Parameters.model_fields[name].default
    if isinstance(default, bool):
        assert cell.replace("`", "").strip().lower() == ("true" if default else "false"), f"{name}: ODD says {cell!r}"
    else:
        try:
            documented = parse_number(cell)
        except (ValueError, ZeroDivisionError):
            pytest.fail(f"{name}: default cell {cell!r} is not a number")
        assert math.isclose(documented, float(default), rel_tol=1e-9, abs_tol=0.0), (
            f"{name}: ODD says {cell!r}, the code's default is {default!r}"
        )


@pytest.mark.parametrize("name", list(Parameters.model_fields))
def test_range_matches_the_codes_domain(name):
    """The range column shows the bounds the code enforces (and every parameter has both bounds)."""
    assert parameter_rows()[name][3] == domain(name)
    assert "inf" not in domain(name), f"{name}: every parameter declares a finite domain"
