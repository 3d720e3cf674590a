"""The building blocks of the JSON Schemas (`consult.engine.fileschema`): types, ids, mappings.

Each mirrors an accessor the loader reads a key with (`consult.bank.schema.Checker`),
and the condition language is built from the operator table (`consult.bank.operators`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from consult.bank.conditions import GROUPS
from consult.bank.operators import ALIASES, OPERATORS
from consult.bank.schema import ID_PATTERNS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]
Keys = tuple[tuple[str, ...], tuple[str, ...]]

TEXT: Schema = {"type": "string", "pattern": r"\S"}  # Checker.text: non-empty text


def yaml11_booleans() -> list[str]:
    """The words consult's YAML reader (YAML 1.1) takes for true and false, and YAML 1.2 not.

    An editor reads `consent: yes` as the text "yes" (YAML 1.2); consult reads
    it as true, so the schemas accept these words wherever they accept a boolean.
    """
    found = []
    for word in ("yes", "no", "on", "off", "y", "n"):
        for spelling in (word, word.capitalize(), word.upper()):
            if yaml.safe_load(f"a: {spelling}")["a"] in (True, False) and spelling not in found:
                found.append(spelling)
    return found


# Checker.flag, or a yes/no answer: true or false, in YAML 1.2's words or 1.1's.
BOOLEAN: Schema = {"anyOf": [{"type": "boolean"}, {"enum": yaml11_booleans()}]}
FLAG: Schema = BOOLEAN
INTEGER: Schema = {"type": "integer"}  # Checker.integer
SCALAR: Schema = {"type": ["boolean", "integer", "string"]}
# Control characters a text answer or patient reference may not hold.
NO_CONTROLS = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"
NO_CONTROLS_AT_ALL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def ident(kind: str = "id") -> Schema:
    """Checker.ident: an id matching the pattern of its kind."""
    return {"type": "string", "pattern": ID_PATTERNS[kind].pattern}


def ids(kind: str = "id", at_least: int = 0) -> Schema:
    """Checker.ids: a list of ids, or one id standing for a one-item list."""
    listed: Schema = {"type": "array", "items": ident(kind)}
    if at_least:
        listed["minItems"] = at_least
    return {"anyOf": [ident(kind), listed]}


def list_of(ref: str) -> Schema:
    """Checker.items: a list of mappings."""
    return {"type": "array", "items": {"$ref": f"#/$defs/{ref}"}}


def mapping(keys: Keys, fields: Mapping[str, Schema | bool], **extra: Any) -> Schema:
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


def document(title: str, top: Schema, defs: Schema) -> Schema:
    """A whole schema: the draft, its title, the top-level mapping and its definitions."""
    return {"$schema": DRAFT, "title": title, **top, "$defs": defs}


# --- conditions ----------------------------------------------------------------

# The value each operator's check accepts (`bank.operators.OPERATORS`), by check.
VALUE_SHAPES: dict[str, Schema] = {
    "_check_single": SCALAR,
    "_check_list": {"type": "array", "minItems": 1, "items": SCALAR},
    "_check_choice": ident(),
    "_check_int": INTEGER,
    "_check_between": {"type": "array", "minItems": 2, "maxItems": 2, "items": INTEGER},
    "_check_flag": {"const": True},
}


def condition() -> Schema:
    """A `when:` block: one of all/any/not, or a question with exactly one operator."""
    ref: Schema = {"$ref": "#/$defs/condition"}
    nested: dict[str, Schema] = {"all": {"type": "array", "minItems": 1, "items": ref}}
    nested["any"] = nested["all"]
    nested["not"] = ref
    assert set(nested) == set(GROUPS)
    forms = [mapping(((key,), ()), nested) for key in GROUPS]
    # A quantifier over a repeating group: `any_area`, `all_areas` (named after the group).
    quantifier = {"^(any|all)_[a-z][a-z0-9_]*$": ref}
    forms.append(
        {"type": "object", "minProperties": 1, "maxProperties": 1, "patternProperties": quantifier}
        | {"additionalProperties": False}
    )
    for op in (*OPERATORS, *ALIASES):
        check = OPERATORS[ALIASES.get(op, op)].check
        shapes = {"question": ident(), op: VALUE_SHAPES[check.__name__]}
        forms.append(mapping((("question", op), ()), shapes))
    return {"anyOf": forms}
