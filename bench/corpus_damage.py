"""Answer files damaged the ways real files are: the fuzz corpus of `corpus`.

`damage(kind, rng, doc, kb)` turns a valid answer document into the bytes of
one file (and its suffix) with one kind of damage from `KINDS`. The damage to
the document is here: wrong types, unknown keys, values out of range, choices
outside the list, wrong `consult:` versions, bad patient references, answers
to questions switched off (warnings), areas given twice or malformed, null
answers. The damage to the text (YAML 1.1 forms, duplicate keys, aliases,
tags, merge keys, control and bidi characters, BOM, CRLF, truncation, invalid
UTF-8, deep nesting, huge numbers, empty files, JSON) is in `corpus_text`.
Some kinds stay valid, so the corpus mixes results, warnings and errors.
`jsonl_line` does the same for one line of a JSON Lines input.

Only the stable API of consult is used: the records of `consult.bank.model`
and `consult.bank.truth.holds`.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import corpus_text as text

from consult.bank.model import KnowledgeBase, Question
from consult.bank.truth import holds

Document = dict[str, Any]

_WRONG: dict[str, tuple[Any, ...]] = {
    "yes_no": ("yes please", 1, 0, [True], {"a": 1}, 1.5, "true", "", "N", None),
    "integer": ("34", 34.5, True, [34], "thirty", 1e3, -0.0, {"n": 1}, "", float("nan")),
    "one_of": (["female"], 3, True, {"id": "x"}, 1.5, [], "female, male"),
    "many_of": ("hair_loss", 3, [["scars"]], {"a": 1}, [1, 2], [None], True, "[scars]"),
    "text": (42, ["a"], True, {"x": "y"}, 3.14, -1),
}


def damage(kind: str, rng: random.Random, doc: Document, kb: KnowledgeBase) -> tuple[str, bytes]:
    """One file with one kind of damage: its suffix (`.yaml`, `.json`, ...) and its bytes."""
    doc = copy.deepcopy(doc)
    if kind in _DOCUMENT:
        return _doc_file(rng, _DOCUMENT[kind](rng, doc, kb))
    return text.KINDS[kind](rng, doc)


def _doc_file(rng: random.Random, doc: Any) -> tuple[str, bytes]:
    return text.encode(rng, text.dump(doc, rng))


def _plain_questions(kb: KnowledgeBase, *kinds: str) -> list[Question]:
    """The questions outside repeating groups, of these kinds (all when none given)."""
    return [
        q for q in kb.questions if q.section not in kb.groups and (not kinds or q.kind in kinds)
    ]


def _area_questions(kb: KnowledgeBase) -> list[Question]:
    return [kb.question(q) for g in kb.groups.values() for q in g.questions if q != g.key]


def valid_value(rng: random.Random, question: Question) -> Any:
    """A value the question accepts."""
    if question.kind == "yes_no":
        return rng.random() < 0.5
    if question.kind == "integer":
        lo = question.minimum if question.minimum is not None else 0
        return rng.randint(lo, question.maximum if question.maximum is not None else lo + 9)
    plain = [c.id for c in question.choices if not c.exclusive]
    if question.kind == "one_of":
        return rng.choice(plain)
    if question.kind == "many_of":
        return [rng.choice(plain)]
    return "Seen today."


# Damage to the document (written as YAML, or as a JSON line, afterwards).


def _wrong_type(rng: random.Random, doc: Document, kb: KnowledgeBase) -> Any:
    if rng.random() < 0.25:
        question = rng.choice(_area_questions(kb))
        rng.choice(doc["answers"]["areas"])[question.id] = rng.choice(_WRONG[question.kind])
    else:
        question = rng.choice(_plain_questions(kb))
        doc["answers"][question.id] = rng.choice(_WRONG[question.kind])
    return doc


_ODD_KEYS: tuple[Any, ...] = (
    "agee",
    "Age",
    "concern",
    "notes_extra",
    "ålder",
    "",
    "1",
    "a b",
    "x\u2028y",
    1,
    True,
)


def _unknown_key(rng: random.Random, doc: Document, _kb: KnowledgeBase) -> Any:
    key, value = rng.choice(_ODD_KEYS), rng.choice((1, "x", None, True, [1], {"a": 1}))
    where = rng.randrange(4)
    if where == 0:
        doc[key] = value
    elif where == 1:
        doc["answers"][key] = value
    elif where == 2:
        doc["patient"] = {**(doc.get("patient") or {}), "name": "Anna Müller"}
    else:
        rng.choice(doc["answers"]["areas"])[key] = value
    return doc


def _out_of_range(rng: random.Random, doc: Document, kb: KnowledgeBase) -> Any:
    question = rng.choice(_plain_questions(kb, "integer"))
    lo = question.minimum if question.minimum is not None else 0
    hi = question.maximum if question.maximum is not None else 100
    choices = (lo - 1, hi + 1, -1, hi * 10, -(10**6), 2**31, 2**63, 10**29, 10**30, 10**31)
    doc["answers"][question.id] = rng.choice(choices)
    return doc


def _bad_choice(rng: random.Random, doc: Document, kb: KnowledgeBase) -> Any:
    answers = doc["answers"]
    question = rng.choice(_plain_questions(kb, "one_of", "many_of"))
    if rng.random() < 0.2:
        area = rng.choice(answers["areas"])
        area["site"] = rng.choice(("elbow", "Scalp", "", "scalp ", "face,neck", "none"))
    elif question.kind == "one_of":
        answers[question.id] = rng.choice(("unknown", "Female", "", " female", "FEMALE", "1"))
    else:
        ids = list(question.choice_ids)
        exclusive = [c.id for c in question.choices if c.exclusive] or ids[-1:]
        answers[question.id] = rng.choice(
            ([*ids[:2], "unknown"], [exclusive[0], ids[0]], [ids[0], ids[0]], [], ["Hair_Loss"])
        )
    return doc


def _switched_off(rng: random.Random, doc: Document, kb: KnowledgeBase) -> Any:
    """Answers to questions that earlier answers switch off: warnings, the file still good."""
    answers = doc["answers"]
    flat = {k: v for k, v in answers.items() if k not in kb.groups}
    off = [
        q
        for q in _plain_questions(kb)
        if q.id not in answers and q.when is not None and holds(q.when, flat) is False
    ]
    for question in rng.sample(off, min(len(off), rng.randint(1, 3))):
        answers[question.id] = valid_value(rng, question)
    return doc


def _nulls(rng: random.Random, doc: Document, _kb: KnowledgeBase) -> Any:
    """Answers given as null (unknown), a null patient, empty or null areas: mostly good."""
    answers = doc["answers"]
    for key in rng.sample(sorted(answers), min(len(answers), rng.randint(1, 4))):
        answers[key] = None
    if rng.random() < 0.3:
        doc["patient"] = None
    if isinstance(answers.get("areas"), list) and rng.random() < 0.3:
        answers["areas"][0] = {
            k: None if k != "site" else v for k, v in answers["areas"][0].items()
        }
    return doc


def _version(rng: random.Random, doc: Document, _kb: KnowledgeBase) -> Any:
    if rng.random() < 0.15:
        del doc["consult"]
    else:
        doc["consult"] = rng.choice(
            (2, 0, -1, "1", 1.0, True, None, 10**30, "one", [1], {"v": 1}, "1.0", 1.5, 10)
        )
    return doc


_PATIENTS: tuple[Any, ...] = (
    *({"ref": "P-" + "9" * 70}, {"ref": "x" * 64}, {"ref": "x" * 65}, {"ref": "P-\x1b[31m1"}),
    *({"ref": 123}, {"ref": True}, {"ref": ["P-1"]}, {"ref": {"id": 1}}, {"ref": ""}),
    *({"ref": "P-\u202e01"}, {"ref": None}, {"ref": 1.5}, {"ref": "P\t1"}, {"ref": "P-1\nP-2"}),
    *({"ref": "Müller, Anna"}, {}, "P-00001", ["P-1"], None, {"ref": "P-1", "name": "Anna"}),
    *({"ref": -5}, {"ref": 10**70}, {"ref": "=HYPERLINK(1)"}, {"ref": "P-1\u2028"}),
)


def _patient(rng: random.Random, doc: Document, _kb: KnowledgeBase) -> Any:
    doc["patient"] = rng.choice(_PATIENTS)
    return doc


def _areas(rng: random.Random, doc: Document, kb: KnowledgeBase) -> Any:
    """Areas given twice or malformed; now and then the flat form beside them (good)."""
    answers = doc["answers"]
    areas, first = answers["areas"], dict(answers["areas"][0])
    screen = _area_questions(kb)
    variants: tuple[Callable[[], Any], ...] = (
        lambda: [*areas, dict(first)],
        lambda: [*areas, {"site": first["site"], screen[0].id: True}],
        lambda: [first, *areas[1:], first],
        lambda: [*areas, {screen[0].id: False}],
        lambda: [*areas, {"site": None}],
        lambda: [{**first, "age": 40}, *areas[1:]],
        lambda: dict(first),
        lambda: rng.choice(([], [first["site"]], [None], "scalp")),
    )
    answers["areas"] = rng.choice(variants)()
    if rng.random() < 0.2:
        answers[screen[-1].id] = rng.random() < 0.5
    return doc


_DOCUMENT: dict[str, Callable[[random.Random, Document, KnowledgeBase], Any]] = {
    "wrong-type": _wrong_type,
    "unknown-key": _unknown_key,
    "out-of-range": _out_of_range,
    "bad-choice": _bad_choice,
    "switched-off": _switched_off,
    "nulls": _nulls,
    "version": _version,
    "patient-ref": _patient,
    "areas": _areas,
}
KINDS = (*_DOCUMENT, *text.KINDS)


# JSON Lines.

_LINES_BAD = (
    '{"consult": 1, "answers": {"age": 30',
    "[1, 2]",
    "42",
    "null",
    '"text"',
    "not json",
    "{}",
    "   ",
    "",
    '{"age": NaN}',
    '{"consult": 1, "consult": 1, "answers": {}}',
    '{"age": 30, "age": 31}',
    '{"consult": 2, "answers": {}}',
    '{"answers": {"agee": 30}}',
    '{"age": "thirty", "concerns": "scars"}',
    '{"age": ' + "[" * 100 + "]" * 100 + "}",
    '{"notes": "\\ud800"}',
    '{"patient": {"ref": "P-1"}}',
    '{"areas": [{"site": "face"}, {"site": "face"}]}',
)


def jsonl_line(rng: random.Random, doc: Document, kb: KnowledgeBase) -> bytes:
    """One line of a JSON Lines input: a document, bare answers, or something broken."""
    pick = rng.random()
    if pick < 0.35:
        line = json.dumps(doc, ensure_ascii=False).encode()
    elif pick < 0.7:
        line = json.dumps(doc["answers"], ensure_ascii=rng.random() < 0.5).encode()
    elif pick < 0.8:
        damaged = _DOCUMENT[rng.choice(tuple(_DOCUMENT))](rng, copy.deepcopy(doc), kb)
        line = json.dumps(damaged, ensure_ascii=False).encode()
    elif pick < 0.85:
        line = json.dumps(doc).encode()[:-3] + rng.choice(text.BAD_BYTES) + b'"}}'
    else:
        line = rng.choice(_LINES_BAD).encode("utf-8", "surrogatepass")
    return line + b"\n"


def jsonl_file_damage(rng: random.Random, data: bytes) -> bytes:
    """A whole JSON Lines file now and then with CRLF, a BOM, no last newline or cut short."""
    pick = rng.random()
    if pick < 0.15:
        return data.replace(b"\n", b"\r\n")
    if pick < 0.25:
        return "\ufeff".encode() + data
    if pick < 0.35:
        return data.rstrip(b"\n")
    if pick < 0.4:
        return data[: rng.randrange(len(data))]
    return data
