"""Answers as a FHIR R4 QuestionnaireResponse.

The answered questions in bank order, inside the group of their section, each
answer as valueBoolean, valueInteger, valueString or valueCoding (the choice in
the standard terminology the bank names, else in the question's code system);
`questionnaire` is the canonical `url|version` of the bank's Questionnaire;
`status` is completed when every required question that applies is answered,
else in-progress; `authored` is when the answers were recorded (given by the
caller: the command reads the clock); the patient reference, if any, is the
subject's identifier. Each treatment area is one instance of the area group,
holding its per-area answers as the Questionnaire lays them out (`area.` linkIds);
site answers given once for every area go in `section.areas.every`.
`consult.answers.fhir` reads a response back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consult.answers.fhir import EVERY, RESOURCE_TYPE
from consult.bank.codes import AREA, PATIENT_REFS, canonical
from consult.bank.model import Answer, Items, KnowledgeBase, Section
from consult.bank.truth import applicability
from consult.fhir.enable import answer_value
from consult.fhir.questionnaire import area_layout

JSON = dict[str, Any]


def response(
    kb: KnowledgeBase, answers: Mapping[str, Answer], patient_ref: str = "", *, authored: str
) -> JSON:
    """Checked answers as a QuestionnaireResponse (JSON-ready data)."""
    resource: JSON = {
        "resourceType": RESOURCE_TYPE,
        "questionnaire": canonical(kb.version),
        "status": "completed" if _complete(kb, answers) else "in-progress",
    }
    if patient_ref:
        resource["subject"] = {"identifier": {"system": PATIENT_REFS, "value": patient_ref}}
    resource["authored"] = authored
    groups = []
    for section in kb.sections:
        if section.key:  # one group per treatment area
            groups += _areas(kb, section, answers)
            continue
        items = [_item(kb, qid, answers[qid]) for qid in section.questions if qid in answers]
        if items:
            groups.append({"linkId": f"section.{section.id}", "text": section.title, "item": items})
    resource["item"] = groups
    return resource


def _areas(kb: KnowledgeBase, group: Section, answers: Mapping[str, Answer]) -> list[JSON]:
    """The site screen given once for every area, then one group per area."""
    groups = []
    every = [_item(kb, q, answers[q]) for q in group.questions if q in answers]
    if every:
        text = f"{group.title}: every area"
        groups.append({"linkId": f"section.{group.id}{EVERY}", "text": text, "item": every})
    found = answers.get(group.id)
    for area in found.items if isinstance(found, Items) else ():
        items = _area_items(kb, group, area)
        groups.append({"linkId": f"section.{group.id}", "text": group.title, "item": items})
    return groups


def _area_items(kb: KnowledgeBase, group: Section, area: Mapping[str, Answer]) -> list[JSON]:
    items = []
    for part in area_layout(kb, group):
        if isinstance(part, Section):
            inner = [_item(kb, q, area[q], AREA) for q in part.questions if q in area]
            if inner:
                link = f"{AREA}section.{part.id}"
                items.append({"linkId": link, "text": part.title, "item": inner})
        elif part.id in area:
            items.append(_item(kb, part.id, area[part.id], AREA))
    return items


def _complete(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> bool:
    applies = applicability(kb, answers)
    return all(
        q.id in answers or applies(q.id) is False
        for q in kb.questions
        if q.required and q.section not in kb.groups  # an area always has its site
    )


def _item(kb: KnowledgeBase, question_id: str, value: Answer, prefix: str = "") -> JSON:
    question = kb.by_id[question_id]
    values = value if isinstance(value, tuple) else (value,)
    answer = []
    for one in values:
        fields = answer_value(question, one)
        answer.append({"value" + key.removeprefix("answer"): v for key, v in fields.items()})
    return {"linkId": prefix + question_id, "text": question.text, "answer": answer}
