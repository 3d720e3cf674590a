"""`consult evaluate`: route inputs through the batch to the chosen output.

Plain functions over an injected I/O environment (`Env`), so the command is
tested in-process; the CLI supplies the streams and the rich pieces (the
terminal table, the progress bar, the detailed result view).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO

from consult.bank.model import KnowledgeBase
from consult.batch.formats import CsvRows, JsonRecords, RecordWriter, TableRows, framing
from consult.batch.items import (
    STDIN,
    Bank,
    Item,
    Outcome,
    Renderer,
    iter_inputs,
    problems_of,
    read_item,
)
from consult.batch.pool import run
from consult.batch.sink import SummaryFolder
from consult.batch.watch import DEFAULT_LIMIT
from consult.engine.answers import AnswerSet
from consult.engine.decide import evaluate
from consult.engine.result import Result
from consult.errors import ExitStatus, InputError, InvalidAnswers, Problem, display_path
from consult.output.files import private_output, refuse_existing
from consult.output.markdown import render_markdown

FORMATS = ("text", "table", "json", "jsonl", "csv", "markdown")
Pairs = Iterator[tuple[Item, Outcome]]


@dataclass(frozen=True, slots=True)
class Options:
    """What the user asked for."""

    paths: tuple[str, ...]
    output_format: str | None = None
    jsonl: bool = False
    output: Path | None = None
    force: bool = False
    jobs: int = 1
    time_limit: float = DEFAULT_LIMIT  # seconds per input in a batch; 0 for none
    date: str = ""
    bank: Bank = field(default_factory=lambda: Bank(None, None))


@dataclass(frozen=True, slots=True)
class Env:
    """Where input comes from and output goes; the rich pieces come from the CLI."""

    stdin: BinaryIO
    stdout: BinaryIO
    say: Callable[[str], None]  # one line to stderr
    stdout_is_tty: bool = False
    progress: Callable[[Pairs], Pairs] = lambda pairs: pairs
    show_table: Callable[[list[list[str]]], None] = lambda _rows: None
    show_result: Callable[[Result, KnowledgeBase], None] = lambda _result, _kb: None


def evaluate_command(kb: KnowledgeBase, opts: Options, env: Env) -> ExitStatus:
    """Evaluate every input; exit 1 if any failed (2 if the only input, given alone, did)."""
    items = iter_inputs(opts.paths, jsonl=opts.jsonl, stdin=env.stdin)
    first = list(islice(items, 2))
    single = len(first) == 1
    fmt = opts.output_format or _format_of(opts.output) or ("text" if single else "table")
    _check_usage(opts, fmt, single)
    everything = chain(first, items)
    if single and fmt in {"text", "json"}:
        return _single(kb, opts, env, first[0], fmt)
    if fmt == "markdown":
        return _summaries(kb, opts, env, everything, single)
    return _records(kb, opts, env, everything, fmt)


def _format_of(output: Path | None) -> str | None:
    """The format an output file's name asks for: `-o summary.csv` writes csv."""
    if output is None:
        return None
    suffixes = {
        ".json": "json",
        ".jsonl": "jsonl",
        ".csv": "csv",
        ".tsv": "table",
        ".md": "markdown",
    }
    return suffixes.get(output.suffix.lower())


def _check_usage(opts: Options, fmt: str, single: bool) -> None:
    if fmt == "text" and not single:
        raise InputError("--format text shows one answer set; for several use table, jsonl or csv")
    to_folder = opts.output is not None and opts.output.suffix.lower() != ".md"
    if fmt == "markdown" and not single and not to_folder:
        raise InputError("--format markdown for several answer sets needs -o FOLDER")
    if fmt == "text" and opts.output is not None:
        raise InputError(
            "--format text is for the screen; use markdown, json, jsonl or csv with -o"
        )


def _alone(opts: Options) -> bool:
    """One file (or stdin) named on its own: failing it is an unusable input (exit 2)."""
    return len(opts.paths) == 1 and not opts.jsonl and not Path(opts.paths[0]).is_dir()


def _failed_status(opts: Options, total: int) -> ExitStatus:
    return ExitStatus.INVALID if total == 1 and _alone(opts) else ExitStatus.PROBLEMS


def _single(kb: KnowledgeBase, opts: Options, env: Env, item: Item, fmt: str) -> ExitStatus:
    try:
        answers = read_item(kb, item)
    except (InvalidAnswers, InputError) as exc:
        _report(env, exc, item)
        return _failed_status(opts, 1)
    result = evaluate(kb, answers)
    if fmt == "text":
        env.show_result(result, kb)
    else:
        import json

        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
        _write_one(opts, env, text)
    for warning in result.warnings:
        env.say(f"warning: {warning}")
    return ExitStatus.OK


def _report(env: Env, exc: InvalidAnswers | InputError, item: Item) -> None:
    for problem in problems_of(item, exc):
        env.say(str(problem))


def _write_one(opts: Options, env: Env, text: str) -> None:
    if opts.output is None:
        env.stdout.write(text.encode())
        return
    from consult.output.files import write_private

    write_private(opts.output, text, overwrite=opts.force)


def _records(
    kb: KnowledgeBase, opts: Options, env: Env, items: Iterable[Item], fmt: str
) -> ExitStatus:
    renderers: dict[str, Renderer] = {"csv": CsvRows(), "table": TableRows()}
    renderer = renderers.get(fmt, JsonRecords())
    if fmt == "table" and env.stdout_is_tty and opts.output is None:
        pairs = run(kb, opts.bank, items, renderer, opts.jobs, seconds=opts.time_limit)
        return _table(opts, env, env.progress(pairs))
    kind = "tsv" if fmt == "table" else fmt
    # Pooled workers frame the records, and whole chunks are copied to the output.
    pairs = run(kb, opts.bank, items, renderer, opts.jobs, framing(kind), opts.time_limit)
    if opts.output is not None or not env.stdout_is_tty:
        pairs = env.progress(pairs)  # never between records on the screen
    with _stream(opts, env) as out:
        writer = RecordWriter(out, kind)

        def write(_item: Item, outcome: Outcome) -> None:
            if outcome.text:
                writer.add(outcome.text)
            if outcome.spill is not None:
                writer.add_spill(outcome.spill)

        try:
            total, failed = _drain(env, pairs, write)
        except BaseException:
            # Stopped (Ctrl-C, a signal) or failed: the record under way is completed,
            # and what was evaluated still goes out.
            with contextlib.suppress(OSError, ValueError):
                writer.stop()
            raise
        writer.close()
    return _finish(opts, env, total, failed)


@contextlib.contextmanager
def _stream(opts: Options, env: Env) -> Iterator[BinaryIO]:
    if opts.output is None:
        yield env.stdout
        return
    with private_output(opts.output, force=opts.force) as out:
        yield out


def _drain(env: Env, pairs: Pairs, add: Callable[[Item, Outcome], None]) -> tuple[int, int]:
    """Say each outcome's messages and pass it on; count inputs and failures."""
    total = failed = 0
    for item, outcome in pairs:
        total += 1
        failed += not outcome.ok
        for message in outcome.messages:
            env.say(message)
        add(item, outcome)
    return total, failed


def _table(opts: Options, env: Env, pairs: Pairs) -> ExitStatus:
    rows: list[list[str]] = []

    def add_row(_item: Item, outcome: Outcome) -> None:
        if outcome.text:
            rows.append(outcome.text.decode().split("\t"))

    total, failed = _drain(env, pairs, add_row)
    env.show_table(rows)
    return _finish(opts, env, total, failed)


def nothing_found(paths: Sequence[str]) -> str:
    """The one-line note for a run whose inputs hold no answer set, naming them."""
    shown = ", ".join(STDIN if p == "-" else display_path(p) for p in paths)
    return f"{shown}: no answer sets found"


def _finish(opts: Options, env: Env, total: int, failed: int) -> ExitStatus:
    if not total:
        env.say(nothing_found(opts.paths))
    if not failed:
        return ExitStatus.OK
    env.say(f"{failed} of {total} answer set{'s' if total != 1 else ''} could not be evaluated")
    return _failed_status(opts, total)


def _summaries(
    kb: KnowledgeBase, opts: Options, env: Env, items: Iterable[Item], single: bool
) -> ExitStatus:
    output = opts.output
    if output is None or (single and output.suffix == ".md"):
        # One summary: to stdout or to the named file.
        return _single_summary(kb, opts, env, next(iter(items)))
    folder = SummaryFolder(output, force=opts.force)

    def stage(item: Item, outcome: Outcome) -> None:
        if outcome.ok:
            folder.add(summary_stem(item), outcome.text)

    try:
        summaries = _Markdown(opts.date)
        pairs = env.progress(
            run(kb, opts.bank, items, summaries, opts.jobs, seconds=opts.time_limit)
        )
        total, failed = _drain(env, pairs, stage)
        count = folder.commit()
    except BaseException:
        folder.discard()
        raise
    env.say(f"wrote {count} summar{'ies' if count != 1 else 'y'} to {display_path(output)}")
    return _finish(opts, env, total, failed)


def summary_stem(item: Item) -> str:
    """The file name (without .md) of an input's summary."""
    stem = Path(item.name).stem if item.name != "<stdin>" else "stdin"
    return f"{stem}-{item.line}" if item.line else stem


def _single_summary(
    kb: KnowledgeBase,
    opts: Options,
    env: Env,
    item: Item,
) -> ExitStatus:
    try:
        answers = read_item(kb, item)
    except (InvalidAnswers, InputError) as exc:
        _report(env, exc, item)
        return _failed_status(opts, 1)
    if opts.output is not None:
        refuse_existing(opts.output, opts.force)
    result = evaluate(kb, answers)
    _write_one(opts, env, render_markdown(kb, answers, result, date=opts.date))
    return ExitStatus.OK


class _Markdown(Renderer):
    """One markdown summary per evaluated input."""

    def __init__(self, date: str) -> None:
        self.date = date

    def good(self, kb: KnowledgeBase, _item: Item, answers: AnswerSet) -> bytes:
        """The summary."""
        result = evaluate(kb, answers)
        return render_markdown(kb, answers, result, date=self.date).encode()

    def bad(self, _item: Item, _problems: Sequence[Problem]) -> str:
        """No summary for an input that failed."""
        return ""
