"""The arrows of ARCHITECTURE.md point down only: hosting -> conversation -> presentation -> domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "dialogs": {"bot"},
    "presentation": {"bot", "dialogs"},
    "knowledge": {"bot", "dialogs", "presentation", "intune", "botbuilder", "botframework"},
    "intune": {"bot", "dialogs", "presentation", "botbuilder", "botframework"},
    "storage": {"bot", "dialogs", "presentation", "knowledge", "intune", "botbuilder", "botframework"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_it(package: str) -> None:
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not wrong, "\n".join(wrong)
