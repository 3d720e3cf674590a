"""JSON Schemas (draft 2020-12) for the files authors edit: questions, rules, answers, scenarios.

The schemas are built from the loader's own tables: the (required, optional)
keys of every mapping (`bank.loader`, `bank.rules`, `engine.answers`,
`engine.scenarios`), the id patterns (`bank.schema`), the question kinds,
certainties and effects (`bank.model`), and the condition operators with their
value checks (`bank.conditions`). Each key's type mirrors the accessor the
loader reads it with; building a schema fails if a key has no type here, so a
key added to the loader cannot be missing from the schema. The answers and
scenario schemas are specific to a bank: they list its questions with their
types, choices and ranges.

What a schema cannot say (duplicate ids, references across files, `min`
above `max`, a question asked before the one its `when` reads) is left to
`consult validate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from consult.bank import loader, rules
from consult.bank.conditions import ALIASES, GROUPS, OPERATORS, VALUE_CHECKS
from consult.bank.model import BASES, CERTAINTIES, EFFECTS, KINDS, KnowledgeBase, Question
from consult.bank.schema import ID_PATTERNS
from consult.engine import answers, scenarios

DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS_OF_FILE = ("questions", "rules", "answers", "scenario")
Schema = dict[str, Any]
Keys = tuple[tuple[str, ...], tuple[str, ...]]

_TEXT: Schema = {"type": "string", "pattern": r"\S"}  # Checker.text: non-empty text
_FLAG: Schema = {"type": "boolean"}  # Checker.flag
_INTEGER: Schema = {"type": "integer"}  # Checker.integer
_SCALAR: Schema = {"type": ["boolean", "integer", "string"]}
# Control characters a text answer or patient reference may not hold.
_NO_CONTROLS = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"
_NO_CONTROLS_AT_ALL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def _ident(kind: str = "id") -> Schema:
    """Checker.ident: an id matching the pattern of its kind."""
    return {"type": "string", "pattern": ID_PATTERNS[kind].pattern}


def _ids(kind: str = "id", at_least: int = 0) -> Schema:
    """Checker.ids: a list of ids, or one id standing for a one-item list."""
    listed: Schema = {"type": "array", "items": _ident(kind)}
    if at_least:
        listed["minItems"] = at_least
    return {"anyOf": [_ident(kind), listed]}


def _list_of(ref: str) -> Schema:
    """Checker.items: a list of mappings."""
    return {"type": "array", "items": {"$ref": f"#/$defs/{ref}"}}


def _mapping(keys: Keys, fields: Mapping[str, Schema], **extra: Any) -> Schema:
    """Checker.fields: a mapping with these required and optional keys, nothing else."""
    required, optional = keys
    missing = [k for k in (*required, *optional) if k not in fields]
    if missing:
        raise KeyError(f"no schema type for loader key(s) {', '.join(missing)}")
    schema: Schema = {
        "type": "object",
        "properties": {k: fields[k] for k in (*required, *optional)},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _document(title: str, top: Schema, defs: Schema) -> Schema:
    return {"$schema": DRAFT, "title": title, **top, "$defs": defs}


# --- conditions ----------------------------------------------------------------

# The value each condition check accepts (`bank.conditions.VALUE_CHECKS`), by check.
_VALUE_SHAPES: dict[str, Schema] = {
    "_check_single": _SCALAR,
    "_check_list": {"type": "array", "minItems": 1, "items": _SCALAR},
    "_check_choice": _ident(),
    "_check_int": _INTEGER,
    "_check_between": {"type": "array", "minItems": 2, "maxItems": 2, "items": _INTEGER},
    "_check_flag": {"const": True},
}


def _condition() -> Schema:
    """A `when:` block: one of all/any/not, or a question with exactly one operator."""
    ref: Schema = {"$ref": "#/$defs/condition"}
    nested: dict[str, Schema] = {"all": {"type": "array", "minItems": 1, "items": ref}}
    nested["any"] = nested["all"]
    nested["not"] = ref
    assert set(nested) == set(GROUPS)
    forms = [_mapping(((key,), ()), nested) for key in GROUPS]
    # A quantifier over a repeating group: `any_area`, `all_areas` (named after the group).
    quantifier = {"^(any|all)_[a-z][a-z0-9_]*$": ref}
    forms.append(
        {"type": "object", "minProperties": 1, "maxProperties": 1, "patternProperties": quantifier}
        | {"additionalProperties": False}
    )
    for op in (*OPERATORS, *ALIASES):
        check = VALUE_CHECKS[ALIASES.get(op, op)]
        shapes = {"question": _ident(), op: _VALUE_SHAPES[check.__name__]}
        forms.append(_mapping((("question", op), ()), shapes))
    return {"anyOf": forms}


# --- questions -----------------------------------------------------------------


def _question_rules() -> list[Schema]:
    """The loader's checks between a question's `type` and its other keys."""
    choosing = ["one_of", "many_of"]

    def when_type(kinds: Iterable[str]) -> Schema:
        return {"properties": {"type": {"enum": list(kinds)}}}

    others = [k for k in KINDS if k != "many_of"]
    return [
        {
            "if": when_type(choosing),
            "then": {"required": ["choices"]},
            "else": {"properties": {"choices": False}},
        },
        {
            "if": when_type(["integer"]),
            "then": {"required": ["min", "max"]},
            "else": {"properties": {"min": False, "max": False}},
        },
        {
            "if": when_type(k for k in KINDS if k != "text"),
            "then": {"properties": {"max_length": False}},
        },
        {
            "if": when_type(others),
            "then": {
                "properties": {
                    "choices": {"items": {"properties": {"exclusive": {"const": False}}}}
                }
            },
        },
    ]


def questions_schema() -> Schema:
    """The schema of a file in `questions/`."""
    when = {"$ref": "#/$defs/condition"}
    defs = {
        "section": _mapping(
            loader.SECTION_KEYS,
            {
                "id": _ident(),
                "title": _TEXT,
                "questions": _list_of("question"),
                "when": when,
                "key": _ident(),
            },
        ),
        "question": _mapping(
            loader.QUESTION_KEYS,
            {
                "id": _ident(),
                "text": _TEXT,
                "type": {"enum": list(KINDS)},
                "choices": {**_list_of("choice"), "minItems": 1},
                "min": _INTEGER,
                "max": _INTEGER,
                "max_length": {**_INTEGER, "minimum": 1},
                "help": _TEXT,
                "required": _FLAG,
                "when": when,
            },
            allOf=_question_rules(),
        ),
        "choice": _mapping(
            loader.CHOICE_KEYS,
            {"id": _ident(), "label": _TEXT, "help": _TEXT, "exclusive": _FLAG},
        ),
        "condition": _condition(),
    }
    top = _mapping(
        loader.QUESTIONS_FILE_KEYS,
        {"sections": _list_of("section"), "version": {"type": ["string", "number"]}},
    )
    return _document("consult questions file", top, defs)


# --- rules ---------------------------------------------------------------------


def _rule_rules() -> list[Schema]:
    """The loader's checks between a rule's effects, `text` and `indication`."""
    some = {"anyOf": [{"type": "string"}, {"type": "array", "minItems": 1}]}

    def given(key: str) -> Schema:
        return {"required": [key], "properties": {key: some}}

    needs = [{"if": given(k), "then": {"required": ["text"]}} for k in rules.EFFECTS_WITH_TEXT]
    indication = {"if": {"required": ["indication"]}, "then": given("candidate")}
    return [{"anyOf": [{"required": [k]} for k in EFFECTS]}, *needs, indication]


def rules_schema() -> Schema:
    """The schema of a file in `rules/`."""
    evidence = {"$ref": "#/$defs/evidence"}
    effects = {key: _ids() for key in EFFECTS}
    defs = {
        "reference": _mapping(rules.REFERENCE_KEYS, {"id": _ident("reference"), "citation": _TEXT}),
        "referral": _mapping(
            rules.REFERRAL_KEYS, {"id": _ident(), "name": _TEXT, "description": _TEXT}
        ),
        "procedure": _mapping(
            rules.PROCEDURE_KEYS,
            {
                "id": _ident(),
                "name": _TEXT,
                "description": _TEXT,
                "evidence": evidence,
                "protocol": _TEXT,
                "downtime": _TEXT,
                "regulatory": _TEXT,
                "indications": _list_of("indication"),
                "sites": _ids(),
            },
        ),
        "indication": _mapping(
            rules.INDICATION_KEYS, {"id": _ident(), "label": _TEXT, "evidence": evidence}
        ),
        "evidence": _mapping(
            rules.EVIDENCE_KEYS,
            {
                "certainty": {"enum": list(CERTAINTIES)},
                "level": {**_INTEGER, "minimum": rules.LEVELS[0], "maximum": rules.LEVELS[1]},
                "summary": _TEXT,
                "references": _ids("reference", at_least=1),
                "design": _TEXT,
                "certainty_source": _TEXT,
            },
        ),
        "rule": _mapping(
            rules.RULE_KEYS,
            {
                "id": _ident("rule"),
                "when": {"$ref": "#/$defs/condition"},
                **effects,
                "text": _TEXT,
                "indication": _ident(),
                "description": _TEXT,
                "basis": {"enum": list(BASES)},
            },
            allOf=_rule_rules(),
        ),
        "condition": _condition(),
    }
    sections = {"procedures": "procedure", "references": "reference"}
    sections |= {"referrals": "referral", "rules": "rule"}
    top = _mapping(rules.RULES_FILE_KEYS, {k: _list_of(v) for k, v in sections.items()})
    return _document("consult rules file", top, defs)


# --- answers and scenarios -----------------------------------------------------


def _answer(question: Question) -> Schema:
    """The values `engine.answers.check_value` accepts for a question; null is "not answered"."""
    value: Schema
    if question.kind == "yes_no":
        value = {"type": "boolean"}
    elif question.kind == "integer":
        value = {**_INTEGER, "minimum": question.minimum, "maximum": question.maximum}
    elif question.kind == "one_of":
        value = {"enum": list(question.choice_ids)}
    elif question.kind == "many_of":
        value = _many(question)
    else:
        value = {"type": "string", "maxLength": question.max_length, "pattern": _NO_CONTROLS}
    return {"description": question.text, "anyOf": [value, {"type": "null"}]}


def _many(question: Question) -> Schema:
    choice = {"enum": list(question.choice_ids)}
    listed: Schema = {"type": "array", "items": choice, "uniqueItems": True}
    if question.required:
        listed["minItems"] = 1
    alone = [c.id for c in question.choices if c.exclusive]
    if alone:
        combined = [{"contains": {"const": c}} for c in alone]
        listed["if"] = {"anyOf": combined}
        listed["then"] = {"maxItems": 1}
    return {"anyOf": [choice, listed]}


def _answer_defs(kb: KnowledgeBase) -> Schema:
    keys = {g.key for g in kb.groups.values()}
    properties = {q.id: _answer(q) for q in kb.questions if q.id not in keys}
    for group in kb.groups.values():  # a list of items, each with its key question
        item: Schema = {
            "type": "object",
            "properties": {q: _answer(kb.by_id[q]) for q in group.questions},
            "required": [group.key],
            "additionalProperties": False,
        }
        item["properties"][group.key] = {"enum": list(kb.by_id[group.key].choice_ids)}
        properties[group.id] = {"anyOf": [{"type": "array", "items": item}, {"type": "null"}]}
    answers_map: Schema = {"type": ["object", "null"], "properties": properties}
    answers_map["additionalProperties"] = False
    ref = {
        "type": ["string", "integer"],
        "maxLength": answers.PATIENT_REF_MAX,
        "pattern": _NO_CONTROLS_AT_ALL,
    }
    patient = _mapping(answers.PATIENT_KEYS, {"ref": ref})
    patient["type"] = ["object", "null"]
    return {"answers": answers_map, "patient": patient}


def answers_schema(kb: KnowledgeBase) -> Schema:
    """The schema of an answer file for this bank."""
    defs = _answer_defs(kb)
    top = _mapping(
        answers.DOCUMENT_KEYS,
        {
            "consult": {"const": answers.FORMAT_VERSION},
            "answers": {"$ref": "#/$defs/answers"},
            "patient": {"$ref": "#/$defs/patient"},
        },
    )
    return _document(f"consult answer file (bank {kb.version})", top, defs)


def scenario_schema(kb: KnowledgeBase) -> Schema:
    """The schema of a scenario test file for this bank."""
    defs = _answer_defs(kb)
    defs["answers"] = {**defs["answers"], "type": "object"}
    texts = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    expect = _mapping(
        ((), (*scenarios.SETS, *scenarios.FRAGMENTS)),
        {
            **{key: {"type": "array", "items": {"type": "string"}} for key in scenarios.SETS},
            **{
                key: {"type": "object", "additionalProperties": texts}
                for key in scenarios.FRAGMENTS
            },
        },
    )
    top = _mapping(
        scenarios.SCENARIO_KEYS,
        {
            "answers": {"$ref": "#/$defs/answers"},
            "expect": expect,
            "description": {"type": "string"},
            "patient": {"$ref": "#/$defs/patient"},
        },
    )
    return _document(f"consult scenario test (bank {kb.version})", top, defs)


def schema_for(kind: str, kb: KnowledgeBase | None = None) -> Schema:
    """The schema of one kind of file; answers and scenarios need the bank."""
    if kind == "questions":
        return questions_schema()
    if kind == "rules":
        return rules_schema()
    if kb is None:
        raise ValueError(f"the {kind} schema needs a bank")
    return answers_schema(kb) if kind == "answers" else scenario_schema(kb)


def schema_text(schema: Schema) -> str:
    """The schema as the JSON text that is shipped and printed."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
