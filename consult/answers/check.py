"""Check an answer document or a mapping of answers against the bank.

One validator serves answer files, JSONL lines, FHIR responses, the Python API
and the interactive intake, so what a prompt accepts and what a file may
contain cannot drift apart: unknown ids, types, choices, ranges, the items of a
repeating group, and answers to questions switched off by earlier answers.

The answers are checked as plain data, whoever read them; where each one is
(its node from the positioned reader, or one place for all of it) is looked up
only for a message (`consult.answers.groups.Where`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from consult.answers.groups import AreaChecks, Where, part, place, positioned
from consult.answers.values import kind_of, value_check
from consult.bank.model import (
    Answer,
    Items,
    KnowledgeBase,
    Question,
    Section,
    by_identity,
    plain_answer,
)
from consult.bank.schema import Checker
from consult.bank.truth import applicability
from consult.bank.yamlsource import Node, describe, suggest
from consult.errors import InvalidAnswers, Problem, Source

FORMAT_VERSION = 1
# (required, optional) keys of an answer document and its `patient` mapping.
DOCUMENT_KEYS = (("consult", "answers"), ("patient",))
PATIENT_KEYS = ((), ("ref",))
PATIENT_REF_MAX = 64
# The same keys as (required, allowed) sets, to see at once that a mapping has them right.
_KEY_SETS: dict[tuple[tuple[str, ...], ...], tuple[frozenset[str], frozenset[str]]] = {
    keys: (frozenset(keys[0]), frozenset(keys[0] + keys[1]))
    for keys in (DOCUMENT_KEYS, PATIENT_KEYS)
}


@dataclass(frozen=True, slots=True)
class AnswerSet:
    """A checked answer set: only answers to questions that apply, in bank order."""

    answers: dict[str, Answer]
    patient_ref: str = ""
    warnings: tuple[str, ...] = ()
    source: str = ""


class _Bank:
    """What checking answers needs of a bank, worked out once per bank."""

    def __init__(self, kb: KnowledgeBase) -> None:
        keys = {g.key for g in kb.groups.values()}
        # The questions answered once for the patient (all but the groups' key
        # questions), each with the check of its values.
        self.flat = {
            q.id: value_check(q) for q in kb.questions if q.id not in keys and q.id not in kb.groups
        }
        # The questions an earlier answer can switch off (and whose answer is then
        # dropped), in bank order: a `when` reads only earlier answers.
        self.tests = tuple(
            (q.id, q.applies)
            for q in kb.questions
            if q.id in self.flat and q.applies is not None and not q.always_read
        )
        self.tested = frozenset(qid for qid, _ in self.tests)
        # The answers' order: a group's items stand where its key question does.
        self.order = tuple(_group_id(kb, q.id) or q.id for q in kb.questions)


def _group_id(kb: KnowledgeBase, qid: str) -> str:
    group = kb.group_of(qid)
    return group.id if group is not None and group.key == qid else ""


_BANKS: dict[int, tuple[KnowledgeBase, _Bank]] = {}


def check_answers(
    kb: KnowledgeBase,
    raw: Iterable[tuple[str, Any, Where]],
) -> tuple[dict[str, Answer], list[str], list[Problem]]:
    """Check (question id, plain value, place) triples; return answers, warnings, problems.

    Answers to questions switched off by earlier answers are dropped with a
    warning. A null value means "not answered". The treatment areas are checked
    last, against the patient's answers (`consult.answers.groups`).
    """
    bank = by_identity(_BANKS, kb, _Bank, limit=8)
    problems: list[Problem] = []
    found: dict[str, Answer] = {}
    places: dict[str, Where] = {}
    areas: list[tuple[Section, Any, Where]] = []
    groups, flat, tested = kb.groups, bank.flat, bank.tested
    for qid, value, where in raw:
        check = flat.get(qid)
        if check is not None:
            if value is None:
                continue
            checked, error = check(value)
            if error:
                problems.append(Problem(place(where), f"{qid!r}: {error}"))
            elif checked is not None:
                found[qid] = checked
                if qid in tested:  # its place is needed if it is switched off
                    places[qid] = where
        elif qid in groups:
            if value is not None:
                areas.append((groups[qid], value, where))
        else:
            problems.append(_not_asked(kb, qid, place(where)))
    warnings = _drop_switched_off(kb, bank, found, places)
    if areas:
        _add_areas(kb, found, areas, warnings, problems)
    return {k: found[k] for k in bank.order if k in found}, warnings, problems


def _add_areas(
    kb: KnowledgeBase,
    answers: dict[str, Answer],
    areas: list[tuple[Section, Any, Where]],
    warnings: list[str],
    problems: list[Problem],
) -> None:
    """Add the groups' checked items to the patient's answers."""
    for group, value, where in areas:
        checks = AreaChecks(kb, group, answers)
        items = checks.check(value, where)
        problems += checks.problems
        warnings += checks.warnings
        if items is not None:
            answers[group.id] = items


def _not_asked(kb: KnowledgeBase, qid: str, where: Source) -> Problem:
    """The problem with an answer to no question, or to a group's key question."""
    group = kb.group_of(qid)
    if group is None:
        return Problem(where, f"unknown question {qid!r}{suggest(qid, list(kb.by_id))}")
    return Problem(where, f"{qid!r} names an item of {group.id!r}: give it in each item there")


def _drop_switched_off(
    kb: KnowledgeBase, bank: _Bank, found: dict[str, Answer], places: dict[str, Where]
) -> list[str]:
    """Drop the answers that earlier answers switch off; a warning for each.

    The questions are walked in bank order, so each `when` reads the earlier
    answers as kept: it names only questions asked before its own (the loader
    refuses others), so the answers after it, still in `found`, are never read.
    """
    warnings: list[str] = []
    if bank.tested.isdisjoint(found):  # the common case: no answer that could be off
        return warnings
    applies = applicability(kb, found)
    for qid, test in bank.tests:
        if qid in found and test(found, applies) is False:
            warnings.append(
                f"{place(places[qid])}: {qid!r} does not apply to these answers "
                "(switched off by earlier answers); ignored"
            )
            del found[qid]
    return warnings


def check_mapping(
    kb: KnowledgeBase, answers: Mapping[str, Any], name: str = "answers"
) -> AnswerSet:
    """Check a plain mapping of answers (the Python API); raises InvalidAnswers."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswers(
            [Problem(Source(name), f"expected a mapping; got {describe(answers)}")]
        )
    where = Source(name)
    triples = zip(map(str, answers.keys()), answers.values(), repeat(where))
    checked, warnings, problems = check_answers(kb, triples)
    if problems:
        raise InvalidAnswers(problems)
    return AnswerSet(checked, warnings=tuple(warnings), source=name)


def as_document(answers: Node) -> Node:
    """A bare answers mapping wrapped as an answer document (format version 1)."""
    where = answers.source
    fields = {"consult": Node(FORMAT_VERSION, where), "answers": answers}
    return Node(fields, where, {"consult": where, "answers": where})


def answer_set_from_node(kb: KnowledgeBase, root: Node, name: str) -> AnswerSet:
    """Check an answer document read with its places (every message located)."""
    return check_document(kb, root.plain(), root, name)


def check_document(kb: KnowledgeBase, doc: Any, where: Where, name: str) -> AnswerSet:
    """Check an answer document given as plain data, placed by `where`."""
    problems: list[Problem] = []
    if _fields(problems, doc, where, DOCUMENT_KEYS) is None:
        raise InvalidAnswers(problems)
    if "consult" in doc and not is_format_version(doc["consult"]):
        message = (
            f"'consult': unsupported answer-file format {describe(doc['consult'])}; expected 1"
        )
        problems.append(Problem(place(part(where, "consult")), message))
    ref = _patient_ref(problems, doc, where)
    answers = doc.get("answers")
    triples: Iterable[tuple[str, Any, Where]] = ()
    if isinstance(answers, dict):
        at = part(where, "answers")
        if isinstance(at, Node):
            triples = [(k, v, at.value[k]) for k, v in answers.items()]
        else:
            triples = zip(answers.keys(), answers.values(), repeat(at))
    elif answers is not None:
        message = f"'answers' must be a mapping; got {describe(answers)}"
        problems.append(Problem(place(part(where, "answers")), message))
    checked, warnings, more = check_answers(kb, triples)
    problems.extend(more)
    if problems:
        raise InvalidAnswers(problems)
    return AnswerSet(checked, ref, tuple(warnings), name)


def _fields(
    problems: list[Problem], value: Any, where: Where, keys: tuple[tuple[str, ...], ...]
) -> Any:
    """The mapping itself, or None when it is no mapping.

    Only when there is something to say (no mapping, a key unknown or missing)
    is it said, by the bank's `Checker.fields`, at the places of `where`.
    """
    if isinstance(value, dict):
        needed, allowed = _KEY_SETS[keys]
        if needed <= value.keys() <= allowed:
            return value
    required, optional = keys
    if Checker("", problems).fields(positioned(value, where), required, optional) is None:
        return None
    return value


def is_format_version(value: Any) -> bool:
    """Whether a `consult` field holds the format version: the whole number 1, not true or 1.0."""
    return value.__class__ is int and value == FORMAT_VERSION


def _patient_ref(problems: list[Problem], doc: dict[str, Any], where: Where) -> str:
    """The document's `patient.ref`, or "" when there is none (or it is unusable)."""
    patient = doc.get("patient")
    if patient is None:
        return ""
    where = part(where, "patient")
    if _fields(problems, patient, where, PATIENT_KEYS) is None:
        return ""
    if "ref" not in patient:
        return ""
    ref = patient["ref"]
    error = patient_ref_error(ref)
    if error:
        problems.append(Problem(place(part(where, "ref")), error))
        return ""
    return str(ref)


def patient_ref_error(ref: Any) -> str:
    """Why a patient reference is unusable, or "" when it is a short printable text.

    The reference lands in file names, front matter and tables, so control
    characters (which could rewrite a terminal or a summary) are refused.
    """
    if not isinstance(ref, str | int) or isinstance(ref, bool) or len(str(ref)) > PATIENT_REF_MAX:
        # Never quoted: a reference may hold a name, a date of birth, an address.
        return f"'patient.ref' must be a short text (at most 64 characters); got {kind_of(ref)}"
    if not str(ref).isprintable():
        return "'patient.ref' contains a control character"
    return ""


def answer_words(
    question: Question | None, value: Answer, *, sep: str = ", ", nothing: str = "none"
) -> str:
    """An answer as the patient saw it: Yes/No, choice labels, the number or the text."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Items):
        return sep.join(value.keys()) or nothing
    if question is None or isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return sep.join(_choice_label(question, v) for v in value) or nothing
    if question.kind == "one_of":
        return _choice_label(question, value)
    return value


def _choice_label(question: Question, choice_id: str) -> str:
    choice = question.choice(choice_id)
    return choice.label if choice is not None else choice_id


def answers_document(answers: Mapping[str, Answer], patient_ref: str = "") -> dict[str, Any]:
    """The answer-file document (contract format) for a set of answers."""
    doc: dict[str, Any] = {"consult": FORMAT_VERSION}
    if patient_ref:
        doc["patient"] = {"ref": patient_ref}
    doc["answers"] = {k: plain_answer(v) for k, v in answers.items()}
    return doc
