"""Every line of the checklist has a test, and the README accounts for it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checklist_ids() -> list[str]:
    """Return the line ids of docs/checks.md (S1, L2, J3, ...)."""
    text = (ROOT / "docs" / "checks.md").read_text()
    return re.findall(r"^- ([A-Z][0-9]+)\. ", text, flags=re.MULTILINE)


def suite_test_names() -> set[str]:
    """Return the name of every test function in the suite."""
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def test_the_checklist_has_lines() -> None:
    assert len(checklist_ids()) >= 30


def test_every_checklist_line_has_a_test_named_after_it() -> None:
    names = suite_test_names()

    untested = [
        line
        for line in checklist_ids()
        if not any(name.startswith(f"test_{line}_") for name in names)
    ]

    assert untested == []


def test_the_readme_accounts_for_every_checklist_line() -> None:
    readme = (ROOT / "README.md").read_text()

    missing = [line for line in checklist_ids() if f"| {line} |" not in readme]

    assert missing == []
