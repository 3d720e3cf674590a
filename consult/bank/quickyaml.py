"""A fast reader for the plain YAML that answer files are usually made of.

LibYAML needs 20-50 µs even for a ten-line answer file, which dominates a batch
run. This reader accepts only a strict subset: block mappings with identifier
keys, plain words, whole numbers, booleans, null, one-line quoted text,
lists of words (flow `[a, b]` or block `- a`), and lists of mappings (block
`- key: value` items, or flow `{key: word, ...}` items: treatment areas). For anything else it returns
None and the caller uses the full positioned parser, which also reports every
error with its place. Within the subset the result equals `yaml.safe_load`'s
(tests/batch/test_batch.py compares the two).
"""

from __future__ import annotations

import re
from typing import Any

# YAML 1.1 words that a safe loader turns into booleans or null.
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("null", "Null", "NULL", "~"), None),
}
_NO = object()  # "not in the subset"
_LINE = re.compile(r"( *)(?:([A-Za-z_][A-Za-z0-9_]*):(?: +(.*?))?|- +(.*?)) *")
_INT = re.compile(r"0|-?[1-9][0-9]{0,17}")
# Plain text: starts with a letter; no YAML indicators; non-ASCII as LibYAML allows.
_UNICODE = "\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_PLAIN = re.compile(rf"[A-Za-z_][A-Za-z0-9_ .,;()/+{_UNICODE}-]*")
# Quoted text: printable characters only (LibYAML refuses the others).
_TEXT = r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029"
_SINGLE = re.compile(rf"'((?:{_TEXT}']|'')*)'")
_DOUBLE = re.compile(rf'"({_TEXT}"\\]*)"')

Line = tuple[int, "str | None", str]  # indent, key (None for a list item), value text
_ITEM = "-"  # the key of a line that opens a mapping in a list (`- key: value`)
_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +(.*?))?")


def load(text: str) -> dict[str, Any] | None:
    """The document as plain data, or None when it is outside the subset."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # a lone CR is left for the full parser
    lines = _lines(text)
    if not lines or lines[0][0] != 0:
        return None
    value, end = _mapping(lines, 0, 0)
    if value is _NO or end != len(lines):
        return None
    assert isinstance(value, dict)
    return value


def _lines(text: str) -> list[Line]:
    found: list[Line] = []
    match = _LINE.fullmatch
    for raw in text.split("\n"):
        line = match(raw)
        if line is None:
            stripped = raw.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            return []
        indent, key, value, item = line.groups()
        value = item if key is None else value or ""
        if "#" in value:
            value = _uncomment(value)
        entry = _ENTRY.fullmatch(value) if key is None else None
        if entry is not None:  # `- key: value`: a mapping, its first key where the text starts
            found.append((len(indent), _ITEM, ""))
            at, key, value = raw.index(entry[1], len(indent) + 1), entry[1], entry[2] or ""
            found.append((at, key, value))
            continue
        found.append((len(indent), key, value))
    return found


def _uncomment(text: str) -> str:
    """The value without a trailing ` # comment`."""
    if text[0] == "#":
        return ""
    end = 0
    if text[0] in "'\"":
        match = (_SINGLE if text[0] == "'" else _DOUBLE).match(text)
        end = len(text) if match is None else match.end()
    head, sep, _ = text[end:].partition(" #")
    if not sep or (end and head.strip(" ")):
        return text  # no comment, or text after the quotes: the full parser decides
    return text[:end] + head.rstrip(" ")


def _mapping(lines: list[Line], pos: int, indent: int) -> tuple[Any, int]:
    result: dict[str, Any] = {}
    count = len(lines)
    while pos < count:
        at, key, text = lines[pos]
        if at < indent:
            break
        if at != indent or key is None or key == _ITEM or key in result or key in _WORDS:
            return _NO, pos
        pos += 1
        if text:
            value = _flow(text) if text[0] == "[" else _scalar(text)
        else:
            value, pos = _child(lines, pos, indent)
        if value is _NO:
            return _NO, pos
        result[key] = value
    return result, pos


def _child(lines: list[Line], pos: int, indent: int) -> tuple[Any, int]:
    """The block under a key with no value on its line: a list, a mapping or null."""
    if pos == len(lines):
        return None, pos
    at, key = lines[pos][0], lines[pos][1]
    if key in (None, _ITEM) and at >= indent:
        return _sequence(lines, pos, at)
    if key is not None and at > indent:
        return _mapping(lines, pos, at)
    return None, pos


def _sequence(lines: list[Line], pos: int, indent: int) -> tuple[Any, int]:
    items: list[Any] = []
    count = len(lines)
    kind = lines[pos][1]  # a list holds words or mappings, not both
    while pos < count and lines[pos][0] == indent and lines[pos][1] == kind:
        if kind == _ITEM:
            item, pos = _mapping(lines, pos + 1, lines[pos + 1][0])
        else:
            text = lines[pos][2]
            item = _flow_mapping(text) if text[:1] == "{" else _scalar(text)
            pos += 1
        if item is _NO:
            return _NO, pos
        items.append(item)
    return items, pos


def _flow(text: str) -> Any:
    """A flow list of words and whole numbers: `[a, b, 3]`."""
    if text[-1] != "]":
        return _NO
    inner = text[1:-1].strip(" ")
    if not inner:
        return []
    items = [_word(part.strip(" ")) for part in inner.split(",")]
    return _NO if any(item is _NO for item in items) else items


def _flow_mapping(text: str) -> Any:
    """A flow mapping of words and whole numbers: `{site: face, infection: false}`."""
    if text[-1] != "}" or "'" in text or '"' in text:
        return _NO
    inner = text[1:-1].strip(" ")
    found: dict[str, Any] = {}
    for part in inner.split(",") if inner else ():
        key, sep, value = part.strip(" ").partition(": ")
        word = _word(value.strip(" "))
        if not sep or not _ENTRY.fullmatch(key + ":") or key in found or key in _WORDS:
            return _NO
        if word is _NO:
            return _NO
        found[key] = word
    return found


def _word(text: str) -> Any:
    if text.isascii() and text.isidentifier():
        return _WORDS.get(text, text)
    if _INT.fullmatch(text):
        return int(text)
    return _NO


def _scalar(text: str) -> Any:
    if text in _WORDS:
        return _WORDS[text]
    if text.isascii() and text.isidentifier():
        return text
    if not text:
        return _NO
    first = text[0]
    if first == "'":
        match = _SINGLE.fullmatch(text)
        return _NO if match is None else match[1].replace("''", "'")
    if first == '"':
        match = _DOUBLE.fullmatch(text)
        return _NO if match is None else match[1]
    if _INT.fullmatch(text):
        return int(text)
    return text if _PLAIN.fullmatch(text) else _NO
