"""The parse floor: read and parse the same inputs with nothing else done.

    python bench/floor.py yaml FOLDER    # every *.yaml file under FOLDER, PyYAML's CSafeLoader
    python bench/floor.py jsonl FILE     # every line, json.loads
    python bench/floor.py jsonl-write FILE SIZE   # json.loads, then SIZE bytes per line to stdout
    python bench/floor.py jsonl-check FILE SIZE   # the same, and consult's answer check in between

Runs as its own process so that it is timed exactly like consult: start-up,
imports, reading and parsing, end to end.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _yaml(folder: Path) -> int:
    import yaml

    count = 0
    for path in sorted(folder.rglob("*.yaml")):
        yaml.load(path.read_bytes().decode("utf-8"), Loader=yaml.CSafeLoader)
        count += 1
    return count


def _jsonl(path: Path) -> int:
    import json

    count = 0
    with path.open("rb") as handle:
        for line in handle:
            json.loads(line)
            count += 1
    return count


def _jsonl_write(path: Path, size: int) -> int:
    """Parse every line and write a record of `size` bytes for it: the I/O under a batch."""
    import json

    record = b"x" * (size - 1) + b"\n"
    out = sys.stdout.buffer
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            json.loads(line)
            out.write(record)
            count += 1
    return count


def _jsonl_check(path: Path, size: int) -> int:
    """As `_jsonl_write`, with consult's check of every answer set (and its rule truths).

    This is all of consult's own work that comes before the decision: the
    generated function that checks the answers and works out every rule's
    truth (`Plan.check`). No decision is made and no explanation written.
    """
    import json

    import consult
    from consult.engine.decide import plan_of

    check = plan_of(consult.load()).check
    record = b"x" * (size - 1) + b"\n"
    out = sys.stdout.buffer
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if check(json.loads(line)["answers"]) is None:
                raise SystemExit(f"line {count + 1}: not a clean answer set")
            out.write(record)
            count += 1
    return count


def main() -> None:
    """Parse the inputs; print how many (to stderr when records go to stdout)."""
    kind, where = sys.argv[1], Path(sys.argv[2])
    if kind in ("jsonl-write", "jsonl-check"):
        writer = _jsonl_write if kind == "jsonl-write" else _jsonl_check
        sys.stderr.write(f"{writer(where, int(sys.argv[3]))}\n")
        return
    count = _yaml(where) if kind == "yaml" else _jsonl(where)
    print(count)


if __name__ == "__main__":
    main()
