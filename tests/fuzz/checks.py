"""What every run must look like, whatever it was fed."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import Result

# The exit statuses of the contract (and 74: stdout could not be written).
STATUSES = {0, 1, 2}
_SUMMARY = re.compile(r"^\d+ of \d+ answer sets? could not be evaluated$|^\d+ problems? found$")


def assert_clean_run(result: Result, names: set[str]) -> list[str]:
    """No bug, a contract status, and stderr made of one-line messages naming a file.

    Returns the message lines (without warnings and the closing count).
    """
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {type(result.exception).__name__}") from result.exception
    assert result.exit_code in STATUSES, result.stderr
    assert "Traceback" not in result.stderr
    messages = []
    for line in result.stderr.splitlines():
        if _SUMMARY.match(line):
            continue
        text = line.removeprefix("warning: ")
        name = next((n for n in names if text.startswith(f"{n}:")), None)
        assert name is not None, f"not a located one-line message: {line!r}"
        rest = text[len(name) + 1 :]
        assert re.match(r"(\d+:\d+: )?\S", rest.lstrip(" ")), f"no message: {line!r}"
        assert not any(c in line for c in "\x00\x1b\r"), f"raw control character: {line!r}"
        messages.append(line)
    return messages


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
