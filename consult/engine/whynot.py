"""Why not: the smallest change of answers found that makes an outcome happen.

The wanted outcome is written as a condition ("some candidate rule holds and no
exclusion rule holds or is open"); `ways` lists answer changes that make a
condition true or false, smallest first, and each change is then checked for
real: the changed answers go through the answer validator (switched-off
answers dropped) and the engine's decision. Only a change the decision
confirms is reported. The search is bounded, so "none found" can mean the
rules allow no such answers or that the change is larger than the search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import product

from consult.answers.check import check_mapping
from consult.bank.model import (
    AllOf,
    Answer,
    AnyOf,
    Applicability,
    Compare,
    Condition,
    Items,
    KnowledgeBase,
    Not,
    Quantified,
    Question,
    plain_answer,
)
from consult.bank.operators import OPERATORS
from consult.bank.truth import applicability, holds
from consult.engine.decide import Decision, decide
from consult.errors import InvalidAnswers

REMOVE = object()  # a change that takes an answer away
Patch = dict[str, object]  # question id -> new answer, or REMOVE
KEEP = 24  # alternatives kept per condition
TRIES = 64  # changes checked with the engine, per starting point
ROUNDS = 3  # times a change that fell short is extended
WIDTH = 4  # changes that fell short kept for the next round


class Search:
    """Finds answer changes for one answer set."""

    def __init__(self, kb: KnowledgeBase, answers: Mapping[str, Answer]) -> None:
        self.kb = kb
        self.answers = answers
        self.applies: Applicability = applicability(kb, answers)

    def smallest(self, wanted: Condition, reached: Callable[[Decision], bool]) -> Patch | None:
        """The smallest change found after which `reached` holds; None if none is found.

        A change can open new questions (answering `concerns` switches on the
        questions of that concern, and their safety rules are then open), so a
        change that falls short is extended from where it led, for a few rounds.
        """
        frontier: list[tuple[Patch, Mapping[str, Answer]]] = [({}, self.answers)]
        for _ in range(ROUNDS):
            best: Patch | None = None
            further: list[tuple[Patch, Mapping[str, Answer]]] = []
            for done, answers in frontier:
                for patch in Search(self.kb, answers).ways(wanted, want=True)[:TRIES]:
                    total = {**done, **patch}
                    changed = self._changed(total)
                    if not changed or (best is not None and len(changed) >= len(best)):
                        continue
                    try:
                        checked = check_mapping(self.kb, _apply(self.answers, changed)).answers
                    except InvalidAnswers:
                        continue
                    if any(map(reached, decide(self.kb, checked))):
                        best = changed
                    elif len(further) < WIDTH:
                        further.append((changed, checked))
            if best is not None or not further:
                return best
            frontier = further
        return None

    def _changed(self, patch: Patch) -> Patch:
        """The entries of `patch` that differ from the answers given."""
        answers = self.answers
        return {
            q: v
            for q, v in patch.items()
            if (v is REMOVE and q in answers) or (v is not REMOVE and answers.get(q) != v)
        }

    def ways(self, condition: Condition, *, want: bool) -> list[Patch]:
        """Answer changes that make `condition` evaluate to `want`, smallest first."""
        if holds(condition, self.answers, self.applies) is want:
            return [{}]
        if isinstance(condition, Not):
            return self.ways(condition.part, want=not want)
        if isinstance(condition, AllOf | AnyOf):
            options = [self.ways(part, want=want) for part in condition.parts]
            every = isinstance(condition, AllOf) == want
            return _every(options) if every else _some(options)
        if isinstance(condition, Quantified):
            if isinstance(self.answers.get(condition.group), Items):
                return []  # a change inside the treatment areas is not searched for
            return self.ways(condition.part, want=want)  # no areas: the answers for all
        return self._compare(condition, want)

    def _compare(self, test: Compare, want: bool) -> list[Patch]:
        question = self.kb.by_id[test.question]
        current = self.answers.get(test.question)
        values = _values(question, test, want, current)
        patches: list[Patch] = [{question.id: v} for v in values]
        if question.when is not None and self.applies(question.id) is not True:
            patches = _every([patches, self.ways(question.when, want=True)])
        return patches


def _apply(answers: Mapping[str, Answer], patch: Patch) -> dict[str, object]:
    # Plain data, as `check_mapping` takes it (treatment areas as lists of mappings).
    changed: dict[str, object] = {q: plain_answer(v) for q, v in answers.items()}
    for qid, value in patch.items():
        if value is REMOVE:
            changed.pop(qid, None)
        else:
            changed[qid] = value
    return changed


def _some(options: Iterable[list[Patch]]) -> list[Patch]:
    """Any one of the alternatives: their union, smallest first."""
    found: dict[str, Patch] = {}
    for patches in options:
        for patch in patches:
            found.setdefault(repr(sorted(patch.items(), key=repr)), patch)
    return sorted(found.values(), key=len)[:KEEP]


def _every(options: Iterable[list[Patch]]) -> list[Patch]:
    """All of them at once: consistent combinations, smallest first."""
    combined: list[Patch] = [{}]
    for patches in options:
        merged = (_merge(a, b) for a, b in product(combined, patches))
        combined = _some([[m for m in merged if m is not None]])
        if not combined:
            return []
    return combined


def _merge(a: Patch, b: Patch) -> Patch | None:
    merged = dict(a)
    for qid, value in b.items():
        if qid not in merged or merged[qid] == value:
            merged[qid] = value
        elif isinstance(value, tuple) and isinstance(merged[qid], tuple):
            merged[qid] = tuple(dict.fromkeys((*merged[qid], *value)))  # type: ignore[misc]
        else:
            return None
    return merged


def _values(question: Question, test: Compare, want: bool, current: object) -> list[object]:
    """Answers to `question` that make the comparison `want` (REMOVE: no answer), nearest first.

    The answers tried are those near the comparison's own values (a threshold
    and its neighbours, the choices it names added to or taken from the current
    ones, the range's ends); the operator (`consult.bank.operators`) says which
    of them give `want`.
    """
    operator = OPERATORS[test.op]
    if operator.holds is None:  # answered / unanswered
        give = (test.op == "answered") == want
        return [_any_value(question)] if give else [REMOVE]
    holds = operator.holds
    tried = [v for v in _near(question, test.value, current) if _valid(question, v)]
    found = [v for v in dict.fromkeys(tried) if holds(v, test.value) is want]
    return sorted(found, key=lambda v: _distance(question, v, current))[:KEEP]


def _near(question: Question, value: object, current: object) -> list[object]:
    """Answers near a comparison's value and the current answer."""
    named = sorted(value, key=repr) if isinstance(value, frozenset | tuple) else [value]
    if question.kind == "integer":
        ends = [x for x in (question.minimum, question.maximum) if x is not None]
        near: list[object] = [n + d for n in named if isinstance(n, int) for d in (0, -1, 1)]
        return near + ends
    if question.kind == "many_of":
        return _choice_sets(question, [str(n) for n in named], current)
    if question.kind == "text":
        return [*named, f"not {named[0]}"]
    return list(question.choice_ids) if question.kind == "one_of" else [True, False]


def _choice_sets(question: Question, named: list[str], current: object) -> list[object]:
    """The current choices with named ones added or taken away, and single choices."""
    found: list[object] = [_with(question, current, [n]) for n in named]
    found += [_with(question, current, named)]
    found += [x for n in named for x in _without(question, current, [n])]
    found += _without(question, current, named)
    return found


def _distance(question: Question, value: object, current: object) -> tuple[int, int]:
    """How far an answer is from the current one (then the bank's order of choices)."""
    if question.kind == "integer" and isinstance(value, int):
        return (abs(value - current) if isinstance(current, int) else 0, 0)
    if isinstance(value, tuple):
        now = set(_picked(current))
        return (len(now.symmetric_difference(value)), 0)
    return (0, 0)


def _any_value(question: Question) -> object:
    if question.kind == "yes_no":
        return False
    if question.kind == "integer":
        return question.minimum if question.minimum is not None else 0
    if question.kind == "one_of":
        return question.choice_ids[0]
    if question.kind == "many_of":
        return (question.choice_ids[0],)
    return "-"


def _valid(question: Question, value: object) -> bool:
    if question.kind == "integer" and isinstance(value, int):
        lo, hi = question.minimum, question.maximum
        return (lo is None or value >= lo) and (hi is None or value <= hi)
    if question.kind == "many_of":
        return isinstance(value, tuple) and bool(value)
    return True


def _picked(current: object) -> tuple[str, ...]:
    return tuple(current) if isinstance(current, tuple) else ()


def _with(question: Question, current: object, add: Iterable[object]) -> tuple[str, ...]:
    """The current choices plus `add`; an exclusive choice stands alone."""
    alone = {c.id for c in question.choices if c.exclusive}
    adding = set(map(str, add))
    if adding & alone:
        return tuple(sorted(adding & alone))[:1]
    keep = {c for c in _picked(current) if c not in alone} | adding
    return tuple(c for c in question.choice_ids if c in keep)


def _without(question: Question, current: object, drop: Iterable[object]) -> list[object]:
    dropping = set(map(str, drop))
    kept = tuple(c for c in _picked(current) if c not in dropping)
    if kept:
        return [kept]
    # Nothing left: another choice alone, an exclusive one ("none of these") first.
    others = [c.id for c in question.choices if c.id not in dropping]
    alone = [c.id for c in question.choices if c.exclusive and c.id not in dropping]
    return [(c,) for c in dict.fromkeys([*alone, *others[:3]])]
