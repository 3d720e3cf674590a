"""The result of an evaluation: records with their reasons, as JSON-ready data.

Each record keeps the rules and answers behind it, so the clinician can see
why. `Result.to_dict()` is the contract's result JSON and `Result.to_json()`
the same as compact text; batch runs write that text without building the
records (`consult.output.resultjson`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from consult.bank.model import (
    BASES,
    Answer,
    Indication,
    Procedure,
    plain_answer,
)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: the text shown, the rule behind it and the answers the rule read.

    `basis` is what the text rests on when the rule says (`label` or
    `expert_opinion`, see `consult.bank.model.BASES`), else "". `area` names
    the treatment area whose answers raised it, if one did.
    """

    text: str
    rule: str
    answers: Mapping[str, Answer]
    basis: str = ""
    area: str = ""

    @property
    def shown(self) -> str:
        """The text as shown in views, led by the treatment area it belongs to."""
        return f"{self.area.capitalize()} area: {self.text}" if self.area else self.text

    @property
    def basis_words(self) -> str:
        """The basis as shown to the clinician ("label", "expert opinion"), or ""."""
        return BASES.get(self.basis, self.basis)

    def basis_entry(self) -> dict[str, str]:
        """`{"basis": ...}` when the rule states a basis, else empty."""
        return {"basis": self.basis} if self.basis else {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; `basis` only when the rule states one, `area` when one raised it."""
        answers = _plain(self.answers)
        data = {"text": self.text, "rule": self.rule, **self.basis_entry(), "answers": answers}
        return _with_area(data, self.area)


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
    """A referral, listed once, with every rule that raised it.

    `reason` is the first reason (the contract's `reason` and `rule`);
    `more_reasons` are those of the other rules that raised it.
    """

    id: str
    name: str
    reason: Reason
    more_reasons: tuple[Reason, ...] = ()

    @property
    def every_reason(self) -> tuple[Reason, ...]:
        """Every reason behind the referral, the first one first."""
        return (self.reason, *self.more_reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the contract's referral object, plus every reason)."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "reason": self.reason.text,
            "rule": self.reason.rule,
            **self.reason.basis_entry(),
            "answers": _plain(self.reason.answers),
        }
        data = _with_area(data, self.reason.area)
        data["reasons"] = [r.to_dict() for r in self.every_reason]
        return data


@dataclass(frozen=True, slots=True)
class Information:
    """An information note about a procedure (e.g. one that is never routinely offered)."""

    procedure: Procedure
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data = {
            "procedure": self.procedure.id,
            "name": self.procedure.name,
            "text": self.reason.text,
            "rule": self.reason.rule,
            **self.reason.basis_entry(),
            "answers": _plain(self.reason.answers),
        }
        data = _with_area(data, self.reason.area)
        data["evidence"] = self.procedure.evidence.to_dict()
        return data


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


# The outcome kinds as the engine names them -> as the result JSON names them.
OUTCOME_KINDS = {
    "candidate": "candidate",
    "exclude": "exclusion",
    "caveat": "caveat",
    "refer": "referral",
    "information": "information",
}


@dataclass(frozen=True, slots=True)
class Settled:
    """An outcome that open rules settle together, whatever the unanswered questions' answers."""

    outcome: str
    target: str
    verdict: bool
    rules: tuple[str, ...]
    questions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "outcome": OUTCOME_KINDS[self.outcome],
            "id": self.target,
            "verdict": self.verdict,
            "rules": list(self.rules),
            "whatever_the_answers_to": list(self.questions),
        }


def settled_note(item: Settled, question: Callable[[str], str]) -> str:
    """One line saying that an outcome stands whatever the open questions' answers."""
    asked = "; ".join(question(q) for q in item.questions)
    rules = ", ".join(item.rules)
    return f"Settled whatever the answers to: {asked} (one of the rules {rules} applies)"


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
    settled: tuple[Settled, ...] = ()

    def to_json(self) -> str:
        """`to_dict()` as compact JSON text.

        Batch runs do not build `Result` records: `consult.output.resultjson` writes
        the same text straight from the engine's decision.
        """
        return _ENCODE(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The contract's result JSON (keep `consult.output.resultjson` in step: a test compares them)."""
        return {
            "candidates": [c.to_dict() for c in self.candidates],
            "excluded": [e.to_dict() for e in self.excluded],
            "undetermined": [u.to_dict() for u in self.undetermined],
            "referrals": [r.to_dict() for r in self.referrals],
            "information": [i.to_dict() for i in self.information],
            "unknown": [u.to_dict() for u in self.unknown],
            "settled": [s.to_dict() for s in self.settled],
            "warnings": list(self.warnings),
            "knowledge_base": {"version": self.version, "sha256": self.sha256},
        }


def _plain(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {k: plain_answer(v) for k, v in answers.items()}


def _with_area(data: dict[str, Any], area: str) -> dict[str, Any]:
    """The data with `"area"` last, when the finding belongs to one treatment area."""
    if area:
        data["area"] = area
    return data


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
