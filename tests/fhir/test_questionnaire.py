"""The bank as a FHIR R4 Questionnaire: every question, typed, with its conditions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

import consult
from consult.bank.model import AllOf, AnyOf, Compare, KnowledgeBase, Not
from consult.errors import Source
from consult.fhir.codes import ENABLE_WHEN_EXPRESSION, answer_system
from consult.fhir.enable import enable, fhirpath
from consult.fhir.questionnaire import questionnaire

CONSULT = [sys.executable, "-m", "consult"]
DATA = Path(__file__).parent.parent / "data"
TYPES = {"yes_no": "boolean", "one_of": "choice", "many_of": "choice", "integer": "integer"}


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


@pytest.fixture(scope="module")
def resource(shipped: KnowledgeBase) -> dict[str, Any]:
    return questionnaire(shipped).resource


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk(item.get("item", []))


def by_link(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["linkId"]: item for item in walk(resource["item"])}


def extension(item: dict[str, Any], url: str) -> Any:
    return next((e for e in item.get("extension", []) if e["url"] == url), None)


def test_the_command_output_validates_as_an_r4_questionnaire(shipped: KnowledgeBase) -> None:
    proc = subprocess.run(
        [*CONSULT, "fhir", "questionnaire"], capture_output=True, text=True, check=True
    )
    model = Questionnaire.model_validate_json(proc.stdout)
    assert model.url == "http://consult.invalid/fhir/Questionnaire/consult"
    assert model.version == shipped.version
    assert model.status == "active"
    assert proc.stderr == ""  # the shipped bank is fully expressed by enableWhen


def test_every_question_is_an_item_in_its_sections_group(
    shipped: KnowledgeBase, resource: dict[str, Any]
) -> None:
    groups = resource["item"]
    assert [g["linkId"] for g in groups] == [f"section.{s.id}" for s in shipped.sections]
    for group, section in zip(groups, shipped.sections, strict=True):
        assert group["type"] == "group"
        assert group["text"] == section.title
        assert [i["linkId"] for i in group["item"]] == list(section.questions)
    links = by_link(resource)
    assert len(links) == len(set(links))  # linkIds are unique
    for question in shipped.questions:
        item = links[question.id]
        assert item["text"] == question.text
        assert item.get("required", False) == question.required
        if question.kind == "text":
            assert item["type"] in ("string", "text")
            assert item["maxLength"] == question.max_length
        else:
            assert item["type"] == TYPES[question.kind]
        assert item.get("repeats", False) == (question.kind == "many_of")


def test_choices_ranges_and_help(shipped: KnowledgeBase, resource: dict[str, Any]) -> None:
    links = by_link(resource)
    concerns = links["concerns"]
    codes = [o["valueCoding"]["code"] for o in concerns["answerOption"]]
    assert codes == list(shipped.question("concerns").choice_ids)
    assert {o["valueCoding"]["system"] for o in concerns["answerOption"]} == {
        answer_system("concerns")
    }
    interest = links["cell_product_interest"]["answerOption"]
    exclusive = [o["valueCoding"]["code"] for o in interest if o.get("extension")]
    assert exclusive == ["none"]
    age = links["age"]
    assert [e["valueInteger"] for e in age["extension"]] == [0, 120]
    pattern_help = links["hair_loss_pattern.help"]
    assert pattern_help["type"] == "display"
    assert "Pick the pattern seen at examination." in pattern_help["text"]
    assert "Telogen effluvium" in pattern_help["text"]  # a choice's help is kept too
    for question in shipped.questions:
        assert (f"{question.id}.help" in links) == bool(
            question.help or any(c.help for c in question.choices)
        )


def test_conditions_become_enable_when(resource: dict[str, Any]) -> None:
    links = by_link(resource)
    hair = links["section.hair_loss"]
    assert hair["enableWhen"] == [
        {
            "question": "concerns",
            "operator": "=",
            "answerCoding": {
                "system": answer_system("concerns"),
                "code": "hair_loss",
                "display": "Hair loss or thinning",
            },
        }
    ]
    norwood = links["norwood_stage"]
    assert norwood["enableBehavior"] == "all"
    assert [
        (w["question"], w["operator"], w["answerCoding"]["code"]) for w in norwood["enableWhen"]
    ] == [("hair_loss_pattern", "=", "patterned"), ("sex", "!=", "female")]
    ageing = links["section.facial_ageing"]
    assert ageing["enableBehavior"] == "any"
    assert [w["answerCoding"]["code"] for w in ageing["enableWhen"]] == [
        "skin_laxity",
        "wrinkles",
        "skin_texture",
    ]
    # No question repeats its section's condition.
    assert "enableWhen" not in links["hair_loss_other_signs"]


def _compare(question: str, op: str, value: object) -> Compare:
    return Compare(question=question, op=op, value=value, source=Source("t"))


def test_what_enable_when_cannot_say_becomes_fhirpath(shipped: KnowledgeBase) -> None:
    nested = AllOf(
        parts=(
            _compare("age", "gte", 18),
            AnyOf(
                parts=(_compare("sex", "equals", "female"), _compare("smoker", "equals", True)),
                source=Source("t"),
            ),
        ),
        source=Source("t"),
    )
    form = enable(nested, shipped.by_id)
    assert form.when == ()
    assert form.fields()["extension"][0]["url"] == ENABLE_WHEN_EXPRESSION
    assert form.expression == (
        "(%resource.repeat(item | answer.item).where(linkId = 'age').answer.value"
        ".where($this >= 18).exists()) and "
        "((%resource.repeat(item | answer.item).where(linkId = 'sex').answer.value.code"
        ".where($this = 'female').exists()) or "
        "(%resource.repeat(item | answer.item).where(linkId = 'smoker').answer.value"
        ".where($this = true).exists()))"
    )
    not_contains = Not(part=_compare("concerns", "contains", "scars"), source=Source("t"))
    assert enable(not_contains, shipped.by_id).expression.endswith(".exists()).not()")


def test_fhirpath_text_literals_are_escaped(shipped: KnowledgeBase) -> None:
    path = fhirpath(_compare("notes", "equals", "it's a \\ 'test'\n"), shipped.by_id)
    assert path.endswith(".where($this = 'it\\'s a \\\\ \\'test\\'\\n').exists()")


def test_flat_forms_of_the_other_operators(shipped: KnowledgeBase) -> None:
    between = enable(_compare("age", "between", (18, 65)), shipped.by_id)
    assert [(w["operator"], w["answerInteger"]) for w in between.when] == [(">=", 18), ("<=", 65)]
    assert between.behavior == "all"
    answered = enable(
        Not(part=_compare("age", "answered", True), source=Source("t")), shipped.by_id
    )
    assert answered.when == ({"question": "age", "operator": "exists", "answerBoolean": False},)
    below = enable(Not(part=_compare("age", "gte", 18), source=Source("t")), shipped.by_id)
    assert [(w["operator"], w["answerInteger"]) for w in below.when] == [("<", 18)]


def test_a_condition_beyond_enable_when_is_listed_on_stderr(tmp_path: Path) -> None:
    questions = tmp_path / "questions"
    shutil.copytree(DATA / "questions", questions)
    (questions / "30-more.yaml").write_text(
        """\
sections:
  - id: more
    title: More
    questions:
      - id: smoker
        text: Smoker?
        type: yes_no
      - id: pack_years
        text: Pack-years
        type: integer
        min: 0
        max: 200
        when:
          all:
            - {question: smoker, equals: true}
            - any: [{question: age, gte: 40}, {question: age, unanswered: true}]
""",
        encoding="utf-8",
    )
    bank = ["--questions", str(questions), "--rules", str(DATA / "rules")]
    proc = subprocess.run(
        [*CONSULT, "fhir", "questionnaire", *bank], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("note: question 'pack_years': ")
    assert "enableWhenExpression" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    item = by_link(json.loads(proc.stdout))["pack_years"]
    assert extension(item, ENABLE_WHEN_EXPRESSION) is not None
    assert "enableWhen" not in item
    Questionnaire.model_validate_json(proc.stdout)
