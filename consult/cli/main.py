"""The command line: the app with all its commands, and the console script.

A bug ends in one line naming the exception type and place; see `run`.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from pathlib import Path

from consult.cli import author as cli_author
from consult.cli import bank as cli_bank
from consult.cli import batch as cli_batch
from consult.cli import intake as cli_intake
from consult.cli.app import app

# Importing the command modules registers their commands on the app.
COMMAND_MODULES = (cli_bank, cli_author, cli_batch, cli_intake)
__all__ = ["app", "run"]


INTERNAL_ERROR = 70


def run() -> None:
    """Run the app (the console script).

    A bug gets one line naming the exception type and place, never its message
    or a traceback, as either may hold patient answers. `CONSULT_DEBUG=1` shows
    the full traceback for a developer.
    """
    try:
        app()
    except Exception as exc:
        if os.environ.get("CONSULT_DEBUG"):
            raise
        sys.stderr.write(
            f"consult: internal error ({type(exc).__name__} at {_where(exc)}); please report it. "
            "Set CONSULT_DEBUG=1 to see the traceback.\n"
        )
        sys.exit(INTERNAL_ERROR)
    finally:
        # The interpreter's last garbage collection at exit walks every object
        # left (the bank, the compiled rules, the command line's own): about
        # 14 ms of each command. Files are closed and output flushed by then;
        # frozen objects are only left out of that last collection.
        gc.freeze()


def _where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:]
    return f"{Path(frame[0].filename).name}:{frame[0].lineno}" if frame else "unknown place"
