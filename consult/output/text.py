"""Markdown text that stays literal, and the citations in bank texts.

Every piece of text from the answers or the bank is escaped, so a note cannot
create headings, lists, quotes, links, images, HTML, entities, code, emphasis or
tables. Escaping is by context: a backslash goes only before a character that
could start markdown structure where it stands (see `escape`), control
characters are dropped and line breaks become spaces, so ordinary prose such as
`Follow-up: 3-4 weeks.` reads unchanged in the raw file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from consult.bank.rules import CITATION

# A citation with the space before it, as a text cites: "works [R30]."
_CITED = re.compile(r"\s*" + CITATION.pattern)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Always escaped: code spans, links and images, table cells.
_ALWAYS = frozenset("`[]|")
# Emphasis and strikethrough delimiters: literal only with whitespace on both sides.
_DELIMITERS = frozenset("*~")
# A block marker in the first column: headings, quotes, lists, breaks, setext
# underlines, fences, HTML blocks, tables, link reference definitions.
_LINE_START = frozenset("#>-+*=_`~<|[")
_ORDERED = re.compile(r"\d{1,9}[.)]")
# `<` that could open an HTML tag, comment, declaration or autolink (URI or e-mail).
_ANGLE = re.compile(r"<(?=[A-Za-z/!?]|$|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@)")
# `&` that could start an entity or numeric character reference.
_AMP = re.compile(r"&(?=#?[A-Za-z0-9]+(;|$))")


def escape(text: str) -> str:
    """One line of literal text: structure-starting characters escaped, controls dropped.

    Line breaks and runs of whitespace become single spaces. The text may stand
    anywhere on a line (start of a paragraph, list item or heading, or after
    other text), so the start and end of `text` count as neither space nor word.
    """
    text = _CONTROL.sub("", text.replace("\r\n", " ").replace("\r", " "))
    line = " ".join(text.split())
    marks = _marks(line)
    return "".join(f"\\{ch}" if i in marks else ch for i, ch in enumerate(line))


def _marks(line: str) -> set[int]:
    """Positions in `line` that need a backslash before them."""
    marks = {i for i, ch in enumerate(line) if _inline_needs(line, i, ch)}
    marks.update(m.start() for m in _ANGLE.finditer(line))
    marks.update(m.start() for m in _AMP.finditer(line))
    if line and line[0] in _LINE_START:
        marks.add(0)
    ordered = _ORDERED.match(line)
    if ordered:
        marks.add(ordered.end() - 1)
    return marks


def _inline_needs(line: str, i: int, ch: str) -> bool:
    """Whether the character at `i` could act as markdown inline syntax."""
    before = line[i - 1] if i > 0 else ""
    after = line[i + 1] if i + 1 < len(line) else ""
    if ch in _ALWAYS:
        return True
    if ch == "\\":
        return not after or after in _ASCII_PUNCT
    if ch in _DELIMITERS:
        return not (before.isspace() and after.isspace())
    if ch == "_":
        inert = (before.isspace() and after.isspace()) or (before.isalnum() and after.isalnum())
        return not inert
    if ch == "#":
        return not line[:i].rstrip("#") or not line[i:].lstrip("#")
    return False


def paragraph(text: str) -> str:
    """Multi-line text as one literal paragraph with hard line breaks."""
    lines = (escape(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\\\n".join(line for line in lines if line)


def cited(texts: Iterable[str]) -> list[str]:
    """The reference ids the texts cite in brackets (`[R30, R30b]`), first citation first."""
    found: dict[str, None] = {}
    for text in texts:
        for group in CITATION.findall(text):
            found.update((ref.strip(), None) for ref in group.split(","))
    return list(found)


def uncited(text: str) -> str:
    """The text without its bracketed citations, for a reader who has no reference list."""
    return " ".join(_CITED.sub("", text).split())
