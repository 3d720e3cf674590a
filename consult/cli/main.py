"""The command line: the app with all its commands, and the console script.

A bug ends in one line naming the exception type and place; see `run`.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from consult.cli import author as cli_author
from consult.cli import bank as cli_bank
from consult.cli import batch as cli_batch
from consult.cli import export as cli_export
from consult.cli import fhir as cli_fhir
from consult.cli import intake as cli_intake
from consult.cli import template as cli_template
from consult.cli.app import app, drop_stdout

# Importing the command modules registers their commands on the app.
COMMAND_MODULES = (cli_bank, cli_author, cli_batch, cli_export, cli_fhir, cli_intake, cli_template)
__all__ = ["app", "run"]


INTERNAL_ERROR = 70
OUTPUT_ERROR = 74  # ExitStatus.OUTPUT_ERROR, without importing consult.errors at start-up


def run() -> None:
    """Run the app (the console script).

    A bug gets one line naming the exception type and place, never its message
    or a traceback, as either may hold patient answers. `CONSULT_DEBUG=1` shows
    the full traceback for a developer.
    """
    try:
        try:
            sys.argv[1:] = resume_without_path(sys.argv[1:])
            app()
        finally:
            # Flushed here, not at exit, so that a failed write is reported below.
            sys.stdout.flush()
    except OSError as exc:
        from consult.errors import OUTPUT_ERRNOS

        if exc.errno not in OUTPUT_ERRNOS or os.environ.get("CONSULT_DEBUG"):
            _internal_error(exc)
        # stdout on a full disk (`> /dev/full`): the output's fault, not a bug.
        output_lost(exc)
    except Exception as exc:  # noqa: BLE001 - every bug ends in one line, see the docstring
        _internal_error(exc)
    finally:
        # The interpreter's last garbage collection at exit walks every object
        # left (the bank, the compiled rules, the command line's own): about
        # 14 ms of each command. Files are closed and output flushed by then;
        # frozen objects are only left out of that last collection.
        gc.freeze()


def resume_without_path(args: list[str]) -> list[str]:
    """`intake --resume` with no path after it: an empty path, meaning "pick a draft"."""
    if "intake" not in args:
        return args
    found = list(args)
    for index in range(len(found) - 1, -1, -1):
        after = found[index + 1] if index + 1 < len(found) else None
        if found[index] == "--resume" and (after is None or after.startswith("-")):
            found.insert(index + 1, "")
    return found


def output_lost(exc: OSError) -> NoReturn:
    """Say in one line that the output could not be written, and exit with OUTPUT_ERROR."""
    drop_stdout()
    sys.stderr.write(f"consult: cannot write the output: {(exc.strerror or 'failed').lower()}\n")
    sys.exit(OUTPUT_ERROR)


def _internal_error(exc: BaseException) -> NoReturn:
    if os.environ.get("CONSULT_DEBUG"):
        raise exc
    sys.stderr.write(
        f"consult: internal error ({type(exc).__name__} at {_where(exc)}); please report it. "
        "Set CONSULT_DEBUG=1 to see the traceback.\n"
    )
    sys.exit(INTERNAL_ERROR)


def _where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:]
    return f"{Path(frame[0].filename).name}:{frame[0].lineno}" if frame else "unknown place"
