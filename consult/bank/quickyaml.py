"""A fast reader for the plain YAML that answer files are usually made of.

LibYAML needs 20-50 µs even for a ten-line answer file, which dominates a batch
run. This reader accepts only a strict subset: block mappings with identifier
keys, plain words, whole numbers, booleans, null, one-line quoted text,
lists of words (flow `[a, b]` or block `- a`), and lists of mappings (block
`- key: value` items, or flow `{key: word}` items: treatment areas). For anything else it returns
None and the caller uses the full positioned parser, which also reports every
error with its place. Within the subset the result equals `yaml.safe_load`'s
(tests/batch/test_batch.py compares the two).
"""

from __future__ import annotations

import re
from typing import Any

from consult.bank.quickscan import UNPRINTABLE, double_end, quote, row, unescape

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
_TEXT = rf"[^{UNPRINTABLE}"
_SINGLE = re.compile(rf"'((?:{_TEXT}']|'')*)'")
# A continuation line of a plain scalar: no indicators, not starting a list item.
_PLAIN_MORE = re.compile(rf"[A-Za-z0-9_(][A-Za-z0-9_ .,;()/+{_UNICODE}-]*")

Line = tuple[int, "str | None", str]  # indent, key (None for a list item), value text
_ITEM = "-"  # the key of a line that opens a mapping in a list (`- key: value`)
_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +(.*?))?")


def load(text: str) -> dict[str, Any] | None:
    """The document as plain data, or None when it is outside the subset."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # a lone CR is left for the full parser
    plain = "#" not in text and "\r" not in text and not ("\\ " in text and _SPACE_END.search(text))
    lines = _rows(text) if plain else _lines(text)
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
    more: list[str] = []  # continuation lines of the last key's scalar
    goes_on = False  # the last key's scalar may go on to more indented lines
    for raw in text.split("\n"):
        if goes_on and raw[:1] == " ":
            stripped = raw.lstrip(" ")
            # Whether the value can go on is asked only when a more indented line follows.
            if (
                stripped
                and len(raw) - len(stripped) > found[-1][0]
                and (more or _continues(found[-1][2]))
            ):
                more.append(stripped)
                if found[-1][2][:1] == '"' and quote(stripped, 0) >= 0:
                    goes_on = False  # the quotes close on this line
                continue
        goes_on = False
        if more:
            if not _fold(found, more):
                return []
            more = []
        line = match(raw)
        if line is None:
            stripped = raw.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue  # a blank or comment line also ends a plain scalar
            return []
        entry, goes_on = _item(found, *_entry(line), raw)
        found.append(entry)
    if more and not _fold(found, more):
        return []
    return _uncommented(found) if "#" in text else found


_SPACE_END = re.compile(r"\\ +$", re.MULTILINE)  # an escaped space at a line's end


def _rows(text: str) -> list[Line]:
    """`_lines` for text without comments or carriage returns, each line split by `quickscan.row`.

    The same lines as `_lines` gives (tests/batch/test_batch.py compares the
    two); trailing spaces are left out, which only an escaped space at the end
    of a line would notice, and `load` sends such text to `_lines`.
    """
    found: list[Line] = []
    more: list[str] = []  # continuation lines of the last key's scalar
    goes_on = False  # the last key's scalar may go on to more indented lines
    for raw in text.split("\n"):
        at, stripped, dash, key, value = row(raw)
        if goes_on and at:
            # Whether the value can go on is asked only when a more indented line follows.
            last = found[-1]
            if stripped and at > last[0] and (more or _continues(last[2])):
                more.append(stripped)
                # Double quotes that close on this line end the value.
                goes_on = last[2][:1] != '"' or quote(stripped, 0) < 0
                continue
        goes_on = False
        if more and not _fold(found, more):
            return []
        if key and dash:  # `- key: value`: a mapping in a list; its first key where its text starts
            found.append((at, _ITEM, ""))
            found.append((at + len(dash), key, value))
            goes_on = bool(value) and _continues(value)
        elif key:
            found.append((at, key, value))
            goes_on = bool(value)
        elif dash:
            found.append((at, None, value))
        elif stripped:
            return []
    if more and not _fold(found, more):
        return []
    return found


def _uncommented(found: list[Line]) -> list[Line]:
    """The lines with trailing comments after double-quoted values taken off."""
    return [(at, key, _uncomment(v) if v[:1] == '"' and "#" in v else v) for at, key, v in found]


def _item(found: list[Line], entry: Line, goes_on: bool, raw: str) -> tuple[Line, bool]:
    """`- key: value`: a mapping in a list; its first key stands where its text starts."""
    item = _ENTRY.fullmatch(entry[2]) if entry[1] is None else None
    if item is None:
        return entry, goes_on
    found.append((entry[0], _ITEM, ""))
    value = item[2] or ""
    goes_on = bool(value) and value[0] != "#" and _continues(value)
    return (raw.index(item[1], entry[0] + 1), item[1], value), goes_on


def _entry(line: re.Match[str]) -> tuple[Line, bool]:
    """A matched line as (indent, key, value), and whether a key's value may go on.

    Whether it really can (`_continues`) is asked only when a more indented line follows.
    """
    indent, key, value, item = line.groups()
    value = item if key is None else value or ""
    if "#" in value and value[0] != '"':
        return (len(indent), key, _uncomment(value)), False  # a comment ends a plain scalar
    return (len(indent), key, value), key is not None and bool(value)


def _continues(value: str) -> bool:
    """Whether a key's value may go on to the next, more indented lines."""
    if value[0] == '"':
        return double_end(value) < 0  # the quotes are still open
    return _PLAIN.fullmatch(value) is not None


def _fold(found: list[Line], more: list[str]) -> bool:
    """Join a scalar's continuation lines into its line, as YAML folds them."""
    at, key, value = found[-1]
    if value[:1] == '"':
        joined = _joined(value, more)
        if double_end(joined) < 0:
            return False
    elif all(_PLAIN_MORE.fullmatch(line.rstrip(" ")) for line in more):
        joined = " ".join([value, *(line.rstrip(" ") for line in more)])
    else:
        return False
    found[-1] = (at, key, joined)
    more.clear()
    return True


def _joined(value: str, more: list[str]) -> str:
    """Double-quoted text over several lines as one line: a break is a space unless escaped."""
    joined = value
    for line in more:
        body = joined.rstrip("\\")
        if (len(joined) - len(body)) % 2:
            joined = joined[:-1] + line  # an escaped line break joins without a space
        else:
            joined = joined.rstrip(" ") + " " + line
    return joined


def _uncomment(text: str) -> str:
    """The value without a trailing ` # comment`."""
    if text[0] == "#":
        return ""
    end = 0
    if text[0] == "'":
        match = _SINGLE.match(text)
        end = len(text) if match is None else match.end()
    elif text[0] == '"':
        end = double_end(text)
        if end < 0:
            end = len(text)
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
            value = _WORDS.get(text, _NO)  # the common cases first, without a call
            if value is _NO:
                if text.isidentifier() and text.isascii():
                    value = text
                else:
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


def _flow_mapping(text: str) -> Any:
    """A flow mapping of words and whole numbers: `{site: face, infection: false}`."""
    if text[-1] != "}" or "'" in text or '"' in text or "#" in text:
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


def _flow(text: str) -> Any:
    """A flow list of words and whole numbers: `[a, b, 3]`."""
    if text[-1] != "]":
        return _NO
    inner = text[1:-1].strip(" ")
    if not inner:
        return []
    items = [_word(part.strip(" ")) for part in inner.split(",")]
    return _NO if any(item is _NO for item in items) else items


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
        if double_end(text) != len(text):
            return _NO
        inner = text[1:-1]
        if "\\" not in inner:
            return inner
        decoded = unescape(inner)
        return _NO if decoded is None else decoded
    if _INT.fullmatch(text):
        return int(text)
    return text if _PLAIN.fullmatch(text) else _NO
