"""The decision in one treatment area: typed, frozen records of what the rules decided.

A decision names procedures and referrals with the rules behind each outcome,
for the procedures that could be given in its area, read on the area's view
(`consult.engine.areas`); `consult.engine.decide` makes one per area and turns
them into the explained `Result`. While a decision is being made, a `Deciding`
gathers the outcomes (filled in by `consult.engine.decide` and
`consult.engine.outcomes`); `Deciding.decision()` freezes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from consult.bank.model import (
    Answer,
    Applicability,
    KnowledgeBase,
    Procedure,
    Question,
    Rule,
)
from consult.engine.areas import Area
from consult.engine.prepared import Prepared
from consult.engine.rulemasks import index_of

Rules = tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Fit:
    """A candidate procedure: the rules that make it one, and those that caution."""

    procedure: Procedure
    rules: Rules
    cautions: Rules


@dataclass(frozen=True, slots=True)
class RuledOut:
    """An excluded procedure and its exclusion rules.

    `in_scope` is false for a procedure that serves none of the patient's concerns.
    """

    procedure: Procedure
    rules: Rules
    in_scope: bool


@dataclass(frozen=True, slots=True)
class Pending:
    """A procedure not offered until the questions it waits for are answered.

    `blocking` are the open rules it waits on, `fits` the candidate rules that
    hold or may hold, `cautions` the caveat rules that hold.
    """

    procedure: Procedure
    waiting_for: tuple[str, ...]
    blocking: Rules
    fits: Rules
    cautions: Rules


@dataclass(frozen=True, slots=True)
class Raised:
    """A referral raised, or an information note given, by one rule."""

    rule: Rule
    target: str  # the referral or the procedure


@dataclass(frozen=True, slots=True)
class SettledOutcome:
    """An outcome the open rules settle together, whatever the open questions' answers.

    `kind` is candidate, exclude, caveat, refer or information.
    """

    kind: str
    target: str
    verdict: bool
    rules: Rules
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """An unanswered question, the outcomes it can change, and the rules that read it."""

    question: Question
    needed_by: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rules decided on one answer set, outcome by outcome, in bank order.

    The rules that fired and those left open are kept as bit masks over the
    bank's rules (`consult.engine.rulemasks`): the explained result never
    lists them, so they are spelled out only when asked for.
    """

    answers: Mapping[str, Answer]
    fired_mask: int
    open_mask: int
    candidates: tuple[Fit, ...]
    excluded: tuple[RuledOut, ...]
    undetermined: tuple[Pending, ...]
    referrals: tuple[Raised, ...]
    information: tuple[Raised, ...]
    actions: tuple[Raised, ...]  # steps before treatment: the rule, and the procedure
    settled: tuple[SettledOutcome, ...]
    unknown: tuple[OpenQuestion, ...]
    area: Area
    plan: Prepared = field(compare=False, repr=False)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the decision was made on."""
        return self.plan.kb

    @property
    def fired(self) -> Rules:
        """The rules that hold on the area's view, in bank order."""
        return index_of(self.plan).picked(self.fired_mask)

    @property
    def open(self) -> Rules:
        """The rules still open on the area's view (an answer they read is missing)."""
        return index_of(self.plan).picked(self.open_mask)

    def read(self, rule: Rule) -> dict[str, Answer]:
        """The answers a rule read on the area's view (those given)."""
        answers = self.answers
        return {q: answers[q] for q in rule.questions if q in answers}

    def in_area(self, rule: Rule) -> str:
        """The area a rule's finding belongs to ("" for a finding about the patient)."""
        return self.area.label if rule.id in self.plan.sited else ""


class Deciding:
    """A decision being made: its outcome lists, and what the rules read on these answers."""

    def __init__(self, plan: Prepared, area: Area, applies: Applicability) -> None:
        self.plan = plan
        self.area = area
        self.answers = area.view
        self.procedures = plan.treated(area)
        self._applies = applies
        self._missing: dict[str, tuple[str, ...]] = {}
        self.fired = 0  # the masks of the rules that fired and of the open ones
        self.open = 0
        self.candidates: list[Fit] = []
        self.excluded: list[RuledOut] = []
        self.undetermined: list[Pending] = []
        self.referrals: list[Raised] = []
        self.information: list[Raised] = []
        self.actions: list[Raised] = []
        self.settled: list[SettledOutcome] = []
        self.unknown: list[OpenQuestion] = []

    def decision(self) -> Decision:
        """The outcomes, frozen."""
        return Decision(
            answers=self.answers,
            fired_mask=self.fired,
            open_mask=self.open,
            candidates=tuple(self.candidates),
            excluded=tuple(self.excluded),
            undetermined=tuple(self.undetermined),
            referrals=tuple(self.referrals),
            information=tuple(self.information),
            actions=tuple(self.actions),
            settled=tuple(self.settled),
            unknown=tuple(self.unknown),
            area=self.area,
            plan=self.plan,
        )

    def in_scope(self, pid: str) -> bool:
        """Whether a procedure serves one of the patient's concerns (or may)."""
        tests = self.plan.scopes[pid]
        answers, applies = self.answers, self._applies
        for test in tests:
            if test(answers, applies) is not False:
                return True
        return not tests

    def applies(self) -> Applicability:
        """Which questions apply to the area's answers (three-valued, memoised)."""
        return self._applies

    def missing(self, rules: Sequence[Rule]) -> tuple[str, ...]:
        """The questions open rules read that are unanswered and not switched off, in bank order."""
        if len(rules) == 1:
            return self.missing_of(rules[0])  # a rule's questions are in bank order
        wanted = {q for r in rules for q in self.missing_of(r)}
        return tuple(sorted(wanted, key=self.plan.position.__getitem__))

    def missing_of(self, rule: Rule) -> tuple[str, ...]:
        """The questions of an open rule that are unanswered and not switched off."""
        found = self._missing.get(rule.id)
        if found is None:
            answers, applies = self.answers, self.applies()
            found = tuple(q for q in rule.questions if q not in answers and applies(q) is not False)
            self._missing[rule.id] = found
        return found
