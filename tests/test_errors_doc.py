"""docs/errors.md lists every error class of the package, each with what causes it and what to do."""

import ast
from pathlib import Path

import pytest

from ecosim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
INTERNAL = {"FieldMistake"}  # raised and caught inside scenario validation; users see a ScenarioError


def error_classes() -> set[str]:
    """Names of the exception classes defined anywhere in src/ecosim."""
    found = set()
    for path in (ROOT / "src" / "ecosim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if any(b.endswith(("Error", "Exception")) for b in bases):
                    found.add(node.name)
    return found


def test_every_error_class_has_its_section_with_causes_and_fixes():
    classes = error_classes() - INTERNAL
    assert {"ScenarioError", "ResultsFolderError", "TargetsError", "InvariantError"} <= classes
    sections = {part.split("\n", 1)[0].strip(): part for part in DOC.read_text().split("\n## ")[1:]}
    missing = sorted(classes - set(sections))
    assert not missing, f"docs/errors.md has no section for {missing}"
    for name in classes:
        text = sections[name].lower()
        assert ("cause" in text and "fix" in text) or "report" in text, name


def test_internal_errors_never_reach_a_user(tmp_path):
    """A FieldMistake (raised inside validation) reaches the user as a ScenarioError with its field path."""
    path = tmp_path / "s.toml"
    region = '[[regions]]\nname = "r"\ngenerate = { schools = 1, companies = 1, partnerships = 0 }\n'
    path.write_text('name = "s"\nsectors = ["care", "care"]\n' + region)
    with pytest.raises(
        ScenarioError, match=r"s.toml: sectors.1: expected sector names to be unique, found 'care' again"
    ):
        load_scenario(path)
