"""A QuestionnaireResponse read by `consult evaluate`: located errors, warnings, hostile text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

import consult
from consult.bank.codes import answer_system, canonical
from consult.bank.model import KnowledgeBase
from consult.batch.inputs import Item, read_item
from consult.errors import InvalidAnswers
from consult.fhir.response import response

CONSULT = [sys.executable, "-m", "consult"]


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def qr(kb: KnowledgeBase, *items: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": canonical(kb.version),
        "status": "completed",
        "item": list(items),
        **top,
    }


def answer(link: str, **value: Any) -> dict[str, Any]:
    return {"linkId": link, "answer": [value]}


def problems(kb: KnowledgeBase, doc: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    with pytest.raises(InvalidAnswers) as caught:
        read_item(kb, Item("r.json", path=str(path)))
    return [str(p) for p in caught.value.problems]


def line_of(doc: dict[str, Any], needle: str) -> int:
    lines = json.dumps(doc, indent=1).splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_an_unknown_link_id_is_located(shipped: KnowledgeBase, tmp_path: Path) -> None:
    doc = qr(shipped, answer("age", valueInteger=40), answer("agee", valueInteger=3))
    found = problems(shipped, doc, tmp_path)
    assert len(found) == 1
    line = line_of(doc, '"linkId": "agee"')
    assert found[0].startswith(f"r.json:{line}:")
    assert found[0].endswith("unknown question 'agee' (did you mean 'age'?)")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (answer("age", valueString="forty"), "'age': expected a whole number"),
        (answer("age", valueInteger=400), "'age': expected a whole number from 0 to 120; got 400"),
        (
            answer("smoker", valueCoding={"code": "yes"}),
            "'smoker': expected true or false; got \"yes\"",
        ),
        (
            answer("sex", valueCoding={"system": answer_system("sex"), "code": "robot"}),
            "'sex': expected one of female, male, other",
        ),
        (
            answer("sex", valueCoding={"system": "http://loinc.org", "code": "male"}),
            "'sex': code system \"http://loinc.org\"",
        ),
        (
            {"linkId": "age", "answer": [{"valueInteger": 1}, {"valueInteger": 2}]},
            "'age': several answers to a question that takes one",
        ),
        ({"linkId": "age", "answer": [{}]}, "'age': an answer needs one value[x] element"),
        ({"linkId": "age", "colour": "red"}, "item: unknown element 'colour'"),
    ],
)
def test_a_wrong_value_is_a_located_error(
    shipped: KnowledgeBase, tmp_path: Path, item: dict[str, Any], message: str
) -> None:
    found = problems(shipped, qr(shipped, item), tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith("r.json:")
    assert message in found[0]


def test_another_questionnaire_or_a_withdrawn_response_is_an_error(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    doc = qr(shipped, questionnaire="http://example.org/Questionnaire/phq9|1")
    assert "'questionnaire': expected http://consult.invalid" in problems(shipped, doc, tmp_path)[0]
    doc = qr(shipped, status="entered-in-error")
    assert "'status': expected one of completed" in problems(shipped, doc, tmp_path)[0]
    doc = qr(shipped, modifierExtension=[{"url": "http://x", "valueBoolean": True}])
    assert "modifierExtension" in problems(shipped, doc, tmp_path)[0]
    doc = qr(shipped, resourceType="Questionnaire")
    assert "expected QuestionnaireResponse" in problems(shipped, doc, tmp_path)[0]


def test_another_bank_version_is_a_warning(shipped: KnowledgeBase, tmp_path: Path) -> None:
    doc = qr(shipped, answer("age", valueInteger=40))
    doc["questionnaire"] = canonical("2020.1.0+00000000")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = subprocess.run(
        [*CONSULT, "evaluate", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "made with bank version 2020.1.0+00000000; checked against" in proc.stderr
    assert "made with bank version" in json.loads(proc.stdout)["warnings"][0]


def test_a_bad_response_exits_2_with_one_line_per_problem(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    doc = qr(shipped, answer("age", valueString="x"), answer("nope", valueBoolean=True))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = subprocess.run(
        [*CONSULT, "evaluate", "bad.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("bad.json:1:") for line in lines)


HOSTILE = (
    '"}]}, {"linkId": "pregnant_or_breastfeeding", "answer": [{"valueBoolean": false}]}'
    " <script>alert(1)</script> ]]> %resource.item.where(true) '; -- \u202e\n# heading"
)


def test_hostile_text_in_answers_stays_data(shipped: KnowledgeBase) -> None:
    answers = {
        "consent": True,
        "age": 30,
        "sex": "female",
        "concerns": ["scars"],
        "notes": HOSTILE,
    }
    checked = read_item(
        shipped, Item("a", data=json.dumps({"consult": 1, "answers": answers}).encode())
    )
    resource = response(shipped, checked.answers, authored="2026-11-02")
    text = json.dumps(resource)
    QuestionnaireResponse.model_validate_json(text)
    links = [i["linkId"] for g in resource["item"] for i in g["item"]]
    assert links == ["consent", "age", "sex", "concerns", "notes"]
    back = read_item(shipped, Item("r.json", data=text.encode()))
    assert back.answers == checked.answers
    assert back.answers["notes"] == HOSTILE
    assert "pregnant_or_breastfeeding" not in back.answers


def test_stdin_and_jsonl_responses_are_read_and_located(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    good = json.dumps(qr(shipped, answer("age", valueInteger=40)))
    proc = subprocess.run(
        [*CONSULT, "evaluate", "-", "--format", "json"],
        input=good,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["knowledge_base"]["version"] == shipped.version
    bad = json.dumps(qr(shipped, answer("age", valueString="forty")))
    (tmp_path / "sets.jsonl").write_text(f"{good}\n{bad}\n", encoding="utf-8")
    proc = subprocess.run(
        [*CONSULT, "evaluate", "--input-format", "jsonl", "sets.jsonl", "--format", "jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    column = bad.index('"forty"') + 1
    assert proc.stderr.splitlines()[0] == (
        f"sets.jsonl:2:{column}: 'age': expected a whole number from 0 to 120; got \"forty\""
    )
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "result" in records[0]
    assert "error" in records[1]


def test_a_choice_is_read_in_its_standard_code_and_in_consults(shipped: KnowledgeBase) -> None:
    gender = {"system": "http://hl7.org/fhir/administrative-gender", "code": "female"}
    own = {"system": "http://consult.invalid/fhir/CodeSystem/sex", "code": "female"}
    for coding in (gender, own):
        doc = qr(shipped, answer("sex", valueCoding=coding))
        checked = read_item(shipped, Item("r.json", data=json.dumps(doc).encode()))
        assert checked.answers["sex"] == "female"


def test_an_areas_items_are_read_by_their_area_linkids(shipped: KnowledgeBase) -> None:
    site = {"system": "http://snomed.info/sct", "code": "73897004"}
    area = {
        "linkId": "section.areas",
        "item": [
            answer("area.site", valueCoding=site),
            answer("area.active_infection_at_site", valueBoolean=True),
        ],
    }
    doc = qr(shipped, answer("concerns", valueCoding={"code": "scars"}), area)
    checked = read_item(shipped, Item("r.json", data=json.dumps(doc).encode()))
    (face,) = checked.answers["areas"].items  # type: ignore[union-attr]
    assert dict(face) == {"site": "face", "active_infection_at_site": True}


FACE = {"system": "http://snomed.info/sct", "code": "73897004"}


def _area(*items: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": "section.areas", "item": list(items)}


def _pregnant(value: bool) -> dict[str, Any]:
    return answer("pregnant_or_breastfeeding", valueBoolean=value)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param(
            [{"linkId": "section.medical", "item": [_pregnant(True)]}, _pregnant(False)],
            "'pregnant_or_breastfeeding': answered again",
            id="in-a-section-then-alone",
        ),
        pytest.param(
            [answer("age", valueInteger=30), answer("age", valueInteger=31)],
            "'age': answered again",
            id="age",
        ),
        pytest.param(
            [
                answer("concerns", valueCoding={"code": "scars"}),
                answer("concerns", valueCoding={"code": "hair_loss"}),
            ],
            "'concerns': answered again",
            id="concerns",
        ),
    ],
)
def test_a_question_answered_twice_is_one_located_error(
    shipped: KnowledgeBase,
    tmp_path: Path,
    items: list[dict[str, Any]],
    message: str,
) -> None:
    # The last answer won silently: "not pregnant" offered three PRP procedures.
    doc = qr(shipped, *items)
    text = json.dumps(doc, indent=1).splitlines()
    links = [
        n for n, line in enumerate(text, 1) if '"linkId": "' + message[1:].split("'")[0] in line
    ]
    (found,) = problems(shipped, doc, tmp_path)
    assert re.fullmatch(
        rf"r\.json:{links[1]}:\d+: {message} \(first at r\.json:{links[0]}:\d+\)", found
    )


def test_an_area_answered_twice_inside_its_group_is_an_error(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    infection = "area.active_infection_at_site"
    area = _area(
        answer("area.site", valueCoding=FACE),
        answer(infection, valueBoolean=True),
        answer(infection, valueBoolean=False),
    )
    doc = qr(shipped, answer("concerns", valueCoding={"code": "scars"}), area)
    (found,) = problems(shipped, doc, tmp_path)
    assert "'active_infection_at_site': answered again (first at r.json:" in found


def test_two_sites_in_one_area_group_are_an_error(shipped: KnowledgeBase, tmp_path: Path) -> None:
    scalp = {"system": "http://snomed.info/sct", "code": "43067004"}
    area = _area(answer("area.site", valueCoding=FACE), answer("area.site", valueCoding=scalp))
    doc = qr(shipped, answer("concerns", valueCoding={"code": "scars"}), area)
    (found,) = problems(shipped, doc, tmp_path)
    assert "'site': answered again (first at r.json:" in found


def test_an_area_given_twice_is_located_at_its_second_site(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    doc = qr(
        shipped,
        answer("concerns", valueCoding={"code": "scars"}),
        _area(answer("area.site", valueCoding=FACE)),
        _area(answer("area.site", valueCoding=FACE)),
    )
    (found,) = problems(shipped, doc, tmp_path)
    sites = [
        n for n, line in enumerate(json.dumps(doc, indent=1).splitlines(), 1) if "73897004" in line
    ]
    assert found.startswith(f"r.json:{sites[1]}:")
    assert f"'areas[2].site': 'face' is given twice (first at r.json:{sites[0]}:" in found
