"""The question bank as one FHIR R4 Questionnaire.

Each section becomes a group (linkId `section.<id>`) carrying the section's `when`;
each question an item whose linkId is the question id, carrying its own `when`.
Types: yes_no -> boolean, one_of -> choice, many_of -> choice with `repeats`,
integer -> integer with the minValue/maxValue extensions, text -> string (or text
when longer than 200 characters) with `maxLength`. Choices are answerOption codings
in a code system per question, an exclusive choice ("none of these") carries the
optionExclusive extension, and the help texts (the question's and its choices')
become a display child item shown as help (linkId `<id>.help`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consult.bank.model import AllOf, Condition, KnowledgeBase, Question, Section
from consult.fhir.codes import (
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    QUESTIONNAIRE_URL,
    answer_system,
)
from consult.fhir.enable import enable

JSON = dict[str, Any]
_TYPES = {"yes_no": "boolean", "one_of": "choice", "many_of": "choice", "integer": "integer"}
# Free text up to this length is a one-line `string`; longer is a multi-line `text`.
STRING_MAX = 200
DISCLAIMER = (
    "Decision support only, not medical advice and not a prescription: the answers feed a "
    "rule engine that lists candidate procedures, exclusions and referrals; the clinician "
    "examines the patient and decides."
)


@dataclass(frozen=True, slots=True)
class Export:
    """The Questionnaire, and the notes on what FHIR says less exactly than the bank."""

    resource: JSON
    notes: tuple[str, ...]


def questionnaire(kb: KnowledgeBase) -> Export:
    """The bank as a Questionnaire resource (JSON-ready data)."""
    notes: list[str] = []
    groups = [_group(kb, section, notes) for section in kb.sections]
    resource: JSON = {
        "resourceType": "Questionnaire",
        "id": "consult",
        "url": QUESTIONNAIRE_URL,
        "version": kb.version,
        "name": "ConsultRegenerativeAesthetics",
        "title": "Consultation questionnaire: regenerative aesthetic medicine",
        "status": "active",
        "subjectType": ["Patient"],
        "description": DISCLAIMER,
        "item": groups,
    }
    return Export(resource, tuple(notes))


def _group(kb: KnowledgeBase, section: Section, notes: list[str]) -> JSON:
    # A section that repeats (say, one instance per treatment area) is a group with
    # `repeats: true`; the answers of each instance then come back as repeated groups.
    item: JSON = {"linkId": f"section.{section.id}", "text": section.title, "type": "group"}
    if section.key:
        item["repeats"] = True
    if section.when is not None:
        _add_condition(item, section.when, kb.by_id, f"section {section.id!r}", notes)
    item["item"] = [_question(kb, kb.by_id[qid], section, notes) for qid in section.questions]
    return item


def _question(kb: KnowledgeBase, question: Question, section: Section, notes: list[str]) -> JSON:
    item: JSON = {"linkId": question.id, "text": question.text, "type": _type(question)}
    if question.required:
        item["required"] = True
    if question.kind == "many_of":
        item["repeats"] = True
    if question.kind == "integer":
        item["extension"] = _range(question)
    if question.kind == "text":
        item["maxLength"] = question.max_length
    if question.choices:
        item["answerOption"] = [_option(question, c.id) for c in question.choices]
    own = own_condition(question, section)
    if own is not None:
        _add_condition(item, own, kb.by_id, f"question {question.id!r}", notes)
    help_text = help_of(question)
    if help_text:
        item["item"] = [_help(question.id, help_text)]
    return item


def own_condition(question: Question, section: Section) -> Condition | None:
    """The question's own `when`, without the section's (which its group carries)."""
    when = question.when
    if section.when is None or when is None:
        return when
    if when is section.when:
        return None
    if isinstance(when, AllOf) and len(when.parts) == 2 and when.parts[0] is section.when:
        return when.parts[1]
    return when  # pragma: no cover - the loader always builds one of the shapes above


def _type(question: Question) -> str:
    if question.kind == "text":
        return "string" if question.max_length <= STRING_MAX else "text"
    return _TYPES[question.kind]


def _range(question: Question) -> list[JSON]:
    found = []
    if question.minimum is not None:
        found.append({"url": MIN_VALUE, "valueInteger": question.minimum})
    if question.maximum is not None:
        found.append({"url": MAX_VALUE, "valueInteger": question.maximum})
    return found


def _option(question: Question, choice_id: str) -> JSON:
    choice = question.choice(choice_id)
    assert choice is not None
    coding = {"system": answer_system(question.id), "code": choice.id, "display": choice.label}
    option: JSON = {"valueCoding": coding}
    if choice.exclusive:
        option["extension"] = [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}]
    return option


def help_of(question: Question) -> str:
    """The question's help and its choices' help, as one text."""
    parts = [question.help] if question.help else []
    parts.extend(f"{c.label}: {c.help}" for c in question.choices if c.help)
    return "\n\n".join(parts)


def _help(question_id: str, text: str) -> JSON:
    control = {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help"}]}
    return {
        "linkId": f"{question_id}.help",
        "text": text,
        "type": "display",
        "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": control}],
    }


def _add_condition(
    item: JSON,
    condition: Condition,
    questions: Mapping[str, Question],
    owner: str,
    notes: list[str],
) -> None:
    fields = enable(condition, questions).fields()
    if "extension" in fields:
        item.setdefault("extension", []).extend(fields.pop("extension"))
        notes.append(
            f"{owner}: its 'when' is beyond enableWhen; written as the SDC "
            "enableWhenExpression (FHIRPath), which renderers without SDC support ignore"
        )
    item.update(fields)
