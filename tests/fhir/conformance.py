"""Does a QuestionnaireResponse conform to its Questionnaire, as FHIR R4 and SDC define it?

An independent check, written from the FHIR specification rather than from
consult's own logic: every linkId is an item of the Questionnaire at that place,
each answer has the item's type (a choice among its answerOptions), no item is
given twice where it does not repeat, nor answered twice where it takes one
answer, and nothing is answered under a disabled item. `enableWhen` is evaluated
as R4 says; the SDC `enableWhenExpression` with fhirpathpy (the FHIRPath
implementation for Python), `%resource` the response and `%area` the area
group's instance (the group's `variable`, `%context`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fhirpathpy import evaluate
from fhirpathpy.models import models

JSON = dict[str, Any]
EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
VALUES = {
    "boolean": "valueBoolean",
    "integer": "valueInteger",
    "choice": "valueCoding",
    "string": "valueString",
    "text": "valueString",
}
_MODEL = models["r4"]


def walk(items: list[JSON]) -> Iterator[JSON]:
    for item in items:
        yield item
        yield from walk(item.get("item", []))


@dataclass
class Check:
    """Checks responses against one Questionnaire."""

    questionnaire: JSON
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        links = [i["linkId"] for i in walk(self.questionnaire["item"])]
        self.problems += [f"linkId {k!r} twice in the Questionnaire" for k in _twice(links)]

    def response(self, resource: JSON) -> list[str]:
        """The problems of one response (and of the Questionnaire), each one line."""
        self.resource = resource
        found: list[str] = list(self.problems)
        self._items(self.questionnaire["item"], resource.get("item", []), "", None, found)
        return found

    def _items(
        self, defined: list[JSON], given: list[JSON], where: str, area: str | None, found: list[str]
    ) -> None:
        by_link = {d["linkId"]: d for d in defined}
        seen = [g.get("linkId") for g in given]
        found += [
            f"{where}{link}: given twice"
            for link in _twice(seen)
            if not by_link.get(link, {}).get("repeats") or by_link[link]["type"] != "group"
        ]
        for number, item in enumerate(given):
            definition = by_link.get(item.get("linkId"))
            if definition is None:
                found.append(f"{where}{item.get('linkId')}: no such item here")
                continue
            self._item(definition, item, where, number, area, found)

    def _item(
        self,
        definition: JSON,
        item: JSON,
        where: str,
        number: int,
        area: str | None,
        found: list[str],
    ) -> None:
        link = definition["linkId"]
        if _is_area(definition):
            area = f"%resource.item[{number}]" if not where else area
        answers = item.get("answer", [])
        if answers and not self._enabled(definition, area):
            found.append(f"{where}{link}: answered while the item is disabled")
        if item.get("item") and not self._enabled(definition, area):
            found.append(f"{where}{link}: holds answers while the group is disabled")
        if len(answers) > 1 and not definition.get("repeats"):
            found.append(f"{where}{link}: {len(answers)} answers to an item that takes one")
        for answer in answers:
            problem = _typed(definition, answer)
            if problem:
                found.append(f"{where}{link}: {problem}")
        self._items(
            definition.get("item", []), item.get("item", []), f"{where}{link}/", area, found
        )

    def _enabled(self, definition: JSON, area: str | None) -> bool:
        expression = next(
            (
                e["valueExpression"]["expression"]
                for e in definition.get("extension", [])
                if e["url"] == EXPRESSION
            ),
            None,
        )
        if expression is not None:
            return self._expression(expression, area)
        conditions = definition.get("enableWhen")
        if not conditions:
            return True
        results = [self._condition(c) for c in conditions]
        return all(results) if definition.get("enableBehavior", "all") == "all" else any(results)

    def _expression(self, expression: str, area: str | None) -> bool:
        if "%area" in expression:
            assert area is not None, "an %area expression outside an area"
            expression = expression.replace("%area", area)
        unknown = set(re.findall(r"%(\w+)", expression)) - {"resource"}
        assert not unknown, f"variables this check does not define: {unknown}"
        value = evaluate(self.resource, expression, {"resource": self.resource}, _MODEL)
        return value == [True]

    def _condition(self, condition: JSON) -> bool:
        """One enableWhen entry; the question is found anywhere in the response."""
        answers = [
            a
            for item in walk(self.resource.get("item", []))
            if item.get("linkId") == condition["question"]
            for a in item.get("answer", [])
        ]
        operator = condition["operator"]
        if operator == "exists":
            return bool(answers) == condition["answerBoolean"]
        (key,) = [k for k in condition if k.startswith("answer")]
        expected = condition[key]
        values = [a.get("value" + key.removeprefix("answer")) for a in answers]
        values = [v for v in values if v is not None]
        if operator == "=":
            return any(_same(v, expected) for v in values)
        if operator == "!=":
            return bool(values) and not any(_same(v, expected) for v in values)
        compare = {">": int.__gt__, "<": int.__lt__, ">=": int.__ge__, "<=": int.__le__}[operator]
        return any(compare(v, expected) for v in values)


def _is_area(definition: JSON) -> bool:
    return any(
        e["url"] == VARIABLE and e["valueExpression"]["name"] == "area"
        for e in definition.get("extension", [])
    )


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(value, dict) and (value.get("system"), value.get("code")) == (
            expected.get("system"),
            expected.get("code"),
        )
    return type(value) is type(expected) and value == expected


def _typed(definition: JSON, answer: JSON) -> str:
    """Why an answer does not fit its item, or ""."""
    kind = definition["type"]
    expected = VALUES.get(kind)
    present = [k for k in answer if k.startswith("value")]
    if expected is None:
        return f"a {kind} item takes no answer"
    if present != [expected]:
        return f"{present} where a {kind} item takes {expected}"
    value = answer[expected]
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return f"{value!r} is not an integer"
    if kind == "choice":
        options = [o["valueCoding"] for o in definition.get("answerOption", [])]
        if not any(_same(value, o) for o in options):
            return f"{value.get('system')}|{value.get('code')} is not one of its answerOptions"
    return ""


def _twice(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    return [v for v in values if v in seen or seen.add(v)]
