"""The import direction of the package, checked rather than hoped for.

Pure stages (conditions, loader, answers, engine, report) never touch the
terminal libraries; only the `cli*` modules use typer, only `prompts` uses questionary.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "consult"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")

# Each module may import consult modules of a lower rank only.
RANK: dict[str, float] = {
    "errors": 0,
    "model": 1,
    "yamlsrc": 2,
    "files": 2,
    "quickyaml": 2,
    "result": 2,
    "sink": 3,
    "schema": 3,
    "conditions": 4,
    "codegen": 4.5,
    "ruleread": 5,
    "loader": 5.5,
    "answers": 6,
    "settle": 5,
    "ruleindex": 5.2,
    "decideopen": 6.5,
    "engine": 7,
    "resultjson": 7.5,
    "scenarios": 8,
    "batch": 8,
    "batchread": 7.6,
    "draft": 8,
    "report": 9,
    "formats": 9,
    "batchrun": 10,
    "view": 9,
    "intake": 10,
    "prompts": 11,
    "cli_app": 12,
    "cli_bank": 12.5,
    "cli_batch": 12.5,
    "cli_intake": 12.5,
    "cli": 13,
    "__main__": 14,
}
TERMINAL = {"typer", "questionary", "prompt_toolkit", "rich", "click"}
ALLOWED_TERMINAL = {
    "cli": {"typer", "rich"},
    "cli_app": {"typer", "rich"},
    "cli_bank": {"typer", "rich"},
    "cli_batch": {"typer", "rich"},
    "cli_intake": {"typer", "rich"},
    "prompts": {"questionary", "prompt_toolkit", "rich"},
    "view": {"rich"},
    "intake": {"rich"},
}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "consult":
                found.update(f"consult.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_module_has_a_rank(module: str) -> None:
    assert module in RANK, f"add consult/{module}.py to RANK in {__file__}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_point_down(module: str) -> None:
    for name in imports_of(module):
        parts = name.split(".")
        if parts[0] == "consult" and len(parts) > 1 and parts[1] in RANK:
            assert RANK[parts[1]] < RANK[module], f"{module} imports {name}"


@pytest.mark.parametrize("module", MODULES)
def test_terminal_libraries_stay_at_the_edge(module: str) -> None:
    used = {name.split(".")[0] for name in imports_of(module)} & TERMINAL
    assert used <= ALLOWED_TERMINAL.get(module, set()), f"{module} imports {sorted(used)}"
