"""The result on screen: rich renderables for a terminal (no printing here).

Referrals come first and prominent, then the positive safety answers; when the
answers list treatment areas, the plan per area (what is treated there, the
candidates, what is ruled out and why, what waits for which question); then
candidates with a certainty badge, caveats, evidence and references (a
caveat of several candidates once, under "Caveats for several candidates");
the steps before treatment; procedures that cannot be assessed yet; exclusions with reasons; information
notes; unanswered questions that matter; the disclaimer. With areas, each of
these names the areas it holds in. All knowledge-base and patient text is
shown as literal text, never interpreted as rich markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.text import Text

from consult.bank.model import Evidence, KnowledgeBase
from consult.engine.result import (
    Candidate,
    Reason,
    Result,
    Undetermined,
    Unknown,
    settled_note,
)
from consult.output.plan import (
    AreaView,
    area_lead,
    area_views,
    evidence_of,
    positive_findings,
    shows_areas,
    standing,
)

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


def render_result(result: Result, *, kb: KnowledgeBase | None = None) -> RenderableType:
    """The whole result as one renderable.

    With the knowledge base, references are shown with their citations and
    pending questions by their text rather than their id.
    """
    return Group(*_Parts(result, kb).all())


class _Parts:
    def __init__(self, result: Result, kb: KnowledgeBase | None) -> None:
        self.result = result
        self.kb = kb
        self.placed = shows_areas(result)  # False: the view without areas
        self.shared = shared_caveats(result, self.based)

    def all(self) -> Iterator[RenderableType]:
        result = self.result
        yield from self.referrals()
        yield from self.findings()
        yield from self.plan()
        yield _heading("Candidate procedures", len(result.candidates))
        if not result.candidates:
            yield Text("  None on these answers.", style="dim")
        for candidate in result.candidates:
            yield from self.candidate(candidate)
        yield from self.caveats()
        yield from self.actions()
        yield from self.undetermined()
        yield from self.excluded()
        yield from self.information()
        yield from self.unknown()
        yield Text(f"\n{DISCLAIMER}", style="bold italic")
        yield Text(f"Knowledge base {result.version}", style="dim")

    def based(self, reason: Reason) -> str:
        """The reason's text, led by its area and basis when it has them."""
        return area_lead(self.kb, reason.area) + _based(reason)

    def referrals(self) -> Iterator[RenderableType]:
        referrals = self.result.referrals
        if not referrals:
            return
        lines: list[RenderableType] = []
        for r in referrals:
            first, *more = r.every_reason
            lines.append(Text.assemble(("• ", "bold"), (r.name, "bold"), ": ", self.based(first)))
            lines.extend(at(2, f"• {self.based(reason)}") for reason in more)
        lines += [Text(f"  {note}", style="dim") for note in self.settled_notes("refer")]
        title = f"REFER FIRST ({len(referrals)})"
        yield Panel(Group(*lines), title=title, border_style="bold red", title_align="left")

    def plan(self) -> Iterator[RenderableType]:
        """Each area: what is treated there, what fits, what is ruled out and why, what waits."""
        if not self.placed:
            return
        views = area_views(self.kb, self.result)
        yield _heading("Plan per treatment area", len(views))
        for view in views:
            yield Text("")
            yield from self.area(view)

    def area(self, view: AreaView) -> Iterator[RenderableType]:
        yield at(2, (view.name, "bold"), ("  treated here: ", "dim"), view.treated)
        for name in view.referrals:
            yield at(4, ("Refer first: ", "bold red"), (name, "bold"))
        for candidate in view.candidates:
            yield at(4, badge(evidence_of(candidate).certainty), " ", candidate.procedure.name)
        if not view.candidates:
            yield at(4, "No candidate here.", style="dim")
        for item in view.undetermined:
            waits = "; ".join(self.question_name(q) for q in item.waiting_for) or "more answers"
            yield at(4, "… ", item.procedure.name, (f": waiting for {waits}", "dim"))
        for exclusion in view.excluded:
            yield at(4, "✗ ", (exclusion.procedure.name, "bold"))
            for reason in exclusion.reasons:
                yield at(6, f"{_based(reason)}  [{reason.rule}]")
        if view.others:
            yield at(
                4, f"Also ruled out, for other concerns: {', '.join(view.others)}", style="dim"
            )
        if view.open:
            asked = "; ".join(self.question_name(q) for q in view.open)
            yield at(4, f"? Also open here: {asked}", style="dim")

    def where(self, procedure: str) -> Iterator[RenderableType]:
        """The areas a procedure is a candidate, open or ruled out in, when areas are listed."""
        if self.placed:
            yield at(4, "; ".join(standing(self.kb, self.result, procedure)), style="dim")

    def candidate(self, candidate: Candidate) -> Iterator[RenderableType]:
        proc = candidate.procedure
        evidences = [(i.label, i.evidence) for i in candidate.indications]
        evidences = evidences or [("", proc.evidence)]
        yield Text("")
        yield at(2, badge(evidence_of(candidate).certainty), " ", (proc.name, "bold"))
        yield from self.where(proc.id)
        for label, evidence in evidences:
            yield from self.evidence(label, evidence)
        named = []
        for caveat in candidate.caveats:
            if self.based(caveat) in self.shared:
                named.append(caveat_name(caveat.text))
            else:
                yield at(4, f"⚠ {self.based(caveat)}", style="yellow")
        if named:
            yield at(4, f"⚠ And, under Caveats for several candidates: {'; '.join(named)}.")
        for name, value in (
            ("Protocol", proc.protocol),
            ("Downtime", proc.downtime),
            ("Regulatory", proc.regulatory),
        ):
            if value:
                yield at(4, f"{name}: {value}", style="dim")
        yield at(4, f"Why: rules {', '.join(candidate.rules)}", style="dim")

    def caveats(self) -> Iterator[RenderableType]:
        """Each caveat of more than one candidate once, with the candidates it is for."""
        if self.shared:
            yield _heading("Caveats for several candidates", len(self.shared))
        for text, names in self.shared.items():
            yield Text("")
            yield at(2, f"⚠ {text}", style="yellow")
            yield at(4, f"For: {', '.join(names)}", style="dim")

    def actions(self) -> Iterator[RenderableType]:
        """The steps before treatment, each with the procedures it comes before."""
        actions = self.result.actions
        if actions:
            yield _heading("Before treatment", len(actions))
        for action in actions:
            yield at(2, f"• {self.based(action.reason)}")
            names = ", ".join(self.outcome_name(p) for p in action.procedures)
            yield at(4, f"Before: {names}  [{action.reason.rule}]", style="dim")

    def evidence(self, label: str, evidence: Evidence) -> Iterator[RenderableType]:
        prefix = f"{label}: " if label else ""
        yield at(
            4,
            "Evidence: ",
            prefix,
            evidence.summary,
            (f" (certainty {evidence.certainty.replace('_', ' ')}; ", "dim"),
            (f"OCEBM level {evidence.level})", "dim"),
        )
        for ref in evidence.references:
            yield at(6, f"[{ref}] {self.citation(ref)}".rstrip(), style="dim")

    def citation(self, ref: str) -> str:
        found = self.kb.references.get(ref) if self.kb is not None else None
        return found.citation if found is not None else ""

    def question_text(self, qid: str) -> str:
        found = self.kb.by_id.get(qid) if self.kb is not None else None
        return f"{found.text} ({qid})" if found is not None else qid

    def undetermined(self) -> Iterator[RenderableType]:
        items = self.result.undetermined
        if items:
            yield _heading("Cannot be assessed yet", len(items))
        for item in items:
            yield from self._pending(item)

    def _pending(self, item: Undetermined) -> Iterator[RenderableType]:
        # What is already known comes first, as for a candidate; the open questions
        # are listed once, below, with what each would settle.
        proc = item.procedure
        yield at(2, badge(proc.evidence.certainty), " ", (proc.name, "bold"))
        yield from self.where(proc.id)
        for caveat in item.caveats:
            yield at(4, f"⚠ {area_lead(self.kb, caveat.area)}{caveat.text}", style="yellow")
        count = len(item.waiting_for)
        waits = f"{count} open question{'s' * (count != 1)} below" if count else "more answers"
        yield at(4, f"Not offered until answered: {waits}", style="dim")

    def excluded(self) -> Iterator[RenderableType]:
        # Procedures for the patient's concerns come with their reasons; the
        # others ruled out by the same findings are named on one line.
        items = [e for e in self.result.excluded if e.in_scope]
        others = [e.procedure.name for e in self.result.excluded if not e.in_scope]
        if items:
            yield _heading("Ruled out", len(items))
        for exclusion in items:
            yield at(2, (exclusion.procedure.name, "bold"))
            yield from self.where(exclusion.procedure.id)
            for reason in exclusion.reasons:
                yield at(4, f"✗ {self.based(reason)}  [{reason.rule}]")
            for note in self.settled_notes("exclude", exclusion.procedure.id):
                yield at(4, note, style="dim")
        if others:
            yield at(2, f"Also ruled out, for other concerns: {', '.join(others)}", style="dim")

    def information(self) -> Iterator[RenderableType]:
        items = self.result.information
        if items:
            yield _heading("Information", len(items))
        for note in items:
            yield at(2, (note.procedure.name, "bold"), ": ", self.based(note.reason))

    def unknown(self) -> Iterator[RenderableType]:
        items = open_questions(self.result)
        if items:
            yield _heading("Unanswered questions that matter", len(items))
        for unknown in items:
            needed = ", ".join(self.outcome_name(o) for o in unknown.needed_by)
            yield at(2, f"? {area_lead(self.kb, unknown.area)}{unknown.text}")
            yield at(4, f"would settle: {needed}", style="dim")

    def settled_notes(self, kind: str, target: str = "") -> list[str]:
        """Why an outcome stands although its rules read unanswered questions."""
        return [
            settled_note(item, self.question_name)
            for item in self.result.settled
            if item.outcome == kind and item.verdict and (not target or item.target == target)
        ]

    def question_name(self, qid: str) -> str:
        found = self.kb.by_id.get(qid) if self.kb is not None else None
        return found.text if found is not None else qid

    def findings(self) -> Iterator[RenderableType]:
        """Every positive safety answer, near the top."""
        found = positive_findings(self.result, self.kb)
        if found:
            yield at(0, ("Positive safety answers: ", "bold yellow"), "; ".join(found))

    def outcome_name(self, ident: str) -> str:
        kb = self.kb
        if kb is not None:
            for table in (kb.procedures, kb.referrals):
                found = table.get(ident)
                if found is not None:
                    return found.name
        named = {
            item.procedure.id: item.procedure.name
            for group in (self.result.candidates, self.result.undetermined, self.result.excluded)
            for item in group
        }
        return named.get(ident, ident)


def shared_caveats(result: Result, said: Callable[[Reason], str]) -> dict[str, list[str]]:
    """The caveats (as `said` shows them) of more than one candidate, with those candidates."""
    found: dict[str, list[str]] = {}
    for candidate in result.candidates:
        for caveat in candidate.caveats:
            names = found.setdefault(said(caveat), [])
            if candidate.procedure.name not in names:
                names.append(candidate.procedure.name)
    return {text: names for text, names in found.items() if len(names) > 1}


def caveat_name(text: str) -> str:
    """A caveat's short name: its words before the first colon, or its first words."""
    head, colon, _rest = text.partition(":")
    if colon and len(head) <= 60:
        return head.strip()
    words = text.split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "")


def open_questions(result: Result) -> list[Unknown]:
    """The open questions, each once, most decisive (settling most outcomes) first."""
    return sorted(result.unknown, key=lambda u: -len(u.needed_by))


def _based(reason: Reason) -> str:
    """The reason's text, led by its basis when it has one: `(label) ...`."""
    return f"({reason.basis_words}) {reason.text}" if reason.basis else reason.text


def at(indent: int, *parts: str | Text | tuple[str, str], style: str = "") -> _Indented:
    """Literal text indented as a block, so wrapped lines keep the indent."""
    return _Indented(indent, Text.assemble(*parts, style=style))


class _Indented:
    """Text wrapped to the width left after the indent, without trailing padding."""

    def __init__(self, indent: int, text: Text) -> None:
        self.indent = indent
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - self.indent, 20)
        for line in self.text.wrap(console, width):
            yield Text(" " * self.indent) + line


def _heading(title: str, count: int) -> Text:
    return Text(f"\n{title} ({count})", style="bold underline")
