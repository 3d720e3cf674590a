"""Evaluate an answer set against the rules: pure, no I/O.

Exclusion always wins over candidacy. A procedure whose candidacy or safety
screen depends on an unanswered question is *undetermined*, never offered, and
the questions that would settle it are listed under `unknown`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import compress, repeat
from json.encoder import encode_basestring
from operator import is_
from typing import Any

from consult.answers import AnswerSet, applicability, check_mapping
from consult.conditions import ManyTest, compile_rules
from consult.model import (
    Answer,
    Applicability,
    Evidence,
    Indication,
    KnowledgeBase,
    Procedure,
    Rule,
    Truth,
    by_identity,
)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: the text shown, the rule behind it and the answers the rule read."""

    text: str
    rule: str
    answers: Mapping[str, Answer]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"text": self.text, "rule": self.rule, "answers": _plain(self.answers)}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A procedure that fits, with its caveats and evidence."""

    procedure: Procedure
    rules: tuple[str, ...]
    answers: Mapping[str, Answer]
    indications: tuple[Indication, ...]
    caveats: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the contract's candidate object)."""
        proc = self.procedure
        evidence = self.indications[0].evidence if self.indications else proc.evidence
        return {
            "procedure": proc.id,
            "name": proc.name,
            "rules": list(self.rules),
            "answers": _plain(self.answers),
            "evidence": evidence.to_dict(),
            "indications": [
                {"id": i.id, "label": i.label, "evidence": i.evidence.to_dict()}
                for i in self.indications
            ],
            "caveats": [c.to_dict() for c in self.caveats],
            "protocol": proc.protocol,
            "downtime": proc.downtime,
            "regulatory": proc.regulatory,
        }


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A procedure ruled out, with every reason.

    `in_scope` is false for a procedure that serves none of the patient's
    concerns (a pregnant patient asking about wrinkles has the hair procedures
    ruled out too); views lead with the ones in scope.
    """

    procedure: Procedure
    reasons: tuple[Reason, ...]
    in_scope: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "procedure": self.procedure.id,
            "name": self.procedure.name,
            "in_scope": self.in_scope,
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Undetermined:
    """A procedure that cannot be offered until the listed questions are answered."""

    procedure: Procedure
    waiting_for: tuple[str, ...]
    rules: tuple[str, ...]
    candidate_rules: tuple[str, ...]
    caveats: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "procedure": self.procedure.id,
            "name": self.procedure.name,
            "waiting_for": list(self.waiting_for),
            "rules": list(self.rules),
            "candidate_rules": list(self.candidate_rules),
            "caveats": [c.to_dict() for c in self.caveats],
        }


@dataclass(frozen=True, slots=True)
class ReferralFinding:
    """A referral raised by a rule."""

    id: str
    name: str
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the contract's referral object)."""
        return {
            "id": self.id,
            "name": self.name,
            "reason": self.reason.text,
            "rule": self.reason.rule,
            "answers": _plain(self.reason.answers),
        }


@dataclass(frozen=True, slots=True)
class Information:
    """An information note about a procedure (e.g. one that is never routinely offered)."""

    procedure: Procedure
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "procedure": self.procedure.id,
            "name": self.procedure.name,
            "text": self.reason.text,
            "rule": self.reason.rule,
            "answers": _plain(self.reason.answers),
            "evidence": self.procedure.evidence.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Unknown:
    """An unanswered question and the outcomes it would have changed."""

    question: str
    text: str
    needed_by: tuple[str, ...]
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the contract's unknown object)."""
        return {
            "question": self.question,
            "text": self.text,
            "needed_by": list(self.needed_by),
            "rules": list(self.rules),
        }


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one evaluation."""

    candidates: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]
    undetermined: tuple[Undetermined, ...]
    referrals: tuple[ReferralFinding, ...]
    information: tuple[Information, ...]
    unknown: tuple[Unknown, ...]
    warnings: tuple[str, ...]
    version: str
    sha256: str
    answers: Mapping[str, Answer] = field(default_factory=dict)

    def to_json(self) -> str:
        """`to_dict()` as compact JSON text, built several times faster.

        Equal to `json.dumps(self.to_dict(), ensure_ascii=False,
        separators=(",", ":"))`; the parts that come from the bank (names,
        evidence, rule texts) are encoded once and reused.
        """
        return _ResultJson(self).text()

    def to_dict(self) -> dict[str, Any]:
        """The contract's result JSON (keep `_ResultJson` in step: a test compares them)."""
        return {
            "candidates": [c.to_dict() for c in self.candidates],
            "excluded": [e.to_dict() for e in self.excluded],
            "undetermined": [u.to_dict() for u in self.undetermined],
            "referrals": [r.to_dict() for r in self.referrals],
            "information": [i.to_dict() for i in self.information],
            "unknown": [u.to_dict() for u in self.unknown],
            "warnings": list(self.warnings),
            "knowledge_base": {"version": self.version, "sha256": self.sha256},
        }


def _plain(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


# --- compact JSON text of a result -----------------------------------------------

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_STR: Callable[[str], str] = encode_basestring
# JSON text of bank objects (procedures, evidence, indications), by identity.
_BANK_JSON: dict[int, tuple[object, str]] = {}
_REASON_HEAD: dict[tuple[str, str], str] = {}
_HEADS: dict[tuple[str, str], str] = {}


def _bank_json(obj: object, build: Callable[[], str]) -> str:
    return by_identity(_BANK_JSON, obj, lambda _obj: build())


def _ids(values: tuple[str, ...]) -> str:
    return "[" + ",".join(map(_STR, values)) + "]"


_PAIRS: dict[tuple[str, object], str] = {}


def _answers_json(answers: Mapping[str, Answer]) -> str:
    """`_ENCODE(_plain(answers))`, from cached `"question":value` pairs."""
    parts = []
    try:
        for pair in answers.items():
            text = _PAIRS.get(pair)
            if text is None:
                if len(_PAIRS) >= 8192:
                    _PAIRS.clear()
                text = _PAIRS[pair] = _ENCODE(_plain(dict((pair,))))[1:-1]
            parts.append(text)
    except TypeError:  # an unhashable value: encode the plain way
        return _ENCODE(_plain(answers))
    return "{" + ",".join(parts) + "}"


class _ResultJson:
    """Writes one result as compact JSON, mirroring the `to_dict` methods."""

    def __init__(self, result: Result) -> None:
        self.result = result
        # Keyed by identity: the result holds these objects while it is written.
        self._answers: dict[int, str] = {}
        self._reasons: dict[int, str] = {}

    def text(self) -> str:
        r = self.result
        return "".join(
            (
                '{"candidates":[',
                ",".join(map(self._candidate, r.candidates)),
                '],"excluded":[',
                ",".join(map(self._exclusion, r.excluded)),
                '],"undetermined":[',
                ",".join(map(self._undetermined, r.undetermined)),
                '],"referrals":[',
                ",".join(map(self._referral, r.referrals)),
                '],"information":[',
                ",".join(map(self._information, r.information)),
                '],"unknown":[',
                ",".join(map(self._unknown, r.unknown)),
                '],"warnings":',
                _ids(r.warnings),
                ',"knowledge_base":{"version":',
                _STR(r.version),
                ',"sha256":',
                _STR(r.sha256),
                "}}",
            )
        )

    def _plain_answers(self, answers: Mapping[str, Answer]) -> str:
        # Reasons of one rule share their answers mapping: encode it once.
        key = id(answers)
        text = self._answers.get(key)
        if text is None:
            text = self._answers[key] = _answers_json(answers)
        return text

    def _reason(self, reason: Reason) -> str:
        # The engine shares one Reason among the procedures a rule names.
        key = id(reason)
        text = self._reasons.get(key)
        if text is None:
            head = self._reason_head(reason)
            text = self._reasons[key] = head + self._plain_answers(reason.answers) + "}"
        return text

    @staticmethod
    def _reason_head(reason: Reason) -> str:
        key = (reason.text, reason.rule)
        head = _REASON_HEAD.get(key)
        if head is None:
            if len(_REASON_HEAD) >= 4096:
                _REASON_HEAD.clear()
            head = _REASON_HEAD[key] = (
                '{"text":' + _STR(reason.text) + ',"rule":' + _STR(reason.rule) + ',"answers":'
            )
        return head

    @staticmethod
    def _head(proc: Procedure) -> str:
        key = (proc.id, proc.name)
        head = _HEADS.get(key)
        if head is None:
            if len(_HEADS) >= 4096:
                _HEADS.clear()
            head = _HEADS[key] = '{"procedure":' + _STR(proc.id) + ',"name":' + _STR(proc.name)
        return head

    @staticmethod
    def _evidence(evidence: Evidence) -> str:
        return _bank_json(evidence, lambda: _ENCODE(evidence.to_dict()))

    def _candidate(self, c: Candidate) -> str:
        proc = c.procedure
        evidence = c.indications[0].evidence if c.indications else proc.evidence
        return "".join(
            (
                self._head(proc),
                ',"rules":',
                _ids(c.rules),
                ',"answers":',
                _answers_json(c.answers),
                ',"evidence":',
                self._evidence(evidence),
                ',"indications":[',
                ",".join(map(self._indication, c.indications)),
                '],"caveats":[',
                ",".join(map(self._reason, c.caveats)),
                "],",
                _bank_json(proc, lambda: self._tail(proc)),
            )
        )

    @staticmethod
    def _tail(proc: Procedure) -> str:
        return (
            '"protocol":'
            + _STR(proc.protocol)
            + ',"downtime":'
            + _STR(proc.downtime)
            + ',"regulatory":'
            + _STR(proc.regulatory)
            + "}"
        )

    def _indication(self, i: Indication) -> str:
        return _bank_json(
            i,
            lambda: (
                '{"id":'
                + _STR(i.id)
                + ',"label":'
                + _STR(i.label)
                + ',"evidence":'
                + self._evidence(i.evidence)
                + "}"
            ),
        )

    def _exclusion(self, e: Exclusion) -> str:
        return "".join(
            (
                self._head(e.procedure),
                ',"in_scope":',
                "true" if e.in_scope else "false",
                ',"reasons":[',
                ",".join(map(self._reason, e.reasons)),
                "]}",
            )
        )

    def _undetermined(self, u: Undetermined) -> str:
        return "".join(
            (
                self._head(u.procedure),
                ',"waiting_for":',
                _ids(u.waiting_for),
                ',"rules":',
                _ids(u.rules),
                ',"candidate_rules":',
                _ids(u.candidate_rules),
                ',"caveats":[',
                ",".join(map(self._reason, u.caveats)),
                "]}",
            )
        )

    def _referral(self, r: ReferralFinding) -> str:
        return "".join(
            (
                '{"id":',
                _STR(r.id),
                ',"name":',
                _STR(r.name),
                ',"reason":',
                _STR(r.reason.text),
                ',"rule":',
                _STR(r.reason.rule),
                ',"answers":',
                self._plain_answers(r.reason.answers),
                "}",
            )
        )

    def _information(self, i: Information) -> str:
        return "".join(
            (
                self._head(i.procedure),
                ',"text":',
                _STR(i.reason.text),
                ',"rule":',
                _STR(i.reason.rule),
                ',"answers":',
                self._plain_answers(i.reason.answers),
                ',"evidence":',
                self._evidence(i.procedure.evidence),
                "}",
            )
        )

    @staticmethod
    def _unknown(u: Unknown) -> str:
        return "".join(
            (
                '{"question":',
                _STR(u.question),
                ',"text":',
                _STR(u.text),
                ',"needed_by":',
                _ids(u.needed_by),
                ',"rules":',
                _ids(u.rules),
                "}",
            )
        )


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


_KINDS = ("candidate", "exclude", "caveat", "refer", "inform")


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
