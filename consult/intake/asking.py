"""What the intake loop and a terminal (or a test script) say to each other.

An `Ask` is one question as put to the clinician; a `Reply` is an answer, None
("not known") or a `Nav` (BACK); a run of yes/no questions is answered with a
`NoToAll`; the review screen is a list of `ReviewSection`. The `Asker` protocol
is everything the loop of `consult.intake.flow` needs from a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeAlias

from consult.bank.model import Answer, Question


class Nav(Enum):
    """A navigation reply instead of an answer."""

    BACK = "back"


BACK = Nav.BACK
# An answer; None for "not known" (an optional question left unanswered); or BACK.
Reply: TypeAlias = Answer | Nav | None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C in a typed answer: what was typed so far, kept in the draft when it is valid."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


@dataclass(frozen=True, slots=True)
class Ask:
    """One question as put to the clinician."""

    question: Question
    section: str  # the section title
    current: Answer | None  # the answer so far, if any
    was_skipped: bool  # answered "not known" before
    can_go_back: bool
    position: int  # 1-based among the questions that apply now
    total: int
    section_position: int = 1  # 1-based among the section's questions that apply now
    section_total: int = 1
    sections_done: int = 0  # sections that apply with every question done
    sections_total: int = 1  # sections with at least one question that applies


@dataclass(frozen=True, slots=True)
class NoToAll:
    """The clinician's reply to a run of yes/no questions shown together.

    `shown` is how many of the leading questions were on screen; `all_no` says
    the clinician answered No to each of them in one step; `yes` lists those
    answered Yes in the same step (by their number in the section), the others
    shown being No. With neither, they are asked one by one.
    """

    shown: int
    all_no: bool
    yes: tuple[int, ...] = ()  # section positions answered Yes, the others shown No


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """One answer on the review screen; `value` None means "not known"."""

    question: Question
    value: Answer | None
    finding: bool = False  # a Yes that is a safety finding: marked on the review screen


@dataclass(frozen=True, slots=True)
class ReviewSection:
    """The answers of one section, in bank order."""

    title: str
    lines: tuple[ReviewLine, ...]


class Asker(Protocol):
    """Everything the intake needs from a terminal (or a test script)."""

    def ask(self, ask: Ask) -> Reply:
        """Ask one question; return a valid answer, None (not known) or BACK."""
        ...

    def review(self, sections: Sequence[ReviewSection]) -> str | Nav | None:
        """Show every answer; return a question id to change, BACK, or None to finish."""
        ...

    def notice(self, text: str) -> None:
        """Tell the clinician something (literal text, never markup)."""
        ...

    def confirm(self, message: str, default: bool) -> bool:
        """Ask a yes/no question about the session itself (not the patient)."""
        ...

    def ask_text(self, message: str, default: str, check: Callable[[str], str]) -> str:
        """Ask for a line of text that `check` accepts (it returns an error or "")."""
        ...

    def no_to_all(self, asks: Sequence[Ask]) -> NoToAll | Nav:
        """Show a run of yes/no questions in full; offer "No to all of these" or BACK."""
        ...
