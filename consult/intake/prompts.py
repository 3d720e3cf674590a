"""The intake's `Asker` on questionary: questions, "No to all", review and saving prompts.

Every prompt renders to stderr (the terminal), never stdout, and is run with
`unsafe_ask()` so Ctrl-C raises KeyboardInterrupt. Ctrl-B goes back to the
previous question in every prompt type. Typed values are checked by the same
validator as answer files (consult.answers.check), so the message appears under the
prompt and an invalid value cannot be submitted. The prompt for each question
type is built in `consult.intake.widgets`; questionary is imported only there
and here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import questionary
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.output import Output, create_output
from prompt_toolkit.shortcuts import print_formatted_text

from consult.intake.asking import BACK, Ask, Nav, NoToAll, Reply, ReviewSection
from consult.intake.flow import show_answer
from consult.intake.layout import (
    BACK_HINT,
    INDENT,
    block,
    fit_page,
    help_lines,
    no_to_all_prompt,
    numbered,
    wrap,
)
from consult.intake.widgets import (
    BUILDERS,
    FINISH,
    FINISH_LABEL,
    NOT_KNOWN,
    add_bindings,
    as_answer,
    review_title,
    run_prompt,
)

DETAILS = "details"  # the reply of `at_result` asking for the full details


def _yes_numbers(text: str, numbers: set[int]) -> tuple[tuple[int, ...], str]:
    """The numbers typed for the Yes answers of a run, and why they cannot be used ("" if fine)."""
    words = text.replace(",", " ").split()
    if not all(word.isdigit() and int(word) in numbers for word in words):
        return (), f"type numbers from {min(numbers)} to {max(numbers)}, or n for No to all"
    return tuple(sorted({int(word) for word in words})), ""


class QuestionaryAsker:
    """Asks the intake's questions with questionary at the terminal."""

    def __init__(self, *, input: Input | None = None, output: Output | None = None) -> None:
        self.input = input
        self.output = output or create_output(stdout=sys.stderr)
        self._section = ""

    def _io(self) -> dict[str, Any]:
        return {"input": self.input, "output": self.output}

    def _print(self, text: str, style: str = "") -> None:
        print_formatted_text(FormattedText([(style, text)]), output=self.output)

    def notice(self, text: str) -> None:
        """Show literal text (never markup), each line wrapped at word boundaries."""
        width = self._width()
        for line in text.splitlines():
            lead = len(line) - len(line.lstrip())
            wrapped = block(line, width, first=lead, indent=lead + 2)
            self._print(" " * lead + wrapped, "fg:ansiyellow")

    def _width(self) -> int:
        return self.output.get_size().columns

    def _heading(self, section: str) -> None:
        if section != self._section:
            self._section = section
            self._print(f"\n{section}", "bold underline")

    def ask(self, ask: Ask) -> Reply:
        """Ask one question with the prompt that fits its type.

        The prompt is laid out for the terminal's width and erased when answered;
        what stays on screen is the question and the answer in words (every
        choice ticked, for a tick list).
        """
        self._heading(ask.section)
        question = ask.question
        width = self._width()
        for line in help_lines(question.help, width) if question.help else ():
            self._print(line, "fg:ansibrightblack")
        prompt = BUILDERS[question.kind](ask, width, self._io())
        prompt.application.erase_when_done = True
        reply = run_prompt(prompt, can_go_back=ask.can_go_back)
        if reply is BACK:
            self._echo(question.text, "← back")
            return Nav.BACK
        answer = None if reply is NOT_KNOWN else as_answer(question, reply)
        self._echo(question.text, "→ " + show_answer(question, answer))
        return answer

    def _echo(self, text: str, answer: str) -> None:
        """The question, wrapped, and its answer after it (or under it if too long)."""
        width = self._width()
        lines = wrap(text, width, first=len(INDENT), indent=len(INDENT))
        tokens = [("fg:ansigreen", "? "), ("bold", ("\n" + INDENT).join(lines))]
        if len(INDENT) + len(lines[-1]) + 1 + len(answer) < width:
            tokens.append(("fg:ansicyan", " " + answer))
        else:
            said = block(answer, width, first=len(INDENT), indent=len(INDENT) + 2)
            tokens.append(("fg:ansicyan", "\n" + INDENT + said))
        print_formatted_text(FormattedText(tokens), output=self.output)

    def no_to_all(self, asks: Sequence[Ask]) -> NoToAll | Nav:
        """Show as many of the yes/no questions as fit the screen; offer "No to all".

        `n` answers No to each question on screen (the loop records them one by
        one); Enter asks them one by one.
        """
        first = asks[0]
        width, rows = self._width(), self.output.get_size().rows
        heading = 2 if first.section != self._section else 0
        message, instruction = no_to_all_prompt(first, asks[-1], width)
        room = rows - heading - message.count("\n") - instruction.count("\n") - 1
        page = fit_page(asks, width, room)
        self._heading(first.section)
        for ask in page:
            number = ask.section_position
            self._print(INDENT + numbered(ask.question.text, number, width, len(INDENT)))
            for line in help_lines(ask.question.help, width - 3) if ask.question.help else ():
                self._print("   " + line, "fg:ansibrightblack")
        count = len(page)
        message, instruction = no_to_all_prompt(first, page[-1], width)
        numbers = {ask.section_position for ask in page}
        prompt = questionary.text(
            message,
            instruction=instruction,
            validate=lambda text: _yes_numbers(text, numbers)[1] or True,
            **self._io(),
        )
        extra = KeyBindings()
        for key in ("n", "N"):
            extra.add(key, eager=True)(lambda e: e.app.exit(result=NoToAll(count, all_no=True)))
        add_bindings(prompt, extra)
        prompt.application.erase_when_done = True
        reply = run_prompt(prompt, can_go_back=first.can_go_back)
        last = page[-1].section_position
        said = f"{first.section} {first.section_position}-{last}"
        if reply is BACK:
            self._echo(said, "← back")
            return Nav.BACK
        if isinstance(reply, str):
            yes = _yes_numbers(reply, numbers)[0]
            reply = NoToAll(count, all_no=False, yes=yes)
        assert isinstance(reply, NoToAll)
        if reply.all_no:
            words = "No to each"
        elif reply.yes:
            words = f"Yes to {', '.join(map(str, reply.yes))}; No to the rest"
        else:
            words = "one by one"
        self._echo(said, "→ " + words)
        return reply

    def review(self, sections: Sequence[ReviewSection]) -> str | Nav | None:
        """Every answer by section; pick one to change, or finish."""
        width = self.output.get_size().columns - 4  # the pointer and margins
        choices: list[questionary.Choice | questionary.Separator] = [
            questionary.Choice(FINISH_LABEL, value=FINISH)
        ]
        for section in sections:
            choices.append(questionary.Separator(f"── {section.title} ──"))
            choices.extend(
                questionary.Choice(
                    review_title(line.question, line.value, width, line.finding),
                    value=line.question.id,
                )
                for line in section.lines
            )
        prompt = questionary.select(
            "Review the answers: pick one to change, or finish",
            choices=choices,
            instruction=f"\n{INDENT}arrows move, Enter picks, {BACK_HINT}",
            **self._io(),
        )
        reply = run_prompt(prompt, can_go_back=True)
        return None if reply is FINISH else reply

    def at_result(self, message: str, default: bool) -> bool | Nav | str:
        """The first save question, under the plan: y/n, `d` for the details, Ctrl-B back.

        Returns the yes/no answer, `DETAILS` for the full details, or BACK to go
        back to the review screen and change an answer.
        """
        keys = "d: the full details in a pager · Ctrl-B: back to the review to change an answer"
        self._print(block(keys, self._width(), first=0, indent=0), "fg:ansibrightblack")
        prompt = questionary.confirm(message, default=default, **self._io())
        extra = KeyBindings()
        extra.add("d", eager=True)(lambda event: event.app.exit(result=DETAILS))
        add_bindings(prompt, extra)
        reply = run_prompt(prompt, can_go_back=True)
        return reply if reply is BACK or reply == DETAILS else bool(reply)

    def pick(self, message: str, choices: Sequence[tuple[str, str]]) -> str:
        """One of a list of (label, value): numbers pick the first nine, arrows any."""
        prompt = questionary.select(
            message,
            choices=[questionary.Choice(label, value=value) for label, value in choices],
            use_shortcuts=len(choices) <= 36,
            **self._io(),
        )
        return str(prompt.unsafe_ask())

    def confirm(self, message: str, default: bool) -> bool:
        """A yes/no question about the session (saving files)."""
        prompt = questionary.confirm(message, default=default, **self._io())
        return bool(prompt.unsafe_ask())

    def ask_text(self, message: str, default: str, check: Callable[[str], str]) -> str:
        """A line of text that `check` accepts."""
        prompt = questionary.text(
            message, default=default, validate=lambda t: check(t) or True, **self._io()
        )
        return str(prompt.unsafe_ask())
