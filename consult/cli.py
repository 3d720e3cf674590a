"""The command line: options, consoles, and errors mapped to exit codes. Nothing else.

Heavy modules (yaml, the engine, questionary, rich renderables) are imported
inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from consult import __version__

# consult.errors is imported where it is used: its dataclasses cost `--help`
# about 3 ms (measured with bench/run.py; tests/test_imports.py lists the rest).

if TYPE_CHECKING:
    from consult.answers import AnswerSet
    from consult.batch import Item
    from consult.batchrun import Env as BatchEnv
    from consult.batchrun import Pairs
    from consult.draft import DraftWriter
    from consult.intake import Intake
    from consult.model import KnowledgeBase
    from consult.result import Result

EPILOG = """\b
Examples:
  consult validate                          check the shipped question bank and rules
  consult intake                            run a consultation at the terminal
  consult evaluate answers.yaml             show what fits one patient's answers
  consult evaluate answers.yaml --format json
  consult test --coverage                   run the scenario tests of the bank

\b
Exit status: 0 success; 1 finished but found problems; 2 usage error or
unusable input; 130 interrupted; 70 internal error (a bug).
Decision support only: the clinician decides.
"""

app = typer.Typer(
    name="consult",
    help="Patient consultation questionnaire and decision support for regenerative "
    "aesthetic medicine.",
    epilog=EPILOG,
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

QuestionsOption = Annotated[
    Path | None,
    typer.Option(
        "--questions",
        metavar="DIR",
        help="Question bank folder (default: the bank shipped with consult).",
        show_default=False,
    ),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        metavar="DIR",
        help="Rules folder (default: the rules shipped with consult).",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"consult {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Patient consultation questionnaire and decision support."""


@contextmanager
def exit_on_error() -> Iterator[None]:
    """Map expected errors to one line each on stderr and the contract's exit status."""
    from consult.errors import ConsultError, ExitStatus, ProblemsError

    try:
        yield
    except ProblemsError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        count = len(exc.problems)
        sys.stderr.write(f"{count} problem{'s' if count != 1 else ''} found\n")
        raise typer.Exit(exc.status) from None
    except ConsultError as exc:
        sys.stderr.write(f"{exc}\n")
        raise typer.Exit(exc.status) from None
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except BrokenPipeError:
        _quiet_broken_pipe()


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
    from consult.errors import ExitStatus

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(ExitStatus.OK)


@app.command()
def validate(questions: QuestionsOption = None, rules: RulesOption = None) -> None:
    """Check the question bank and rules; list every problem as file:line:col: message."""
    from consult.loader import load

    with exit_on_error():
        kb = load(questions, rules)
    sys.stdout.write(
        f"ok: {len(kb.questions)} questions, {len(kb.rules)} rules, "
        f"{len(kb.procedures)} procedures, {len(kb.referrals)} referrals, "
        f"{len(kb.references)} references (bank {kb.version})\n"
    )


@app.command()
def evaluate(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...",
            help="Answer files (YAML or JSON), folders (searched for *.yaml, *.yml, *.json), "
            "or - for stdin.",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="text, table, json, jsonl, csv or markdown "
            "(default: text for one answer set, table for several).",
            show_default=False,
        ),
    ] = None,
    input_format: Annotated[
        str,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="files, or jsonl: one answer set per line (a document, or a bare "
            "answers mapping) in each file, folder (*.jsonl) or stdin.",
        ),
    ] = "files",
    output: Annotated[
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
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing output.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            help="Processes evaluating at once: this one and N-1 workers "
            "(default: the machine's cores).",
            show_default=False,
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Consultation date in markdown summaries (default: today).",
            show_default=False,
        ),
    ] = None,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Evaluate answer files without prompting: one, or thousands.

    \b
    Every input is evaluated even when some are bad; each bad one is reported
    on stderr as file:line:col: message (and as an error record in json, jsonl
    and csv), and the exit status is 1 when any failed (2 when the only input,
    named alone, did). Output keeps the input order.

    \b
    Examples:
      consult evaluate answers.yaml
      consult evaluate answers.json --format json > result.json
      cat answers.yaml | consult evaluate -
      consult evaluate answers/ --format jsonl | jq .result.candidates
      consult evaluate answers/ --format csv -o summary.csv
      consult evaluate answers/ --format markdown -o summaries/
      consult evaluate --input-format jsonl sets.jsonl --format jsonl --jobs 4
    """
    from consult.batchrun import FORMATS

    _one_of(output_format or "text", FORMATS, "--format")
    _one_of(input_format, ("files", "jsonl"), "--input-format")
    from consult.batch import Bank, default_jobs
    from consult.batchrun import Options, evaluate_command
    from consult.loader import load

    with exit_on_error():
        opts = Options(
            paths=tuple(paths),
            output_format=output_format,
            jsonl=input_format == "jsonl",
            output=output,
            force=force,
            jobs=jobs or default_jobs(),
            date=_consultation_date(date),
            bank=Bank(_str(questions), _str(rules)),
        )
        kb = load(questions, rules)
        # SIGTERM or a closed terminal stop the run like Ctrl-C: no partial output stays.
        with _stop_on_signals():
            status = evaluate_command(kb, opts, _batch_env())
    raise typer.Exit(status)


@app.command()
def export(
    answers: Annotated[
        Path,
        typer.Argument(
            metavar="ANSWERS",
            help="Answer file (YAML or JSON), or - for stdin.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="SUMMARY.md",
            help="The summary to write (owner-only, atomic), or - for stdout.",
            show_default=False,
        ),
    ],
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Consultation date (default: today).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Write a consultation summary (markdown) for one answer file.

    \b
    Referrals first, then candidates with evidence, caveats and the rules and
    answers behind them, exclusions, open questions, the answers by section,
    notes and the disclaimer. The same answers, bank and --date give the same file.

    \b
    Examples:
      consult export answers.yaml -o summary.md
      consult export answers.yaml -o summary.md --date 2026-11-02 --force
    """
    from consult.batch import read_item
    from consult.engine import evaluate as run_rules
    from consult.files import write_private
    from consult.loader import load
    from consult.report import render_markdown

    with exit_on_error(), _stop_on_signals():
        when = _consultation_date(date)
        if str(output) != "-" and not force and output.exists():
            from consult.errors import InputError, display_path

            raise InputError(f"{display_path(output)}: already exists (use --force to replace it)")
        kb = load(questions, rules)
        checked = read_item(kb, _answers_item(answers))
        text = render_markdown(kb, checked, run_rules(kb, checked), date=when)
        if str(output) == "-":
            sys.stdout.write(text)
        else:
            write_private(output, text, overwrite=force)


def _answers_item(path: Path) -> Item:
    from consult.batch import STDIN, Item
    from consult.errors import display_path
    from consult.yamlsrc import MAX_BYTES

    if str(path) == "-":
        return Item(STDIN, data=sys.stdin.buffer.read(MAX_BYTES + 1))
    return Item(display_path(path), path=str(path))


def _one_of(value: str, choices: tuple[str, ...], option: str) -> None:
    if value not in choices:
        raise typer.BadParameter(
            f"{value!r} is not one of {', '.join(choices)}", param_hint=f"'{option}'"
        )


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _consultation_date(text: str | None) -> str:
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
    from consult.batchrun import Env

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
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    count = TextColumn("{task.completed:,} answer sets")
    columns = (TextColumn("evaluating"), BarColumn(), count, TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("evaluating", total=None, completed=done)
        for pair in pairs:
            yield pair
            bar.advance(task)


def _show_table(rows: list[list[str]]) -> None:
    """The batch summary for the screen; problems are already listed on stderr."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    titles = ("answers", "patient", "referrals", "candidates", "excluded", "not assessable yet")
    table = Table(*titles, highlight=False)
    for column in table.columns:
        column.overflow = "fold"
    table.columns[0].min_width = min(40, max((len(r[0]) + len(r[1]) + 1 for r in rows), default=0))
    for source, line, ref, candidates, excluded, referrals, undetermined, error in rows:
        where = Text(f"{source}:{line}" if line else source)
        if error:
            failed = Text("✗ failed, see above", style="bold red")
            table.add_row(where, "", failed, "", "", "")
            continue
        cells = (ref, referrals, candidates, excluded, undetermined)
        table.add_row(where, *(Text(", ".join(c.split(" ")) if c else "-") for c in cells))
    Console(highlight=False).print(table)


def _show(result: object) -> None:
    from rich.console import Console

    from consult.result import Result
    from consult.view import render_result

    assert isinstance(result, Result)
    Console(highlight=False).print(render_result(result))


@app.command("test")
def run_scenarios(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...", help="Scenario files or folders (default: tests/scenarios)."
        ),
    ] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="List rules and questions no scenario reaches.")
    ] = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Run scenario tests: answer sets with their expected results.

    \b
    Examples:
      consult test
      consult test tests/scenarios/hair-male-pattern-clean.yaml
      consult test --coverage
    """
    from consult.errors import ExitStatus
    from consult.loader import load
    from consult.scenarios import coverage_report, run_all

    with exit_on_error():
        kb = load(questions, rules)
        outcome = run_all(kb, paths or [Path("tests/scenarios")])
    for line in outcome.lines:
        sys.stdout.write(line + "\n")
    status = ExitStatus.OK if outcome.ok else ExitStatus.PROBLEMS
    if coverage:
        lines, dead_rules = coverage_report(kb, outcome)
        for line in lines:
            sys.stdout.write(line + "\n")
        if dead_rules:
            status = ExitStatus.PROBLEMS
    raise typer.Exit(status)


@app.command()
def intake(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", metavar="FILE", help="Pre-fill from an answer file; ask only the rest."
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", metavar="DRAFT", help="Continue a draft where it stopped."),
    ] = None,
    draft: Annotated[
        Path | None,
        typer.Option(
            "--draft",
            metavar="PATH",
            help="Draft file to autosave to (default: a new file in "
            "$XDG_STATE_HOME/consult/drafts or ~/.local/state/consult/drafts).",
        ),
    ] = None,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Run a consultation at the terminal, show the result and offer to save it.

    \b
    Only the questions that apply are asked. Ctrl-B goes back one question;
    a review screen lists every answer before the result. The answers so far
    are autosaved to a draft after every answer; after Ctrl-C or a closed
    terminal, --resume DRAFT continues at the first unanswered question.

    \b
    Examples:
      consult intake
      consult intake --answers known.yaml
      consult intake --resume ~/.local/state/consult/drafts/intake-20261102-093000.json

    \b
    Keys, drafts and the hidden-answer rule: docs/intake.md
    """
    _need_terminal()
    if resume is not None and (answers is not None or draft is not None):
        raise typer.BadParameter(
            "cannot be combined with --answers or --draft", param_hint="'--resume'"
        )
    from consult import intake as flow
    from consult.loader import load

    with exit_on_error():
        kb = load(questions, rules)
        writer, state, notices = flow.begin(kb, resume=resume, draft=draft, prefill=answers)
    hint = _resume_hint(writer.path, questions, rules)
    with exit_on_error(), _intake_stops(hint), _stop_on_signals():
        saved = _consult(kb, state, writer, notices)
    _after_intake(writer.path, saved, hint)


def _need_terminal() -> None:
    from consult.errors import ExitStatus

    if not sys.stdin.isatty():
        sys.stderr.write(
            "consult intake needs an interactive terminal (stdin is not a terminal).\n"
            "To evaluate answers without prompts: consult evaluate ANSWERS\n"
        )
        raise typer.Exit(ExitStatus.INVALID)


def _consult(
    kb: KnowledgeBase, state: Intake, writer: DraftWriter, notices: list[str]
) -> Path | None:
    """The session itself: questions, review, result on screen, saving."""
    from datetime import datetime

    from consult import intake as flow
    from consult.prompts import QuestionaryAsker

    asker = QuestionaryAsker()
    asker.notice(f"Question bank {kb.version}. Draft autosaved to: {writer.path}")
    asker.notice("Ctrl-B: back one question. Ctrl-C: stop (the draft is kept).")
    for line in notices:
        asker.notice(line)
    flow.run_intake(state, asker, lambda s: writer.save(s.answers, s.skipped, s.patient_ref))
    answers = flow.answer_set(state)
    result = _show_intake_result(kb, answers)
    now = datetime.now()
    stem, date = f"consult-{now:%Y%m%d-%H%M}", now.date().isoformat()
    return flow.offer_saves(asker, kb, answers, result, stem=stem, date=date)


def _show_intake_result(kb: KnowledgeBase, answers: AnswerSet) -> Result:
    from rich.console import Console

    from consult.engine import evaluate as run_rules
    from consult.view import render_result

    result = run_rules(kb, answers)
    Console(highlight=False).print(render_result(result, kb=kb))
    return result


def _resume_hint(path: Path, questions: Path | None, rules: Path | None) -> str:
    import shlex

    words = ["consult", "intake", "--resume", str(path)]
    words += ["--questions", str(questions)] if questions is not None else []
    words += ["--rules", str(rules)] if rules is not None else []
    return f"The draft is saved: {path}\nResume with: {shlex.join(words)}\n"


@contextmanager
def _intake_stops(hint: str) -> Iterator[None]:
    """Ctrl-C, a closed terminal or SIGTERM: the draft stays; say how to resume."""
    from consult.errors import ExitStatus
    from consult.intake import Stopped

    try:
        yield
    except Stopped as exc:
        _say(f"\nStopped by signal {exc.signum}. {hint}")
        raise typer.Exit(128 + exc.signum) from None
    except KeyboardInterrupt:
        _say(f"\nInterrupted. {hint}")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except EOFError:
        _say(f"\nInput ended (Ctrl-D or a closed terminal). {hint}")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except Exception:
        _say(f"\n{hint}")
        raise


def _say(text: str) -> None:
    # The terminal may be gone (SIGHUP): the draft is what matters, not this line.
    with suppress(OSError):
        sys.stderr.write(text)
        sys.stderr.flush()


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGHUP and SIGTERM into Stopped, so the session ends like Ctrl-C."""
    import signal

    from consult.intake import Stopped

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _after_intake(draft: Path, saved: Path | None, hint: str) -> None:
    if saved is not None:
        draft.unlink(missing_ok=True)
        sys.stderr.write("The draft was removed: the answer file holds the answers.\n")
    else:
        sys.stderr.write(f"{hint}It holds patient data: delete it when it is no longer needed.\n")


INTERNAL_ERROR = 70


def run() -> None:
    """Run the app (the console script).

    A bug gets one line naming the exception type and place, never its message
    or a traceback, as either may hold patient answers. `CONSULT_DEBUG=1` shows
    the full traceback for a developer.
    """
    try:
        app()
    except Exception as exc:
        if os.environ.get("CONSULT_DEBUG"):
            raise
        sys.stderr.write(
            f"consult: internal error ({type(exc).__name__} at {_where(exc)}); please report it. "
            "Set CONSULT_DEBUG=1 to see the traceback.\n"
        )
        sys.exit(INTERNAL_ERROR)


def _where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:]
    return f"{Path(frame[0].filename).name}:{frame[0].lineno}" if frame else "unknown place"
