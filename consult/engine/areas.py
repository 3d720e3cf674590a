"""Rules over the treatment areas: each procedure's site screen on the areas it treats.

A rule that quantifies over a repeating group (`{any_area: ...}`) is tested
once for the patient (for its referrals) and once per set of sites its
procedures treat: PRP for the scalp reads the scalp area, PRP for the face the
face and neck. A finding that holds in one area alone is attributed to it: the
engine hands on a copy of the rule with `area` set, and the result names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from consult.bank.model import Answer, Answers, Condition, Items, KnowledgeBase, Rule, Test, Truth
from consult.bank.truth import compile_condition, quantifiers_of, restrict

# A rule over the areas: the rule, then per set of sites the index of its truth
# and the (effect, procedure id) pairs it decides.
SitedRule = tuple[Rule, tuple[tuple[int, tuple[tuple[str, str], ...]], ...]]
RulesBy = dict[str, list[Rule]]


def _applies(_question: str) -> Truth:
    return True  # rules over areas read only the group's questions, which have no `when`


class AreaRules:
    """The rules of a bank that quantify over areas, with their per-procedure conditions."""

    def __init__(self, kb: KnowledgeBase, conditions: list[Condition]) -> None:
        """Append a condition per rule and set of sites to `conditions` (the engine's truths)."""
        self.kb = kb
        self.sited: list[SitedRule] = []
        for rule in kb.rules:
            if any(True for _ in quantifiers_of(rule.when)):
                self.sited.append(self._sited(rule, conditions))
        self.sited_ids = frozenset(r.id for r, _ in self.sited)
        self.rank = {r.id: i for i, r in enumerate(kb.rules)}
        # What `settle` walks: each rule, its place, and per set of sites the
        # (effect, procedure, the sites it treats) it decides, and those procedures.
        self.prepared = [
            (
                rule,
                self.rank[rule.id],
                tuple(
                    (
                        i,
                        tuple((e, pid, kb.procedures[pid].sites) for e, pid in pairs),
                        frozenset(pid for _, pid in pairs),
                    )
                    for i, pairs in targets
                ),
            )
            for rule, targets in self.sited
        ]
        self._copies: dict[tuple[str, str], Rule] = {}
        self._alone: dict[tuple[str, str], Test] = {}

    def _sited(self, rule: Rule, conditions: list[Condition]) -> SitedRule:
        targets: dict[frozenset[str] | None, list[tuple[str, str]]] = {}
        for effect in ("candidate", "exclude", "caveat", "inform"):
            for pid in getattr(rule, effect):
                targets.setdefault(self.kb.procedures[pid].sites, []).append((effect, pid))
        found = []
        for sites, pairs in targets.items():
            found.append((len(conditions), tuple(pairs)))
            conditions.append(restrict(rule.when, sites))
        return rule, tuple(found)

    def in_area(self, rule: Rule, site: str) -> Rule:
        """The copy of a rule whose finding belongs to one area (same id, `area` set)."""
        key = (rule.id, site)
        copy = self._copies.get(key)
        if copy is None:
            copy = self._copies[key] = replace(rule, area=site)
        return copy

    def holding(self, rule: Rule, answers: Answers, sites: frozenset[str] | None) -> list[str]:
        """The areas (among these sites) whose answers alone make the rule hold."""
        found = answers.get(group_of(rule))
        if not isinstance(found, Items):
            return []
        held = []
        for site in found.keys():  # noqa: SIM118 - Items.keys(), not a dict
            if sites is not None and site not in sites:
                continue
            test = self._alone.get((rule.id, site))
            if test is None:
                alone = restrict(rule.when, frozenset((site,)))
                test = self._alone[rule.id, site] = compile_condition(alone)
            if test(answers, _applies) is True:
                held.append(site)
        return held

    def in_areas(
        self, rules: list[Rule], answers: Answers, sites: frozenset[str] | None = None
    ) -> list[Rule]:
        """The rules, a rule over the areas once per area whose answers make it hold."""
        found: list[Rule] = []
        for rule in rules:
            areas = self.holding(rule, answers, sites) if rule.id in self.sited_ids else []
            found += [self.in_area(rule, a) for a in areas] if areas else [rule]
        return found

    def without(self, truths: tuple[Truth, ...]) -> tuple[Truth, ...]:
        """The truths with the rules over the areas left out (false): `settle` applies them."""
        found = list(truths)
        for rule, _ in self.sited:
            found[self.rank[rule.id]] = False
        return tuple(found)

    def settle(self, d: Any, truths: tuple[Truth, ...]) -> None:
        """Apply the rules over the areas to a decision, each procedure on the areas it treats.

        A finding in an area that a procedure treats excludes it (or cautions), with
        the area named; an unanswered one makes a candidate undetermined and is
        listed under unknown. `d` is a `consult.engine.decide.Decision`. Its
        outcome lists are rebuilt only when a finding changes them.
        """
        settling = _Settling(self, d, truths)
        live = {c[0].id for c in d.candidates} | {u[0].id for u in d.undetermined}
        for rule, rank, targets in self.prepared:
            wanted = settling.referrals(rule) if rule.refer and truths[rank] is None else []
            for index, pairs, pids in targets:
                truth = truths[index]
                if truth is True:
                    settling.held(rule, pairs)
                elif truth is None and not live.isdisjoint(pids):
                    wanted += settling.open(rule, pairs, live)
            if wanted:
                settling.waiting.append((rule, wanted))
        settling.write()

    def answers_of(self, rule: Rule, answers: Mapping[str, Answer]) -> Mapping[str, Answer]:
        """The answers a rule reads: for a finding in one area, that area's over the rest."""
        if rule.area:
            found = answers.get(group_of(rule))
            if isinstance(found, Items):
                for item in found.items:
                    if item.get(found.key) == rule.area:
                        return {**answers, **item}
        return answers


class _Settling:
    """One decision being settled by the rules over the areas."""

    def __init__(self, rules: AreaRules, d: Any, truths: tuple[Truth, ...]) -> None:
        self.rules, self.d, self.truths = rules, d, truths
        self.lists: _Lists | None = None  # made when a finding changes the outcome lists
        self.waiting: list[tuple[Rule, list[str]]] = []  # open rules, the outcomes they change

    def referrals(self, rule: Rule) -> list[str]:
        """The referrals an open rule can still raise."""
        raised = {rid for _, rid in self.d.referrals}
        return [r for r in rule.refer if r not in raised]

    def held(self, rule: Rule, pairs: tuple[tuple[str, str, frozenset[str] | None], ...]) -> None:
        """A rule that holds on the sites of these procedures: exclusions and caveats."""
        d = self.d
        for effect, pid, sites in pairs:
            if effect in ("exclude", "caveat"):
                self.lists = self.lists or _Lists(d)
                found = self.rules.in_areas([rule], d.answers, sites)
                in_scope = d._in_scope(pid, self.truths)
                self.lists.held(effect, pid, found, self.rules.rank, in_scope)

    def open(
        self, rule: Rule, pairs: tuple[tuple[str, str, frozenset[str] | None], ...], live: set[str]
    ) -> list[str]:
        """An open rule on these procedures' sites: the live ones (before settling) wait for it."""
        d = self.d
        wanted = []
        for effect, pid, _ in pairs:
            if pid in live:
                wanted.append(pid)
                if effect == "exclude":
                    self.lists = self.lists or _Lists(d)
                    self.lists.blocked(pid, rule)
        return wanted

    def write(self) -> None:
        """The changes back into the decision."""
        if self.lists is not None:
            self.lists.write()
        if self.waiting:
            _add_unknown(self.d, self.waiting)


class _Lists:
    """A decision's outcome lists by procedure, changed by findings in the areas."""

    def __init__(self, d: Any) -> None:
        self.d = d
        self.candidates = {c[0].id: list(c) for c in d.candidates}
        self.undetermined = {u[0].id: list(u) for u in d.undetermined}
        self.excluded = {e[0].id: list(e) for e in d.excluded}
        self.waiting: set[str] = set()  # undetermined procedures whose questions are redone

    def held(self, effect: str, pid: str, found: list[Rule], rank: Any, in_scope: bool) -> None:
        """A finding that holds: the procedure is excluded, or cautioned."""
        if effect == "caveat":
            entry = self.candidates.get(pid) or self.undetermined.get(pid)
            if entry is not None:
                at = 2 if pid in self.candidates else 4
                entry[at] = sorted([*entry[at], *found], key=lambda r: rank[r.id])
            return
        entry = self.excluded.get(pid)
        if entry is not None:
            entry[1] = sorted([*entry[1], *found], key=lambda r: rank[r.id])
            return
        self.candidates.pop(pid, None)
        self.undetermined.pop(pid, None)
        self.excluded[pid] = [self.d.plan.kb.procedures[pid], list(found), in_scope]

    def blocked(self, pid: str, rule: Rule) -> None:
        """An unanswered finding: a candidate waits for it."""
        if pid in self.excluded:
            return
        entry = self.candidates.pop(pid, None)
        if entry is not None:
            proc, fits, cautions = entry
            self.undetermined[pid] = [proc, (), [rule], fits, cautions]
        else:
            self.undetermined[pid][2] = [*self.undetermined[pid][2], rule]
        self.waiting.add(pid)  # its questions: those its blocking rules read (see `write`)

    def write(self) -> None:
        """Back into the decision's lists, in procedure order."""
        d = self.d
        for pid in self.waiting:
            entry = self.undetermined.get(pid)
            if entry is not None:
                entry[1] = d.missing(entry[2])
        order = d.plan.rank
        d.candidates = [tuple(self.candidates[p]) for p in sorted(self.candidates, key=order.get)]
        d.undetermined = [
            tuple(self.undetermined[p]) for p in sorted(self.undetermined, key=order.get)
        ]
        d.excluded = [tuple(self.excluded[p]) for p in sorted(self.excluded, key=order.get)]


def _add_unknown(d: Any, waiting: list[tuple[Rule, list[str]]]) -> None:
    """Each unanswered question of the open rules over the areas, with what it can change."""
    entries = {e[0].id: e for e in d.unknown}
    changed: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for rule, targets in waiting:
        for qid in d.missing_of(rule):
            lists = changed.get(qid)
            if lists is None:
                old = entries.get(qid)
                lists = changed[qid] = (
                    (dict.fromkeys(old[1]), dict.fromkeys(old[2])) if old else ({}, {})
                )
            lists[0].update(dict.fromkeys(targets))
            lists[1][rule.id] = None
    if not changed:
        return
    by_id = d.plan.kb.by_id
    for qid, (needed, rule_ids) in changed.items():
        entries[qid] = (by_id[qid], tuple(needed), tuple(rule_ids))
    d.unknown = sorted(entries.values(), key=lambda e: d.plan.position[e[0].id])


def group_of(rule: Rule) -> str:
    """The repeating group a rule's quantifiers range over."""
    return next(quantifiers_of(rule.when)).group
