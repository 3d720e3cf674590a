"""questionary prompts for the intake: the only module that imports questionary.

Every prompt renders to stderr (the terminal), never stdout, and is run with
`unsafe_ask()` so Ctrl-C raises KeyboardInterrupt. Ctrl-B goes back to the
previous question in every prompt type. Typed values are checked by the same
validator as answer files (consult.engine.answers), so the message appears under the
prompt and an invalid value cannot be submitted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import questionary
from prompt_toolkit.application import Application
from prompt_toolkit.filters import Condition, to_filter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.layout import ConditionalContainer, HSplit, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.output import Output, create_output
from prompt_toolkit.shortcuts import print_formatted_text
from questionary.prompts.common import InquirerControl

from consult.bank.model import Answer, Question
from consult.engine.answers import check_value, parse_text
from consult.intake.flow import BACK, Ask, Nav, Reply, ReviewSection, reply_error, show_answer

BACK_KEY = "c-b"
BACK_HINT = "Ctrl-B back"
NOT_KNOWN_LABEL = "Not known (leave unanswered)"
FINISH_LABEL = "Finish: show the result"


class _Token:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NOT_KNOWN = _Token("not known")
_FINISH = _Token("finish")


class _Echo:
    """A reply the prompt itself does not show; the asker prints it."""

    def __init__(self, value: object) -> None:
        self.value = value


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
        """Show a line of literal text (never markup)."""
        self._print(text, "fg:ansiyellow")

    def ask(self, ask: Ask) -> Reply:
        """Ask one question with the prompt that fits its type."""
        if ask.section != self._section:
            self._section = ask.section
            self._print(f"\n{ask.section}", "bold underline")
        question = ask.question
        if question.help:
            for line in question.help.strip().splitlines():
                self._print(f"  {line}", "fg:ansibrightblack")
        build = _BUILDERS[question.kind]
        reply = _run(build(ask, self._io()), can_go_back=ask.can_go_back)
        if isinstance(reply, _Echo):  # answered by a key the prompt does not display
            reply = reply.value
            shown = None if reply is _NOT_KNOWN else _as_answer(question, reply)
            self._print(f"  → {show_answer(question, shown)}", "fg:ansicyan")
        if reply is BACK:
            self._print("  ← back", "fg:ansibrightblack")
            return Nav.BACK
        return None if reply is _NOT_KNOWN else _as_answer(question, reply)

    def review(self, sections: Sequence[ReviewSection]) -> str | Nav | None:
        """Every answer by section; pick one to change, or finish."""
        width = self.output.get_size().columns - 4  # the pointer and margins
        choices: list[questionary.Choice | questionary.Separator] = [
            questionary.Choice(FINISH_LABEL, value=_FINISH)
        ]
        for section in sections:
            choices.append(questionary.Separator(f"── {section.title} ──"))
            choices.extend(
                questionary.Choice(
                    _review_title(line.question, line.value, width), value=line.question.id
                )
                for line in section.lines
            )
        prompt = questionary.select(
            "Review the answers: pick one to change, or finish",
            choices=choices,
            instruction=f"(arrows move, Enter picks, {BACK_HINT})",
            **self._io(),
        )
        reply = _run(prompt, can_go_back=True)
        return None if reply is _FINISH else reply

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


def _run(prompt: questionary.Question, *, can_go_back: bool) -> Any:
    """Add the Back key to a prompt and run it (Ctrl-C raises KeyboardInterrupt)."""
    extra = KeyBindings()
    if can_go_back:
        extra.add(BACK_KEY, eager=True)(lambda event: event.app.exit(result=BACK))
    _add_bindings(prompt, extra)
    _keep_input_compact(prompt.application)
    return prompt.unsafe_ask()


def _add_bindings(prompt: questionary.Question, extra: KeyBindings) -> None:
    """Add key bindings that take precedence over the prompt's own."""
    app: Application[Any] = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), extra])


def _keep_input_compact(app: Application[Any]) -> None:
    """Keep text inputs compact: an error then shows right under the prompt."""
    for window in app.layout.find_all_windows():
        if isinstance(window.content, BufferControl):
            window.dont_extend_height = to_filter(True)


def _inquirer(app: Application[Any]) -> InquirerControl:
    for window in app.layout.find_all_windows():
        if isinstance(window.content, InquirerControl):
            return window.content
    raise LookupError("checkbox prompt without a choice list")


class _Ticks:
    """Checkbox keys: exclusive ticking, and Enter submits only a valid set.

    Space ticks a choice; an exclusive one clears the others, and the reverse.
    On Enter an invalid set stays open with its error under the list.
    questionary's own checkbox error sits in a bottom toolbar that prompt_toolkit
    draws only when the terminal answers cursor-position requests, so the error
    line is added here to show on every terminal.
    """

    def __init__(self, prompt: questionary.Question, question: Question) -> None:
        self.ic = _inquirer(prompt.application)
        self.question = question
        self.exclusive = {c.id for c in question.choices if c.exclusive} | {_NOT_KNOWN}
        self.error = ""
        bindings = KeyBindings()
        bindings.add(" ", eager=True)(self.toggle)
        bindings.add("enter", eager=True)(self.submit)
        _add_bindings(prompt, bindings)
        line = Window(FormattedTextControl(lambda: [("fg:ansired", self.error)]), height=1)
        container = prompt.application.layout.container
        assert isinstance(container, HSplit)
        container.children.append(ConditionalContainer(line, Condition(lambda: bool(self.error))))

    def toggle(self, _event: KeyPressEvent) -> None:
        ic, pointed = self.ic, self.ic.get_pointed_at().value
        if pointed in ic.selected_options:
            ic.selected_options = [v for v in ic.selected_options if v != pointed]
        elif pointed in self.exclusive:
            ic.selected_options = [pointed]
        else:
            kept = [v for v in ic.selected_options if v not in self.exclusive]
            ic.selected_options = [*kept, pointed]
        self.error = ""

    def submit(self, event: KeyPressEvent) -> None:
        values = [c.value for c in self.ic.get_selected_values()]
        self.error = _many_error(self.question, values)
        if not self.error:
            self.ic.is_answered = True
            event.app.exit(result=values)


def _hint(ask: Ask, *parts: str) -> str:
    """The position and the keys that work, e.g. `[3/12] (y/n, Ctrl-B back)`."""
    shown = [*parts, BACK_HINT] if ask.can_go_back else list(parts)
    keys = f" ({', '.join(shown)})" if shown else ""
    return f"[{ask.position}/{ask.total}]{keys} "


def _build_yes_no(ask: Ask, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    parts = ["y/n"]
    if not question.required:
        parts.append("? not known")
    keep: object = _NOT_KNOWN if ask.was_skipped else ask.current
    if keep is not None:
        parts.append(f"Enter keeps {show_answer(question, ask.current)}")
    prompt = questionary.confirm(question.text, instruction=_hint(ask, *parts), **io)
    extra = KeyBindings()

    # Enter alone keeps an earlier answer but never answers a question by default.
    @extra.add("enter", eager=True)
    def _keep(event: KeyPressEvent) -> None:
        if keep is not None:
            event.app.exit(result=_Echo(keep))

    if not question.required:
        extra.add("?", eager=True)(lambda event: event.app.exit(result=_Echo(_NOT_KNOWN)))
    _add_bindings(prompt, extra)
    return prompt


def _optional_choice(ask: Ask) -> list[questionary.Choice | questionary.Separator]:
    if ask.question.required:
        return []
    return [questionary.Separator(), questionary.Choice(NOT_KNOWN_LABEL, value=_NOT_KNOWN)]


def _choices(question: Question, checked: Sequence[str] = ()) -> list[questionary.Choice]:
    return [
        questionary.Choice(c.label, value=c.id, description=c.help or None, checked=c.id in checked)
        for c in question.choices
    ]


def _build_one_of(ask: Ask, io: dict[str, Any]) -> questionary.Question:
    default: object = _NOT_KNOWN if ask.was_skipped else ask.current
    prompt = questionary.select(
        ask.question.text,
        choices=[*_choices(ask.question), *_optional_choice(ask)],
        default=default,  # type: ignore[arg-type]
        instruction=_hint(ask, "arrows move, Enter picks"),
        **io,
    )
    return prompt


def _build_many_of(ask: Ask, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    current = ask.current if isinstance(ask.current, tuple) else ()
    choices: list[questionary.Choice | questionary.Separator] = [*_choices(question, current)]
    for extra in _optional_choice(ask):
        if isinstance(extra, questionary.Choice):
            extra.checked = ask.was_skipped
        choices.append(extra)
    prompt = questionary.checkbox(
        question.text, choices=choices, instruction=_hint(ask, "Space ticks, Enter when done"), **io
    )
    _Ticks(prompt, question)
    return prompt


def _many_error(question: Question, values: list[Any]) -> str:
    none = next((c for c in question.choices if c.exclusive), None)
    if not values and none is not None:
        # Like Enter on a yes/no question: "none of these" is ticked, never assumed.
        return f"nothing ticked: tick '{none.label}' if none apply"
    if _NOT_KNOWN in values:
        return "'Not known' cannot be combined with other choices" if len(values) > 1 else ""
    return check_value(question, list(values))[1]


def _typed_default(ask: Ask) -> str:
    return "" if ask.current is None else str(ask.current)


def _build_integer(ask: Ask, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    parts = [] if question.required else ["empty: not known"]
    prompt = questionary.text(
        f"{question.text} ({question.minimum}-{question.maximum})",
        default=_typed_default(ask),
        validate=lambda text: _typed_error(question, text) or True,
        instruction=_hint(ask, *parts),
        **io,
    )
    return prompt


def _build_text(ask: Ask, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    parts = [f"up to {question.max_length:,} characters"]
    if not question.required:
        parts.append("empty: not known")
    prompt = questionary.text(
        question.text,
        default=_typed_default(ask),
        validate=lambda text: _typed_error(question, text) or True,
        instruction=_hint(ask, *parts),
        **io,
    )
    return prompt


def _typed_error(question: Question, text: str) -> str:
    if not text.strip():
        return reply_error(question, None)
    return parse_text(question, _typed(question, text))[1]


def _typed(question: Question, text: str) -> str:
    return text if question.kind == "text" else text.strip()


def _as_answer(question: Question, reply: Any) -> Answer | None:
    """A prompt's raw reply as a checked answer (None for an empty optional entry)."""
    if question.kind in {"integer", "text"}:
        text = str(reply)
        return parse_text(question, _typed(question, text))[0] if text.strip() else None
    if question.kind == "many_of":
        return check_value(question, list(reply))[0]
    return check_value(question, reply)[0]


def _review_title(question: Question, value: Answer | None, width: int) -> str:
    """One line: the question cut short before the answer is."""
    answer = _cut(" ".join(show_answer(question, value).split()), max(24, width // 2))
    return f"{_cut(question.text, max(16, width - len(answer) - 2))}: {answer}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_BUILDERS: dict[str, Callable[[Ask, dict[str, Any]], questionary.Question]] = {
    "yes_no": _build_yes_no,
    "one_of": _build_one_of,
    "many_of": _build_many_of,
    "integer": _build_integer,
    "text": _build_text,
}
