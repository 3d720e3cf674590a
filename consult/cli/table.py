"""The batch summary on a terminal: every cell shown whole at any width.

One row per input with its referrals, candidates, exclusions, procedures not
yet assessable and its error. When every column fits with its longest word
whole, a table whose cells wrap at word boundaries; otherwise (80 columns and
long ids) one block per input, each value wrapped at word boundaries under
its label. Ids are never cut in the middle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

# (row cell, title on screen); the input first.
SHOWN = (
    ("referrals", "referrals"),
    ("candidates", "candidates"),
    ("excluded", "excluded"),
    ("undetermined", "not assessable yet"),
)
BORDERS = 3  # a column's share of a rich table's borders and padding
NONE = "-"


def show_table(console: Console, names: Sequence[str], rows: list[list[str]]) -> None:
    """Print the summary of a batch to the console, fitting its width."""
    found = [dict(zip(names, row, strict=False)) for row in rows]
    columns = _columns(found)
    room = console.width - BORDERS * len(columns) - 1
    least = [max(map(_longest_word, [title, *cells])) for title, cells in columns]
    if sum(least) <= room:
        most = [max(map(len, [title, *cells])) for title, cells in columns]
        console.print(_table(columns, _widths(least, most, room)))
    else:
        console.print(_blocks(found))


def _widths(least: list[int], most: list[int], room: int) -> list[int]:
    """Column widths in `room`: each at least its longest word; the rest to those needing least.

    Set here rather than left to rich, which narrows a column below its longest
    word (cutting an id) when the cells are wider than the screen. A column
    that needs little more to show its cells on one line gets it first.
    """
    widths = list(least)
    spare = room - sum(widths)
    for i in sorted(range(len(widths)), key=lambda i: most[i] - least[i]):
        grant = min(most[i] - widths[i], spare)
        widths[i] += grant
        spare -= grant
    return widths


def _where(row: Mapping[str, str]) -> str:
    line = row.get("line", "")
    where = f"{row.get('file', '')}:{line}" if line else row.get("file", "")
    ref = row.get("patient_ref", "")
    return f"{where} ({ref})" if ref else where


def _cell(value: str) -> str:
    return ", ".join(value.split(" ")) if value else NONE


def _columns(rows: Sequence[Mapping[str, str]]) -> list[tuple[str, list[str]]]:
    """Each column's title and cells: the input, the outcomes, the error if any failed."""
    found = [("input", [_where(r) for r in rows])]
    found += [(title, [_cell(r.get(key, "")) for r in rows]) for key, title in SHOWN]
    if any(r.get("error") for r in rows):
        found.append(("error", [r.get("error", "") for r in rows]))
    return found


def _table(columns: list[tuple[str, list[str]]], widths: list[int]) -> Table:
    """A table whose columns each hold their longest word, so cells wrap between words."""
    table = Table(*(title for title, _ in columns), highlight=False)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for index in range(len(columns[0][1])):
        table.add_row(*(Text(cells[index]) for _, cells in columns))
    return table


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _blocks(rows: Sequence[Mapping[str, str]]) -> RenderableType:
    """One block per input: its name, then each value under its label."""
    blocks: list[RenderableType] = []
    for row in rows:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        if row.get("error"):
            grid.add_row("error", Text(row["error"], style="bold red"))
        else:
            for key, title in SHOWN:
                grid.add_row(title, Text(_cell(row.get(key, ""))))
        blocks += [Text(_where(row), style="bold"), Padding(grid, (0, 0, 0, 2)), Text("")]
    return Group(*blocks)
