"""consult: decision support for regenerative aesthetic consultations.

The engine is a library first: `consult.load()` and `consult.evaluate()` are
pure (no prompts, no printing, no files written). They are imported lazily so
that `consult --version` and `--help` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "evaluate", "load"]

# Not `from typing import TYPE_CHECKING`: importing typing costs `consult
# --version` several milliseconds, and type checkers honour this name as well.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from consult.bank.loader import load
    from consult.engine.decide import evaluate


def __getattr__(name: str) -> Any:
    if name == "load":
        from consult.bank.loader import load

        return load
    if name == "evaluate":
        from consult.engine.decide import evaluate

        return evaluate
    raise AttributeError(f"module 'consult' has no attribute {name!r}")
