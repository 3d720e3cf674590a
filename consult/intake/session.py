"""Starting and ending a consultation, around the loop of `consult.intake.flow`.

A consultation starts fresh, prefilled from an answer file or resumed from its
draft; at the end the result is offered for saving as an answer file and a
markdown summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias

from consult.answers.check import AnswerSet
from consult.answers.read import read_file
from consult.bank.model import KnowledgeBase
from consult.engine.result import Result
from consult.errors import InputError, display_path
from consult.intake.asking import Asker
from consult.intake.draft import (
    DraftWriter,
    answer_file_text,
    new_draft_path,
    path_error,
    read_draft,
)
from consult.intake.flow import Intake, dropped_message
from consult.output.files import write_private

Summarizer: TypeAlias = Callable[[KnowledgeBase, AnswerSet, Result, str], str]


def render_summary(kb: KnowledgeBase, answers: AnswerSet, result: Result, date: str) -> str:
    """The markdown consultation summary (the renderer of `consult export`)."""
    from consult.output.markdown import render_markdown  # loaded only when a summary is saved

    return render_markdown(kb, answers, result, date=date)


def offer_saves(
    asker: Asker,
    kb: KnowledgeBase,
    answers: AnswerSet,
    result: Result,
    *,
    stem: str,
    date: str,
    summarize: Summarizer = render_summary,
    save_answers: bool | None = None,
) -> Path | None:
    """Offer to save the answer file and a markdown summary; return the answer file.

    `save_answers` is the answer to the first question when it was asked already
    (under the plan, see `consult.cli.intake`).
    """
    saved = None
    if save_answers is None:
        save_answers = asker.confirm("Save the answers to an answer file?", True)
    if save_answers:
        saved = _save_as(
            asker,
            "Answer file (.yaml or .json)",
            f"{stem}.yaml",
            lambda path: answer_file_text(answers, path),
        )
    if asker.confirm("Save a markdown summary?", True):
        text = summarize(kb, answers, result, date)
        _save_as(asker, "Summary file", f"{stem}.md", lambda _path: text)
    return saved


def _save_as(asker: Asker, label: str, default: str, render: Callable[[Path], str]) -> Path:
    """Ask for a file name until the file is written; never replace one without asking."""
    while True:
        path = Path(asker.ask_text(f"{label}:", default, path_error).strip()).expanduser()
        shown = display_path(path)
        replace = path.exists()
        if replace and not asker.confirm(f"{shown} already exists. Replace it?", False):
            continue
        try:
            write_private(path, render(path), overwrite=replace)
        except InputError as exc:
            asker.notice(str(exc))
            continue
        asker.notice(f"Saved {shown}")
        return path


def begin(
    kb: KnowledgeBase,
    *,
    resume: Path | None = None,
    draft: Path | None = None,
    prefill: Path | None = None,
    now: datetime | None = None,
    ask_ref: Callable[[], str] | None = None,
) -> tuple[DraftWriter, Intake, list[str]]:
    """Start or resume an intake: its draft writer, its state and notices to show first.

    `ask_ref` asks for the patient reference when the intake has none yet (not
    in the answer file given, nor in the draft resumed). A new draft is written
    at once, named by the reference and the time, so its path exists from the
    first question. A resumed draft is not rewritten until the clinician
    answers (the reference asked for is an answer): resuming with the wrong
    bank changes nothing on disk, and the answers this bank does not take are
    written back aside (`not_kept`), to come back with their own bank.
    """
    notices: list[str] = []
    when = now or datetime.now()
    if resume is not None:
        intake, aside = _resumed(kb, resume, notices)
        writer = DraftWriter(resume, kb, aside)
        if not intake.patient_ref and ask_ref is not None:
            intake.patient_ref = ask_ref()
            writer.save(intake.answers, intake.skipped, intake.patient_ref)
        return writer, intake, notices
    if draft is not None and draft.exists():
        shown = display_path(draft)
        raise InputError(
            f"{shown}: already exists (to continue it: consult intake --resume {shown})"
        )
    intake = Intake(kb)
    if prefill is not None:
        given = read_file(kb, prefill)
        notices.extend(f"warning: {w}" for w in given.warnings)
        intake = Intake(kb, given.answers, (), given.patient_ref)
    if not intake.patient_ref and ask_ref is not None:
        intake.patient_ref = ask_ref()
    if draft is None:  # a fresh name, claimed: the empty file is ours to replace
        writer = DraftWriter(new_draft_path(when, ref=intake.patient_ref), kb)
        writer.save(intake.answers, intake.skipped, intake.patient_ref)
    else:
        writer = DraftWriter(draft, kb)
        writer.save(intake.answers, intake.skipped, intake.patient_ref, overwrite=False)
    return writer, intake, notices


def resume_banner(ref: str, saved: datetime | None) -> str:
    """Whose consultation a resumed draft continues, and when it was last saved."""
    who = f"patient {ref}" if ref else "a patient with no reference"
    when = f", last saved {saved:%Y-%m-%d %H:%M}" if saved is not None else ""
    return f"Resuming the consultation of {who}{when}."


def saved_at(path: Path) -> datetime | None:
    """When a file was last written, if it can be told."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return None


def _resumed(kb: KnowledgeBase, path: Path, notices: list[str]) -> tuple[Intake, dict[str, Any]]:
    found = read_draft(path, kb)
    if found.bank_changed:
        notices.append(
            f"This draft was saved with question bank {found.bank_version}; "
            f"the bank is now {kb.version}."
        )
    if found.not_kept:
        notices.append("These answers were not kept:")
        notices.extend(f"  - {line}" for line in found.not_kept)
        notices.append(
            "They stay in the draft, set aside: resuming with the question bank "
            "they were given with brings them back."
        )
    elif found.bank_changed:
        notices.append("Every answer still matches the current bank.")
    intake = Intake(kb, found.answers, found.skipped, found.patient_ref)
    if intake.dropped_at_start:
        notices.append(dropped_message(kb, intake.dropped_at_start))
    return intake, found.aside


class Autosave:
    """Saves the draft after every answer; a failed save keeps the consultation going.

    On a full disk (or any write error) the answers stay in memory, the
    clinician is told once, and the next answer tries again. `behind` says
    whether the draft on disk lacks the latest answers.
    """

    def __init__(self, writer: DraftWriter, notice: Callable[[str], None]) -> None:
        self.writer, self.notice = writer, notice
        self.behind = False

    def __call__(self, state: Intake) -> None:
        """Save the draft after an answer; on failure say so once and carry on."""
        try:
            self.writer.save(state.answers, state.skipped, state.patient_ref)
        except InputError as exc:
            if not self.behind:
                self.notice(
                    f"The draft could not be saved ({exc}). The consultation goes on with "
                    "the answers in memory; saving is tried again after every answer."
                )
            self.behind = True
            return
        if self.behind:
            self.notice(f"The draft is saved again: {self.writer.path}")
        self.behind = False
