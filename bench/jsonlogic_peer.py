"""The shipped rules translated automatically to JsonLogic and run by a PyPI package.

JsonLogic is two-valued, so each condition C becomes two expressions: "C is
true" and "C is false"; when neither holds C is unknown (a needed answer is
missing). That is Kleene's three-valued logic written with two-valued
operators, as consult's evaluator works:

- a comparison is true or false when its question is answered; when it is not,
  it is false if the question is switched off by its own `when` (translated the
  same way, recursively) and unknown otherwise;
- all/any/not combine as in Kleene logic; `any_area` / `all_areas` become
  JsonLogic's `some` / `all` over the areas passed in the data.

The peer computes rule truths only (no decision, no explanation). It is given
the answers one treatment area reads (consult's view of the area) as plain
JSON, with the areas a quantifier looks at listed under the group's id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consult.bank.model import (
    AllOf,
    Answer,
    AnyOf,
    Compare,
    Condition,
    KnowledgeBase,
    Not,
    Quantified,
    plain_answer,
)
from consult.bank.truth import items_in_view

Logic = Any
PACKAGE = "json-logic-qubit"


def load_apply() -> Callable[[Logic, Any], Any]:
    """The package's `jsonLogic(rule, data)`; SystemExit with an install hint if missing."""
    try:
        from json_logic import jsonLogic
    except ImportError:
        raise SystemExit(f"the JsonLogic peer needs {PACKAGE}: pip install -e '.[bench]'") from None
    return jsonLogic  # type: ignore[no-any-return]


class Peer:
    """Every rule of a bank as a pair of JsonLogic expressions (is true, is false)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.apply = load_apply()
        self._off: dict[str, Logic] = {}
        self.rules = [(self.true(r.when), self.false(r.when)) for r in kb.rules]

    def truths(self, data: dict[str, Any]) -> list[bool | None]:
        """One truth per rule, in bank order."""
        apply = self.apply
        out: list[bool | None] = []
        for when_true, when_false in self.rules:
            if apply(when_true, data):
                out.append(True)
            elif apply(when_false, data):
                out.append(False)
            else:
                out.append(None)
        return out

    def data(self, view: Mapping[str, Answer]) -> dict[str, Any]:
        """An area's view as JSON data, each group as the list of areas a quantifier reads."""
        data = {q: plain_answer(v) for q, v in view.items()}
        for group in self.kb.groups:
            data[group] = [
                {q: plain_answer(v) for q, v in item.items()} for item in items_in_view(view, group)
            ]
        return data

    def true(self, c: Condition) -> Logic:
        """Holds exactly when the condition is true."""
        match c:
            case Compare():
                return {"and": [_answered(c.question), _predicate(c)]}
            case AllOf():
                return {"and": [self.true(p) for p in c.parts]}
            case AnyOf():
                return {"or": [self.true(p) for p in c.parts]}
            case Quantified():
                return {"some" if c.kind == "any" else "all": [{"var": c.group}, self.true(c.part)]}
            case Not():
                return self.false(c.part)

    def false(self, c: Condition) -> Logic:
        """Holds exactly when the condition is false."""
        match c:
            case Compare():
                answered_no = {"and": [_answered(c.question), {"!": _predicate(c)}]}
                off = {"and": [{"!": _answered(c.question)}, self.switched_off(c.question)]}
                return {"or": [answered_no, off]}
            case AllOf():
                return {"or": [self.false(p) for p in c.parts]}
            case AnyOf():
                return {"and": [self.false(p) for p in c.parts]}
            case Quantified():
                return {
                    "all" if c.kind == "any" else "some": [{"var": c.group}, self.false(c.part)]
                }
            case Not():
                return self.true(c.part)

    def switched_off(self, qid: str) -> Logic:
        """Holds exactly when the question's `when` is false."""
        if qid not in self._off:
            when = self.kb.question(qid).when
            self._off[qid] = False if when is None else self.false(when)
        return self._off[qid]


def _answered(qid: str) -> Logic:
    return {"!": {"missing": [qid]}}


def _predicate(c: Compare) -> Logic:
    var = {"var": c.question}
    value: Any = c.value
    if c.op in {"answered", "unanswered"}:
        raise SystemExit(f"the JsonLogic translation does not cover {c.op!r}")
    if c.op == "equals":
        return {"===": [var, value]}
    if c.op == "one_of":
        return {"in": [var, sorted(value)]}
    if c.op == "contains":
        return {"in": [value, var]}
    if c.op == "contains_any":
        return {"or": [{"in": [v, var]} for v in sorted(value)]}
    if c.op == "contains_all":
        return {"and": [{"in": [v, var]} for v in sorted(value)]}
    if c.op == "between":
        return {"<=": [value[0], var, value[1]]}
    return {{"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[c.op]: [var, value]}
