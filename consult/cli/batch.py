"""The scripted command `consult evaluate PATH...`, and what `consult export` shares with it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from consult.cli.app import (
    JobsOption,
    QuestionsOption,
    RulesOption,
    app,
    exit_on_error,
    load_bank,
    stop_on_signals,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from consult.batch.inputs import Item
    from consult.batch.pool import Pairs
    from consult.batch.run import Env as BatchEnv


PathsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="PATH...",
        help="Answer files (YAML or JSON), folders (searched for *.yaml, *.yml, *.json), "
        "or - for stdin.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="text, table, json, jsonl, csv or markdown "
        "(default: text for one answer set, table for several).",
        show_default=False,
    ),
]
InputFormatOption = Annotated[
    str,
    typer.Option(
        "--input-format",
        metavar="FORMAT",
        help="files, or jsonl: one answer set per line (a document, or a bare "
        "answers mapping) in each file, folder (*.jsonl) or stdin.",
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE|DIR",
        help="Write to this file (owner-only, put in place when the run ends) instead "
        "of stdout; with --format markdown, a folder for one summary per answer set. "
        "Without --format, the suffix picks it: .json, .jsonl, .csv, .tsv, .md.",
        show_default=False,
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace existing output.")]
TimeLimitOption = Annotated[
    float,
    typer.Option(
        "--time-limit",
        metavar="SECONDS",
        min=0,
        help="Seconds one input of a batch may take; one that takes longer is reported "
        "as failed and the run goes on. 0 for no limit.",
    ),
]
AnswersOption = Annotated[
    bool,
    typer.Option(
        "--answers",
        help="With csv or table: the answers too, one column per question "
        "(answers.ID) and the areas' own answers in answers.areas.",
    ),
]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="YYYY-MM-DD",
        help="Consultation date in markdown summaries (default: today).",
        show_default=False,
    ),
]


@app.command()
def evaluate(
    paths: PathsArgument,
    output_format: FormatOption = None,
    input_format: InputFormatOption = "files",
    output: OutputOption = None,
    force: ForceOption = False,
    jobs: JobsOption = None,
    time_limit: TimeLimitOption = 10.0,
    date: DateOption = None,
    answers: AnswersOption = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Evaluate answer files without prompting: one, or thousands.

    \b
    Every input is evaluated even when some are bad; each bad one is reported
    on stderr as file:line:col: message (and as an error record in json, jsonl
    and csv), and the exit status is 1 when any failed (2 when the only input,
    named alone, did; 78 when the question bank cannot be loaded). Output
    keeps the input order.

    \b
    --format json prints the contract's result document for one file named
    alone (or -), and an array of {"file", "patient_ref", "result"} records
    (or "error" and "problems") for a folder or several inputs, whatever
    their number. Every format names the input "file". A scenario file
    (consult test) has its answers evaluated, and a note on stderr says so.
    csv rows hold, per input, the outcomes, each candidate's certainty, the
    candidates with a caveat, the positive safety answers, the open
    questions and the plan per treatment area (--answers: the answers too).

    \b
    Examples:
      consult template --samples                  the sample answer files installed
      consult evaluate answers.yaml
      consult evaluate answers.json --format json > result.json
      cat answers.yaml | consult evaluate -
      consult evaluate answers/ --format jsonl | jq .result.candidates
      consult evaluate answers/ --format csv --answers -o summary.csv
      consult evaluate answers/ --format markdown -o summaries/
      consult evaluate --input-format jsonl sets.jsonl --format jsonl --jobs 4
    """
    from consult.batch.run import FORMATS

    one_of(output_format or "text", FORMATS, "--format")
    one_of(input_format, ("files", "jsonl"), "--input-format")
    from consult.batch.pool import default_jobs
    from consult.batch.run import Options, evaluate_command

    with exit_on_error():
        opts = Options(
            paths=tuple(paths),
            output_format=output_format,
            jsonl=input_format == "jsonl",
            output=output,
            force=force,
            jobs=jobs or default_jobs(),
            time_limit=time_limit,
            date=consultation_date(date),
            clinician=_clinician(output_format, output),
            answers=answers,
        )
        kb = load_bank(questions, rules)
        # SIGTERM or a closed terminal stop the run like Ctrl-C: no partial output stays.
        with stop_on_signals():
            status = evaluate_command(kb, opts, _batch_env())
    raise typer.Exit(status)


def _clinician(output_format: str | None, output: Path | None) -> str:
    """The clinician a markdown record names; "" for the other formats (no config read)."""
    import os

    from consult.cli.clinician import clinician

    to_markdown = output_format == "markdown" or (
        output_format is None and output is not None and output.suffix == ".md"
    )
    return clinician(os.environ) if to_markdown else ""


def answers_item(path: Path) -> Item:
    """The input an ANSWERS argument names: a file, or stdin for -."""
    from consult.bank.yamlsource import MAX_BYTES
    from consult.batch.inputs import STDIN, Item
    from consult.errors import display_path

    if str(path) == "-":
        return Item(STDIN, data=sys.stdin.buffer.read(MAX_BYTES + 1))
    return Item(display_path(path), path=str(path))


def one_of(value: str, choices: tuple[str, ...], option: str) -> None:
    """Refuse an option's value that is not one of `choices` (a usage error)."""
    if value not in choices:
        raise typer.BadParameter(
            f"{value!r} is not one of {', '.join(choices)}", param_hint=f"'{option}'"
        )


def consultation_date(text: str | None) -> str:
    """The --date given, checked, as YYYY-MM-DD; today without one."""
    import datetime
    import re

    if text is None:
        return datetime.date.today().isoformat()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise typer.BadParameter(f"{text!r} is not a date like 2026-11-02", param_hint="'--date'")


def _batch_env() -> BatchEnv:
    from consult.batch.run import Env

    return Env(
        stdin=sys.stdin.buffer,
        stdout=sys.stdout.buffer,
        say=_say_line,
        stdout_is_tty=sys.stdout.isatty(),
        progress=_progress,
        show_table=_show_table,
        show_result=_show,
    )


def _say_line(line: str) -> None:
    # Looked up at each call: a live progress bar redirects sys.stderr.
    sys.stderr.write(line + "\n")


def _progress(pairs: Pairs) -> Pairs:
    """A progress bar on stderr once a run takes more than a second (terminals only)."""
    import time

    if not sys.stderr.isatty():
        yield from pairs
        return
    start, done = time.monotonic(), 0
    for pair in pairs:
        done += 1
        yield pair
        if time.monotonic() - start > 1.0:
            break
    else:
        return
    yield from _with_bar(pairs, done)


def _with_bar(pairs: Pairs, done: int) -> Pairs:
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    count = TextColumn("{task.completed:,} answer sets")
    columns = (TextColumn("evaluating"), BarColumn(), count, TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("evaluating", total=None, completed=done)
        # The bar is drawn ten times a second: its count is set as often, not per
        # answer set (setting it costs more than many a small answer set's output).
        shown = time.monotonic()
        for pair in pairs:
            done += 1
            yield pair
            now = time.monotonic()
            if now - shown >= 0.1:
                bar.update(task, completed=done)
                shown = now


def _show_table(names: Sequence[str], rows: list[list[str]]) -> None:
    """The batch summary for the screen; problems are already listed on stderr."""
    from rich.console import Console

    from consult.cli.table import show_table

    show_table(Console(highlight=False), names, rows)


def _show(result: object, kb: object) -> None:
    from rich.console import Console

    from consult.bank.model import KnowledgeBase
    from consult.engine.result import Result
    from consult.output.brief import render_screen

    assert isinstance(result, Result)
    assert isinstance(kb, KnowledgeBase)
    Console(highlight=False).print(render_screen(result, kb=kb))
