"""Writing batch output so that a stop signal lands between writes, never inside one.

A stop signal (Ctrl-C, SIGTERM, SIGHUP) raises an exception in the middle of
whatever the process is doing. Landing inside a write to a pipe, it loses the
count of bytes the write got out, and the reader is left with a record cut
short: `timeout 60 consult evaluate ... | reader`, or a service stopping its
job, cut the last record in most runs. Here each write is bounded to what the
output takes without waiting (a pipe takes at least 4 KiB once it has room; a
regular file takes everything) and made with the stop signals blocked, its
count noted before they are let through again. Waiting for room happens with
the signals let through, so a stop is never held up by a reader that does not
read. A stop therefore always finds the count exact, and `Stream.finish`
completes the record in progress (a reader that takes nothing for `GRACE`
seconds is given up on).
"""

from __future__ import annotations

import errno
import os
import select
import signal
import stat
import time
from collections.abc import Sequence
from typing import BinaryIO

from consult.batch.watch import STOP_SIGNALS

GRACE = 2.0  # seconds a stopped run waits for its reader to take the record under way
STEP = 4096  # bytes a pipe, socket or terminal with room takes without waiting (PIPE_BUF)
# Errors of os.sendfile that mean "not between these two files": copy instead.
_NO_SENDFILE = frozenset((errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV))


class _Job:
    """One write under way: bytes, or a stretch of a file; `done` bytes of it are out."""

    __slots__ = ("data", "done", "ends", "length", "offset", "source")

    def __init__(
        self, data: memoryview | None, source: int, offset: int, length: int, ends: Sequence[int]
    ) -> None:
        self.data = data
        self.source = source  # a file descriptor to copy from (when data is None)
        self.offset = offset
        self.length = length
        self.ends = ends  # where its records end, from its start
        self.done = 0


class Stream:
    """A binary output written in steps that a stop signal cannot cut."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        try:
            self.fd = out.fileno()
        except (AttributeError, OSError, ValueError):
            self.fd = -1  # an in-memory stream: written as it is
        # Takes a write of any size without waiting on a reader: a file, /dev/null.
        self.whole = True
        if self.fd >= 0:
            mode = os.fstat(self.fd).st_mode
            device = stat.S_ISCHR(mode) and not os.isatty(self.fd)
            self.whole = stat.S_ISREG(mode) or stat.S_ISBLK(mode) or device
        self.job: _Job | None = None

    def write(self, data: bytes, ends: Sequence[int] = (), deadline: float | None = None) -> None:
        """Write `data`, whose records end at `ends` (offsets from its start).

        With a `deadline` (after a stop: what was gathered), the reader gets until
        then to take it.
        """
        if self.fd < 0:
            self.out.write(data)
            return
        self.out.flush()
        self.job = _Job(memoryview(data), -1, 0, len(data), ends)
        self._run(len(data), deadline)
        self.job = None  # kept when a stop comes through: `finish` completes its record

    def copy(self, source: BinaryIO, offset: int, length: int, ends: Sequence[int] = ()) -> None:
        """Copy `length` bytes of a file from `offset`; by the kernel where it will."""
        if self.fd < 0:
            source.seek(offset)
            while length > 0:
                block = source.read(min(length, 1 << 20))
                if not block:
                    raise OSError(errno.EIO, "spill file ended early")
                self.out.write(block)
                length -= len(block)
            return
        self.out.flush()
        self.job = _Job(None, source.fileno(), offset, length, ends)
        self._run(length, None)
        self.job = None  # kept when a stop comes through: `finish` completes its record

    def finish(self, deadline: float) -> None:
        """After a stop: complete the record under way, if its reader takes it by `deadline`."""
        job = self.job
        try:
            if job is not None and 0 < job.done < job.length:
                end = next((e for e in job.ends if e >= job.done), job.length)
                self._run(end, deadline)
        finally:
            self.job = None

    def _run(self, until: int, deadline: float | None) -> None:
        """Write the job under way up to `until` bytes; give up at `deadline`."""
        job = self.job
        assert job is not None
        while job.done < until:
            room = until - job.done if self.whole else self._room(until - job.done, deadline)
            if not room:
                return  # the reader took nothing before the deadline
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            try:
                job.done += self._step(job, room)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a stop lands here

    def _room(self, wanted: int, deadline: float | None) -> int:
        """Wait (signals let through) until the output has room; how much to write (0: late)."""
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        _, ready, _ = select.select([], [self.fd], [], timeout)
        return min(wanted, STEP) if ready else 0

    def _step(self, job: _Job, size: int) -> int:
        """One write of at most `size` bytes that does not wait; the bytes written."""
        try:
            if job.data is not None:
                return os.write(self.fd, job.data[job.done : job.done + size])
            sent = os.sendfile(self.fd, job.source, job.offset + job.done, size)
        except BlockingIOError:  # a non-blocking output that is full: wait for room
            return 0
        except OSError as exc:
            if job.data is not None or exc.errno not in _NO_SENDFILE:
                raise
            # Not between these two: read the rest and write it as bytes.
            rest = os.pread(job.source, job.length - job.done, job.offset + job.done)
            job.data = memoryview(bytes(job.done) + rest)
            return 0
        if sent == 0:
            raise OSError(errno.EIO, "spill file ended early")
        return sent
