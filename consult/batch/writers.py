"""Where batch output goes: records to a stream, whole even when a stop signal comes; summaries to a folder.

`RecordWriter` writes rendered records (jsonl, a json array, csv or tsv) in
batches, and never cuts one: a stop signal raises an exception wherever it
lands, and landing inside a write to a pipe it would lose the count of bytes
that write got out (the reader of `timeout 60 consult evaluate ... | reader`
was left with a record cut short). So each write is bounded to what the
output takes without waiting (a pipe takes 4 KiB once it has room; a regular
file everything) and made with the stop signals blocked, its count noted
before they act. Waiting for room happens with the signals let through, so a
reader that does not read never holds a stop up. After a stop, `stop`
completes the record under way and writes the records gathered, giving the
reader `GRACE` seconds.

`SummaryFolder` stages one markdown summary per answer set in a hidden folder
and moves them in when the run ends, so a stopped run leaves none.
"""

from __future__ import annotations

import os
import select
import shutil
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from consult.batch.formats import header
from consult.batch.signals import stops_blocked
from consult.errors import ConsultError, InputError, display_path
from consult.output.files import move_into_place, refuse_existing, write_private

GATHER = 256 * 1024  # records are written in batches of about this many bytes
GRACE = 2.0  # seconds a stopped run waits for its reader to take what is left
STEP = 4096  # bytes a pipe, socket or terminal with room takes without waiting (PIPE_BUF)


class RecordWriter:
    """Streams records (UTF-8) to a binary stream as jsonl, a json array, csv or tsv.

    Records are gathered and written some 256 KiB at a time: a result record
    is about 8 KB, and one write per record cost 7 µs of about 90 per JSONL
    line to a file (`bench/notes.md`).
    """

    def __init__(self, out: BinaryIO, kind: str, columns: Sequence[str] = ()) -> None:
        self.out = out
        self.kind = kind
        self.count = 0  # records added
        self.gathered: list[bytes] = []
        self.ends: list[int] = []  # where each gathered record ends in the joined bytes
        self.size = 0
        self.writing = memoryview(b"")  # the write under way ...
        self.written = 0  # ... how much of it is out ...
        self.writing_ends: list[int] = []  # ... and where its records end
        self.fd, self.whole = _descriptor(out)
        if kind in ("csv", "tsv"):
            self._gather(header(kind, columns), b"", b"")

    def add(self, record: bytes) -> None:
        """Write one record."""
        if self.kind == "json":
            self._gather(record, b",\n" if self.count else b"[\n", b"")
        else:
            self._gather(record, b"", b"\n")
        self.count += 1
        if self.size >= GATHER:
            self.flush()

    def _gather(self, record: bytes, before: bytes, after: bytes) -> None:
        self.gathered += (before, record, after)
        self.size += len(before) + len(record) + len(after)
        self.ends.append(self.size)

    def flush(self) -> None:
        """Write the records gathered so far."""
        if self.gathered:
            self._write(None)

    def close(self) -> None:
        """Finish the output (closes a json array) and write it."""
        if self.kind == "json":
            self._gather(b"\n]" if self.count else b"[]", b"", b"\n")
        self.flush()

    def stop(self) -> None:
        """After a stop signal: the record under way completed, then the records gathered.

        Given up on if the reader takes nothing for `GRACE` seconds: the stop
        must not wait on a reader that does not read.
        """
        deadline = time.monotonic() + GRACE
        if 0 < self.written < len(self.writing):
            end = next(e for e in self.writing_ends if e >= self.written)
            self._send(end, deadline)
        if self.gathered:
            self._write(deadline)

    def _write(self, deadline: float | None) -> None:
        data, self.writing_ends = b"".join(self.gathered), self.ends
        self.gathered, self.ends, self.size = [], [], 0
        if self.fd < 0:  # an in-memory stream
            self.out.write(data)
            return
        self.out.flush()  # anything written to it before
        self.writing, self.written = memoryview(data), 0
        self._send(len(data), deadline)

    def _send(self, end: int, deadline: float | None) -> None:
        """Write the write under way up to byte `end`; give up at `deadline`."""
        while self.written < end:
            size = end - self.written
            if not self.whole:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not select.select([], [self.fd], [], timeout)[1]:
                    return  # the reader took nothing before the deadline
                size = min(size, STEP)
            step = self.writing[self.written : self.written + size]
            with stops_blocked():
                try:
                    self.written += os.write(self.fd, step)
                except BlockingIOError:  # a non-blocking output that is full: wait for room
                    pass


def _descriptor(out: BinaryIO) -> tuple[int, bool]:
    """The stream's file descriptor (-1: in memory), and whether it takes any write at once."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        return -1, True
    mode = os.fstat(fd).st_mode
    device = stat.S_ISCHR(mode) and not os.isatty(fd)  # /dev/null, /dev/full
    return fd, stat.S_ISREG(mode) or stat.S_ISBLK(mode) or device


class SummaryFolder:
    """Markdown summaries collected in a hidden staging folder, moved in at the end.

    Summaries are named after their inputs (`p017.yaml` gives `p017.md`, line 12 of
    `batch.jsonl` gives `batch-12.md`); a repeated name gets `-2`, `-3`, ... .
    """

    def __init__(self, folder: Path, *, force: bool) -> None:
        self.folder = folder
        self.force = force
        self.names: set[str] = set()
        shown = display_path(folder)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{shown}: exists and is not a folder")
        # Staged inside the folder when it exists: a folder that is a mount point (a
        # USB stick, a share) cannot take a rename from beside it (EXDEV), and one
        # that cannot be written is found now, in one line, before any work.
        parent = folder.parent if str(folder.parent) else Path()
        where = folder if folder.is_dir() else parent
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=where))
        except OSError as exc:
            raise InputError(f"{shown}: cannot write: {exc.strerror}") from None

    def add(self, stem: str, text: bytes) -> None:
        """Stage one summary."""
        name = f"{stem}.md"
        number = 1
        while name in self.names:
            number += 1
            name = f"{stem}-{number}.md"
        self.names.add(name)
        refuse_existing(self.folder / name, self.force)  # fail early, before the work
        try:
            write_private(self.staging / name, text)
        except ConsultError as exc:  # name the summary where it was going, not the staging
            staged = display_path(self.staging / name)
            shown = display_path(self.folder / name)
            raise type(exc)(str(exc).replace(staged, shown, 1)) from None

    def commit(self) -> int:
        """Move the summaries into the folder; return how many there were."""
        if not self.folder.exists():
            try:
                self.staging.rename(self.folder)
                return len(self.names)
            except OSError:
                # Another run made the folder meanwhile: add the summaries one by one,
                # each refused (without --force) if that run wrote the same name.
                self.folder.mkdir(mode=0o700, exist_ok=True)
        for name in sorted(self.names):  # check every name before moving any
            refuse_existing(self.folder / name, self.force)
        try:
            for name in sorted(self.names):
                move_into_place(self.staging / name, self.folder / name, force=self.force)
            self.staging.rmdir()
        except OSError as exc:
            raise InputError(f"{display_path(self.folder)}: cannot write: {exc.strerror}") from None
        return len(self.names)

    def discard(self) -> None:
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.staging, ignore_errors=True)
