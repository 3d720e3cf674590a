"""Settled outcomes: the exact check behind the engine's three-valued first pass.

Three-valued logic per rule is exact for a rule that reads each question once
(and whose every comparison can come out either way), and for an outcome
whose open rules read different unanswered questions. Where it is not (two
rules cover each other's gaps, as "sudden or triggered shedding" and "neither
sudden nor triggered"), the outcome is checked by enumerating the answers the
unanswered questions could still get, over finite domains:

- yes/no: both; one_of: each choice; many_of: every non-empty subset of the
  choices the rules mention (an exclusive choice alone), plus another choice;
- integer: the thresholds the rules compare it with, one above and one below,
  and the question's range ends; text: the texts compared with, and another;
- a question whose own `when` may or may not switch it off: also "off".

An outcome is settled when every such completion gives the same verdict. The
work is bounded: only the questions the open rules read, and at most `CAP`
completions; beyond that the outcome is left open (the three-valued answer).
Rules using `answered`/`unanswered` test the answer set as given and are never
enumerated. See docs/knowledge-base.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import combinations, product
from typing import assert_never

from consult.bank.model import (
    AllOf,
    Answer,
    AnyOf,
    Applicability,
    Compare,
    Condition,
    KnowledgeBase,
    Not,
    Quantified,
    Question,
    Rule,
    Test,
    Truth,
)
from consult.bank.truth import compile_condition, quantifiers_of

CAP = 4096  # completions enumerated for one outcome at most
_MANY_LIMIT = 10  # a many_of question mentioning more choices is not enumerated
OFF = object()  # the question is switched off by its own `when`


class Domains:
    """The finite domains of the bank's questions, and which rules need no enumeration."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        compares: dict[str, list[Compare]] = {}
        # Rules never enumerated: those using answered/unanswered (they test the answer
        # set as given) and those over the treatment areas (a quantifier reads the other
        # areas' answers, which one area's completions do not reach).
        self.tested: set[str] = set()
        self.exact: dict[str, bool] = {}
        for rule in kb.rules:
            found = list(_compares(rule.when))
            for c in found:
                compares.setdefault(c.question, []).append(c)
            presence = any(c.op in {"answered", "unanswered"} for c in found)
            if presence or any(True for _ in quantifiers_of(rule.when)):
                self.tested.add(rule.id)
        self._compares = compares
        self._values: dict[str, tuple[object, ...] | None] = {}
        # Per rule, the questions whose absence three-valued logic may judge wrongly:
        # read more than once, or by a comparison that cannot come out both ways.
        self.fragile: dict[str, frozenset[str]] = {}
        for rule in kb.rules:
            self.fragile[rule.id] = self._fragile(rule)
            self.exact[rule.id] = not self.fragile[rule.id]

    def values(self, qid: str) -> tuple[object, ...] | None:
        """The representative answers of a question; None if too many to enumerate."""
        if qid not in self._values:
            self._values[qid] = _domain(self.kb.by_id[qid], self._compares.get(qid, []))
        return self._values[qid]

    def _fragile(self, rule: Rule) -> frozenset[str]:
        """The questions that, left unanswered, make three-valued logic inexact for the rule.

        A rule reading each of its unanswered questions once, by comparisons that can
        come out either way, is judged exactly by three-valued logic (Kleene logic is
        exact on read-once formulas); answered questions do not matter.
        """
        found = list(_compares(rule.when))
        if rule.id in self.tested:
            return frozenset(c.question for c in found)
        seen: set[str] = set()
        fragile: set[str] = set()
        for c in found:
            if c.question in seen:
                fragile.add(c.question)
            seen.add(c.question)
            values = self.values(c.question)
            if values is None:
                fragile.add(c.question)
                continue
            test = compile_condition(c)
            outcomes = {test({c.question: v}, _applies) for v in values}  # type: ignore[dict-item]
            if outcomes != {True, False}:
                fragile.add(c.question)
        return frozenset(fragile)


def _applies(_qid: str) -> Truth:
    return True


def _compares(condition: Condition) -> Iterator[Compare]:
    """Every comparison of a condition, inside quantifiers too."""
    match condition:
        case Compare():
            yield condition
        case AllOf() | AnyOf():
            for part in condition.parts:
                yield from _compares(part)
        case Not() | Quantified():
            yield from _compares(condition.part)
        case _:  # pragma: no cover
            assert_never(condition)


def _domain(question: Question, compares: list[Compare]) -> tuple[object, ...] | None:
    kind = question.kind
    if kind == "yes_no":
        return (True, False)
    if kind == "one_of":
        return question.choice_ids
    if kind == "integer":
        return _integers(question, compares)
    if kind == "many_of":
        return _subsets(question, compares)
    said = {c.value for c in compares if isinstance(c.value, str)}
    return (*sorted(said), "\x00another text")


def _integers(question: Question, compares: list[Compare]) -> tuple[object, ...]:
    points: set[int] = set()
    for c in compares:
        value = c.value
        found = value if isinstance(value, tuple | frozenset) else (value,)
        points.update(v for v in found if isinstance(v, int) and not isinstance(v, bool))
    lo, hi = question.minimum, question.maximum
    near = {p + d for p in points for d in (-1, 0, 1)} | {x for x in (lo, hi) if x is not None}
    if not near:
        near = {0}
    return tuple(sorted(x for x in near if (lo is None or x >= lo) and (hi is None or x <= hi)))


def _subsets(question: Question, compares: list[Compare]) -> tuple[object, ...] | None:
    named: set[str] = set()
    for c in compares:
        value = c.value
        named.update(value if isinstance(value, frozenset) else {value})
    order = [c.id for c in question.choices if c.id in named]
    if len(order) > _MANY_LIMIT:
        return None
    alone = {c.id for c in question.choices if c.exclusive}
    shared = [c for c in order if c not in alone]
    found: list[tuple[str, ...]] = [(c,) for c in order if c in alone]
    for size in range(1, len(shared) + 1):
        found += list(combinations(shared, size))
    other = [c.id for c in question.choices if c.id not in named]
    if other:
        found.append((other[0],))
    return tuple(found)


def settle(
    domains: Domains,
    tests: Sequence[Test],
    verdict: Callable[[list[Truth]], bool],
    questions: Sequence[str],
    answers: Mapping[str, Answer],
    applies: Applicability,
) -> tuple[Truth, tuple[str, ...]]:
    """The verdict every completion of `questions` gives, or None and the questions that matter.

    `tests` are evaluated with each completion and `verdict` combines their
    truths. Past `CAP` completions, or on a domain too large, the outcome is
    left open with every question listed (the conservative answer).
    """
    spaces = _spaces(domains, questions, applies)
    if spaces is None:
        return None, tuple(questions)
    work = dict(answers)
    off: set[str] = set()

    def applies_now(qid: str) -> Truth:
        return False if qid in off else applies(qid)

    seen: dict[tuple[object, ...], bool] = {}
    for combo in product(*spaces):
        off.clear()
        for qid, value in zip(questions, combo, strict=True):
            if value is OFF:
                work.pop(qid, None)
                off.add(qid)
            else:
                work[qid] = value  # type: ignore[assignment]
        truths = [t(work, applies_now) for t in tests]
        if None in truths:
            return None, tuple(questions)
        seen[combo] = verdict(truths)
    outcomes = set(seen.values())
    if len(outcomes) == 1:
        return outcomes.pop(), ()
    return None, _mattering(questions, seen)


def _spaces(
    domains: Domains, questions: Sequence[str], applies: Applicability
) -> list[tuple[object, ...]] | None:
    """The answers each question could still get; None past `CAP` completions."""
    spaces: list[tuple[object, ...]] = []
    size = 1
    for qid in questions:
        values = domains.values(qid)
        if values is None:
            return None
        if applies(qid) is None:
            values = (*values, OFF)
        spaces.append(values)
        size *= len(values)
        if size > CAP:
            return None
    return spaces


def _mattering(questions: Sequence[str], seen: dict[tuple[object, ...], bool]) -> tuple[str, ...]:
    """The questions on which the verdict turns, with every other answer held."""
    found = []
    for i, qid in enumerate(questions):
        rest: dict[tuple[object, ...], bool] = {}
        for combo, value in seen.items():
            key = combo[:i] + combo[i + 1 :]
            if rest.setdefault(key, value) != value:
                found.append(qid)
                break
    return tuple(found)


def any_true(truths: list[Truth]) -> bool:
    """The verdict of an outcome any of whose rules brings it about."""
    return True in truths
