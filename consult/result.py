"""The result of an evaluation: records with their reasons, as JSON-ready data.

Each record keeps the rules and answers behind it, so the clinician can see
why. `Result.to_dict()` is the contract's result JSON; `Result.to_json()`
writes the same text quickly from fragments of bank text encoded once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from consult.model import (
    Answer,
    Evidence,
    Indication,
    Procedure,
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


@lru_cache(maxsize=4096)
def _reason_head(text: str, rule: str) -> str:
    return '{"text":' + _STR(text) + ',"rule":' + _STR(rule) + ',"answers":'


@lru_cache(maxsize=4096)
def _head(procedure: str, name: str) -> str:
    return '{"procedure":' + _STR(procedure) + ',"name":' + _STR(name)


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
            head = _reason_head(reason.text, reason.rule)
            text = self._reasons[key] = head + self._plain_answers(reason.answers) + "}"
        return text

    @staticmethod
    def _evidence(evidence: Evidence) -> str:
        return _bank_json(evidence, lambda: _ENCODE(evidence.to_dict()))

    def _candidate(self, c: Candidate) -> str:
        proc = c.procedure
        evidence = c.indications[0].evidence if c.indications else proc.evidence
        return "".join(
            (
                _head(proc.id, proc.name),
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
                _head(e.procedure.id, e.procedure.name),
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
                _head(u.procedure.id, u.procedure.name),
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
                _head(i.procedure.id, i.procedure.name),
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
