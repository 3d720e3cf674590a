"""The signals of a batch run: stop signals held back for a moment, the time limit, parent death.

- Stop signals (Ctrl-C, SIGTERM, SIGHUP) raise an exception wherever the main
  thread is (`consult.cli.app.stop_on_signals`). `stops_blocked` holds them
  back while a block runs, and they act as soon as it ends. The batch stage
  uses it around the process pool's own code (an exception in there can leave
  one of its locks held, and the run would then never end) and around each
  write of output (the count of bytes the write got out would be lost, and a
  record cut). Threads and processes started inside such a block keep the
  signals blocked, so the pool's threads and workers never take them: the
  main thread does.
- The time limit per input (`time_limit`): a timer signal (SIGALRM) raises
  `Overtime` in the process evaluating the input, so nothing is left half
  done but that input.
- Parent death (`die_with_parent`): a worker asks the kernel to kill it when
  the run that started it ends, however it ends (Linux).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = frozenset((signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class stops_blocked:
    """Hold stop signals back in this thread while the block runs; they act when it ends."""

    def __enter__(self) -> None:
        self.held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)

    def __exit__(self, *_exc: object) -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, self.held)  # a held signal acts here


class Overtime(BaseException):
    """The input under way ran past the time limit.

    Not an Exception, so that no `except Exception` on the way swallows it.
    """


def _overtime(_signum: int, _frame: object) -> None:
    raise Overtime


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `Overtime` in the block once it has run `seconds` (0: no limit).

    Signals are handled in the main thread only: elsewhere there is no limit.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _overtime) or signal.SIG_DFL
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # even when the time is up on the way out (Overtime from here)
            signal.signal(signal.SIGALRM, previous)


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when `parent` ends (Linux); end now if it has."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the check below remains
            pass
    orphaned(parent)  # the parent may have ended before the death signal was asked for


def orphaned(parent: int) -> None:
    """End this process at once if `parent` is no longer its parent (the run has ended)."""
    if os.getppid() != parent:
        os._exit(1)
