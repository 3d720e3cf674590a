"""Evaluate an answer set against the rules: pure, no I/O.

Exclusion always wins over candidacy. A procedure whose candidacy or safety
screen depends on an unanswered question is *undetermined*, never offered, and
the questions that would settle it are listed under `unknown`.

The decision (which procedures are candidates, excluded or undetermined, and
by which rules) is made in one place, `decide`. `evaluate` turns it into a
`Result`; `consult.output.resultjson` writes it straight to the result JSON for batch
runs. Both read the same decision, so they cannot disagree on an outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress, repeat
from operator import is_
from typing import Any

from consult.bank.codegen import CheckedTest, ManyTest, compile_checked, compile_rules
from consult.bank.model import (
    Answer,
    Applicability,
    Indication,
    KnowledgeBase,
    Procedure,
    Question,
    Rule,
    Truth,
    by_identity,
)
from consult.engine.answers import (
    AnswerSet,
    applicability,
    check_mapping,
    items_checks,
    value_check_lines,
)
from consult.engine.areas import AreaRules
from consult.engine.decideopen import Open as _Open
from consult.engine.result import (
    Candidate,
    Exclusion,
    Information,
    Reason,
    ReferralFinding,
    Result,
    Settled,
    Undetermined,
    Unknown,
)

__all__ = [
    "Candidate",
    "Decision",
    "Exclusion",
    "Information",
    "Reason",
    "ReferralFinding",
    "Result",
    "Undetermined",
    "Unknown",
    "decide",
    "decide_checked",
    "evaluate",
    "evaluate_traced",
    "merged_referrals",
]


def evaluate(kb: KnowledgeBase, answers: Mapping[str, Any] | AnswerSet) -> Result:
    """Evaluate answers (a plain mapping or a checked AnswerSet) against the rules.

    Raises:
        InvalidAnswers: naming the question, for an invalid plain mapping.
    """
    if isinstance(answers, AnswerSet):
        checked = answers
    else:
        # The generated checker first (it also works out the truths); the
        # validator words the messages whenever there is something to say.
        quick = plan_of(kb).check(answers) if isinstance(answers, Mapping) else None
        checked = quick or check_mapping(kb, answers)
    return _Results(decide_checked(kb, checked)).result(checked.warnings)


def evaluate_traced(kb: KnowledgeBase, answers: AnswerSet) -> tuple[Result, frozenset[str]]:
    """Evaluate a checked answer set; also return the ids of the rules that fired."""
    decision = decide_checked(kb, answers)
    result = _Results(decision).result(answers.warnings)
    return result, frozenset(r.id for r in decision.fired)


class Plan:
    """What the engine derives once per knowledge base.

    Every rule condition and every procedure's scope condition are compiled
    together into one generated function (`consult.bank.codegen`).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.procedures: tuple[Procedure, ...] = tuple(kb.procedures.values())
        self.rank = {p.id: n for n, p in enumerate(self.procedures)}  # procedures in bank order
        self.order: tuple[str, ...] = tuple(q.id for q in kb.questions)
        self.position = {qid: n for n, qid in enumerate(self.order)}
        conditions = [r.when for r in kb.rules]
        self.scopes: dict[str, tuple[int, int]] = {}
        for proc in self.procedures:
            start = len(conditions)
            conditions.extend(proc.scope)
            self.scopes[proc.id] = (start, len(conditions))
        # Rules over the treatment areas add their per-procedure conditions.
        self.areas = AreaRules(kb, conditions)
        self.conditions = conditions
        self._truths: ManyTest | None = None
        self._check: CheckedTest | None = None
        self._indications: dict[tuple[str, ...], tuple[Indication, ...]] = {}

    def truths(self, answers: Mapping[str, Answer]) -> tuple[Truth, ...]:
        """The truth of every rule and scope condition for checked answers.

        Compiled on first use: batch input and `evaluate` on a plain dict get
        their truths from `check` and never need this one.
        """
        if self._truths is None:
            self._truths = compile_rules(self.conditions, self.kb.questions)
        return self._truths(answers)

    def check(self, given: Mapping[str, Any]) -> AnswerSet | None:
        """A plain answer mapping checked, with its truths, if it needs no message; else None.

        One generated function checks the answers and computes the truths
        (`consult.bank.codegen.compile_checked`); whatever needs a message (a
        problem or a warning) is left to `consult.engine.answers.check_answers`.
        """
        checked = self.checked(given)
        if checked is None:
            return None
        return AnswerSet(checked[0], truths=(self, checked[1]))

    def checked(
        self, given: Mapping[str, Any]
    ) -> tuple[dict[str, Answer], tuple[Truth, ...]] | None:
        """What `check` gives, as (the checked answers, the truths), without an `AnswerSet`."""
        if self._check is None:
            kb = self.kb
            groups = items_checks(kb)
            self._check = compile_checked(self.conditions, kb.questions, value_check_lines, groups)
        return self._check(given)

    def indications(self, proc: Procedure, rules: Sequence[Rule]) -> tuple[Indication, ...]:
        """The indications the candidate rules of a procedure name, each once, in order."""
        key = (proc.id, *(r.id for r in rules))
        found = self._indications.get(key)
        if found is None:
            named = (proc.indication(r.indication) for r in rules if r.indication)
            found = self._indications[key] = tuple(dict.fromkeys(i for i in named if i))
        return found


_PLANS: dict[int, tuple[KnowledgeBase, Plan]] = {}


def plan_of(kb: KnowledgeBase) -> Plan:
    """The engine's plan of a knowledge base (built once per bank)."""
    return by_identity(_PLANS, kb, Plan, limit=8)


# What the decision lists: the procedure, then the rules behind the outcome.
CandidateOutcome = tuple[Procedure, list[Rule], list[Rule]]  # candidate rules, caveat rules
ExclusionOutcome = tuple[Procedure, list[Rule], bool]  # exclude rules, in scope
# waiting for (question ids), blocking rules, candidate rules, caveat rules
UndeterminedOutcome = tuple[Procedure, tuple[str, ...], list[Rule], list[Rule], list[Rule]]
UnknownOutcome = tuple[Question, tuple[str, ...], tuple[str, ...]]  # needed by, rule ids
# An outcome the open rules settle together: kind, target, verdict, rules, questions.
SettledOutcome = tuple[str, str, bool, tuple[Rule, ...], tuple[str, ...]]

_NONE: list[Rule] = []  # shared empty list: never appended to


class Decision:
    """The outcome of one answer set, as procedures and the rules behind them."""

    __slots__ = (
        "_applies",
        "_missing",
        "answers",
        "candidates",
        "excluded",
        "fired",
        "information",
        "open",
        "plan",
        "referrals",
        "settled",
        "undetermined",
        "unknown",
    )

    def __init__(
        self, plan: Plan, answers: Mapping[str, Answer], truths: tuple[Truth, ...] | None = None
    ) -> None:
        self.plan = plan
        self.answers = answers
        self._applies: Applicability | None = None
        self._missing: dict[str, list[str]] = {}
        if truths is None:
            truths = plan.truths(answers)
        rules = plan.kb.rules
        self.fired: list[Rule] = list(compress(rules, map(is_, truths, repeat(True))))
        areas = plan.areas
        # Rules over the treatment areas act per procedure: left out here, applied after.
        inner = areas.without(truths) if areas.sited else truths
        # A complete answer set leaves no rule open.
        self.open: list[Rule] = (
            list(compress(rules, map(is_, inner, repeat(None)))) if None in inner else []
        )
        raising = areas.in_areas(self.fired, answers) if areas.sited else self.fired
        self.referrals = [(rule, rid) for rule in raising for rid in rule.refer]
        self.information = [(rule, pid) for rule in self.fired for pid in rule.inform]
        self.candidates: list[CandidateOutcome] = []
        self.excluded: list[ExclusionOutcome] = []
        self.undetermined: list[UndeterminedOutcome] = []
        self.settled: list[SettledOutcome] = []
        self.unknown: list[UnknownOutcome] = []
        if not self.open:
            fired = (
                list(compress(rules, map(is_, inner, repeat(True)))) if areas.sited else self.fired
            )
            candidate, exclude, caveat = _by_procedure(fired)
            for proc in plan.procedures:
                pid = proc.id
                reasons = exclude.get(pid)
                if reasons is not None:
                    self.excluded.append((proc, reasons, self._in_scope(pid, truths)))
                elif pid in candidate:
                    self.candidates.append((proc, candidate[pid], caveat.get(pid, _NONE)))
        else:
            _Open(self, inner).decide()
        if areas.sited:
            areas.settle(self, truths)

    def _in_scope(self, pid: str, truths: tuple[Truth, ...]) -> bool:
        start, end = self.plan.scopes[pid]
        return start == end or any(t is not False for t in truths[start:end])

    def answers_of(self, rule: Rule) -> Mapping[str, Answer]:
        """The answers a rule reads: for a finding in one area, that area's over the rest."""
        return self.plan.areas.answers_of(rule, self.answers)

    def read(self, rule: Rule) -> dict[str, Answer]:
        """The answers a rule read (those given); a finding in one area reads that area's."""
        answers = self.answers_of(rule)
        return {q: answers[q] for q in rule.questions if q in answers}

    def applies(self) -> Applicability:
        """Which questions apply to these answers (three-valued, memoised)."""
        if self._applies is None:
            self._applies = applicability(self.plan.kb, self.answers)
        return self._applies

    def missing(self, rules: Sequence[Rule]) -> tuple[str, ...]:
        """The questions open rules read that are unanswered and not switched off, in bank order."""
        if len(rules) == 1:
            return tuple(self.missing_of(rules[0]))  # a rule's questions are in bank order
        wanted = {q for r in rules for q in self.missing_of(r)}
        return tuple(sorted(wanted, key=self.plan.position.__getitem__))

    def missing_of(self, rule: Rule) -> list[str]:
        """The questions of an open rule that are unanswered and not switched off."""
        found = self._missing.get(rule.id)
        if found is None:
            answers, applies = self.answers, self.applies()
            found = [q for q in rule.questions if q not in answers and applies(q) is not False]
            self._missing[rule.id] = found
        return found


def _by_procedure(rules: list[Rule]) -> tuple[dict[str, list[Rule]], ...]:
    """The rules by the procedures they make a candidate, exclude and caution about."""
    candidate: dict[str, list[Rule]] = {}
    exclude: dict[str, list[Rule]] = {}
    caveat: dict[str, list[Rule]] = {}
    for rule in rules:
        for pid in rule.candidate:
            candidate.setdefault(pid, []).append(rule)
        for pid in rule.exclude:
            exclude.setdefault(pid, []).append(rule)
        for pid in rule.caveat:
            caveat.setdefault(pid, []).append(rule)
    return candidate, exclude, caveat


def merged_referrals(referrals: Sequence[tuple[Rule, str]]) -> list[tuple[str, list[Rule]]]:
    """Each referral once, in the order first raised, with every rule that raised it."""
    merged: dict[str, list[Rule]] = {}
    for rule, rid in referrals:
        merged.setdefault(rid, []).append(rule)
    return list(merged.items())


def decide(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> Decision:
    """The decision for a checked answer mapping (see `consult.engine.answers`)."""
    return Decision(plan_of(kb), answers)


def decide_checked(kb: KnowledgeBase, answers: AnswerSet) -> Decision:
    """The decision for a checked answer set, reusing truths worked out while checking."""
    plan = plan_of(kb)
    known = answers.truths
    truths = known[1] if known is not None and known[0] is plan else None
    return Decision(plan, answers.answers, truths)


class _Results:
    """Builds the `Result` records of a decision."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self._why: dict[str, Reason] = {}

    def _reason(self, rule: Rule) -> Reason:
        # One Reason per fired rule, shared by every procedure the rule names.
        key = f"{rule.id}@{rule.area}" if rule.area else rule.id  # one per rule and area
        reason = self._why.get(key)
        if reason is None:
            read = self.decision.read(rule)
            reason = self._why[key] = Reason(rule.text, rule.id, read, rule.basis, rule.area)
        return reason

    def _reasons(self, rules: list[Rule]) -> tuple[Reason, ...]:
        return tuple(map(self._reason, rules))

    def result(self, warnings: tuple[str, ...]) -> Result:
        d = self.decision
        kb = d.plan.kb
        return Result(
            candidates=tuple(self._candidate(*c) for c in d.candidates),
            excluded=tuple(
                Exclusion(proc, self._reasons(rules), in_scope)
                for proc, rules, in_scope in d.excluded
            ),
            undetermined=tuple(
                Undetermined(
                    proc,
                    waiting,
                    tuple(r.id for r in blocking),
                    tuple(r.id for r in fits),
                    self._reasons(cautions),
                )
                for proc, waiting, blocking, fits, cautions in d.undetermined
            ),
            referrals=tuple(
                self._referral(rid, rules) for rid, rules in merged_referrals(d.referrals)
            ),
            information=tuple(
                Information(kb.procedures[pid], self._reason(rule)) for rule, pid in d.information
            ),
            unknown=tuple(Unknown(q.id, q.text, needed, rules) for q, needed, rules in d.unknown),
            settled=tuple(
                Settled(kind, target, verdict, tuple(r.id for r in rules), questions)
                for kind, target, verdict, rules, questions in d.settled
            ),
            warnings=warnings,
            version=kb.version,
            sha256=kb.sha256,
            answers=d.answers,
        )

    def _referral(self, rid: str, rules: list[Rule]) -> ReferralFinding:
        first, *more = self._reasons(rules)
        name = self.decision.plan.kb.referrals[rid].name
        return ReferralFinding(rid, name, first, tuple(more))

    def _candidate(self, proc: Procedure, rules: list[Rule], cautions: list[Rule]) -> Candidate:
        read: dict[str, Answer] = {}
        for rule in rules:
            read.update(self.decision.read(rule))
        indications = self.decision.plan.indications(proc, rules)
        return Candidate(
            proc, tuple(r.id for r in rules), read, indications, self._reasons(cautions)
        )
