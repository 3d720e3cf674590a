"""The record's appendix: the rules behind each finding, the bank's identity, the metadata.

The metadata is a fenced YAML block (info string `yaml consult-record`) at the
very end of the record: machine-readable (`read_metadata`), and in any
CommonMark renderer a block of code in the appendix, never a heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from consult import __version__
from consult.answers.check import AnswerSet
from consult.bank.model import KnowledgeBase
from consult.engine.result import Reason, Result
from consult.output.text import escape

SCHEMA = "consult-record/1"
# The fence of the metadata block; its lines always start with a YAML key.
_FENCE = "```yaml consult-record"
_METADATA = re.compile(r"^```yaml consult-record\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Header:
    """Who and when: the consultation's date (and time, if known) and its clinician."""

    date: str
    time: str = ""
    clinician: str = ""


def read_metadata(text: str) -> dict[str, Any]:
    """The machine-readable metadata of a record (its last fenced `consult-record` block).

    Raises:
        ValueError: the text holds no such block.
    """
    found = _METADATA.findall(text)
    data = yaml.safe_load(found[-1]) if found else None
    if not isinstance(data, dict):
        raise ValueError("no consult-record metadata block")  # noqa: TRY004
    return data


def names(kb: KnowledgeBase, ids: Iterable[str]) -> str:
    """Procedures or referrals by name, comma-separated (an unknown id as itself)."""
    found = []
    for pid in ids:
        target = kb.procedures.get(pid) or kb.referrals.get(pid)
        found.append(target.name if target else pid)
    return ", ".join(found)


def appendix_part(
    kb: KnowledgeBase, answers: AnswerSet, result: Result, header: Header
) -> Iterator[str]:
    """The rules behind each finding, the bank's identity and the machine-readable metadata."""
    yield f"## {escape('Appendix: rules and knowledge bank')}"
    yield "\n".join(
        f"- {line}"
        for line in [
            escape(f"Knowledge bank: version {result.version}, SHA-256 {result.sha256}"),
            escape(f"Written by consult {__version__}"),
            *(escape(line) for line in _rule_lines(kb, result)),
        ]
    )
    yield escape("Machine-readable metadata:")
    meta = {
        "schema": SCHEMA,
        "patient_ref": one_line(answers.patient_ref) or None,
        "consultation_date": header.date,
        "consultation_time": header.time or None,
        "clinician": header.clinician or None,
        "tool": "consult",
        "tool_version": __version__,
        "bank_version": result.version,
        "bank_sha256": result.sha256,
    }
    dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    yield f"{_FENCE}\n{dumped}```"


def _rule_lines(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """`What: rule ids`, one line per finding shown above."""
    for c in result.candidates:
        yield f"Candidate {c.procedure.name}: {', '.join(c.rules)}"
        yield from (f"Caveat on {c.procedure.name}: {r.rule}" for r in c.caveats)
    for u in result.undetermined:
        rules = ", ".join(dict.fromkeys((*u.candidate_rules, *u.rules)))
        yield f"Not yet assessed {u.procedure.name}: {rules}"
    for e in result.excluded:
        if e.in_scope:
            yield f"Ruled out {e.procedure.name}: {', '.join(dict.fromkeys(r.rule for r in e.reasons))}"
    for name, reasons in referral_reasons(result).values():
        yield f"Referral {name}: {', '.join(dict.fromkeys(x.rule for x in reasons))}"
    yield from (f"Before treatment: {a.reason.rule}" for a in result.actions)
    yield from (f"Information on {i.procedure.name}: {i.reason.rule}" for i in result.information)
    for s in result.settled:
        if s.verdict:
            yield f"Settled {names(kb, [s.target])}: one of {', '.join(s.rules)}"


def one_line(text: str) -> str:
    """The text on one line: control characters and runs of whitespace as one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def referral_reasons(result: Result) -> dict[str, tuple[str, list[Reason]]]:
    """Each referral's name and every reason behind it, by id (a referral listed once)."""
    found: dict[str, tuple[str, list[Reason]]] = {}
    for r in result.referrals:
        found.setdefault(r.id, (r.name, []))[1].extend(r.every_reason)
    return found


# A bank may ask who the clinician is, as a text question with this id; that
# answer, given at the consultation, comes before the configured name.
CLINICIAN_QUESTION = "clinician"


def clinician_of(answers: AnswerSet, configured: str) -> str:
    """The consultation's clinician: the answer to `CLINICIAN_QUESTION`, else `configured`."""
    answered = answers.answers.get(CLINICIAN_QUESTION)
    return one_line(answered if isinstance(answered, str) else "") or one_line(configured)
