"""A `when` condition as FHIR `enableWhen`, or else as an SDC FHIRPath expression.

`enableWhen` is a flat list of comparisons joined by one `enableBehavior` (all or
any), so it expresses a single comparison, a negated equality or range test, and an
`all` or `any` of those; anything nested deeper (an `any` inside an `all`, a negated
group) is written as the SDC `enableWhenExpression`, a FHIRPath expression over the
response, which renderers without SDC support ignore. Either way the condition keeps
its meaning for answered questions; on an unanswered one FHIR disables the item,
where consult's three-valued logic would still ask (see docs/fhir.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consult.bank.model import AllOf, AnyOf, Compare, Condition, Not, Question
from consult.fhir.codes import ENABLE_WHEN_EXPRESSION, answer_system

JSON = dict[str, Any]

# consult comparison -> (FHIR operator, its negation)
_OPERATORS = {
    "equals": ("=", "!="),
    "contains": ("=", None),
    "gte": (">=", "<"),
    "gt": (">", "<="),
    "lte": ("<=", ">"),
    "lt": ("<", ">="),
}
_FHIRPATH_OPERATORS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


@dataclass(frozen=True, slots=True)
class Enable:
    """How an item is switched on: `enableWhen` entries, or an expression."""

    when: tuple[JSON, ...] = ()
    behavior: str = ""  # "all" or "any" when there are several entries
    expression: str = ""

    def fields(self) -> JSON:
        """The item fields (and extension) that carry the condition."""
        if self.expression:
            expression = {"language": "text/fhirpath", "expression": self.expression}
            return {"extension": [{"url": ENABLE_WHEN_EXPRESSION, "valueExpression": expression}]}
        data: JSON = {"enableWhen": list(self.when)}
        if len(self.when) > 1:
            data["enableBehavior"] = self.behavior
        return data


def enable(condition: Condition, questions: Mapping[str, Question]) -> Enable:
    """The FHIR form of a condition: `enableWhen` if it can say it, else FHIRPath."""
    flat = _flat(condition, questions)
    if flat is not None:
        return Enable(tuple(flat[0]), flat[1])
    return Enable(expression=fhirpath(condition, questions))


# ---- enableWhen --------------------------------------------------------------

_Flat = tuple[list[JSON], str]  # entries, and how they combine ("" for one entry)


def _flat(condition: Condition, questions: Mapping[str, Question]) -> _Flat | None:
    match condition:
        case Compare():
            return _compare(condition, questions[condition.question], negate=False)
        case Not(part=Compare() as negated):
            return _compare(negated, questions[negated.question], negate=True)
        case AllOf() | AnyOf():
            behavior = "all" if isinstance(condition, AllOf) else "any"
            entries: list[JSON] = []
            for part in condition.parts:
                flat = _flat(part, questions)
                if flat is None or (len(flat[0]) > 1 and flat[1] != behavior):
                    return None
                entries.extend(flat[0])
            return entries, behavior
    return None


def _compare(compare: Compare, question: Question, *, negate: bool) -> _Flat | None:
    op, value = compare.op, compare.value
    if op in ("answered", "unanswered"):
        shown = (op == "answered") != negate
        return [{"question": question.id, "operator": "exists", "answerBoolean": shown}], ""
    if op in _OPERATORS:
        operator = _OPERATORS[op][1 if negate else 0]
        if operator is None:
            return None
        return [_entry(question, operator, value)], ""
    if negate:
        return None
    if op == "between":
        low, high = _pair(value)
        return [_entry(question, ">=", low), _entry(question, "<=", high)], "all"
    # one_of, contains_any: any of them; contains_all: all of them
    entries = [_entry(question, "=", v) for v in _ordered(question, value)]
    return entries, "all" if op == "contains_all" else "any"


def _entry(question: Question, operator: str, value: object) -> JSON:
    return {"question": question.id, "operator": operator, **answer_value(question, value)}


def answer_value(question: Question, value: object) -> JSON:
    """One value of a question as FHIR `answer[x]`/`value[x]` fields."""
    if question.kind == "yes_no":
        return {"answerBoolean": value}
    if question.kind == "integer":
        return {"answerInteger": value}
    if question.kind == "text":
        return {"answerString": value}
    choice = question.choice(str(value))
    coding = {"system": answer_system(question.id), "code": str(value)}
    if choice is not None:
        coding["display"] = choice.label
    return {"answerCoding": coding}


def _ordered(question: Question, values: object) -> list[object]:
    """A set of values in the bank's order of choices (numbers ascending)."""
    assert isinstance(values, frozenset)
    if question.choices:
        return [c for c in question.choice_ids if c in values]
    return sorted(values)


def _pair(value: object) -> tuple[object, object]:
    assert isinstance(value, tuple)
    return value[0], value[1]


# ---- FHIRPath ---------------------------------------------------------------


def fhirpath(condition: Condition, questions: Mapping[str, Question]) -> str:
    """The condition as a FHIRPath boolean over the response (`%resource`)."""
    match condition:
        case Compare():
            return _path_compare(condition, questions[condition.question])
        case Not():
            return f"({fhirpath(condition.part, questions)}).not()"
        case AllOf() | AnyOf():
            joint = " and " if isinstance(condition, AllOf) else " or "
            return joint.join(f"({fhirpath(p, questions)})" for p in condition.parts)
    raise AssertionError(condition)  # pragma: no cover


def _path_compare(compare: Compare, question: Question) -> str:
    answers = (
        f"%resource.repeat(item | answer.item).where(linkId = {_literal(question.id)}).answer.value"
    )
    if question.choices:
        answers += ".code"
    op, value = compare.op, compare.value
    if op == "answered":
        return f"{answers}.exists()"
    if op == "unanswered":
        return f"{answers}.empty()"
    if op in ("equals", "contains"):
        return f"{answers}.where($this = {_literal(value)}).exists()"
    if op in _FHIRPATH_OPERATORS:
        return f"{answers}.where($this {_FHIRPATH_OPERATORS[op]} {_literal(value)}).exists()"
    if op == "between":
        low, high = _pair(value)
        return f"{answers}.where($this >= {_literal(low)} and $this <= {_literal(high)}).exists()"
    listed = " | ".join(_literal(v) for v in _ordered(question, value))
    if op == "contains_all":
        return f"({listed}).subsetOf({answers})"
    return f"{answers}.where($this in ({listed})).exists()"


def _literal(value: object) -> str:
    """A FHIRPath literal: booleans and whole numbers as they are, text quoted and escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f"'{text}'"
