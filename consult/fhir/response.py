"""Answers as a FHIR R4 QuestionnaireResponse, and a QuestionnaireResponse read back.

Written: the answered questions in bank order, inside the group of their section,
each answer as valueBoolean, valueInteger, valueString or valueCoding (the choice
in the question's code system); `questionnaire` is the canonical `url|version` of
the bank's Questionnaire; `status` is completed when every required question that
applies is answered, else in-progress; the patient reference, if any, is the
subject's identifier.

Read: the items are walked (groups and nested answers alike) into (question id,
value, place) triples and checked by the same validator as any answer file, so an
unknown linkId, a value of the wrong type or a choice outside the list is a
`file:line:col` error naming the question. A response to another Questionnaire,
a withdrawn one (`entered-in-error`) or a modifier extension is an error; a
response made with another version of the bank is a warning, as every answer is
checked against this bank's questions anyway.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from consult.bank.model import Answer, Items, KnowledgeBase, Section
from consult.bank.yamlsource import Node, describe
from consult.engine.answers import AnswerSet, applicability, check_answers, patient_ref_error
from consult.errors import InvalidAnswers, Problem, Source
from consult.fhir.codes import PATIENT_REFS, QUESTIONNAIRE_URL, answer_system, canonical
from consult.fhir.enable import answer_value

JSON = dict[str, Any]
RESOURCE_TYPE = "QuestionnaireResponse"
READ_STATUSES = ("completed", "in-progress", "amended", "stopped")
_VALUES = {
    "valueBoolean",
    "valueInteger",
    "valueDecimal",
    "valueString",
    "valueCoding",
    "valueDate",
    "valueDateTime",
    "valueTime",
    "valueUri",
    "valueAttachment",
    "valueQuantity",
    "valueReference",
}
_COMMON = {"id", "extension"}
_RESOURCE_KEYS = {
    "resourceType",
    "meta",
    "implicitRules",
    "language",
    "text",
    "contained",
    "modifierExtension",
    "identifier",
    "basedOn",
    "partOf",
    "questionnaire",
    "status",
    "subject",
    "encounter",
    "authored",
    "author",
    "source",
    "item",
} | _COMMON
EVERY = ".every"  # the group of answers given once for every treatment area
_ITEM_KEYS = {"linkId", "definition", "text", "answer", "item", "modifierExtension"} | _COMMON
_ANSWER_KEYS = {"item", "modifierExtension"} | _COMMON | _VALUES


# ---- written -------------------------------------------------------------------


def response(kb: KnowledgeBase, answers: Mapping[str, Answer], patient_ref: str = "") -> JSON:
    """Checked answers as a QuestionnaireResponse (JSON-ready data)."""
    resource: JSON = {
        "resourceType": RESOURCE_TYPE,
        "questionnaire": canonical(kb.version),
        "status": "completed" if _complete(kb, answers) else "in-progress",
    }
    if patient_ref:
        resource["subject"] = {"identifier": {"system": PATIENT_REFS, "value": patient_ref}}
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


def _areas(kb: KnowledgeBase, section: Section, answers: Mapping[str, Answer]) -> list[JSON]:
    """A repeating group: answers given once for every area, then one group per area."""
    groups = []
    every = [_item(kb, q, answers[q]) for q in section.questions if q in answers]
    if every:
        text = f"{section.title}: every area"
        groups.append({"linkId": f"section.{section.id}{EVERY}", "text": text, "item": every})
    found = answers.get(section.id)
    for area in found.items if isinstance(found, Items) else ():
        items = [_item(kb, q, v) for q, v in area.items()]
        groups.append({"linkId": f"section.{section.id}", "text": section.title, "item": items})
    return groups


def _complete(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> bool:
    applies = applicability(kb, answers)
    return all(
        q.id in answers or applies(q.id) is False
        for q in kb.questions
        if q.required and q.section not in kb.groups  # an area always has its site
    )


def _item(kb: KnowledgeBase, question_id: str, value: Answer) -> JSON:
    question = kb.by_id[question_id]
    values = value if isinstance(value, tuple) else (value,)
    answer = []
    for one in values:
        fields = answer_value(question, one)
        answer.append({"value" + key.removeprefix("answer"): v for key, v in fields.items()})
    return {"linkId": question_id, "text": question.text, "answer": answer}


# ---- read ------------------------------------------------------------------------


def read_response(kb: KnowledgeBase, root: Node, name: str) -> AnswerSet:
    """Check a QuestionnaireResponse as an answer set; raises InvalidAnswers."""
    reader = _Reader(kb)
    fields = reader.fields(root, _RESOURCE_KEYS, "resource")
    kind = fields["resourceType"]
    if kind.value != RESOURCE_TYPE:
        raise InvalidAnswers(
            [
                Problem(
                    kind.source, f"'resourceType': expected {RESOURCE_TYPE}; got {describe(kind)}"
                )
            ]
        )
    reader.header(fields, root.source)
    ref = reader.patient_ref(fields.get("subject"))
    triples = list(reader.items(fields.get("item")))
    checked, warnings, more = check_answers(kb, triples)
    problems = reader.problems + more
    if problems:
        raise InvalidAnswers(problems)
    sources = {qid: src for qid, _, src in triples}
    return AnswerSet(checked, ref, (*reader.warnings, *warnings), name, sources)


class _Reader:
    """Walks a response, collecting located problems and warnings."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def fail(self, where: Source, message: str) -> None:
        self.problems.append(Problem(where, message))

    def fields(self, node: Node, allowed: set[str], what: str) -> dict[str, Node]:
        if not node.is_mapping:
            self.fail(node.source, f"{what}: expected a JSON object; got {describe(node)}")
            return {}
        assert node.key_sources is not None
        for key, where in node.key_sources.items():
            if key == "modifierExtension":
                self.fail(where, f"{what}: a modifierExtension changes its meaning; not read")
            elif key not in allowed:
                self.fail(where, f"{what}: unknown element {key!r}")
        return dict(node.value)

    def header(self, fields: dict[str, Node], where: Source) -> None:
        status = fields.get("status")
        if status is None:
            self.fail(where, "'status': missing")
        elif status.value not in READ_STATUSES:
            expected = ", ".join(READ_STATUSES)
            self.fail(
                status.source, f"'status': expected one of {expected}; got {describe(status)}"
            )
        target = fields.get("questionnaire")
        if target is None:
            self.warnings.append(f"{where}: no 'questionnaire'; read as answers to this bank")
            return
        url, _, version = str(target.value).partition("|")
        if not isinstance(target.value, str) or url != QUESTIONNAIRE_URL:
            message = f"'questionnaire': expected {QUESTIONNAIRE_URL}; got {describe(target)}"
            self.fail(target.source, message)
        elif version != self.kb.version:
            self.warnings.append(
                f"{target.source}: 'questionnaire': made with bank version "
                f"{version or '(none)'}; checked against {self.kb.version}"
            )

    def patient_ref(self, subject: Node | None) -> str:
        if subject is None or not subject.is_mapping:
            return ""
        identifier = subject.value.get("identifier")
        if identifier is None or not identifier.is_mapping:
            return ""
        system, value = identifier.value.get("system"), identifier.value.get("value")
        if system is None or system.value != PATIENT_REFS or value is None:
            return ""
        error = patient_ref_error(value.value)
        if error:
            self.fail(value.source, error.replace("'patient.ref'", "'subject.identifier.value'"))
            return ""
        return str(value.value)

    def items(self, node: Node | None) -> Iterator[tuple[str, Any, Source]]:
        """(question id, value, place) for every answered item, depth first."""
        if node is None:
            return
        if not node.is_list:
            self.fail(node.source, f"'item': expected a list; got {describe(node)}")
            return
        areas: dict[str, tuple[list[dict[str, Any]], Source]] = {}
        for item in node.value:
            fields = self.fields(item, _ITEM_KEYS, "item")
            link = fields.get("linkId")
            if link is None or not isinstance(link.value, str):
                self.fail(item.source, "item: 'linkId' missing or not text")
                continue
            group = link.value.removeprefix("section.")
            if link.value.startswith("section.") and group in self.kb.groups:  # one area
                area = {q: v for q, v, _ in self.items(fields.get("item"))}
                areas.setdefault(group, ([], item.source))[0].append(area)
                continue
            yield from self._answers(link, fields.get("answer"))
            yield from self.items(fields.get("item"))
        for group, (found, where) in areas.items():
            yield group, found, where

    def _answers(self, link: Node, node: Node | None) -> Iterator[tuple[str, Any, Source]]:
        if node is None:
            return
        qid = link.value
        if not node.is_list:
            self.fail(node.source, f"{qid!r}: 'answer' must be a list; got {describe(node)}")
            return
        values: list[tuple[Any, Source]] = []
        for answer in node.value:
            fields = self.fields(answer, _ANSWER_KEYS, f"{qid!r}: answer")
            present = sorted(fields.keys() & _VALUES)
            if len(present) != 1:
                self.fail(answer.source, f"{qid!r}: an answer needs one value[x] element")
                continue
            values.append(self._value(qid, fields[present[0]], present[0] == "valueCoding"))
            yield from self.items(fields.get("item"))
        question = self.kb.by_id.get(qid)
        if not values:
            return
        if question is None:  # reported where the item names it
            yield qid, values[0][0], link.source
        elif question.kind == "many_of":
            yield qid, [value for value, _ in values], values[0][1]
        elif len(values) > 1:
            self.fail(values[1][1], f"{qid!r}: several answers to a question that takes one")
        else:
            yield qid, *values[0]

    def _value(self, question_id: str, node: Node, coding: bool) -> tuple[Any, Source]:
        """The answer's value and where it is: a coding's code, or the value itself."""
        if not coding or not node.is_mapping:
            return node.plain(), node.source
        system, code = node.value.get("system"), node.value.get("code")
        expected = answer_system(question_id)
        if system is not None and system.value != expected:
            message = f"{question_id!r}: code system {describe(system)}; expected {expected}"
            self.fail(system.source, message)
        if code is None:
            self.fail(node.source, f"{question_id!r}: valueCoding has no 'code'")
            return None, node.source
        return code.plain(), code.source
