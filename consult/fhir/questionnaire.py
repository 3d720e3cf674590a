"""The question bank as one FHIR R4 Questionnaire.

Each section becomes a group (linkId `section.<id>`) carrying the section's `when`;
each question an item whose linkId is the question id, carrying its own `when`,
enabled while that `when` is not false (`consult.fhir.enable`). Types: yes_no ->
boolean, one_of -> choice, many_of -> choice with `repeats`, integer -> integer
with the minValue/maxValue extensions (and its UCUM unit), text -> string (or
text when longer than 200 characters) with `maxLength`. A question the bank
codes carries its `code`; choices are answerOption codings, in the standard
terminology the bank names or else a code system per question; an exclusive
choice ("none of these") carries the optionExclusive extension, and the help
texts become a display child item shown as help (linkId `<id>.help`).

The treatment areas are a repeating group (`section.areas`): each instance
holds the site and every question asked per area (`Question.per_area`), their
linkIds led by `area.`, the per-area sections as groups inside it. The site is
required only in an area that is there (a `questionnaire-constraint`), so a form
with no area is complete. Answers given once for every area (the flat form)
have a group of their own: the patient's sections for the lesion details, and
`section.areas.every` for the site screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from consult.answers.fhir import EVERY
from consult.bank.codes import (
    AREA,
    CONSTRAINT,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    QUESTIONNAIRE_URL,
    UCUM,
    UNIT,
    UNITS,
    VARIABLE,
)
from consult.bank.model import AllOf, Condition, KnowledgeBase, Question, Section, choice_coding
from consult.fhir.enable import AREA_VARIABLE, Scope, enable, literal

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
    build = _Builder(kb)
    groups: list[JSON] = []
    for section in kb.sections:
        if section.key:  # the treatment areas
            groups += [build.every_area(section), build.areas(section)]
        else:
            groups.append(build.group(section, Scope(kb.by_id), f"section.{section.id}"))
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
    return Export(resource, tuple(build.notes))


def area_layout(kb: KnowledgeBase, group: Section) -> Iterator[Section | Question]:
    """What an area's group holds, in bank order: the site first, then what is asked there.

    Each question asked per area; a section all of whose questions are per area
    as a group of its own.
    """
    yield kb.by_id[group.key]
    for section in kb.sections:
        asked = [kb.by_id[q] for q in section.questions if kb.by_id[q].per_area]
        if section is group:
            yield from (q for q in asked if q.id != group.key)
        elif asked and len(asked) == len(section.questions):
            yield section
        else:
            yield from asked


@dataclass
class _Builder:
    kb: KnowledgeBase
    notes: list[str] = field(default_factory=list)

    def group(self, section: Section, scope: Scope, link: str) -> JSON:
        item: JSON = {"linkId": link, "text": section.title, "type": "group"}
        if section.when is not None:
            self._condition(item, section.when, scope, f"section {section.id!r}")
        inner = Scope(scope.questions, scope.in_area, (section.when,) if section.when else ())
        item["item"] = [self.question(self.kb.by_id[q], section, inner) for q in section.questions]
        return item

    def every_area(self, group: Section) -> JSON:
        """The site screen answered once for every area (the flat form of answer files)."""
        scope = Scope(self.kb.by_id)
        screen = [q for q in group.questions if q != group.key]
        asked = [self.question(self.kb.by_id[q], group, scope) for q in screen]
        text = f"{group.title}: every area"
        return {
            "linkId": f"section.{group.id}{EVERY}",
            "text": text,
            "type": "group",
            "item": asked,
        }

    def areas(self, group: Section) -> JSON:
        """The repeating group of treatment areas, each with its per-area questions."""
        scope = Scope(self.kb.by_id, in_area=True)
        inner: list[JSON] = []
        for part in area_layout(self.kb, group):
            if isinstance(part, Section):
                inner.append(self.group(part, scope, f"{AREA}section.{part.id}"))
            else:
                inner.append(self.question(part, None, scope))
        site = literal(AREA + group.key)
        area = {"name": AREA_VARIABLE, "language": "text/fhirpath", "expression": "%context"}
        required = {
            "extension": [
                {"url": "key", "valueId": "area-site"},
                {"url": "severity", "valueCode": "error"},
                {
                    "url": "expression",
                    "valueString": f"item.where(linkId = {site}).answer.exists()",
                },
                {"url": "human", "valueString": "Each treatment area names its site."},
            ],
            "url": CONSTRAINT,
        }
        self.notes.append(
            f"section {group.id!r}: inside an area, conditions read the area's answers over the "
            "patient's: written as the SDC enableWhenExpression (FHIRPath), which renderers "
            "without SDC support ignore (they show those items always)"
        )
        return {
            "extension": [{"url": VARIABLE, "valueExpression": area}, required],
            "linkId": f"section.{group.id}",
            "text": group.title,
            "type": "group",
            "repeats": True,
            "item": inner,
        }

    def question(self, question: Question, section: Section | None, scope: Scope) -> JSON:
        """An item, with its condition less its section's, which the enclosing group carries.

        `section` None: an item standing alone in an area, with its whole `when`.
        """
        link = AREA + question.id if scope.in_area else question.id
        item: JSON = {"linkId": link, "text": question.text, "type": _type(question)}
        if question.code is not None:
            code = question.code
            item["code"] = [{"system": code.system, "code": code.code, "display": code.display}]
        if question.required and not scope.in_area:
            item["required"] = True
        if question.kind == "many_of":
            item["repeats"] = True
        if question.kind == "integer":
            item["extension"] = _range(question)
        if question.kind == "text":
            item["maxLength"] = question.max_length
        if question.choices:
            item["answerOption"] = [_option(question, c.id) for c in question.choices]
        own = question.when if section is None else own_condition(question, section)
        if own is not None and question.always_read:
            # FHIR allows no answer to a disabled item, and this answer is read
            # wherever it is recorded: the form asks it of every patient.
            self.notes.append(
                f"question {question.id!r}: asked of every patient in the form: an answer "
                "recorded while its 'when' is false is still read (always_read), and a "
                "disabled item may hold no answer"
            )
        elif own is not None:
            self._condition(item, own, scope, f"question {question.id!r}")
        help_text = help_of(question)
        if help_text:
            item["item"] = [_help(link, help_text)]
        return item

    def _condition(self, item: JSON, condition: Condition, scope: Scope, owner: str) -> None:
        fields = enable(condition, scope).fields()
        if "extension" in fields:
            item.setdefault("extension", []).extend(fields.pop("extension"))
            if not scope.in_area:
                self.notes.append(
                    f"{owner}: asked while its 'when' is not false, which is beyond enableWhen; "
                    "written as the SDC enableWhenExpression (FHIRPath), which renderers without "
                    "SDC support ignore (they show it always)"
                )
        item.update(fields)


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
    found: list[JSON] = []
    if question.minimum is not None:
        found.append({"url": MIN_VALUE, "valueInteger": question.minimum})
    if question.maximum is not None:
        found.append({"url": MAX_VALUE, "valueInteger": question.maximum})
    if question.unit:
        unit = {"system": UCUM, "code": question.unit, "display": UNITS[question.unit]}
        found.append({"url": UNIT, "valueCoding": unit})
    return found


def _option(question: Question, choice_id: str) -> JSON:
    choice = question.choice(choice_id)
    assert choice is not None
    system, code, display = choice_coding(question, choice)
    option: JSON = {"valueCoding": {"system": system, "code": code, "display": display}}
    if choice.exclusive:
        option["extension"] = [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}]
    return option


def help_of(question: Question) -> str:
    """The question's help and its choices' help, as one text."""
    parts = [question.help] if question.help else []
    parts.extend(f"{c.label}: {c.help}" for c in question.choices if c.help)
    return "\n\n".join(parts)


def _help(link: str, text: str) -> JSON:
    control = {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help"}]}
    return {
        "linkId": f"{link}.help",
        "text": text,
        "type": "display",
        "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": control}],
    }
