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

from collections.abc import Mapping
from typing import Any

from consult.answers.values import check_value
from consult.bank.model import Answer, Items, KnowledgeBase, Question, Section
from consult.bank.truth import applicability
from consult.bank.yamlsource import Node, describe, plain_nodes, suggest
from consult.errors import Problem, Source

CONCERNS = "concerns"


def area_questions(kb: KnowledgeBase, group: Section) -> tuple[Question, ...]:
    """The questions asked per area, the key question (site) first, then in bank order."""
    others = tuple(q for q in kb.questions if q.per_area and q.id != group.key)
    return (kb.by_id[group.key], *others)


def area_view(answers: Mapping[str, Answer], area: Mapping[str, Answer]) -> dict[str, Answer]:
    """An area's view: the patient's answers, the area's own over them."""
    return {**answers, **area}


class AreaChecks:
    """Checks the items of the treatment areas against the patient's checked answers."""

    def __init__(self, kb: KnowledgeBase, group: Section, answers: Mapping[str, Answer]) -> None:
        self.kb, self.group, self.answers = kb, group, answers
        self.questions = {q.id: q for q in area_questions(kb, group)}
        self.patient = applicability(kb, answers)
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def check(self, value: Any, source: Source) -> Items | None:
        """The checked areas (given as nodes with places, or as plain data placed at `source`)."""
        if isinstance(value, Items):  # checked before: checked again as plain data
            value = value.plain()
        node = value if isinstance(value, Node) else plain_nodes(value, source)
        group = self.group
        if not node.is_list:
            message = f"{group.id!r}: expected a list of mappings, each with {group.key!r}"
            self.problems.append(Problem(node.source, f"{message}; got {describe(node)}"))
            return None
        found: list[Mapping[str, Answer]] = []
        first: dict[object, Source] = {}
        for number, item in enumerate(node.value, start=1):
            name = f"{group.id}[{number}]"
            checked, ok = self._item(item, name)
            site = checked.get(group.key)
            if site is None:
                continue
            where = _key_source(item, group.key)
            if site in first:
                message = f"'{name}.{group.key}': {site!r} is given twice (first at {first[site]})"
                self.problems.append(Problem(where, message))
                continue
            first[site] = where
            if ok:
                found.append(self._applying(checked, item, name))
        if self.problems:
            return None
        every = {q: self.answers[q] for q in self.questions if q in self.answers}
        return Items(tuple(found), group.key, every)

    def _item(self, item: Node, name: str) -> tuple[dict[str, Answer], bool]:
        """An area's checked answers in bank order (site first), and whether all were valid."""
        if not item.is_mapping or item.key_sources is None:
            message = f"{name!r}: expected a mapping; got {describe(item)}"
            self.problems.append(Problem(item.source, message))
            return {}, False
        answers: dict[str, Answer] = {}
        ok = True
        for qid, sub in item.value.items():
            question = self.questions.get(qid)
            if question is None:
                self.problems.append(Problem(item.key_sources[qid], self._unknown(name, qid)))
                ok = False
            elif sub.value is not None:
                answer, error = check_value(question, sub.plain())
                error = error or self._outside_concerns(question, answer)
                if error or answer is None:
                    self.problems.append(Problem(sub.source, f"'{name}.{qid}': {error}"))
                    ok = False
                else:
                    answers[qid] = answer
        key = self.group.key
        given = item.value.get(key)
        if given is None or given.value is None:  # not there at all (a bad one was reported)
            message = f"{name!r}: missing {key!r} (which {key} these answers are for)"
            self.problems.append(Problem(item.source, message))
            ok = False
        return {q: answers[q] for q in self.questions if q in answers}, ok

    def _outside_concerns(self, question: Question, answer: Answer | None) -> str:
        """An area's concerns must be the patient's: "" when they are (or none are given)."""
        given = self.answers.get(CONCERNS)
        if question.id != CONCERNS or not isinstance(answer, tuple):
            return ""
        if not isinstance(given, tuple):
            return "the patient's own 'concerns' must be answered too"
        outside = [c for c in answer if c not in given]
        if not outside:
            return ""
        return f"{outside[0]!r} is not among the patient's concerns ({', '.join(given)})"

    def _applying(self, area: dict[str, Answer], item: Node, name: str) -> dict[str, Answer]:
        """The area's answers without those its own answers switch off (each a warning)."""
        kept: dict[str, Answer] = {}
        view = area_view(self.answers, kept)
        applies = applicability(self.kb, view, self.patient)
        for qid, value in area.items():
            question = self.questions[qid]
            if question.applies is not None and question.applies(view, applies) is False:
                where = item.value[qid].source
                self.warnings.append(
                    f"{where}: '{name}.{qid}' does not apply to this area's answers "
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


def _key_source(item: Node, key: str) -> Source:
    sub = item.value.get(key)
    return sub.source if isinstance(sub, Node) else item.source
