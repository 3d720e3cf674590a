"""Explain an outcome: every rule that names it, each condition's truth, what decided.

For the people who maintain the bank (`consult explain`). For each procedure or
referral asked about: its outcome on these answers, every rule that names it
with the truth of each of its conditions (true, false or unknown) and the
answers each read, the rules that decided, and, for an outcome that did not
happen, the smallest change of answers found that would make it happen
(`consult.engine.whynot`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from consult.bank.model import (
    EFFECTS,
    AllOf,
    Answer,
    AnyOf,
    Applicability,
    Compare,
    Condition,
    KnowledgeBase,
    Not,
    Quantified,
    Rule,
    Truth,
)
from consult.bank.operators import OPERATORS
from consult.bank.truth import applicability, holds, items_in_view
from consult.engine.decide import Decision, decide
from consult.engine.whynot import REMOVE, Patch, Search

Change = tuple[tuple[str, Answer | None], ...]  # question id -> new answer (None: removed)
TRUTH_WORDS = {True: "true", False: "false", None: "unknown"}


@dataclass(frozen=True, slots=True)
class Read:
    """One answer a condition read: the value, or none (unanswered or not asked)."""

    question: str
    answer: Answer | None
    asked: bool  # false when the question is switched off by its `when`

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        value = list(self.answer) if isinstance(self.answer, tuple) else self.answer
        return {"question": self.question, "answer": value, "asked": self.asked}


@dataclass(frozen=True, slots=True)
class Step:
    """One node of a rule's condition with its truth on these answers."""

    test: str  # "age >= 18", or "all" / "any" / "not" for a group
    truth: Truth
    reads: tuple[Read, ...] = ()
    parts: tuple[Step, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data: dict[str, Any] = {"test": self.test, "truth": TRUTH_WORDS[self.truth]}
        if self.reads:
            data["answers"] = [r.to_dict() for r in self.reads]
        if self.parts:
            data["parts"] = [p.to_dict() for p in self.parts]
        return data


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """A rule that names the outcome, what it does to it, and its condition traced."""

    rule: str
    effects: tuple[str, ...]  # candidate, exclude, caveat, refer, inform
    truth: Truth
    condition: Step
    text: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "rule": self.rule,
            "effects": list(self.effects),
            "truth": TRUTH_WORDS[self.truth],
            "text": self.text,
            "source": self.source,
            "condition": self.condition.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Explained:
    """Why one procedure or referral is what it is on these answers."""

    id: str
    kind: str  # procedure or referral
    name: str
    status: str  # candidate, excluded, undetermined, not a candidate; raised, not raised
    decided_by: tuple[str, ...]
    rules: tuple[RuleTrace, ...]
    wanted: str  # the outcome "why not" looks for, "" when it happened
    reachable: bool  # some rule can make the wanted outcome happen
    change: Change | None  # None: no change found
    area: str | None = None  # the treatment area (its site); None: the area not placed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "area": self.area,
            "status": self.status,
            "decided_by": list(self.decided_by),
            "rules": [r.to_dict() for r in self.rules],
        }
        if self.wanted:
            change = None
            if self.change is not None:
                change = [
                    {"question": q, "answer": list(v) if isinstance(v, tuple) else v}
                    for q, v in self.change
                ]
            data["why_not"] = {
                "wanted": self.wanted,
                "reachable": self.reachable,
                "change": change,
            }
        return data


def targets(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every outcome that can be explained: the procedures, then the referrals."""
    return (*kb.procedures, *kb.referrals)


def explain(
    kb: KnowledgeBase, answers: Mapping[str, Answer], wanted: Iterable[str] = ()
) -> tuple[Explained, ...]:
    """Explain the outcomes asked for (all by default) on checked answers.

    Raises:
        KeyError: naming an id that is neither a procedure nor a referral.
    """
    ids = tuple(wanted) or targets(kb)
    for target in ids:
        if target not in kb.procedures and target not in kb.referrals:
            raise KeyError(target)
    explainers = [_Explainer(kb, answers, d) for d in decide(kb, answers)]
    return tuple(
        e.outcome(target)
        for target in ids
        for e in explainers
        if target in kb.referrals or e.area.treats(kb.procedures[target])
    )


class _Explainer:
    """Explains outcomes in one treatment area, on its view."""

    def __init__(
        self, kb: KnowledgeBase, answers: Mapping[str, Answer], decision: Decision
    ) -> None:
        self.kb = kb
        self.area = decision.area
        self.answers = decision.answers
        self.applies: Applicability = applicability(kb, self.answers, applicability(kb, answers))
        self.decision = decision
        # Changes are searched for in this area alone: its view, as one consultation.
        group = (kb.areas.id, kb.areas.key) if kb.areas is not None else ()
        self.search = Search(kb, {q: v for q, v in self.answers.items() if q not in group})

    def outcome(self, target: str) -> Explained:
        naming = [r for r in self.kb.rules if any(target in getattr(r, e) for e in EFFECTS)]
        traces = tuple(self._trace(rule, target) for rule in naming)
        if target in self.kb.procedures:
            name, kind = self.kb.procedures[target].name, "procedure"
            status, decided = _procedure_status(self.decision, target)
            wanted = "candidate" if status != "candidate" else ""
        else:
            name, kind = self.kb.referrals[target].name, "referral"
            status, decided = _referral_status(self.decision, target)
            wanted = "raised" if status != "raised" else ""
        condition = _wanted_condition(target, naming, self.kb)
        reachable = bool(wanted) and condition is not None
        change = self._why_not(target, naming) if reachable else None
        return Explained(
            target, kind, name, status, decided, traces, wanted, reachable, change, self.area.site
        )

    def _trace(self, rule: Rule, target: str) -> RuleTrace:
        effects = tuple(e for e in EFFECTS if target in getattr(rule, e))
        truth = rule.test(self.answers, self.applies)
        step = self._step(rule.when, self.answers)
        return RuleTrace(rule.id, effects, truth, step, rule.text, str(rule.source))

    def _step(self, condition: Condition, answers: Mapping[str, Answer]) -> Step:
        truth = holds(condition, answers, self.applies)
        if isinstance(condition, Compare):
            qid = condition.question
            asked = self.applies(qid) is not False
            read = Read(qid, answers.get(qid), asked)
            return Step(describe_test(condition), truth, reads=(read,))
        if isinstance(condition, Not):
            return Step("not", truth, parts=(self._step(condition.part, answers),))
        if isinstance(condition, Quantified):  # each area, read with its own answers
            parts = tuple(
                self._area_step(condition, view) for view in items_in_view(answers, condition.group)
            )
            return Step(f"{condition.kind} {condition.group}", truth, parts=parts)
        word = "all" if isinstance(condition, AllOf) else "any"
        return Step(word, truth, parts=tuple(self._step(p, answers) for p in condition.parts))

    def _area_step(self, condition: Quantified, view: Mapping[str, Answer]) -> Step:
        site = view.get(condition.key)
        step = self._step(condition.part, view)
        return Step(f"area {site}" if site else "every area", step.truth, parts=(step,))

    def _why_not(self, target: str, naming: list[Rule]) -> Change | None:
        wanted = _wanted_condition(target, naming, self.kb)
        if wanted is None:
            return None
        if target in self.kb.procedures:
            found = self.search.smallest(wanted, lambda d: _is_candidate(d, target))
        else:
            found = self.search.smallest(
                wanted, lambda d: any(r.target == target for r in d.referrals)
            )
        return None if found is None else _change(self.kb, found)


def _change(kb: KnowledgeBase, patch: Patch) -> Change:
    """The change in bank order; a removed answer is None."""
    order = [q.id for q in kb.questions]
    return tuple(
        (q, None if patch[q] is REMOVE else cast(Answer, patch[q])) for q in order if q in patch
    )


def _wanted_condition(target: str, naming: list[Rule], kb: KnowledgeBase) -> Condition | None:
    """The condition under which the outcome happens, or None if no rule can make it happen."""
    if target in kb.referrals:
        raising = [r.when for r in naming if target in r.refer]
        return _any(raising)
    fits = [r.when for r in naming if target in r.candidate]
    blocks = [Not(part=r.when, source=r.source) for r in naming if target in r.exclude]
    if not fits:
        return None
    fit = _any(fits)
    assert fit is not None
    return AllOf(parts=(fit, *blocks), source=fit.source) if blocks else fit


def _any(conditions: list[Condition]) -> Condition | None:
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return AnyOf(parts=tuple(conditions), source=conditions[0].source)


def _is_candidate(decision: Decision, target: str) -> bool:
    return any(fit.procedure.id == target for fit in decision.candidates)


def _procedure_status(decision: Decision, target: str) -> tuple[str, tuple[str, ...]]:
    for fit in decision.candidates:
        if fit.procedure.id == target:
            return "candidate", tuple(r.id for r in fit.rules)
    for out in decision.excluded:
        if out.procedure.id == target:
            return "excluded", tuple(r.id for r in out.rules)
    for pending in decision.undetermined:
        if pending.procedure.id == target:
            return "undetermined", tuple(r.id for r in pending.blocking)
    return "not a candidate", ()


def _referral_status(decision: Decision, target: str) -> tuple[str, tuple[str, ...]]:
    raised = tuple(r.rule.id for r in decision.referrals if r.target == target)
    if raised:
        return "raised", raised
    open_rules = tuple(r.id for r in decision.open if target in r.refer)
    if open_rules:
        return "undetermined", open_rules
    return "not raised", ()


def describe_test(test: Compare) -> str:
    """A comparison as the clinical lead reads it, e.g. `age >= 18`."""
    op = OPERATORS[test.op].words
    if test.op in {"answered", "unanswered"}:
        return f"{test.question} {op}"
    if test.op == "between":
        assert isinstance(test.value, tuple)
        return f"{test.question} between {test.value[0]} and {test.value[1]}"
    return f"{test.question} {op} {_value_words(test.value)}"


def _value_words(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return str(value)
