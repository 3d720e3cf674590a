"""`Result.to_json()` and the batch writer `result_json` write exactly what
`json.dumps(result.to_dict())` writes, compactly."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

import consult
from consult.bank.model import Answer, KnowledgeBase, Question
from consult.engine.answers import AnswerSet, applicability, check_mapping
from consult.output.resultjson import result_json
from tests.areas import is_key, random_items

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return consult.load()


def plain_json(result: Any) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, separators=(",", ":"))


def assert_same_json(kb: KnowledgeBase, answers: dict[str, Any] | AnswerSet) -> None:
    checked = answers if isinstance(answers, AnswerSet) else check_mapping(kb, answers)
    result = consult.evaluate(kb, checked)
    expected = plain_json(result)
    assert result.to_json() == expected
    assert result_json(kb, checked).decode() == expected


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios(kb: KnowledgeBase, path: Path) -> None:
    assert_same_json(kb, yaml.safe_load(path.read_text(encoding="utf-8"))["answers"])


def random_value(rng: random.Random, question: Question) -> Answer:
    if question.kind == "yes_no":
        return rng.random() < 0.3
    if question.kind == "integer":
        assert question.minimum is not None and question.maximum is not None
        return rng.randint(question.minimum, question.maximum)
    if question.kind == "one_of":
        return rng.choice(question.choice_ids)
    if question.kind == "many_of":
        plain = [c.id for c in question.choices if not c.exclusive]
        return tuple(rng.sample(plain, rng.randint(1, 2)))
    return rng.choice(["", 'Née Müller "quoted" \\ back\tslash', "line\nbreak", "☃"])


def random_answers(rng: random.Random, kb: KnowledgeBase, share: float = 0.85) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    applies = applicability(kb, answers)
    for question in kb.questions:
        if applies(question.id) is not False and rng.random() < share and not is_key(kb, question):
            answers[question.id] = random_value(rng, question)
    if rng.random() < 0.6:  # treatment areas, each with its own answers
        answers.update(random_items(rng, kb, random_value, share))  # type: ignore[arg-type]
    return answers


def test_random_answer_sets(kb: KnowledgeBase) -> None:
    rng = random.Random(7)
    for _ in range(500):
        assert_same_json(kb, random_answers(rng, kb))


def test_a_plain_mapping_gives_the_result_of_its_checked_answer_set(kb: KnowledgeBase) -> None:
    # A plain dict takes the generated checker; an AnswerSet was checked by the validator.
    rng = random.Random(9)
    for share in (0.85, 1.0) * 150:
        answers = random_answers(rng, kb, share)
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}
        expected = consult.evaluate(kb, check_mapping(kb, plain)).to_dict()
        assert consult.evaluate(kb, plain).to_dict() == expected


def test_random_complete_answer_sets(kb: KnowledgeBase) -> None:
    rng = random.Random(8)
    for _ in range(500):
        assert_same_json(kb, random_answers(rng, kb, share=1.0))


def test_warnings_and_unanswered_safety_screen(kb: KnowledgeBase) -> None:
    checked = check_mapping(kb, {"concerns": ["hair_loss"]})
    warned = AnswerSet(checked.answers, warnings=('a.yaml:3:1: "x" \\ ignored',))
    assert_same_json(kb, warned)
    assert json.loads(result_json(kb, warned))["warnings"] == ['a.yaml:3:1: "x" \\ ignored']
    assert json.loads(result_json(kb, checked))["unknown"]  # the screen was left unanswered


def test_repeated_calls_agree(kb: KnowledgeBase) -> None:
    # The batch writer keeps encoded parts of the bank and answers between calls:
    # they must not leak from one answer set into another.
    rng = random.Random(11)
    sets = [check_mapping(kb, random_answers(rng, kb)) for _ in range(50)]
    first = [result_json(kb, s) for s in sets]
    assert [result_json(kb, s) for s in reversed(sets)] == first[::-1]
    assert first == [consult.evaluate(kb, s).to_json().encode() for s in sets]
