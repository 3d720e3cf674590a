"""Answer files damaged in their text: the YAML and JSON damage of the fuzz corpus.

Each function here takes a valid answer document and returns one file (its
suffix and bytes) damaged the way copies, editors and exports damage files:
YAML 1.1 forms, tags, huge numbers, deep nesting, duplicate keys, aliases,
merge keys, control and bidi characters, BOM, CRLF, truncation, invalid
UTF-8, empty files, broken layout, and JSON files good, with repeated keys or
broken. Some stay valid (other YAML styles, JSON, CRLF, a BOM), so that the
corpus has good files outside the plain subset too. `corpus_damage` adds the
damage done to the document itself and picks among all of them.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

import yaml

Document = dict[str, Any]
Damage = Callable[[random.Random, Document], tuple[str, bytes]]

# C0 and C1 controls, DEL, NEL, zero-width and bidi marks, BOM, line and paragraph separators.
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\u200b\ufeff\u2028\u2029"
BIDI = "\u200e\u200f\u061c\u202a\u202b\u202d\u202e\u2066\u2067\u2068\u2069"
YAML11 = (
    *("yes", "no", "on", "off", "Yes", "NO", "ON", "y", "n", "True", "FALSE"),
    *("~", "null", "Null", "", "012", "0x22", "0o17", "0b11", "1_0", "1:30", "-1:30"),
    *("190:20:30", "2026-01-02", "2026-01-02 10:00:00", "1e3", "1.0", ".inf", "-.inf"),
    *(".nan", "+3", "-3", "0", "00", "1.", "'12'", '"true"', "=", "<<", "0.5e1", "+0x1"),
)
TAGS = (
    "!!python/name:os.system",
    "!!python/object/apply:os.system ['true']",
    "!!python/tuple [1, 2]",
    "!!binary aGk=",
    *("!!str 5", "!!int '7'", "!!float 1", "!!bool yes", "!!null ''", "!!set {a, b}"),
    *("!!omap [{a: 1}]", "!!timestamp 2026-01-02", "!custom x", "!<tag:yaml.org,2002:str> 5"),
    *("!!map {a: 1}", "!!seq [a]", "!!int 0x1F", "!!str"),
    *("!!float false", "!!int x1", "!!bool maybe", "!!timestamp soon"),  # cannot be read as
)
EMPTY = (
    *(b"", b"\n", b"   \n\t\n", b"# only a comment\n", b"---\n", b"---\n...\n", b"null\n"),
    *(b"~\n", b"[]\n", b"{}\n", b"- a\n- b\n", b"42\n", b"consult: 1\n", b"consult: 1\nanswers:\n"),
    *(b"\x00", b"\xef\xbb\xbf", b"consult: 1\nanswers: {}\n", b"answers: {age: 30}\n", b'""\n'),
)
BAD_BYTES = (b"\xff", b"\xfe", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf")
_SCALAR = re.compile(r"^( *)(- )?([A-Za-z_][A-Za-z0-9_]*): (\S.*)$")


def dump(doc: Any, rng: random.Random) -> str:
    """A document as YAML, mostly as `yaml.safe_dump` writes it by default, now and then not."""
    style = rng.random()
    try:
        if style < 0.7:
            return yaml.safe_dump(doc)
        if style < 0.85:
            return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        return yaml.safe_dump(doc, default_flow_style=True, allow_unicode=True, width=120)
    except TypeError:  # keys of mixed types cannot be sorted
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def encode(rng: random.Random, text: str, suffix: str = ".yaml") -> tuple[str, bytes]:
    """A YAML file's suffix (now and then `.yml`) and its text in UTF-8."""
    if suffix == ".yaml" and rng.random() < 0.1:
        suffix = ".yml"
    return suffix, text.encode("utf-8", "surrogatepass")


def _long_text(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    """Notes at and over the length limit; now and then a file over the size limit."""
    sizes = (1999, 2000, 2001, 5000, 100_000, 1_000_100)
    size = rng.choices(sizes, weights=(8, 8, 8, 3, 2, 1))[0]
    note = ("Ünïcødé café – " * (size // 15 + 1))[:size]
    if size <= 5000:
        doc["answers"]["notes"] = note
        width = rng.choice((80, 10**7))
        return encode(rng, yaml.safe_dump(doc, width=width, allow_unicode=rng.random() < 0.5))
    doc["answers"].pop("notes", None)  # a long plain line, written without the emitter
    return encode(rng, _insert_in_answers(rng, doc, f"  notes: {note.rstrip()}"))


# Damage to the text of a file.


def _scalar_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if _SCALAR.match(line)]


def _set_value(lines: list[str], at: int, value: str) -> None:
    match = _SCALAR.match(lines[at])
    assert match is not None
    indent, dash, key, _ = match.groups()
    lines[at] = f"{indent}{dash or ''}{key}: {value}"


def _replace_values(rng: random.Random, doc: Document, values: tuple[str, ...]) -> str:
    lines = yaml.safe_dump(doc).split("\n")
    places = _scalar_lines(lines)
    for at in rng.sample(places, min(len(places), rng.randint(1, 2))):
        _set_value(lines, at, rng.choice(values))
    return "\n".join(lines)


def _yaml11(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    return encode(rng, _replace_values(rng, doc, YAML11))


def _tag(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    text = _replace_values(rng, doc, TAGS)
    if rng.random() < 0.15:
        text = (
            rng.choice(("--- !!map\n", "%TAG !e! tag:example.com,2000:\n---\n", "--- !x\n")) + text
        )
    return encode(rng, text)


def _huge_number(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    digits = rng.choice((20, 30, 31, 50, 400, 4301, 5000, 20000))
    value = rng.choice(
        ("9" * digits, "-" + "9" * digits, "1" + "0" * digits, "1e400", "-1e400", "1.0e+30")
    )
    lines = yaml.safe_dump(doc).split("\n")
    numbers = [i for i in _scalar_lines(lines) if re.search(r": -?\d+$", lines[i])]
    _set_value(lines, rng.choice(numbers), value)
    return encode(rng, "\n".join(lines))


def _deep(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    depth = rng.choices((10, 40, 63, 64, 65, 100, 1000, 5000), (4, 3, 4, 4, 4, 3, 1, 1))[0]
    form = rng.randrange(3)
    if form == 0:
        value = "[" * depth + "1" + "]" * depth
    elif form == 1:
        value = "{a: " * depth + "1" + "}" * depth
    else:
        block = "\n".join("  " * (i + 2) + "a:" for i in range(min(depth, 200)))
        value = "\n" + block + " 1"
    lines = yaml.safe_dump(doc).split("\n")
    places = [i for i in _scalar_lines(lines) if lines[i].startswith("  ") and lines[i][2] != " "]
    _set_value(lines, rng.choice(places), value)
    return encode(rng, "\n".join(lines))


def _duplicate(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    """A key given twice: at the top level, in `answers`, or inside an area."""
    lines = yaml.safe_dump(doc).split("\n")
    where = rng.randrange(3)
    if where == 0:
        lines.append(rng.choice(("consult: 1", "answers:\n  age: 40", "patient: {ref: P-2}")))
    else:
        indent = "  " if where == 1 else "    "
        places = [
            i
            for i in _scalar_lines(lines)
            if lines[i].startswith(indent) and lines[i][len(indent)] not in " -"
        ]
        places = places or _scalar_lines(lines)
        at = rng.choice(places)
        copy_line = lines[at] if rng.random() < 0.5 else re.sub(r": .*$", ": true", lines[at])
        lines.insert(at + rng.choice((1, 0)), copy_line)
    return encode(rng, "\n".join(lines))


_ALIASES = (
    "  age: &a 34\n  fitzpatrick_type: *a\n",
    "  concerns: &c [scars]\n  cell_product_interest: *c\n",
    "  areas:\n  - &x {site: face}\n  - *x\n",
    "  notes: *nowhere\n",
    (
        "  lol: &l0 [x, x, x, x, x, x, x, x, x]\n"
        "  lol1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\n"
        "  lol2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\n"
        "  lol3: [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\n"
    ),
    "  sex: &s female\n  notes: *s\n",
)


def _insert_in_answers(rng: random.Random, doc: Document, block: str) -> str:
    lines = yaml.safe_dump(doc).split("\n")
    at = end = lines.index("answers:") + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    where = rng.choice((at, end))
    return "\n".join([*lines[:where], block.rstrip("\n"), *lines[where:]])


def _alias(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    if rng.random() < 0.2:
        text = "patient: &p {ref: P-1}\nconsult: 1\nanswers:\n  <<: *p\n  age: 30\n"
        return encode(rng, text)
    return encode(rng, _insert_in_answers(rng, doc, rng.choice(_ALIASES)))


_MERGES = (
    "  <<: {age: 30}\n",
    "  <<: [{age: 30}, {sex: male}]\n",
    "  base: &b {age: 30}\n  <<: *b\n",
    "  areas:\n  - site: face\n    <<: {active_infection_at_site: true}\n",
)


def _merge(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    return encode(rng, _insert_in_answers(rng, doc, rng.choice(_MERGES)))


def _insert_chars(rng: random.Random, text: str, alphabet: str) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        text = text[:at] + "".join(rng.choices(alphabet, k=rng.randint(1, 2))) + text[at:]
    return text


def _control(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    return encode(rng, _insert_chars(rng, dump(doc, rng), CONTROL))


def _bidi(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    """Bidi marks in the notes (good), in the patient reference or anywhere in the text."""
    where = rng.randrange(3)
    if where == 0:
        doc["answers"]["notes"] = _insert_chars(
            rng, "Patient refers to \u202bדוד\u202c as GP.", BIDI
        )
    elif where == 1:
        doc["patient"] = {"ref": _insert_chars(rng, "P-00042", BIDI)}
    else:
        return encode(rng, _insert_chars(rng, dump(doc, rng), BIDI))
    return encode(rng, yaml.safe_dump(doc, allow_unicode=rng.random() < 0.5))


def _bom(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    text = dump(doc, rng)
    form = rng.randrange(4)
    if form == 3:
        return ".yaml", text.encode("utf-16")
    marks = ("\ufeff", "\ufeff\ufeff", "\ufeff")[form]
    suffix, data = encode(rng, marks + text)
    if form == 2:  # a second mark in the middle of the file
        at = data.index(b"\n") + 1
        data = data[:at] + "\ufeff".encode() + data[at:]
    return suffix, data


def _crlf(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    text = dump(doc, rng)
    form = rng.randrange(3)
    if form == 0:
        text = text.replace("\n", "\r\n")
    elif form == 1:
        text = text.replace("\n", "\r")
    else:
        lines = text.split("\n")
        text = "".join(line + rng.choice(("\n", "\r\n")) for line in lines)
    return encode(rng, text)


def _truncate(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    suffix, data = encode(rng, dump(doc, rng))
    return suffix, data[: rng.randrange(len(data))]


def _stray_bytes(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    if rng.random() < 0.25:  # written in Latin-1 by an old export
        doc["answers"]["notes"] = "Née Müller; préfère le matin."
        return ".yaml", yaml.safe_dump(doc, allow_unicode=True).encode("latin-1")
    suffix, data = encode(rng, dump(doc, rng))
    for _ in range(rng.randint(1, 2)):
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice(BAD_BYTES) + data[at:]
    return suffix, data


def _empty(rng: random.Random, _doc: Document) -> tuple[str, bytes]:
    return rng.choice((".yaml", ".yaml", ".json")), rng.choice(EMPTY)


def _layout(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    """Two documents in a file, explicit markers, tabs or a line shifted by a space."""
    text = yaml.safe_dump(doc)
    form = rng.randrange(5)
    if form == 0:
        return encode(rng, text + "---\n" + text)
    if form == 1:
        return encode(rng, "---\n" + text + "...\n")
    if form == 2:
        return encode(rng, text.replace("\n  ", "\n\t"))
    lines = text.split("\n")
    at = rng.choice(_scalar_lines(lines))
    lines[at] = (" " if form == 3 else "") + lines[at][1 if form == 4 else 0 :]
    return encode(rng, "\n".join(lines))


def _valid_styles(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    """Good files outside the plain subset: flow style, Unicode, explicit markers, comments."""
    form = rng.randrange(3)
    if form == 0:
        return encode(rng, yaml.safe_dump(doc, default_flow_style=True, allow_unicode=True))
    if form == 1:
        return encode(rng, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, indent=4))
    text = yaml.safe_dump(doc).replace("\n", "  # checked\n", 3)
    return encode(rng, "# exported 2026-01-02\n" + text)


# JSON files.


def _json(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    indent = rng.choice((None, 2))
    return ".json", json.dumps(doc, ensure_ascii=rng.random() < 0.5, indent=indent).encode()


def _json_duplicate(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    text = json.dumps(doc, ensure_ascii=False)
    where = rng.randrange(3)
    if where == 0:
        text = text.replace('{"consult": 1', '{"consult": 1, "consult": 1', 1)
        text = text if '"consult": 1, "consult"' in text else '{"consult": 2, ' + text[1:]
    elif where == 1:
        key = rng.choice(sorted(k for k in doc["answers"] if k != "areas"))
        pair = f'"{key}": {json.dumps(doc["answers"][key])}, '
        text = text.replace('"answers": {', '"answers": {' + pair, 1)
    else:
        text = text.replace('{"site": ', '{"site": "face", "site": ', 1)
    return ".json", text.encode()


_JSON_BAD = (
    '{"consult": 1, "answers": {"age": 30,}}',
    '{"consult": 1, "answers": {"age": NaN}}',
    '{"consult": 1, "answers": {"age": Infinity}}',
    '{"consult": 1, "answers": {"age": -Infinity}}',
    '{"consult": 1, // a comment\n "answers": {}}',
    "{'consult': 1, 'answers': {}}",
    '{"consult": 1, "answers": {"age": 1e400}}',
    '{"consult": 1, "answers": {"age": ' + "9" * 50 + "}}",
    '{"consult": 1, "answers": {"age": ' + "9" * 5000 + "}}",
    '\ufeff{"consult": 1, "answers": {"age": 30}}',
    '[{"consult": 1, "answers": {}}]',
    "null",
    '"text"',
    '{"consult": 1, "answers": {"notes": "\\ud800"}}',
    '{"consult": 1, "answers": {"notes": "raw \x01 control"}}',
    '{"consult": 1, "answers": {"notes": "escaped \\u0000 control"}}',
    '{"consult": 1, "answers": {"notes": "escaped \\u202e bidi"}}',
    '{"consult": 1, "answers": {"age": ' + "[" * 10000 + "]" * 10000 + "}}",
    '{"consult": 1, "answers": {"age": ' + "[" * 60 + "]" * 60 + "}}",
    "consult: 1\nanswers: {age: 30}\n",
    '{"consult": 1, "answers": {"age": 30}} {"x": 1}',
    '{"consult": 1, "answers": {"age": 30}}\n\n',
    '{"consult": 1, "answers": {"age": 3.0}}',
    '{"consult": 1, "answers": {"age": 30, "age": 31}}',
    "",
)


def _json_bad(rng: random.Random, doc: Document) -> tuple[str, bytes]:
    if rng.random() < 0.3:
        data = json.dumps(doc).encode()
        return ".json", data[: rng.randrange(len(data))]
    if rng.random() < 0.1:
        return ".json", json.dumps(doc).encode()[:-2] + b"\xff}}"
    return ".json", rng.choice(_JSON_BAD).encode("utf-8", "surrogatepass")


KINDS: dict[str, Damage] = {
    "long-text": _long_text,
    "yaml11": _yaml11,
    "tag": _tag,
    "huge-number": _huge_number,
    "deep": _deep,
    "duplicate": _duplicate,
    "alias": _alias,
    "merge": _merge,
    "control": _control,
    "bidi": _bidi,
    "bom": _bom,
    "crlf": _crlf,
    "truncate": _truncate,
    "stray-bytes": _stray_bytes,
    "empty": _empty,
    "layout": _layout,
    "valid-style": _valid_styles,
    "json": _json,
    "json-duplicate": _json_duplicate,
    "json-bad": _json_bad,
}
