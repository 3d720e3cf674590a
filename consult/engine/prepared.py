"""What the engine works out once per knowledge base: `Prepared`.

Every rule condition is compiled once into a three-valued test
(`consult.bank.truth`), and so is each procedure's scope (whether it serves the
patient's concerns, from its candidate rules), which is tested only when asked.
Rules written with the same condition share one test, run once per area.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

from consult.bank.model import (
    Answer,
    Applicability,
    Indication,
    KnowledgeBase,
    Procedure,
    Rule,
    Test,
    Truth,
    by_identity,
)
from consult.bank.truth import compile_condition, quantifiers_of, read_directly, shape
from consult.engine.areas import Area

# The one question a rule may read per area without being a finding in that area:
# what is treated there decides which procedures fit, not whether a place is clear.
CONCERNS = "concerns"


class Prepared:
    """What the engine derives once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.procedures: tuple[Procedure, ...] = tuple(kb.procedures.values())
        self.rank = {p.id: n for n, p in enumerate(self.procedures)}  # procedures in bank order
        self.position = {q.id: n for n, q in enumerate(kb.questions)}
        self.scopes: dict[str, tuple[Test, ...]] = {
            p.id: tuple(map(compile_condition, p.scope)) for p in self.procedures
        }
        self.tests = tuple(r.test for r in kb.rules)
        # The rules whose findings belong to a place: they read a question of the site
        # or of the lesion there (not only what is treated there), in the area itself
        # (a quantifier reads every area: its finding is about the patient).
        site = kb.per_area - {CONCERNS}
        self.sited = frozenset(r.id for r in kb.rules if not site.isdisjoint(read_directly(r.when)))
        # The rules every area reads alike: no per-area question read in the area itself,
        # no quantifier but over the treatment areas. Every area's view holds the same
        # areas (and the place not given), read with the patient's answers: such a
        # quantifier's truth is the patient's. Their truths are worked out once per
        # consultation.
        group = kb.areas.id if kb.areas is not None else None
        self.alike = tuple(
            kb.per_area.isdisjoint(read_directly(r.when))
            and all(q.group == group for q in quantifiers_of(r.when))
            for r in kb.rules
        )
        # Rules written with the same condition (the same finding excluding several
        # procedures) share one test: each condition is tested once per area (`check`),
        # and its truth counts for every rule in its mask (bits in bank order).
        first: dict[Hashable, int] = {}
        self.slot = tuple(first.setdefault(shape(r.when), len(first)) for r in kb.rules)
        checks: list[Test] = []
        masks = [0] * len(first)
        per_area: list[tuple[int, Test]] = []
        for n, (rule, i) in enumerate(zip(kb.rules, self.slot, strict=True)):
            masks[i] |= 1 << n
            if i == len(checks):
                checks.append(rule.test)
                if not self.alike[n]:
                    per_area.append((i, rule.test))
        self.checks = tuple(checks)
        self.rules_of = tuple(masks)
        # The conditions tested again in every area, with their places in `checks`.
        self.per_area = tuple(per_area)
        self._indications: dict[tuple[str, ...], tuple[Indication, ...]] = {}
        self._treated: dict[str | None, tuple[Procedure, ...]] = {}

    def truths(self, answers: Mapping[str, Answer], applies: Applicability) -> list[Truth]:
        """The truth of every rule on an area's answers, in bank order."""
        found = self.check(answers, applies)
        return [found[i] for i in self.slot]

    def check(
        self,
        answers: Mapping[str, Answer],
        applies: Applicability,
        shared: Sequence[Truth] | None = None,
    ) -> list[Truth]:
        """The truth of each distinct rule condition (`checks`) on an area's answers.

        `shared` holds their truths on another area of the same consultation:
        those every area reads alike (`alike`) are taken from it, the others are
        tested here.
        """
        if shared is None:
            return [test(answers, applies) for test in self.checks]
        found = list(shared)
        for i, test in self.per_area:
            found[i] = test(answers, applies)
        return found

    def treated(self, area: Area) -> tuple[Procedure, ...]:
        """The procedures that could be given in an area, in bank order (by its site)."""
        found = self._treated.get(area.site)
        if found is None:
            found = self._treated[area.site] = tuple(p for p in self.procedures if area.treats(p))
        return found

    def indications(self, proc: Procedure, rules: Sequence[Rule]) -> tuple[Indication, ...]:
        """The indications the candidate rules of a procedure name, each once, in order."""
        key = (proc.id, *(r.id for r in rules))
        found = self._indications.get(key)
        if found is None:
            named = (proc.indication(r.indication) for r in rules if r.indication)
            found = self._indications[key] = tuple(dict.fromkeys(i for i in named if i))
        return found


_PREPARED: dict[int, tuple[KnowledgeBase, Prepared]] = {}


def prepared(kb: KnowledgeBase) -> Prepared:
    """What the engine prepared for a knowledge base (once per bank)."""
    return by_identity(_PREPARED, kb, Prepared, limit=8)
