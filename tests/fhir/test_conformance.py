"""Responses conform to the Questionnaire as FHIR defines it, so a form keeps every answer.

consult asks a question while its condition is unknown; a form filler drops the
answers of an item its Questionnaire disables. Checked independently of consult's
own logic (`conformance`): every scenario's response, and answers given under a
condition that is not answered, in an area and outside, sit on enabled items.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import consult
from consult.answers.check import check_mapping
from consult.bank.model import KnowledgeBase
from consult.fhir.questionnaire import questionnaire
from consult.fhir.response import response
from tests.conftest import read_yaml
from tests.fhir.conformance import Check, walk

SCENARIOS = Path(__file__).parent.parent / "scenarios"
WHEN = "2026-11-02T09:30:00+01:00"
BASE: dict[str, Any] = {"consent": True, "age": 40}
# Answers under a condition that reads an unanswered question: consult asks and keeps them.
UNDER_UNKNOWN = {
    "burn details, fresh or healed unanswered": {
        "concerns": ["burns"],
        "burn_depth": "partial_thickness",
        "burn_tbsa_percent": 12,
        "burn_special_areas": ["hands"],
        "burn_special_mechanism": ["none"],
        "burn_complicating_factors": False,
    },
    "male-pattern stage, pattern unanswered": {"concerns": ["hair_loss"], "norwood_stage": 3},
    "pattern stage, sex unanswered": {
        "concerns": ["hair_loss"],
        "hair_loss_pattern": "patterned",
        "ludwig_grade": 2,
        "norwood_stage": 3,
    },
    "submental screen, fat area unanswered": {
        "concerns": ["localized_fat"],
        "dysphagia_history": False,
    },
    "in an area: burn details, fresh or healed unanswered": {
        "concerns": ["burns", "scars"],
        "areas": [
            {"site": "arms", "concerns": ["burns"], "burn_depth": "full_thickness"},
            {"site": "face", "concerns": ["scars"], "scar_type": "surgical"},
        ],
    },
    "in an area: the patient's fresh burn read there": {
        "concerns": ["burns"],
        "burn_status": "acute",
        "areas": [{"site": "hands", "burn_tbsa_percent": 3}],
    },
}


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


@pytest.fixture(scope="module")
def check(shipped: KnowledgeBase) -> Check:
    return Check(questionnaire(shipped).resource)


def answers_of(kb: KnowledgeBase, given: dict[str, Any]) -> dict[str, Any]:
    checked = check_mapping(kb, given)
    assert not checked.warnings, checked.warnings
    return checked.answers


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenarios_response_conforms(
    shipped: KnowledgeBase, check: Check, path: Path
) -> None:
    given = read_yaml(path.read_text(encoding="utf-8"))["answers"] or {}
    resource = response(shipped, check_mapping(shipped, given).answers, authored=WHEN)
    assert check.response(resource) == []


@pytest.mark.parametrize("case", list(UNDER_UNKNOWN), ids=str)
def test_answers_under_an_unanswered_condition_stay_on_enabled_items(
    shipped: KnowledgeBase, check: Check, case: str
) -> None:
    answers = answers_of(shipped, BASE | UNDER_UNKNOWN[case])
    resource = response(shipped, answers, authored=WHEN)
    kept = {i["linkId"] for i in walk(resource["item"]) if i.get("answer")}
    given = set(BASE | UNDER_UNKNOWN[case]) - {"areas"}
    assert given <= kept  # consult keeps every one
    assert check.response(resource) == []


def test_an_item_switched_off_is_disabled(shipped: KnowledgeBase, check: Check) -> None:
    """The other side: an answer consult would drop sits on a disabled item."""
    answers = answers_of(shipped, BASE | {"concerns": ["burns"], "burn_status": "healed"})
    resource = response(shipped, answers, authored=WHEN)
    (burns,) = [i for i in resource["item"] if i["linkId"] == "section.burns"]
    burns["item"].append(
        {"linkId": "burn_depth", "answer": [{"valueCoding": _option(check, "burn_depth", 0)}]}
    )
    assert check.response(resource) == [
        "section.burns/burn_depth: answered while the item is disabled"
    ]
    area = answers_of(
        shipped,
        BASE | {"concerns": ["burns"], "areas": [{"site": "arms", "burn_status": "healed"}]},
    )
    resource = response(shipped, area, authored=WHEN)
    (group,) = [i for i in resource["item"] if i["linkId"] == "section.areas"]
    (burns,) = [i for i in group["item"] if i["linkId"] == "area.section.burns"]
    burns["item"].append({"linkId": "area.burn_tbsa_percent", "answer": [{"valueInteger": 20}]})
    assert check.response(resource) == [
        "section.areas/area.section.burns/area.burn_tbsa_percent: answered while the item is disabled"
    ]


def _option(check: Check, link: str, number: int) -> dict[str, Any]:
    (item,) = [i for i in walk(check.questionnaire["item"]) if i["linkId"] == link]
    return dict(item["answerOption"][number]["valueCoding"])


def test_the_check_finds_each_kind_of_defect(shipped: KnowledgeBase, check: Check) -> None:
    answers = answers_of(shipped, BASE | {"sex": "male", "concerns": ["scars"], "smoker": True})
    good = response(shipped, answers, authored=WHEN)
    assert check.response(good) == []

    def broken(edit: Any) -> list[str]:
        resource = copy.deepcopy(good)
        edit({i["linkId"]: i for i in walk(resource["item"])}, resource)
        return check.response(resource)

    def unknown(items: dict[str, Any], _r: Any) -> None:
        items["smoker"]["linkId"] = "smokes"

    def wrong_type(items: dict[str, Any], _r: Any) -> None:
        items["age"]["answer"] = [{"valueString": "40"}]

    def not_an_option(items: dict[str, Any], _r: Any) -> None:
        items["sex"]["answer"] = [{"valueCoding": {"system": "http://x", "code": "female"}}]

    def twice(items: dict[str, Any], _r: Any) -> None:
        items["section.consent"]["item"].append(copy.deepcopy(items["age"]))

    def two_answers(items: dict[str, Any], _r: Any) -> None:
        items["age"]["answer"].append({"valueInteger": 41})

    def misplaced(items: dict[str, Any], resource: Any) -> None:
        resource["item"].append(copy.deepcopy(items["age"]))

    assert broken(unknown) == ["section.medical_history/smokes: no such item here"]
    assert broken(wrong_type) == [
        "section.consent/age: ['valueString'] where a integer item takes valueInteger"
    ]
    assert broken(not_an_option) == [
        "section.consent/sex: http://x|female is not one of its answerOptions"
    ]
    assert broken(twice) == ["section.consent/age: given twice"]
    assert broken(two_answers) == ["section.consent/age: 2 answers to an item that takes one"]
    assert broken(misplaced) == ["age: no such item here"]


def test_the_docs_say_what_a_form_keeps() -> None:
    text = (Path(__file__).parent.parent.parent / "docs" / "fhir.md").read_text(encoding="utf-8")
    assert "only changes which items a form shows" not in text
    assert "keeps every answer consult keeps" in " ".join(text.split())
