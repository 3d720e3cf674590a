"""Batch output formats: one input read, checked, evaluated and rendered as one record.

`render_item` does all of it for one input, in whichever process runs it (the
workers of a pooled run), and returns a `Rendered`: the finished output bytes
and the lines for stderr. A `Renderer` says how an evaluated input and a
failed one look: JSON records (`JsonRecords`), CSV rows (`CsvRows`), plain
table rows (`TableRows`) or markdown summaries (`MarkdownSummaries`). Every
record is built from the engine's `Result` (`consult.engine.decide.evaluate`).

A JSON record is `{"file": ..., "line": ... (JSONL input only), "patient_ref":
..., "result": {...}}` for an evaluated input, its `result` exactly the
compact JSON of `Result.to_dict()`, and `{"file": ..., "patient_ref": null,
"error": "file:line:col: message", "problems": [...]}` for a failed one. A
CSV or table row holds the cells of `consult.batch.cells`, its first column
`file` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from consult.answers.check import AnswerSet
from consult.bank.model import KnowledgeBase
from consult.batch.cells import columns, error_cells, summary_cells
from consult.batch.inputs import Item, Reading, problems_of, read_input
from consult.engine.decide import evaluate
from consult.engine.result import compact_json
from consult.errors import InputError, InvalidAnswers, Problem, Source
from consult.output.markdown import render_markdown

# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Rendered(NamedTuple):
    """What one input gave: whether it was evaluated, its output (UTF-8) and its stderr lines."""

    ok: bool
    output: bytes  # b"" for none
    messages: tuple[str, ...]
    scenario: bool = False  # a scenario file, whose answers were read


class Renderer:
    """How an input looks in the output, evaluated or failed; runs in the workers."""

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The output of an input whose answers passed the checks."""
        raise NotImplementedError

    def bad(self, item: Item, problems: Sequence[Problem]) -> bytes:
        """The output of an input that could not be evaluated (b"" for none)."""
        raise NotImplementedError

    def read(self, kb: KnowledgeBase, item: Item) -> Reading:
        """Read and check one input (see `read_input`)."""
        return read_input(kb, item)

    def columns(self) -> tuple[str, ...]:
        """The header of a csv or tsv output of these rows (none for the others)."""
        return ()


def render_item(kb: KnowledgeBase, item: Item, renderer: Renderer) -> Rendered:
    """Read, check, evaluate and render one input."""
    try:
        answers, scenario = renderer.read(kb, item)
    except (InvalidAnswers, InputError) as exc:
        return render_failed(item, problems_of(item, exc), renderer)
    warnings = tuple(f"warning: {w}" for w in answers.warnings)
    return Rendered(True, renderer.good(kb, item, answers), warnings, scenario)


def render_failed(item: Item, problems: Sequence[Problem], renderer: Renderer) -> Rendered:
    """An input that could not be evaluated, for these problems."""
    return Rendered(False, renderer.bad(item, problems), tuple(map(str, problems)))


def render_overtime(item: Item, renderer: Renderer, seconds: float) -> Rendered:
    """An input stopped at the time limit."""
    where = Source(item.name, item.line, 1) if item.line else Source(item.name)
    message = f"not evaluated: took longer than {seconds:g} s (the limit per input)"
    return render_failed(item, [Problem(where, message)], renderer)


def _dumps(data: dict[str, Any]) -> bytes:
    return compact_json(data).encode()


def _head(item: Item, ref: str | None) -> dict[str, Any]:
    head: dict[str, Any] = {"file": item.name}
    if item.line:
        head["line"] = item.line
    head["patient_ref"] = ref or None
    return head


def problem_dicts(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Problems as JSON-ready data (line and column are null when unknown)."""
    return [
        {
            "line": p.source.line or None,
            "column": p.source.column or None,
            "message": p.message,
        }
        for p in problems
    ]


class JsonRecords(Renderer):
    """One JSON object per input (jsonl, and the items of a json array)."""

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The result record."""
        record = _head(item, answers.patient_ref)
        record["result"] = evaluate(kb, answers).to_dict()
        return _dumps(record)

    def bad(self, item: Item, problems: Sequence[Problem]) -> bytes:
        """The error record."""
        record = _head(item, None)
        record["error"] = "\n".join(map(str, problems))
        record["problems"] = problem_dicts(problems)
        return _dumps(record)


class CsvRows(Renderer):
    """One CSV row per input (RFC 4180 quoting; formula-looking cells defused).

    With a bank (`--answers`), the answers follow the summary cells.
    """

    def __init__(self, kb: KnowledgeBase | None = None) -> None:
        self.kb = kb  # the bank whose answers are shown; None: no answer columns

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The summary row."""
        return self.line(self.cells(kb, item, answers))

    def bad(self, item: Item, problems: Sequence[Problem]) -> bytes:
        """The error row."""
        with_answers = self.kb is not None
        return self.line(error_cells(self.kb, item, problems, with_answers=with_answers))

    def cells(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> list[str]:
        """The cells of an evaluated input."""
        result = evaluate(kb, answers)
        return summary_cells(kb, item, answers, result, with_answers=self.kb is not None)

    def columns(self) -> tuple[str, ...]:
        """The header."""
        return columns(self.kb)

    def line(self, cells: Sequence[str]) -> bytes:
        """One row as a line (without its line ending)."""
        return csv_line(cells).encode()


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line without its line ending."""
    return ",".join(_csv_cell(c) for c in cells)


def _csv_cell(cell: str) -> str:
    if cell.startswith(_FORMULA_START):
        cell = "'" + cell
    if any(c in cell for c in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


class TableRows(CsvRows):
    """Tab-separated summary rows: a plain table, or the cells of the screen's table."""

    def line(self, cells: Sequence[str]) -> bytes:
        """One row as tab-separated cells."""
        return tab_line(cells).encode()


def header(kind: str, names: Sequence[str]) -> bytes:
    """The line a csv or tsv output starts with (b"" for the others)."""
    if kind not in ("csv", "tsv") or not names:
        return b""
    return (csv_line(names) if kind == "csv" else tab_line(names)).encode() + b"\n"


def tab_line(cells: Sequence[str]) -> str:
    """Cells joined by tabs, with tabs and line breaks inside cells made spaces."""
    table = str.maketrans("\t\n\r", "   ")
    return "\t".join(c.translate(table) for c in cells)


class MarkdownSummaries(Renderer):
    """One consultation record per evaluated input; none for a failed one."""

    def __init__(self, date: str, clinician: str = "") -> None:
        self.date = date
        self.clinician = clinician

    def good(self, kb: KnowledgeBase, _item: Item, answers: AnswerSet) -> bytes:
        """The record."""
        result = evaluate(kb, answers)
        text = render_markdown(kb, answers, result, date=self.date, clinician=self.clinician)
        return text.encode()

    def bad(self, _item: Item, _problems: Sequence[Problem]) -> bytes:
        """No summary for an input that failed."""
        return b""
