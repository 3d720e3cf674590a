"""Answer sets for batch runs: a fast path, with the positioned validator behind it.

The fast path parses with `json.loads` or the plain-YAML reader and checks
the answers with the engine's generated checker (`Plan.check`: the value
checks of `consult.engine.answers`, and the rule truths worked out on the way).
Whenever that checker gives up (a problem or a warning to report), or the text
is outside the fast reader's subset, the text is read again by the positioned
parser and checked by `consult.engine.answers.check_answers`, the validator of answer
files and the intake, so that every message names its `file:line:col`, exactly
as `consult evaluate FILE` reports it.

JSONL lines hold either a full answer document (an object with a `consult` or
`answers` key) or a bare answers mapping (`{"age": 40, ...}`).

A document with a `resourceType` is a FHIR QuestionnaireResponse: it never fits
the fast path and is read by `consult.fhir.response` from the positioned nodes.
"""

from __future__ import annotations

import json
from typing import Any

from consult.bank import quickyaml
from consult.bank.model import KnowledgeBase
from consult.bank.yamlsource import YamlProblem, parse, plain_nodes
from consult.engine.answers import (
    FORMAT_VERSION,
    AnswerSet,
    answer_set_from_node,
    as_document,
    patient_ref_error,
)
from consult.engine.decide import plan_of
from consult.errors import InvalidAnswers, Problem, Source

_DOC_KEYS = frozenset(("consult", "answers", "patient"))


class _Duplicate(Exception):
    """A JSON object repeats a key, or holds a number too long to convert.

    The positioned parser reads the text again and says where.
    """


def read_yaml(kb: KnowledgeBase, text: str, name: str) -> AnswerSet:
    """Check an answer document written in YAML (JSON is YAML too)."""
    doc = quickyaml.load(text)
    checked = None if doc is None else _fast(kb, doc, name)
    return checked or _positioned(kb, text, name, None)


def read_json(kb: KnowledgeBase, text: str, name: str) -> AnswerSet:
    """Check an answer document written in JSON; syntax errors name line and column."""
    try:
        doc = _json(text, name, 0)
    except _Duplicate:
        return _positioned(kb, text, name, None)
    return _fast(kb, doc, name) or _positioned(kb, text, name, doc)


def read_line(kb: KnowledgeBase, text: str, name: str, line: int) -> AnswerSet:
    """Check one JSONL line: an answer document or a bare answers mapping."""
    try:
        doc = _json(text, name, line)
    except _Duplicate:
        doc = None
    if isinstance(doc, dict) and not (doc.keys() & {"consult", "answers", "resourceType"}):
        doc = {"consult": FORMAT_VERSION, "answers": doc}
    checked = None if doc is None else _fast(kb, doc, name)
    if checked is not None:
        return checked
    try:
        return _at_line(_positioned(kb, text, name, doc, bare=True), name, line)
    except InvalidAnswers as exc:
        raise InvalidAnswers(_moved(p, line) for p in exc.problems) from None


def _json(text: str, name: str, line: int) -> Any:
    try:
        doc = json.loads(text)
        if _members(doc) == text.count(":"):
            return doc
        # A key may be repeated: parse again, catching it this time.
        return json.loads(text, object_pairs_hook=_unique)
    except json.JSONDecodeError as exc:
        where = Source(name, line or exc.lineno, exc.colno)
        raise InvalidAnswers([Problem(where, f"invalid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InvalidAnswers([Problem(Source(name), "invalid JSON: nested too deeply")]) from None
    except ValueError:  # a number too long to convert: the positioned parser says where
        raise _Duplicate from None


def _members(doc: Any) -> int:
    """The members of an object, of the objects directly in it, and of those they list.

    Every member of a JSON object is written with one colon outside strings,
    and a colon outside strings means nothing else, so the text has at least
    as many colons as members, and at least as many members as objects parsed
    with `json.loads` (which keeps the last of a repeated key). When these
    members alone account for every colon of the text, no key was repeated
    anywhere (and no colon sits inside a string, nor an object any deeper).
    Otherwise the text is parsed again with the hook that finds repeats:
    slower (a dict built per object in Python), needed only then.
    """
    if not isinstance(doc, dict):
        return -1
    count = len(doc)
    for value in doc.values():
        if isinstance(value, dict):
            count += len(value) + _listed(value.values())
    return count + _listed(doc.values())


def _listed(values: Any) -> int:
    """The members of the objects listed directly in these values (treatment areas)."""
    count = 0
    for value in values:
        if value.__class__ is list:
            count += sum(len(item) for item in value if item.__class__ is dict)
    return count


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Duplicate
    return found


def _fast(kb: KnowledgeBase, doc: Any, name: str) -> AnswerSet | None:
    """The checked answer set if nothing at all is wrong, else None."""
    if not isinstance(doc, dict) or not doc.keys() <= _DOC_KEYS:
        return None
    version = doc.get("consult")
    if "answers" not in doc or version != FORMAT_VERSION or version.__class__ is not int:
        return None
    answers = doc["answers"] if doc["answers"] is not None else {}
    ref = _ref(doc.get("patient"))
    if ref is None or not isinstance(answers, dict):
        return None
    plan = plan_of(kb)
    checked = plan.checked(answers)
    if checked is None:
        return None
    return AnswerSet(checked[0], ref, (), name, truths=(plan, checked[1]))


def _ref(patient: Any) -> str | None:
    """The patient reference, "" when absent, None when it needs a full check."""
    if patient is None:
        return ""
    if not isinstance(patient, dict) or not patient.keys() <= {"ref"}:
        return None
    ref = patient.get("ref", "")
    if ref is None:
        return None
    return None if patient_ref_error(ref) else str(ref)


def _positioned(
    kb: KnowledgeBase, text: str, name: str, doc: Any, *, bare: bool = False
) -> AnswerSet:
    """Check again with positions; JSON the YAML parser cannot read keeps none."""
    try:
        root = parse(text, name)
    except YamlProblem as exc:
        if doc is None:
            raise InvalidAnswers([exc.problem]) from None
        root = plain_nodes(doc, Source(name))
    if root is None:
        raise InvalidAnswers([Problem(Source(name, 1, 1), "file is empty")])
    if root.is_mapping and "resourceType" in root.value:
        # Imported here: answer files, the common case, do not pay for it.
        from consult.fhir.response import read_response

        return read_response(kb, root, name)
    if bare and root.is_mapping and not (root.value.keys() & {"consult", "answers"}):
        root = as_document(root)
    return answer_set_from_node(kb, root, name)


def _moved(problem: Problem, line: int) -> Problem:
    """A problem found in one JSONL line, placed at that line of the file."""
    where = problem.source
    if where.line != 1:
        return problem
    message = problem.message.replace("(first at line 1)", f"(first at line {line})")
    return Problem(Source(where.path, line, where.column), message)


def _at_line(answers: AnswerSet, name: str, line: int) -> AnswerSet:
    """Warnings of a JSONL line point at its line in the file."""
    prefix = f"{name}:1:"
    warnings = tuple(
        f"{name}:{line}:{w[len(prefix) :]}" if w.startswith(prefix) else w for w in answers.warnings
    )
    sources = {
        k: Source(s.path, line, s.column) if s.line == 1 else s for k, s in answers.sources.items()
    }
    return AnswerSet(answers.answers, answers.patient_ref, warnings, answers.source, sources)
