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
from consult.bank.codes import AREA, CONSTRAINT, ENABLE_WHEN_EXPRESSION, UNIT, answer_system
from consult.bank.model import AllOf, AnyOf, Compare, KnowledgeBase, Not
from consult.errors import Source
from consult.fhir.enable import Scope, enable, fhirpath
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
    # Beyond enableWhen, each listed: the pattern stages (an `all` of two unknowns), the
    # question whose answer is read even when its `when` is false (FHIR allows no answer to
    # a disabled item, so the form asks it of everyone) and the conditions inside an area
    # (read on the area's view).
    notes = [line.split(":")[1].strip() for line in proc.stderr.splitlines()]
    assert notes == [
        "question 'norwood_stage'",
        "question 'ludwig_grade'",
        "question 'pregnant_or_breastfeeding'",
        "section 'areas'",
    ]
    pregnancy = by_link(json.loads(proc.stdout))["pregnant_or_breastfeeding"]
    assert "enableWhen" not in pregnancy and "extension" not in pregnancy


def test_every_question_is_an_item_in_its_sections_group(
    shipped: KnowledgeBase, resource: dict[str, Any]
) -> None:
    groups = resource["item"]
    expected = []
    for section in shipped.sections:
        expected += [f"section.{section.id}.every"] if section.key else []
        expected.append(f"section.{section.id}")
    assert [g["linkId"] for g in groups] == expected
    for group in groups:
        section = next(s for s in shipped.sections if group["linkId"].startswith(f"section.{s.id}"))
        assert group["type"] == "group"
        assert group["text"].startswith(section.title)
        if not section.key:
            assert [i["linkId"] for i in group["item"]] == list(section.questions)
    links = [i["linkId"] for i in walk(resource["item"])]
    assert len(links) == len(set(links))  # linkIds are unique
    items = by_link(resource)
    for question in shipped.questions:
        item = items.get(question.id) or items[AREA + question.id]
        assert item["text"] == question.text
        assert item.get("required", False) == (question.required and question.section != "areas")
        if question.kind == "text":
            assert item["type"] in ("string", "text")
            assert item["maxLength"] == question.max_length
        else:
            assert item["type"] == TYPES[question.kind]
        assert item.get("repeats", False) == (question.kind == "many_of")


def test_each_area_holds_every_question_asked_per_area(
    shipped: KnowledgeBase, resource: dict[str, Any]
) -> None:
    (areas,) = [g for g in resource["item"] if g["linkId"] == "section.areas"]
    assert areas["repeats"] is True
    inside = {i["linkId"] for i in walk(areas["item"]) if i["type"] != "display"}
    asked = {AREA + q for q in shipped.per_area}
    sections = {f"{AREA}section.{s}" for s in ("hair_loss", "scars", "burns", "wounds")}
    assert asked <= inside and sections <= inside
    assert inside - asked - sections == {
        f"{AREA}section.{s}"
        for s in ("acne_scarring", "facial_ageing", "stretch_marks", "cellulite", "localized_fat")
    }
    first = [i["linkId"] for i in areas["item"][:2]]
    assert first == [f"{AREA}site", f"{AREA}concerns"]
    # The site is asked in every area there is, and only there: a form with no area is whole.
    assert not any(i.get("required") for i in walk(areas["item"]))
    (constraint,) = [e for e in areas["extension"] if e["url"] == CONSTRAINT]
    parts = {
        e["url"]: next(v for k, v in e.items() if k.startswith("value"))
        for e in constraint["extension"]
    }
    assert parts["severity"] == "error"
    assert parts["expression"] == "item.where(linkId = 'area.site').answer.exists()"


def test_codes_named_in_the_bank(resource: dict[str, Any]) -> None:
    links = by_link(resource)
    loinc = "http://loinc.org"
    assert links["smoker"]["code"] == [
        {"system": loinc, "code": "72166-2", "display": "Tobacco smoking status"}
    ]
    assert links["pregnant_or_breastfeeding"]["code"][0]["code"] == "82810-3"
    assert links["age"]["code"][0]["code"] == "30525-0"
    sex = [o["valueCoding"] for o in links["sex"]["answerOption"]]
    assert [(c["system"], c["code"]) for c in sex] == [
        ("http://hl7.org/fhir/administrative-gender", "female"),
        ("http://hl7.org/fhir/administrative-gender", "male"),
        (
            answer_system("sex"),
            "other",
        ),  # "other or not stated": AdministrativeGender has no one code
    ]
    units = {
        link: [e["valueCoding"]["code"] for e in links[link]["extension"] if e["url"] == UNIT]
        for link in ("age", "hair_loss_months", "scar_age_months", "burn_tbsa_percent")
    }
    assert units == {
        "age": ["a"],
        "hair_loss_months": ["mo"],
        "scar_age_months": ["mo"],
        "burn_tbsa_percent": ["%"],
    }
    concerns = {
        o["valueCoding"]["code"]: o["valueCoding"] for o in links["concerns"]["answerOption"]
    }
    assert concerns["56317004"]["display"] == "Alopecia"
    assert concerns["wounds"]["system"] == answer_system("concerns")  # no verified code
    assert links["area.concerns"]["answerOption"] == links["concerns"]["answerOption"]


def test_choices_ranges_and_help(shipped: KnowledgeBase, resource: dict[str, Any]) -> None:
    links = by_link(resource)
    interest = links["cell_product_interest"]["answerOption"]
    exclusive = [o["valueCoding"]["code"] for o in interest if o.get("extension")]
    assert exclusive == ["none"]
    age = links["age"]
    assert [e["valueInteger"] for e in age["extension"][:2]] == [0, 120]
    pattern_help = links["hair_loss_pattern.help"]
    assert pattern_help["type"] == "display"
    assert "Pick the pattern seen at examination." in pattern_help["text"]
    assert "Telogen effluvium" in pattern_help["text"]  # a choice's help is kept too
    assert "area.hair_loss_pattern.help" in links
    for question in shipped.questions:
        helped = bool(question.help or any(c.help for c in question.choices))
        assert (f"{question.id}.help" in links or f"{AREA}{question.id}.help" in links) == helped


def test_an_item_is_enabled_while_its_condition_is_unknown(resource: dict[str, Any]) -> None:
    links = by_link(resource)
    hair = links["section.hair_loss"]
    assert hair["enableBehavior"] == "any"
    assert hair["enableWhen"] == [
        {
            "question": "concerns",
            "operator": "=",
            "answerCoding": {
                "system": "http://snomed.info/sct",
                "code": "56317004",
                "display": "Alopecia",
            },
        },
        {"question": "concerns", "operator": "exists", "answerBoolean": False},
    ]
    depth = links["burn_depth"]
    assert [(w["question"], w["operator"]) for w in depth["enableWhen"]] == [
        ("burn_status", "="),
        ("burn_status", "exists"),
    ]
    ageing = links["section.facial_ageing"]
    assert ageing["enableBehavior"] == "any"
    assert [w.get("answerCoding", {}).get("code") for w in ageing["enableWhen"]] == [
        "skin_laxity",
        "wrinkles",
        "skin_texture",
        None,
    ]
    # No question repeats its section's condition.
    assert "enableWhen" not in links["hair_loss_other_signs"]
    norwood = extension(links["norwood_stage"], ENABLE_WHEN_EXPRESSION)["valueExpression"]
    assert "enableWhen" not in links["norwood_stage"]
    assert norwood["expression"].endswith(").not()")


def _compare(question: str, op: str, value: object) -> Compare:
    return Compare(question=question, op=op, value=value, source=Source("t"))


def test_what_enable_when_cannot_say_becomes_fhirpath(shipped: KnowledgeBase) -> None:
    scope = Scope(shipped.by_id)
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
    form = enable(nested, scope)
    assert form.when == ()
    assert form.fields()["extension"][0]["url"] == ENABLE_WHEN_EXPRESSION
    age = "%resource.repeat(item).where(linkId = 'age').answer.value"
    assert form.expression.startswith(f"((({age}.exists()) and (({age}.where($this >= 18)")
    assert fhirpath(nested, scope) == (
        f"({age}.where($this >= 18).exists()) and "
        "((%resource.repeat(item).where(linkId = 'sex').answer.value.where(system = "
        "'http://hl7.org/fhir/administrative-gender' and code = 'female').exists()) or "
        "(%resource.repeat(item).where(linkId = 'smoker').answer.value"
        ".where($this = true).exists()))"
    )
    not_contains = Not(part=_compare("concerns", "contains", "scars"), source=Source("t"))
    assert enable(not_contains, scope).expression.endswith(".exists()).not()")


def test_fhirpath_text_literals_are_escaped(shipped: KnowledgeBase) -> None:
    path = fhirpath(_compare("notes", "equals", "it's a \\ 'test'\n"), Scope(shipped.by_id))
    assert path.endswith(".where($this = 'it\\'s a \\\\ \\'test\\'\\n').exists()")


def test_flat_forms_of_the_other_operators(shipped: KnowledgeBase) -> None:
    scope = Scope(shipped.by_id)
    unanswered = {"question": "age", "operator": "exists", "answerBoolean": False}
    below = enable(Not(part=_compare("age", "gte", 18), source=Source("t")), scope)
    assert list(below.when) == [
        {"question": "age", "operator": "<", "answerInteger": 18},
        unanswered,
    ]
    assert below.behavior == "any"
    answered = enable(Not(part=_compare("age", "answered", True), source=Source("t")), scope)
    assert answered.when == (unanswered,)
    # Between is an `all` that an unanswered alternative cannot join: FHIRPath.
    assert enable(_compare("age", "between", (18, 65)), scope).expression


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
    noted = [n for n in proc.stderr.splitlines() if n.startswith("note: question 'pack_years': ")]
    assert len(noted) == 1
    assert "enableWhenExpression" in noted[0]
    item = by_link(json.loads(proc.stdout))["pack_years"]
    assert extension(item, ENABLE_WHEN_EXPRESSION) is not None
    assert "enableWhen" not in item
    Questionnaire.model_validate_json(proc.stdout)
