"""One batch input: what it is, where it comes from, and how it is read, checked and rendered.

Inputs are answer files, folders (searched recursively), `-` for stdin, or
JSONL (one answer set per line). Each becomes an `Item`; `run_item` turns it
into an `Outcome` (the rendered output and the lines for stderr), in whichever
process runs it. `consult.batch.pool` runs many of them in input order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from consult.bank.model import KnowledgeBase
from consult.bank.yamlsource import MAX_BYTES, YamlProblem, decode, read_text
from consult.batch.reader import read_json, read_line, read_yaml
from consult.engine.answers import AnswerSet
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


class Spill(NamedTuple):
    """Framed output of a chunk of inputs, left in a worker's spill file for the writer.

    `handle` is open for reading (the file itself is already removed); its first
    `length` bytes are `records` records, each framed for the output format
    (see `run`), ready to be copied to the output as they are. The handle is
    closed when the next outcome is taken.
    """

    handle: BinaryIO
    length: int
    records: int
    ends: tuple[int, ...] = ()  # where each record ends, from the start of the file


class Outcome(NamedTuple):
    """What one input produced: output (UTF-8) and the lines for stderr.

    The output is encoded in the worker, so the parent only copies bytes.
    With framed output (see `run`) a pooled run leaves `text` empty and the
    last outcome of each chunk carries the whole chunk's output as a `Spill`.
    """

    ok: bool
    text: bytes
    messages: tuple[str, ...]
    spill: Spill | None = None


class Renderer:
    """Evaluates a checked input, or reports a failed one, as output text; runs in the workers."""

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The output (UTF-8) of an input whose answers passed the checks."""
        raise NotImplementedError

    def bad(self, item: Item, problems: Sequence[Problem]) -> str:
        """Output for an input that could not be evaluated ("" for none)."""
        raise NotImplementedError

    def read(self, kb: KnowledgeBase, item: Item) -> AnswerSet:
        """Read and check one input (see `read_item`)."""
        return read_item(kb, item)


@dataclass(frozen=True, slots=True)
class Bank:
    """Where the knowledge base comes from, so that each worker can load it."""

    questions: str | None
    rules: str | None


# ---- inputs ------------------------------------------------------------------


def iter_inputs(paths: Iterable[str], *, jsonl: bool, stdin: BinaryIO) -> Iterator[Item]:
    """The inputs named on the command line, in order; folders in file-name order."""
    suffixes = JSONL_SUFFIXES if jsonl else ANSWER_SUFFIXES
    for text in paths:
        if text == "-":
            yield from _stdin(stdin, jsonl)
            continue
        shown = _shown_folder(display_path(text))
        # Paths stay strings here: pathlib's parsing cost ~30 µs a file in a 10,000-file run.
        folder = os.path.isdir(text)  # noqa: PTH112
        files = _walk(text, shown, suffixes) if folder else [(text, shown)]
        for path, name in files:
            if jsonl:
                yield from _jsonl_file(path, name)
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


def _walk(folder: str, shown: str, suffixes: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(path, shown name) of the files with these suffixes under a folder.

    Depth first, in name order; hidden files and folders are skipped, and so are
    symbolic links to folders (no cycles).
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        yield folder, shown  # reading it as a file reports why it cannot be used
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, os.path.join(shown, name), suffixes)  # noqa: PTH118
        elif name.endswith(suffixes) and entry.is_file():
            yield entry.path, os.path.join(shown, name)  # noqa: PTH118


def _jsonl_file(path: str, name: str) -> Iterator[Item]:
    try:
        handle = open(path, "rb")  # noqa: PTH123, SIM115
    except OSError:
        yield Item(name, path=path)  # reading it as a file reports why it cannot be used
        return
    with handle:
        yield from _jsonl_lines(handle, name)


def _jsonl_lines(handle: BinaryIO, name: str) -> Iterator[Item]:
    for number, raw in enumerate(handle, 1):
        if raw.strip():
            yield Item(name, number, data=raw)


# ---- one input -----------------------------------------------------------------


def read_item(kb: KnowledgeBase, item: Item) -> AnswerSet:
    """Read and check one input.

    Raises:
        InvalidAnswers: the answers have problems.
        InputError: the file cannot be used at all.
    """
    try:
        if item.line:
            return read_line(kb, _line_text(item), item.name, item.line)
        if item.path:
            text = read_text(item.path, item.name)
        else:
            text = decode(item.data, item.name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    reader = read_json if item.path.endswith(".json") else read_yaml
    return reader(kb, text, item.name)


def _line_text(item: Item) -> str:
    where = Source(item.name, item.line, 1)
    if len(item.data) > MAX_BYTES:
        raise YamlProblem(Problem(where, f"line is longer than {MAX_BYTES:,} bytes"))
    try:
        return item.data.decode("utf-8-sig" if item.line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start} cannot be decoded)"
        raise YamlProblem(Problem(where, message)) from None


def problems_of(item: Item, error: InvalidAnswers | InputError) -> tuple[Problem, ...]:
    """The located problems of a failed input."""
    if isinstance(error, InvalidAnswers):
        return error.problems
    message = str(error).removeprefix(f"{item.name}: ")
    return (Problem(Source(item.name), message),)


def run_item(kb: KnowledgeBase, item: Item, renderer: Renderer) -> Outcome:
    """Read, check, evaluate and render one input."""
    try:
        answers = renderer.read(kb, item)
    except (InvalidAnswers, InputError) as exc:
        return _failed(item, problems_of(item, exc), renderer)
    warnings = tuple(f"warning: {w}" for w in answers.warnings)
    return Outcome(True, renderer.good(kb, item, answers), warnings)


def _failed(item: Item, problems: Sequence[Problem], renderer: Renderer) -> Outcome:
    return Outcome(False, renderer.bad(item, problems).encode(), tuple(map(str, problems)))


def overtime(seconds: float) -> Callable[[KnowledgeBase, Item, Renderer], Outcome]:
    """The outcome of an input stopped at the time limit."""

    def outcome(_kb: KnowledgeBase, item: Item, renderer: Renderer) -> Outcome:
        where = Source(item.name, item.line, 1) if item.line else Source(item.name)
        message = f"not evaluated: took longer than {seconds:g} s (the limit per input)"
        return _failed(item, [Problem(where, message)], renderer)

    return outcome
