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
from pathlib import Path
from typing import Any, cast

from consult.bank.model import (
    EFFECTS,
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
    Rule,
    Truth,
)
from consult.bank.truth import holds, quantifiers_of
from consult.bank.yamlsource import YamlProblem, parse, read_text
from consult.engine.answers import AnswerSet, answer_set_from_node, applicability, as_document
from consult.engine.decide import Decision, decide
from consult.engine.whynot import REMOVE, Patch, Search
from consult.errors import InvalidAnswers, Problem, Source, display_path

Change = tuple[tuple[str, Answer | None], ...]  # question id -> new answer (None: removed)
TRUTH_WORDS = {True: "true", False: "false", None: "unknown"}
_OPS = {
    "equals": "=",
    "one_of": "is one of",
    "contains": "includes",
    "contains_any": "includes any of",
    "contains_all": "includes all of",
    "gte": ">=",
    "gt": ">",
    "lte": "<=",
    "lt": "<",
    "between": "between",
    "answered": "is answered",
    "unanswered": "is unanswered",
}


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
class Outcome:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
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


def read_answers(kb: KnowledgeBase, text: str, name: str) -> AnswerSet:
    """The checked answers of an answer file, or of a scenario file's `answers`.

    Raises:
        InvalidAnswers: a located problem with the file.
    """
    try:
        root = parse(text, name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    if root is None:
        raise InvalidAnswers([Problem(Source(name, 1, 1), "file is empty")])
    scenario = root.is_mapping and "expect" in root.value and "answers" in root.value
    if scenario:
        return answer_set_from_node(kb, as_document(root.value["answers"]), name)
    return answer_set_from_node(kb, root, name)


def read_answers_file(kb: KnowledgeBase, path: Path) -> AnswerSet:
    """`read_answers` on a file; raises InputError when it cannot be read."""
    name = display_path(path)
    return read_answers(kb, read_text(path, name), name)


def targets(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every outcome that can be explained: the procedures, then the referrals."""
    return (*kb.procedures, *kb.referrals)


def explain(
    kb: KnowledgeBase, answers: Mapping[str, Answer], wanted: Iterable[str] = ()
) -> tuple[Outcome, ...]:
    """Explain the outcomes asked for (all by default) on checked answers.

    Raises:
        KeyError: naming an id that is neither a procedure nor a referral.
    """
    ids = tuple(wanted) or targets(kb)
    for target in ids:
        if target not in kb.procedures and target not in kb.referrals:
            raise KeyError(target)
    return tuple(_Explainer(kb, answers).outcome(target) for target in ids)


class _Explainer:
    def __init__(self, kb: KnowledgeBase, answers: Mapping[str, Answer]) -> None:
        self.kb = kb
        self.answers = answers
        self.applies: Applicability = applicability(kb, answers)
        self.decision = decide(kb, answers)
        self.search = Search(kb, answers)

    def outcome(self, target: str) -> Outcome:
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
        # A change inside the treatment areas is not searched for (see `whynot`).
        in_areas = condition is not None and any(
            isinstance(self.answers.get(q.group), Items) for q in quantifiers_of(condition)
        )
        reachable = bool(wanted) and condition is not None and not in_areas
        change = self._why_not(target, naming) if reachable else None
        return Outcome(target, kind, name, status, decided, traces, wanted, reachable, change)

    def _trace(self, rule: Rule, target: str) -> RuleTrace:
        effects = tuple(e for e in EFFECTS if target in getattr(rule, e))
        truth = rule.test(self.answers, self.applies)
        step = self._step(rule.when)
        return RuleTrace(rule.id, effects, truth, step, rule.text, str(rule.source))

    def _step(self, condition: Condition) -> Step:
        truth = holds(condition, self.answers, self.applies)
        if isinstance(condition, Compare):
            qid = condition.question
            asked = self.applies(qid) is not False
            read = Read(qid, self.answers.get(qid), asked)
            return Step(describe_test(condition), truth, reads=(read,))
        if isinstance(condition, Not):
            return Step("not", truth, parts=(self._step(condition.part),))
        if isinstance(condition, Quantified):  # over the treatment areas: named, not traced
            return Step(f"{condition.kind} {condition.group}", truth)
        word = "all" if isinstance(condition, AllOf) else "any"
        return Step(word, truth, parts=tuple(self._step(p) for p in condition.parts))

    def _why_not(self, target: str, naming: list[Rule]) -> Change | None:
        wanted = _wanted_condition(target, naming, self.kb)
        if wanted is None:
            return None
        if target in self.kb.procedures:
            found = self.search.smallest(wanted, lambda d: _is_candidate(d, target))
        else:
            found = self.search.smallest(wanted, lambda d: any(r == target for _, r in d.referrals))
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
    return any(proc.id == target for proc, _, _ in decision.candidates)


def _procedure_status(decision: Decision, target: str) -> tuple[str, tuple[str, ...]]:
    for proc, rules, _caveats in decision.candidates:
        if proc.id == target:
            return "candidate", tuple(r.id for r in rules)
    for proc, rules, _in_scope in decision.excluded:
        if proc.id == target:
            return "excluded", tuple(r.id for r in rules)
    for proc, _waiting, blocking, _fits, _cautions in decision.undetermined:
        if proc.id == target:
            return "undetermined", tuple(r.id for r in blocking)
    return "not a candidate", ()


def _referral_status(decision: Decision, target: str) -> tuple[str, tuple[str, ...]]:
    raised = tuple(rule.id for rule, rid in decision.referrals if rid == target)
    if raised:
        return "raised", raised
    open_rules = tuple(r.id for r in decision.open if target in r.refer)
    if open_rules:
        return "undetermined", open_rules
    return "not raised", ()


def describe_test(test: Compare) -> str:
    """A comparison as the clinical lead reads it, e.g. `age >= 18`."""
    op = _OPS[test.op]
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
