"""The decisions of a consultation's areas, explained: the `Result`.

Each area's decision becomes records with their reasons (the rule, its text,
the answers it read, and the area when a finding of the place raised it); the
plan per area keeps them apart, and the contract's lists gather each procedure,
referral and open question once, naming the areas where each holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from consult.bank.model import Answer, Indication, KnowledgeBase, Rule
from consult.engine.decision import Decision, Fit
from consult.engine.result import (
    Action,
    AreaPlan,
    Candidate,
    Exclusion,
    Information,
    Reason,
    ReferralFinding,
    Result,
    Settled,
    Site,
    Undetermined,
    Unknown,
)

_T = TypeVar("_T")


def consultation_result(
    kb: KnowledgeBase,
    decisions: Sequence[Decision],
    answers: Mapping[str, Answer],
    warnings: tuple[str, ...],
) -> Result:
    """The result of a consultation from the decision in each of its areas."""
    areas = [_AreaRecords(d) for d in decisions]
    rank = {p: n for n, p in enumerate(kb.procedures)}
    return Result(
        candidates=_candidates(areas, rank),
        excluded=_excluded(areas, rank),
        undetermined=_undetermined(areas, rank),
        referrals=_referrals(areas),
        information=tuple(_once(i for a in areas for i in a.information)),
        unknown=_unknown(kb, areas),
        settled=tuple(_once(s for a in areas for s in a.settled)),
        warnings=warnings,
        version=kb.version,
        sha256=kb.sha256,
        answers=answers,
        areas=tuple(a.plan() for a in areas),
        actions=_actions(areas),
    )


class _AreaRecords:
    """The records of one area's decision."""

    def __init__(self, decision: Decision) -> None:
        self.decision = d = decision
        self.site: Site = d.area.site
        self._why: dict[str, Reason] = {}
        self.candidates = {f.procedure.id: self._candidate(f) for f in d.candidates}
        self.excluded = {
            e.procedure.id: Exclusion(e.procedure, self.reasons(e.rules), e.in_scope, (self.site,))
            for e in d.excluded
        }
        self.undetermined = {
            u.procedure.id: Undetermined(
                u.procedure,
                u.waiting_for,
                tuple(r.id for r in u.blocking),
                tuple(r.id for r in u.fits),
                self.reasons(u.cautions),
                (self.site,),
            )
            for u in d.undetermined
        }
        self.referrals = [(r.target, self.reason(r.rule)) for r in d.referrals]
        self.information = [
            Information(d.kb.procedures[n.target], self.reason(n.rule)) for n in d.information
        ]
        self.actions = [(self.reason(a.rule), a.target) for a in d.actions]
        self.unknown = [
            Unknown(
                u.question.id, u.question.text, u.needed_by, u.rules, self._open_in(u.question.id)
            )
            for u in d.unknown
        ]
        self.settled = [
            Settled(
                s.kind,
                s.target,
                s.verdict,
                tuple(r.id for r in s.rules),
                s.questions,
                self._area_of(s.rules),
            )
            for s in d.settled
        ]

    def reason(self, rule: Rule) -> Reason:
        # One Reason per fired rule, shared by every procedure the rule names.
        reason = self._why.get(rule.id)
        if reason is None:
            read = self.decision.read(rule)
            area = self.decision.in_area(rule)
            reason = self._why[rule.id] = Reason(rule.text, rule.id, read, rule.basis, area)
        return reason

    def reasons(self, rules: Sequence[Rule]) -> tuple[Reason, ...]:
        return tuple(map(self.reason, rules))

    def _open_in(self, question: str) -> str:
        """The area an open question belongs to: a question of the place, in a placed area."""
        return (
            self.decision.area.label if question in self.decision.kb.per_area - {"concerns"} else ""
        )

    def _area_of(self, rules: Sequence[Rule]) -> str:
        return next((a for a in map(self.decision.in_area, rules) if a), "")

    def _candidate(self, fit: Fit) -> Candidate:
        read: dict[str, Answer] = {}
        for rule in fit.rules:
            read.update(self.decision.read(rule))
        indications = self.decision.plan.indications(fit.procedure, fit.rules)
        rules = tuple(r.id for r in fit.rules)
        cautions = self.reasons(fit.cautions)
        return Candidate(fit.procedure, rules, read, indications, cautions, (self.site,))

    def plan(self) -> AreaPlan:
        """The plan in this area."""
        area = self.decision.area
        return AreaPlan(
            site=area.site,
            number=area.number,
            concerns=area.concerns,
            candidates=tuple(self.candidates),
            excluded=tuple(self.excluded.values()),
            undetermined=tuple(self.undetermined.values()),
            referrals=tuple(dict.fromkeys(rid for rid, _ in self.referrals)),
            unknown=tuple(u.question for u in self.unknown),
            actions=tuple(dict.fromkeys(reason.rule for reason, _ in self.actions)),
        )


def _candidates(areas: Sequence[_AreaRecords], rank: Mapping[str, int]) -> tuple[Candidate, ...]:
    """Each procedure that is a candidate somewhere, with every area it is named in."""
    found = []
    for pid in _ids((a.candidates for a in areas), rank):
        fits = [a.candidates[pid] for a in areas if pid in a.candidates]
        found.append(
            Candidate(
                fits[0].procedure,
                tuple(_once(r for f in fits for r in f.rules)),
                {q: v for f in fits for q, v in f.answers.items()},
                _indications(f.indications for f in fits),
                tuple(_once(c for f in fits for c in f.caveats)),
                tuple(a.site for a in areas if pid in a.candidates),
                tuple(a.site for a in areas if pid in a.excluded),
                tuple(a.site for a in areas if pid in a.undetermined),
            )
        )
    return tuple(found)


def _excluded(areas: Sequence[_AreaRecords], rank: Mapping[str, int]) -> tuple[Exclusion, ...]:
    found = []
    for pid in _ids((a.excluded for a in areas), rank):
        outs = [a.excluded[pid] for a in areas if pid in a.excluded]
        reasons = tuple(_once(r for e in outs for r in e.reasons))
        in_scope = any(e.in_scope for e in outs)
        sites = tuple(a.site for a in areas if pid in a.excluded)
        found.append(Exclusion(outs[0].procedure, reasons, in_scope, sites))
    return tuple(found)


def _undetermined(
    areas: Sequence[_AreaRecords], rank: Mapping[str, int]
) -> tuple[Undetermined, ...]:
    found = []
    for pid in _ids((a.undetermined for a in areas), rank):
        open_ = [a.undetermined[pid] for a in areas if pid in a.undetermined]
        found.append(
            Undetermined(
                open_[0].procedure,
                tuple(_once(q for u in open_ for q in u.waiting_for)),
                tuple(_once(r for u in open_ for r in u.rules)),
                tuple(_once(r for u in open_ for r in u.candidate_rules)),
                tuple(_once(c for u in open_ for c in u.caveats)),
                tuple(a.site for a in areas if pid in a.undetermined),
            )
        )
    return tuple(found)


def _referrals(areas: Sequence[_AreaRecords]) -> tuple[ReferralFinding, ...]:
    """Each referral once, in the order first raised, with every reason behind it."""
    merged: dict[str, list[Reason]] = {}
    for area in areas:
        for rid, reason in area.referrals:
            merged[rid] = _once([*merged.get(rid, []), reason])
    kb = areas[0].decision.kb if areas else None
    return tuple(
        ReferralFinding(rid, kb.referrals[rid].name if kb else rid, reasons[0], tuple(reasons[1:]))
        for rid, reasons in merged.items()
    )


def _actions(areas: Sequence[_AreaRecords]) -> tuple[Action, ...]:
    """Each step before treatment once per rule and area, with the procedures it comes before."""
    merged: dict[tuple[str, str], tuple[Reason, list[str]]] = {}
    for area in areas:
        for reason, pid in area.actions:
            entry = merged.setdefault((reason.rule, reason.area), (reason, []))
            if pid not in entry[1]:
                entry[1].append(pid)
    return tuple(Action(reason, tuple(pids)) for reason, pids in merged.values())


def _unknown(kb: KnowledgeBase, areas: Sequence[_AreaRecords]) -> tuple[Unknown, ...]:
    """Each open question once per area it belongs to (a question of the patient once)."""
    merged: dict[tuple[str, str], Unknown] = {}
    for area in areas:
        for u in area.unknown:
            seen = merged.get((u.question, u.area))
            if seen is not None:
                needed = tuple(_once((*seen.needed_by, *u.needed_by)))
                rules = tuple(_once((*seen.rules, *u.rules)))
                u = Unknown(u.question, u.text, needed, rules, u.area)
            merged[u.question, u.area] = u
    order = {q.id: n for n, q in enumerate(kb.questions)}
    return tuple(sorted(merged.values(), key=lambda u: order[u.question]))


def _ids(tables: Iterable[Mapping[str, object]], rank: Mapping[str, int]) -> list[str]:
    """The procedure ids of several tables, each once, in bank order."""
    found = {pid for table in tables for pid in table}
    return sorted(found, key=rank.__getitem__)


def _indications(lists: Iterable[tuple[Indication, ...]]) -> tuple[Indication, ...]:
    return tuple(_once(i for found in lists for i in found))


def _once(items: Iterable[_T]) -> list[_T]:
    """The items in order, each once (reasons: once per rule and area)."""
    found: dict[object, _T] = {}
    for item in items:
        key = (item.rule, item.area) if isinstance(item, Reason) else _key(item)
        found.setdefault(key, item)
    return list(found.values())


def _key(item: object) -> object:
    if isinstance(item, Information):
        return (item.procedure.id, item.reason.rule, item.reason.area)
    return item
