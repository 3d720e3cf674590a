"""The import direction of the package, checked rather than hoped for.

The package is cut into stages (see docs/architecture.md). A stage imports only
stages below it; `intake` and `batch` stand side by side and never import each
other. Inside a stage, modules import only modules of a lower rank, so there are
no cycles. Only the `cli` stage uses typer, only `intake.prompts` and `intake.widgets` use
questionary, and the pure stages (bank, engine) never touch the terminal.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "consult"

# The rank of each stage: a module may import the stages of a lower rank.
STAGE_RANK: dict[str, int] = {
    "errors": 0,
    "bank": 1,
    "answers": 2,
    "engine": 3,
    "output": 4,
    "fhir": 4,
    "intake": 5,
    "batch": 5,
    "cli": 6,
    "__main__": 7,
    "__init__": 7,
}

# The rank of each module inside its stage: a module imports lower ranks only.
MODULE_RANK: dict[str, dict[str, float]] = {
    "bank": {
        "codes": -1,
        "model": 0,
        "yamlsource": 0,
        "files": 0.5,
        "operators": 1,
        "scope": 1.8,
        "schema": 1,
        "truth": 1.5,
        "conditions": 2,
        "rules": 4,
        "loader": 5,
    },
    "answers": {"values": 0, "groups": 0.5, "check": 1, "fhir": 2, "read": 3},
    "engine": {
        "result": 0,
        "completions": 0,
        "areas": 0,
        "prepared": 0.1,
        "rulemasks": 0.2,
        "decision": 0.3,
        "outcomes": 0.5,
        "explained": 0.5,
        "decide": 1,
        "scenarios": 2,
        "whynot": 2,
        "explain": 3,
        "schemaparts": 2.9,
        "fileschema": 3,
    },
    "output": {
        "files": 0,
        "plan": 0,
        "text": 0,
        "terminal": 1,
        "answerlist": 1,
        "appendix": 1,
        "markdown": 2,
        "patient": 2,
        "html": 3,
        "explanation": 1,
        "brief": 2,
    },
    "fhir": {
        "validate": 0,
        "enable": 1,
        "response": 2,
        "questionnaire": 1.5,
        "guidance": 3,
    },
    "intake": {
        "areas": 0,
        "fitting": 0,
        "branching": 0.3,
        "lock": 0.4,
        "draft": 0.5,
        "patient": 0.6,
        "asking": 0.8,
        "flow": 1,
        "session": 1.5,
        "layout": 2,
        "widgets": 3,
        "prompts": 4,
    },
    "batch": {
        "signals": 0,
        "inputs": 1,
        "cells": 1.5,
        "formats": 2,
        "pool": 3,
        "writers": 3,
        "diff": 4,
        "run": 4,
    },
    "cli": {
        "shipped": -1,
        "table": -1,
        "clinician": -1,
        "answerfile": -0.5,
        "app": 0,
        "bank": 1,
        "author": 1,
        "batch": 1,
        "export": 1.5,
        "fhir": 1,
        "intake": 1,
        "template": 1,
        "main": 2,
    },
}

TERMINAL = {"typer", "questionary", "prompt_toolkit", "rich", "click"}
ALLOWED_TERMINAL = {
    "cli": {"typer", "rich"},
    "intake.prompts": {"questionary", "prompt_toolkit", "rich"},
    "intake.widgets": {"questionary", "prompt_toolkit", "rich"},
    "intake.flow": {"rich"},
    "output.terminal": {"rich"},
    "output.brief": {"rich"},
}


def modules() -> list[str]:
    """Every module of the package as `stage.module` (or `stage` for a top-level one)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found.append(".".join(p for p in parts if p != "__init__") or "__init__")
    return found


MODULES = modules()


def imports_of(module: str, package: Path = PACKAGE) -> set[str]:
    parts = module.split(".")
    path = package.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = package.joinpath(*parts, "__init__.py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def stage_of(module: str) -> str:
    return module.split(".")[0]


def upward_imports(module: str, package: Path = PACKAGE) -> list[str]:
    """The imports of `module` that reach a stage not below its own."""
    stage = stage_of(module)
    wrong = []
    for name in sorted(imports_of(module, package)):
        parts = name.split(".")
        if parts[0] != "consult" or len(parts) < 2 or parts[1] not in STAGE_RANK:
            continue
        if parts[1] != stage and STAGE_RANK[parts[1]] >= STAGE_RANK[stage]:
            wrong.append(name)
    return wrong


def test_every_stage_and_module_has_a_rank() -> None:
    for module in MODULES:
        stage, _, name = module.partition(".")
        assert stage in STAGE_RANK, f"add the stage of consult/{module} to STAGE_RANK"
        if name:
            assert name in MODULE_RANK[stage], f"add {module} to MODULE_RANK in {__file__}"


def test_modules_and_imports_are_found() -> None:
    # Guards the guard: the walk sees the stages, their modules and their imports.
    assert {"errors", "bank.loader", "engine.decide", "cli.main", "batch.pool"} <= set(MODULES)
    assert "consult.bank.model" in imports_of("engine.decide")


@pytest.mark.parametrize("module", MODULES)
def test_stages_import_only_stages_below(module: str) -> None:
    assert upward_imports(module) == []


@pytest.mark.parametrize("module", [m for m in MODULES if "." in m])
def test_modules_inside_a_stage_import_lower_ranks(module: str) -> None:
    stage, _, own = module.partition(".")
    ranks = MODULE_RANK[stage]
    for name in imports_of(module):
        parts = name.split(".")
        if parts[:2] == ["consult", stage] and len(parts) > 2 and parts[2] in ranks:
            assert ranks[parts[2]] < ranks[own], f"{module} imports {name}"


@pytest.mark.parametrize("module", MODULES)
def test_terminal_libraries_stay_at_the_edge(module: str) -> None:
    used = {name.split(".")[0] for name in imports_of(module)} & TERMINAL
    allowed = ALLOWED_TERMINAL.get(module, ALLOWED_TERMINAL.get(stage_of(module), set()))
    assert used <= allowed, f"{module} imports {sorted(used)}"


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("engine.decide", "from consult.batch.pool import evaluate_inputs"),
        ("batch.pool", "from consult.intake import flow"),
        ("bank.loader", "import consult.output.files"),
    ],
)
def test_the_guard_fails_on_an_upward_import(tmp_path: Path, module: str, line: str) -> None:
    copy = tmp_path / "consult"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy.joinpath(*module.split(".")).with_suffix(".py")
    target.write_text(line + "\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    assert upward_imports(module, copy) != []
    assert upward_imports(module) == []


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


@pytest.mark.parametrize("module", MODULES)
def test_modules_and_functions_stay_small(module: str) -> None:
    # A module past 400 lines is split by what changes together; a function past
    # 80 lines says in its docstring why it is long "on purpose".
    parts = module.split(".")
    path = PACKAGE.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = PACKAGE.joinpath(*parts, "__init__.py")
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES, f"{module}: {text.count(chr(10))} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = "on purpose" in (ast.get_docstring(node) or "")
            assert length <= MAX_FUNCTION_LINES or reason, f"{module}.{node.name}: {length} lines"


def test_every_module_is_named_in_the_architecture_page() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        module for module in MODULES if "." in module and f"`{module.split('.')[-1]}`" not in page
    ]
    assert not missing, f"name these modules in docs/architecture.md: {', '.join(missing)}"
