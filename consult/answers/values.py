"""One answer value checked against its question: the check every reader and prompt shares.

Answer files, the Python API, the batch fast path's messages and the intake's
prompts all check a value here, so what a prompt accepts and what a file may
contain cannot drift apart.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import partial
from typing import Any, TypeAlias

from consult.bank.model import Answer, Question, by_identity
from consult.bank.yamlsource import MAX_DIGITS, Node, Unreadable, describe, suggest


def check_value(question: Question, value: Any) -> tuple[Answer | None, str]:
    """Check one value for a question; return (normalised value, "") or (None, error)."""
    return value_check(question)(value)


ValueCheck: TypeAlias = Callable[[Any], tuple[Answer | None, str]]


def value_check(question: Question) -> ValueCheck:
    """The check of one question's values (`check_value`), made once per question.

    Answer sets are checked value by value against the same few questions: what a
    check needs of its question (its kind, range, choices) is looked up once here.
    """
    return by_identity(_CHECKS, question, _value_check)


_CHECKS: dict[int, tuple[Question, ValueCheck]] = {}


def _value_check(question: Question) -> ValueCheck:
    kind = question.kind
    if kind == "yes_no":
        return _check_yes_no
    if kind == "integer":
        return partial(_check_integer, question)
    if kind == "one_of":
        ids = _choices(question).ids

        def check_one(value: Any) -> tuple[Answer | None, str]:
            if isinstance(value, str) and value in ids:
                return value, ""
            return None, _expected_choice(question, value)

        return check_one
    if kind == "many_of":
        return partial(_check_many, question, _choices(question))
    return partial(check_text, question)


def _check_yes_no(value: Any) -> tuple[Answer | None, str]:
    if isinstance(value, bool):
        return value, ""
    return None, f"expected true or false; got {describe(value)}"


def parse_text(question: Question, text: str) -> tuple[Answer | None, str]:
    """Check typed text from a prompt; integers are parsed from their digits."""
    if question.kind == "integer":
        stripped = text.strip()
        digits = stripped.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_DIGITS:
            return None, f"expected a whole number from {_range(question)}; got {describe(text)}"
        return _check_integer(question, int(stripped))
    return check_value(question, text)


def _range(question: Question) -> str:
    return f"{question.minimum} to {question.maximum}"


def _check_integer(question: Question, value: Any) -> tuple[Answer | None, str]:
    if not isinstance(value, int) or isinstance(value, bool):
        return None, f"expected a whole number from {_range(question)}; got {describe(value)}"
    lo, hi = question.minimum, question.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return None, f"expected a whole number from {_range(question)}; got {value}"
    return value, ""


def _expected_choice(question: Question, value: Any) -> str:
    hint = suggest(value, question.choice_ids) if isinstance(value, str) else ""
    return f"expected one of {', '.join(question.choice_ids)}; got {describe(value)}{hint}"


def check_many(question: Question, value: Any) -> tuple[Answer | None, str]:
    """A `many_of` value: a list of the question's choices (an exclusive one alone)."""
    return _check_many(question, _choices(question), value)


def _check_many(question: Question, choices: _Choices, value: Any) -> tuple[Answer | None, str]:
    if not isinstance(value, (list, tuple)):  # a single word too: a list says what is meant
        one = isinstance(value, str) and value in choices.ids
        hint = f" (for one choice write [{value}])" if one else ""
        listed = ", ".join(question.choice_ids)
        return None, f"expected a list of {listed}; got {describe(value)}{hint}"
    ids = choices.ids
    for item in value:
        if not isinstance(item, str) or item not in ids:
            return None, _expected_choice(question, item)
    picked = set(value)
    if len(picked) != len(value):
        return None, "a choice is listed twice"
    if question.required and not picked:
        return None, "expected at least one choice"
    if len(picked) > 1:
        for choice_id in choices.exclusive:
            if choice_id in picked:
                return None, f"{choice_id!r} cannot be combined with other choices"
        order, rank = choices.order, choices.rank
        return tuple(order[number] for number in sorted(map(rank.__getitem__, picked))), ""
    return tuple(value), ""  # no choice or one: in the bank's order as it is


class _Choices:
    """A question's choice ids, ready for checking (built once per question)."""

    def __init__(self, question: Question) -> None:
        self.order = question.choice_ids
        self.ids = frozenset(self.order)
        self.rank = {c: number for number, c in enumerate(self.order)}
        self.exclusive = tuple(c.id for c in question.choices if c.exclusive)


_CHOICES: dict[int, tuple[Question, _Choices]] = {}


def _choices(question: Question) -> _Choices:
    return by_identity(_CHOICES, question, _Choices)


def check_text(question: Question, value: Any) -> tuple[Answer | None, str]:
    """A `text` value: within its length, with no control characters but tab and newline."""
    if not isinstance(value, str):
        return None, f"expected text; got {kind_of(value)}"  # a note is never quoted
    if len(value) > question.max_length:
        return None, f"text is {len(value):,} characters; at most {question.max_length:,}"
    if value.isprintable():  # no control characters at all: the common case
        return value, ""
    if value.replace("\n", "").replace("\t", "").isprintable():  # line breaks and tabs only
        return value, ""
    for char in value:
        if char not in "\n\t" and unicodedata.category(char) in {"Cc", "Cs"}:
            return None, f"text contains a control character (U+{ord(char):04X})"
    return value, ""


def kind_of(value: Any) -> str:
    """What a found value is, never the value itself: for a patient's reference or notes.

    A patient reference or a note may hold a name, a date of birth or an
    address; a message about it says what it is and how long, not what it says.
    """
    if isinstance(value, Node):
        value = value.plain()
    if isinstance(value, str):
        return f"a text of {len(value):,} characters"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float | Unreadable):
        return "a number"
    return describe(value)  # a mapping, a list, nothing: no content quoted
