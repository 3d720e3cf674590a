"""The modules setup.py compiles with mypyc, and whether the compiled ones are in use."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def listed() -> list[str]:
    """The module names in setup.py's COMPILED list."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets
        ):
            paths = ast.literal_eval(node.value)
            return [p.removesuffix(".py").replace("/", ".") for p in paths]
    raise AssertionError("setup.py has no COMPILED list")


def origin(module: str) -> Path:
    """The file Python imports the module from (a compiled extension or the source)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return Path(spec.origin)


def compiled(module: str) -> bool:
    """Whether Python imports the module from a compiled extension."""
    return origin(module).suffix in (".so", ".pyd")


def stale() -> list[str]:
    """Compiled modules whose source beside them is newer (an edit not yet rebuilt)."""
    found = []
    for module in listed():
        built = origin(module)
        if built.suffix not in (".so", ".pyd"):
            continue
        source = built.with_name(module.rpartition(".")[2] + ".py")
        if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
            found.append(module)
    return found
