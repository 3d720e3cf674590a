"""The quick check of whole answer sets agrees with the answer-by-answer check.

`check_answers` takes a quick path when every answer is valid and applies; a
question given twice (with the same value) always takes the answer-by-answer
path, so comparing the two on the same answers compares the paths.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import consult
from consult.bank.model import KnowledgeBase, Question
from consult.engine.answers import applicability, check_answers, check_mapping
from consult.errors import InvalidAnswers, Source
from tests.areas import is_key, random_items

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 5, 200, 3.0, "", "x", "female", "none", [], ["none"],
    ["none", "scars"], ["scars", "scars"], ("scars",), "scars", {"a": 1}, "a\x01b", "line\nbreak",
]  # fmt: skip
WHERE = Source("answers.yaml", 3, 1)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return consult.load()


def valid_value(rng: random.Random, question: Question) -> Any:
    if question.kind == "yes_no":
        return rng.random() < 0.2
    if question.kind == "integer":
        assert question.minimum is not None and question.maximum is not None
        return rng.randint(question.minimum, question.maximum)
    if question.kind == "one_of":
        return rng.choice(question.choice_ids)
    if question.kind == "many_of":
        return rng.sample(question.choice_ids, 1)
    return rng.choice(["", "a note", "two\nlines"])


def answer_set(rng: random.Random, kb: KnowledgeBase) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    applies = applicability(kb, answers)
    for question in kb.questions:
        if applies(question.id) is not False and rng.random() < 0.9 and not is_key(kb, question):
            answers[question.id] = valid_value(rng, question)
    if rng.random() < 0.5:  # treatment areas, each with its own answers
        answers.update(random_items(rng, kb, valid_value))
    ids = [q.id for q in kb.questions]
    if rng.random() < 0.4:  # something odd: a bad value, an unknown or a switched-off question
        answers[rng.choice([*ids, "bogus"])] = rng.choice(ODD_VALUES)
    return answers


def both_paths(kb: KnowledgeBase, answers: dict[str, Any]) -> tuple[Any, Any]:
    triples = [(k, v, WHERE) for k, v in answers.items()]
    quick = check_answers(kb, triples)
    answers, warnings, problems = check_answers(kb, [*triples, triples[0]])
    # The repeated answer repeats its problem, if it has one.
    return quick, (answers, warnings, list(dict.fromkeys(problems)))


def test_paths_agree(kb: KnowledgeBase) -> None:
    rng = random.Random(5)
    for _ in range(3000):
        quick, full = both_paths(kb, answer_set(rng, kb))
        assert (list(quick[0].items()), quick[1], quick[2]) == (
            list(full[0].items()),
            full[1],
            full[2],
        )


def test_mapping_check_agrees_with_triples(kb: KnowledgeBase) -> None:
    rng = random.Random(9)
    for _ in range(1000):
        answers = answer_set(rng, kb)
        _quick, full = both_paths(kb, answers)
        try:
            checked = check_mapping(kb, answers)
        except InvalidAnswers as exc:
            assert full[2] and [p.message for p in exc.problems] == [p.message for p in full[2]]
        else:
            assert not full[2]
            assert list(checked.answers.items()) == list(full[0].items())
            assert len(checked.warnings) == len(full[1])
