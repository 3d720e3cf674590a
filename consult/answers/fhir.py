"""A FHIR R4 QuestionnaireResponse read as an answer set.

The items are walked (groups and nested answers alike) into (question id,
value, place) triples and checked by the same validator as any answer file (a
treatment area's group into the items of `areas`, its linkIds led by `area.`;
a choice's coding in the standard terminology the bank names, or in consult's
own code system for the question), so
an unknown linkId, a value of the wrong type or a choice outside the list is a
`file:line:col` error naming the question. A response to another
Questionnaire, a withdrawn one (`entered-in-error`) or a modifier extension is
an error; a response made with another version of the bank is a warning, as
every answer is checked against this bank's questions anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from consult.answers.check import AnswerSet, check_answers, patient_ref_error
from consult.answers.groups import Where, place, positioned
from consult.bank.codes import AREA, PATIENT_REFS, QUESTIONNAIRE_URL, answer_system
from consult.bank.model import KnowledgeBase, Question, choice_coding
from consult.bank.yamlsource import Node, describe
from consult.errors import InvalidAnswers, Problem, Source

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
    return AnswerSet(checked, ref, (*reader.warnings, *warnings), name)


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

    def items(
        self, node: Node | None, *, in_area: bool = False, seen: dict[str, Source] | None = None
    ) -> Iterator[tuple[str, Any, Where]]:
        """(question id, value, place) for every answered item, depth first.

        Inside a treatment area's group, linkIds are led by `area.`. `seen` holds
        where each question was answered in this scope (the response outside
        the areas, or one area), so a second answer is an error, never a choice.
        """
        if node is None:
            return
        if not node.is_list:
            self.fail(node.source, f"'item': expected a list; got {describe(node)}")
            return
        seen = {} if seen is None else seen
        areas: dict[str, tuple[list[Node], Source]] = {}
        for item in node.value:
            fields = self.fields(item, _ITEM_KEYS, "item")
            link = fields.get("linkId")
            if link is None or not isinstance(link.value, str):
                self.fail(item.source, "item: 'linkId' missing or not text")
                continue
            group = link.value.removeprefix("section.")
            if link.value.startswith("section.") and group in self.kb.groups:  # one area
                inside = self.items(fields.get("item"), in_area=True, seen={})
                areas.setdefault(group, ([], item.source))[0].append(_area(inside, item.source))
                continue
            qid = link.value.removeprefix(AREA) if in_area else link.value
            yield from self._answers(qid, link, fields.get("answer"), in_area, seen)
            yield from self.items(fields.get("item"), in_area=in_area, seen=seen)
        for group, (found, where) in areas.items():
            placed = Node(found, where)
            yield group, placed.plain(), placed

    def _answers(
        self, qid: str, link: Node, node: Node | None, in_area: bool, seen: dict[str, Source]
    ) -> Iterator[tuple[str, Any, Where]]:
        if node is None:
            return
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
            yield from self.items(fields.get("item"), in_area=in_area, seen=seen)
        if not values:
            return
        if qid in seen:
            self.fail(link.source, f"{qid!r}: answered again (first at {seen[qid]})")
            return
        seen[qid] = link.source
        yield from self._one_answer(qid, link, values)

    def _one_answer(
        self, qid: str, link: Node, values: list[tuple[Any, Source]]
    ) -> Iterator[tuple[str, Any, Where]]:
        question = self.kb.by_id.get(qid)
        if question is None:  # reported where the item names it
            yield qid, values[0][0], link.source
        elif question.kind == "many_of":
            yield qid, [value for value, _ in values], values[0][1]
        elif len(values) > 1:
            self.fail(values[1][1], f"{qid!r}: several answers to a question that takes one")
        else:
            yield qid, *values[0]

    def _value(self, question_id: str, node: Node, coding: bool) -> tuple[Any, Source]:
        """The answer's value and where it is: a coding's choice id, or the value itself."""
        if not coding or not node.is_mapping:
            return node.plain(), node.source
        system, code = node.value.get("system"), node.value.get("code")
        if code is None:
            self.fail(node.source, f"{question_id!r}: valueCoding has no 'code'")
            return None, node.source
        question = self.kb.by_id.get(question_id)
        if system is None or question is None:  # a bare code: the choice id
            return code.plain(), code.source
        choices = _codings(question)
        if system.value not in {s for s, _ in choices}:
            expected = " or ".join(sorted({s for s, _ in choices}))
            message = f"{question_id!r}: code system {describe(system)}; expected {expected}"
            self.fail(system.source, message)
            return None, node.source
        return choices.get((system.value, code.value), code.plain()), code.source


def _area(answers: Iterator[tuple[str, Any, Where]], where: Source) -> Node:
    """One treatment area's answers as a mapping node, each answer at its place."""
    values: dict[str, Node] = {}
    places: dict[str, Source] = {}
    for qid, value, at in answers:
        values[qid] = positioned(value, at)
        places[qid] = place(at)
    return Node(values, where, places)


def _codings(question: Question) -> dict[tuple[str, Any], str]:
    """(system, code) -> choice id: each choice's own coding, and consult's for every choice."""
    found = {(answer_system(question.id), c.id): c.id for c in question.choices}
    found.update({choice_coding(question, c)[:2]: c.id for c in question.choices})
    return found
