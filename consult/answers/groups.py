"""Check the answers of the treatment areas (the bank's repeating group).

`areas` is a list of mappings, one per area, each with the group's key question
(`site`) and that area's answers: what is treated there (`concerns`), the
details of the lesion or place (scar type, burn depth, ...) and its site screen,
i.e. any question answered per area (`Question.per_area`). An area's answers
are checked as the patient's are: each value against its question, and a
question switched off by the area's own answers (its `when`, read on the area's
view: the patient's answers with the area's own over them) is a warning and
dropped. An area's concerns are among the patient's. Every message names the
area, counting from 1 (`areas[2].scar_type`), at its `file:line:col`; a site
given twice names both places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from consult.answers.values import value_check
from consult.bank.model import Answer, Items, KnowledgeBase, Question, Section, by_identity
from consult.bank.truth import applicability
from consult.bank.yamlsource import Node, describe, plain_nodes, suggest
from consult.errors import Problem, Source

CONCERNS = "concerns"
# Where a value of an answer document is: its positioned node (the positioned
# reader's), or the one place all of it is at (plain data: JSON, LibYAML's
# data, the Python API). Answers are checked as plain data either way; a place
# is looked up only for a message.
Where: TypeAlias = Node | Source


def part(where: Where, key: str | int) -> Where:
    """Where the entry `key` of a mapping (or the item `key` of a list) is."""
    return where.value[key] if isinstance(where, Node) else where


def place(where: Where) -> Source:
    """Where a value starts."""
    return where.source if isinstance(where, Node) else where


def key_place(where: Where, key: str) -> Source:
    """Where a key of a mapping is."""
    if isinstance(where, Node) and where.key_sources is not None:
        return where.key_sources[key]
    return place(where)


def positioned(value: Any, where: Where) -> Node:
    """A value with its places, as the checks of mappings that take nodes need it."""
    return where if isinstance(where, Node) else plain_nodes(value, where)


def area_questions(kb: KnowledgeBase, group: Section) -> tuple[Question, ...]:
    """The questions asked per area, the key question (site) first, then in bank order."""
    others = tuple(q for q in kb.questions if q.per_area and q.id != group.key)
    return (kb.by_id[group.key], *others)


def area_view(answers: Mapping[str, Answer], area: Mapping[str, Answer]) -> dict[str, Answer]:
    """An area's view: the patient's answers, the area's own over them."""
    return {**answers, **area}


class _Group:
    """What checking the items of one repeating group needs, worked out once per bank."""

    def __init__(self, kb: KnowledgeBase, group: Section) -> None:
        questions = area_questions(kb, group)
        # The questions asked per area, by id, in their order (the key question first).
        self.questions = {q.id: q for q in questions}
        self.ids = tuple(q.id for q in questions)
        self.rank = {qid: number for number, qid in enumerate(self.ids)}
        self.checks = {q.id: value_check(q) for q in questions}
        # The questions an area's own answers can switch off.
        self.tests = {q.id: q.applies for q in questions if q.applies is not None}


_BANKS: dict[int, tuple[KnowledgeBase, dict[str, _Group]]] = {}


def _groups(kb: KnowledgeBase) -> dict[str, _Group]:
    """The checking tables of each repeating group, by id (once per bank)."""
    return {g.id: _Group(kb, g) for g in kb.groups.values()}


class AreaChecks:
    """Checks the items of the treatment areas against the patient's checked answers."""

    def __init__(self, kb: KnowledgeBase, group: Section, answers: Mapping[str, Answer]) -> None:
        self.kb, self.group, self.answers = kb, group, answers
        self.tables = by_identity(_BANKS, kb, _groups, limit=8)[group.id]
        self.questions = self.tables.questions
        self.patient = applicability(kb, answers)
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def check(self, value: Any, where: Where) -> Items | None:
        """The checked areas, given as plain data (placed by `where`)."""
        if isinstance(value, Items):  # checked before: checked again as plain data
            value = value.plain()
        group = self.group
        if not isinstance(value, list):
            message = f"{group.id!r}: expected a list of mappings, each with {group.key!r}"
            self.problems.append(Problem(place(where), f"{message}; got {describe(value)}"))
            return None
        found: list[Mapping[str, Answer]] = []
        first: dict[object, Source] = {}
        key = group.key
        for number, item in enumerate(value, start=1):
            name = f"{group.id}[{number}]"
            at = part(where, number - 1)
            checked, ok = self._item(item, at, name)
            site = checked.get(key)
            if site is None:
                continue
            site_at = place(part(at, key))  # the site was given, so the item is a mapping
            if site in first:
                message = f"'{name}.{key}': {site!r} is given twice (first at {first[site]})"
                self.problems.append(Problem(site_at, message))
                continue
            first[site] = site_at
            if ok:
                found.append(self._applying(checked, at, name))
        if self.problems:
            return None
        # The answers to per-area questions given once for every area (the flat form).
        answers = self.answers
        every = {q: answers[q] for q in self._ordered(self.questions.keys() & answers.keys())}
        return Items(tuple(found), key, every)

    def _ordered(self, qids: Iterable[str]) -> list[str]:
        """Question ids asked per area in their order (the key question first).

        The ids are the bank's own, as the patient's answers are keyed: the
        engine reads the areas by those.
        """
        ids, rank = self.tables.ids, self.tables.rank
        return [ids[number] for number in sorted(map(rank.__getitem__, qids))]

    def _item(self, item: Any, where: Where, name: str) -> tuple[dict[str, Answer], bool]:
        """An area's checked answers (as given), and whether all were valid."""
        if not isinstance(item, dict):
            message = f"{name!r}: expected a mapping; got {describe(item)}"
            self.problems.append(Problem(place(where), message))
            return {}, False
        answers: dict[str, Answer] = {}
        ok = True
        checks = self.tables.checks
        for qid, value in item.items():
            check = checks.get(qid)
            if check is None:
                self.problems.append(Problem(key_place(where, qid), self._unknown(name, qid)))
                ok = False
            elif value is not None:
                answer, error = check(value)
                if not error and qid == CONCERNS:
                    error = self._outside_concerns(answer)
                if error or answer is None:
                    where_value = place(part(where, qid))
                    self.problems.append(Problem(where_value, f"'{name}.{qid}': {error}"))
                    ok = False
                else:
                    answers[qid] = answer
        key = self.group.key
        if item.get(key) is None:  # not there at all (a bad one was reported)
            message = f"{name!r}: missing {key!r} (which {key} these answers are for)"
            self.problems.append(Problem(place(where), message))
            ok = False
        return answers, ok

    def _outside_concerns(self, answer: Answer | None) -> str:
        """An area's concerns must be the patient's: "" when they are (or none are given)."""
        given = self.answers.get(CONCERNS)
        if not isinstance(answer, tuple):
            return ""
        if not isinstance(given, tuple):
            return "the patient's own 'concerns' must be answered too"
        outside = [c for c in answer if c not in given]
        if not outside:
            return ""
        return f"{outside[0]!r} is not among the patient's concerns ({', '.join(given)})"

    def _applying(self, area: dict[str, Answer], where: Where, name: str) -> dict[str, Answer]:
        """The area's answers in bank order, less those its own answers switch off (warned)."""
        order = self._ordered(area)
        tests = self.tables.tests
        if tests.keys().isdisjoint(area):  # nothing in the area can be switched off
            return {qid: area[qid] for qid in order}
        kept: dict[str, Answer] = {}
        view = area_view(self.answers, kept)
        applies = applicability(self.kb, view, self.patient)
        for qid in order:
            value = area[qid]
            test = tests.get(qid)
            if test is not None and test(view, applies) is False:
                at = place(part(where, qid))
                self.warnings.append(
                    f"{at}: '{name}.{qid}' does not apply to this area's answers "
                    "(switched off by earlier answers); ignored"
                )
                continue
            kept[qid] = view[qid] = value
        return kept

    def _unknown(self, name: str, qid: str) -> str:
        # An unknown key may hold anything, line separators included: quoted with escapes.
        field = repr(f"{name}.{qid}")
        group = self.group
        if qid in self.kb.by_id:
            return f"{field}: {qid!r} is not asked per item of {group.id!r}; give it outside"
        hint = suggest(qid, list(self.questions))
        return f"{field}: unknown question {qid!r} in {group.id!r}{hint}"
