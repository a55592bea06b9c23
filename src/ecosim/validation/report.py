"""The validation report: the analytic cases and the nine patterns as Check rows and a Markdown table."""

from collections.abc import Iterable

from ecosim.validation import Check, analytic, patterns


def analytic_checks() -> list[Check]:
    """Every analytic special case of docs/ODD.md §7.9 on its scenario in experiments/analytic/."""
    return analytic.all_checks()


def pattern_checks(replications: int = patterns.REPLICATIONS) -> list[Check]:
    """Patterns P1-P9 of docs/ODD.md §1 on experiments/patterns.toml, `replications` paired seeds each."""
    return patterns.all_checks(replications)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(x: float) -> str:
    return f"{x:.4g}"


def to_markdown(checks: Iterable[Check], notes: bool = True) -> str:
    """A Markdown table (group, check, expected, measured, interval, result), then each check's note."""
    checks = list(checks)
    lines = ["| group | check | expected | measured | interval | result |", "|---|---|---|---:|---|---|"]
    for c in checks:
        lines.append(f"| {c.group} | {_cell(c.name)} | {_cell(c.expected)} | {_number(c.measured)} | "
                     f"[{_number(c.low)}, {_number(c.high)}] | {'pass' if c.passed else '**FAIL**'} |")
    passed = sum(c.passed for c in checks)
    lines += ["", f"{passed} of {len(checks)} checks pass."]
    if notes:
        lines += ["", *(f"- **{c.name}**: {c.note}" for c in checks if c.note)]
    return "\n".join(lines) + "\n"
