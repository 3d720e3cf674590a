"""Reading an answer set: bytes or text in any of its forms, a checked `AnswerSet` out.

This is the one way in for answers, whoever reads them (`consult evaluate`, the
intake's `--answers` and drafts' answer files, `consult explain`, `consult
diff`, `consult fhir`):

- YAML answer files are loaded by PyYAML (its LibYAML loader where installed),
  JSON ones by `json.loads`, and the data is checked (`consult.answers.check`);
- whenever there is something to say (a problem or a warning), or the text holds
  what PyYAML would read silently in a way a clinician would not expect (a key
  given twice, `012` read as octal, `1:30` as base 60, an alias, a merge key),
  the text is read again by the positioned reader (`consult.bank.yamlsource`) and
  checked again, so that every message names its `file:line:col`.

JSONL lines hold either a full answer document (an object with a `consult` or
`answers` key) or a bare answers mapping (`{"age": 40, ...}`). A document with a
`resourceType` is a FHIR QuestionnaireResponse (`consult.answers.fhir`). With
`scenario`, the `answers` of a scenario file (`consult test`) are read too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from yaml.constructor import SafeConstructor

from consult.answers.check import (
    FORMAT_VERSION,
    AnswerSet,
    answer_set_from_node,
    as_document,
    check_document,
)
from consult.bank.model import KnowledgeBase
from consult.bank.yamlsource import (
    DECIMAL,
    MAX_BYTES,
    MAX_DIGITS,
    SCAN_ABOVE,
    YamlProblem,
    decode,
    parse,
    plain_nodes,
    read_text,
)
from consult.errors import InvalidAnswers, Problem, Source, display_path

try:  # LibYAML's loader is several times faster; fall back to the pure-Python one.
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

_TEXT = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_WHOLE = "tag:yaml.org,2002:int"
_MAP = "tag:yaml.org,2002:map"
_LIST = "tag:yaml.org,2002:seq"
_BOOLS: dict[str, bool] = SafeConstructor.bool_values


class _Locate(Exception):
    """The text needs the positioned reader: it holds something to say, at its place."""


class _Loader(_SafeLoader):
    """PyYAML's safe loader, giving up where it would read a value silently otherwise.

    A repeated key (PyYAML keeps the last), a merge key, a key that is not text,
    and a whole number written otherwise than in plain decimal digits (YAML 1.1
    reads `012` as 10 and `1:30` as 90) are left to the positioned reader, which
    names them at their place.

    A plain value's tag is resolved as PyYAML resolves it, from the table of its
    patterns by first character made once (`_IMPLICIT`) rather than joined anew
    for each value; any other value takes its kind's default tag, as no path
    resolvers are registered for answer files (and none are walked).
    """

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], _ANY_FIRST):
                    if pattern.match(value):
                        return tag
            return _TEXT
        if kind is yaml.MappingNode:
            return _MAP
        if kind is yaml.SequenceNode:
            return _LIST
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def descend_resolver(self, _node: yaml.Node | None, _index: Any) -> None:
        return

    def ascend_resolver(self) -> None:
        return


# PyYAML's patterns for plain values, by first character ("" for an empty value),
# each followed by those for any first character, in PyYAML's order.
_Patterns: TypeAlias = tuple[tuple[str, re.Pattern[str]], ...]
_ANY_FIRST: _Patterns = tuple(_Loader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT: dict[str, _Patterns] = {
    first: (*patterns, *_ANY_FIRST)
    for first, patterns in _Loader.yaml_implicit_resolvers.items()
    if first is not None
}


def _mapping(loader: _Loader, node: yaml.Node) -> dict[str, Any]:
    """A mapping whose keys are all plain text, each given once; else `_Locate`.

    Built at once, not as PyYAML builds a mapping that an alias could refer to
    from inside it: a text holding an alias never gets here (see `_yaml`).
    """
    if not isinstance(node, yaml.MappingNode):
        raise _Locate
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key_node.tag != _TEXT or type(key) is not str or key in mapping:
            raise _Locate  # a merge key (`<<`), a key that is not text, a repeated key
        mapping[key] = _value(loader, value_node)
    return mapping


def _sequence(loader: _Loader, node: yaml.Node) -> list[Any]:
    """A list, built at once (as a mapping is)."""
    if not isinstance(node, yaml.SequenceNode):
        raise _Locate
    return [_value(loader, item) for item in node.value]


def _value(loader: _Loader, node: yaml.Node) -> Any:
    """A value of a mapping or a list, as PyYAML's safe loader reads it.

    Mappings, lists, text, true/false and whole numbers are read directly
    (without the bookkeeping PyYAML keeps for aliases), anything else by PyYAML.
    """
    tag = node.tag
    if type(node) is yaml.ScalarNode:
        if tag == _TEXT:
            return node.value
        if tag == _BOOL:
            return _BOOLS[node.value.lower()]
        if tag == _WHOLE:
            return _integer(loader, node)
    elif type(node) is yaml.MappingNode and tag == _MAP:
        return _mapping(loader, node)
    elif type(node) is yaml.SequenceNode and tag == _LIST:
        return _sequence(loader, node)
    return loader.construct_object(node)


def _integer(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if not isinstance(text, str) or not DECIMAL.fullmatch(text) or len(text) > MAX_DIGITS:
        raise _Locate
    return int(text)


_Loader.add_constructor(_MAP, _mapping)
_Loader.add_constructor(_LIST, _sequence)
_Loader.add_constructor(_WHOLE, _integer)


def read_file(
    kb: KnowledgeBase, path: Path | str, shown: str | None = None, *, scenario: bool = False
) -> AnswerSet:
    """Read and check one answer file: JSON when its name ends in `.json`, else YAML.

    Raises:
        InvalidAnswers: the answers have problems (each located).
        InputError: the file cannot be read at all.
    """
    name = shown or display_path(path)
    try:
        text = read_text(path, name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    return read_answers(kb, text, name, json=str(path).endswith(".json"), scenario=scenario)


def read_bytes(kb: KnowledgeBase, data: bytes, name: str, *, scenario: bool = False) -> AnswerSet:
    """Read and check an answer document given as bytes (stdin), as YAML."""
    try:
        text = decode(data, name)
    except YamlProblem as exc:
        raise InvalidAnswers([exc.problem]) from None
    return read_answers(kb, text, name, scenario=scenario)


def read_answers(
    kb: KnowledgeBase, text: str, name: str, *, json: bool = False, scenario: bool = False
) -> AnswerSet:
    """Read and check an answer document given as text (YAML, or JSON with `json`).

    Raises:
        InvalidAnswers: the answers have problems (each located).
    """
    doc: Any = None
    if json:
        try:
            doc = _json(text, name, 0)
        except _Locate:
            return _located(kb, text, name, None, scenario=scenario)
    else:
        doc = _yaml(text)
    if doc is not None:
        found = _quiet(kb, _answers_of(doc) if scenario else doc, name)
        if found is not None:
            return found
    # JSON the positioned reader cannot read keeps its data (without places); YAML
    # it cannot read is a located problem.
    return _located(kb, text, name, doc if json else None, scenario=scenario)


def read_line(kb: KnowledgeBase, data: bytes, name: str, line: int) -> AnswerSet:
    """Read and check one JSONL line: an answer document or a bare answers mapping.

    Raises:
        InvalidAnswers: the answers have problems, located at the line.
    """
    text = _line_text(data, name, line)
    try:
        doc = _json(text, name, line)
    except _Locate:
        doc = None
    if isinstance(doc, dict) and _DOCUMENT_KEYS.isdisjoint(doc):
        doc = {"consult": FORMAT_VERSION, "answers": doc}
    found = None if doc is None else _quiet(kb, doc, name)
    if found is not None:
        return found
    try:
        return _at_line(_located(kb, text, name, doc, bare=True), name, line)
    except InvalidAnswers as exc:
        raise InvalidAnswers(_moved(p, line) for p in exc.problems) from None


# The keys that make a JSONL line an answer document (or a FHIR response), not bare answers.
_DOCUMENT_KEYS = frozenset({"consult", "answers", "resourceType"})


def _line_text(data: bytes, name: str, line: int) -> str:
    if len(data) > MAX_BYTES:
        message = f"line is longer than {MAX_BYTES:,} bytes"
        raise InvalidAnswers([Problem(Source(name, line, 1), message)])
    try:
        return data.decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start} cannot be decoded)"
        raise InvalidAnswers([Problem(Source(name, line, 1), message)]) from None


def _yaml(text: str) -> Any:
    """The data of a YAML document, or None when the positioned reader must read it.

    Aliases (refused in answer files) and documents nested deep enough to strain
    LibYAML's recursion go to the positioned reader directly, as does anything
    PyYAML refuses or `_Loader` leaves to it.
    """
    if ("*" in text and "&" in text) or sum(text.count(c) for c in "[{-:?") > SCAN_ABOVE:
        return None
    try:
        return yaml.load(text, Loader=_Loader)
    except Exception:  # noqa: BLE001 - whatever PyYAML fails on, the positioned reader words
        # (a tag it cannot read raises anything from a YAMLError to an AttributeError)
        return None


def _json(text: str, name: str, line: int) -> Any:
    """The data of a JSON document; syntax errors are located problems.

    Raises:
        _Locate: a key is repeated, or a number is too long to convert.
    """
    try:
        if text.startswith("\ufeff"):
            json.loads(text)  # refused with json's own message
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        where = Source(name, line or exc.lineno, exc.colno)
        raise InvalidAnswers([Problem(where, f"invalid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InvalidAnswers([Problem(Source(name), "invalid JSON: nested too deeply")]) from None
    except ValueError:  # a number too long to convert: the positioned reader says where
        raise _Locate from None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Locate
    return found


# One decoder for every document: `json.loads` with a hook builds a new one each time.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique)


def _quiet(kb: KnowledgeBase, doc: Any, name: str) -> AnswerSet | None:
    """The checked answer set when there is nothing to say about it, else None."""
    if not isinstance(doc, dict) or "resourceType" in doc:
        return None
    try:
        found = check_document(kb, doc, Source(name), name)
    except InvalidAnswers:
        return None
    return None if found.warnings else found


def _answers_of(doc: Any) -> Any:
    """A scenario file's answers as an answer document; any other document as it is."""
    if isinstance(doc, dict) and "expect" in doc and "answers" in doc:
        return {"consult": FORMAT_VERSION, "answers": doc["answers"]}
    return doc


def _located(
    kb: KnowledgeBase,
    text: str,
    name: str,
    doc: Any,
    *,
    bare: bool = False,
    scenario: bool = False,
) -> AnswerSet:
    """Read again with positions and check; JSON the YAML reader refuses keeps none."""
    try:
        root = parse(text, name)
    except YamlProblem as exc:
        if doc is None:
            raise InvalidAnswers([exc.problem]) from None
        root = plain_nodes(doc, Source(name))
    if root is None:
        raise InvalidAnswers([Problem(Source(name, 1, 1), "file is empty")])
    if root.is_mapping and "resourceType" in root.value:
        from consult.answers.fhir import read_response

        return read_response(kb, root, name)
    if scenario and root.is_mapping and "expect" in root.value and "answers" in root.value:
        root = as_document(root.value["answers"])
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
    return AnswerSet(answers.answers, answers.patient_ref, warnings, answers.source)
