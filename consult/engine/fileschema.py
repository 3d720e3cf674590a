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
from collections.abc import Iterable

from consult.answers import check as answers
from consult.answers.groups import CONCERNS
from consult.bank import loader, rules
from consult.bank.codes import SYSTEMS, UNITS
from consult.bank.model import BASES, CERTAINTIES, EFFECTS, KINDS, KnowledgeBase, Question
from consult.engine import scenarios
from consult.engine import schemaparts as parts
from consult.engine.schemaparts import Schema

KINDS_OF_FILE = ("questions", "rules", "answers", "scenario")


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
        {
            "if": when_type(k for k in KINDS if k != "integer"),
            "then": {"properties": {"code": {"properties": {"unit": False}}}},
        },
    ]


def _code(*, unit: bool) -> Schema:
    """A `code:` mapping: system, code and display together; a number's UCUM unit."""
    fields: dict[str, Schema | bool] = {
        "system": {"enum": list(SYSTEMS)},
        "code": parts.TEXT,
        "display": parts.TEXT,
        "unit": {"enum": list(UNITS)} if unit else False,
    }
    named = ("system", "code", "display")
    together = {k: [o for o in named if o != k] for k in named}
    return parts.mapping(loader.CODE_KEYS, fields, minProperties=1, dependentRequired=together)


def questions_schema() -> Schema:
    """The schema of a file in `questions/`."""
    when = {"$ref": "#/$defs/condition"}
    defs = {
        "section": parts.mapping(
            loader.SECTION_KEYS,
            {
                "id": parts.ident(),
                "title": parts.TEXT,
                "questions": parts.list_of("question"),
                "when": when,
                "key": parts.ident(),
                "per_area": parts.FLAG,
            },
        ),
        "question": parts.mapping(
            loader.QUESTION_KEYS,
            {
                "id": parts.ident(),
                "text": parts.TEXT,
                "type": {"enum": list(KINDS)},
                "choices": {**parts.list_of("choice"), "minItems": 1},
                "min": parts.INTEGER,
                "max": parts.INTEGER,
                "max_length": {**parts.INTEGER, "minimum": 1},
                "help": parts.TEXT,
                "required": parts.FLAG,
                "when": when,
                "per_area": parts.FLAG,
                "code": _code(unit=True),
                "always_read": parts.FLAG,
            },
            allOf=_question_rules(),
        ),
        "choice": parts.mapping(
            loader.CHOICE_KEYS,
            {
                "id": parts.ident(),
                "label": parts.TEXT,
                "help": parts.TEXT,
                "exclusive": parts.FLAG,
                "sites": {"anyOf": [parts.ident(), {"type": "array", "items": parts.ident()}]},
                "code": _code(unit=False),
            },
        ),
        "condition": parts.condition(),
    }
    top = parts.mapping(
        loader.QUESTIONS_FILE_KEYS,
        {"sections": parts.list_of("section"), "version": {"type": ["string", "number"]}},
    )
    return parts.document("consult questions file", top, defs)


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
    effects = {key: parts.ids() for key in EFFECTS}
    defs = {
        "reference": parts.mapping(
            rules.REFERENCE_KEYS, {"id": parts.ident("reference"), "citation": parts.TEXT}
        ),
        "referral": parts.mapping(
            rules.REFERRAL_KEYS,
            {
                "id": parts.ident(),
                "name": parts.TEXT,
                "description": parts.TEXT,
                "patient": parts.TEXT,
            },
        ),
        "procedure": parts.mapping(
            rules.PROCEDURE_KEYS,
            {
                "id": parts.ident(),
                "name": parts.TEXT,
                "description": parts.TEXT,
                "evidence": evidence,
                "protocol": parts.TEXT,
                "downtime": parts.TEXT,
                "regulatory": parts.TEXT,
                "indications": parts.list_of("indication"),
                "sites": parts.ids(),
                "patient": {"$ref": "#/$defs/patient_text"},
            },
        ),
        "patient_text": parts.mapping(
            rules.PATIENT_TEXT_KEYS, dict.fromkeys(rules.PATIENT_TEXT_KEYS[0], parts.TEXT)
        ),
        "indication": parts.mapping(
            rules.INDICATION_KEYS, {"id": parts.ident(), "label": parts.TEXT, "evidence": evidence}
        ),
        "evidence": parts.mapping(
            rules.EVIDENCE_KEYS,
            {
                "certainty": {"enum": list(CERTAINTIES)},
                "level": {**parts.INTEGER, "minimum": rules.LEVELS[0], "maximum": rules.LEVELS[1]},
                "summary": parts.TEXT,
                "references": parts.ids("reference", at_least=1),
                "design": parts.TEXT,
                "certainty_source": parts.TEXT,
            },
        ),
        "rule": parts.mapping(
            rules.RULE_KEYS,
            {
                "id": parts.ident("rule"),
                "when": {"$ref": "#/$defs/condition"},
                **effects,
                "text": parts.TEXT,
                "indication": parts.ident(),
                "description": parts.TEXT,
                "basis": {"enum": list(BASES)},
                "patient": parts.TEXT,
            },
            allOf=_rule_rules(),
        ),
        "condition": parts.condition(),
    }
    sections = {"procedures": "procedure", "references": "reference"}
    sections |= {"referrals": "referral", "rules": "rule"}
    top = parts.mapping(rules.RULES_FILE_KEYS, {k: parts.list_of(v) for k, v in sections.items()})
    return parts.document("consult rules file", top, defs)


# --- answers and scenarios -----------------------------------------------------


def _answer(question: Question) -> Schema:
    """The values `engine.answers.check_value` accepts for a question; null is "not answered"."""
    value: Schema
    if question.kind == "yes_no":
        value = parts.BOOLEAN
    elif question.kind == "integer":
        value = {**parts.INTEGER, "minimum": question.minimum, "maximum": question.maximum}
    elif question.kind == "one_of":
        value = {"enum": list(question.choice_ids)}
    elif question.kind == "many_of":
        value = _many(question)
    else:
        value = {"type": "string", "maxLength": question.max_length, "pattern": parts.NO_CONTROLS}
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
    return listed  # a list always, one choice too (`check_many`)


def _answer_defs(kb: KnowledgeBase) -> Schema:
    keys = {g.key for g in kb.groups.values()}
    properties = {q.id: _answer(q) for q in kb.questions if q.id not in keys}
    for group in kb.groups.values():  # a list of items, each with its key question
        per_area = [q.id for q in kb.questions if q.per_area]  # asked in each item
        item: Schema = {
            "type": "object",
            "properties": {q: _answer(kb.by_id[q]) for q in per_area},
            "required": [group.key],
            "additionalProperties": False,
        }
        sites = kb.by_id[group.key].choice_ids
        item["properties"][group.key] = {"enum": list(sites)}
        listed = {"type": "array", "items": item, "allOf": _once_each(group.key, sites)}
        properties[group.id] = {"anyOf": [listed, {"type": "null"}]}
    answers_map: Schema = {"type": ["object", "null"], "properties": properties}
    answers_map["additionalProperties"] = False
    if _area_concerns(kb):
        answers_map["allOf"] = _area_concerns(kb)
    ref = {
        "type": ["string", "integer"],
        "maxLength": answers.PATIENT_REF_MAX,
        "pattern": parts.NO_CONTROLS_AT_ALL,
    }
    patient = parts.mapping(answers.PATIENT_KEYS, {"ref": ref})
    patient["type"] = ["object", "null"]
    return {"answers": answers_map, "patient": patient}


def _once_each(key: str, values: Iterable[str]) -> list[Schema]:
    """An area's site is given once: at most one item holds each value of the key."""
    return [
        {"contains": {"properties": {key: {"const": v}}, "required": [key]}}
        | {"minContains": 0, "maxContains": 1}
        for v in values
    ]


def _area_concerns(kb: KnowledgeBase) -> list[Schema]:
    """An area's concerns are among the patient's (`AreaChecks`): one rule per concern."""
    group, concerns = kb.areas, kb.by_id.get(CONCERNS)
    if group is None or concerns is None or CONCERNS not in kb.per_area:
        return []
    rules = []
    for choice in concerns.choice_ids:
        holds = {"contains": {"const": choice}}
        in_area = {"properties": {CONCERNS: holds}, "required": [CONCERNS]}
        rules.append(
            {
                "if": {"properties": {group.id: {"contains": in_area}}, "required": [group.id]},
                "then": {"properties": {CONCERNS: holds}, "required": [CONCERNS]},
            }
        )
    return rules


def answers_schema(kb: KnowledgeBase) -> Schema:
    """The schema of an answer file for this bank."""
    defs = _answer_defs(kb)
    top = parts.mapping(
        answers.DOCUMENT_KEYS,
        {
            "consult": {"const": answers.FORMAT_VERSION},
            "answers": {"$ref": "#/$defs/answers"},
            "patient": {"$ref": "#/$defs/patient"},
        },
    )
    return parts.document(f"consult answer file (bank {kb.version})", top, defs)


def scenario_schema(kb: KnowledgeBase) -> Schema:
    """The schema of a scenario test file for this bank."""
    defs = _answer_defs(kb)
    defs["answers"] = {**defs["answers"], "type": "object"}
    texts = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    ids = {"type": "array", "items": {"type": "string"}}
    per_area = parts.mapping(((), scenarios.AREA_SETS), dict.fromkeys(scenarios.AREA_SETS, ids))
    expect = parts.mapping(
        ((), (*scenarios.SETS, *scenarios.FRAGMENTS, "areas")),
        {
            **dict.fromkeys(scenarios.SETS, ids),
            **{
                key: {"type": "object", "additionalProperties": texts}
                for key in scenarios.FRAGMENTS
            },
            "areas": {"type": "object", "additionalProperties": per_area},
        },
    )
    top = parts.mapping(
        scenarios.SCENARIO_KEYS,
        {
            "answers": {"$ref": "#/$defs/answers"},
            "expect": expect,
            "description": {"type": "string"},
            "patient": {"$ref": "#/$defs/patient"},
        },
    )
    return parts.document(f"consult scenario test (bank {kb.version})", top, defs)


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
