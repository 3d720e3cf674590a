"""The decision for an answer set that leaves rules open (some answers missing).

Each outcome (a procedure's candidacy, its exclusion, a caveat, a referral, an
information note) is first judged by three-valued logic on its rules; where
that cannot be exact, `consult.settle` checks every completion of the
unanswered questions the open rules read. A settled outcome is reported with
its rules (and listed under `settled`); an open one lists only the questions
that can change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consult.model import Procedure, Rule, Truth, by_identity
from consult.settle import Domains, any_true, settle

# `consult.engine.Decision` and `Plan` (this module sits below the engine).
Decision = Any
Plan = Any

Key = tuple[str, str]  # (outcome kind, target id)


class Index:
    """Which rules bear on which outcome, worked out once per bank."""

    def __init__(self, plan: Plan) -> None:
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


_INDEXES: dict[int, tuple[Any, Index]] = {}


class Open:
    """Fills a decision whose answers leave some rules open."""

    def __init__(
        self,
        decision: Decision,
        truths: tuple[Truth, ...],
        candidate: dict[str, list[Rule]],
        exclude: dict[str, list[Rule]],
        caveat: dict[str, list[Rule]],
    ) -> None:
        self.d = decision
        self.truths = truths
        self.fired = (candidate, exclude, caveat)
        self.index = by_identity(_INDEXES, decision.plan, Index, limit=8)
        # Open outcomes -> the questions that can change them (None: every one read).
        self.open: dict[Key, tuple[str, ...] | None] = {}
        self.single: dict[str, tuple[Truth, tuple[str, ...] | None]] = {}
        self.undetermined: set[str] = set()
        self.live: set[str] = set()
        self.candidacy: tuple[bool, list[Rule]] | None = None  # settled by enumeration
        # Open rules for which three-valued logic is exact in any group: exact alone, and
        # reading no unanswered question another open rule reads.
        counts: dict[str, int] = {}
        for rule in decision.open:
            for qid in decision.missing_of(rule):
                counts[qid] = counts.get(qid, 0) + 1
        exact = self.index.domains.exact
        self.clean = {
            r.id
            for r in decision.open
            if exact[r.id] and all(counts[q] == 1 for q in decision.missing_of(r))
        }

    def decide(self) -> None:
        """Candidates, exclusions, undetermined procedures, referrals, notes, unknowns."""
        for proc in self.d.plan.procedures:
            self._procedure(proc)
        self._referrals()
        self._information()
        self._unknown()

    def _procedure(self, proc: Procedure) -> None:
        d, pid = self.d, proc.id
        candidate, exclude, caveat = self.fired
        ex, ex_rules = self._outcome("exclude", pid, self.index.exclude, exclude)
        if ex is True:
            d.excluded.append((proc, ex_rules, d._in_scope(pid, self.truths)))
            return
        self.candidacy = None
        ca, ca_rules = self._outcome("candidate", pid, self.index.candidate, candidate)
        settled = self.candidacy
        if ca is False or (
            ca is None and ex is None and not self._may_fit(pid, ca_rules, ex_rules)
        ):
            if settled is not None:
                d.settled.append(
                    ("candidate", pid, False, tuple(settled[1]), d.missing(settled[1]))
                )
            return
        self.live.add(pid)
        cautions = self._cautions(pid, caveat.get(pid, []))
        if ca is True and ex is False:
            if settled is not None:
                d.settled.append(("candidate", pid, True, tuple(ca_rules), d.missing(ca_rules)))
            d.candidates.append((proc, ca_rules, cautions))
            return
        self.undetermined.add(pid)
        blocking = ex_rules if ca is True else ca_rules
        waiting = self._waiting(("exclude" if ca is True else "candidate", pid), blocking)
        fits = ca_rules if ca is True else candidate.get(pid, [])
        d.undetermined.append((proc, waiting, blocking, fits, cautions))

    def _outcome(
        self,
        kind: str,
        target: str,
        table: dict[str, tuple[int, ...]],
        fired: dict[str, list[Rule]],
    ) -> tuple[Truth, list[Rule]]:
        """The verdict of "some rule brings it about" and the rules behind it (open ones if open)."""
        raised = fired.get(target)
        if raised:
            return True, raised
        truths, rules = self.truths, self.d.plan.kb.rules
        open_rules = [rules[i] for i in table.get(target, ()) if truths[i] is None]
        if not open_rules:
            return False, []
        clean = self.clean
        if all(r.id in clean for r in open_rules):
            self.open[kind, target] = None
            return None, open_rules
        d = self.d
        mattering: list[str] = []
        is_open = False
        for part in self._components(open_rules):
            verdict, found = self._settle_any(part)
            if verdict is True:
                self._record(kind, target, True, part)
                return True, part
            if verdict is None:
                is_open = True
                mattering += found if found is not None else d.missing(part)
        if is_open:
            self.open[kind, target] = tuple(mattering)
            return None, open_rules
        self._record(kind, target, False, open_rules)
        return False, []

    def _record(self, kind: str, target: str, verdict: bool, rules: list[Rule]) -> None:
        """A settled outcome; a candidacy only once the procedure's exclusions are known too."""
        if kind == "candidate":
            self.candidacy = (verdict, rules)
        else:
            self.d.settled.append((kind, target, verdict, tuple(rules), self.d.missing(rules)))

    def _components(self, rules: list[Rule]) -> list[list[Rule]]:
        """The open rules grouped by shared unanswered questions (each group judged alone)."""
        missing_of = self.d.missing_of
        if len(rules) == 1:
            return [rules]
        seen: set[str] = set()
        total = 0
        for rule in rules:
            found = missing_of(rule)
            seen.update(found)
            total += len(found)
        if total == len(seen):  # no question shared: each rule alone
            return [[rule] for rule in rules]
        groups: list[tuple[set[str], list[Rule]]] = []
        for rule in rules:
            questions, members = set(missing_of(rule)), [rule]
            for group in [g for g in groups if not g[0].isdisjoint(questions)]:
                groups.remove(group)
                questions |= group[0]
                members = [*group[1], *members]
            groups.append((questions, members))
        order = {id(r): n for n, r in enumerate(rules)}
        return [sorted(g[1], key=lambda r: order[id(r)]) for g in groups]

    def _settle_any(self, rules: list[Rule]) -> tuple[Truth, tuple[str, ...] | None]:
        """Whether some rule of a group holds in every completion, in none, or it depends.

        Open outcomes come with the questions that can change them (None: all).
        """
        d = self.d
        if len(rules) == 1 and self.index.domains.exact[rules[0].id]:
            return None, None
        questions = d.missing(rules)
        tests = [r.test for r in rules]
        return settle(self.index.domains, tests, any_true, questions, d.answers, d.applies())

    def _independent(self, rules: Sequence[Rule]) -> bool:
        """Whether three-valued logic is exact: exact rules reading different open questions."""
        exact = self.index.domains.exact
        if not all(exact[r.id] for r in rules):
            return False
        if len(rules) == 1:
            return True
        seen: set[str] = set()
        for rule in rules:
            missing = self.d.missing_of(rule)
            if not seen.isdisjoint(missing):
                return False
            seen.update(missing)
        return True

    def _may_fit(self, pid: str, fits: list[Rule], blocks: list[Rule]) -> bool:
        """Whether some completion makes an open candidate a candidate despite open exclusions."""
        clean = self.clean
        if all(r.id in clean for r in fits) and all(r.id in clean for r in blocks):
            return True
        if self._independent([*fits, *blocks]):
            return True
        d = self.d
        rules = [*fits, *blocks]
        split = len(fits)

        def fits_now(truths: list[Truth]) -> bool:
            return True in truths[:split] and True not in truths[split:]

        questions = d.missing(rules)
        verdict, _ = settle(
            self.index.domains, [r.test for r in rules], fits_now, questions, d.answers, d.applies()
        )
        if verdict is False:
            d.settled.append(("candidate", pid, False, tuple(rules), questions))
            return False
        return True

    def _single(self, rule: Rule) -> tuple[Truth, tuple[str, ...] | None]:
        """An open rule alone: settled (True/False) or open, with the questions that matter."""
        found = self.single.get(rule.id)
        if found is None:
            found = self.single[rule.id] = self._settle_any([rule])
        return found

    def _cautions(self, pid: str, fired: list[Rule]) -> list[Rule]:
        truths, rules = self.truths, self.d.plan.kb.rules
        found = list(fired)
        for i in self.index.caveat.get(pid, ()):
            rule = rules[i]
            if truths[i] is None and self._single(rule)[0] is True:
                self.d.settled.append(("caveat", pid, True, (rule,), self.d.missing([rule])))
                found.append(rule)
        return found

    def _referrals(self) -> None:
        d = self.d
        raised = {rid for _rule, rid in d.referrals}
        for rid, rule_ids in self.index.refer.items():
            if rid in raised or all(self.truths[i] is not None for i in rule_ids):
                continue
            verdict, rules = self._outcome("refer", rid, self.index.refer, {})
            if verdict is True:
                d.referrals += [(rule, rid) for rule in rules]

    def _information(self) -> None:
        d = self.d
        for rule in d.open:
            if rule.inform and self._single(rule)[0] is True:
                d.information += [(rule, pid) for pid in rule.inform]
                d.settled += [
                    ("information", pid, True, (rule,), d.missing([rule])) for pid in rule.inform
                ]

    def _waiting(self, key: Key, rules: list[Rule]) -> tuple[str, ...]:
        mattering = self.open.get(key)
        missing = self.d.missing(rules)
        return missing if mattering is None else tuple(q for q in missing if q in mattering)

    def _targets(self, rule: Rule) -> list[tuple[str, tuple[str, ...] | None]]:
        """The outcomes an open rule can still change, each with the questions that can."""
        open_, undetermined = self.open, self.undetermined
        found = [
            (pid, open_[kind, pid])
            for kind, pids in (("candidate", rule.candidate), ("exclude", rule.exclude))
            for pid in pids
            if pid in undetermined and (kind, pid) in open_
        ]
        found += [(rid, open_["refer", rid]) for rid in rule.refer if ("refer", rid) in open_]
        if rule.inform or rule.caveat:
            verdict, mattering = self._single(rule)
            if verdict is None:
                found += [(pid, mattering) for pid in rule.caveat if pid in self.live]
                found += [(pid, mattering) for pid in rule.inform]
        return found

    def _unknown(self) -> None:
        d = self.d
        needed: dict[str, dict[str, None]] = {}
        rules: dict[str, dict[str, None]] = {}
        for rule in d.open:
            targets = self._targets(rule)
            if not targets:
                continue
            missing = d.missing_of(rule)
            for target, mattering in targets:
                for qid in missing:
                    if mattering is None or qid in mattering:
                        needed.setdefault(qid, {})[target] = None
                        rules.setdefault(qid, {})[rule.id] = None
        kb = d.plan.kb
        d.unknown = [
            (kb.by_id[q], tuple(needed[q]), tuple(rules[q])) for q in d.plan.order if q in needed
        ]
