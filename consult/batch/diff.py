"""`consult diff`: which answer sets of a corpus change outcome between two banks, and how.

Every input (an answer file, or a scenario file: its `answers`) is read,
checked and evaluated on both banks (`consult.engine.decide.evaluate`, the
outcomes compared on its `Result`) by the batch workers (`consult.batch.pool`);
a worker sends back one compact record for an input whose outcome changes and
nothing for one that does not. The parent groups the changes by outcome with
counts and example inputs.

A change is one of: new candidate, lost candidate, new exclusion, lost
exclusion, changed status (none and undetermined), new referral, lost
referral, changed certainty (a candidate on both banks whose evidence
certainty differs), became invalid and became valid (the answers pass the
checks of one bank only).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consult.answers.check import AnswerSet
from consult.bank.model import KnowledgeBase
from consult.batch.formats import Renderer
from consult.batch.inputs import Bank, Item, Reading, read_input
from consult.batch.pool import Pairs, evaluate_inputs
from consult.engine.decide import evaluate
from consult.errors import InputError, InvalidAnswers, Problem

EXAMPLES = 3  # example inputs shown per group of changes
State = dict[str, str]  # outcome id -> its status ("candidate:low", "excluded", "raised", ...)
_BASE: dict[Bank, KnowledgeBase] = {}


def base_bank(bank: Bank) -> KnowledgeBase:
    """The base knowledge base, loaded once per process."""
    kb = _BASE.get(bank)
    if kb is None:
        from consult.bank.loader import load

        kb = _BASE[bank] = load(bank.questions, bank.rules)
    return kb


def state(kb: KnowledgeBase, answers: AnswerSet) -> State:
    """Each procedure's and referral's status on these answers (absent: none)."""
    result = evaluate(kb, answers)
    found: State = {}
    for candidate in result.candidates:
        # The certainty of the result JSON's `evidence`: the first indication's, or the procedure's.
        indications = candidate.indications
        evidence = indications[0].evidence if indications else candidate.procedure.evidence
        found[candidate.procedure.id] = f"candidate:{evidence.certainty}"
    for exclusion in result.excluded:
        found[exclusion.procedure.id] = "excluded"
    for undetermined in result.undetermined:
        found[undetermined.procedure.id] = "undetermined"
    for referral in result.referrals:
        found[referral.id] = "raised"
    return found


def changes(base: State, new: State) -> list[dict[str, str]]:
    """The changes from the base state to the new one, by outcome id."""
    found = []
    for outcome in sorted(base.keys() | new.keys()):
        before, after = base.get(outcome, "none"), new.get(outcome, "none")
        if before != after:
            found.append(_change(outcome, before, after))
    return found


def _change(outcome: str, before: str, after: str) -> dict[str, str]:
    was, now = before.split(":")[0], after.split(":")[0]
    if was == now == "candidate":
        kind = "changed certainty"
        before, after = before.split(":")[1], after.split(":")[1]
    else:
        before, after = was, now
        kind = _KINDS.get((was, now)) or _kind(was, now)
    return {"outcome": outcome, "kind": kind, "from": before, "to": after}


_KINDS = {("none", "raised"): "new referral", ("raised", "none"): "lost referral"}


def _kind(was: str, now: str) -> str:
    if now == "candidate":
        return "new candidate"
    if was == "candidate":
        return "lost candidate"
    if now == "excluded":
        return "new exclusion"
    if was == "excluded":
        return "lost exclusion"
    return "changed status"


def _record(item: Item, found: list[dict[str, str]]) -> bytes:
    record: dict[str, Any] = {"file": item.name}
    if item.line:
        record["line"] = item.line
    record["changes"] = found
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def read_corpus_item(kb: KnowledgeBase, item: Item) -> AnswerSet:
    """An answer file, or the `answers` of a scenario file (the bank's test corpus)."""
    return read_input(kb, item).answers


class DiffRenderer(Renderer):
    """Decides each input on the base bank too; a record only for an input that changes."""

    def __init__(self, base: Bank) -> None:
        self.base = base

    def read(self, kb: KnowledgeBase, item: Item) -> Reading:
        """Read and check one input: an answer file or a scenario file."""
        return read_input(kb, item)

    def good(self, kb: KnowledgeBase, item: Item, answers: AnswerSet) -> bytes:
        """The change record of an input valid on the new bank ("" when nothing changes)."""
        base = base_bank(self.base)
        try:
            base_answers = read_corpus_item(base, item)
        except (InvalidAnswers, InputError) as exc:
            problem = _first(exc)
            found = [{"outcome": "answers", "kind": "became valid", "from": problem, "to": "ok"}]
            return _record(item, found)
        found = changes(state(base, base_answers), state(kb, answers))
        return _record(item, found) if found else b""

    def bad(self, item: Item, problems: Sequence[Problem]) -> bytes:
        """A record when the input was valid on the base bank; else nothing."""
        try:
            read_corpus_item(base_bank(self.base), item)
        except (InvalidAnswers, InputError):
            return b""
        change = {"outcome": "answers", "kind": "became invalid", "from": "ok"}
        change["to"] = str(problems[0]) if problems else "invalid"
        return _record(item, [change])


def _first(error: InvalidAnswers | InputError) -> str:
    if isinstance(error, InvalidAnswers) and error.problems:
        return str(error.problems[0])
    return str(error)


@dataclass
class Group:
    """The inputs that share one change of one outcome."""

    outcome: str
    kind: str
    before: str
    after: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "outcome": self.outcome,
            "kind": self.kind,
            "from": self.before,
            "to": self.after,
            "count": self.count,
            "examples": self.examples,
        }


@dataclass
class Report:
    """What a diff found over a corpus."""

    total: int = 0
    changed: int = 0
    failed: int = 0  # inputs that cannot be evaluated on either bank
    groups: dict[tuple[str, str, str, str], Group] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        """Count one change record."""
        self.changed += 1
        name = record["file"] + (f":{record['line']}" if "line" in record else "")
        for change in record["changes"]:
            key = (change["outcome"], change["kind"], change["from"], change["to"])
            if change["kind"] in {"became valid", "became invalid"}:
                key = (change["outcome"], change["kind"], "", "")
            group = self.groups.setdefault(key, Group(*key))
            group.count += 1
            if len(group.examples) < EXAMPLES:
                group.examples.append(name)

    def sorted_groups(self) -> list[Group]:
        """The groups by outcome, then kind."""
        return [self.groups[k] for k in sorted(self.groups)]


def diff_pairs(kb: KnowledgeBase, base: Bank, items: Iterable[Item], jobs: int) -> Pairs:
    """Every input evaluated on both banks by the batch pool, in input order."""
    return evaluate_inputs(kb, items, DiffRenderer(base), jobs)


def _name(outcome: str, banks: Sequence[KnowledgeBase]) -> str:
    for kb in banks:
        found = kb.procedures.get(outcome) or kb.referrals.get(outcome)
        if found is not None:
            return found.name
    return "the answer file" if outcome == "answers" else outcome


def report_text(report: Report, kb: KnowledgeBase, base: KnowledgeBase) -> str:
    """The report for people: changes grouped by outcome, with counts and examples."""
    banks = f"base bank {base.version}, bank {kb.version}"
    if not report.changed:
        lines = [f"no answer set changes outcome ({report.total} compared; {banks})"]
    else:
        sets = "answer set changes" if report.changed == 1 else "answer sets change"
        lines = [f"{report.changed} of {report.total} {sets} outcome ({banks})"]
    current = ""
    for group in report.sorted_groups():
        if group.outcome != current:
            current = group.outcome
            lines += ["", f"{current}  {_name(current, (kb, base))}"]
        what = group.kind if not group.before else f"{group.kind}, {group.before} -> {group.after}"
        count = f"{group.count} answer set{'s' if group.count != 1 else ''}"
        lines.append(f"  {what}: {count} (e.g. {', '.join(group.examples)})")
    return "\n".join(lines) + "\n"


def report_json(report: Report, kb: KnowledgeBase, base: KnowledgeBase) -> str:
    """The report for tools, as one JSON document."""
    doc = {
        "base_bank": base.version,
        "bank": kb.version,
        "inputs": report.total,
        "changed": report.changed,
        "failed": report.failed,
        "changes": [g.to_dict() for g in report.sorted_groups()],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
