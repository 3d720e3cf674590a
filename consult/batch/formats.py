"""Machine-readable batch output: JSON records, CSV rows, plain table rows.

Renderers run in the batch workers and return finished text, one record per
input; writers stream those records to a text stream in input order.

A JSON record is `{"file": ..., "line": ... (JSONL input only), "patient_ref":
..., "result": {...}}` for an evaluated input and `{"file": ..., "patient_ref":
null, "error": "file:line:col: message", "problems": [...]}` for a failed one.
"""

from __future__ import annotations

import errno
import json
import os
import select
from collections.abc import Sequence
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, BinaryIO

from consult.bank.model import KnowledgeBase
from consult.batch.items import Item, Renderer, Spill
from consult.batch.pool import Framing
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
    line to a file (`bench/notes.md`). Only whole records are ever written;
    `flush` writes what is gathered (a run that stops on Ctrl-C calls it, so
    the records made before are not lost), `close` finishes the output.
    """

    def __init__(self, out: BinaryIO, kind: str) -> None:
        self.out = out
        self.kind = kind
        self.count = 0
        self.frame = framing(kind)
        self._gathered: list[bytes] = []
        self._size = 0
        if kind == "csv":
            self._gathered.append(csv_line(COLUMNS).encode() + b"\n")
        elif kind == "tsv":
            self._gathered.append(tab_line(COLUMNS).encode() + b"\n")

    def add(self, record: bytes) -> None:
        """Write one record."""
        before, after = (b"[\n", b"") if self.kind == "json" and not self.count else self.frame
        gathered = self._gathered
        gathered += (before, record, after)
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
            start = len(self.frame[0])
        self.flush()
        copy_to(self.out, spill.handle, start, spill.length - start)
        self.count += spill.records

    def flush(self) -> None:
        """Write the records gathered so far."""
        if self._gathered:
            data = b"".join(self._gathered)
            self._gathered.clear()
            self._size = 0
            write_all(self.out, data)

    def close(self) -> None:
        """Finish the output (closes a json array) and write it."""
        if self.kind == "json":
            self._gathered.append(b"\n]\n" if self.count else b"[]\n")
        self.flush()


def write_all(out: BinaryIO, data: bytes) -> None:
    """Write all of `data` to a stream, to its file descriptor when it has one.

    The time limit's timer signal (`consult.batch.watch`) can cut a write to a
    pipe short, and a buffered stream's `write` then lost the rest of the bytes
    (records missing from `consult evaluate ... | reader`, exit status 0).
    `os.write` says how much went out; the rest is written again.
    """
    try:
        target = out.fileno()
    except (AttributeError, OSError, ValueError):
        out.write(data)
        return
    out.flush()
    view = memoryview(data)
    while view:
        try:
            sent = os.write(target, view)
        except BlockingIOError:  # a non-blocking output that is full: wait for room
            select.select([], [target], [])
            continue
        view = view[sent:]


# Errors of os.sendfile that mean "not between these two files": copy instead.
_NO_SENDFILE = frozenset((errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV))


def copy_to(out: BinaryIO, source: BinaryIO, offset: int, length: int) -> None:
    """Copy `length` bytes of a file from `offset` to the end of a stream.

    Between two files the kernel copies (`os.sendfile`: no trip through this
    process); a stream without a file (or a pair sendfile refuses) is written
    in blocks, from where sendfile stopped.
    """
    try:
        target = out.fileno()
    except (AttributeError, OSError, ValueError):
        target = -1
    if target >= 0:
        out.flush()
        offset, length = _send(target, source.fileno(), offset, length)
    if length > 0:
        source.seek(offset)
    while length > 0:
        block = source.read(min(length, 1 << 20))
        if not block:
            raise OSError(errno.EIO, "spill file ended early")
        out.write(block)
        length -= len(block)


def _send(target: int, source: int, offset: int, length: int) -> tuple[int, int]:
    """Send what sendfile will; return where it stopped and how much is left (0: all)."""
    while length > 0:
        try:
            sent = os.sendfile(target, source, offset, length)
        except BlockingIOError:  # a non-blocking output that is full: wait for room
            select.select([], [target], [])
            continue
        except OSError as exc:
            if exc.errno in _NO_SENDFILE:
                break
            raise
        if sent == 0:
            raise OSError(errno.EIO, "spill file ended early")
        offset += sent
        length -= sent
    return offset, length
