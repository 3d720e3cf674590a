"""Check an answer document or a mapping of answers against the bank.

One validator serves answer files, JSONL lines, FHIR responses, the Python API
and the interactive intake, so what a prompt accepts and what a file may
contain cannot drift apart: unknown ids, types, choices, ranges, the items of a
repeating group, and answers to questions switched off by earlier answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from consult.answers.groups import AreaChecks
from consult.answers.values import check_value, kind_of
from consult.bank.model import Answer, Items, KnowledgeBase, Question, Section, plain_answer
from consult.bank.schema import Checker
from consult.bank.truth import applicability
from consult.bank.yamlsource import Node, describe, suggest
from consult.errors import InvalidAnswers, Problem, Source

FORMAT_VERSION = 1
# (required, optional) keys of an answer document and its `patient` mapping.
DOCUMENT_KEYS = (("consult", "answers"), ("patient",))
PATIENT_KEYS = ((), ("ref",))
PATIENT_REF_MAX = 64


@dataclass(frozen=True, slots=True)
class AnswerSet:
    """A checked answer set: only answers to questions that apply, in bank order."""

    answers: dict[str, Answer]
    patient_ref: str = ""
    warnings: tuple[str, ...] = ()
    source: str = ""


def check_answers(
    kb: KnowledgeBase,
    raw: Iterable[tuple[str, Any, Source]],
) -> tuple[dict[str, Answer], list[str], list[Problem]]:
    """Check (question id, value, place) triples; return answers, warnings, problems.

    Answers to questions switched off by earlier answers are dropped with a
    warning. A null value means "not answered". The treatment areas are checked
    last, against the patient's answers (`consult.answers.groups`).
    """
    problems: list[Problem] = []
    found: dict[str, tuple[Answer, Source]] = {}
    areas: list[tuple[Section, Any, Source]] = []
    for qid, value, source in raw:
        if qid in kb.groups:
            if value is not None:
                areas.append((kb.groups[qid], value, source))
            continue
        problem = _flat_answer(kb, qid, value, source, found)
        if problem is not None:
            problems.append(problem)
    answers, warnings = _drop_switched_off(kb, found)
    for group, value, source in areas:
        checks = AreaChecks(kb, group, answers)
        items = checks.check(value, source)
        problems += checks.problems
        warnings += checks.warnings
        if items is not None:
            answers[group.id] = items
    return _in_bank_order(kb, answers), warnings, problems


def _flat_answer(
    kb: KnowledgeBase, qid: str, value: Any, source: Source, found: dict[str, tuple[Answer, Source]]
) -> Problem | None:
    """Check one answer given for the whole patient into `found`; or the problem with it."""
    question = kb.by_id.get(qid)
    if question is None:
        return Problem(source, f"unknown question {qid!r}{suggest(qid, list(kb.by_id))}")
    group = kb.group_of(qid)
    if group is not None and group.key == qid:
        message = f"{qid!r} names an item of {group.id!r}: give it in each item there"
        return Problem(source, message)
    if value is None:
        return None
    checked, error = check_value(question, value)
    if error:
        return Problem(source, f"{qid!r}: {error}")
    if checked is not None:
        found[qid] = (checked, source)
    return None


def _in_bank_order(kb: KnowledgeBase, answers: dict[str, Answer]) -> dict[str, Answer]:
    """The answers in bank order; a group's items stand where its key question does."""
    order: list[str] = []
    for question in kb.questions:
        group = kb.group_of(question.id)
        order.append(group.id if group is not None and group.key == question.id else question.id)
    return {k: answers[k] for k in order if k in answers}


def _drop_switched_off(
    kb: KnowledgeBase, found: dict[str, tuple[Answer, Source]]
) -> tuple[dict[str, Answer], list[str]]:
    answers: dict[str, Answer] = {}
    warnings: list[str] = []
    applies = applicability(kb, answers)
    for question in kb.questions:  # bank order: a `when` reads only earlier answers
        entry = found.get(question.id)
        if entry is None:
            continue
        value, source = entry
        off = question.applies is not None and question.applies(answers, applies) is False
        if off and not question.always_read:
            warnings.append(
                f"{source}: {question.id!r} does not apply to these answers "
                "(switched off by earlier answers); ignored"
            )
            continue
        answers[question.id] = value
    return answers, warnings


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
    """Check a parsed answer document."""
    problems: list[Problem] = []
    check = Checker("", problems)
    fields = check.fields(root, *DOCUMENT_KEYS)
    if fields is None:
        raise InvalidAnswers(problems)
    version = fields.get("consult")
    if version is not None and not is_format_version(version.value):
        message = f"'consult': unsupported answer-file format {describe(version)}; expected 1"
        problems.append(Problem(version.source, message))
    ref = _patient_ref(check, fields.get("patient"))
    answers_node = fields.get("answers")
    triples: list[tuple[str, Any, Source]] = []
    if answers_node is not None:
        if answers_node.is_mapping and answers_node.key_sources is not None:
            groups = kb.groups
            for key, node in answers_node.value.items():
                value = node if key in groups and node.value is not None else node.plain()
                triples.append((key, value, node.source))
        elif answers_node.value is not None:
            check.fail(answers_node, f"'answers' must be a mapping; got {describe(answers_node)}")
    checked, warnings, more = check_answers(kb, triples)
    problems.extend(more)
    if problems:
        raise InvalidAnswers(problems)
    return AnswerSet(checked, ref, tuple(warnings), name)


def is_format_version(value: Any) -> bool:
    """Whether a `consult` field holds the format version: the whole number 1, not true or 1.0."""
    return value.__class__ is int and value == FORMAT_VERSION


def _patient_ref(check: Checker, node: Node | None) -> str:
    if node is None or node.value is None:
        return ""
    fields = check.fields(node, *PATIENT_KEYS)
    if not fields or "ref" not in fields:
        return ""
    ref = fields["ref"].value
    error = patient_ref_error(ref)
    if error:
        check.fail(fields["ref"], error)
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
