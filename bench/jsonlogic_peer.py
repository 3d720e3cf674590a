"""The shipped rules translated automatically to JsonLogic and run by a PyPI package.

JsonLogic is two-valued, so each condition C becomes two expressions: "C is
true" and "C is false"; when neither holds C is unknown (a needed answer is
missing). That is Kleene's three-valued logic written with two-valued
operators, and it reproduces consult's semantics exactly:

- a comparison is true or false when its question is answered; when it is not,
  it is false if the question is switched off by its own `when` (translated the
  same way, recursively) and unknown otherwise;
- all/any/not combine as in Kleene logic.

The answers are passed to JsonLogic as plain JSON data (lists for many_of).
A quantifier over the treatment areas becomes JsonLogic's `some` / `all` over
the areas of the procedure's sites (`filter`), or the answers given for every
area when there is no such area. JsonLogic cannot read the outer data inside
`some`, so each area is passed with the answers given for every area filled in
where it has none of its own (the answer format's rule), before evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from outcome import Outcome, from_truths, site_sets

from consult.bank.model import AllOf, AnyOf, Compare, Condition, KnowledgeBase, Not, Quantified
from consult.bank.truth import restrict

Logic = Any
PACKAGE = "json-logic-qubit"
IMPORT = "json_logic"


def load_apply() -> Callable[[Logic, Any], Any]:
    """The package's `jsonLogic(rule, data)`; SystemExit with an install hint if missing."""
    try:
        from json_logic import jsonLogic
    except ImportError:
        raise SystemExit(f"the JsonLogic peer needs {PACKAGE}: pip install -e '.[bench]'") from None
    return jsonLogic  # type: ignore[no-any-return]


class Translator:
    """consult conditions -> (is-true, is-false) JsonLogic expressions."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._off: dict[str, Logic] = {}

    def rule_pair(self, condition: Condition) -> tuple[Logic, Logic]:
        """The (true, false) expressions of one condition."""
        return self.true(condition), self.false(condition)

    def true(self, c: Condition) -> Logic:
        """Holds exactly when the condition is true."""
        if isinstance(c, Compare):
            return {"and": [_answered(c.question), _predicate(c)]}
        if isinstance(c, AllOf):
            return {"and": [self.true(p) for p in c.parts]}
        if isinstance(c, AnyOf):
            return {"or": [self.true(p) for p in c.parts]}
        if isinstance(c, Quantified):
            over = "some" if c.kind == "any" else "all"
            return _over_areas(c, over, self.true(c.part))
        assert isinstance(c, Not)
        return self.false(c.part)

    def false(self, c: Condition) -> Logic:
        """Holds exactly when the condition is false."""
        if isinstance(c, Compare):
            return {
                "or": [
                    {"and": [_answered(c.question), {"!": _predicate(c)}]},
                    {"and": [{"!": _answered(c.question)}, self.switched_off(c.question)]},
                ]
            }
        if isinstance(c, AllOf):
            return {"or": [self.false(p) for p in c.parts]}
        if isinstance(c, AnyOf):
            return {"and": [self.false(p) for p in c.parts]}
        if isinstance(c, Quantified):
            over = "all" if c.kind == "any" else "some"
            return _over_areas(c, over, self.false(c.part))
        assert isinstance(c, Not)
        return self.true(c.part)

    def switched_off(self, qid: str) -> Logic:
        """Holds exactly when the question's `when` is false."""
        if qid not in self._off:
            when = self.kb.question(qid).when
            self._off[qid] = False if when is None else self.false(when)
        return self._off[qid]


def _over_areas(c: Quantified, over: str, part: Logic) -> Logic:
    """`some` or `all` areas of the sites satisfy `part`; with none, the answers for every area."""
    areas: Logic = {"var": [c.group, []]}
    if c.sites is not None:
        areas = {"filter": [areas, {"in": [{"var": c.key}, sorted(c.sites)]}]}
    return {"if": [{"!!": [areas]}, {over: [areas, part]}, part]}


def _answered(qid: str) -> Logic:
    return {"!": {"missing": [qid]}}


def _predicate(c: Compare) -> Logic:
    var = {"var": c.question}
    value: Any = c.value
    op = c.op
    if op == "equals":
        return {"===": [var, value]}
    if op == "one_of":
        return {"in": [var, sorted(value)]}
    if op == "contains":
        return {"in": [value, var]}
    if op == "contains_any":
        return {"or": [{"in": [v, var]} for v in sorted(value)]}
    if op == "contains_all":
        return {"and": [{"in": [v, var]} for v in sorted(value)]}
    if op == "between":
        return {"<=": [value[0], var, value[1]]}
    if op in {"answered", "unanswered"}:
        return True  # decided by presence alone, see `_presence`
    return {{"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[op]: [var, value]}


class Peer:
    """Evaluates the whole rule set with JsonLogic and reduces it to the outcome."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.apply = load_apply()
        translator = Translator(kb)
        self.rules = []
        for rule in kb.rules:
            _refuse_presence_ops(rule.when)
            self.rules.append(translator.rule_pair(rule.when))
        self.count = len(kb.rules)
        self.sited = []
        for rule, sites, pids in site_sets(kb):
            self.rules.append(translator.rule_pair(restrict(rule.when, sites)))
            self.sited.append((rule.id, pids))
        self.groups = [(g.id, [q for q in g.questions if q != g.key]) for g in kb.groups.values()]

    def truths(self, data: dict[str, Any]) -> list[bool | None]:
        """One truth per rule."""
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

    def outcome(self, data: dict[str, Any]) -> Outcome:
        """The outcome for one answer set given as JSON data."""
        for group, questions in self.groups:
            if data.get(group):
                every = {q: data[q] for q in questions if q in data}
                data = {**data, group: [{**every, **item} for item in data[group]]}
        truths = self.truths(data)
        count = self.count
        sited = {
            (rid, pid): truths[count + n]
            for n, (rid, pids) in enumerate(self.sited)
            for pid in pids
        }
        return from_truths(self.kb, truths[:count], sited)


def _refuse_presence_ops(c: Condition) -> None:
    # `answered`/`unanswered` are two-valued tests of presence; the shipped bank
    # does not use them, and the translation above does not cover them.
    if isinstance(c, Compare):
        if c.op in {"answered", "unanswered"}:
            raise SystemExit(f"the JsonLogic translation does not cover {c.op!r}")
    elif isinstance(c, Not | Quantified):
        _refuse_presence_ops(c.part)
    else:
        for part in c.parts:
            _refuse_presence_ops(part)
