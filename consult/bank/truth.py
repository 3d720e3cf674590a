"""Conditions evaluated: three-valued truth, compiled closures, what a condition reads.

A condition parsed by `consult.bank.conditions` is compiled here into a closure
over the answers; nothing is ever evaluated from text. Evaluation is
three-valued (see `docs/knowledge-base.md`): a comparison on a missing answer is
unknown (None), or false when the question is switched off by its own `when`;
a quantifier over a repeating group reads the items in view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, assert_never

from consult.bank.model import (
    AllOf,
    Answers,
    AnyOf,
    Applicability,
    Compare,
    Condition,
    Items,
    Not,
    Quantified,
    Test,
    Truth,
)


def questions_of(condition: Condition) -> Iterator[str]:
    """The ids of the questions a condition reads, depth first, with repeats."""
    match condition:
        case Compare():
            yield condition.question
        case AllOf() | AnyOf():
            for part in condition.parts:
                yield from questions_of(part)
        case Not() | Quantified():
            yield from questions_of(condition.part)
        case _:  # pragma: no cover
            assert_never(condition)


def quantifiers_of(condition: Condition) -> Iterator[Quantified]:
    """The quantifiers over repeating groups in a condition, depth first."""
    match condition:
        case Quantified():
            yield condition
        case AllOf() | AnyOf():
            for part in condition.parts:
                yield from quantifiers_of(part)
        case Not():
            yield from quantifiers_of(condition.part)
        case Compare():
            return
        case _:  # pragma: no cover
            assert_never(condition)


def restrict(condition: Condition, sites: frozenset[str] | None) -> Condition:
    """The condition with every quantifier limited to the items of these key values."""
    match condition:
        case Quantified():
            return replace(condition, sites=sites)
        case AllOf():
            return replace(condition, parts=tuple(restrict(p, sites) for p in condition.parts))
        case AnyOf():
            return replace(condition, parts=tuple(restrict(p, sites) for p in condition.parts))
        case Not():
            return replace(condition, part=restrict(condition.part, sites))
        case Compare():
            return condition
        case _:  # pragma: no cover
            assert_never(condition)


def compile_condition(condition: Condition) -> Test:
    """Compile a checked condition into a three-valued test of an answer set."""
    match condition:
        case Compare():
            return _compile_compare(condition)
        case AllOf():
            return _compile_all(tuple(compile_condition(p) for p in condition.parts))
        case AnyOf():
            return _compile_any(tuple(compile_condition(p) for p in condition.parts))
        case Not():
            return _compile_not(compile_condition(condition.part))
        case Quantified():
            return _compile_quantified(condition)
        case _:  # pragma: no cover
            assert_never(condition)


def holds(condition: Condition, answers: Answers, applies: Applicability | None = None) -> Truth:
    """Evaluate a condition directly (compiles it first; for tests and one-offs)."""
    return compile_condition(condition)(answers, applies or _always_applies)


def _always_applies(_question: str) -> Truth:
    return True


def _compile_all(parts: tuple[Test, ...]) -> Test:
    def test(answers: Answers, applies: Applicability) -> Truth:
        result: Truth = True
        for part in parts:
            value = part(answers, applies)
            if value is False:
                return False
            if value is None:
                result = None
        return result

    return test


def _compile_any(parts: tuple[Test, ...]) -> Test:
    def test(answers: Answers, applies: Applicability) -> Truth:
        result: Truth = False
        for part in parts:
            value = part(answers, applies)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    return test


def items_in_view(
    answers: Answers,
    group: str,
    key: str,
    sites: frozenset[str] | None,
    reads: tuple[str, ...] = (),
) -> list[Answers]:
    """The answers of each item a quantifier looks at, over the answers given for all.

    An item's own answer wins over the same question answered once for the
    whole patient (the flat form), which applies to every area. With no item
    for these sites, the flat answers alone stand for them: a question they
    leave open stays unknown. `reads` are the questions the views are read for
    (those of the group): only these are taken over from the answers for all.
    """
    found = answers.get(group)
    if not isinstance(found, Items):
        return [answers]
    items = [it for it in found.items if sites is None or it.get(key) in sites]
    if not items:
        return [answers]
    every = {q: answers[q] for q in reads if q in answers}
    return [{**every, **it} for it in items] if every else items


def _compile_quantified(condition: Quantified) -> Test:
    part = compile_condition(condition.part)
    group, key, sites, reads = condition.group, condition.key, condition.sites, condition.reads
    settles = condition.kind == "any"  # an `any` is settled by a true item, `all` by a false one

    def test(answers: Answers, applies: Applicability) -> Truth:
        result: Truth = not settles
        for view in items_in_view(answers, group, key, sites, reads):
            value = part(view, applies)
            if value is settles:
                return settles
            if value is None:
                result = None
        return result

    return test


def _compile_not(part: Test) -> Test:
    def test(answers: Answers, applies: Applicability) -> Truth:
        value = part(answers, applies)
        return None if value is None else not value

    return test


def _predicate(op: str, expected: object) -> Callable[[object], bool]:
    if op == "equals":
        return lambda v: v == expected
    if op == "one_of":
        assert isinstance(expected, frozenset)
        return expected.__contains__
    if op == "contains":
        return lambda v: expected in v  # type: ignore[operator]
    if op == "contains_any":
        assert isinstance(expected, frozenset)
        return lambda v: not expected.isdisjoint(v)  # type: ignore[arg-type]
    if op == "contains_all":
        assert isinstance(expected, frozenset)
        return expected.issubset  # type: ignore[return-value]
    if op == "between":
        assert isinstance(expected, tuple)
        lo: int = expected[0]
        hi: int = expected[1]
        return lambda v: lo <= v <= hi  # type: ignore[operator]
    return _ORDER[op](expected)


def _gte(n: Any) -> Callable[[Any], bool]:
    return lambda v: v >= n


def _gt(n: Any) -> Callable[[Any], bool]:
    return lambda v: v > n


def _lte(n: Any) -> Callable[[Any], bool]:
    return lambda v: v <= n


def _lt(n: Any) -> Callable[[Any], bool]:
    return lambda v: v < n


_ORDER: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "gte": _gte,
    "gt": _gt,
    "lte": _lte,
    "lt": _lt,
}


def _compile_compare(condition: Compare) -> Test:
    qid = condition.question
    if condition.op == "answered":
        return lambda answers, _applies: qid in answers
    if condition.op == "unanswered":
        return lambda answers, _applies: qid not in answers
    if condition.op in _DIRECT:  # the most common tests, without a predicate call
        return _DIRECT[condition.op](qid, condition.value)
    predicate = _predicate(condition.op, condition.value)

    def test(answers: Answers, applies: Applicability) -> Truth:
        value = answers.get(qid, _MISSING)
        if value is _MISSING:
            # A question switched off by its own `when` does not apply: false.
            return False if applies(qid) is False else None
        return predicate(value)

    return test


def _compile_equals(qid: str, expected: object) -> Test:
    def test(answers: Answers, applies: Applicability) -> Truth:
        value = answers.get(qid, _MISSING)
        if value is _MISSING:
            return False if applies(qid) is False else None
        return value == expected

    return test


def _compile_contains(qid: str, expected: object) -> Test:
    def test(answers: Answers, applies: Applicability) -> Truth:
        value = answers.get(qid, _MISSING)
        if value is _MISSING:
            return False if applies(qid) is False else None
        return expected in value  # type: ignore[operator]

    return test


_DIRECT: dict[str, Callable[[str, object], Test]] = {
    "equals": _compile_equals,
    "contains": _compile_contains,
}
_MISSING = object()
