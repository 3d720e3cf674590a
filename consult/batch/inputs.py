"""The inputs of a batch run: what one input is, where inputs come from, and reading one.

Inputs are answer files, folders (searched recursively), `-` for stdin, or
JSONL (one answer set per line). Each becomes an `Item`, small enough to send
to a worker process; `read_item` reads and checks one (through
`consult.answers.read`) into an `AnswerSet`, `read_input` reads the
`answers` of a scenario file too (saying so), and `problems_of` says why one
could not be read. `Bank` says where the knowledge base comes from, so that a
worker that does not inherit it can load it.
"""

from __future__ import annotations

import os
import select
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, Protocol, Self

from consult.answers.check import AnswerSet
from consult.answers.read import read_bytes, read_file, read_line
from consult.bank.model import KnowledgeBase
from consult.bank.yamlsource import MAX_BYTES, YamlProblem, decode, parse, read_text
from consult.errors import InputError, InvalidAnswers, Problem, Source, display_path

ANSWER_SUFFIXES = (".yaml", ".yml", ".json")
JSONL_SUFFIXES = (".jsonl",)
STDIN = "<stdin>"


class Item(NamedTuple):
    """One input: a file to read, or an answer set given as bytes (stdin, a JSONL line)."""

    name: str  # as shown in messages and records
    line: int = 0  # the line of a JSONL answer set; 0 for a whole document
    path: str = ""  # the file to read; "" when `data` holds the input
    data: bytes = b""
    error: str = ""  # why the input could not even be read (reported as its problem)


@dataclass(frozen=True, slots=True)
class Bank:
    """Where the knowledge base comes from, so that each worker can load it."""

    questions: str | None
    rules: str | None


# ---- inputs ------------------------------------------------------------------


def iter_inputs(
    paths: Iterable[str], *, jsonl: bool, stdin: BinaryIO, seconds: float = 0.0
) -> Iterator[Item]:
    """The inputs named on the command line, in order; folders in file-name order.

    A JSONL pipe or device waits at most `seconds` (0: no limit) for each line.
    """
    suffixes = JSONL_SUFFIXES if jsonl else ANSWER_SUFFIXES
    for text in paths:
        if text == "-":
            yield from _stdin(stdin, jsonl)
            continue
        shown = _shown_folder(display_path(text))
        # Paths stay strings here: pathlib's parsing cost ~30 µs a file in a 10,000-file run.
        folder = os.path.isdir(text)  # noqa: PTH112
        files = _walk(text, shown, suffixes) if folder else [(text, shown, "")]
        for path, name, error in files:
            if error:
                yield Item(name, error=error)
            elif jsonl:
                yield from _jsonl_file(path, name, seconds)
            else:
                yield Item(name, path=path)


def _shown_folder(shown: str) -> str:
    """The start of shown names: `answers/` and `answers` alike give `answers/x.yaml`."""
    shown = shown.rstrip("/") or "/"
    return "" if shown == "." else shown


def _stdin(stdin: BinaryIO, jsonl: bool) -> Iterator[Item]:
    if jsonl:
        yield from _jsonl_lines(stdin, STDIN)
    else:
        yield Item(STDIN, data=stdin.read(MAX_BYTES + 1))


def _walk(folder: str, shown: str, suffixes: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
    """(path, shown name, "") of the files with these suffixes under a folder.

    Depth first, in name order; hidden files and folders are skipped, and so are
    symbolic links to folders (no cycles). A folder that cannot be read gives
    (path, name, why): one error record, and the walk goes on.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, shown or folder, f"cannot read the folder: {exc.strerror}"
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        shown_name = os.path.join(shown, name)  # noqa: PTH118
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, shown_name, suffixes)
            elif name.endswith(suffixes) and entry.is_file():
                yield entry.path, shown_name, ""
        except OSError:  # a link loop, a link through a file or into a closed folder
            if name.endswith(suffixes):
                yield entry.path, shown_name, ""  # reading it reports why it cannot be used


def _jsonl_file(path: str, name: str, seconds: float) -> Iterator[Item]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a pipe: no wait here
    except OSError:
        yield Item(name, path=path)  # reading it as a file reports why it cannot be used
        return
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode):
        with _Timed(fd, seconds) as timed:
            yield from _jsonl_lines(timed, name)
        return
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as handle:
        yield from _jsonl_lines(handle, name)


class _Lines(Protocol):
    def readline(self, limit: int, /) -> bytes: ...


def _jsonl_lines(handle: _Lines, name: str) -> Iterator[Item]:
    """One item per line, each read at most MAX_BYTES + 1 bytes at a time.

    A longer line is reported as too long, and the rest of the file is not
    read: a file of one endless line (/dev/zero) must not fill the memory or
    keep the run going forever.
    """
    number = 0
    while True:
        try:
            raw = handle.readline(MAX_BYTES + 1)
        except TimeoutError as exc:
            yield Item(name, number + 1, error=str(exc))
            return
        if not raw:
            return
        number += 1
        if len(raw) > MAX_BYTES and not raw.endswith(b"\n"):
            more = f"line is longer than {MAX_BYTES:,} bytes; the rest of the file is not read"
            yield Item(name, number, error=more)
            return
        if raw.strip():
            yield Item(name, number, data=raw)


class _Timed:
    """The lines of a pipe or a device, each waited for at most `seconds` (0: no limit).

    A pipe whose writer has not come yet reads as its end: it is waited for,
    within the same limit, until some data has come.
    """

    def __init__(self, fd: int, seconds: float) -> None:
        self.fd, self.seconds = fd, seconds
        self.buffer = b""
        self.started = False  # some data has come: an end is now the end

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        os.close(self.fd)

    def readline(self, limit: int, /) -> bytes:
        deadline = time.monotonic() + self.seconds if self.seconds else None
        while b"\n" not in self.buffer[:limit] and len(self.buffer) < limit:
            if not self._more(deadline):
                break
        end = self.buffer.find(b"\n", 0, limit)
        cut = min(limit, len(self.buffer)) if end < 0 else end + 1
        line, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return line

    def _more(self, deadline: float | None) -> bool:
        """Read what comes within the limit; False at the end."""
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise TimeoutError(f"no data within {self.seconds:g} s (the limit per input)")
            ready, _, _ = select.select([self.fd], [], [], min(wait or 0.05, 0.05))
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                continue
            if chunk:
                self.started = True
                self.buffer += chunk
                return True
            if self.started:
                return False
            time.sleep(0.05)  # no writer yet


# ---- one input -----------------------------------------------------------------


def read_item(kb: KnowledgeBase, item: Item) -> AnswerSet:
    """Read and check one input.

    Raises:
        InvalidAnswers: the answers have problems.
        InputError: the file cannot be used at all.
    """
    if item.error:
        raise InvalidAnswers([Problem(Source(item.name, item.line, 1), item.error)])
    if item.line:
        return read_line(kb, item.data, item.name, item.line)
    if item.path:
        return read_file(kb, item.path, item.name)
    return read_bytes(kb, item.data, item.name)


class Reading(NamedTuple):
    """One input read: its checked answers, and whether it is a scenario file."""

    answers: AnswerSet
    scenario: bool = False  # a scenario file (`consult test`): its `answers` were read


def read_input(kb: KnowledgeBase, item: Item) -> Reading:
    """Read and check one input: an answer file, or the `answers` of a scenario file.

    An answer file is read as `read_item` reads it. Only when that fails is the
    input looked at again: a scenario file (a mapping with `answers` and
    `expect`) then has its answers read and checked instead.

    Raises:
        InvalidAnswers: the answers have problems.
        InputError: the file cannot be used at all.
    """
    try:
        return Reading(read_item(kb, item))
    except InvalidAnswers:
        if item.line or not is_scenario(item):
            raise
    if item.path:
        return Reading(read_file(kb, item.path, item.name, scenario=True), scenario=True)
    return Reading(read_bytes(kb, item.data, item.name, scenario=True), scenario=True)


def is_scenario(item: Item) -> bool:
    """Whether an input is a scenario file: a mapping with `answers` and `expect` keys."""
    try:
        text = read_text(item.path, item.name) if item.path else decode(item.data, item.name)
        root = parse(text, item.name)
    except (YamlProblem, InputError):
        return False
    return root is not None and root.is_mapping and {"answers", "expect"} <= root.value.keys()


def problems_of(item: Item, error: InvalidAnswers | InputError) -> tuple[Problem, ...]:
    """The located problems of a failed input."""
    if isinstance(error, InvalidAnswers):
        return error.problems
    message = str(error).removeprefix(f"{item.name}: ")
    return (Problem(Source(item.name), message),)
