"""The result of an evaluation: records with their reasons, as JSON-ready data.

Each record keeps the rules and answers behind it, so the clinician can see
why. The result is a plan per treatment area (`areas`, one `AreaPlan` each);
the contract's lists (`candidates`, `excluded`, `undetermined`, ...) gather each
procedure once, naming the areas where it is a candidate, excluded or still
open. An area is named by its site; `None` (null in JSON) is the area whose
place is not given (the whole consultation when no areas are listed).
`Result.to_dict()` is the contract's result JSON, `Result.to_json()` the same
as compact text (`compact_json`).
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
        data: dict[str, Any] = {"text": self.text, "rule": self.rule}
        if self.basis:
            data["basis"] = self.basis
        data["answers"] = _plain(self.answers)
        return _with_area(data, self.area)


Site = str | None  # an area's site; None: the area whose place is not given


@dataclass(frozen=True, slots=True)
class Candidate:
    """A procedure that fits, with its caveats and evidence, and the areas where it does.

    `areas` are those where it is a candidate; `excluded_in` and `undetermined_in`
    those where it is ruled out or still open (never one of `areas`).
    """

    procedure: Procedure
    rules: tuple[str, ...]
    answers: Mapping[str, Answer]
    indications: tuple[Indication, ...]
    caveats: tuple[Reason, ...]
    areas: tuple[Site, ...] = (None,)
    excluded_in: tuple[Site, ...] = ()
    undetermined_in: tuple[Site, ...] = ()

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
            "areas": list(self.areas),
            "excluded_in": list(self.excluded_in),
            "undetermined_in": list(self.undetermined_in),
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
    areas: tuple[Site, ...] = (None,)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "procedure": self.procedure.id,
            "name": self.procedure.name,
            "in_scope": self.in_scope,
            "reasons": [r.to_dict() for r in self.reasons],
            "areas": list(self.areas),
        }


@dataclass(frozen=True, slots=True)
class Undetermined:
    """A procedure that cannot be offered until the listed questions are answered."""

    procedure: Procedure
    waiting_for: tuple[str, ...]
    rules: tuple[str, ...]
    candidate_rules: tuple[str, ...]
    caveats: tuple[Reason, ...]
    areas: tuple[Site, ...] = (None,)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "procedure": self.procedure.id,
            "name": self.procedure.name,
            "waiting_for": list(self.waiting_for),
            "rules": list(self.rules),
            "candidate_rules": list(self.candidate_rules),
            "caveats": [c.to_dict() for c in self.caveats],
            "areas": list(self.areas),
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
class Action:
    """A step before treatment (pause a medicine, treat an infection first, defer).

    `reason` is the rule's text, its answers and the area of a finding of the
    place; `procedures` are those it comes before, in that area.
    """

    reason: Reason
    procedures: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data = {
            "text": self.reason.text,
            "rule": self.reason.rule,
            **self.reason.basis_entry(),
            "answers": _plain(self.reason.answers),
            "procedures": list(self.procedures),
        }
        return _with_area(data, self.reason.area)


@dataclass(frozen=True, slots=True)
class Unknown:
    """An unanswered question and the outcomes it would have changed."""

    question: str
    text: str
    needed_by: tuple[str, ...]
    rules: tuple[str, ...]
    area: str = ""  # the area where a question of the place is open; "" for the patient's

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the contract's unknown object)."""
        data = {
            "question": self.question,
            "text": self.text,
            "needed_by": list(self.needed_by),
            "rules": list(self.rules),
        }
        return _with_area(data, self.area)


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
    area: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data = {
            "outcome": OUTCOME_KINDS[self.outcome],
            "id": self.target,
            "verdict": self.verdict,
            "rules": list(self.rules),
            "whatever_the_answers_to": list(self.questions),
        }
        return _with_area(data, self.area)


@dataclass(frozen=True, slots=True)
class AreaPlan:
    """The plan in one treatment area: what fits there, what is ruled out and why, what waits.

    `site` is None for the area whose place is not given; `number` is its place
    in the answer file's `areas` (from 1; 0 for that area). `concerns` is what is
    treated there (None: not known). Reasons name their area when a finding of
    the place raised them; findings about the patient apply to every area.
    """

    site: Site
    number: int
    concerns: tuple[str, ...] | None
    candidates: tuple[str, ...]
    excluded: tuple[Exclusion, ...]
    undetermined: tuple[Undetermined, ...]
    referrals: tuple[str, ...]
    unknown: tuple[str, ...]
    actions: tuple[str, ...] = ()  # the rules of the steps before treatment here

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "site": self.site,
            "number": self.number,
            "concerns": None if self.concerns is None else list(self.concerns),
            "candidates": list(self.candidates),
            # The reasons, with the answers behind them, are in the result's `excluded`.
            "excluded": [
                {
                    "procedure": e.procedure.id,
                    "rules": list(dict.fromkeys([r.rule for r in e.reasons])),
                }
                for e in self.excluded
            ],
            "undetermined": [
                {"procedure": u.procedure.id, "waiting_for": list(u.waiting_for)}
                for u in self.undetermined
            ],
            "referrals": list(self.referrals),
            "unknown": list(self.unknown),
            "actions": list(self.actions),
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
    areas: tuple[AreaPlan, ...] = ()
    actions: tuple[Action, ...] = ()

    def to_json(self) -> str:
        """`to_dict()` as compact JSON text."""
        return compact_json(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The contract's result JSON."""
        return {
            "candidates": [c.to_dict() for c in self.candidates],
            "excluded": [e.to_dict() for e in self.excluded],
            "undetermined": [u.to_dict() for u in self.undetermined],
            "referrals": [r.to_dict() for r in self.referrals],
            "information": [i.to_dict() for i in self.information],
            "unknown": [u.to_dict() for u in self.unknown],
            "settled": [s.to_dict() for s in self.settled],
            "areas": [a.to_dict() for a in self.areas],
            "actions": [a.to_dict() for a in self.actions],
            "warnings": list(self.warnings),
            "knowledge_base": {"version": self.version, "sha256": self.sha256},
        }


_PLAIN = frozenset((str, bool, int, float))  # answers `plain_answer` gives back as they are


def _plain(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {k: v if v.__class__ in _PLAIN else plain_answer(v) for k, v in answers.items()}


def _with_area(data: dict[str, Any], area: str) -> dict[str, Any]:
    """The data with `"area"` last, when the finding belongs to one treatment area."""
    if area:
        data["area"] = area
    return data


# The contract's compact JSON text of `to_dict()` data (and of batch records holding it).
# The data are trees made afresh, never holding themselves: no cycles to look for.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
compact_json = _JSON.encode
