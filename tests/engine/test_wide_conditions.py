"""Every condition `validate` accepts can be evaluated and exported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import consult
from consult.answers.check import check_mapping
from consult.bank.model import KnowledgeBase
from consult.engine.decide import evaluate
from consult.fhir.questionnaire import questionnaire

ROOT = Path(__file__).parent.parent.parent


def _bank(tmp_path: Path, *, rules: str = "", questions: str = "") -> KnowledgeBase:
    shutil.copytree(ROOT / "questions", tmp_path / "q")
    shutil.copytree(ROOT / "rules", tmp_path / "r")
    with (tmp_path / "r" / "20-safety.yaml").open("a") as out:
        out.write(rules)
    with (tmp_path / "q" / "99-notes.yaml").open("a") as out:
        out.write(questions)
    return consult.load(questions=tmp_path / "q", rules=tmp_path / "r")


@pytest.mark.parametrize("count", [199, 250, 1000])
def test_a_rule_with_a_wide_any_evaluates(tmp_path: Path, count: int) -> None:
    # A rule whose `any:` had 199 or more conditions passed validate, then every
    # evaluation ended in an internal error.
    parts = "".join(
        f"        - {{question: age, equals: {n % 120}}}\n"
        if n % 2
        else f"        - {{question: pregnant_or_breastfeeding, equals: {str(n % 4 == 0).lower()}}}\n"
        for n in range(count)
    )
    rule = (
        f"\n  - id: wide\n    when:\n      any:\n{parts}    caveat: [prp_scalp]\n    text: Wide.\n"
    )
    kb = _bank(tmp_path, rules=rule)
    for answers in ({"age": 30}, {"age": 120, "pregnant_or_breastfeeding": False}, {}):
        result = evaluate(kb, check_mapping(kb, answers))
        assert result.to_dict()["knowledge_base"]


def test_a_question_asked_when_any_area_holds(tmp_path: Path) -> None:
    # A question whose `when` used `any_area` passed validate, then
    # `consult fhir questionnaire` and every `consult evaluate` ended in an internal error.
    question = (
        "      - id: infection_note\n        text: Infection note\n        type: text\n"
        "        when: {any_area: {question: active_infection_at_site, equals: true}}\n"
    )
    kb = _bank(tmp_path, questions=question)
    assert evaluate(kb, check_mapping(kb, {"age": 30})).to_dict()
    assert questionnaire(kb).resource["resourceType"] == "Questionnaire"
