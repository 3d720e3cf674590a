"""The command line's shared parts: the app, its common options, errors mapped to exit codes.

The commands live in `consult.cli.bank`, `consult.cli.batch` and `consult.cli.intake`;
`consult.cli.main` puts them together. Only these modules use typer, sys.exit and the
rich consoles. Heavy modules (yaml, the engine, questionary, rich renderables) are
imported inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from consult import __version__

if TYPE_CHECKING:
    from consult.bank.model import KnowledgeBase

# consult.errors is imported where it is used: its dataclasses cost `--help`
# about 3 ms (measured with bench/run.py; tests/cli/test_imports.py lists the rest).


class _Commands(TyperGroup):
    """Lists the commands in the order a clinic meets them, not by import order."""

    ORDER = (
        "intake",
        "template",
        "evaluate",
        "export",
        "fhir",
        "validate",
        "test",
        "explain",
        "diff",
        "schema",
    )

    def list_commands(self, ctx: Any) -> list[str]:  # typer vendors click: Any spans both
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: self.ORDER.index(n) if n in self.ORDER else 99)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with its whole first paragraph, wrapped (click cuts it with "...")."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command.short_help or command.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def summary(text: str) -> str:
    """The first paragraph of a help text, on one line."""
    paragraph = text.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.replace("\b", " ").split())


EPILOG = """\b
Examples:
  consult validate                          check the shipped question bank and rules
  consult intake                            run a consultation at the terminal
  consult template hair_loss -o answers.yaml
                                            a blank answer file for these concerns
  consult template --samples                the sample answer files installed
  consult evaluate answers.yaml             show what fits one patient's answers
  consult evaluate answers.yaml --format json
  consult test --coverage                   run the scenario tests of the bank

\b
Exit status: 0 success; 1 finished but found problems; 2 usage error or
unusable input; 78 the question bank cannot be loaded (any command but
validate); 74 output error; 130 interrupted; 70 internal error (a bug).
Decision support only: the clinician decides.
"""

app = typer.Typer(
    name="consult",
    cls=_Commands,
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
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        min=1,
        help="Worker processes evaluating at once (default: the machine's cores); "
        "1 evaluates in this process.",
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
    from consult.errors import ConsultError, ExitStatus, ProblemsError, UnusableBank

    try:
        yield
    except UnusableBank as exc:
        for line in exc.lines:
            sys.stderr.write(f"{line}\n")
        sys.stderr.write("the question bank cannot be loaded (consult validate checks it)\n")
        raise typer.Exit(exc.status) from None
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


def load_bank(questions: Path | None, rules: Path | None) -> KnowledgeBase:
    """The bank for a command that uses it; one that cannot be loaded is `UnusableBank`.

    Its problems are those `consult validate` lists, but the status is the
    command's own (78): a script can tell a bank that cannot be used from an
    input that is bad.
    """
    from consult.bank.loader import load

    with unusable_bank():
        return load(questions, rules)


@contextmanager
def unusable_bank() -> Iterator[None]:
    """Turn a bank's loading errors (problems, a missing folder) into `UnusableBank`."""
    from consult.errors import InputError, InvalidDefinitions, UnusableBank

    try:
        yield
    except InvalidDefinitions as exc:
        raise UnusableBank(map(str, exc.problems)) from None
    except InputError as exc:
        raise UnusableBank([str(exc)]) from None


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
    from consult.errors import ExitStatus

    drop_stdout()
    raise typer.Exit(ExitStatus.OK)


def drop_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for it would fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout closed or replaced
        pass


def _stopping_already() -> bool:
    """Whether a KeyboardInterrupt (a stop) is being handled: in an except, finally or exit."""
    found: BaseException | None = sys.exc_info()[1]
    seen = 0
    while found is not None and seen < 16:
        if isinstance(found, KeyboardInterrupt):
            return True
        found, seen = found.__context__, seen + 1
    return False


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGHUP and SIGTERM into Stopped, so a run ends as on Ctrl-C (nothing partial stays).

    A stop signal (Ctrl-C included) stops the command; one that comes while
    the stop is under way (a KeyboardInterrupt being handled) is let go: a
    second exception in the middle of tidying up could leave a partial file
    behind, or end the command by the signal's default action instead of its
    exit status. A signal whose exception was lost (raised inside a weak
    reference callback, which Python reports and ignores) is acted on when
    the next one comes. A signal ignored when the command starts (Ctrl-C for
    a command started in the background) stays ignored.
    """
    import signal

    from consult.errors import Stopped

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if _stopping_already():
            return  # a stop is under way: tidying up
        stopping = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGHUP, signal.SIGTERM)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.default_int_handler
    for sig in previous:
        signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            # Stopping: the command is on its way out with its own status.
            signal.signal(sig, signal.SIG_IGN if stopping else handler)
