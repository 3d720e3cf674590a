"""Plain-text layout for the intake's prompts: word wrapping and the progress line.

Prompts are laid out for the terminal's width (80 columns is the reference):
text is wrapped at word boundaries, never in the middle of a word, and every
line stays one column short of the width so the terminal never wraps it again.
A word longer than a whole line (a long file path, say) is the only thing ever
broken.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

INDENT = "  "  # under the "? " of a prompt
MIN_WIDTH = 20  # narrower terminals are laid out as if they were this wide


def wrap(text: str, width: int, *, first: int = 0, indent: int = 0) -> list[str]:
    """`text` in lines of at most `width - 1` columns, broken at spaces.

    Args:
        text: The text; runs of white space (line breaks included) become one space.
        width: The terminal's width in columns.
        first: Columns already taken on the first line (a prefix printed before it).
        indent: Columns taken on every following line.

    Returns:
        The lines, without the prefix or the indent; at least one line.
    """
    usable = max(width, MIN_WIDTH) - 1
    lines = textwrap.wrap(
        " ".join(text.split()),
        width=usable,
        initial_indent="x" * first,
        subsequent_indent="x" * indent,
        break_on_hyphens=False,
    )
    if not lines:
        return [""]
    return [lines[0][first:], *(line[indent:] for line in lines[1:])]


def block(text: str, width: int, *, first: int = 0, indent: int = 0) -> str:
    """`text` wrapped as by `wrap`, its lines joined with a newline and the indent."""
    return ("\n" + " " * indent).join(wrap(text, width, first=first, indent=indent))


def help_lines(text: str, width: int) -> list[str]:
    """A question's help, ready to print: each of its lines wrapped and indented.

    A help line that starts with spaces continues the line above (as the grades
    of a scale do), so it is joined to it before wrapping.
    """
    paragraphs: list[str] = []
    for line in text.strip().splitlines():
        if paragraphs and (line.startswith(" ") or not line.strip()):
            paragraphs[-1] += " " + line.strip()
        else:
            paragraphs.append(line.strip())
    lines: list[str] = []
    for paragraph in paragraphs:
        wrapped = wrap(paragraph, width, first=2, indent=4)
        lines.append(INDENT + wrapped[0])
        lines.extend(INDENT + "  " + line for line in wrapped[1:])
    return lines


def progress(
    section: str, position: int, total: int, sections_done: int, sections_total: int
) -> str:
    """Where the consultation is: `Medical history 3/19 · 4 of 7 sections done`."""
    return f"{section} {position}/{total} · {sections_done} of {sections_total} sections done"


def hint(width: int, where: str, keys: Sequence[str]) -> str:
    """The hint under a question: the progress, then the keys that work, wrapped."""
    text = " · ".join([where, ", ".join(keys)]) if keys else where
    return block(text, width, first=len(INDENT), indent=len(INDENT))


def numbered(label: str, number: int | None, width: int, prefix: int) -> str:
    """A list entry: `3. label`, wrapped under its own first letter.

    Args:
        label: The choice's label.
        number: The key that picks it, if the list is numbered.
        width: The terminal's width.
        prefix: Columns taken before the entry (the pointer and the tick box).
    """
    mark = f"{number}. " if number is not None else ""
    lines = wrap(mark + label, width, first=prefix, indent=prefix + len(mark))
    return ("\n" + " " * (prefix + len(mark))).join(lines)
