"""Machine-readable batch output: JSON records, CSV rows, plain table rows.

Renderers run in the batch workers and return finished text, one record per
input; writers stream those records to a text stream in input order.

A JSON record is `{"file": ..., "line": ... (JSONL input only), "patient_ref":
..., "result": {...}}` for an evaluated input and `{"file": ..., "patient_ref":
null, "error": "file:line:col: message", "problems": [...]}` for a failed one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, BinaryIO

from consult.bank.model import KnowledgeBase
from consult.batch.items import Item, Renderer, Spill
from consult.batch.pool import Framing
from consult.batch.stream import GRACE, Stream
from consult.engine.answers import AnswerSet
from consult.engine.decide import Decision, decide
from consult.errors import Problem
from consult.output.resultjson import result_json

COLUMNS = (
    "source",
    "line",
    "patient_ref",
    "candidates",
    "excluded",
    "referrals",
    "undetermined",
    "error",
)
# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _head(item: Item, ref: str | None) -> dict[str, Any]:
    head: dict[str, Any] = {"file": item.name}
    if item.line:
        head["line"] = item.line
    head["patient_ref"] = ref or None
    return head


@lru_cache(maxsize=64)
def _string(text: str) -> str:
    """A JSON string (file names repeat on every line of a JSONL file)."""
    return encode_basestring(text)


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


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
        """The result record (the same JSON as `_dumps` of the record with `to_dict()`)."""
        ref = answers.patient_ref
        head = "".join(
            (
                '{"file":',
                _string(item.name),
                f',"line":{item.line}' if item.line else "",
                ',"patient_ref":',
                encode_basestring(ref) if ref else "null",
                ',"result":',
            )
        )
        return result_json(kb, answers, head.encode(), b"}")

    def bad(self, item: Item, problems: Sequence[Problem]) -> str:
        """The error record."""
        record = _head(item, None)
        record["error"] = "\n".join(map(str, problems))
        record["problems"] = problem_dicts(problems)
        return _dumps(record)


def summary_cells(item: Item, answers: AnswerSet, decision: Decision) -> list[str]:
    """The summary columns of an evaluated input (see COLUMNS)."""
    return [
        item.name,
        str(item.line or ""),
        answers.patient_ref,
        " ".join(c[0].id for c in decision.candidates),
        " ".join(e[0].id for e in decision.excluded),
        " ".join(dict.fromkeys(rid for _rule, rid in decision.referrals)),  # one per referral
        " ".join(u[0].id for u in decision.undetermined),
        "",
    ]


def error_cells(item: Item, problems: Sequence[Problem]) -> list[str]:
    """The summary columns of a failed input."""
    return [item.name, str(item.line or ""), "", "", "", "", "", "; ".join(map(str, problems))]


class CsvRows(Renderer):
    """One CSV row per input (RFC 4180 quoting; formula-looking cells defused)."""

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The summary row."""
        return csv_line(summary_cells(item, answers, decide(kb, answers.answers))).encode()

    def bad(self, item: Item, problems: Sequence[Problem]) -> str:
        """The error row."""
        return csv_line(error_cells(item, problems))


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line without its line ending."""
    return ",".join(_csv_cell(c) for c in cells)


def _csv_cell(cell: str) -> str:
    if cell.startswith(_FORMULA_START):
        cell = "'" + cell
    if any(c in cell for c in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


class TableRows(Renderer):
    """Tab-separated summary rows: a plain table, or the cells of a rich one."""

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The summary row."""
        return tab_line(summary_cells(item, answers, decide(kb, answers.answers))).encode()

    def bad(self, item: Item, problems: Sequence[Problem]) -> str:
        """The error row."""
        return tab_line(error_cells(item, problems))


def tab_line(cells: Sequence[str]) -> str:
    """Cells joined by tabs, with tabs and line breaks inside cells made spaces."""
    table = str.maketrans("\t\n\r", "   ")
    return "\t".join(c.translate(table) for c in cells)


def framing(kind: str) -> Framing:
    """What a RecordWriter of this kind writes before and after each record.

    The first record of a json array has `[` and a line break before it instead.
    """
    return (b",\n", b"") if kind == "json" else (b"", b"\n")


# Records are written in batches of about this many bytes (see RecordWriter).
GATHER = 256 * 1024


class RecordWriter:
    """Streams records (UTF-8) to a binary stream: jsonl, a json array, csv or tsv.

    Records are gathered and written some 256 KiB at a time: a result record
    is about 8 KB, and one write per record cost 7 µs of about 90 per JSONL
    line to a file (`bench/notes.md`). Only whole records are ever written,
    a stop included (see `consult.batch.stream`): a run that stops calls
    `stop`, which completes the record under way and writes what was gathered
    (so the records made before are not lost); `close` finishes the output.
    """

    def __init__(self, out: BinaryIO, kind: str) -> None:
        self.stream = Stream(out)
        self.kind = kind
        self.count = 0
        self.frame = framing(kind)
        self._gathered: list[bytes] = []
        self._size = 0  # bytes of records gathered
        self._ends: list[int] = []  # where each gathered record ends in the joined bytes
        self._end = 0
        if kind in ("csv", "tsv"):
            line = csv_line(COLUMNS) if kind == "csv" else tab_line(COLUMNS)
            self._add_bytes(line.encode() + b"\n")

    def _add_bytes(self, data: bytes) -> None:
        self._gathered.append(data)
        self._end += len(data)
        self._ends.append(self._end)

    def add(self, record: bytes) -> None:
        """Write one record."""
        before, after = (b"[\n", b"") if self.kind == "json" and not self.count else self.frame
        self._gathered += (before, record, after)
        self._end += len(before) + len(record) + len(after)
        self._ends.append(self._end)
        self.count += 1
        self._size += len(record)
        if self._size >= GATHER:
            self.flush()

    def add_spill(self, spill: Spill) -> None:
        """Write a chunk of records framed by `framing`, copied from its spill file."""
        if not spill.records:
            return
        start = 0
        if self.kind == "json" and self.count == 0:
            self._gathered.append(b"[\n")  # in place of the first record's separator
            self._end += 2
            start = len(self.frame[0])
        self.flush()
        ends = [end - start for end in spill.ends]
        self.stream.copy(spill.handle, start, spill.length - start, ends)
        self.count += spill.records

    def flush(self) -> None:
        """Write the records gathered so far."""
        if self._gathered:
            data, ends = self._take()
            self.stream.write(data, ends)

    def stop(self) -> None:
        """After a stop signal: the record under way completed, then what was gathered.

        Given up on if the reader takes nothing for `GRACE` seconds: the stop
        must not wait on a reader that does not read.
        """
        deadline = time.monotonic() + GRACE
        self.stream.finish(deadline)
        if self._gathered:
            self.stream.write(self._take()[0], deadline=deadline)

    def _take(self) -> tuple[bytes, list[int]]:
        data, ends = b"".join(self._gathered), self._ends
        self._gathered, self._ends = [], []
        self._size = self._end = 0
        return data, ends

    def close(self) -> None:
        """Finish the output (closes a json array) and write it."""
        if self.kind == "json":
            self._add_bytes(b"\n]\n" if self.count else b"[]\n")
        self.flush()
