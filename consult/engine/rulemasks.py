"""Which rules bear on which outcome, as bit masks over the bank's rules.

Worked out once per bank (`index_of`): for every procedure the masks of its
candidate, exclude and caveat rules, for every referral its refer rules, the
rules that refer, give information notes or name steps before treatment, the
rules three-valued logic judges exactly and those never enumerated, and for
every question the rules that read it. A decision then works on two integers,
its fired and its open rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from consult.bank.model import Rule, Truth, by_identity
from consult.engine.completions import Domains
from consult.engine.prepared import Prepared


class Index:
    """Which rules bear on which outcome, worked out once per bank."""

    def __init__(self, plan: Prepared) -> None:
        rules = plan.kb.rules
        self.candidate: dict[str, tuple[int, ...]] = {}
        self.exclude: dict[str, tuple[int, ...]] = {}
        self.caveat: dict[str, tuple[int, ...]] = {}
        self.refer: dict[str, tuple[int, ...]] = {}
        for kind, table in (
            ("candidate", self.candidate),
            ("exclude", self.exclude),
            ("caveat", self.caveat),
            ("refer", self.refer),
        ):
            for i, rule in enumerate(rules):
                for target in getattr(rule, kind):
                    table[target] = (*table.get(target, ()), i)
        self.domains = Domains(plan.kb)
        self.rules = rules
        self._of: dict[int, tuple[Rule, ...]] = {}
        self.bits = tuple(1 << i for i in range(len(rules)))
        self.masks = {
            kind: {target: _mask(ids) for target, ids in table.items()}
            for kind, table in (
                ("candidate", self.candidate),
                ("exclude", self.exclude),
                ("caveat", self.caveat),
                ("refer", self.refer),
            )
        }
        self.inform = _mask(i for i, r in enumerate(rules) if r.inform)
        self.refers = _mask(i for i, r in enumerate(rules) if r.refer)
        self.before = _mask(i for i, r in enumerate(rules) if r.before)
        self.position = {r.id: i for i, r in enumerate(rules)}
        self.exact = _mask(i for i, r in enumerate(rules) if self.domains.exact[r.id])
        self.tested = _mask(i for i, r in enumerate(rules) if r.id in self.domains.tested)
        # Exact checks already made, by the rules and the answers they read.
        self.settled: dict[tuple[object, ...], tuple[Truth, tuple[str, ...] | None]] = {}
        self.readers: dict[str, int] = {}
        for i, rule in enumerate(rules):
            for qid in set(rule.questions):
                self.readers[qid] = self.readers.get(qid, 0) | 1 << i
        self._order = {q.id: n for n, q in enumerate(plan.kb.questions)}
        self._read: dict[int, tuple[str, ...]] = {}

    def of(self, mask: int) -> tuple[Rule, ...]:
        """The rules of a mask, in bank order (kept: masks met again and again)."""
        found = self._of.get(mask)
        if found is None:
            if len(self._of) >= 8192:
                self._of.clear()
            found = self._of[mask] = self.picked(mask)
        return found

    def picked(self, mask: int) -> tuple[Rule, ...]:
        """The rules of a mask, in bank order, not kept (a mask met about once)."""
        rules, picked, bits = self.rules, [], mask
        while bits:
            low = bits & -bits
            picked.append(rules[low.bit_length() - 1])
            bits ^= low
        return tuple(picked)

    def read_by(self, mask: int) -> tuple[str, ...]:
        """The questions the rules of a mask read, each once, in bank order."""
        found = self._read.get(mask)
        if found is None:
            read = {q for rule in self.of(mask) for q in rule.questions}
            found = tuple(sorted(read, key=self._order.__getitem__))
            if len(self._read) >= 8192:
                self._read.clear()
            self._read[mask] = found
        return found


class Fired:
    """The fired rules of one kind by target, worked out when asked."""

    __slots__ = ("fired", "index", "masks")

    def __init__(self, index: Index, fired: int, kind: str) -> None:
        self.index = index
        self.fired = fired
        self.masks = index.masks[kind]

    def __contains__(self, target: str) -> bool:
        return bool(self.fired & self.masks.get(target, 0))

    def get(self, target: str) -> tuple[Rule, ...]:
        """The fired rules for a target, in bank order (none: empty)."""
        return self.index.of(self.fired & self.masks.get(target, 0))


def components(mask: int, links: Iterable[int]) -> list[int]:
    """The rules of a mask in groups, as masks, joined by `links` (masks of related rules).

    Two rules are in one group when a link joins them, directly or through
    others of the mask. The groups come in the bank order of their last rules.
    """
    if not mask & (mask - 1):
        return [mask]
    groups: list[int] = []
    for link in links:
        joined = link & mask
        if joined & (joined - 1):  # it joins two rules of the mask or more
            kept = []
            for group in groups:
                if group & joined:
                    joined |= group
                else:
                    kept.append(group)
            kept.append(joined)
            groups = kept
    alone = mask
    for group in groups:
        alone &= ~group
    while alone:
        low = alone & -alone
        groups.append(low)
        alone ^= low
    groups.sort(key=int.bit_length)
    return groups


def _mask(indexes: Iterable[int]) -> int:
    mask = 0
    for i in indexes:
        mask |= 1 << i
    return mask


_INDEXES: dict[int, tuple[Prepared, Index]] = {}


def index_of(plan: Prepared) -> Index:
    """The index of a plan's bank (built once per bank)."""
    return by_identity(_INDEXES, plan, Index, limit=8)
