"""The interactive command: `consult intake`, with its stops, signals and resume hint."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from consult.cli.app import (
    QuestionsOption,
    RulesOption,
    app,
    exit_on_error,
    load_bank,
    stop_on_signals,
)
from consult.cli.shipped import shipped_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console, RenderableType

    from consult.answers.check import AnswerSet
    from consult.bank.model import KnowledgeBase
    from consult.engine.result import Result
    from consult.intake.asking import Nav
    from consult.intake.flow import Intake
    from consult.intake.prompts import QuestionaryAsker
    from consult.intake.session import Autosave


@app.command(
    # The guide is installed with consult: its path, not a link into the source.
    epilog=f"\b\nKeys, drafts and the hidden-answer rule:\n  {shipped_file('docs', 'intake.md')}",
)
def intake(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", metavar="FILE", help="Pre-fill from an answer file; ask only the rest."
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="[DRAFT]",
            help="Continue a draft where it stopped; without DRAFT, pick one of the drafts "
            "by patient reference and date.",
        ),
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
    The patient reference (pseudonymous) is asked first, never taken from
    the command line; it names the draft and the files saved. Only the
    questions that apply are asked; the treatment areas one by one, each
    with what is treated there and its details. Ctrl-B goes back one
    question; a review screen lists every answer before the result. Under
    the plan, d pages the full details and Ctrl-B goes back to the review
    to change an answer. The answers so far are autosaved to a draft after
    every answer; after Ctrl-C or a closed terminal, --resume DRAFT (or
    --resume alone, to pick the draft) continues at the first unanswered
    question.

    \b
    Examples:
      consult intake
      consult intake --answers known.yaml
      consult intake --resume
      consult intake --resume ~/.local/state/consult/drafts/intake-P-0042-20261102-093000.json
    """
    _need_terminal()
    _resume_alone(resume, answers, draft)
    from consult.cli.clinician import clinician
    from consult.intake import session
    from consult.intake.lock import draft_lock
    from consult.intake.prompts import QuestionaryAsker

    asker = QuestionaryAsker()
    with ExitStack() as held:
        with exit_on_error(), _stopped_before_the_draft():
            found = _pick_draft(asker) if resume == "" else resume
            resumed = Path(found) if found is not None else None
            named = resumed or draft
            if named is not None:  # two intakes on one draft would overwrite each other
                held.enter_context(draft_lock(named))
            kb = load_bank(questions, rules)
            who = clinician(os.environ)  # a bad config file stops here, before any question
            last = session.saved_at(resumed) if resumed is not None else None
            writer, state, notices = session.begin(
                kb, resume=resumed, draft=draft, prefill=answers, ask_ref=lambda: _ask_ref(asker)
            )
            if named is None:
                held.enter_context(draft_lock(writer.path))
        if resumed is not None:
            notices.insert(0, session.resume_banner(state.patient_ref, last))
        autosave = session.Autosave(writer, _say_line)
        hint = partial(_resume_hint, writer.path, questions, rules, autosave)
        with exit_on_error(), _intake_stops(hint), stop_on_signals():
            saved = _consult(kb, state, autosave, notices, asker, who)
    _after_intake(writer.path, saved, hint())


def _resume_alone(resume: str | None, answers: Path | None, draft: Path | None) -> None:
    if resume is not None and (answers is not None or draft is not None):
        raise typer.BadParameter(
            "cannot be combined with --answers or --draft", param_hint="'--resume'"
        )


def _need_terminal() -> None:
    from consult.errors import ExitStatus

    if not sys.stdin.isatty():
        sys.stderr.write(
            "consult intake needs an interactive terminal (stdin is not a terminal).\n"
            "To evaluate answers without prompts: consult evaluate ANSWERS\n"
        )
        raise typer.Exit(ExitStatus.INVALID)


def _pick_draft(asker: QuestionaryAsker) -> str:
    """`--resume` without a path: the drafts by patient reference and date, newest first."""
    from consult.errors import InputError
    from consult.intake.draft import drafts_folder
    from consult.intake.patient import list_drafts

    found = list_drafts()
    if not found:
        raise InputError(f"no drafts to resume in {drafts_folder()}")
    choices = [(entry.label(), str(entry.path)) for entry in found]
    return asker.pick("Which consultation to continue?", choices)


def _ask_ref(asker: QuestionaryAsker) -> str:
    from consult.intake.patient import REF_PROMPT, ref_error

    return asker.ask_text(REF_PROMPT, "", ref_error).strip()


@contextmanager
def _stopped_before_the_draft() -> Iterator[None]:
    """Ctrl-C or Ctrl-D at the first prompts, before any draft: nothing to keep."""
    from consult.errors import ExitStatus

    try:
        yield
    except (KeyboardInterrupt, EOFError):
        _say("\nInterrupted: nothing was saved.\n")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None


def _consult(
    kb: KnowledgeBase,
    state: Intake,
    autosave: Autosave,
    notices: list[str],
    asker: QuestionaryAsker,
    who: str,
) -> Path | None:
    """The session itself: questions, review, result on screen, saving.

    The record saved names `who` (the configured clinician) and the time.
    """
    from datetime import datetime

    from consult.intake import flow, session
    from consult.intake.asking import BACK
    from consult.intake.patient import file_stem

    autosave.notice = asker.notice
    asker.notice(f"Question bank {kb.version}. Draft autosaved to: {autosave.writer.path}")
    asker.notice("Ctrl-B: back one question. Ctrl-C: stop (the draft is kept).")
    for line in notices:
        asker.notice(line)
    state.after_plan = flow.AFTER_PLAN

    while True:
        flow.run_intake(state, asker, autosave)
        answers, result, reply = _result_screen(kb, state, asker, autosave)
        if reply is not BACK:  # Ctrl-B: back to the review screen, to change an answer
            break
    now = datetime.now()
    stem, date = file_stem(state.patient_ref, now), now.date().isoformat()

    def record(kb: KnowledgeBase, answers: AnswerSet, result: Result, date: str) -> str:
        from consult.output.markdown import render_markdown

        return render_markdown(kb, answers, result, date=date, time=f"{now:%H:%M}", clinician=who)

    return session.offer_saves(
        asker,
        kb,
        answers,
        result,
        stem=stem,
        date=date,
        summarize=record,
        save_answers=bool(reply),
    )


def _result_screen(
    kb: KnowledgeBase, state: Intake, asker: QuestionaryAsker, save: Callable[[Intake], None]
) -> tuple[AnswerSet, Result, bool | Nav]:
    """The result, the full details first and the plan last, above the first save question.

    The questions kept for after the plan (the risks accepted) are asked under
    it, and the plan shown again with their answers. `d` pages the full details
    and shows the plan again. Returns the answers, the result and the answer to
    the save question, or BACK (back to the review).
    """
    from rich.console import Console

    from consult.engine.decide import evaluate as run_rules
    from consult.intake import flow
    from consult.intake.asking import BACK
    from consult.intake.prompts import DETAILS
    from consult.output.brief import render_plan
    from consult.output.terminal import render_result

    answers = flow.answer_set(state)
    result = run_rules(kb, answers)
    console = Console(highlight=False)
    # One column short of the edge: a terminal that wraps at the edge then breaks no line.
    console.width = max(console.width - 1, 40)
    console.print(render_result(result, kb=kb))
    console.print()
    console.print(render_plan(result, kb=kb))
    for question in state.open_after_plan():
        if not flow.ask_one(state, asker, save, question):
            return answers, result, BACK
        answers = flow.answer_set(state)
        result = run_rules(kb, answers)
        console.print()
        console.print(render_plan(result, kb=kb))
    while True:
        reply = asker.at_result("Save the answers to an answer file?", True)
        if reply != DETAILS:
            assert not isinstance(reply, str)
            return answers, result, reply
        _page(console, render_result(result, kb=kb))
        console.print()
        console.print(render_plan(result, kb=kb))


def _page(console: Console, details: RenderableType) -> None:
    """The full details through the system pager (less keeps the colours)."""
    import os

    os.environ.setdefault("LESS", "-R")
    with console.pager(styles=True):
        console.print(details)


def _resume_hint(path: Path, questions: Path | None, rules: Path | None, autosave: Autosave) -> str:
    import shlex

    words = ["consult", "intake", "--resume", str(path)]
    words += ["--questions", str(questions)] if questions is not None else []
    words += ["--rules", str(rules)] if rules is not None else []
    saved = f"The draft is saved: {path}"
    if autosave.behind:  # the last saves failed (a full disk): say what the draft lacks
        saved = (
            f"The draft could not be saved after the last answers; it holds those before: {path}"
        )
    return f"{saved}\nResume with: {shlex.join(words)}\n"


def _say_line(text: str) -> None:
    _say(f"{text}\n")


@contextmanager
def _intake_stops(hint: Callable[[], str]) -> Iterator[None]:
    """Ctrl-C, a closed terminal or SIGTERM: the draft stays; say how to resume."""
    from consult.errors import ExitStatus, Stopped

    try:
        yield
    except Stopped as exc:
        _say(f"\nStopped by signal {exc.signum}. {hint()}")
        raise typer.Exit(128 + exc.signum) from None
    except KeyboardInterrupt:
        _say(f"\nInterrupted. {hint()}")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except EOFError:
        _say(f"\nInput ended (Ctrl-D or a closed terminal). {hint()}")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except Exception:
        _say(f"\n{hint()}")
        raise


def _say(text: str) -> None:
    # The terminal may be gone (SIGHUP): the draft is what matters, not this line.
    with suppress(OSError):
        sys.stderr.write(text)
        sys.stderr.flush()


def _after_intake(draft: Path, saved: Path | None, hint: str) -> None:
    if saved is not None:
        draft.unlink(missing_ok=True)
        sys.stderr.write("The draft was removed: the answer file holds the answers.\n")
    else:
        sys.stderr.write(f"{hint}It holds patient data: delete it when it is no longer needed.\n")
