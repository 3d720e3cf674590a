"""When a form shows an item: a `when` as FHIR `enableWhen`, or else as an SDC FHIRPath expression.

consult asks a question unless its condition is false; a condition that reads
an unanswered question is unknown, and the question is still asked (three-valued
logic, see docs/knowledge-base.md). FHIR disables an item whose `enableWhen`
reads an unanswered question, and a form filler leaves out the answers of a
disabled item. So the item is written as enabled exactly when its condition is
not false: each comparison gains an `exists false` alternative (the question it
reads is unanswered), and the whole is `enableWhen` when FHIR's flat list of
comparisons joined by one `enableBehavior` can say it, else the SDC
`enableWhenExpression` (FHIRPath over the response), which renderers without
SDC support ignore: they show the item always, which loses no answer.

Inside a treatment area a per-area question is read on the area's view: the
area's own answer (linkId `area.<id>` in the area's group, reached through the
group's `%area` variable) or else the patient's; those conditions are FHIRPath.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consult.bank.codes import AREA, ENABLE_WHEN_EXPRESSION
from consult.bank.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Quantified,
    Question,
    choice_coding,
)

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
TRUE, FALSE = "true", "false"
AREA_VARIABLE = "area"  # the SDC variable of the area group: its own response item


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an item stands, and which conditions its groups already carry (so hold)."""

    questions: Mapping[str, Question]
    in_area: bool = False
    given: tuple[Condition, ...] = ()

    def carries(self, condition: Condition) -> bool:
        """Whether an enclosing group carries this condition: it is not false here."""
        return any(condition is c for c in self.given)

    def patient(self) -> Scope:
        """The scope of the patient's own answers."""
        return Scope(self.questions)


@dataclass(frozen=True, slots=True)
class Enable:
    """How an item is switched on: `enableWhen` entries, or an expression, or always."""

    when: tuple[JSON, ...] = ()
    behavior: str = ""  # "all" or "any" when there are several entries
    expression: str = ""

    def fields(self) -> JSON:
        """The item fields (and extension) that carry the condition."""
        if self.expression:
            expression = {"language": "text/fhirpath", "expression": self.expression}
            return {"extension": [{"url": ENABLE_WHEN_EXPRESSION, "valueExpression": expression}]}
        if not self.when:
            return {}
        data: JSON = {"enableWhen": list(self.when)}
        if len(self.when) > 1:
            data["enableBehavior"] = self.behavior
        return data


def enable(condition: Condition, scope: Scope) -> Enable:
    """The FHIR form of "this condition is not false": `enableWhen` if it can say it."""
    if _has_quantifier(condition):
        return Enable()  # shown always: a form has no view over every area
    flat = None if scope.in_area else _flat(condition, scope)
    if flat is not None:
        return Enable(tuple(flat[0]), flat[1])
    expression = _not(_false(condition, scope))
    return Enable() if expression == TRUE else Enable(expression=expression)


def _has_quantifier(condition: Condition) -> bool:
    match condition:
        case Quantified():
            return True
        case AllOf() | AnyOf():
            return any(_has_quantifier(p) for p in condition.parts)
        case Not():
            return _has_quantifier(condition.part)
    return False


# ---- enableWhen --------------------------------------------------------------

_Flat = tuple[list[JSON], str]  # entries, and how they combine ("" for one entry)


def _flat(condition: Condition, scope: Scope) -> _Flat | None:
    """The entries that are true exactly when the condition is not false, if flat."""
    match condition:
        case Compare():
            return _compare(condition, scope, negate=False)
        case Not(part=Compare() as negated):
            return _compare(negated, scope, negate=True)
        case AnyOf():  # not false when some part is not false
            return _joined([_flat(p, scope) for p in condition.parts], "any")
        case AllOf():  # not false when no part is false
            return _joined([_flat(p, scope) for p in condition.parts], "all")
    return None


def _joined(parts: list[_Flat | None], behavior: str) -> _Flat | None:
    entries: list[JSON] = []
    for flat in parts:
        if flat is None or (len(flat[0]) > 1 and flat[1] != behavior):
            return None
        entries.extend(flat[0])
    return entries, behavior


def _compare(compare: Compare, scope: Scope, *, negate: bool) -> _Flat | None:
    question = scope.questions[compare.question]
    op, value = compare.op, compare.value
    if op in ("answered", "unanswered"):  # never unknown
        shown = (op == "answered") != negate
        return [{"question": question.id, "operator": "exists", "answerBoolean": shown}], ""
    # Unanswered, the comparison is unknown (asked) unless the question is switched off:
    # exact only when that cannot be (no `when`, or one an enclosing group carries).
    if not negate and _off(question, scope) != FALSE:
        return None
    unanswered = {"question": question.id, "operator": "exists", "answerBoolean": False}
    entries = _holds(question, op, value, negate)
    return None if entries is None else ([*entries, unanswered], "any")


def _holds(question: Question, op: str, value: object, negate: bool) -> list[JSON] | None:
    """Entries of which any holds exactly when the answer given passes (or fails) the test."""
    if op in _OPERATORS:
        operator = _OPERATORS[op][1 if negate else 0]
        return None if operator is None else [_entry(question, operator, value)]
    if negate or op in ("between", "contains_all"):
        return None
    return [_entry(question, "=", v) for v in _ordered(question, value)]  # one_of, contains_any


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
    assert choice is not None
    system, code, display = choice_coding(question, choice)
    return {"answerCoding": {"system": system, "code": code, "display": display}}


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


def fhirpath(condition: Condition, scope: Scope) -> str:
    """The condition as a FHIRPath boolean that is true exactly when it is true."""
    return _true(condition, scope)


def _true(condition: Condition, scope: Scope) -> str:
    match condition:
        case Compare():
            return _test(condition, scope)
        case Not():
            return _false(condition.part, scope)
        case AllOf():
            return _and([_true(p, scope) for p in condition.parts])
        case AnyOf():
            return _or([_true(p, scope) for p in condition.parts])
    raise AssertionError(condition)  # pragma: no cover - quantifiers are shown always


def _false(condition: Condition, scope: Scope) -> str:
    match condition:
        case Compare():
            question = scope.questions[condition.question]
            given = _answers(question, scope)
            if condition.op == "answered":
                return f"{given}.empty()"
            if condition.op == "unanswered":
                return f"{given}.exists()"
            fails = _and([f"{given}.exists()", _not(_test(condition, scope))])
            off = _off(question, scope)
            return _or([fails, _and([f"{given}.empty()", off])])
        case Not():
            return _true(condition.part, scope)
        case AllOf():
            return _or([_false(p, scope) for p in condition.parts])
        case AnyOf():
            return _and([_false(p, scope) for p in condition.parts])
    raise AssertionError(condition)  # pragma: no cover


def _off(question: Question, scope: Scope) -> str:
    """When the question is switched off by its own `when`, read where it is answered."""
    when = question.when
    if when is None or _has_quantifier(when):
        return FALSE
    if scope.in_area and not question.per_area:  # the patient's question, read as such
        return _false(when, scope.patient())
    if scope.carries(when):
        return FALSE
    if isinstance(when, AllOf) and scope.carries(when.parts[0]):
        when = AllOf(parts=when.parts[1:], source=when.source)
    return _false(when, scope)


def _answers(question: Question, scope: Scope) -> str:
    """The answer values of a question, as the item's place reads them."""
    patient = f"%resource.repeat(item).where(linkId = {literal(question.id)})"
    if not (scope.in_area and question.per_area):
        return f"{patient}.answer.value"
    link = literal(AREA + question.id)
    own = f"%{AREA_VARIABLE}.repeat(item).where(linkId = {link}).answer"
    return f"iif({own}.exists(), {own}.value, {patient}.answer.value)"


def _test(compare: Compare, scope: Scope) -> str:
    """True when an answer given passes the comparison."""
    question = scope.questions[compare.question]
    given, op, value = _answers(question, scope), compare.op, compare.value
    if op == "answered":
        return f"{given}.exists()"
    if op == "unanswered":
        return f"{given}.empty()"
    if op == "between":
        low, high = _pair(value)
        return f"{given}.where($this >= {literal(low)} and $this <= {literal(high)}).exists()"
    if op in _FHIRPATH_OPERATORS:
        return f"{given}.where($this {_FHIRPATH_OPERATORS[op]} {literal(value)}).exists()"
    values = [value] if op in ("equals", "contains") else _ordered(question, value)
    tests = [f"{given}.where({_is(question, v)}).exists()" for v in values]
    return _and(tests) if op == "contains_all" else _or(tests)


def _is(question: Question, value: object) -> str:
    """A FHIRPath test of one answer value (`$this`) against one of the bank's values."""
    choice = question.choice(str(value)) if question.choices else None
    if choice is None:
        return f"$this = {literal(value)}"
    system, code, _ = choice_coding(question, choice)
    return f"system = {literal(system)} and code = {literal(code)}"


def _and(parts: list[str]) -> str:
    if FALSE in parts:
        return FALSE
    kept = [p for p in parts if p != TRUE]
    return TRUE if not kept else kept[0] if len(kept) == 1 else " and ".join(f"({p})" for p in kept)


def _or(parts: list[str]) -> str:
    if TRUE in parts:
        return TRUE
    kept = [p for p in parts if p != FALSE]
    return FALSE if not kept else kept[0] if len(kept) == 1 else " or ".join(f"({p})" for p in kept)


def _not(part: str) -> str:
    return {TRUE: FALSE, FALSE: TRUE}.get(part, f"({part}).not()")


def literal(value: object) -> str:
    """A FHIRPath literal: booleans and whole numbers as they are, text quoted and escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f"'{text}'"
