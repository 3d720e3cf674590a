"""Which prompts apply now: the patient's questions, then area by area, then the rest.

One walk over the bank, run again after every answer (`flow.Intake.refresh`):

- The patient's questions apply on the patient's answers, in bank order.
- The treatment areas come right after the patient's concerns (the section of
  the question `concerns`), or where the bank puts them when it has no such
  question. Each area asks its site, what is treated there (the patient's
  concerns that can be treated at that site), every detail question whose
  `when` holds on the area's view (the patient's answers with the area's own
  over them, as `consult.answers.groups` reads an area), then its site screen.
  An area's question whose `when` reads a patient's answer asked later is
  asked while that answer is missing (its truth is unknown), and dropped if
  the answer switches it off.
- A detail question is asked once for the patient, at its place in the bank,
  only for the concerns no area treats ("not placed", as the engine reads them
  in `consult.engine.areas`; an area still to say what it treats is taken to
  treat all it may). An answer given once for every area (the flat form of an
  answer file) is kept while it counts somewhere: for the concerns not placed,
  or in an area that leaves the question to it (not answered there, nor
  answered "not known").

Answers to questions that no longer apply are dropped, and their ids listed,
except those of a question the bank marks `always_read`: such an answer is
read wherever it was recorded, so it stays and is shown, to be changed at the
review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from consult.answers.groups import CONCERNS, area_view
from consult.bank.model import Answer, Applicability, KnowledgeBase, Question, Truth
from consult.bank.truth import applicability
from consult.intake.areas import Areas, item_id, section_id
from consult.intake.fitting import Fitter

EVERY_AREA = "Every area: "


@dataclass(frozen=True, slots=True)
class Walked:
    """What applies now: the prompts in the order asked, and the answers kept."""

    prompts: tuple[Question, ...]
    answers: dict[str, Answer]
    skipped: set[str]
    dropped: tuple[str, ...]  # ids whose answers were dropped: they no longer apply
    sure: frozenset[str]  # prompts that apply for certain, not only maybe
    titles: Mapping[str, str] = field(default_factory=dict)  # section titles, areas included


def walk(
    kb: KnowledgeBase,
    areas: Areas,
    fitter: Fitter,
    answers: Mapping[str, Answer],
    skipped: set[str],
) -> Walked:
    """One pass of branching over the answers so far."""
    return _Walk(kb, areas, fitter, answers, skipped).run()


class _Walk:
    """One walk: the patient's questions, each area's, the details not placed, in order."""

    def __init__(
        self,
        kb: KnowledgeBase,
        areas: Areas,
        fitter: Fitter,
        answers: Mapping[str, Answer],
        skipped: set[str],
    ) -> None:
        self.kb, self.areas, self.fitter = kb, areas, fitter
        self.answers = dict(answers)
        self.skipped = set(skipped)
        self.dropped: list[str] = []
        self.sure: set[str] = set()
        self.truths: dict[str, Truth] = {}  # the patient's questions that apply (maybe)
        self.view: dict[str, Answer] = {}  # the patient's answers, those for every area too
        self.applies: Applicability = applicability(kb, self.view)
        self.in_areas: dict[tuple[int, str], Truth] = {}  # (area, question): applies there
        # The view of the concerns not placed in an area; None when every one is.
        self.rest: dict[str, Answer] | None = None
        self.rest_applies: Applicability = self.applies
        self.unplaced: tuple[str, ...] = ()

    def run(self) -> Walked:
        self._patient()
        block = [p for n in self.areas.numbers() for p in self._area(n)]
        self._not_placed()
        prompts: list[Question] = []
        after = self._block_after()
        if after < 0:
            prompts += self._block(block)
        for index, question in enumerate(self.kb.questions):
            prompt = self._patient_prompt(question)
            if prompt is not None:
                prompts.append(prompt)
            if index == after:
                prompts += self._block(block)
        return Walked(
            tuple(prompts),
            self.answers,
            self.skipped,
            tuple(self.dropped),
            frozenset(self.sure),
            self._titles(),
        )

    def _titles(self) -> dict[str, str]:
        titles = {s.id: s.title for s in self.kb.sections}
        group = self.areas.group
        if group is not None:
            for number in self.areas.numbers():
                titles[section_id(group.id, number)] = self.areas.title(number, self.answers)
        return titles

    def _slot(self, number: int, qid: str) -> str:
        group = self.areas.group
        assert group is not None
        return item_id(group.id, number, qid)

    def _drop(self, qid: str) -> None:
        if self._done(qid):
            self.dropped.append(qid)
        self.answers.pop(qid, None)
        self.skipped.discard(qid)

    def _done(self, qid: str) -> bool:
        return qid in self.answers or qid in self.skipped

    def _patient(self) -> None:
        """The questions of the patient (and those answered once for every area)."""
        areas = self.areas
        for question in self.kb.questions:
            qid = question.id
            if qid in areas.screen or qid == areas.key:
                continue
            truth = self.applies(qid)
            if truth is False and not (question.always_read and qid in self.answers):
                self._drop(qid)
                continue
            self.truths[qid] = truth
            if qid in self.answers:
                self.view[qid] = self.answers[qid]
        self.view.update((q, self.answers[q]) for q in areas.screen if q in self.answers)

    def _area(self, number: int) -> list[Question]:
        """One area's prompts; its answers that no longer apply are dropped."""
        offered = self._fit_site(number)
        view = area_view(self.view, {})  # the area's own answers go over it as they are kept
        applies = applicability(self.kb, view, self.applies)
        prompts: list[Question] = []
        for question in self.areas.order:
            qid, slot = question.id, self._slot(number, question.id)
            truth = applies(qid)
            self.in_areas[number, qid] = truth
            if truth is False:
                self._drop(slot)
                continue
            prompts.append(self._area_prompt(question, number, offered, view, applies))
            if truth is True:
                self.sure.add(slot)
            if slot in self.answers:
                view[qid] = self.answers[slot]
        return prompts

    def _fit_site(self, number: int) -> tuple[str, ...]:
        """The concerns offered in an area; a site or concerns that no longer fit are dropped."""
        areas, patient = self.areas, self.answers.get(CONCERNS)
        site = self.answers.get(self._slot(number, areas.key))
        known = isinstance(patient, tuple) and areas.concerns is not None
        if site is not None and known and not areas.offered(patient, site):
            # No concern of the patient's is treated there: the place and its screen go.
            for question in areas.order:
                if question.id == areas.key or question.id in areas.screen:
                    self._drop(self._slot(number, question.id))
            site = None
        offered = tuple(c.id for c in areas.offered(patient, site))
        own = self.answers.get(self._slot(number, CONCERNS))
        if isinstance(own, tuple) and not set(own) <= set(offered):
            self._drop(self._slot(number, CONCERNS))
        return offered

    def _area_prompt(
        self,
        question: Question,
        number: int,
        offered: tuple[str, ...],
        view: Mapping[str, Answer],
        applies: Applicability,
    ) -> Question:
        """An area's prompt; the help of those asked whatever is treated there fits the area."""
        areas = self.areas
        if question.id == areas.key:
            prompt = areas.site_prompt(number, self.answers)
        elif question.id == CONCERNS:
            choices = tuple(c for c in question.choices if c.id in offered)
            prompt = areas.prompt(question, number, self.answers, choices)
        elif question.id in areas.screen:
            prompt = areas.prompt(question, number, self.answers)
        else:  # a detail: asked only where its concern is treated
            return areas.prompt(question, number, self.answers)
        return self.fitter.fit(prompt, view, applies)

    def _not_placed(self) -> None:
        """The view of the concerns no area treats, when some are (or none is placed)."""
        areas = self.areas
        patient = self.answers.get(CONCERNS)
        if areas.concerns is None or not isinstance(patient, tuple):
            self.rest = self.view  # not known: the patient's answers stand for them
            return
        held: set[str] = set()
        placed = False
        for number in areas.numbers():
            site = self.answers.get(self._slot(number, areas.key))
            if site is None:
                continue
            placed = True
            own = self.answers.get(self._slot(number, CONCERNS))
            # An area yet to say what it treats is taken to treat all it may.
            held.update(own if isinstance(own, tuple) else self._may(patient, site))
        self.unplaced = tuple(c for c in patient if c not in held)
        if placed and not self.unplaced:
            return
        self.rest = {**self.view, CONCERNS: self.unplaced}
        self.rest_applies = applicability(self.kb, self.rest, self.applies)

    def _may(self, patient: tuple[str, ...], site: Answer) -> tuple[str, ...]:
        return tuple(c.id for c in self.areas.offered(patient, site))

    def _block_after(self) -> int:
        """The index of the bank question the areas follow (-1: first; past the end: none)."""
        questions, group = self.kb.questions, self.areas.group
        if group is None:
            return len(questions)
        concerns = self.areas.concerns
        if concerns is None or concerns.section == group.id:
            return next(i for i, q in enumerate(questions) if q.id == group.key) - 1
        return max(i for i, q in enumerate(questions) if q.section == concerns.section)

    def _block(self, block: list[Question]) -> list[Question]:
        """The areas' prompts, add-or-done, then the site screen answered for every area."""
        if self.areas.group is None:
            return []
        more = self.areas.next_prompt(self.unplaced)
        self.sure.add(more.id)
        every = [self._every(self.kb.by_id[qid]) for qid in self.areas.screen]
        return [*block, more, *(p for p in every if p is not None)]

    def _every(self, question: Question) -> Question | None:
        """A site-screen question answered once for every area: kept while it counts."""
        if not self._done(question.id):
            return None
        if self.rest is not None or self._counts_in_area(question.id):
            return replace(question, text=EVERY_AREA + question.text)
        self._drop(question.id)
        return None

    def _patient_prompt(self, question: Question) -> Question | None:
        qid = question.id
        if qid not in self.truths:  # a question of the areas, or one that does not apply
            return None
        if question.per_area and qid != CONCERNS:
            return self._flat(question)
        if self.truths[qid] is True:
            self.sure.add(qid)
        return question

    def _flat(self, question: Question) -> Question | None:
        """A detail asked once: for the concerns not placed, or answered for every area."""
        qid = question.id
        truth: Truth = False
        if self.rest is not None:
            truth = self.rest_applies(qid)
            if truth is False and self.rest is not self.view:
                self.rest.pop(qid, None)  # as the engine reads them: not where it is not asked
        if truth is not False:
            if truth is True:
                self.sure.add(qid)
            return question
        if self._done(qid) and self._counts_in_area(qid):
            return replace(question, text=EVERY_AREA + question.text)
        self._drop(qid)
        return None

    def _counts_in_area(self, qid: str) -> bool:
        """Whether an answer for every area counts in an area that leaves the question to it."""
        return any(
            self.in_areas.get((number, qid), False) is not False
            and not self._done(self._slot(number, qid))
            for number in self.areas.numbers()
        )
