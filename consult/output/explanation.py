"""`consult explain` as text and JSON: why each outcome is what it is.

Plain text for the terminal or a pager: the outcome, the rules that decided,
every rule naming it with each condition's truth and the answers it read, and
the smallest change of answers found that would make a missed outcome happen.
An outcome is decided in each treatment area; when the outcomes come from more
than one area, each is led by its area ("Face area: ...").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from consult.bank.model import Answer, KnowledgeBase
from consult.engine.explain import TRUTH_WORDS, Explained, Read, Step
from consult.output.plan import area_name

INDENT = "  "
NOTE = (
    "A change of answers shows how the rules respond (for checking the rules), "
    "not something to change in a patient's answers."
)


def explanation_json(kb: KnowledgeBase, outcomes: Sequence[Explained]) -> str:
    """The explanation as one JSON document."""
    doc = {"bank_version": kb.version, "outcomes": [o.to_dict() for o in outcomes]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def explanation_text(kb: KnowledgeBase, outcomes: Sequence[Explained]) -> str:
    """The explanation as readable text, one block per outcome."""
    several = len({o.area for o in outcomes}) > 1 or len({o.id for o in outcomes}) < len(outcomes)
    blocks = ["\n".join(_outcome(o, area_name(kb, o.area) if several else "")) for o in outcomes]
    footer = f"bank {kb.version}. {NOTE}"
    return "\n\n".join([*blocks, footer]) + "\n"


def _outcome(outcome: Explained, area: str) -> Iterator[str]:
    where = f"{area}: " if area else ""
    yield f"{where}{outcome.name} ({outcome.kind} {outcome.id}): {outcome.status.upper()}"
    if outcome.decided_by:
        yield f"{INDENT}decided by: {', '.join(outcome.decided_by)}"
    elif outcome.status == "not a candidate":
        yield f"{INDENT}decided by: no candidate rule holds"
    elif outcome.status == "not raised":
        yield f"{INDENT}decided by: no referral rule holds"
    if not outcome.rules:
        yield f"{INDENT}no rule names it"
    for trace in outcome.rules:
        effects = ", ".join(trace.effects)
        yield f"{INDENT}rule {trace.rule} ({effects}): {TRUTH_WORDS[trace.truth]}   {trace.source}"
        yield from _step(trace.condition, 2)
    if outcome.wanted:
        yield from _why_not(outcome)


def _step(step: Step, depth: int) -> Iterator[str]:
    pad = INDENT * depth
    truth = TRUTH_WORDS[step.truth]
    if step.reads:
        yield f"{pad}{step.test}: {truth}   [{'; '.join(_read(r) for r in step.reads)}]"
        return
    yield f"{pad}{step.test}: {truth}"
    for part in step.parts:
        yield from _step(part, depth + 1)


def _read(read: Read) -> str:
    if not read.asked:
        return f"{read.question} not asked"
    if read.answer is None:
        return f"{read.question} unanswered"
    return f"{read.question} = {_value(read.answer)}"


def _value(value: Answer | None) -> str:
    if value is None:
        return "no answer"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    return str(value)


def _why_not(outcome: Explained) -> Iterator[str]:
    what = "a candidate" if outcome.wanted == "candidate" else "raised"
    if not outcome.reachable:
        rule = "candidate" if outcome.wanted == "candidate" else "referral"
        yield f"{INDENT}why not {what}: no {rule} rule names it"
        return
    if outcome.change is None:
        yield f"{INDENT}why not {what}: no change of answers found that makes it {what}"
        return
    yield f"{INDENT}why not {what}: it would be {what} with these answers (checked by the engine):"
    for question, value in outcome.change:
        yield f"{INDENT * 2}{question} = {_value(value)}"
