"""Evaluate an answer set against the rules: pure, no I/O.

Exclusion always wins over candidacy. A procedure whose candidacy or safety
screen depends on an unanswered question is *undetermined*, never offered, and
the questions that would settle it are listed under `unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from itertools import compress, repeat
from operator import is_
from typing import Any

from consult.answers import AnswerSet, applicability, check_mapping
from consult.codegen import ManyTest, compile_rules
from consult.model import (
    Answer,
    Applicability,
    Indication,
    KnowledgeBase,
    Procedure,
    Rule,
    Truth,
    by_identity,
)
from consult.result import (
    Candidate,
    Exclusion,
    Information,
    Reason,
    ReferralFinding,
    Result,
    Undetermined,
    Unknown,
)

__all__ = [
    "Candidate",
    "Exclusion",
    "Information",
    "Reason",
    "ReferralFinding",
    "Result",
    "Undetermined",
    "Unknown",
    "evaluate",
    "evaluate_traced",
]


def evaluate(kb: KnowledgeBase, answers: Mapping[str, Any] | AnswerSet) -> Result:
    """Evaluate answers (a plain mapping or a checked AnswerSet) against the rules.

    Raises:
        InvalidAnswers: naming the question, for an invalid plain mapping.
    """
    checked = answers if isinstance(answers, AnswerSet) else check_mapping(kb, answers)
    return _Evaluation(kb, checked.answers).run(checked.warnings)


def evaluate_traced(kb: KnowledgeBase, answers: AnswerSet) -> tuple[Result, frozenset[str]]:
    """Evaluate a checked answer set; also return the ids of the rules that fired."""
    evaluation = _Evaluation(kb, answers.answers)
    result = evaluation.run(answers.warnings)
    return result, frozenset(r.id for rules in evaluation.fired.values() for r in rules)


class _Plan:
    """What the engine derives once per knowledge base: all rules compiled together."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.truths: ManyTest = compile_rules([r.when for r in kb.rules], kb.questions)


_PLANS: dict[int, tuple[KnowledgeBase, _Plan]] = {}


def _plan(kb: KnowledgeBase) -> _Plan:
    return by_identity(_PLANS, kb, _Plan, limit=8)


class _Evaluation:
    def __init__(self, kb: KnowledgeBase, answers: Mapping[str, Answer]) -> None:
        self.kb = kb
        self.answers = answers
        self.applies: Applicability = applicability(kb, answers)
        self.fired: dict[str, list[Rule]] = {}
        self.open: dict[str, list[Rule]] = {}
        self.open_rules: list[Rule] = []  # in bank order
        self._why: dict[str, Reason] = {}

    def run(self, warnings: tuple[str, ...]) -> Result:
        truths: tuple[Truth, ...] = _plan(self.kb).truths(self.answers)
        rules = self.kb.rules
        self.fired = _by_kind(list(compress(rules, map(is_, truths, repeat(True)))))
        if None in truths:  # a complete answer set leaves no rule open
            self.open_rules = list(compress(rules, map(is_, truths, repeat(None))))
        self.open = _by_kind(self.open_rules)
        return self._result(warnings)

    def _read(self, rule: Rule) -> dict[str, Answer]:
        answers = self.answers
        return {q: answers[q] for q in rule.questions if q in answers}

    def _reason(self, rule: Rule) -> Reason:
        # One Reason per fired rule, shared by every procedure the rule names.
        reason = self._why.get(rule.id)
        if reason is None:
            reason = self._why[rule.id] = Reason(rule.text, rule.id, self._read(rule))
        return reason

    def _reasons(self, kind: str, target: str) -> list[Reason]:
        return [self._reason(r) for r in self.fired[kind] if target in getattr(r, kind)]

    def _result(self, warnings: tuple[str, ...]) -> Result:
        kb = self.kb
        # Every reason of every exclusion in one pass over the fired exclude rules.
        ex_reasons: dict[str, list[Reason]] = {}
        for rule in self.fired["exclude"]:
            reason = self._reason(rule)
            for pid in rule.exclude:
                ex_reasons.setdefault(pid, []).append(reason)
        excluded_ids = ex_reasons.keys()
        candidate_ids = {p for r in self.fired["candidate"] for p in r.candidate}
        maybe_candidate = {p for r in self.open["candidate"] for p in r.candidate}
        maybe_excluded = {p for r in self.open["exclude"] for p in r.exclude}
        candidates, excluded, undetermined = [], [], []
        for pid, proc in kb.procedures.items():
            if pid in excluded_ids:
                reasons = tuple(ex_reasons[pid])
                excluded.append(Exclusion(proc, reasons, self._in_scope(proc)))
            elif pid in candidate_ids and pid not in maybe_excluded:
                candidates.append(self._candidate(proc))
            elif pid in candidate_ids or pid in maybe_candidate:
                undetermined.append(self._undetermined(proc, pid in candidate_ids))
        live = {c.procedure.id for c in candidates} | {u.procedure.id for u in undetermined}
        return Result(
            candidates=tuple(candidates),
            excluded=tuple(excluded),
            undetermined=tuple(undetermined),
            referrals=self._referrals(),
            information=self._information(),
            unknown=self._unknown(live, excluded_ids, candidate_ids),
            warnings=warnings,
            version=kb.version,
            sha256=kb.sha256,
            answers=self.answers,
        )

    def _in_scope(self, proc: Procedure) -> bool:
        answers, applies = self.answers, self.applies
        return not proc.scope or any(t(answers, applies) is not False for t in proc.scope)

    def _candidate(self, proc: Procedure) -> Candidate:
        rules = [r for r in self.fired["candidate"] if proc.id in r.candidate]
        read: dict[str, Answer] = {}
        indications: list[Indication] = []
        for rule in rules:
            read.update(self._read(rule))
            found = proc.indication(rule.indication) if rule.indication else None
            if found is not None and found not in indications:
                indications.append(found)
        caveats = tuple(self._reasons("caveat", proc.id))
        return Candidate(proc, tuple(r.id for r in rules), read, tuple(indications), caveats)

    def _undetermined(self, proc: Procedure, is_candidate: bool) -> Undetermined:
        pid = proc.id
        blocking = [r for r in self.open["exclude"] if pid in r.exclude]
        if not is_candidate:
            blocking = [r for r in self.open["candidate"] if pid in r.candidate]
        candidate_rules = tuple(r.id for r in self.fired["candidate"] if pid in r.candidate)
        caveats = tuple(self._reasons("caveat", pid))
        return Undetermined(
            proc, self._missing(blocking), tuple(r.id for r in blocking), candidate_rules, caveats
        )

    def _missing(self, rules: list[Rule]) -> tuple[str, ...]:
        wanted = {q for r in rules for q in self._missing_of(r)}
        return tuple(q.id for q in self.kb.questions if q.id in wanted)

    def _missing_of(self, rule: Rule) -> list[str]:
        answers, applies = self.answers, self.applies
        return [q for q in rule.questions if q not in answers and applies(q) is not False]

    def _referrals(self) -> tuple[ReferralFinding, ...]:
        found: list[ReferralFinding] = []
        for rule in self.fired["refer"]:
            for rid in rule.refer:
                referral = self.kb.referrals[rid]
                found.append(ReferralFinding(rid, referral.name, self._reason(rule)))
        return tuple(found)

    def _information(self) -> tuple[Information, ...]:
        found: list[Information] = []
        for rule in self.fired["inform"]:
            reason = self._reason(rule)
            found.extend(Information(self.kb.procedures[pid], reason) for pid in rule.inform)
        return tuple(found)

    def _unknown(
        self, live: set[str], excluded: AbstractSet[str], candidates: set[str]
    ) -> tuple[Unknown, ...]:
        """Questions whose answers would have changed an outcome, with those outcomes."""
        if not self.open_rules:
            return ()
        raised = {rid for r in self.fired["refer"] for rid in r.refer}
        needed: dict[str, dict[str, None]] = {}
        rules: dict[str, dict[str, None]] = {}
        for rule in self.open_rules:
            targets = _targets_that_matter(rule, live, excluded, candidates, raised)
            if not targets:
                continue
            for qid in self._missing_of(rule):
                needed.setdefault(qid, {}).update(dict.fromkeys(targets))
                rules.setdefault(qid, {})[rule.id] = None
        return tuple(
            Unknown(q.id, q.text, tuple(needed[q.id]), tuple(rules[q.id]))
            for q in self.kb.questions
            if q.id in needed
        )


def _by_kind(rules: list[Rule]) -> dict[str, list[Rule]]:
    """The rules sorted by the effects they have (a rule may have several)."""
    return {
        "candidate": [r for r in rules if r.candidate],
        "exclude": [r for r in rules if r.exclude],
        "caveat": [r for r in rules if r.caveat],
        "refer": [r for r in rules if r.refer],
        "inform": [r for r in rules if r.inform],
    }


def _targets_that_matter(
    rule: Rule,
    live: set[str],
    excluded: AbstractSet[str],
    candidates: set[str],
    raised: set[str],
) -> list[str]:
    """The outcomes an open rule could still change."""
    targets: list[str] = []
    targets += [p for p in rule.candidate if p not in candidates and p not in excluded]
    targets += [p for p in rule.exclude if p in live]
    targets += [p for p in rule.caveat if p in live]
    targets += [r for r in rule.refer if r not in raised]
    targets += list(rule.inform)
    return list(dict.fromkeys(targets))
