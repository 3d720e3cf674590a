"""The outcome every engine in the benchmark must agree on.

Peers report one truth per rule (True, False, or None for unknown); the same
plain-Python code turns those into outcome sets, following the engine's
documented semantics (exclusion wins; a procedure whose candidacy or safety
screen is unknown is undetermined). consult's own Result is reduced to the
same shape, so agreement is checked on every answer set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consult.bank.model import KnowledgeBase, Rule

Outcome = tuple[Any, ...]


def from_truths(kb: KnowledgeBase, truths: Sequence[bool | None]) -> Outcome:
    """Outcome sets from one truth per rule (in the bank's rule order)."""
    fired = [r for r, t in zip(kb.rules, truths, strict=True) if t is True]
    open_ = [r for r, t in zip(kb.rules, truths, strict=True) if t is None]
    excluded = {p for r in fired for p in r.exclude}
    candidate = {p for r in fired for p in r.candidate}
    maybe_candidate = {p for r in open_ for p in r.candidate}
    maybe_excluded = {p for r in open_ for p in r.exclude}
    cands, excl, undet = [], [], []
    for pid in kb.procedures:
        if pid in excluded:
            excl.append((pid, _ids(fired, "exclude", pid)))
        elif pid in candidate and pid not in maybe_excluded:
            cands.append((pid, _ids(fired, "candidate", pid), _ids(fired, "caveat", pid)))
        elif pid in candidate or pid in maybe_candidate:
            undet.append((pid, _ids(fired, "caveat", pid)))
    raised: dict[str, list[str]] = {}
    for r in fired:
        for rid in r.refer:
            raised.setdefault(rid, []).append(r.id)
    referrals = tuple((rid, tuple(rules)) for rid, rules in raised.items())
    information = tuple((pid, r.id) for r in fired for pid in r.inform)
    return (tuple(cands), tuple(excl), tuple(undet), referrals, information)


def _ids(rules: list[Rule], kind: str, pid: str) -> tuple[str, ...]:
    return tuple(r.id for r in rules if pid in getattr(r, kind))


def from_result(result: Any) -> Outcome:
    """The same outcome read from consult's Result."""
    cands = tuple(
        (c.procedure.id, c.rules, tuple(r.rule for r in c.caveats)) for c in result.candidates
    )
    excl = tuple((e.procedure.id, tuple(r.rule for r in e.reasons)) for e in result.excluded)
    undet = tuple((u.procedure.id, tuple(r.rule for r in u.caveats)) for u in result.undetermined)
    referrals = tuple((r.id, tuple(x.rule for x in r.every_reason)) for r in result.referrals)
    information = tuple((i.procedure.id, i.reason.rule) for i in result.information)
    return (cands, excl, undet, referrals, information)
