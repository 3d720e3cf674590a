"""Check the answers of a repeating group (treatment areas) in an answer file.

A repeating group's answers are a list of mappings, one per item, each with
the group's key question (such as `site`) and that item's answers. Every
message names the item, counting from 1 (`areas[2].active_infection_at_site`),
at its `file:line:col`; a key value given twice names both places. The value
checks themselves are those of `consult.engine.answers`, passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consult.bank.model import Answer, Items, KnowledgeBase, Question, Section
from consult.bank.yamlsource import Node, describe, plain_nodes, suggest
from consult.errors import Problem, Source

ValueCheck = Callable[[Question, Any], tuple[Answer | None, str]]


def group_questions(kb: KnowledgeBase, group: Section) -> tuple[Question, ...]:
    """The questions of a group, its key question first."""
    others = tuple(kb.by_id[q] for q in group.questions if q != group.key)
    return (kb.by_id[group.key], *others)


def quick_items(kb: KnowledgeBase, group: Section, check: ValueCheck) -> Callable[[Any], Any]:
    """A check of plain items: normalised `Items`, or None when something needs a message."""
    questions = group_questions(kb, group)
    key = group.key
    known = frozenset(q.id for q in questions)

    def check_items(value: Any) -> Items | None:
        if not isinstance(value, list):  # an `Items` checked before goes the long way
            return None
        found: list[Mapping[str, Answer]] = []
        seen: set[object] = set()
        for item in value:
            if not isinstance(item, dict) or not known.issuperset(item):
                return None
            site = item.get(key)
            if site in seen:
                return None
            seen.add(site)
            checked: dict[str, Answer] = {}
            for question in questions:
                raw = item.get(question.id)
                if raw is None:
                    if question.id == key:
                        return None
                    continue
                answer, error = check(question, raw)
                if error or answer is None:
                    return None
                checked[question.id] = answer
            found.append(checked)
        return Items(tuple(found), key)

    return check_items


def group_answer(
    kb: KnowledgeBase,
    qid: str,
    value: Any,
    source: Source,
    check: ValueCheck,
    found: dict[str, tuple[Answer, Source]],
    problems: list[Problem],
) -> None:
    """Check a repeating group's items (stored under its key question), or refuse its key."""
    groups = kb.groups
    if qid not in groups:
        group = next(g for g in groups.values() if g.key == qid)
        message = f"{qid!r} names an item of {group.id!r}: give it in each item there"
        problems.append(Problem(source, message))
        return
    if value is None:
        return
    items, more = check_items(kb, groups[qid], value, source, check)
    problems.extend(more)
    if items is not None:
        found[groups[qid].key] = (items, source)


def check_items(
    kb: KnowledgeBase, group: Section, value: Any, source: Source, check: ValueCheck
) -> tuple[Items | None, list[Problem]]:
    """Check a group's items given as nodes (with places) or plain data (placed at `source`)."""
    if isinstance(value, Items):  # checked before: checked again as plain data
        value = value.plain()
    node = value if isinstance(value, Node) else plain_nodes(value, source)
    problems: list[Problem] = []
    if not node.is_list:
        message = f"{group.id!r}: expected a list of mappings, each with {group.key!r}"
        problems.append(Problem(node.source, f"{message}; got {describe(node)}"))
        return None, problems
    questions = {q.id: q for q in group_questions(kb, group)}
    found: list[Mapping[str, Answer]] = []
    first: dict[object, Source] = {}
    for number, item in enumerate(node.value, start=1):
        name = f"{group.id}[{number}]"
        checked, ok = _item(kb, group, questions, item, name, check, problems)
        site = checked.get(group.key)
        if site is None:
            continue
        where = _key_source(item, group.key)
        if site in first:
            message = f"'{name}.{group.key}': {site!r} is given twice (first at {first[site]})"
            problems.append(Problem(where, message))
            continue
        first[site] = where
        if ok:
            found.append(checked)
    return (None if problems else Items(tuple(found), group.key)), problems


def _item(
    kb: KnowledgeBase,
    group: Section,
    questions: Mapping[str, Question],
    item: Node,
    name: str,
    check: ValueCheck,
    problems: list[Problem],
) -> tuple[dict[str, Answer], bool]:
    """An item's checked answers (key first), and whether all of them were valid."""
    if not item.is_mapping or item.key_sources is None:
        problems.append(Problem(item.source, f"{name!r}: expected a mapping; got {describe(item)}"))
        return {}, False
    answers: dict[str, Answer] = {}
    ok = True
    for qid, sub in item.value.items():
        question = questions.get(qid)
        if question is None:
            problems.append(Problem(item.key_sources[qid], _unknown(kb, group, name, qid)))
            ok = False
            continue
        if sub.value is None:
            continue
        answer, error = check(question, sub.plain())
        if error or answer is None:
            problems.append(Problem(sub.source, f"'{name}.{qid}': {error}"))
            ok = False
            continue
        answers[qid] = answer
    given = item.value.get(group.key)
    if given is None or given.value is None:  # not there at all (a bad one was reported)
        message = f"{name!r}: missing {group.key!r} (which {group.key} these answers are for)"
        problems.append(Problem(item.source, message))
        ok = False
    return {q: answers[q] for q in questions if q in answers}, ok


def _unknown(kb: KnowledgeBase, group: Section, name: str, qid: str) -> str:
    # An unknown key may hold anything, line separators included: quoted with escapes.
    field = repr(f"{name}.{qid}")
    if qid in kb.by_id:
        return f"{field}: {qid!r} is not asked per item of {group.id!r}; give it outside"
    hint = suggest(qid, list(group.questions))
    return f"{field}: unknown question {qid!r} in {group.id!r}{hint}"


def _key_source(item: Node, key: str) -> Source:
    sub = item.value.get(key)
    return sub.source if isinstance(sub, Node) else item.source
