"""The prompt for each kind of question, built from questionary and prompt_toolkit parts.

`BUILDERS` maps a question type to the prompt that asks it: yes/no keys, numbered
lists, tick lists with "None of these" on a key, typed numbers and text checked
as they are typed by the answer validator. `run_prompt` runs one with Ctrl-B
(back) bound. `consult.intake.prompts` puts them behind the intake's `Asker`;
these two modules are the only ones that import questionary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import questionary
from prompt_toolkit.application import Application
from prompt_toolkit.filters import Condition, to_filter
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.layout import ConditionalContainer, HSplit, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.validation import ValidationError
from questionary.prompts.common import InquirerControl

from consult.answers.values import check_value, parse_text
from consult.bank.model import Answer, Question
from consult.intake.asking import BACK, Ask, Interrupted
from consult.intake.flow import reply_error, show_answer
from consult.intake.layout import (
    MAX_NUMBERED,
    ask_hint,
    block,
    is_numbered,
    numbered,
    pick_keys,
    prompt_message,
    wrap,
)

BACK_KEY = "c-b"
NOT_KNOWN_LABEL = "Not known (leave unanswered)"
FINISH_LABEL = "Finish: show the result"
POINTER = 3  # columns before a list entry: " » "
TICK_BOX = 2  # and before a tick-list entry's label: "○ "


class _Token:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOT_KNOWN = _Token("not known")
FINISH = _Token("finish")


def run_prompt(prompt: questionary.Question, *, can_go_back: bool) -> Any:
    """Add the Back key to a prompt and run it (Ctrl-C raises KeyboardInterrupt)."""
    extra = KeyBindings()
    if can_go_back:
        extra.add(BACK_KEY, eager=True)(lambda event: event.app.exit(result=BACK))
    add_bindings(prompt, extra)
    _keep_input_compact(prompt.application)
    return prompt.unsafe_ask()


def add_bindings(prompt: questionary.Question, extra: KeyBindings) -> None:
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
    In a numbered list a number key ticks its choice; `n` ticks "none of these"
    alone and submits it; `?` answers "not known" on a question that is not
    required. On Enter an invalid set stays open with its error under the list.
    questionary's own checkbox error sits in a bottom toolbar that prompt_toolkit
    draws only when the terminal answers cursor-position requests, so the error
    line is added here to show on every terminal.
    """

    def __init__(self, prompt: questionary.Question, question: Question) -> None:
        self.ic = _inquirer(prompt.application)
        self.question = question
        self.exclusive = {c.id for c in question.choices if c.exclusive} | {NOT_KNOWN}
        self.error = ""
        bindings = KeyBindings()
        bindings.add(" ", eager=True)(self.toggle)
        bindings.add("enter", eager=True)(self.submit)
        if is_numbered(question):
            for index in range(len(question.choices)):
                bindings.add(str(index + 1), eager=True)(self._tick_number(index))
        none = [c.id for c in question.choices if c.exclusive]
        if none:
            bindings.add("n", eager=True)(lambda event: self.none_of_these(event, none[0]))
        if not is_numbered(question):
            _type_ahead(bindings, self.ic, question, taken={"n"} if none else set())
        _not_known_key(bindings, question)
        add_bindings(prompt, bindings)
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

    def _tick_number(self, index: int) -> Callable[[KeyPressEvent], None]:
        def tick(event: KeyPressEvent) -> None:
            self.ic.pointed_at = index
            self.toggle(event)

        return tick

    def none_of_these(self, event: KeyPressEvent, none: str) -> None:
        self.ic.pointed_at = next(
            i for i, c in enumerate(self.ic.choices) if getattr(c, "value", None) == none
        )
        self.ic.selected_options = [none]
        self.submit(event)

    def submit(self, event: KeyPressEvent) -> None:
        values = [c.value for c in self.ic.get_selected_values()]
        self.error = _many_error(self.question, values)
        if not self.error:
            self.ic.is_answered = True
            event.app.exit(result=values)


def _build_yes_no(ask: Ask, width: int, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    parts = ["y/n"]
    if not question.required:
        parts.append("? not known")
    keep: object = NOT_KNOWN if ask.was_skipped else ask.current
    if keep is not None:
        parts.append(f"Enter keeps {show_answer(question, ask.current)}")
    prompt = questionary.confirm(
        prompt_message(question.text, width), instruction=ask_hint(ask, width, *parts), **io
    )
    extra = KeyBindings()

    # Enter alone keeps an earlier answer but never answers a question by default.
    @extra.add("enter", eager=True)
    def _keep(event: KeyPressEvent) -> None:
        if keep is not None:
            event.app.exit(result=keep)

    _not_known_key(extra, question)
    add_bindings(prompt, extra)
    return prompt


def _not_known_key(bindings: KeyBindings, question: Question) -> None:
    """`?` answers "not known" at once, on a question that is not required."""
    if not question.required:
        bindings.add("?", eager=True)(lambda event: event.app.exit(result=NOT_KNOWN))


def _optional_choice(ask: Ask) -> list[questionary.Choice | questionary.Separator]:
    if ask.question.required:
        return []
    return [questionary.Separator(), questionary.Choice(NOT_KNOWN_LABEL, value=NOT_KNOWN)]


def _choices(
    question: Question, width: int, prefix: int, checked: Sequence[str] = ()
) -> list[questionary.Choice]:
    """The bank's choices, numbered when the list is short, wrapped at word boundaries."""
    numbers = is_numbered(question)
    return [
        questionary.Choice(
            numbered(c.label, index if numbers else None, width, prefix),
            value=c.id,
            description=block(c.help, width, first=15, indent=4) if c.help else None,
            checked=c.id in checked,
        )
        for index, c in enumerate(question.choices, 1)
    ]


def _build_one_of(ask: Ask, width: int, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    default: object = NOT_KNOWN if ask.was_skipped else ask.current
    prompt = questionary.select(
        prompt_message(question.text, width),
        choices=[*_choices(question, width, POINTER), *_optional_choice(ask)],
        default=default,  # type: ignore[arg-type]
        instruction=ask_hint(ask, width, *pick_keys(ask, tick=False)),
        **io,
    )
    extra = KeyBindings()
    if is_numbered(question):
        for index, choice in enumerate(question.choices, 1):
            extra.add(str(index), eager=True)(_exit_with(choice.id))
    else:
        _type_ahead(extra, _inquirer(prompt.application), question, taken=set())
    _not_known_key(extra, question)
    add_bindings(prompt, extra)
    return prompt


def _type_ahead(
    bindings: KeyBindings, ic: InquirerControl, question: Question, taken: set[str]
) -> None:
    """In a list too long for number keys, a letter moves to the next choice starting so."""
    labels = [c.label.lower() for c in question.choices]
    letters = {label[0] for label in labels if label[:1].isalpha()} - taken
    for letter in sorted(letters):
        bindings.add(letter, eager=True)(_jump_to(ic, labels, letter))


def _jump_to(
    ic: InquirerControl, labels: list[str], letter: str
) -> Callable[[KeyPressEvent], None]:
    def jump(_event: KeyPressEvent) -> None:
        start = ic.pointed_at if isinstance(ic.pointed_at, int) else -1
        for step in range(1, len(labels) + 1):
            index = (start + step) % len(labels)
            if labels[index].startswith(letter):
                ic.pointed_at = index
                return

    return jump


def _exit_with(value: str) -> Callable[[KeyPressEvent], None]:
    return lambda event: event.app.exit(result=value)


def _build_many_of(ask: Ask, width: int, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    current = ask.current if isinstance(ask.current, tuple) else ()
    choices: list[questionary.Choice | questionary.Separator] = [
        *_choices(question, width, POINTER + TICK_BOX, current)
    ]
    for extra in _optional_choice(ask):
        if isinstance(extra, questionary.Choice):
            extra.checked = ask.was_skipped
        choices.append(extra)
    prompt = questionary.checkbox(
        prompt_message(question.text, width),
        choices=choices,
        instruction=ask_hint(ask, width, *pick_keys(ask, tick=True)),
        **io,
    )
    _Ticks(prompt, question)
    return prompt


def _many_error(question: Question, values: list[Any]) -> str:
    none = next((c for c in question.choices if c.exclusive), None)
    if not values and none is not None:
        # Like Enter on a yes/no question: "none of these" is ticked, never assumed.
        return f"nothing ticked: tick '{none.label}' if none apply"
    if NOT_KNOWN in values:
        return "'Not known' cannot be combined with other choices" if len(values) > 1 else ""
    return check_value(question, list(values))[1]


def _typed_default(ask: Ask) -> str:
    return "" if ask.current is None else str(ask.current)


def _build_integer(ask: Ask, width: int, io: dict[str, Any]) -> questionary.Question:
    """Typed digits; on a scale of single digits (a grade), one digit answers at once."""
    question = ask.question
    low, high = question.minimum, question.maximum
    grade = low is not None and high is not None and 0 <= low and high <= MAX_NUMBERED
    parts = [f"{low}-{high} answers at once"] if grade else []
    twice = not question.required and ask.current is None and not ask.was_skipped
    if not question.required:
        parts.append("empty Enter twice: not known" if twice else "empty: not known")
    prompt = questionary.text(
        prompt_message(f"{question.text} ({low}-{high})", width),
        default=_typed_default(ask),
        validate=lambda text: _typed_error(question, text) or True,
        instruction=ask_hint(ask, width, *parts, typed=True),
        **io,
    )
    extra = KeyBindings()
    if grade:
        for digit in range(low or 0, (high or 0) + 1):
            extra.add(str(digit), eager=True)(_exit_with(str(digit)))
    if twice:
        extra.add("enter", eager=True)(_EmptyTwice())
    add_bindings(prompt, extra)
    return prompt


class _EmptyTwice:
    """Enter on an empty number asks once more before it records "not known"."""

    MESSAGE = "Nothing typed: Enter again records Not known"

    def __init__(self) -> None:
        self.warned = False

    def __call__(self, event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if not buffer.text.strip() and not self.warned:
            self.warned = True
            buffer.validation_error = ValidationError(message=self.MESSAGE)
            return
        buffer.validate_and_handle()


def _build_text(ask: Ask, width: int, io: dict[str, Any]) -> questionary.Question:
    question = ask.question
    parts = [f"up to {question.max_length:,} characters"]
    if not question.required:
        parts.append("empty: not known")
    prompt = questionary.text(
        prompt_message(question.text, width),
        default=_typed_default(ask),
        validate=lambda text: _typed_error(question, text) or True,
        instruction=ask_hint(ask, width, *parts, typed=True),
        **io,
    )
    # Ctrl-C keeps what was typed: the loop saves it to the draft, then stops.
    extra = KeyBindings()
    extra.add("c-c", eager=True)(
        lambda event: event.app.exit(exception=Interrupted(event.app.current_buffer.text))
    )
    add_bindings(prompt, extra)
    return prompt


def _typed_error(question: Question, text: str) -> str:
    if not text.strip():
        return reply_error(question, None)
    return parse_text(question, _typed(question, text))[1]


def _typed(question: Question, text: str) -> str:
    return text if question.kind == "text" else text.strip()


def as_answer(question: Question, reply: Any) -> Answer | None:
    """A prompt's raw reply as a checked answer (None for an empty optional entry)."""
    if question.kind in {"integer", "text"}:
        text = str(reply)
        return parse_text(question, _typed(question, text))[0] if text.strip() else None
    if question.kind == "many_of":
        return check_value(question, list(reply))[0]
    return check_value(question, reply)[0]


FINDING_MARK = "! "  # before a review line whose Yes is a safety finding


def review_title(
    question: Question, value: Answer | None, width: int, finding: bool = False
) -> str:
    """The question and its answer, wrapped at word boundaries (never cut).

    A Yes that is a safety finding is led by `!` and said in capitals (YES).
    """
    answer = " ".join(show_answer(question, value).split())
    mark = FINDING_MARK if finding else ""
    text = f"{mark}{' '.join(question.text.split())}: {answer.upper() if finding else answer}"
    first, *more = wrap(text, width, indent=2)
    return "\n".join([first, *("  " + line for line in more)])


BUILDERS: dict[str, Callable[[Ask, int, dict[str, Any]], questionary.Question]] = {
    "yes_no": _build_yes_no,
    "one_of": _build_one_of,
    "many_of": _build_many_of,
    "integer": _build_integer,
    "text": _build_text,
}
