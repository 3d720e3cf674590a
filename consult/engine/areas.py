"""Rules over the treatment areas: each procedure's site screen on the areas it treats.

A rule that quantifies over a repeating group (`{any_area: ...}`) is tested
once for the patient (for its referrals) and once per set of sites its
procedures treat: PRP for the scalp reads the scalp area, PRP for the face the
face and neck. A finding that holds in one area alone is attributed to it: the
engine hands on a copy of the rule with `area` set, and the result names it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from consult.bank.conditions import compile_condition, quantifiers_of, restrict
from consult.bank.model import Answer, Answers, Condition, Items, KnowledgeBase, Rule, Test, Truth

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

    def apply(
        self,
        answers: Answers,
        truths: tuple[Truth, ...],
        effects: dict[str, RulesBy],
        waiting: dict[str, RulesBy],
        information: list[tuple[Rule, str]],
    ) -> None:
        """Add the effects of the rules over the areas, each on the areas its procedure treats.

        `effects` (candidate, exclude, caveat) and `waiting` (candidate, exclude:
        the open rules) map procedure ids to rules, in rule order, as do the lists
        they are added to here.
        """
        rank = self.rank
        for rule, effect, pid, truth in self._settled(truths):
            if truth is True and effect == "inform":
                information.append((rule, pid))
                information.sort(key=lambda entry: rank[entry[0].id])  # stable
            elif truth is True:
                sites = self.kb.procedures[pid].sites
                found = self.in_areas([rule], answers, sites)
                self._insert(effects[effect].setdefault(pid, []), found)
            elif effect in waiting:  # unknown
                self._insert(waiting[effect].setdefault(pid, []), [rule])

    def _insert(self, found: list[Rule], rules: list[Rule]) -> None:
        """Insert the copies of one rule among others, in rule order."""
        rank = self.rank
        at = rank[rules[0].id]
        end = len(found)
        while end and rank[found[end - 1].id] > at:
            end -= 1
        found[end:end] = rules

    def _settled(self, truths: tuple[Truth, ...]) -> Iterator[tuple[Rule, str, str, Truth]]:
        """(rule, effect, procedure, truth) of each rule over the areas that is not false."""
        for rule, targets in self.sited:
            for index, pairs in targets:
                truth = truths[index]
                if truth is not False:
                    for effect, pid in pairs:
                        yield rule, effect, pid, truth

    def unsettled(
        self, open_rules: list[Rule], truths: tuple[Truth, ...]
    ) -> list[tuple[Rule, frozenset[str] | None]]:
        """The open rules; a rule over the areas with the outcomes it is still open for."""
        found: list[tuple[Rule, frozenset[str] | None]] = [
            (rule, None) for rule in open_rules if rule.id not in self.sited_ids
        ]
        base = {rule.id for rule in open_rules}
        for rule, targets in self.sited:
            open_for = {
                pid for index, pairs in targets if truths[index] is None for _, pid in pairs
            }
            if rule.id in base:
                open_for.update(rule.refer)  # a referral reads every area
            if open_for:
                found.append((rule, frozenset(open_for)))
        found.sort(key=lambda entry: self.rank[entry[0].id])
        return found

    def answers_of(self, rule: Rule, answers: Mapping[str, Answer]) -> Mapping[str, Answer]:
        """The answers a rule reads: for a finding in one area, that area's over the rest."""
        if rule.area:
            found = answers.get(group_of(rule))
            if isinstance(found, Items):
                for item in found.items:
                    if item.get(found.key) == rule.area:
                        return {**answers, **item}
        return answers


def group_of(rule: Rule) -> str:
    """The repeating group a rule's quantifiers range over."""
    return next(quantifiers_of(rule.when)).group
