"""The decisions of a consultation's areas, explained: the `Result`.

Each area's decision becomes records with their reasons (the rule, its text,
the answers it read, and the area when a finding of the place raised it); the
plan per area keeps them apart, and the contract's lists gather each procedure,
referral and open question once, naming the areas where each holds.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from consult.bank.model import Answer, KnowledgeBase, Question, Rule
from consult.engine.decision import Decision, Fit
from consult.engine.prepared import CONCERNS, prepared
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

_H = TypeVar("_H", bound=Hashable)


def consultation_result(
    kb: KnowledgeBase,
    decisions: Sequence[Decision],
    answers: Mapping[str, Answer],
    warnings: tuple[str, ...],
) -> Result:
    """The result of a consultation from the decision in each of its areas."""
    plan = prepared(kb)
    areas = [_AreaRecords(d) for d in decisions]
    rank = plan.rank
    return Result(
        candidates=_candidates(areas, rank),
        excluded=_excluded(areas, rank),
        undetermined=_undetermined(areas, rank),
        referrals=_referrals(kb, areas),
        information=_information(areas),
        unknown=_unknown(areas, plan.position),
        settled=_once(s for a in areas for s in a.settled),
        warnings=warnings,
        version=kb.version,
        sha256=kb.sha256,
        answers=answers,
        areas=tuple([a.plan() for a in areas]),
        actions=_actions(areas),
    )


class _AreaRecords:
    """The records of one area's decision.

    Each names a rule, a question and a reason once, so that a procedure with an
    outcome in this area only is the same record in the result's lists.
    """

    __slots__ = (
        "_answers",
        "_label",
        "_sited",
        "_why",
        "actions",
        "candidates",
        "decision",
        "excluded",
        "information",
        "referrals",
        "settled",
        "site",
        "undetermined",
        "unknown",
    )

    def __init__(self, decision: Decision) -> None:
        self.decision = d = decision
        area = d.area
        self.site: Site = area.site
        sites = (self.site,)
        # What every reason of the area reads: the area's answers, its name, the
        # rules whose findings belong to the place.
        self._answers = d.answers
        self._label = area.label
        self._sited = d.plan.sited
        self._why: dict[str, Reason] = {}
        reason, reasons = self.reason, self.reasons
        self.candidates = {f.procedure.id: self._candidate(f, sites) for f in d.candidates}
        self.excluded = {
            e.procedure.id: Exclusion(e.procedure, reasons(e.rules), e.in_scope, sites)
            for e in d.excluded
        }
        self.undetermined = {
            u.procedure.id: Undetermined(
                u.procedure,
                _once(u.waiting_for),
                _rule_ids(u.blocking),
                _rule_ids(u.fits),
                reasons(u.cautions),
                sites,
            )
            for u in d.undetermined
        }
        self.referrals = [(r.target, reason(r.rule)) for r in d.referrals]
        procedures = d.kb.procedures
        self.information = [
            Information(procedures[n.target], reason(n.rule)) for n in d.information
        ]
        self.actions = [(reason(a.rule), a.target) for a in d.actions]
        # Each question is open once in an area (in bank order), with where it is
        # open: a question of the place (not what is treated there) in a placed area.
        per_area, label = d.kb.per_area, self._label
        self.unknown = [
            (u, label if u.question.id in per_area and u.question.id != CONCERNS else "")
            for u in d.unknown
        ]
        self.settled = [
            Settled(
                s.kind,
                s.target,
                s.verdict,
                tuple([r.id for r in s.rules]),
                s.questions,
                self._area_of(s.rules),
            )
            for s in d.settled
        ]

    def reason(self, rule: Rule) -> Reason:
        # One Reason per fired rule, shared by every procedure the rule names.
        rid = rule.id
        reason = self._why.get(rid)
        if reason is None:
            answers = self._answers
            read = {q: answers[q] for q in rule.questions if q in answers}
            area = self._label if rid in self._sited else ""
            reason = self._why[rid] = Reason(rule.text, rid, read, rule.basis, area)
        return reason

    def reasons(self, rules: Sequence[Rule]) -> tuple[Reason, ...]:
        """The reasons of these rules, each rule once."""
        if len(rules) < 2:
            return tuple(map(self.reason, rules))
        return tuple({rule.id: self.reason(rule) for rule in rules}.values())

    def _area_of(self, rules: Sequence[Rule]) -> str:
        sited = self._sited
        return self._label if any(r.id in sited for r in rules) else ""

    def _candidate(self, fit: Fit, sites: tuple[Site, ...]) -> Candidate:
        answers = self._answers
        read = {q: answers[q] for rule in fit.rules for q in rule.questions if q in answers}
        indications = self.decision.plan.indications(fit.procedure, fit.rules)
        rules = _rule_ids(fit.rules)
        cautions = self.reasons(fit.cautions)
        return Candidate(fit.procedure, rules, read, indications, cautions, sites)

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
            referrals=_once([rid for rid, _ in self.referrals]),
            unknown=tuple([u.question.id for u, _ in self.unknown]),
            actions=_once([reason.rule for reason, _ in self.actions]),
        )


def _candidates(areas: Sequence[_AreaRecords], rank: Mapping[str, int]) -> tuple[Candidate, ...]:
    """Each procedure that is a candidate somewhere, with every area it is named in.

    One that is named in one area only keeps that area's record.
    """
    found = []
    for pid in _ids([a.candidates for a in areas], rank):
        fits = [a.candidates[pid] for a in areas if pid in a.candidates]
        excluded_in = tuple([a.site for a in areas if pid in a.excluded])
        undetermined_in = tuple([a.site for a in areas if pid in a.undetermined])
        if len(fits) == 1 and not excluded_in and not undetermined_in:
            found.append(fits[0])
            continue
        found.append(
            Candidate(
                fits[0].procedure,
                _once([r for f in fits for r in f.rules]),
                {q: v for f in fits for q, v in f.answers.items()},
                _once([i for f in fits for i in f.indications]),
                _reasons_once([f.caveats for f in fits]),
                tuple([a.site for a in areas if pid in a.candidates]),
                excluded_in,
                undetermined_in,
            )
        )
    return tuple(found)


def _excluded(areas: Sequence[_AreaRecords], rank: Mapping[str, int]) -> tuple[Exclusion, ...]:
    """Each procedure excluded somewhere, with every reason and area (one area: its record)."""
    outs: dict[str, list[Exclusion]] = {}
    for area in areas:
        for pid, exclusion in area.excluded.items():
            outs.setdefault(pid, []).append(exclusion)
    found = []
    for pid in sorted(outs, key=rank.__getitem__):
        named = outs[pid]
        if len(named) == 1:
            found.append(named[0])
            continue
        reasons = _reasons_once([e.reasons for e in named])
        in_scope = any(e.in_scope for e in named)
        sites = tuple([site for e in named for site in e.areas])
        found.append(Exclusion(named[0].procedure, reasons, in_scope, sites))
    return tuple(found)


def _undetermined(
    areas: Sequence[_AreaRecords], rank: Mapping[str, int]
) -> tuple[Undetermined, ...]:
    """Each procedure still open somewhere, with everything it waits for (one area: its record)."""
    found = []
    for pid in _ids([a.undetermined for a in areas], rank):
        open_ = [a.undetermined[pid] for a in areas if pid in a.undetermined]
        if len(open_) == 1:
            found.append(open_[0])
            continue
        found.append(
            Undetermined(
                open_[0].procedure,
                _once([q for u in open_ for q in u.waiting_for]),
                _once([r for u in open_ for r in u.rules]),
                _once([r for u in open_ for r in u.candidate_rules]),
                _reasons_once([u.caveats for u in open_]),
                tuple([a.site for a in areas if pid in a.undetermined]),
            )
        )
    return tuple(found)


def _referrals(kb: KnowledgeBase, areas: Sequence[_AreaRecords]) -> tuple[ReferralFinding, ...]:
    """Each referral once, in the order first raised, with every reason behind it."""
    merged: dict[str, dict[tuple[str, str], Reason]] = {}
    for area in areas:
        for rid, reason in area.referrals:
            merged.setdefault(rid, {}).setdefault((reason.rule, reason.area), reason)
    found = []
    for rid, by_rule in merged.items():
        first, *more = by_rule.values()
        found.append(ReferralFinding(rid, kb.referrals[rid].name, first, tuple(more)))
    return tuple(found)


def _information(areas: Sequence[_AreaRecords]) -> tuple[Information, ...]:
    """Each note once per procedure, rule and area."""
    merged: dict[tuple[str, str, str], Information] = {}
    for area in areas:
        for note in area.information:
            reason = note.reason
            merged.setdefault((note.procedure.id, reason.rule, reason.area), note)
    return tuple(merged.values())


def _actions(areas: Sequence[_AreaRecords]) -> tuple[Action, ...]:
    """Each step before treatment once per rule and area, with the procedures it comes before."""
    merged: dict[tuple[str, str], tuple[Reason, list[str]]] = {}
    for area in areas:
        for reason, pid in area.actions:
            entry = merged.setdefault((reason.rule, reason.area), (reason, []))
            if pid not in entry[1]:
                entry[1].append(pid)
    return tuple([Action(reason, tuple(pids)) for reason, pids in merged.values()])


def _unknown(areas: Sequence[_AreaRecords], position: Mapping[str, int]) -> tuple[Unknown, ...]:
    """Each open question once per area it belongs to (a question of the patient once).

    In bank order (`position`: each question's place in the bank).
    """
    merged: dict[tuple[str, str], tuple[Question, tuple[str, ...], tuple[str, ...]]] = {}
    for area in areas:
        for u, where in area.unknown:
            key = (u.question.id, where)
            seen = merged.get(key)
            if seen is None:  # a question is open once in an area
                merged[key] = (u.question, u.needed_by, u.rules)
            else:
                needed = _once((*seen[1], *u.needed_by))
                merged[key] = (u.question, needed, _once((*seen[2], *u.rules)))
    found = [
        Unknown(q.id, q.text, needed, rules, where)
        for (_, where), (q, needed, rules) in merged.items()
    ]
    return tuple(sorted(found, key=lambda u: position[u.question]))


def _ids(tables: Iterable[Mapping[str, object]], rank: Mapping[str, int]) -> list[str]:
    """The procedure ids of several tables, each once, in bank order."""
    found = {pid for table in tables for pid in table}
    return sorted(found, key=rank.__getitem__)


def _rule_ids(rules: Sequence[Rule]) -> tuple[str, ...]:
    """The ids of these rules, each once."""
    return tuple({rule.id: None for rule in rules})


def _once(items: Iterable[_H]) -> tuple[_H, ...]:
    """The items in order, each once."""
    return tuple(dict.fromkeys(items))


def _reasons_once(groups: Sequence[tuple[Reason, ...]]) -> tuple[Reason, ...]:
    """The reasons of several records in order, once per rule and area."""
    if len(groups) == 1 and len(groups[0]) < 2:
        return groups[0]
    found: dict[tuple[str, str], Reason] = {}
    for reasons in groups:
        for reason in reasons:
            found.setdefault((reason.rule, reason.area), reason)
    return tuple(found.values())
