"""One side of bench/compare.py: time the engine of whichever consult is importable.

    PYTHONPATH=TREE python bench/compare_worker.py SETS.json BANK_ROOT SECTIONS

Prints seconds per answer set (or per load) as JSON.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def per_item(fn: Callable[[Any], object], items: list[Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items)


def compact(result: Any) -> str:
    """The result as compact JSON text, the fastest way this version offers."""
    if hasattr(result, "to_json"):
        return str(result.to_json())
    return json.dumps(result.to_dict(), ensure_ascii=False, separators=(",", ":"))


def batch_record(kb: Any) -> Callable[[bytes], object] | None:
    """One JSONL line to its batch record, as `consult evaluate` does it (None if too old)."""
    try:
        from consult.batch.items import Item, run_item

        from consult.batch.formats import JsonRecords
    except ImportError:  # before the stage layout
        try:
            from consult.formats import JsonRecords  # type: ignore[import-not-found,no-redef]

            from consult.batch import Item, run_item  # type: ignore[attr-defined,no-redef]
        except ImportError:
            return None
    renderer = JsonRecords()
    return lambda line: run_item(kb, Item("s.jsonl", 1, data=line), renderer)


def main() -> None:
    sets: list[dict[str, Any]] = json.loads(Path(sys.argv[1]).read_text())
    root = Path(sys.argv[2])
    import consult

    try:
        from consult.answers.check import check_mapping
    except ImportError:  # before the stage layout
        from consult.answers import check_mapping  # type: ignore[import-not-found,no-redef]

    start = time.perf_counter()
    loads = 5
    for _ in range(loads):
        kb = consult.load(root / "questions", root / "rules")
    load = (time.perf_counter() - start) / loads
    evaluate = consult.evaluate
    checked = [check_mapping(kb, s) for s in sets]
    evaluate(kb, sets[0])  # anything built once per bank is built here
    out = {
        "load": load,
        "check": per_item(lambda s: check_mapping(kb, s), sets),
        "api": per_item(lambda s: evaluate(kb, s), sets),
        "checked": per_item(lambda s: evaluate(kb, s), checked),
        "to_dict": per_item(lambda s: evaluate(kb, s).to_dict(), sets),
        "json": per_item(lambda s: json.dumps(evaluate(kb, s).to_dict()), sets),
        "text": per_item(lambda s: compact(evaluate(kb, s)), sets),
    }
    record = batch_record(kb)
    if record is not None:
        lines = [json.dumps({"consult": 1, "answers": s}).encode() for s in sets]
        out["record"] = per_item(record, lines)
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
