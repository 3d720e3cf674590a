"""Keeping a batch run's processes in hand.

- A time limit per input: an input still being read, checked or evaluated
  after `seconds` is stopped and reported as an error, and the run goes on.
  A timer signal (SIGALRM) every tick looks at the input under way; stopping
  it is an exception raised in the process evaluating it, so nothing is left
  half done but that input.
- Workers that end with the run: the parent stops them when it is stopped
  (terminate, then kill after a grace), and a worker dies with its parent
  (a parent-death signal on Linux, and a check of the parent between chunks).
- Stop signals that land where they can do no harm: while the pool's own code
  runs in the parent (handing out a chunk, waiting for one, starting or
  stopping the workers), a stop signal is noted and acted on as soon as that
  code returns. An exception raised at any point in there (between taking a
  lock and the block that releases it, say) can leave a lock held, and
  shutting the pool down would then wait forever.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

DEFAULT_LIMIT = 10.0  # seconds per input; an answer set takes well under a millisecond
TICK = 0.25  # seconds between looks at the input under way (at most)
GRACE = 1.0  # seconds stopped workers have to end before they are killed
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL = 0.05  # seconds between looks at a noted stop signal while waiting for a worker


class Overtime(BaseException):
    """The input under way ran past the time limit.

    Not an Exception, so that no `except Exception` on the way swallows it.
    """


class _Clock:
    """The input under way in this process: when it started (0: none) and the limit."""

    started = 0.0
    limit = 0.0


def _look(_signum: int, _frame: object) -> None:
    started = _Clock.started
    if started and time.monotonic() - started > _Clock.limit:
        _Clock.started = 0.0  # once per input
        raise Overtime


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Enforce `seconds` per input in this process while the block runs.

    Yields whether the limit is on: it needs the main thread (signals are
    handled there) and a positive number of seconds.
    """
    on = seconds > 0 and threading.current_thread() is threading.main_thread()
    if not on:
        yield False
        return
    previous = start_limit(seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _Clock.started = 0.0


def start_limit(seconds: float) -> Any:
    """Enforce `seconds` (above 0) per input from now on; returns the previous SIGALRM handler."""
    previous = signal.signal(signal.SIGALRM, _look)
    _Clock.limit = seconds
    tick = min(TICK, seconds / 2)
    signal.setitimer(signal.ITIMER_REAL, tick, tick)
    return previous


def timed(work: Callable[..., Any], overtime: Callable[..., Any]) -> Callable[..., Any]:
    """`work(*args)` under the time limit; `overtime(*args)` when it ran past it."""

    def run(*args: Any) -> Any:
        _Clock.started = time.monotonic()
        try:
            return work(*args)
        except Overtime:
            return overtime(*args)
        finally:
            _Clock.started = 0.0

    return run


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when its parent ends (Linux); end now if it has."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the checks remain
            pass
    _Parent.pid = parent
    orphaned()  # the parent may have ended before the death signal was asked for


class _Parent:
    pid = 0  # the process that started this worker; 0 when not a worker


def orphaned() -> None:
    """End this worker at once if the run that started it has ended."""
    if _Parent.pid and os.getppid() != _Parent.pid:
        os._exit(1)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's workers now; kill those still there after GRACE seconds."""
    from multiprocessing.connection import wait

    # The pool has no public way to reach its processes.
    processes = list((pool._processes or {}).values())
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + GRACE
    while processes and time.monotonic() < deadline:
        ended = wait([p.sentinel for p in processes], deadline - time.monotonic())
        processes = [p for p in processes if p.sentinel not in ended]
    for process in processes:
        process.kill()


class Stops:
    """Stop signals while a pool runs: held back inside the pool's code, acted on outside it.

    A stop once asked for stays asked for: `check` acts on it again at the
    next safe point, in case the exception it raised was lost (one raised
    inside a weak-reference callback, which Python reports as ignored).
    """

    def __init__(self) -> None:
        self.requested: int | None = None
        self.previous: dict[int, Any] = {}
        self.holding = False  # the pool's code is running: a signal waits

    def note(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: act now, or (inside the pool's or the import code) note it."""
        if self.requested is None:
            self.requested = signum
        if not self.holding and not _importing(frame):
            self._act(signum)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Run the pool's code with stop signals held back; act on one after it."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        self.check()

    @contextmanager
    def leaving(self) -> Iterator[None]:
        """Hold stop signals back from here on, once the block ends (the pool is being left)."""
        try:
            yield
        finally:
            self.holding = True

    def check(self) -> None:
        """Act on a stop asked for."""
        if self.requested is not None:
            self._act(self.requested)

    def _act(self, signum: int) -> None:
        """As the handler the stop replaced would have: usually an exception."""
        handler = self.previous.get(signum)
        if callable(handler):
            handler(signum, None)
        else:  # the default action (ending the process), now that it can do no harm
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)


def _importing(frame: FrameType | None) -> bool:
    """Whether a signal came inside Python's import machinery (starting the pool imports).

    An exception raised there can be lost: raised in a module lock's weak-reference
    callback, Python reports it as ignored on stderr. The stop is acted on at the
    pool's next safe point instead.
    """
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextmanager
def deferred_stops() -> Iterator[Stops]:
    """Stop signals held back while the pool's code runs (`Stops.held`), while the block runs.

    Outside the pool's code a stop signal acts at once as before, so that a
    run blocked writing to a pipe nobody reads still stops. Only in the main
    thread (where signals are handled); a signal ignored when the block starts
    (a command started in the background) stays ignored. A signal noted but
    not acted on by the end is acted on then, unless the block is already
    ending with an exception.
    """
    stops = Stops()
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return
    for signum in STOP_SIGNALS:
        previous = signal.getsignal(signum)
        if previous is not signal.SIG_IGN and previous is not None:
            stops.previous[signum] = previous
            signal.signal(signum, stops.note)
    failed = True
    try:
        yield stops
        failed = False
    finally:
        stops.holding = False
        for number, handler in stops.previous.items():
            signal.signal(number, handler)
        if not failed:
            stops.check()
