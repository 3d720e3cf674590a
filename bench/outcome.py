"""The outcome every engine in the benchmark must agree on.

Peers report one truth per rule (True, False, or None for unknown); the same
plain-Python code turns those into outcome sets, following the engine's
documented semantics (exclusion wins; a procedure whose candidacy or safety
screen is unknown is undetermined). consult's own Result is reduced to the
same shape, so agreement is checked on every answer set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from consult.bank.model import KnowledgeBase, Rule
from consult.bank.truth import quantifiers_of

Outcome = tuple[Any, ...]
# The truth of a rule over the treatment areas for one procedure, by (rule id, procedure id).
Sited = Mapping[tuple[str, str], bool | None]
EFFECTS = ("candidate", "exclude", "caveat", "inform")


def site_sets(kb: KnowledgeBase) -> Iterator[tuple[Rule, frozenset[str] | None, list[str]]]:
    """Each rule over the areas with each set of sites its procedures treat, and those procedures.

    A rule that quantifies over the areas holds per procedure, on the areas it treats
    (the documented semantics); peers work out one truth for each of these.
    """
    for rule in kb.rules:
        if next(quantifiers_of(rule.when), None) is None:
            continue
        by_sites: dict[frozenset[str] | None, list[str]] = {}
        for effect in EFFECTS:
            for pid in getattr(rule, effect):
                by_sites.setdefault(kb.procedures[pid].sites, []).append(pid)
        for sites, pids in by_sites.items():
            yield rule, sites, pids


def from_truths(kb: KnowledgeBase, truths: Sequence[bool | None], sited: Sited = {}) -> Outcome:  # noqa: B006 - read only
    """Outcome sets from one truth per rule (in the bank's rule order).

    `sited` holds the truth of each rule over the areas for each procedure it names.
    """
    names = {rule for rule, _ in sited}

    def truth(rule: Rule, base: bool | None, pid: str) -> bool | None:
        return sited.get((rule.id, pid), base) if rule.id in names else base

    live = [
        (r, t) for r, t in zip(kb.rules, truths, strict=True) if t is not False or r.id in names
    ]
    excluded = {p for r, t in live for p in r.exclude if truth(r, t, p) is True}
    candidate = {p for r, t in live for p in r.candidate if truth(r, t, p) is True}
    maybe_candidate = {p for r, t in live for p in r.candidate if truth(r, t, p) is None}
    maybe_excluded = {p for r, t in live for p in r.exclude if truth(r, t, p) is None}

    def ids(kind: str, pid: str) -> tuple[str, ...]:
        return tuple(r.id for r, t in live if pid in getattr(r, kind) and truth(r, t, pid) is True)

    cands, excl, undet = [], [], []
    for pid in kb.procedures:
        if pid in excluded:
            excl.append((pid, ids("exclude", pid)))
        elif pid in candidate and pid not in maybe_excluded:
            cands.append((pid, ids("candidate", pid), ids("caveat", pid)))
        elif pid in candidate or pid in maybe_candidate:
            undet.append((pid, ids("caveat", pid)))
    raised: dict[str, list[str]] = {}
    for r, t in live:
        if t is True:
            for rid in r.refer:
                raised.setdefault(rid, []).append(r.id)
    referrals = tuple((rid, tuple(rules)) for rid, rules in raised.items())
    information = tuple(
        (pid, r.id) for r, t in live for pid in r.inform if truth(r, t, pid) is True
    )
    return (tuple(cands), tuple(excl), tuple(undet), referrals, information)


def from_result(result: Any) -> Outcome:
    """The same outcome read from consult's Result."""
    cands = tuple((c.procedure.id, c.rules, _rules(c.caveats)) for c in result.candidates)
    excl = tuple((e.procedure.id, _rules(e.reasons)) for e in result.excluded)
    undet = tuple((u.procedure.id, _rules(u.caveats)) for u in result.undetermined)
    referrals = tuple((r.id, _rules(r.every_reason)) for r in result.referrals)
    information = tuple((i.procedure.id, i.reason.rule) for i in result.information)
    return (cands, excl, undet, referrals, information)


def _rules(reasons: Sequence[Any]) -> tuple[str, ...]:
    """The rule ids of reasons, each once (a finding in two areas gives a reason for each)."""
    return tuple(dict.fromkeys(r.rule for r in reasons))
