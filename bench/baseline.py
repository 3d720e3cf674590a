"""A plain-Python baseline: the rules generated as one straight-line function.

Truth is encoded as an int: 3 true, 1 unknown, 0 false, so that Kleene's
"and" is `&`, "or" is `|`, and "not" is a table look-up. Each question is read
from the answers once; its applicability (from its own `when`) is computed
once, in bank order. No explanations are built: the function returns one truth
per rule and the shared code in `outcome` turns them into outcome sets.

A rule over the treatment areas (`any_area`, `all_areas`) is also written once
for each set of sites its procedures treat; each quantifier becomes a small
generated function that loops over the areas of those sites (an area's answer
over the one given for every area; no area: the answers given for every area).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from outcome import Outcome, from_truths, site_sets

from consult.bank.model import AllOf, AnyOf, Compare, Condition, KnowledgeBase, Not, Quantified
from consult.bank.truth import questions_of, restrict

_TRUTH: dict[int, bool | None] = {3: True, 1: None, 0: False}
_MISSING = object()


class _Writer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.names: dict[str, str] = {}
        self.functions: list[str] = []  # one generated function per quantifier

    def var(self, qid: str) -> str:
        if qid not in self.names:
            self.names[qid] = f"v{len(self.names)}"
        return self.names[qid]

    def expr(self, c: Condition) -> str:
        if isinstance(c, Compare):
            v = self.var(c.question)
            return f"((3 if {_pred(c, v)} else 0) if {v} is not M else n_{v})"
        if isinstance(c, AllOf):
            return "(" + " & ".join(self.expr(p) for p in c.parts) + ")"
        if isinstance(c, AnyOf):
            return "(" + " | ".join(self.expr(p) for p in c.parts) + ")"
        if isinstance(c, Quantified):
            return f"{self.quantifier(c)}(a)"
        assert isinstance(c, Not)
        return f"NOT[{self.expr(c.part)}]"

    def quantifier(self, c: Quantified) -> str:
        name = f"q{len(self.functions)}"
        sites = "" if c.sites is None else f" if i[{c.key!r}] in {frozenset(c.sites)!r}"
        join, start = ("|", 0) if c.kind == "any" else ("&", 3)
        self.functions.append(
            "\n".join(
                [
                    f"def {name}(a):",
                    f"    items = [i for i in a.get({c.group!r}) or (){sites}] or [a]",
                    f"    r = {start}",
                    "    for i in items:",
                    f"        r {join}= {_inner(c.part)}",
                    "    return r",
                ]
            )
        )
        return name


def _inner(c: Condition) -> str:
    """A condition on one area's answers `i`, over those for every area `a` (no `when` here)."""
    if isinstance(c, Compare):
        v, q = f"x{id(c)}", repr(c.question)
        return (
            f"((3 if {_pred(c, v)} else 0) if ({v} := i.get({q}, a.get({q}, M))) is not M else 1)"
        )
    if isinstance(c, AllOf):
        return "(" + " & ".join(_inner(p) for p in c.parts) + ")"
    if isinstance(c, AnyOf):
        return "(" + " | ".join(_inner(p) for p in c.parts) + ")"
    assert isinstance(c, Not)
    return f"NOT[{_inner(c.part)}]"


def _pred(c: Compare, v: str) -> str:
    value: Any = c.value
    if c.op == "equals":
        return f"{v} == {value!r}"
    if c.op == "one_of":
        return f"{v} in {frozenset(value)!r}"
    if c.op == "contains":
        return f"{value!r} in {v}"
    if c.op == "contains_any":
        return f"not {frozenset(value)!r}.isdisjoint({v})"
    if c.op == "contains_all":
        return f"{frozenset(value)!r}.issubset({v})"
    if c.op == "between":
        return f"{value[0]!r} <= {v} <= {value[1]!r}"
    ops = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
    if c.op in ops:
        return f"{v} {ops[c.op]} {value!r}"
    raise SystemExit(f"the baseline does not cover {c.op!r}")


def generate(kb: KnowledgeBase) -> str:
    """Python source of `truths(answers) -> tuple[int, ...]`."""
    w = _Writer(kb)
    rule_exprs = [w.expr(r.when) for r in kb.rules]
    rule_exprs += [w.expr(restrict(rule.when, sites)) for rule, sites, _ in site_sets(kb)]
    # Every question read by a rule or by a `when` on the way needs its value
    # and, for a missing answer, the value a comparison on it takes.
    needed = {q for r in kb.rules for q in questions_of(r.when)}
    for q in reversed(kb.questions):  # a `when` reads only earlier questions
        if q.when is not None and q.id in needed:
            needed.update(questions_of(q.when))
    lines = ["def truths(a):", "    g = a.get"]
    for q in kb.questions:
        if q.id not in needed:
            continue
        v = w.var(q.id)
        lines.append(f"    {v} = g({q.id!r}, M)")
        if q.when is None:
            lines.append(f"    n_{v} = 1")
        else:
            # applies is false (0) -> a comparison on the missing answer is false.
            lines.append(f"    n_{v} = 0 if {w.expr(q.when)} == 0 else 1")
    lines.append("    return (" + ", ".join(rule_exprs) + ",)")
    return "\n".join([*w.functions, *lines]) + "\n"


def compile_truths(kb: KnowledgeBase) -> Callable[[dict[str, Any]], tuple[int, ...]]:
    """The generated function, compiled."""
    namespace: dict[str, Any] = {"M": _MISSING, "NOT": (3, 1, 0, 0)}
    exec(compile(generate(kb), "<baseline>", "exec"), namespace)  # noqa: S102
    return namespace["truths"]  # type: ignore[no-any-return]


class Baseline:
    """Generated code for the rules; the shared outcome code after it."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.truths = compile_truths(kb)
        self.count = len(kb.rules)
        self.sited = [(rule.id, pids) for rule, _, pids in site_sets(kb)]

    def outcome(self, answers: dict[str, Any]) -> Outcome:
        """The outcome for one answer set (tuples for many_of, as consult stores them)."""
        truths = [_TRUTH[t] for t in self.truths(answers)]
        count = self.count
        sited = {
            (rid, pid): truths[count + n]
            for n, (rid, pids) in enumerate(self.sited)
            for pid in pids
        }
        return from_truths(self.kb, truths[:count], sited)
