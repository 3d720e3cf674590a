"""Conditions evaluated: three-valued truth, compiled closures, what a condition reads.

A condition parsed by `consult.bank.conditions` is compiled here into a closure
over the answers; nothing is ever evaluated from text. Evaluation is
three-valued (see `docs/knowledge-base.md`): a comparison on a missing answer is
unknown (None), or false when the question is switched off by its own `when`;
a quantifier over a repeating group reads the items in view.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import assert_never

from consult.bank.model import (
    AllOf,
    Answer,
    Answers,
    AnyOf,
    Applicability,
    Compare,
    Condition,
    Items,
    KnowledgeBase,
    Not,
    Quantified,
    Question,
    Test,
    Truth,
)
from consult.bank.operators import OPERATORS


def finding_questions(kb: KnowledgeBase) -> frozenset[str]:
    """The questions whose Yes is a finding.

    A rule that excludes, cautions or refers looks for it (`equals: true`, not
    under a `not`); a reassuring yes (consent, accepted risks) is not one.
    """
    return frozenset(
        c.question for r in kb.rules if r.exclude or r.caveat or r.refer for c in _yes_tests(r.when)
    )


def _yes_tests(condition: Condition) -> Iterator[Compare]:
    if isinstance(condition, Compare):
        if condition.op == "equals" and condition.value is True:
            yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for part in condition.parts:
            yield from _yes_tests(part)
    elif isinstance(condition, Quantified):
        yield from _yes_tests(condition.part)


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


def read_directly(condition: Condition) -> Iterator[str]:
    """The ids of the questions a condition reads outside any quantifier, with repeats."""
    match condition:
        case Compare():
            yield condition.question
        case AllOf() | AnyOf():
            for part in condition.parts:
                yield from read_directly(part)
        case Not():
            yield from read_directly(condition.part)
        case Quantified():
            return
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


def shape(condition: Condition) -> Hashable:
    """What a condition tests, apart from where it is written.

    Conditions of equal shape have equal truths on any answers: a test of one
    stands for the others.
    """
    match condition:
        case Compare():
            return ("compare", condition.question, condition.op, _value_shape(condition.value))
        case AllOf():
            return ("all", tuple(shape(p) for p in condition.parts))
        case AnyOf():
            return ("any", tuple(shape(p) for p in condition.parts))
        case Not():
            return ("not", shape(condition.part))
        case Quantified():
            c = condition
            return ("quantified", c.kind, c.group, c.key, c.reads, shape(c.part))
        case _:  # pragma: no cover
            assert_never(condition)


def _value_shape(value: object) -> Hashable:
    """A comparison's value with its type (1 and True are equal, but not alike)."""
    if isinstance(value, frozenset):
        return (frozenset, frozenset((type(v), v) for v in value))
    if isinstance(value, tuple):
        return (tuple, tuple((type(v), v) for v in value))
    return (type(value), value)


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
    return compile_condition(condition)(answers, _always_applies if applies is None else applies)


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


def items_in_view(answers: Answers, group: str) -> list[Answers]:
    """The answers of each item (treatment area) a quantifier looks at.

    An item's own answer wins over the same question answered once for every
    item (the flat form). The answers given for every item stand for an area
    listed nowhere: with no item at all, or when some concern is treated at a
    place not given (`Items.unplaced`); a question they leave open stays unknown.
    """
    found = answers.get(group)
    if not isinstance(found, Items):
        return [answers]
    every = found.every
    views: list[Answers] = [{**every, **it} for it in found.items] if every else [*found.items]
    return [*views, every] if found.unplaced or not views else views


def _compile_quantified(condition: Quantified) -> Test:
    part = compile_condition(condition.part)
    group = condition.group
    settles = condition.kind == "any"  # an `any` is settled by a true item, `all` by a false one

    def test(answers: Answers, applies: Applicability) -> Truth:
        result: Truth = not settles
        for view in items_in_view(answers, group):
            # A question of the item is switched off by that item's answers, not
            # by those of the area being decided (a keloid question is off on an
            # area treated for fat, and open on the area with the scar).
            within = applies.within(view) if isinstance(applies, _Applies) else applies
            value = part(view, within)
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


def _compile_compare(condition: Compare) -> Test:
    qid, expected = condition.question, condition.value
    operator = OPERATORS[condition.op]
    if operator.holds is None:  # answered / unanswered: the answer set as given
        present = condition.op == "answered"
        return lambda answers, _applies: (qid in answers) is present
    holds = operator.holds

    def test(answers: Answers, applies: Applicability) -> Truth:
        if qid in answers:
            return holds(answers[qid], expected)
        # A question switched off by its own `when` does not apply: false.
        return False if applies(qid) is False else None

    return test


def applicability(
    kb: KnowledgeBase, answers: Mapping[str, Answer], patient: Applicability | None = None
) -> Applicability:
    """A memoised `applies(question_id)` for one answer set (three-valued).

    A question applies when its `when` (and its section's) holds on the answers.
    For the answers of one treatment area (its view), `patient` says whether a
    question of the patient (not answered per area) applies: the area's own
    concerns do not switch those off.
    """
    return _Applies(kb.by_id, answers, patient)


class _Applies(dict[str, Truth]):
    """`applies(question_id)`, memoised: the mapping holds the questions worked out.

    Calling it reads the memo; a question not met yet is worked out once
    (`__missing__`) and kept. A class rather than a closure that calls itself:
    that closure is a reference cycle, left for the garbage collector once per
    answer set.
    """

    __slots__ = ("answers", "by_id", "patient")

    def __init__(
        self,
        by_id: Mapping[str, Question],
        answers: Mapping[str, Answer],
        patient: Applicability | None,
    ) -> None:
        self.by_id = by_id
        self.answers = answers
        self.patient = patient

    def within(self, view: Mapping[str, Answer]) -> _Applies:
        """The applicability inside one item (treatment area) of a quantifier.

        Its own questions follow its answers; the patient's questions are the
        patient's, whichever area is being decided.
        """
        return _Applies(self.by_id, view, self.patient if self.patient is not None else self)

    __call__ = dict.__getitem__

    def __bool__(self) -> bool:
        """Always true, as a function is, whatever it has worked out so far."""
        return True

    def __missing__(self, qid: str) -> Truth:
        question = self.by_id[qid]
        if self.patient is not None and not question.per_area:
            result = self.patient(qid)
        else:
            test = question.applies
            result = True if test is None else test(self.answers, self)
        self[qid] = result
        return result
