"""The generated all-rules function agrees with the per-condition closures.

The engine runs the rules through one generated function (`compile_rules`);
the closures of `compile_condition` are the reference semantics. Both are
checked on the truth tables and on thousands of random answer sets.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import consult
from consult.bank.codegen import compile_rules
from consult.bank.model import AllOf, AnyOf, Compare, Condition, KnowledgeBase, Not, Question
from consult.bank.truth import compile_condition
from consult.engine.answers import applicability, check_mapping
from consult.engine.decide import plan_of
from consult.errors import InvalidAnswers, Source
from tests.areas import is_key, random_items
from tests.bank.test_conditions import ANSWERS, LEAVES, const

S = Source("t.yaml", 1, 1)
FREE = [
    Question(id=q, text=q, kind="yes_no", section="s", source=S) for q in ("q", "x_t", "x_f", "x_u")
]
TRUTHS = (True, False, None)


def generated(condition: Condition, answers: dict[str, Any]) -> object:
    return compile_rules([condition], FREE)(answers)[0]


@pytest.mark.parametrize(("op", "value", "answer", "expected"), LEAVES)
def test_leaves(op: str, value: object, answer: object, expected: object) -> None:
    condition = Compare(question="q", op=op, value=value, source=S)
    assert generated(condition, {"q": answer}) is expected
    assert generated(condition, {}) is None


@pytest.mark.parametrize("a", TRUTHS)
@pytest.mark.parametrize("b", TRUTHS)
@pytest.mark.parametrize("c", TRUTHS)
def test_groups_match_the_closures(a: object, b: object, c: object) -> None:
    parts = (const(a), const(b), const(c))  # type: ignore[arg-type]
    for condition in (
        AllOf(parts=parts, source=S),
        AnyOf(parts=parts, source=S),
        Not(part=AnyOf(parts=(AllOf(parts=parts[:2], source=S), parts[2]), source=S), source=S),
    ):
        reference = compile_condition(condition)(ANSWERS, lambda _q: True)
        assert generated(condition, ANSWERS) is reference


def random_answers(kb: KnowledgeBase, rng: random.Random, skip: float = 0.35) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in kb.questions:
        if rng.random() < skip or is_key(kb, question):
            continue
        if question.kind == "yes_no":
            answers[question.id] = rng.random() < 0.5
        elif question.kind == "integer":
            assert question.minimum is not None and question.maximum is not None
            answers[question.id] = rng.randint(question.minimum, question.maximum)
        elif question.kind == "one_of":
            answers[question.id] = rng.choice(question.choice_ids)
        elif question.kind == "many_of":
            plain = [c.id for c in question.choices if not c.exclusive]
            answers[question.id] = rng.sample(plain, rng.randint(1, min(3, len(plain))))
        else:
            answers[question.id] = "note"
    if rng.random() < 0.6:  # treatment areas, each with its own answers
        answers.update(random_items(rng, kb, lambda r, _q: r.random() < 0.5, 1 - skip))
    return answers


@pytest.mark.parametrize("skip", [0.35, 0.05, 0.0])
@pytest.mark.parametrize("bank", ["shipped", "test"])
def test_random_answer_sets_agree(bank: str, skip: float, kb: KnowledgeBase) -> None:
    # Sets with nothing pending take the Boolean expressions, the others Kleene logic.
    knowledge = consult.load() if bank == "shipped" else kb
    run_all = compile_rules([r.when for r in knowledge.rules], knowledge.questions)
    closures = [compile_condition(r.when) for r in knowledge.rules]
    rng = random.Random(20261121)
    kinds = set()
    for _ in range(1500):
        answers = check_mapping(knowledge, random_answers(knowledge, rng, skip)).answers
        applies = applicability(knowledge, answers)
        expected = tuple(test(answers, applies) for test in closures)
        got = run_all(answers)
        assert [type(t) for t in got] == [type(t) for t in expected]
        assert got == expected
        kinds.add(None in expected)
    assert kinds == {False} if skip == 0 else True in kinds


def spoiled(rng: random.Random, answers: dict[str, Any]) -> dict[str, Any]:
    """Now and then a value the checker must refuse, a null, or an unknown question."""
    roll = rng.random()
    if roll < 0.1 and answers:
        answers[rng.choice(list(answers))] = rng.choice([7, "x", -1, 10_000, [1], True, 2.5])
    elif roll < 0.15:
        answers["no_such_question"] = True
    elif roll < 0.25 and answers:
        answers[rng.choice(list(answers))] = None
    return answers


@pytest.mark.parametrize("bank", ["shipped", "test"])
def test_the_fused_checker_agrees_with_the_validator_and_the_rules(
    bank: str, kb: KnowledgeBase
) -> None:
    knowledge = consult.load() if bank == "shipped" else kb
    plan = plan_of(knowledge)
    rng = random.Random(11)
    outcomes = set()
    for _ in range(3000):
        given = spoiled(rng, random_answers(knowledge, rng, rng.choice([0.0, 0.3])))
        fused = plan.check(given)
        try:
            reference = check_mapping(knowledge, given)
        except InvalidAnswers:
            assert fused is None
            outcomes.add("invalid")
            continue
        if reference.warnings:  # answers to switched-off questions: the validator says which
            assert fused is None
            outcomes.add("warning")
            continue
        assert fused is not None
        assert list(fused.answers.items()) == list(reference.answers.items())
        assert fused.truths is not None
        assert fused.truths[1] == plan.truths(reference.answers)
        outcomes.add("checked")
    assert outcomes == {"invalid", "warning", "checked"}
