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

from consult.bank.model import Question
from consult.intake.asking import Ask

INDENT = "  "  # under the "? " of a prompt
MIN_WIDTH = 20  # narrower terminals are laid out as if they were this wide
BACK_HINT = "Ctrl-B back"
MAX_NUMBERED = 9  # lists with at most this many choices are picked with number keys


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

    A help line continues the line above when it is indented (as the grades of
    a scale are) or starts in lower case after a line not ended by `.` or `:`,
    so it is joined to it before wrapping.
    """
    paragraphs: list[str] = []
    for line in text.strip().splitlines():
        goes_on = (
            line[:1].islower() and not paragraphs[-1].endswith((".", ":")) if paragraphs else False
        )
        if paragraphs and (line.startswith(" ") or not line.strip() or goes_on):
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


def prompt_message(text: str, width: int) -> str:
    """A question's text wrapped under the "? " that questionary puts before it."""
    return block(text, width - 1, first=len(INDENT), indent=len(INDENT))


def ask_hint(ask: Ask, width: int, *parts: str, typed: bool = False) -> str:
    """The line under the question: section progress and the keys that work.

    e.g. `Medical history 3/19 · 4 of 7 sections done · y/n, Ctrl-B back`. A typed
    answer goes on a line of its own under it, after `> `.
    """
    where = progress(
        ask.section, ask.section_position, ask.section_total, ask.sections_done, ask.sections_total
    )
    keys = [*parts, BACK_HINT] if ask.can_go_back else list(parts)
    lines = "\n" + INDENT + hint(width, where, keys)
    return lines + "\n" + INDENT + ">" if typed else lines + " "


def is_numbered(question: Question) -> bool:
    """A list short enough to pick from with number keys."""
    return len(question.choices) <= MAX_NUMBERED


def pick_keys(ask: Ask, *, tick: bool) -> list[str]:
    """The keys of a list: numbers when it is short, `n` and `?` where they apply."""
    question = ask.question
    move = "Space ticks" if tick else "arrows and Enter"
    if is_numbered(question):
        count = len(question.choices)
        move = f"{'1' if count == 1 else f'1-{count}'} or {move}"
    else:
        move = f"a letter jumps, {move}"
    keys = [move]
    if tick and any(c.exclusive for c in question.choices):
        keys.append("n none of these")
    if not question.required:
        keys.append("? not known")
    return [*keys, "Enter when done"] if tick else keys


def no_to_all_prompt(first: Ask, last: Ask, width: int) -> tuple[str, str]:
    """The "No to all" prompt for the questions `first` to `last` on screen.

    Its message names them and is followed by the keys; the progress is on the
    line under it: two lines at 80 columns, so that the list gets the rest.
    """
    span = f"{first.section_position}-{last.section_position}"
    message = f"No to each of {span}?"
    keys = [
        "n No to all",
        "the numbers of the Yes then Enter: No to the rest",
        "Enter alone one by one",
        *([BACK_HINT] if first.can_go_back else []),
    ]
    said = block(", ".join(keys), width, first=len(f"? {message} "), indent=len(INDENT))
    where = progress(
        first.section,
        first.section_position,
        first.section_total,
        first.sections_done,
        first.sections_total,
    )
    return message, said + "\n" + INDENT + hint(width, where, []) + " "


def fit_page(asks: Sequence[Ask], width: int, lines: int) -> Sequence[Ask]:
    """The leading asks whose text and help fit in `lines` lines (at least one)."""
    used = 0
    for count, ask in enumerate(asks):
        text = numbered(ask.question.text, ask.section_position, width, len(INDENT))
        used += text.count("\n") + 1
        used += len(help_lines(ask.question.help, width - 3)) if ask.question.help else 0
        if used > lines:
            return asks[: max(count, 1)]
    return asks
