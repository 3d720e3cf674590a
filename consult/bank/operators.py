"""The comparison operators of the condition language, each defined once.

An operator says which question kinds it fits, how a bank file may write its
value (checked when the bank loads), the value it keeps, how `consult explain`
words it, and what it means on a given answer. The parser
(`consult.bank.conditions`), the evaluator (`consult.bank.truth`), the JSON
Schemas and the explanations all read this table; nothing else spells an
operator's meaning.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consult.bank.model import Question, QuestionKind
from consult.bank.yamlsource import describe, suggest

# A check of an operator's value in a bank file: "" when it fits, else why not.
ValueCheck = Callable[[Question, object], str]
ALL_KINDS: tuple[QuestionKind, ...] = ("yes_no", "one_of", "many_of", "integer", "text")


@dataclass(frozen=True, slots=True)
class Operator:
    """One comparison of a question's answer, as `{question: q, NAME: value}` writes it."""

    name: str
    kinds: tuple[QuestionKind, ...]
    words: str  # as `consult explain` shows it: `age >= 18`
    check: ValueCheck
    # (the answer given, the operator's value) -> whether the comparison holds;
    # None for `answered`/`unanswered`, which test whether there is an answer.
    holds: Callable[[Any, Any], bool] | None
    keep: Callable[[Any], Any] = lambda value: value  # the value as kept: sets, pairs

    @property
    def tests_presence(self) -> bool:
        """Whether the operator tests the presence of an answer, not its value."""
        return self.holds is None


def _check_flag(_question: Question, value: object) -> str:
    return "" if value is True else f"expected true, got {describe(value)}"


def _check_single(question: Question, value: object) -> str:
    if question.kind == "yes_no":
        return "" if isinstance(value, bool) else f"expected true or false, got {describe(value)}"
    if question.kind == "integer":
        return _check_int(question, value)
    if question.kind == "text":
        return "" if isinstance(value, str) else f"expected text, got {describe(value)}"
    return _check_choice(question, value)


def _check_choice(question: Question, value: object) -> str:
    ids = question.choice_ids
    if isinstance(value, str) and value in ids:
        return ""
    hint = suggest(value, ids) if isinstance(value, str) else ""
    return f"expected one of {', '.join(ids)}; got {describe(value)}{hint}"


def _check_int(question: Question, value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return f"expected a whole number, got {describe(value)}"
    lo, hi = question.minimum, question.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return f"{value} is outside the question's range {lo}-{hi}"
    return ""


def _check_list(question: Question, value: object) -> str:
    if not isinstance(value, list) or not value:
        return f"expected a non-empty list, got {describe(value)}"
    for item in value:
        error = _check_single(question, item)
        if error:
            return error
    return ""


def _check_between(question: Question, value: object) -> str:
    if not isinstance(value, list) or len(value) != 2:
        return f"expected a list [low, high], got {describe(value)}"
    error = _check_int(question, value[0]) or _check_int(question, value[1])
    if error:
        return error
    if value[0] > value[1]:
        return f"low {value[0]} is above high {value[1]}"
    return ""


def _between(answer: Any, bounds: tuple[int, int]) -> bool:
    return bool(bounds[0] <= answer <= bounds[1])


_ORDERED: tuple[QuestionKind, ...] = ("integer",)
_LISTED: tuple[QuestionKind, ...] = ("many_of",)

OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator(
            name="equals",
            kinds=("yes_no", "one_of", "integer", "text"),
            words="=",
            check=_check_single,
            holds=operator.eq,
        ),
        Operator(
            name="one_of",
            kinds=("one_of", "integer"),
            words="is one of",
            check=_check_list,
            holds=lambda answer, values: answer in values,
            keep=frozenset,
        ),
        Operator(
            name="contains",
            kinds=_LISTED,
            words="includes",
            check=_check_choice,
            holds=operator.contains,  # the value in the answer
        ),
        Operator(
            name="contains_any",
            kinds=_LISTED,
            words="includes any of",
            check=_check_list,
            holds=lambda answer, values: not values.isdisjoint(answer),
            keep=frozenset,
        ),
        Operator(
            name="contains_all",
            kinds=_LISTED,
            words="includes all of",
            check=_check_list,
            holds=lambda answer, values: bool(values.issubset(answer)),
            keep=frozenset,
        ),
        Operator("gte", _ORDERED, ">=", _check_int, operator.ge),
        Operator("gt", _ORDERED, ">", _check_int, operator.gt),
        Operator("lte", _ORDERED, "<=", _check_int, operator.le),
        Operator("lt", _ORDERED, "<", _check_int, operator.lt),
        Operator(
            name="between",
            kinds=_ORDERED,
            words="between",
            check=_check_between,
            holds=_between,
            keep=tuple,
        ),
        Operator("answered", ALL_KINDS, "is answered", _check_flag, None),
        Operator("unanswered", ALL_KINDS, "is unanswered", _check_flag, None),
    )
}
# Symbols a bank file may write instead of the names.
ALIASES = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}
