"""The hand-written scanners of the fast YAML reader (`consult.bank.quickyaml`).

Each does what a regular expression would, at a fraction of its cost on the
short lines of an answer file: splitting a line into indent, dash, key and
value, and finding the end of double-quoted text. tests/batch/test_batch.py
holds each to the regular expression that states its grammar, on random input.
"""

from __future__ import annotations

import re

# The characters LibYAML refuses unescaped in quoted text, as a character-class body.
UNPRINTABLE = r"\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029"
_REFUSED = re.compile(f"[{UNPRINTABLE}]")
# The escapes `yaml.safe_dump` writes: \x, \u, \U codes and a few single characters.
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE = {"\\": "\\", '"': '"', " ": " ", "/": "/", "t": "\t", "n": "\n"}


def row(raw: str) -> tuple[int, str, str, str, str]:
    """One line split as `quickyaml._lines` reads it: indent, text, a list item's dash, key, value.

    The text is the line without its indent and trailing spaces; the dash is
    `-` and the spaces after it; the key, an identifier followed by `:` and a
    space or the end of the line, and its value are empty when there is none.
    A hand-written scanner: a regular expression for the same split took half
    the reading time of a short answer file.
    """
    stripped = raw.lstrip(" ")
    at = len(raw) - len(stripped)
    dash = ""
    if stripped[:2] == "- ":
        rest = stripped[1:].lstrip(" ")
        dash = stripped[: len(stripped) - len(rest)]  # all the spaces after it
        body = rest.rstrip(" ")
        if body:  # else the text is the dash, spaces and all
            stripped = stripped.rstrip(" ")
    else:
        stripped = body = stripped.rstrip(" ")
    colon = body.find(":")
    if colon > 0 and (colon + 1 == len(body) or body[colon + 1] == " "):
        key = body[:colon]
        if key.isidentifier() and key.isascii():
            return at, stripped, dash, key, body[colon + 1 :].lstrip(" ")
    return at, stripped, dash, "", body if dash else ""


def quote(text: str, pos: int) -> int:
    """Where the first unescaped double quote from `pos` on stands, or -1.

    The backslashes that may escape it are counted back no further than `pos`.
    """
    while True:
        at = text.find('"', pos)
        if at < 0:
            return -1
        if not _escaped(text, at, pos):
            return at
        pos = at + 1


def double_end(text: str) -> int:
    """The end of the double-quoted text `text` starts with (after its closing quote), or -1.

    -1 also when the quotes are not closed, or a character before the closing
    quote is one LibYAML refuses there: unprintable and not escaped, or a
    line break even escaped.
    """
    close = quote(text, 1)
    if close < 0:
        return -1
    pos = 1
    while True:
        bad = _REFUSED.search(text, pos, close)
        if bad is None:
            return close + 1
        at = bad.start()
        if not _escaped(text, at, 1) or text[at] == "\n":
            return -1  # not escaped, or an escaped line break
        pos = at + 1


def _escaped(text: str, at: int, first: int) -> bool:
    """Whether the character at `at` is escaped: an odd number of backslashes right before it.

    They are counted back to `first` at most.
    """
    start = at
    while start > first and text[start - 1] == "\\":
        start -= 1
    return (at - start) % 2 == 1


def unescape(text: str) -> str | None:
    """Double-quoted text with its escapes decoded; None for an escape outside the subset."""
    failed = False

    def decode(found: re.Match[str]) -> str:
        nonlocal failed
        code = found[1] or found[2] or found[3]
        if code is not None:
            char = chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else ""
            if not char or 0xD800 <= ord(char) <= 0xDFFF:
                failed = True
            return char
        simple = _SIMPLE.get(found[4])
        if simple is None:
            failed = True
            return ""
        return simple

    decoded = _ESCAPE.sub(decode, text)
    return None if failed else decoded
