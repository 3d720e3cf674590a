"""The plan on one screen: what the clinician acts on, before the full details.

In this order: the referrals (with the areas that raised them), every positive
safety answer (those of each area and those answered once for the patient), the
candidates of each area one line each with their certainty, what is ruled out
there in one line, what cannot be assessed yet, and the steps before treatment
(with what the intake recorded for them, such as how long ago isotretinoin was
stopped). Evidence, protocols and caveats are in the full details
(`consult.output.terminal.render_result`). All knowledge-base and patient text
is literal, never rich markup.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.text import Text

from consult.answers.check import answer_words
from consult.bank.model import KnowledgeBase
from consult.bank.truth import questions_of
from consult.engine.result import Action, Candidate, Result
from consult.output.plan import area_name, area_views, evidence_of, positive_findings, shows_areas
from consult.output.terminal import at, badge, open_questions, render_result

PLAN_TITLE = "THE PLAN"
DETAILS_TITLE = "FULL DETAILS"


def render_plan(result: Result, *, kb: KnowledgeBase | None = None) -> RenderableType:
    """The plan as one renderable, short enough for one screen in common cases."""
    return Group(*_Brief(result, kb).lines())


def render_screen(result: Result, *, kb: KnowledgeBase | None = None) -> RenderableType:
    """The plan, then the full details (`consult evaluate` at the terminal)."""
    details = Text(f"\n{DETAILS_TITLE}", style="bold reverse")
    return Group(render_plan(result, kb=kb), details, render_result(result, kb=kb))


def actions_once(result: Result) -> list[tuple[str, list[str]]]:
    """Each step before treatment once: its text and the areas it holds in ("" patient)."""
    found: dict[str, list[str]] = {}
    for action in result.actions:
        areas = found.setdefault(action.reason.text, [])
        if action.reason.area not in areas:
            areas.append(action.reason.area)
    return list(found.items())


class _Brief:
    def __init__(self, result: Result, kb: KnowledgeBase | None) -> None:
        self.result = result
        self.kb = kb

    def lines(self) -> Iterator[RenderableType]:
        yield Text(PLAN_TITLE, style="bold reverse")
        yield from self.referrals()
        yield from self.findings()
        yield from self.areas() if shows_areas(self.result) else self.flat()
        yield from self.actions()
        count = len(open_questions(self.result))
        if count:
            said = f"{count} unanswered question{'s' * (count != 1)} would change this plan"
            yield at(0, f"Open: {said} (see the full details).", style="dim")

    def referrals(self) -> Iterator[RenderableType]:
        for referral in self.result.referrals:
            places = []
            for reason in referral.every_reason:
                if reason.area and area_name(self.kb, reason.area) not in places:
                    places.append(area_name(self.kb, reason.area))
            where = f" ({', '.join(places)})" if places else ""
            yield at(0, ("REFER FIRST: ", "bold red"), (referral.name, "bold"), where)

    def findings(self) -> Iterator[RenderableType]:
        found = positive_findings(self.result, self.kb)
        if not found:
            return
        yield Text("Positive safety answers:", style="bold yellow")
        for finding in found:
            yield at(2, f"! {finding}")

    def areas(self) -> Iterator[RenderableType]:
        for view in area_views(self.kb, self.result):
            yield at(0, (view.name, "bold"), (": ", "dim"), view.treated)
            for name in view.referrals:
                yield at(2, ("Refer first: ", "bold red"), name)
            yield from self.candidates(view.candidates)
            if not view.candidates and not view.referrals:
                yield at(2, "No candidate here.", style="dim")
            ruled = [e.procedure.name for e in view.excluded]
            if ruled:
                yield at(2, ("Ruled out: ", "bold"), "; ".join(ruled))
            waiting = [u.procedure.name for u in view.undetermined]
            if waiting:
                yield at(2, ("Not yet assessed: ", "bold"), "; ".join(waiting))

    def flat(self) -> Iterator[RenderableType]:
        result = self.result
        yield from self.candidates(result.candidates)
        if not result.candidates:
            yield at(2, "No candidate on these answers.", style="dim")
        ruled = [e.procedure.name for e in result.excluded if e.in_scope]
        if ruled:
            yield at(2, ("Ruled out: ", "bold"), "; ".join(ruled))
        waiting = [u.procedure.name for u in result.undetermined]
        if waiting:
            yield at(2, ("Not yet assessed: ", "bold"), "; ".join(waiting))

    def candidates(self, candidates: tuple[Candidate, ...]) -> Iterator[RenderableType]:
        for candidate in candidates:
            yield at(2, badge(evidence_of(candidate).certainty), " ", candidate.procedure.name)

    def actions(self) -> Iterator[RenderableType]:
        steps = actions_once(self.result)
        if not steps:
            return
        yield Text("Before treatment:", style="bold")
        for text, areas in steps:
            named = [area_name(self.kb, a) for a in areas if a]
            lead = f"{', '.join(named)}: " if named else ""
            yield at(2, f"• {lead}{text}")
            action = next(a for a in self.result.actions if a.reason.text == text)
            for recorded in self.recorded(action):
                yield at(4, recorded, style="dim")

    def recorded(self, action: Action) -> Iterator[str]:
        """What the intake recorded for a step: answers to the questions asked after its own."""
        kb = self.kb
        if kb is None:
            return
        read = set(action.reason.answers)
        for question in kb.questions:
            if question.when is None or not read & set(questions_of(question.when)):
                continue
            value = self.result.answers.get(question.id)
            if value is not None:
                unit = f" {question.unit}" if question.unit else ""
                yield f"Recorded: {question.text} → {answer_words(question, value)}{unit}"
