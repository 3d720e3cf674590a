"""The command line: options, consoles, and errors mapped to exit codes. Nothing else.

Heavy modules (yaml, the engine, questionary, rich renderables) are imported
inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from consult import __version__
from consult.errors import ConsultError, ExitStatus, ProblemsError

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
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="Answer file (YAML or JSON), or - for stdin.")
    ],
    output_format: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="text (default) or json.")
    ] = "text",
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Evaluate an answer file without prompting and show what fits.

    \b
    Examples:
      consult evaluate answers.yaml
      consult evaluate answers.json --format json > result.json
      cat answers.yaml | consult evaluate -
    """
    if output_format not in {"text", "json"}:
        raise typer.BadParameter(
            f"{output_format!r} is not one of text, json", param_hint="'--format'"
        )
    from consult.answers import parse_answer_bytes, read_answer_file
    from consult.engine import evaluate as run_rules
    from consult.loader import load

    with exit_on_error():
        kb = load(questions, rules)
        if str(path) == "-":
            answers = parse_answer_bytes(kb, sys.stdin.buffer.read(), "<stdin>")
        else:
            answers = read_answer_file(kb, path)
        result = run_rules(kb, answers)
        if output_format == "json":
            import json

            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        else:
            _show(result)


def _show(result: object) -> None:
    from rich.console import Console

    from consult.engine import Result
    from consult.view import render_result

    assert isinstance(result, Result)
    Console(highlight=False).print(render_result(result))
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")


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
