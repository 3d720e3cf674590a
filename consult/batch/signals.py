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
- The time limit per input (`TimeLimit`): a timer signal (SIGALRM) raises
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


class TimeLimit:
    """The time limit per input of a run (`seconds`; 0: no limit).

    `with limit.installed():` sets the timer signal's handler once for the run
    (setting it costs more than the timer itself), and `with limit:` around
    each input raises `Overtime` in the block once it has run `seconds`: each
    input only starts and stops the timer. A timer signal that comes between
    inputs, none being under way, is ignored: it cannot stop anything half done.
    Signals are handled in the main thread only: elsewhere there is no limit.
    """

    __slots__ = ("on", "running", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.on = False  # the handler is installed: inputs are timed
        self.running = False  # an input is under way, its timer started

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Time the inputs of the block (the handler set, then the one before restored)."""
        if self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGALRM, self._alarm) or signal.SIG_DFL
        self.on = True
        try:
            yield
        finally:
            self.on = self.running = False
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            finally:
                signal.signal(signal.SIGALRM, previous)

    def _alarm(self, _signum: int, _frame: object) -> None:
        if self.running:
            self.running = False  # the timer is spent: a later signal is a stray one
            raise Overtime

    def __enter__(self) -> None:
        if self.on:
            self.running = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *_exc: object) -> None:
        if self.on:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            finally:  # even when the time is up on the way out (Overtime from here)
                self.running = False


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
