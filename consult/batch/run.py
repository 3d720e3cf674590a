"""`consult evaluate`: route inputs through the batch to the chosen output.

Plain functions over an injected I/O environment (`Env`), so the command is
tested in-process; the CLI supplies the streams and the rich pieces (the
terminal table, the progress bar, the detailed result view).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO

from consult.answers.check import AnswerSet
from consult.bank.model import KnowledgeBase
from consult.batch.formats import CsvRows, JsonRecords, MarkdownSummaries, Renderer, TableRows
from consult.batch.inputs import STDIN, Item, iter_inputs, problems_of, read_input
from consult.batch.pool import DEFAULT_LIMIT, Pairs, Run, evaluate_inputs
from consult.batch.writers import RecordWriter, SummaryFolder
from consult.engine.decide import evaluate
from consult.engine.result import Result
from consult.errors import ExitStatus, InputError, InvalidAnswers, display_path
from consult.output.files import private_output, refuse_existing
from consult.output.markdown import render_markdown

FORMATS = ("text", "table", "json", "jsonl", "csv", "markdown")


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
    clinician: str = ""  # named in markdown records
    answers: bool = False  # csv and table rows carry the answers too


@dataclass(frozen=True, slots=True)
class Env:
    """Where input comes from and output goes; the rich pieces come from the CLI."""

    stdin: BinaryIO
    stdout: BinaryIO
    say: Callable[[str], None]  # one line to stderr
    stdout_is_tty: bool = False
    progress: Callable[[Pairs], Pairs] = lambda pairs: pairs
    # The screen's table: the column names and each input's cells.
    show_table: Callable[[Sequence[str], list[list[str]]], None] = lambda _names, _rows: None
    show_result: Callable[[Result, KnowledgeBase], None] = lambda _result, _kb: None


def evaluate_command(kb: KnowledgeBase, opts: Options, env: Env) -> ExitStatus:
    """Evaluate every input; exit 1 if any failed (2 if the only input, given alone, did).

    JSON is the contract's bare result document for one file named alone (or
    stdin), and an array of records for anything else (a folder, several
    inputs, JSONL), whatever their number.
    """
    items = iter_inputs(opts.paths, jsonl=opts.jsonl, stdin=env.stdin, seconds=opts.time_limit)
    first = list(islice(items, 2))
    single = len(first) == 1
    fmt = opts.output_format or _format_of(opts.output) or ("text" if single else "table")
    _check_usage(opts, fmt, single)
    everything = chain(first, items)
    if fmt == "text" or (fmt == "json" and single and _alone(opts)):
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
    if opts.answers and fmt not in {"csv", "table"}:
        raise InputError("--answers adds the answers to csv and table rows; use -f csv or table")


def _alone(opts: Options) -> bool:
    """One file (or stdin) named on its own: failing it is an unusable input (exit 2)."""
    return len(opts.paths) == 1 and not opts.jsonl and not Path(opts.paths[0]).is_dir()


def _failed_status(opts: Options, total: int) -> ExitStatus:
    return ExitStatus.INVALID if total == 1 and _alone(opts) else ExitStatus.PROBLEMS


def _single(kb: KnowledgeBase, opts: Options, env: Env, item: Item, fmt: str) -> ExitStatus:
    answers = _read_one(kb, env, item)
    if answers is None:
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


def _read_one(kb: KnowledgeBase, env: Env, item: Item) -> AnswerSet | None:
    """One input read and checked, a scenario file said to be one; None: its problems said."""
    try:
        reading = read_input(kb, item)
    except (InvalidAnswers, InputError) as exc:
        for problem in problems_of(item, exc):
            env.say(str(problem))
        return None
    if reading.scenario:
        env.say(scenario_note(item.name))
    return reading.answers


def scenario_note(name: str) -> str:
    """The line that says an input is a scenario file, evaluated for its answers only."""
    return (
        f"note: {name} is a scenario file: its answers were evaluated; "
        "consult test checks its expectations"
    )


def scenarios_note(count: int, total: int) -> str:
    """The line that says how many inputs of a run were scenario files."""
    are = "is a scenario file" if count == 1 else "are scenario files"
    their = "its" if count == 1 else "their"
    return (
        f"note: {count} of {total} inputs {are}: {their} answers were evaluated; "
        f"consult test checks {their} expectations"
    )


def _write_one(opts: Options, env: Env, text: str) -> None:
    if opts.output is None:
        env.stdout.write(text.encode())
        return
    from consult.output.files import write_private

    write_private(opts.output, text, overwrite=opts.force)


def _records(
    kb: KnowledgeBase, opts: Options, env: Env, items: Iterable[Item], fmt: str
) -> ExitStatus:
    renderer = _renderer(kb, opts, fmt)
    results = evaluate_inputs(kb, items, renderer, opts.jobs, opts.time_limit)
    with contextlib.closing(results):  # however the run ends, its workers end with it
        to_screen = env.stdout_is_tty and opts.output is None
        if fmt == "table" and to_screen:
            return _table(opts, env, renderer.columns(), env.progress(results))
        # No progress bar between records on the screen.
        pairs = results if to_screen else env.progress(results)
        with _stream(opts, env) as out:
            writer = RecordWriter(out, "tsv" if fmt == "table" else fmt, renderer.columns())
            counts = _write_records(env, pairs, writer, results)
    return _finish(opts, env, counts)


def _renderer(kb: KnowledgeBase, opts: Options, fmt: str) -> Renderer:
    shown = kb if opts.answers else None
    if fmt == "csv":
        return CsvRows(shown)
    if fmt == "table":
        return TableRows(shown)
    return JsonRecords()


@dataclass(slots=True)
class Counts:
    """How many inputs a run had, how many failed, how many were scenario files."""

    total: int = 0
    failed: int = 0
    scenarios: int = 0


def _write_records(env: Env, pairs: Pairs, writer: RecordWriter, results: Run) -> Counts:
    try:
        counts = _drain(env, pairs, lambda _item, record: writer.add(record))
    except BaseException:
        # Stopped (Ctrl-C, a signal) or failed: the workers end, the record under way
        # is completed, and what was evaluated still goes out.
        try:
            results.close()
        finally:
            with contextlib.suppress(OSError, ValueError):
                writer.stop()
        raise
    writer.close()
    return counts


@contextlib.contextmanager
def _stream(opts: Options, env: Env) -> Iterator[BinaryIO]:
    if opts.output is None:
        yield env.stdout
        return
    with private_output(opts.output, force=opts.force) as out:
        yield out


def _drain(env: Env, pairs: Pairs, keep: Callable[[Item, bytes], None]) -> Counts:
    """Say each input's messages and keep its output, if any; count inputs and failures."""
    counts = Counts()
    for item, rendered in pairs:
        counts.total += 1
        counts.failed += not rendered.ok
        counts.scenarios += rendered.scenario
        for message in rendered.messages:
            env.say(message)
        if rendered.output:
            keep(item, rendered.output)
    return counts


def _table(opts: Options, env: Env, names: Sequence[str], pairs: Pairs) -> ExitStatus:
    rows: list[list[str]] = []
    counts = _drain(env, pairs, lambda _item, row: rows.append(row.decode().split("\t")))
    env.show_table(names, rows)
    return _finish(opts, env, counts)


def nothing_found(paths: Sequence[str]) -> str:
    """The one-line note for a run whose inputs hold no answer set, naming them."""
    shown = ", ".join(STDIN if p == "-" else display_path(p) for p in paths)
    return f"{shown}: no answer sets found"


def _finish(opts: Options, env: Env, counts: Counts) -> ExitStatus:
    total, failed = counts.total, counts.failed
    if not total:
        env.say(nothing_found(opts.paths))
    if counts.scenarios:
        env.say(scenarios_note(counts.scenarios, total))
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
    renderer = MarkdownSummaries(opts.date, opts.clinician)
    results = evaluate_inputs(kb, items, renderer, opts.jobs, opts.time_limit)
    try:
        with contextlib.closing(results):
            stage = lambda item, text: folder.add(summary_stem(item), text)
            counts = _drain(env, env.progress(results), stage)
        count = folder.commit()
    except BaseException:
        folder.discard()
        raise
    env.say(f"wrote {count} summar{'ies' if count != 1 else 'y'} to {display_path(output)}")
    return _finish(opts, env, counts)


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
    answers = _read_one(kb, env, item)
    if answers is None:
        return _failed_status(opts, 1)
    if opts.output is not None:
        refuse_existing(opts.output, opts.force)
    result = evaluate(kb, answers)
    record = render_markdown(kb, answers, result, date=opts.date, clinician=opts.clinician)
    _write_one(opts, env, record)
    return ExitStatus.OK
