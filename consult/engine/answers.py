"""Check answer values and answer files against the bank.

One validator serves answer files, the Python API and the interactive intake,
so what a prompt accepts and what a file may contain cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from consult.bank.codegen import compile_checked
from consult.bank.model import (
    Answer,
    Applicability,
    Items,
    KnowledgeBase,
    Question,
    Truth,
    by_identity,
    plain_answer,
)
from consult.bank.schema import Checker
from consult.bank.yamlsource import (
    Node,
    YamlProblem,
    decode,
    describe,
    parse,
    read_text,
    suggest,
)
from consult.engine.items import group_answer, quick_items
from consult.engine.values import check_many, check_text, check_value
from consult.errors import InvalidAnswers, Problem, Source, display_path

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
    sources: dict[str, Source] = field(default_factory=dict, compare=False)
    # The engine's rule truths, when they were worked out while checking (the
    # batch fast path): (the engine plan they belong to, the truths).
    truths: tuple[object, tuple[Truth, ...]] | None = field(default=None, compare=False, repr=False)


def applicability(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> Applicability:
    """A memoised `applies(question_id)` for one answer set (three-valued)."""
    return _Applies(kb, answers)


class _Applies:
    """`applies(question_id)`, memoised.

    A class rather than a closure that calls itself: that closure is a
    reference cycle, left for the garbage collector once per answer set.
    """

    __slots__ = ("answers", "by_id", "memo")

    def __init__(self, kb: KnowledgeBase, answers: Mapping[str, Answer]) -> None:
        self.by_id = kb.by_id
        self.answers = answers
        self.memo: dict[str, Truth] = {}

    def __call__(self, qid: str) -> Truth:
        memo = self.memo
        if qid in memo:
            return memo[qid]
        test = self.by_id[qid].applies
        result = True if test is None else test(self.answers, self)
        memo[qid] = result
        return result


def check_answers(
    kb: KnowledgeBase,
    raw: Iterable[tuple[str, Any, Source]],
) -> tuple[dict[str, Answer], list[str], list[Problem]]:
    """Check (question id, value, place) triples; return answers, warnings, problems.

    Answers to questions switched off by earlier answers are dropped with a
    warning. A null value means "not answered".
    """
    raw = list(raw)
    given = {qid: value for qid, value, _source in raw}
    if len(given) == len(raw):  # no question twice
        quick = _bank(kb).quick(given)
        if quick is not None:  # every answer valid and applying: nothing to report
            return quick, [], []
    problems: list[Problem] = []
    found: dict[str, tuple[Answer, Source]] = {}
    grouped = {g.id for g in kb.groups.values()} | {g.key for g in kb.groups.values()}
    for qid, value, source in raw:
        question = kb.by_id.get(qid)
        if qid in grouped:
            group_answer(kb, qid, value, source, check_value, found, problems)
            continue
        if question is None:
            hint = suggest(qid, list(kb.by_id))
            problems.append(Problem(source, f"unknown question {qid!r}{hint}"))
            continue
        if value is None:
            continue
        checked, error = check_value(question, value)
        if error:
            problems.append(Problem(source, f"{qid!r}: {error}"))
        elif checked is not None:
            found[qid] = (checked, source)
    answers, warnings = _drop_switched_off(kb, found)
    return answers, warnings, problems


class _Bank:
    """Per-bank tables for checking answer sets (built once per knowledge base)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        # The engine's checker without the rules: `compile_checked` with no conditions.
        self._check = compile_checked((), kb.questions, value_check_lines, items_checks(kb))

    def quick(self, given: Mapping[str, Any]) -> dict[str, Answer] | None:
        """The checked answers in bank order when every answer is valid and applies.

        None when anything needs a message (an unknown question, an invalid
        value, an answer switched off by earlier answers): the full check then
        says what. It accepts exactly what `check_value` accepts, normalised
        the same way.
        """
        checked = self._check(given)
        return None if checked is None else checked[0]


def items_checks(kb: KnowledgeBase) -> dict[str, tuple[str, Any]]:
    """The quick checks of the bank's repeating groups, by key question (for `compile_checked`)."""
    return {g.key: (g.id, quick_items(kb, g, check_value)) for g in kb.groups.values()}


def value_check_lines(q: Question, i: int, namespace: dict[str, Any]) -> list[str]:
    """Source lines that check the answer `v` to question `q` (number `i` of the bank).

    They leave `v` normalised as `check_value` does, or `return None` when it
    would report a problem. The names they use (all starting `a_`) are put in
    `namespace`, so generated functions elsewhere (`consult.bank.codegen`) can use them too.
    """
    if q.kind == "yes_no":
        return ["if v.__class__ is not bool:", "    return None"]
    if q.kind == "integer" and q.minimum is not None and q.maximum is not None:
        namespace[f"a_lo{i}"], namespace[f"a_hi{i}"] = q.minimum, q.maximum
        return [f"if v.__class__ is not int or not a_lo{i} <= v <= a_hi{i}:", "    return None"]
    if q.kind == "one_of":
        namespace[f"a_ids{i}"] = frozenset(q.choice_ids)
        return [f"if v.__class__ is not str or v not in a_ids{i}:", "    return None"]
    namespace[f"a_q{i}"] = q
    check = {"many_of": "a_many", "text": "a_text"}.get(q.kind, "a_check")
    namespace.update(a_many=check_many, a_text=check_text, a_check=check_value)
    return [f"v, error = {check}(a_q{i}, v)", "if error:", "    return None"]


_BANKS: dict[int, tuple[KnowledgeBase, _Bank]] = {}


def _bank(kb: KnowledgeBase) -> _Bank:
    return by_identity(_BANKS, kb, _Bank, limit=8)


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
        if isinstance(value, Items):  # a group's items stand where its key question does
            answers[kb.by_id[question.id].section] = value
            continue
        if question.applies is not None and question.applies(answers, applies) is False:
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
    quick = _bank(kb).quick(answers)
    if quick is not None:
        return AnswerSet(quick, source=name)
    where = Source(name)
    triples = zip(map(str, answers.keys()), answers.values(), repeat(where))
    checked, warnings, problems = check_answers(kb, triples)
    if problems:
        raise InvalidAnswers(problems)
    return AnswerSet(checked, warnings=tuple(warnings), source=name)


def read_answer_file(kb: KnowledgeBase, path: Path, shown: str | None = None) -> AnswerSet:
    """Read and check one answer file (YAML or JSON); raises InvalidAnswers."""
    name = shown or display_path(path)
    try:
        text = read_text(path, name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    return parse_answer_text(kb, text, name)


def parse_answer_bytes(kb: KnowledgeBase, data: bytes, name: str) -> AnswerSet:
    """Check answer-file contents given as bytes (stdin, batch workers)."""
    try:
        text = decode(data, name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    return parse_answer_text(kb, text, name)


def parse_answer_text(kb: KnowledgeBase, text: str, name: str) -> AnswerSet:
    """Check answer-file contents given as text."""
    try:
        root = parse(text, name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    if root is None:
        raise InvalidAnswers([Problem(Source(name, 1, 1), "file is empty")])
    return answer_set_from_node(kb, root, name)


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
    sources = {qid: src for qid, _, src in triples}
    return AnswerSet(checked, ref, tuple(warnings), name, sources)


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
        return f"'patient.ref' must be a short text (at most 64 characters); got {describe(ref)}"
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
