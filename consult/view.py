"""The result on screen: rich renderables for a terminal (no printing here).

Referrals come first and prominent; then candidates with a certainty badge,
caveats, evidence and references; exclusions with reasons; procedures that
cannot be assessed yet and the questions that would settle them; the
disclaimer. All knowledge-base and patient text is shown as literal text,
never interpreted as rich markup.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from consult.engine import Candidate, Result
from consult.model import Evidence

DISCLAIMER = (
    "Decision support only, not a prescription: candidates are options to discuss, "
    "not recommendations. The clinician decides."
)
BADGE_STYLE = {
    "high": "bold white on green",
    "moderate": "bold black on bright_green",
    "low": "bold black on yellow",
    "very_low": "bold white on red",
    "insufficient": "bold white on bright_black",
}


def badge(certainty: str) -> Text:
    """A coloured certainty label such as ` LOW `."""
    label = certainty.replace("_", " ").upper()
    return Text(f" {label} ", style=BADGE_STYLE.get(certainty, "reverse"))


def render_result(result: Result) -> RenderableType:
    """The whole result as one renderable."""
    return Group(*_parts(result))


def _parts(result: Result) -> Iterator[RenderableType]:
    yield from _referrals(result)
    yield _heading("Candidate procedures", len(result.candidates))
    if not result.candidates:
        yield Text("  None on these answers.", style="dim")
    for candidate in result.candidates:
        yield from _candidate(candidate)
    yield from _undetermined(result)
    yield from _excluded(result)
    yield from _information(result)
    yield from _unknown(result)
    yield Text(f"\n{DISCLAIMER}", style="italic")
    yield Text(f"Knowledge base {result.version}", style="dim")


def _referrals(result: Result) -> Iterator[RenderableType]:
    if result.referrals:
        lines = [
            Text.assemble(("• ", "bold"), (r.name, "bold"), ": ", r.reason.text)
            for r in result.referrals
        ]
        yield Panel(Group(*lines), title="REFER", border_style="bold red", title_align="left")


def _undetermined(result: Result) -> Iterator[RenderableType]:
    if result.undetermined:
        yield _heading("Cannot be assessed yet", len(result.undetermined))
    for item in result.undetermined:
        waiting = ", ".join(item.waiting_for) or "more answers"
        yield Text.assemble("  ", (item.procedure.name, "bold"), f": needs {waiting}")


def _excluded(result: Result) -> Iterator[RenderableType]:
    if result.excluded:
        yield _heading("Ruled out", len(result.excluded))
    for exclusion in result.excluded:
        yield Text.assemble("  ", (exclusion.procedure.name, "bold"))
        for reason in exclusion.reasons:
            yield Text(f"    ✗ {reason.text}  [{reason.rule}]")


def _information(result: Result) -> Iterator[RenderableType]:
    if result.information:
        yield _heading("Information", len(result.information))
    for note in result.information:
        yield Text.assemble("  ", (note.procedure.name, "bold"), ": ", note.reason.text)


def _unknown(result: Result) -> Iterator[RenderableType]:
    if result.unknown:
        yield _heading("Unanswered questions that matter", len(result.unknown))
    for unknown in result.unknown:
        yield Text(f"  ? {unknown.text} ({unknown.question}) → {', '.join(unknown.needed_by)}")


def _heading(title: str, count: int) -> Text:
    return Text(f"\n{title} ({count})", style="bold underline")


def _candidate(candidate: Candidate) -> Iterator[RenderableType]:
    proc = candidate.procedure
    evidences: list[tuple[str, Evidence]] = [(i.label, i.evidence) for i in candidate.indications]
    if not evidences:
        evidences = [("", proc.evidence)]
    yield Text.assemble("\n  ", badge(evidences[0][1].certainty), " ", (proc.name, "bold"))
    for label, evidence in evidences:
        prefix = f"{label}: " if label else ""
        refs = ", ".join(evidence.references)
        yield Text(
            f"    Evidence: {prefix}{evidence.summary} (OCEBM level {evidence.level}; {refs})"
        )
    for caveat in candidate.caveats:
        yield Text(f"    ⚠ {caveat.text}", style="yellow")
    if proc.protocol:
        yield Text(f"    Protocol: {proc.protocol}", style="dim")
    if proc.downtime:
        yield Text(f"    Downtime: {proc.downtime}", style="dim")
    if proc.regulatory:
        yield Text(f"    Regulatory: {proc.regulatory}", style="dim")
    yield Text(f"    Why: rules {', '.join(candidate.rules)}", style="dim")
